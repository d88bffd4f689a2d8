"""`carecon run` writes the tidy tables, the summary, the resolved scenario and five figures."""

from __future__ import annotations

import pandas as pd
import pytest

from model.run.outputs import summary
from model.run.simulation import HEADLINE, simulate_replications
from model.scenario import loads_scenario
from tests.conftest import shrink
from tests.test_cli import invoke

FIGURES = {"uptake.png", "day_centres.png", "providers.png", "cost.png", "equity.png"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    code, stdout, err = invoke(["run", "multi_council", "--people", "90", "--months", "24", "--replications", "2",
                                "--seed", "5", "--set", "councils.1.rollout.duration_months=12",
                                "--set", "councils.2.rollout.start_month=6", "--set",
                                "councils.2.rollout.duration_months=12", "--out", str(out), "--quiet"])
    assert code == 0, err
    return out, stdout


def test_run_writes_every_file(run_dir):
    out, stdout = run_dir
    for name in ("monthly.parquet", "breakdown.parquet", "daycentres.parquet", "councils.parquet", "summary.csv",
                 "scenario.toml"):
        assert (out / name).stat().st_size > 0, name
    figures = {p.name for p in (out / "figures").iterdir()}
    assert figures == FIGURES
    for name in FIGURES:
        assert (out / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wrote 11 files" in stdout


def test_monthly_and_breakdown_tables_are_tidy(run_dir):
    out, _ = run_dir
    monthly = pd.read_parquet(out / "monthly.parquet")
    assert len(monthly) == 2 * 24
    assert sorted(monthly.replication.unique()) == [0, 1]
    assert monthly.groupby("replication").month.apply(list).tolist() == [list(range(1, 25))] * 2
    assert set(HEADLINE) <= set(monthly.columns)
    breakdown = pd.read_parquet(out / "breakdown.parquet")
    assert list(breakdown.columns) == ["replication", "month", "dimension", "level", "metric", "value"]
    assert set(breakdown.dimension) == {"client_group", "age_band", "quintile", "council"}
    assert set(breakdown[breakdown.dimension == "council"].level) == {"Glenburgh", "Riverside", "Highfield"}
    dc = pd.read_parquet(out / "daycentres.parquet")
    assert {"month", "council", "provider", "attendance", "occupancy", "breakeven_occupancy"} <= set(dc.columns)
    assert dc.occupancy.between(0, 1).all()


def test_summary_and_resolved_scenario(run_dir):
    out, stdout = run_dir
    table = pd.read_csv(out / "summary.csv")
    assert list(table.columns) == ["figure", "mean", "p05", "p95"]
    assert set(HEADLINE) <= set(table.figure)
    assert (table.p05 <= table["mean"] + 1e-9).all() and (table["mean"] <= table.p95 + 1e-9).all()
    s = loads_scenario((out / "scenario.toml").read_text())
    assert (s.run.people, s.run.months, s.run.replications, s.run.seed) == (90, 24, 2, 5)
    assert s.councils[1].rollout.duration_months == 12
    assert "share_option1" in stdout


def test_run_reproduces_the_library_results(run_dir):
    out, _ = run_dir
    s = loads_scenario((out / "scenario.toml").read_text())
    result = simulate_replications(s)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "monthly.parquet"), result.monthly, check_dtype=False)


def test_summary_spans_replications():
    s = shrink("sds_rollout", 80, 12)
    result = simulate_replications(s, replications=3, seed=2)
    table = summary(result).set_index("figure")
    last = result.monthly[result.monthly.month == 12]
    assert table.loc["share_option3", "mean"] == pytest.approx(last.share_option3.mean())
    assert table.loc["dc_closures", "mean"] == pytest.approx(result.monthly.groupby("replication")
                                                             .exits_day_centre.sum().mean())


def test_council_table_adds_up_to_the_monthly_totals(run_dir):
    out, _ = run_dir
    monthly = pd.read_parquet(out / "monthly.parquet").set_index(["replication", "month"]).sort_index()
    councils = pd.read_parquet(out / "councils.parquet")
    assert set(councils.council) == {"Glenburgh", "Riverside", "Highfield"}
    summed = councils.groupby(["replication", "month"])[["council_spend", "people", "dc_attendance", "displaced"]].sum()
    for col in summed:
        pd.testing.assert_series_equal(summed[col].sort_index(), monthly[col].astype(float), check_names=False)
