"""The dashboard, page by page, with ``streamlit.testing.v1.AppTest`` (no browser).

Small runs (300 people, 48 months, 2 replications) keep each test to a few seconds. The pages'
helper module ``dashboard/shared.py`` is imported here as Streamlit imports it (the app's folder on
``sys.path``), so a test can count the simulations a page starts.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import pytest
from scipy import stats
from streamlit.testing.v1 import AppTest

from model.experiments import sensitivity
from model.experiments.runner import ProgressFn, ScenarioTarget, compare, run_replications
from model.experiments.store import RESULTS, Study
from model.metrics import labels
from model.run.outputs import summary
from model.run.simulation import RunResult
from model.scenario import Scenario, ScenarioError, list_scenarios, load_scenario
from tests.conftest import workers_of

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "dashboard"))
import shared  # noqa: E402  (the dashboard's own modules, found as Streamlit finds them)
from compute import COMPUTE  # noqa: E402

SMALL = {"run.people": 300, "run.months": 48, "run.replications": 2}


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """The app on its default page, studies stored under tmp_path, everything run in this process."""
    monkeypatch.setenv("CARECON_STUDIES", str(tmp_path / "studies"))
    monkeypatch.setenv("CARECON_EXECUTOR", "serial")
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120).run()
    yield at
    job = at.session_state.get("sensitivity:job")
    if job is not None and job.thread is not None:
        job.stop()
        job.thread.join(120)
    COMPUTE.end()


def set_params(at: AppTest, values: dict[str, object]) -> AppTest:
    """Set parameter widgets by dotted name (their keys end with ``:name``) and rerun."""
    for name, value in values.items():
        matches = [w for w in at.number_input if w.key.endswith(f":{name}")]
        assert matches, f"no widget for {name}"
        matches[0].set_value(value)
    return at.run()


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


def run_small(at: AppTest) -> AppTest:
    """On the Scenario page: the default scenario, shrunk, run."""
    set_params(at, SMALL)
    return at.button(key="scenario:run").click().run()


# ------------------------------------------------------------------------------------ Scenario page
def test_figures_with_nobody_behind_them_read_no_one(app: AppTest) -> None:
    """With no budget per point nobody holds a package: the cost per person is missing, not a number."""
    set_params(app, SMALL | {"budgets.ras_rate": 0.0})
    app.button(key="scenario:run").click().run()
    assert_clean(app)
    values = {m.label: m.value for m in app.metric}
    assert values["Cost per person (£/person/month)"] == "no one"
    assert values["Option 1 (direct payment) share"] == "no one"
    assert "£nan" not in " ".join(c.value for c in app.caption)


def test_scenario_page_runs_and_shows_headlines_charts_downloads(app: AppTest) -> None:
    run_small(app)
    assert_clean(app)
    assert app.success[0].value.startswith("2 replications of 300 people over 48 months")
    values = {m.label: m.value for m in app.metric}
    assert sorted(values) == sorted(str(labels.output(figure)) for figure in shared.HEADLINES)
    # The metric is the model's own figure: the same seeds through the experiment layer give the same value.
    scenario = load_scenario("sds_rollout", SMALL)
    expected = summary(run_replications(scenario, 2, scenario.run.seed)).set_index("figure")
    assert values["Option 1 (direct payment) share"] == f"{expected.loc['share_option1', 'mean']:.1%}"
    assert values["Quality-of-life gap Q5-Q1 (difference in score)"] == f"{expected.loc['equity_gap', 'mean']:+.3f}"
    assert charts(app) == 8  # uptake, equity, providers x2, cost x2, day centres x2
    assert [b.label for b in app.get("download_button")] == [
        "Download the edited scenario (TOML)", "Download summary (CSV)", "Download summary (PARQUET)"]


def test_the_calibrated_ensemble_gives_fan_charts_that_split_their_width(app: AppTest) -> None:
    """Ticked, with an odd number of replications: the one-line reason; with 4: every chart is a fan whose
    subtitle gives each line's share of variance from the parameters, as ensemble.uncertainty_shares computes it."""
    set_params(app, SMALL | {"run.replications": 3})
    app.checkbox(key="scenario:ensemble").check().run()
    assert any("even number of at least 4" in e for e in errors(app))
    set_params(app, {"run.replications": 4})
    app.button(key="scenario:run").click().run()
    assert_clean(app)
    record = next(reversed(app.session_state["computed"].values()))
    assert record.with_ensemble and not errors(app)
    subtitles = [" ".join(json.loads(c.proto.spec)["title"]["subtitle"]) for c in app.get("vega_lite_chart")]
    assert len(subtitles) == 8 and all(s.startswith("Fan: 5–95% (light) and 25–75% (dark)") for s in subtitles)
    last = record.result.monthly.query("month == 48").set_index("replication").sort_index()
    share = ensemble_shares(last[["dc_attendance"]])
    expected = f"Day-centre attendance {share:.0%} parameters" if not np.isnan(share) else "Day-centre attendance: no"
    assert any(expected in s for s in subtitles)


def ensemble_shares(frame: pd.DataFrame) -> float:
    from model.run.ensemble import uncertainty_shares

    return float(uncertainty_shares(frame)["parameter_share"].iloc[0])


def test_widgets_show_units_and_ranges(app: AppTest) -> None:
    people = next(w for w in app.number_input if w.key.endswith(":run.people"))
    assert people.label == "People simulated · allowed 10 to 5,000,000"
    rate = next(w for w in app.number_input if w.key.endswith(":budgets.ras_rate"))
    assert rate.label == "Resource allocation rate (£ per point per month) · allowed 0 to 500"
    assert "Source:" in rate.help


def test_out_of_range_value_is_refused_with_a_message(app: AppTest) -> None:
    set_params(app, {"run.people": 5})
    assert_clean(app)
    assert any("run.people" in e and "allowed: 10 to 5e+06 people" in e and "got 5" in e for e in errors(app))
    assert app.button(key="scenario:run").disabled
    set_params(app, {"run.people": 300})
    assert errors(app) == [] and not app.button(key="scenario:run").disabled


def test_a_rule_across_fields_is_reported(app: AppTest) -> None:
    set_params(app, {"run.months": 24})
    assert any("start_month + duration_months = 42 must be at most run.months = 24" in e for e in errors(app))
    set_params(app, {"councils.0.rollout.duration_months": 12})  # 6 + 12 <= 24: valid together
    assert errors(app) == []
    assert app.session_state["edited"].run.months == 24


@pytest.mark.parametrize(("content", "message"), [
    (b"name = [", "not valid TOML"),
    (b'extends = "sds_rollout"\nbogus = 1\n', "unknown key 'bogus'"),
    (b'extends = "/etc/passwd"\n', "extends: must name a built-in scenario"),
    (b"\x80\x04\x95cos\nsystem\n", "not UTF-8 text"),  # a pickle is refused unread
    (b'extends = "sds_rollout"\n[run]\npeople = -3\n', "run.people"),
])
def test_a_bad_upload_is_reported_and_the_app_keeps_working(app: AppTest, content: bytes, message: str) -> None:
    app.file_uploader(key="upload").upload("bad.toml", content, "application/toml")
    app.run()
    assert_clean(app)
    assert any(message in e for e in errors(app)), errors(app)
    assert "uploaded" not in app.session_state
    run_small(app)  # the app still runs the built-in scenario, the message still shown
    assert_clean(app)
    assert len(app.metric) == len(shared.HEADLINES)


def test_a_valid_upload_becomes_a_scenario(app: AppTest) -> None:
    text = b'extends = "sds_rollout"\nname = "mine"\n[run]\npeople = 300\nmonths = 48\nreplications = 2\n'
    app.file_uploader(key="upload").upload("mine.toml", text, "application/toml")
    app.run()
    assert errors(app) == []
    assert "uploaded: mine" in app.selectbox(key="scenario:name").options
    app.selectbox(key="scenario:name").set_value("uploaded: mine").run()
    app.button(key="scenario:run").click().run()
    assert_clean(app)
    assert app.success[0].value.startswith("2 replications of 300 people over 48 months")


def test_upload_size_limit() -> None:
    with pytest.raises(ScenarioError, match="too large"):
        shared.read_upload(b"#" * (shared.MAX_UPLOAD_BYTES + 1), "big.toml")


def test_downloads_round_trip() -> None:
    scenario = load_scenario("sds_rollout", SMALL)
    assert shared.read_upload(scenario.to_toml().encode(), "edited.toml") == scenario
    frame = pd.DataFrame({"month": [1, 2], "share_option1": [0.1, 0.25], "council": ["a", "b"]})
    pd.testing.assert_frame_equal(pd.read_csv(io.BytesIO(shared.csv_bytes(frame))), frame)
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(shared.parquet_bytes(frame))), frame)


def test_only_run_buttons_start_simulations(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def counting(scenario: Scenario, *args: Any, **kwargs: Any) -> RunResult:
        calls.append(scenario.name)
        return run_replications(scenario, *args, **kwargs)

    def comparing(scenarios: list[Scenario], *args: Any, **kwargs: Any) -> Any:
        calls.append("comparison")
        return compare(scenarios, *args, **kwargs)

    monkeypatch.setattr(shared, "run_replications", counting)
    monkeypatch.setattr(shared, "compare", comparing)
    run_small(app)
    assert calls == ["sds_rollout"]
    app.selectbox(key="scenario:download:table").set_value("monthly").run()
    app.switch_page("equity.py").run()  # a comparison against baseline: not run until asked
    assert_clean(app)
    assert any("Press **Run**" in i.value for i in app.info) and calls == ["sds_rollout"]
    app.button(key="equity:run").click().run()
    app.switch_page("scenario.py").run()
    app.switch_page("equity.py").run()  # the comparison is kept
    assert charts(app) == 3 and calls == ["sds_rollout", "comparison"]
    app.switch_page("scenario.py").run()
    assert len(app.metric) == len(shared.HEADLINES) and calls == ["sds_rollout", "comparison"]
    app.button(key="scenario:run").click().run()  # unchanged settings: the same (reproducible) result is kept
    assert calls == ["sds_rollout", "comparison"]
    app.switch_page("forecast.py").run()
    app.multiselect(key="forecast:whatifs").select("protect block contracts (as protect_day_centres)").run()
    app.button(key="forecast:run").click().run()  # only the what-if is new
    assert_clean(app)
    assert calls == ["sds_rollout", "comparison", "sds_rollout"]


def test_settings_are_the_deployment_s_and_read_only(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """No widget sets where work runs or with how many workers; the panel shows the deployment settings."""
    widgets = [w for kind in ("selectbox", "number_input", "text_input", "text_area", "slider", "radio")
               for w in app.get(kind)]
    assert widgets and not [w.key for w in widgets if "settings" in (w.key or "") or "worker" in (w.key or "")]
    assert any("the dashboard's own process" in c.value for c in app.sidebar.caption)
    monkeypatch.setenv("CARECON_EXECUTOR", "local")
    monkeypatch.setenv("CARECON_WORKERS", "5000")
    app.run()
    assert any(f"{os.cpu_count()} worker processes" in c.value and "5,000 is capped" in c.value
               for c in app.sidebar.caption)


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("CARECON_WORKERS", "-4", "CARECON_WORKERS: must be a whole number of at least 1 (got '-4')"),
    ("CARECON_EXECUTOR", "dask", "CARECON_SCHEDULER: set it (tls://HOST:8786) exactly when CARECON_EXECUTOR is dask"),
    ("CARECON_MAX_PEOPLE", "many", "CARECON_MAX_PEOPLE: must be a whole number of at least 1 (got 'many')"),
])
def test_a_bad_deployment_setting_is_one_line_and_nothing_runs(app: AppTest, monkeypatch: pytest.MonkeyPatch,
                                                                variable: str, value: str, message: str) -> None:
    set_params(app, SMALL)
    monkeypatch.setenv(variable, value)
    app.button(key="scenario:run").click().run()
    assert_clean(app)
    assert [e.value for e in app.sidebar.error] == [message]
    assert message in errors(app) and not app.metric


def test_runs_above_the_limits_are_refused(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARECON_MAX_PEOPLE", "1000")
    monkeypatch.setenv("CARECON_MAX_REPLICATIONS", "3")
    set_params(app, {"run.people": 1001, "run.replications": 4})
    assert_clean(app)
    assert sorted(errors(app)) == [
        "run.people: 1,001 is above this dashboard's limit of 1,000 (raise it with CARECON_MAX_PEOPLE where the "
        "server is started)",
        "run.replications: 4 is above this dashboard's limit of 3 (raise it with CARECON_MAX_REPLICATIONS where the "
        "server is started)"]
    assert app.button(key="scenario:run").disabled
    # An uploaded scenario above the limit is refused on every page, and by the run itself.
    app.file_uploader(key="upload").upload("big.toml", b'extends = "sds_rollout"\nname = "big"\n[run]\npeople = 5000\n',
                                           "application/toml")
    app.run()
    app.switch_page("compare.py").run()
    app.multiselect(key="compare:names").set_value(["uploaded: big", "sds_rollout"]).run()
    assert any("run.people: 5,000 is above" in e for e in errors(app))
    assert "compare:run" not in [b.key for b in app.button]
    with pytest.raises(ScenarioError, match=r"run\.people: 5,000 is above this dashboard's limit of 1,000"):
        shared.deployment().check_run(app.session_state["uploaded"])


# ------------------------------------------------------------------------------------ Compare page
def per_replication(monthly: pd.DataFrame) -> pd.DataFrame:
    """Each replication's figures at the horizon, and totals over the run (index: replication)."""
    horizon = monthly[monthly["month"] == monthly["month"].max()].set_index("replication")
    reps = monthly.groupby("replication")
    exits = [c for c in monthly.columns if c.startswith("exits_")]
    totals = pd.DataFrame({"dc_closures": reps["exits_day_centre"].sum(), "displaced": reps["displaced"].sum(),
                           "total_council_spend": reps["council_spend"].sum(),
                           "provider_exits": reps[exits].sum().sum(axis=1)})
    return horizon.drop(columns=totals.columns, errors="ignore").join(totals)  # "displaced" is a total


def test_compare_page_shows_paired_differences(app: AppTest) -> None:
    app.switch_page("compare.py").run()
    assert app.multiselect(key="compare:names").value == ["sds_rollout", "targeted_support"]
    set_params(app, {"run.people": 300, "run.replications": 3})
    app.button(key="compare:run").click().run()
    assert_clean(app)
    shown = next(d.value for d in app.dataframe if "95% interval" in d.value.columns and "Figure" in d.value.columns)
    assert set(shown["Scenario"]) == {"targeted_support"}
    assert {str(labels.output(figure)) for figure in shared.HEADLINES} <= set(shown["Figure"])
    diffs_result = app.session_state["computed"][next(k for k in app.session_state["computed"]
                                                      if k.startswith("compare:"))]
    diffs = diffs_result.differences.set_index("figure")
    assert set(diffs["scenario"]) == {"targeted_support"} and set(diffs["reference"]) == {"sds_rollout"}
    assert set(shared.HEADLINES) <= set(diffs.index)
    # Independently: both scenarios run again with the reference's seed (common random numbers), each
    # replication's figures read off its monthly table, and a paired Student-t 95% interval of the differences.
    reference, other = (load_scenario(name, {"run.people": 300}) for name in ("sds_rollout", "targeted_support"))
    ref_values, other_values = (per_replication(run_replications(s, 3, reference.run.seed).monthly)
                                for s in (reference, other))
    diff = (other_values - ref_values)[list(diffs.index)]
    n = len(diff)
    mean = diff.mean()
    half = stats.t.ppf(0.975, n - 1) * diff.std(ddof=1) / np.sqrt(n)
    assert n == 3 and (half > 0).sum() >= len(shared.HEADLINES) // 2  # real intervals, not zero-width
    np.testing.assert_allclose(diffs["mean_difference"], mean, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(diffs["ci_low"], mean - half, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(diffs["ci_high"], mean + half, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(diffs["reference_mean"], ref_values[list(diffs.index)].mean(), rtol=1e-9, atol=1e-9)
    assert charts(app) == 2
    # Who gains: each group's met need, paired against the reference, among everyone with need.
    gains = next(d.value for d in app.dataframe if "Paired replications (runs)" in d.value.columns)
    assert {"Q1 (most deprived fifth)", "Q5 (least deprived fifth)", "physical disability", "aged 80+",
            "with an unpaid carer", "everyone with need"} <= set(gains["Group"])
    assert not set(gains["Group"]) & {"physical_disability", "learning_disability", "mental_health"}
    q1 = gains.set_index("Group").loc["Q1 (most deprived fifth)"]
    stored = diffs_result.who_gains.query("outcome == 'met_need' and group == 'Q1' and month == month.max()").iloc[0]
    assert q1["Difference (pp)"] == f"{stored['difference'] * 100:+.1f} pp"
    assert q1["Comparator mean (share)"] == f"{stored['comparator_mean']:.1%}"
    assert q1["Scenario mean (share)"] == f"{stored['scenario_mean']:.1%}"
    assert stored["difference"] == pytest.approx(stored["scenario_mean"] - stored["comparator_mean"], abs=1e-9)
    summary_line = next(m.value for m in app.markdown if m.value.startswith("**targeted_support** against"))
    assert summary_line.startswith("**targeted_support** against **sds_rollout**: Met need: the most "
                                   "deprived fifth ")


def test_compare_needs_two_scenarios(app: AppTest) -> None:
    app.switch_page("compare.py").run()
    app.multiselect(key="compare:names").set_value(["sds_rollout"]).run()
    assert_clean(app)
    assert "Choose two to four scenarios" in app.warning[0].value


# ------------------------------------------------------------------------------------ Forecast page
def closure_timing(app: AppTest) -> pd.DataFrame:
    """The what-ifs' closure timing table (one row per variant, the first "as set")."""
    return next(d.value for d in app.dataframe if "as set" in d.value.index)


def test_forecast_page_with_a_what_if(app: AppTest) -> None:
    run_small(app)
    app.switch_page("forecast.py").run()
    assert_clean(app)
    assert charts(app) == 3  # the edited scenario's run is reused
    app.multiselect(key="forecast:whatifs").select("protect block contracts (as protect_day_centres)").run()
    assert any("Press **Run**" in i.value for i in app.info)
    app.button(key="forecast:run").click().run()
    assert_clean(app)
    timing = closure_timing(app)
    assert list(timing.index) == ["as set", "protect block contracts (as protect_day_centres)"]
    # Keeping every block contract cannot close more centres than the rollout as set (same seeds).
    closed = labels.FORECAST_HEADERS["closed_mean"]
    assert timing.iloc[1][closed] <= timing.iloc[0][closed]
    assert charts(app) == 3


def test_forecast_closures_agree_with_the_day_centre_table(app: AppTest) -> None:
    """The page counts the day-centre exits the model records (councils table); independently, a centre closed
    in the month after it was last in the day-centre table, if that was before the horizon."""
    app.switch_page("forecast.py").run()
    set_params(app, {"run.people": 500, "run.replications": 2})  # sds_rollout, 120 months: centres close
    app.button(key="forecast:run").click().run()
    assert_clean(app)
    timing = closure_timing(app).loc["as set"]
    record = next(reversed(app.session_state["computed"].values()))
    months = record.scenario.run.months
    last = record.result.daycentres.groupby(["replication", "provider"])["month"].max()
    closed_in = (last[last < months] + 1).groupby(level="replication")
    assert closed_in.ngroups > 0
    h = labels.FORECAST_HEADERS
    assert timing[h["closed_mean"]] == pytest.approx(closed_in.size().reindex(range(2), fill_value=0).mean())
    assert timing[h["first_closure"]] == pytest.approx(closed_in.min().median())
    assert timing[h["runs_with_closure"]] == pytest.approx(closed_in.ngroups / 2)


# ------------------------------------------------------------------------------------ Equity page
def test_equity_page_pairs_each_group_against_the_comparator(app: AppTest) -> None:
    """The edited scenario against baseline, both with its run settings and seeds: each group's difference and
    95% interval are the paired Student-t ones of the two runs' group means; the concentration indices are the
    scenario's own (within it), as the model recorded them."""
    run_small(app)
    app.switch_page("equity.py").run()
    assert app.selectbox(key="equity:comparator").value == "baseline"
    app.button(key="equity:run").click().run()
    assert_clean(app)
    result = next(reversed(app.session_state["computed"].values()))
    assert list(result.results) == ["baseline", "sds_rollout"]
    ours, theirs = result.results["sds_rollout"], result.results["baseline"]
    assert theirs.monthly["month"].max() == 48 and ours.monthly["month"].max() == 48  # the scenario's run settings
    gains = next(d.value for d in app.dataframe if "Paired replications (runs)" in d.value.columns)
    assert {"Q1 (most deprived fifth)", "Q5 (least deprived fifth)", "aged 80+", "physical disability",
            "with an unpaid carer", "no unpaid carer"} <= set(gains["Group"])
    # Independently, from the two runs' equity tables: Q1's met need at the horizon, paired by replication.
    def q1(equity: pd.DataFrame) -> pd.Series:
        rows = equity.query("month == 48 and outcome == 'met_need' and group == 'Q1' and measure == 'mean'")
        return rows.set_index("replication")["value"].sort_index()

    diff = (q1(ours.equity) - q1(theirs.equity)).to_numpy()
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    assert len(diff) == 2 and half > 0
    row = gains.set_index("Group").loc["Q1 (most deprived fifth)"]
    assert row["Difference (pp)"] == f"{diff.mean() * 100:+.1f} pp"
    assert row["95% interval (pp)"] == f"[{(diff.mean() - half) * 100:+.1f} pp, {(diff.mean() + half) * 100:+.1f} pp]"
    assert row["Comparator mean (share)"] == f"{q1(theirs.equity).mean():.1%}"
    summary_line = next(m.value for m in app.markdown if m.value.startswith("Met need: the most deprived fifth "))
    assert f"{diff.mean() * 100:+.1f} pp [" in summary_line
    # Within the scenario: the concentration indices are 2 cov(y, R) / mean(y) over quintiles (R: fractional rank,
    # most deprived first), computed here from its breakdown by quintile.
    indices = next(d.value for d in app.dataframe if d.value.index.name == "Concentration index")
    last = ours.monthly[ours.monthly["month"] == 48]
    mean = "Mean over replications"
    assert indices.loc[str(labels.output("wellbeing")), mean] == pytest.approx(last["ci_wellbeing"].mean(), rel=1e-9)
    quintiles = ours.breakdown.query("dimension == 'quintile' and month == 48")
    names = {m: str(labels.output(m)) for m in ("met_need", "wellbeing", "control", "share_option1")}
    expected: dict[str, list[float]] = {label: [] for label in names.values()}
    for _, cells in quintiles.groupby("replication"):
        wide = cells.pivot(index="level", columns="metric", values="value").loc[["Q1", "Q2", "Q3", "Q4", "Q5"]]
        n = wide["people"].to_numpy(dtype=float)
        rank = (np.cumsum(n) - n / 2) / n.sum()
        for metric, label in names.items():
            y = wide[metric].to_numpy(dtype=float)
            expected[label].append(2 * np.cov(y, rank, aweights=n, bias=True)[0, 1] / np.average(y, weights=n))
    assert indices[mean].to_dict() == pytest.approx({k: np.mean(v) for k, v in expected.items()}, rel=1e-9)
    assert charts(app) == 3


def test_equity_page_with_the_calibrated_ensemble(app: AppTest) -> None:
    """Ticked with 4 replications: the comparison draws each pair's parameters from the posterior (the runner's
    uncertainty table is there only then), the intervals say they include it, and the gaps chart is a fan."""
    run_small(app)
    app.switch_page("equity.py").run()
    set_params(app, {"run.replications": 4})
    app.checkbox(key="equity:ensemble").check().run()
    app.button(key="equity:run").click().run()
    assert_clean(app)
    key, result = next(reversed(app.session_state["computed"].items()))
    assert key.startswith("compare:") and key.endswith(":ensemble") and not result.uncertainty.empty
    assert any("the intervals include parameter uncertainty" in c.value for c in app.caption)
    titles = [json.loads(c.proto.spec).get("title") for c in app.get("vega_lite_chart")]
    subtitles = [" ".join(t["subtitle"]) for t in titles if isinstance(t, dict) and "subtitle" in t]
    assert sum(s.startswith("Fan: 5–95% (light)") for s in subtitles) == 1


def test_equity_page_refuses_the_scenario_as_its_own_comparator(app: AppTest) -> None:
    app.switch_page("equity.py").run()
    app.selectbox(key="equity:scenario").set_value("baseline").run()
    assert_clean(app)
    assert "comparator is the scenario itself" in app.warning[0].value
    assert not [b for b in app.button if b.key == "equity:run"]


# ------------------------------------------------------------------------------------ Sensitivity page
def start_study(app: AppTest, people: int, n: int) -> AppTest:
    app.switch_page("sensitivity.py").run()
    app.checkbox(key="sensitivity:own_n").check().run()
    set_params(app, {"run.people": people, "run.replications": 1, "n:morris": n})
    app.multiselect(key="sensitivity:parameters").unselect("councils.*.commissioning.block_retention").run()
    assert errors(app) == []
    return app.button(key="sensitivity:start").click().run()


def test_sensitivity_study_runs_in_the_background_and_reloads(app: AppTest, tmp_path: Path) -> None:
    start_study(app, people=300, n=2)
    job = app.session_state["sensitivity:job"]
    job.thread.join(120)
    app.run()
    assert_clean(app)
    assert job.error is None and "complete" in app.success[0].value
    indices = app.dataframe[0].value
    assert {str(labels.output(o)) for o in ("equity_gap", "dc_open", "cost_per_person")} <= set(indices["Output"])
    assert set(indices["Parameter"]) == {str(labels.parameter(p)) for p in ("choice.beta_burden",
                                                                            "councils.*.support.capacity")}
    assert charts(app) == 1
    noisy = sensitivity.noise_warnings(job.result.indices)  # the page warns exactly when the indices call for it
    assert [w.value for w in app.warning if "cannot be told from noise" in w.value] == [
        "Some indices cannot be told from noise at N = 2 with 1 replication(s) per point; a larger N or more "
        "replications per point narrows the intervals:\n\n" + "\n".join(f"- {line}" for line in noisy)] * bool(noisy)

    fresh = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60).run()
    fresh.switch_page("sensitivity.py").run()
    assert_clean(fresh)
    assert "sensitivity:job" not in fresh.session_state  # reloaded from the store, nothing started
    pd.testing.assert_frame_equal(fresh.dataframe[0].value, indices)


def test_sensitivity_study_can_be_cancelled(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    release, reported = threading.Event(), threading.Event()
    real = sensitivity.run_study

    def held(*args: Any, progress: ProgressFn, **kwargs: Any) -> Study:
        """The real study, whose progress reports wait for the test (so it is still running when Cancel is hit)."""

        def gated(done: int, total: int) -> None:
            progress(done, total)
            reported.set()
            release.wait(60)

        return real(*args, progress=gated, **kwargs)

    monkeypatch.setattr(sensitivity, "run_study", held)  # the page imports it when it runs
    start_study(app, people=50, n=20)  # 60 runs in 4 chunks
    job = app.session_state["sensitivity:job"]
    assert job.running and app.button(key="sensitivity:cancel")  # progress and Cancel while it runs
    assert reported.wait(120)  # a first chunk has finished (on a busy machine the thread may start late)
    app.button(key="sensitivity:cancel").click().run()
    assert job.cancel.is_set()
    release.set()
    job.thread.join(120)
    app.run()
    assert_clean(app)
    assert job.result is not None and job.result.manifest["status"] == "cancelled"
    assert 0 < len(job.result.results) < 60
    assert any("not complete" in w.value for w in app.warning)


def test_bad_sensitivity_bounds_are_refused(app: AppTest) -> None:
    app.switch_page("sensitivity.py").run()
    app.checkbox(key="sensitivity:own_n").check().run()
    set_params(app, {"choice.beta_burden:high": 99.0})
    assert any("bounds [1.5, 99] leave the documented range 0 to 10" in e for e in errors(app))
    assert not [b for b in app.button if b.key == "sensitivity:start"]
    set_params(app, {"n:morris": 0, "choice.beta_burden:high": 4.5})
    assert_clean(app)
    assert errors(app)


def test_studies_above_the_limits_are_refused_with_the_estimate_shown(app: AppTest,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    app.switch_page("sensitivity.py").run()
    app.checkbox(key="sensitivity:own_n").check().run()
    set_params(app, {"n:morris": 4})
    design = "16 design points × 5 replication(s) of 2,000 people over 120 months"
    assert any(c.value.startswith(design) for c in app.caption)  # Morris N = 4, 3 parameters
    assert any(c.value.startswith("Estimate: about 80 runs, about ") and "MB per worker" in c.value
               for c in app.caption)
    monkeypatch.setenv("CARECON_MAX_STUDY_RUNS", "50")
    set_params(app, {"run.replications": 1, "n:morris": 15})  # 15 trajectories x (3 + 1) points
    assert errors(app) == ["study: about 60 runs is above this dashboard's limit of 50 runs (choose a smaller N, "
                           "fewer parameters or replications, or raise CARECON_MAX_STUDY_RUNS where the server is "
                           "started)"]
    assert "sensitivity:start" not in [b.key for b in app.button]
    app.radio(key="sensitivity:method").set_value("sobol").run()
    set_params(app, {"n:sobol": 2**20})  # the 1,048,576: above the default limit on N
    assert errors(app) == ["N: 1,048,576 is above this dashboard's limit of 1,024 (raise it with CARECON_MAX_N "
                           "where the server is started)"]
    assert "sensitivity:start" not in [b.key for b in app.button]
    monkeypatch.setenv("CARECON_MAX_STUDY_RUNS", "5000")
    set_params(app, {"n:sobol": 16})
    assert errors(app) == [] and app.button(key="sensitivity:start")


# ------------------------------------------------------------------------------------ worker processes
@dataclass(frozen=True)
class GatedTarget(ScenarioTarget):
    """The model, each run leaving a marker file when it starts and then waiting for ``gate/release``."""

    gate: str = ""

    def evaluate(self, params: dict[str, Any], seeds: list[np.random.SeedSequence]) -> dict[str, float]:
        gate = Path(self.gate)
        (gate / f"started-{os.getpid()}-{time.monotonic_ns()}").touch()
        while not (gate / "release").exists():
            time.sleep(0.05)
        return super().evaluate(params, seeds)


def worker_processes() -> list[psutil.Process]:
    """This process's pool workers."""
    return workers_of(os.getpid())


def wait_for(condition: Callable[[], bool], seconds: float = 300) -> None:
    """Wait until ``condition()`` (a pool starting on a loaded machine may take a while)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.2)


@pytest.mark.slow
def test_cancel_ends_the_study_s_workers_and_no_run_starts_after_it(app: AppTest, monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    gate.mkdir()
    started = lambda: len(list(gate.glob("started-*")))  # noqa: E731
    real = sensitivity.run_study
    monkeypatch.setattr(sensitivity, "run_study", lambda target, *args, **kwargs: real(
        GatedTarget(target, gate=str(gate)), *args, **kwargs))  # the page imports it when it runs
    monkeypatch.setenv("CARECON_EXECUTOR", "local")
    monkeypatch.setenv("CARECON_WORKERS", "1000")  # more than any machine's cores: capped at the cores
    start_study(app, people=50, n=20)  # 60 runs, chunks of 2 on 2 cores
    job = app.session_state["sensitivity:job"]
    busy = min(os.cpu_count() or 1, 60)
    wait_for(lambda: started() >= busy)  # every worker holds a run
    workers = worker_processes()
    assert 0 < len(workers) <= (os.cpu_count() or 1)  # a page asking for 1000 workers gets at most the cores
    app.button(key="sensitivity:cancel").click().run()
    at_cancel = started()
    (gate / "release").touch()  # a worker still alive would now finish its run and start the next
    _, alive = psutil.wait_procs(workers, timeout=60)
    assert not alive
    job.thread.join(120)
    app.run()
    assert_clean(app)
    assert started() == at_cancel  # no run started after Cancel
    study = job.result
    assert study is not None and study.manifest["status"] == "cancelled", job.error
    assert not list((study.path / RESULTS).glob("*.parquet")) and study.results.empty  # no chunk finished
    # The page's next load may start a fresh pool for the next run: none of the study's workers.
    assert not {p.pid for p in workers} & {p.pid for p in worker_processes()}
    assert len(worker_processes()) <= (os.cpu_count() or 1)
    assert any("not complete" in w.value for w in app.warning)


@pytest.mark.slow
def test_leaving_a_run_ends_its_worker_processes(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run interrupted (Cancel, Stop, the page left or closed: here AppTest stopping the script) ends its
    workers; the next run starts a fresh pool."""
    monkeypatch.setenv("CARECON_EXECUTOR", "local")
    monkeypatch.setenv("CARECON_MAX_PEOPLE", "300000")
    app.run()
    COMPUTE.pool()  # started when the page loaded; wait until it is ready
    workers = worker_processes()
    assert 0 < len(workers) <= (os.cpu_count() or 1)
    set_params(app, {"run.people": 300_000, "run.months": 600, "run.replications": 2})  # minutes of work
    with pytest.raises(RuntimeError, match="timed out"):
        app.button(key="scenario:run").click().run(timeout=20)
    _, alive = psutil.wait_procs(workers, timeout=60)
    assert not alive and COMPUTE.worker_pids() == []


@pytest.mark.slow
def test_a_settings_change_replaces_the_pool_and_its_workers_exit(app: AppTest,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARECON_EXECUTOR", "local")
    app.run()
    COMPUTE.pool()  # started when the page loaded; wait until it is ready
    first = worker_processes()
    assert len(first) == os.cpu_count()  # CARECON_WORKERS defaults to the cores
    monkeypatch.setenv("CARECON_WORKERS", "1")
    app.run()  # the next page load replaces the pool
    COMPUTE.pool()
    _, alive = psutil.wait_procs(first, timeout=60)
    assert not alive and len(worker_processes()) == 1


# ------------------------------------------------------------------------------------ labels
#: Words of the pages' own controls (not names of parameters or outputs, which come from model.metrics.labels).
CONTROLS = {"Scenario", "Upload a scenario (TOML)", "Table", "Scenarios (the first is the reference)", "Outcome",
            "Figure", "By", "Parameters", "Method", "Seed", "Outputs analysed", "Time you allow (minutes)",
            "Set N myself", "Include parameter uncertainty (calibrated posterior)",
            "Study (reloaded from the store; nothing is recomputed)", "What-ifs", "Variant", "Council",
            "Upload your centres (CSV)"}
#: Labels generated from code that the pages once showed.
FORBIDDEN = ("Ras rate", "People · people", "first_come", "most_deprived", "dc_open", "Months · months")
IDENTIFIER = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b|\b[a-z]+\.[a-z_]+\.[a-z_.*]+\b")


def rendered_labels(at: AppTest) -> list[str]:
    """The labels a page shows for parameters, figures and outputs: its widgets' labels (without the allowed
    range), the options of figure and output choosers as formatted, its metrics and its table headers."""
    out = [w.label.split(" · allowed ")[0] for kind in ("number_input", "selectbox", "multiselect", "checkbox",
                                                         "radio") for w in at.get(kind)]
    out += [m.label for m in at.metric]
    for w in [*at.multiselect, *at.selectbox, *at.radio]:
        if w.label in ("Parameters", "Outputs analysed", "Figure", "Outcome"):
            out += [str(o) for o in w.options]
    return out


def table_headers(at: AppTest) -> list[str]:
    """The column names (and named index) of every table the page shows."""
    return [str(c) for d in at.dataframe for c in [*d.value.columns, d.value.index.name] if c is not None]


def chart_titles(at: AppTest) -> list[str]:
    """Every title (chart, axis, legend, tooltip) in the page's Vega-Lite specifications."""
    return [t for chart in at.get("vega_lite_chart") for t in spec_titles(json.loads(chart.proto.spec))]


def spec_titles(spec: dict) -> list[str]:
    """Every title and subtitle line in one Vega-Lite specification."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("title", "subtitle") and isinstance(value, str | list):
                    found.extend([value] if isinstance(value, str) else [str(v) for v in value])
                elif key == "title" and isinstance(value, dict):
                    found.append(str(value.get("text", "")))
                    walk(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec)
    return found


def test_every_label_comes_from_the_registry_with_its_unit(app: AppTest) -> None:
    """Each page, run: every label of a parameter, figure or output is the registry's (model.metrics.labels)
    with its unit; no label is a code identifier or a key reworded; chart titles hold no identifier."""
    known = labels.known()
    run_small(app)
    pages = {"scenario": app}
    app.switch_page("compare.py").run()
    set_params(app, {"run.people": 300, "run.replications": 2})
    app.button(key="compare:run").click().run()
    pages["compare"] = app
    seen: list[str] = []
    seen_headers: list[str] = []
    for page in ("scenario.py", "compare.py", "equity.py", "sensitivity.py", "forecast.py"):
        app.switch_page(page).run()
        if page == "forecast.py":  # the council's own centres and the stylised forecast, both run
            set_params(app, {"run.people": 300, "run.replications": 2})
            app.button(key="forecast:centres_run").click().run()
            app.button(key="forecast:run").click().run()
        if page == "equity.py":  # the Compare page's comparison, found in the cache both pages share: no Run
            app.selectbox(key="equity:scenario").set_value("targeted_support").run()
            app.selectbox(key="equity:comparator").set_value("sds_rollout").run()
            set_params(app, {"run.people": 300, "run.replications": 2})
            assert not any("Press **Run**" in i.value for i in app.info)
        assert_clean(app)
        shown = rendered_labels(app)
        seen += shown
        headers = [h for h in table_headers(app) if h not in list_scenarios()]  # a scenario's name heads its column
        seen_headers += headers
        odd = [h for h in headers if h not in known]
        assert not odd, f"{page}: table headers not in the registry: {odd}"
        strange = [t for t in shown if t not in known and t not in CONTROLS and not t.startswith("N: ")
                   and not t.startswith(("low: ", "high: "))]
        assert not strange, f"{page}: labels not in the registry: {strange}"
        bounds = [t.split(": ", 1)[1] for t in shown if t.startswith(("low: ", "high: "))]
        assert set(bounds) <= known, page
        text = " ".join(shown + headers + chart_titles(app) + [m.value for m in app.metric])
        assert not [f for f in FORBIDDEN if f in text], page
        assert not IDENTIFIER.findall(" ".join(shown + headers + chart_titles(app))), page
    # The units are there: money in £ per month, shares as shares, and each parameter's own unit.
    assert "Cost to society (£/month)" in seen and "Resource allocation rate (£ per point per month)" in seen
    assert "Brokerage capacity (people per 1000 per month)" in seen
    assert {"Difference (pp)", "95% interval (pp)", "Paired replications (runs)"} <= set(seen_headers)
    assert {"Centres closed by the horizon (mean)", "Closes within the forecast", "Places a day"} <= set(seen_headers)


def test_label_registry() -> None:
    assert str(labels.parameter("councils.3.support.capacity")) == "Brokerage capacity (people per 1000 per month)"
    assert str(labels.parameter("run.months")) == "Months simulated"  # the unit is in the name: not repeated
    assert labels.choice("councils.0.support.targeting", "first_come") == "first come, first served"
    assert str(labels.output("society_cost")) == "Cost to society (£/month)"
    assert labels.output("cost_per_person").format(1234.4) == "£1,234"
    assert labels.output("share_option1").format(float("nan")) == "no one"
    with pytest.raises(KeyError, match="no label"):
        labels.parameter("demography.under40_share")
    # Table headers: a column in an outcome's unit takes it; differences of shares are in percentage points.
    assert str(labels.header("difference", "met_need")) == "Difference (pp)"
    assert str(labels.header("interval", "society_cost")) == "95% interval (£/month)"
    assert str(labels.header("comparator_mean", "wellbeing")) == "Comparator mean (score 0–1)"
    assert str(labels.header("difference")) == "Difference"
    assert {"Difference (pp)", "Paired replications (runs)"} <= labels.known()


def test_an_analysts_client_numbers_set_the_people_and_their_mix() -> None:
    """Clients by client group and by deprivation quintile: the council simulates them one for one, with
    their shares as its mix; counts that do not add up, or are negative, are refused in one line."""
    import own_centres as forecast

    base = load_scenario("sds_rollout")
    groups, quintiles = forecast.clients_of(base, 0)
    assert groups[labels.CLIENT_HEADERS["clients"]].sum() == base.run.people  # the stylised mix, as shown
    groups[labels.CLIENT_HEADERS["clients"]] = [600, 200, 150, 50]
    quintiles[labels.CLIENT_HEADERS["clients"]] = [400, 250, 150, 100, 100]
    s = forecast.with_clients(base, 0, groups, quintiles, 0.5)
    assert s.run.people == 1000 and s.demography.group_mix == [0.6, 0.2, 0.15, 0.05]
    assert s.councils[0].deprivation == [0.4, 0.25, 0.15, 0.1, 0.1] and s.demography.over65_share_other_groups == 0.5
    quintiles[labels.CLIENT_HEADERS["clients"]] = [400, 250, 150, 100, 300]
    with pytest.raises(ScenarioError, match="must add up to the clients by client group") as err:
        forecast.with_clients(base, 0, groups, quintiles, 0.5)
    assert "\n" not in str(err.value)
    groups[labels.CLIENT_HEADERS["clients"]] = [600, -1, 150, 50]
    with pytest.raises(ScenarioError, match="at least 0"):
        forecast.with_clients(base, 0, groups, quintiles, 0.5)


def test_forecast_of_a_councils_own_centres(app: AppTest) -> None:
    """The analyst's centres (the example's three) forecast centre by centre; a cost raised in the table
    re-forecasts and the before/after table shows both; a bad value is named in the table's words."""
    import own_centres as forecast

    app.switch_page("forecast.py").run()
    set_params(app, {"run.people": 300, "run.replications": 2})
    assert any("Forecast these centres" in i.value for i in app.info)
    app.button(key="forecast:centres_run").click().run()
    assert_clean(app)
    summary_table = next(d.value for d in app.dataframe if "Median closure" in getattr(d.value, "columns", []))
    assert list(summary_table["Centre"]) == sorted(forecast.EXAMPLE["Centre"])
    assert charts(app) == 3
    base = load_scenario("sds_rollout", {"run.people": 300, "run.replications": 2})
    raised = forecast.EXAMPLE.assign(**{"Fixed cost (£ a month)": [11000.0, 20000.0, 9000.0]})
    named = forecast.with_centres(base, 0, raised)
    assert named.councils[0].day_centres[1].fixed_cost == 20000.0 and named.councils[0].adults == round(
        300 / base.demography.known_per_1000_adults * 1000)
    with pytest.raises(ScenarioError, match=r"row 2 \(Hillview Day Service\), 'Places a day'"):
        forecast.with_centres(base, 0, raised.assign(**{"Places a day": [30, 0, 24]}))
    with pytest.raises(ScenarioError, match="missing the column 'Run by'"):
        forecast.read_centres(raised.drop(columns="Run by").to_csv(index=False).encode(), "mine.csv")


def test_time_charts_mark_when_the_offer_starts() -> None:
    """A band chart given the rollout's start month draws a dashed rule there (in years) with its label."""
    import shared

    frame = pd.DataFrame({"replication": [0, 0, 1, 1], "month": [1, 2, 1, 2], "met_need": [0.5, 0.6, 0.55, 0.65]})
    spec = shared.band_chart([("x", frame, "met_need")], "share", "Met need",
                             start=shared.rollout_start(load_scenario("sds_rollout"))).to_dict()
    marks = [layer for layer in spec["layer"] if layer.get("mark", {}).get("type") in ("rule", "text")]
    assert len(marks) == 2
    values = next(d for d in spec.get("datasets", {}).values() if d and "text" in d[0])
    assert values == [{"years": 0.5, "text": "offer starts"}]  # sds_rollout's offer starts in month 6
