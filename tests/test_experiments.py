"""Executors, replications, scenario comparison with common random numbers, and the CLI commands."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from model.cli.main import main
from model.experiments.plots import plot_differences, plot_indices
from model.experiments.runner import (
    OUTPUTS,
    InlineExecutor,
    ScenarioTarget,
    StudyCancelledError,
    compare,
    make_chunks,
    make_executor,
    map_chunks,
    paired_differences,
    run_replications,
)
from model.experiments.sensitivity import loads_space, run_seeds, run_study
from model.run.simulation import combine, simulate, simulate_replications
from model.scenario import ScenarioError, load_scenario
from tests.conftest import shrink

SMALL = {"run.people": 200, "run.months": 48}


@pytest.fixture(scope="module")
def small():
    return load_scenario("sds_rollout", SMALL)


def test_replications_are_the_same_runs_as_carecon_run_whichever_executor(small):
    reference = simulate_replications(small, 3, seed=5)
    serial = run_replications(small, 3, 5)
    with make_executor("local", workers=2) as pool:
        pooled = run_replications(small, 3, 5, pool)
    pd.testing.assert_frame_equal(serial.monthly, reference.monthly)
    pd.testing.assert_frame_equal(pooled.monthly, reference.monthly)
    pd.testing.assert_frame_equal(pooled.daycentres, reference.daycentres)


def test_comparing_a_scenario_with_itself_gives_exactly_zero_thanks_to_paired_seeds(small):
    result = compare([small, small], 3, 8)
    assert list(result.results) == ["sds_rollout", "sds_rollout#2"]
    assert (result.differences[["mean_difference", "ci_low", "ci_high"]].abs().to_numpy() == 0).all()


def test_compare_reports_differences_with_intervals_around_them(small):
    other = small.with_overrides({"councils.0.rollout.offer": False})
    result = compare([small, other], 4, 2)
    d = result.differences.set_index("figure")
    assert list(result.differences.columns[:6]) == ["scenario", "reference", "figure", "mean_difference", "ci_low",
                                                     "ci_high"]
    # the intervals are paired Student-t intervals of the per-replication headline differences
    reference, scenario = (result.headlines[k] for k in result.results)
    diff = (scenario - reference)[list(d.index)]
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    np.testing.assert_allclose(d["mean_difference"], diff.mean(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(d["ci_low"], diff.mean() - half, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(d["ci_high"], diff.mean() + half, rtol=1e-9, atol=1e-9)
    # without the SDS offer nobody takes a direct payment: the reference's share is the whole difference
    assert d.loc["share_option1", "mean_difference"] == pytest.approx(-d.loc["share_option1", "reference_mean"])
    assert d.loc["share_option1", "ci_high"] < 0


def test_a_studys_outputs_are_the_headlines_of_full_simulations_bit_for_bit(tmp_path):
    """A study's runs record only what the study reads (ScenarioTarget.evaluate); each stored run is
    still, exactly, the headline of the full tables of its design point's replications."""
    scenario = shrink("multi_council", 400, 24)
    space = loads_space('[parameters]\n"choice.beta_burden" = { low = 1.5, high = 4.5 }\n'
                        '"councils.*.support.capacity" = { low = 0, high = 12 }')
    study = run_study(scenario, space, "lhs", 3, 5, store_root=tmp_path, replications=2)
    target = ScenarioTarget(scenario)
    assert study.complete and len(study.results) == 3
    results = study.results.set_index("run_id")
    for run_id, row in study.design.set_index("run_id").iterrows():
        point = target.check(space.point(row[space.names].to_numpy()))
        seeds = run_seeds(5, "common", run_id, 2)
        full = combine([simulate(point, ss, replication=r) for r, ss in enumerate(seeds)]).headline()
        np.testing.assert_equal({k: float(results.loc[run_id, k]) for k in OUTPUTS}, full)  # NaN equal to NaN
    assert results["cost_per_person"].nunique() == 3  # the design points differ


def test_paired_differences_use_student_t():
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"a": rng.normal(size=6)})
    val = ref + pd.DataFrame({"a": rng.normal(1, 0.5, size=6)})
    row = paired_differences(val, ref).iloc[0]
    diff = (val - ref)["a"]
    half = stats.t.ppf(0.975, 5) * diff.std(ddof=1) / np.sqrt(6)
    assert row["mean_difference"] == pytest.approx(diff.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((diff.mean() - half, diff.mean() + half))


def square_chunk(items):
    if 13 in items:
        raise RuntimeError("bad run 13")
    return [i * i for i in items]


def test_map_chunks_keeps_finished_chunks_when_one_fails_and_honours_cancel():
    kept: dict[int, list[int]] = {}
    with pytest.raises(RuntimeError, match="bad run 13"):
        map_chunks(square_chunk, list(range(20)), InlineExecutor(), kept.__setitem__, chunk_size=5)
    assert kept == {0: [0, 1, 4, 9, 16], 1: [25, 36, 49, 64, 81]}
    cancel = threading.Event()
    kept.clear()
    with pytest.raises(StudyCancelledError, match="after 5 of 10"):
        map_chunks(square_chunk, list(range(10)), None, kept.__setitem__, chunk_size=5,
                   progress=lambda done, total: cancel.set(), cancel=cancel)
    assert list(kept) == [0]


@given(st.integers(0, 3000), st.integers(1, 64), st.one_of(st.none(), st.integers(1, 100)))
def test_chunks_cover_every_item_once_in_order_and_end_in_single_runs(n: int, workers: int, size: int | None) -> None:
    chunks = make_chunks(list(range(n)), workers, size)
    assert [x for c in chunks for x in c] == list(range(n))
    assert all(c for c in chunks)
    if size:
        assert all(len(c) == size for c in chunks[:-1])
    else:
        assert max(map(len, chunks), default=1) <= 64
        assert all(len(c) == 1 for c in chunks[-2 * workers:])  # the tail: one run per chunk


@pytest.mark.parametrize(("kind", "workers", "scheduler", "expected"), [
    ("mpi", None, None, "^executor: must be one of"), ("dask", None, None, "^scheduler: .*needs the scheduler address"),
    ("dask", None, "localhost:8786", "^scheduler: expected an address like"),
    ("local", 0, None, "^workers: must be between 1 and"),
    ("local", None, "tcp://h:1", "^scheduler: only used with the dask executor")])
def test_bad_executor_requests_are_one_line_errors_in_library_words(kind, workers, scheduler, expected):
    with pytest.raises(ScenarioError, match=expected) as info, make_executor(kind, workers, scheduler):
        pass
    assert "--" not in str(info.value)


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_sensitivity_sweep_and_studies(tmp_path, capsys):
    store = str(tmp_path / "studies")
    code, out, _ = run_cli(capsys, "sensitivity", "ishigami", "--method", "sobol", "--n", "64", "--executor", "serial",
                           "--store", store, "--quiet")
    assert code == 0 and "x1" in out and "ST" in out
    code, out, _ = run_cli(capsys, "sweep", "sds_rollout", "--space", "spaces/support.toml", "--design", "grid",
                           "--n", "2", "--people", "200", "--months", "48", "--executor", "serial", "--store", store,
                           "--quiet")
    assert code == 0 and "table.csv" in out
    table = pd.read_csv(next((tmp_path / "studies").glob("*sds_rollout-grid*/table.csv")))
    assert len(table) == 4 and table["councils.*.support.capacity"].tolist() == [0, 0, 16, 16]
    code, out, _ = run_cli(capsys, "studies", "list", "--store", store)
    assert code == 0 and "ishigami" in out and "sds_rollout" in out and out.count("complete") == 2
    study = next((tmp_path / "studies").glob("*ishigami*"))
    code, out, _ = run_cli(capsys, "studies", "show", str(study), "--plot")
    assert code == 0 and "320 of 320 runs" in out and (study / "indices.png").is_file()


def test_cli_compare_writes_differences_and_figure(tmp_path, capsys):
    code, out, err = run_cli(capsys, "compare", "sds_rollout", "targeted_support", "--replications", "2",
                             "--people", "200", "--months", "48", "--executor", "serial", "--out", str(tmp_path),
                             "--quiet")
    assert code == 0 and "Quality-of-life gap Q5-Q1 (difference in score)" in out
    assert "; about 4 runs, about " in err and "MB per worker" in err  # the estimate, before the runs
    assert len(pd.read_csv(tmp_path / "differences.csv")) > 10 and (tmp_path / "differences.png").is_file()


@pytest.mark.parametrize(("argv", "expected"), [
    (["sensitivity", "ishigami", "--n", "100"], "power of two"),
    (["sensitivity", "ishigami", "--n", "64", "--people", "100"], "--people: not used with the ishigami"),
    (["sensitivity", "sds_rollout", "--n", "64"], "a parameter space is needed"),
    (["sensitivity", "sds_rollout", "--space", "missing.toml", "--n", "64"], "file 'missing.toml' not found"),
    (["sensitivity", "ishigami", "--n", "8", "--executor", "dask"], "needs the scheduler"),
    (["sensitivity", "ishigami", "--n", "8", "--workers", "0"], "must be at least 1"),
    (["sweep", "sds_rollout", "--space", "spaces/support.toml", "--n", "2", "--design", "cube"], "invalid choice"),
    (["compare", "sds_rollout"], "at least two scenarios"),
    (["compare", "sds_rollout", "nowhere"], "not found"),
    (["studies", "show", "/nonexistent/study"], "no manifest.json"),
])
def test_cli_bad_inputs_are_one_line_errors(capsys, argv, expected, tmp_path):
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main([*argv, "--store", str(tmp_path)] if argv[0] in ("sensitivity", "sweep") else argv))
    _, err = capsys.readouterr()
    assert info.value.code == 2 and expected in err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_plots_are_written(tmp_path):
    indices = pd.DataFrame({"output": ["y"] * 4, "parameter": ["a", "b", "a", "b"], "parameter2": None,
                            "index": ["S1", "S1", "ST", "ST"], "value": [0.2, 0.5, 0.3, 0.6],
                            "conf": [0.05, 0.05, np.nan, 0.1]})
    plot_indices(indices, tmp_path / "i.png")
    diffs = pd.DataFrame({"scenario": "b", "reference": "a", "figure": ["x", "y"], "mean_difference": [1.0, -2.0],
                          "ci_low": [0.5, -3.0], "ci_high": [1.5, -1.0], "reference_mean": [10.0, 0.0],
                          "scenario_mean": [11.0, -2.0]})
    plot_differences(diffs, tmp_path / "d.png")
    assert (tmp_path / "i.png").stat().st_size > 5000 and (tmp_path / "d.png").stat().st_size > 5000
    with pytest.raises(ValueError, match="no S1/ST"):
        plot_indices(indices.assign(index="S2"))


def test_warm_up_loads_the_passes_a_study_run_calls():
    """A fresh worker process after warm_up has loaded every compiled pass a vector run calls,
    including displacing a closing provider's clients and compacting the table, so none is loaded
    inside a study's clock."""
    import subprocess
    import sys

    passes = {"demography": ("month",), "reviews": ("reviews",),
              "support_and_choice": ("support_and_choice",),
              "matching": ("match",), "purchasing": ("purchase_and_outcomes",),
              "providers": ("providers_month",),
              "bookkeeping": ("displace", "block_places", "renumber_peers", "move_rows")}
    code = ("import importlib; from model.experiments.runner import warm_up; warm_up(); "
            f"passes = {passes!r}; "
            "print(' '.join(p for m, ps in passes.items() for p in ps "
            "if not getattr(importlib.import_module('model.engines.vector.' + m), p).signatures))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []
