"""`carecon run` writes the tidy tables, the summary, the resolved scenario and five figures; every
column is described (docs/reference/outputs.md, generated from the registry of output columns)."""

from __future__ import annotations

import pandas as pd
import pytest

from model.metrics.columns import BREAKDOWN_METRICS, DIMENSIONS, RUN_TOTAL_COLUMNS, TABLES
from model.metrics.definitions import RUN_TOTALS
from model.run.outputs import FILES, SUMMARY_TOTALS, markdown_table, reference_page, summary
from model.run.simulation import HEADLINE, TOTALS, simulate_replications
from model.scenario import loads_scenario
from tests.conftest import ROOT, shrink
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
    for name in ("monthly.parquet", "breakdown.parquet", "daycentres.parquet", "councils.parquet", "equity.parquet",
                 "summary.csv", "scenario.toml"):
        assert (out / name).stat().st_size > 0, name
    figures = {p.name for p in (out / "figures").iterdir()}
    assert figures == FIGURES
    for name in FIGURES:
        assert (out / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wrote 14 files" in stdout


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
    assert "Option 1 (direct payment) share" in stdout and "share_option1" not in stdout


def test_run_reproduces_the_library_results(run_dir):
    out, _ = run_dir
    s = loads_scenario((out / "scenario.toml").read_text())
    result = simulate_replications(s)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "monthly.parquet"), result.monthly, check_dtype=False)


def test_summary_spans_replications():
    s = shrink("sds_rollout", 200, 36)  # providers open and close, people are displaced
    result = simulate_replications(s, replications=3, seed=2)
    table = summary(result).set_index("figure")
    last = result.monthly[result.monthly.month == 36]
    assert table.loc["share_option3", "mean"] == pytest.approx(last.share_option3.mean())
    reps = result.monthly.groupby("replication")
    by_hand = {"dc_closures": reps.exits_day_centre.sum(), "displaced": reps.displaced.sum(),
               "provider_entries": reps[[c for c in result.monthly if c.startswith("entries_")]].sum().sum(axis=1),
               "provider_exits": reps[[c for c in result.monthly if c.startswith("exits_")]].sum().sum(axis=1)}
    assert list(table.index) == [*HEADLINE, *SUMMARY_TOTALS]
    for name, totals in by_hand.items():
        assert table.loc[name, "mean"] == pytest.approx(totals.mean())
        assert table.loc[name, "p95"] == pytest.approx(totals.quantile(0.95))
    assert all(by_hand[k].sum() > 0 for k in by_hand)  # real totals


def test_council_table_adds_up_to_the_monthly_totals(run_dir):
    out, _ = run_dir
    monthly = pd.read_parquet(out / "monthly.parquet").set_index(["replication", "month"]).sort_index()
    councils = pd.read_parquet(out / "councils.parquet")
    assert set(councils.council) == {"Glenburgh", "Riverside", "Highfield"}
    summed = councils.groupby(["replication", "month"])[["council_spend", "people", "dc_attendance", "displaced"]].sum()
    for col in summed:
        pd.testing.assert_series_equal(summed[col].sort_index(), monthly[col].astype(float), check_names=False)


def test_every_output_column_has_a_label_unit_and_meaning(run_dir):
    """The registry lists exactly the columns each file has, in order, and every value of the
    breakdown's metric and dimension and of the summary's figure; each entry has a label and a meaning."""
    out, _ = run_dir
    for name, (file, _) in FILES.items():
        table = pd.read_csv(out / file) if file.endswith(".csv") else pd.read_parquet(out / file)
        assert list(table.columns) == list(TABLES[name]), file
    breakdown = pd.read_parquet(out / "breakdown.parquet")
    assert list(breakdown.metric.unique()) == list(BREAKDOWN_METRICS)
    assert list(breakdown.dimension.unique()) == list(DIMENSIONS)
    for dim, (_, levels) in DIMENSIONS.items():
        if levels is not None:
            assert tuple(breakdown[breakdown.dimension == dim].level.unique()) == levels
    figures = pd.read_csv(out / "summary.csv").figure
    assert list(figures) == [*HEADLINE, *SUMMARY_TOTALS]
    assert set(HEADLINE) <= set(TABLES["monthly"]) and set(SUMMARY_TOTALS) | set(TOTALS) <= set(RUN_TOTAL_COLUMNS)
    assert list(RUN_TOTAL_COLUMNS) == list(RUN_TOTALS)
    entries = [*(c for t in TABLES.values() for c in t.values()), *BREAKDOWN_METRICS.values(),
               *RUN_TOTAL_COLUMNS.values()]
    for c in entries:
        assert c.label and c.meaning.endswith(".") and "\n" not in c.meaning and "|" not in c.meaning, c


def test_markdown_table_has_a_header_a_rule_and_a_line_per_row():
    assert markdown_table(["a", "b"], [[1, "x"], (2.5, None)]) == "| a | b |\n|---|---|\n| 1 | x |\n| 2.5 | None |"
    assert markdown_table(["only"], []) == "| only |\n|---|"


def test_output_reference_page_is_up_to_date():
    page = ROOT / "docs" / "reference" / "outputs.md"
    assert page.read_text(encoding="utf-8") == reference_page(), "run `make docs` to regenerate " + str(page)


def test_run_writes_the_equity_table(run_dir):
    out, _ = run_dir
    equity = pd.read_parquet(out / "equity.parquet")
    assert list(equity.columns) == list(TABLES["equity"])
    assert sorted(equity["replication"].unique()) == [0, 1]
    assert sorted(equity["month"].unique()) == [12, 24]
    last = equity[equity["month"] == 24]
    assert last["low"].notna().any() and (last["low"] <= last["value"]).where(last["low"].notna(), True).all()


def test_compare_reports_who_gains_by_group(tmp_path):
    from model.experiments.runner import compare
    from model.metrics.columns import WHO_GAINS_COLUMNS
    from tests.conftest import shrink

    base = shrink("baseline", 150, 24)
    same = base.with_overrides({"name": "same"})
    result = compare([base, same, shrink("sds_rollout", 150, 24)], replications=3, seed=11)
    gains = result.who_gains
    assert list(gains.columns) == list(WHO_GAINS_COLUMNS)
    assert set(gains["scenario"]) == {"same", "sds_rollout"} and set(gains["comparator"]) == {"baseline"}
    assert set(gains["dimension"]) == {"all", "quintile", "age_band", "client_group", "carer"}
    # A scenario against itself on common random numbers: nothing gained, nothing lost, no spread.
    itself = gains[gains["scenario"] == "same"].dropna(subset=["difference"])
    assert len(itself) and (itself["difference"] == 0).all() and (itself["high"] - itself["low"] == 0).all()
    rollout = gains[(gains["scenario"] == "sds_rollout") & (gains["outcome"] == "direct_payment")]
    assert (rollout["difference"].abs() > 0).any()


def test_missing_figures_print_as_missing(tmp_path):
    from model.run.outputs import shown

    assert shown(float("nan")) == "missing" and shown(2.5) == "2.500" and shown(1234.5, ".4g") == "1234"
    code, stdout, err = invoke(["run", "baseline", "--people", "80", "--months", "12", "--replications", "1",
                                "--set", "budgets.ras_rate=0", "--out", str(tmp_path / "out"), "--quiet",
                                "--no-figures"])
    assert code == 0, err
    line = next(row for row in stdout.splitlines() if row.strip().startswith("Cost per person (£/person/month)"))
    assert "no one" in line and "nan" not in line  # as the dashboard says it: nobody behind the figure


def test_differences_and_intervals_share_one_sign_character_in_every_unit():
    """Printed differences (compare, pages) carry an ASCII sign whatever the unit, so a table read
    into a spreadsheet parses every negative number alike."""
    from model.metrics import labels

    for name in ("share_option1", "cost_per_person", "total_council_spend", "dc_attendance", "equity_gap"):
        label = labels.output(name)
        assert label.difference(-2_500_000.0).startswith("-") and label.difference(2.0).startswith("+")
        assert label.interval(-3.0, -1.0).count("-") >= 2
