"""Parameter spaces (validated like scenarios), designs, seeds and SALib analysis."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.experiments import ishigami
from model.experiments.runner import ScenarioTarget
from model.experiments.sensitivity import (
    analyse,
    derived_seed,
    load_space,
    loads_space,
    noise_warnings,
    run_study,
    sample,
)
from model.scenario import ScenarioError, load_scenario, parameter_table
from tests.conftest import ROOT

SCALARS = [r for r in parameter_table() if isinstance(r["default"], float) and r["range"][1] is not None
           and r["range"][1] - r["range"][0] > 1e-6]


def space_text(name: str, low: float, high: float, extra: str = "") -> str:
    return f'[parameters]\n"{name}" = {{ low = {low!r}, high = {high!r}{extra} }}\n'


def one_line_error(text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        loads_space(text)
    message = str(info.value)
    assert "\n" not in message
    return message


@settings(max_examples=60, deadline=None)
@given(row=st.sampled_from(SCALARS), a=st.floats(0, 1), b=st.floats(0, 1))
def test_bounds_inside_the_documented_range_are_accepted_and_sampled_inside(row, a, b):
    lo, hi = row["range"]
    low, high = sorted((lo + a * (hi - lo), lo + b * (hi - lo)))
    if high - low < 1e-9 * max(1.0, abs(hi)):
        return
    space = loads_space(space_text(row["name"].replace("councils.N.", "councils.*."), low, high))
    x = sample(space, "lhs", 16, seed=3)
    assert x.min() >= low and x.max() <= high


@settings(max_examples=60, deadline=None)
@given(row=st.sampled_from(SCALARS), a=st.floats(0, 1), b=st.floats(0, 1))
def test_inverted_or_empty_bounds_are_refused_naming_the_parameter(row, a, b):
    lo, hi = row["range"]
    low = lo + a * (hi - lo)
    high = low - b * (low - lo)  # at or below low
    name = row["name"].replace("councils.N.", "councils.0.")
    message = one_line_error(space_text(name, low, high))
    assert name in message and ("inverted" in message or "empty" in message)


@settings(max_examples=60, deadline=None)
@given(row=st.sampled_from(SCALARS), excess=st.floats(1e-3, 1e6))
def test_bounds_outside_the_documented_range_are_refused_with_the_range(row, excess):
    lo, hi = row["range"]
    width = hi - lo
    message = one_line_error(space_text(row["name"].replace("councils.N.", "councils.*."), lo, hi + excess * width))
    assert "documented range" in message and f"{hi:g}" in message


@settings(max_examples=60, deadline=None)
@given(name=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_.", min_size=1, max_size=30))
def test_unknown_parameters_are_refused(name):
    known = {r["name"] for r in parameter_table()}
    if name in known or name.replace("councils.N.", "") in known:
        return
    assert "unknown parameter" in one_line_error(space_text(name, 0.0, 1.0))


@pytest.mark.parametrize(("text", "expected"), [
    ("", "at least one parameter"),
    ("[parameters]\n", "at least one parameter"),
    ('colour = "red"\n[parameters]\nx1 = { low = 0, high = 1 }', "unknown key 'colour'"),
    ('[parameters]\n"choice.beta_burden" = [1, 2]', "expected a table"),
    ('[parameters]\n"choice.beta_burden" = { low = 1 }', "needs both low and high"),
    ('[parameters]\n"choice.beta_burden" = { low = 1, high = 2, step = 1 }', "unknown key 'step'"),
    ('[parameters]\n"choice.beta_burden" = { low = 1, high = 2, distribution = "beta" }', "must be one of"),
    ('[parameters]\n"choice.beta_burden" = { low = 1, high = 2, distribution = "triangular" }', "takes mode"),
    ('[parameters]\n"choice.beta_burden" = { low = 1, high = 2, distribution = "triangular", mode = 3 }',
     "mode: must lie"),
    ('[parameters]\n"choice.beta_burden" = { low = 1, high = 2, distribution = "truncnorm", mean = 1.5, sd = 0 }',
     "sd: must be positive"),
    ('[parameters]\n"choice.beta_burden" = { low = true, high = 2 }', "finite number"),
    ('[parameters]\n"choice.beta_brden" = { low = 1, high = 2 }', "did you mean choice.beta_burden"),
    ('[parameters]\n"providers.exit_after_months" = { low = 3.2, high = 3.9 }', "two whole numbers"),
    ('[parameters]\n"councils.*.support.capacity" = { low = 1, high = 2 }\n'
     '"councils.0.support.capacity" = { low = 1, high = 3 }', "overlaps"),
    ("[parameters\n", "not valid TOML"),
])
def test_bad_spaces_give_one_line_errors(text, expected):
    assert expected in one_line_error(text)


def test_shipped_spaces_load_and_council_indices_are_checked_against_the_scenario():
    space = load_space("spaces/default.toml")
    assert len(space.parameters) == 10
    assert next(p for p in space.parameters if p.name == "providers.exit_after_months").integer
    two = loads_space('[parameters]\n"councils.1.support.capacity" = { low = 1, high = 2 }')
    with pytest.raises(ScenarioError, match="has councils 0 to 0"):
        two.check_scenario(load_scenario("sds_rollout"))
    with pytest.raises(ScenarioError, match="not found"):
        load_space("spaces/nope.toml")


def test_designs_are_reproducible_from_the_seed_and_integers_are_rounded():
    space = load_space("spaces/default.toml")
    for method, n in (("morris", 3), ("sobol", 8), ("lhs", 12)):
        a, b, c = sample(space, method, n, 1), sample(space, method, n, 1), sample(space, method, n, 2)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
    j = space.names.index("providers.exit_after_months")
    x = sample(space, "lhs", 50, 1)
    assert np.all(x[:, j] == np.rint(x[:, j])) and len(np.unique(x[:, j])) > 3
    grid = sample(loads_space('[parameters]\n"choice.beta_burden" = { low = 1, high = 3 }\n'
                              '"choice.beta_peer" = { low = 0, high = 1 }'), "grid", 3, 1)
    assert grid.shape == (9, 2) and sorted(set(grid[:, 0])) == [1.0, 2.0, 3.0]
    # sampling and bootstrap seeds differ from each other and from root to root
    assert all(derived_seed(s, 0) != derived_seed(s, 1) for s in range(200))
    assert len({derived_seed(s, 0) for s in range(200)}) == 200


@pytest.mark.parametrize(("method", "n", "expected"), [
    ("sobol", 100, "power of two"), ("grid", 100, "at most 1,000,000"), ("morris", 1, "morris needs 2"),
    ("anova", 4, "must be one of"), ("lhs", 0, "lhs needs 1")])
def test_bad_designs_are_refused(method, n, expected):
    with pytest.raises(ScenarioError, match=expected):
        sample(load_space("spaces/default.toml"), method, n, 1)


def test_constant_outputs_get_no_indices_and_no_warning():
    space = loads_space('[parameters]\n"choice.beta_burden" = { low = 1, high = 3 }\n'
                        '"choice.beta_peer" = { low = 0, high = 1 }')
    x = sample(space, "sobol", 256, 1)
    y = pd.DataFrame({"flat": np.zeros(len(x)), "linear": x[:, 0]})
    out = analyse(space, "sobol", x, y, seed=1)
    assert out[out["output"] == "flat"]["value"].isna().all()
    linear = out[(out["output"] == "linear") & (out["index"] == "ST")].set_index("parameter")["value"]
    assert linear["choice.beta_burden"] == pytest.approx(1, abs=0.1) and abs(linear["choice.beta_peer"]) < 0.05


def test_a_morris_study_of_a_small_scenario_reports_the_issue_outputs(tmp_path):
    scenario = load_scenario("sds_rollout", {"run.people": 200, "run.months": 48})
    space = loads_space('[parameters]\n"choice.beta_burden" = { low = 1.5, high = 4.5 }\n'
                        '"councils.*.support.capacity" = { low = 0, high = 12 }')
    study = run_study(scenario, space, "morris", 2, 4, store_root=tmp_path)
    assert study.complete and len(study.results) == 6
    assert set(study.indices["output"]) == {"equity_gap", "dc_open", "dc_closures", "provider_exits",
                                            "cost_per_person"}
    assert set(study.results.columns) >= set(ScenarioTarget(scenario).outputs)
    # the design really moved the scenario: runs differ in their outputs
    assert study.results["cost_per_person"].nunique() > 1
    assert study.manifest["target"]["scenario"] == scenario.to_toml()


def test_a_design_point_that_makes_an_invalid_scenario_is_refused_before_any_run(tmp_path):
    scenario = load_scenario("sds_rollout", {"run.people": 200, "run.months": 48})
    space = loads_space('[parameters]\n"councils.*.rollout.duration_months" = { low = 12, high = 60 }')
    with pytest.raises(ScenarioError, match=r"design point .* must be at most run\.months"):
        run_study(scenario, space, "lhs", 8, 1, store_root=tmp_path)
    assert not any(tmp_path.iterdir())


def test_council_wildcard_moves_every_council():
    scenario = load_scenario("multi_council")
    target = ScenarioTarget(scenario)
    moved = target.check({"councils.*.support.capacity": 9.5})
    assert [c.support.capacity for c in moved.councils] == [9.5] * len(scenario.councils)
    assert len(scenario.councils) > 1 and not math.isclose(scenario.councils[0].support.capacity, 9.5)


def test_the_space_must_suit_the_target(tmp_path):
    with pytest.raises(ScenarioError, match="is for the scenario model"):
        run_study("ishigami", load_space("spaces/default.toml"), "sobol", 8, 1, store_root=tmp_path)
    with pytest.raises(ScenarioError, match="unknown output"):
        run_study("ishigami", None, "sobol", 8, 1, store_root=tmp_path, outputs=("equity_gap",))


def _indices(rows):
    return pd.DataFrame([{"output": o, "parameter": p, "parameter2": None, "index": i, "value": v, "conf": c}
                         for o, p, i, v, c in rows])


def test_indices_that_cannot_be_told_from_noise_are_warned_about():
    table = _indices([("y", "a", "S1", 0.6, 0.05), ("y", "a", "ST", 0.7, 0.06),  # clear
                      ("y", "b", "S1", 0.02, 0.09), ("y", "b", "ST", 1.4, 0.2),   # interval too wide; ST above 1
                      ("z", "a", "S1", -0.3, 0.1), ("z", "a", "ST", 0.5, 0.1),    # S1 below 0 beyond its interval
                      ("w", "a", "mu_star", 3.0, 0.5), ("w", "a", "sigma", 9.0, float("nan"))])
    lines = noise_warnings(table)
    assert [line.split(":")[0] for line in lines] == ["y", "z"]
    assert lines[0].startswith("y: 2 of 4 indices cannot be told from noise")
    assert lines[1].startswith("z: 1 of 2 indices")


def test_a_large_sobol_study_of_the_ishigami_function_has_only_its_null_index_flagged():
    """Ishigami's x3 has no first-order effect (S1 = 0 exactly): only that index is within its interval
    of zero at N = 2,048; every other index is told apart from noise."""
    space = loads_space(ishigami.SPACE_TOML)
    X = sample(space, "sobol", 2048, 7)
    f = ishigami.Ishigami()
    Y = pd.DataFrame({"y": [f.evaluate(dict(zip(space.names, row, strict=True)), [])["y"] for row in X]})
    lines = noise_warnings(analyse(space, "sobol", X, Y, 7))
    assert lines == ["y: 1 of 6 indices cannot be told from noise (smaller than their 95% interval, or a Sobol "
                     "index outside 0 to 1)"]


def test_an_element_of_a_list_parameter_is_a_parameter_of_a_space():
    """choice.asc.3 (Option 4's constant) and councils.*.rollout.presentation.0 take bounds inside the
    list's documented range; an index past the list's end is unknown; a design point sets the element."""
    space = loads_space('[parameters]\n"choice.asc.3" = { low = -2, high = 0 }\n'
                        '"councils.*.rollout.presentation.0" = { low = -1, high = 1 }\n')
    assert [p.name for p in space.parameters] == ["choice.asc.3", "councils.*.rollout.presentation.0"]
    with pytest.raises(ScenarioError, match="unknown parameter"):
        loads_space('[parameters]\n"choice.asc.4" = { low = -2, high = 0 }\n')
    with pytest.raises(ScenarioError, match="leave the documented range -10 to 10"):
        loads_space('[parameters]\n"choice.asc.0" = { low = -20, high = 0 }\n')
    base = load_scenario("sds_rollout")
    s = base.with_overrides({"choice.asc.3": -1.5})
    assert s.choice.asc == [*base.choice.asc[:3], -1.5] and base.choice.asc[3] != -1.5


def test_the_screening_space_loads_and_fits_sds_rollout():
    space = load_space(ROOT / "spaces" / "screening.toml")
    assert len(space.parameters) >= 30
    space.check_scenario(load_scenario("sds_rollout"))


@pytest.mark.parametrize("method", ["morris", "sobol"])
def test_n_for_time_is_the_largest_n_that_fits_the_time_and_the_limits(method):
    from model.experiments.sensitivity import SMALLEST_N, design_size, n_for_time
    from model.run.estimate import estimate

    target = load_scenario("sds_rollout")  # 2,000 people, 120 months, 5 replications per point

    def seconds(n: int) -> float:
        return estimate(target, design_size(method, n, 3) * 5, 2).seconds

    n = n_for_time(method, target, 3, 600.0, 2, 1024, 10**6)
    bigger = 2 * n if method == "sobol" else n + 1
    assert seconds(n) <= 600.0 < seconds(bigger)
    assert method == "morris" or n & (n - 1) == 0  # Sobol: a power of two
    assert n_for_time(method, target, 3, 1.0, 2, 1024, 10**6) == SMALLEST_N[method]  # never below the smallest
    capped = n_for_time(method, target, 3, 1e9, 2, 1024, 400)
    assert design_size(method, capped, 3) * 5 <= 400 < design_size(method, 2 * capped if method == "sobol"
                                                                     else capped + 1, 3) * 5
