"""Calibration targets: the committed file, its checks, and the implausibility of a run against them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from model import load_scenario
from model.experiments import targets as tg
from model.run.simulation import RunResult
from model.scenario import ScenarioError


def test_the_committed_targets_load_and_fit_the_calibration_run():
    targets = tg.load_targets()
    roles = {t.role for t in targets.target}
    assert roles == {"calibrate", "validate"}
    assert {t.figure for t in targets.target} <= tg.reference_ids()
    tg.check_windows(targets, load_scenario(targets.scenario))  # every window inside the run
    table = targets.table()
    assert (table["tolerance"] > 0).all()


def _write(tmp_path, body: str):
    path = tmp_path / "targets.toml"
    path.write_text('scenario = "calibration"\ncutoff = 3.0\n' + body)
    return path


GOOD = """[[target]]
id = "a"
figure = "sco_option_share_2014"
output = "sds_option1"
window = ["2014-04", "2015-03"]
observed = 0.13
sd = 0.02
discrepancy_sd = 0.01
role = "calibrate"
"""


@pytest.mark.parametrize(("change", "message"), [
    (('output = "sds_option1"', 'output = "no_such_column"'), "target.0.output: .*not a monthly output"),
    (('window = ["2014-04", "2015-03"]', 'window = ["2015-03", "2014-04"]'), "target.0.window"),
    (('window = ["2014-04", "2015-03"]', 'window = ["2014-13", "2015-03"]'), "target.0.window"),
    (("sd = 0.02", "sd = 0.0"), "target.0.sd"),
    (("sd = 0.02", "sd = nan"), "target.0.sd"),
    (('role = "calibrate"', 'role = "fit"'), "target.0.role"),
    (('figure = "sco_option_share_2014"', 'figure = "made_up"'), "figure 'made_up' is not in"),
])
def test_a_bad_target_is_refused_in_one_line_naming_the_field(tmp_path, change, message):
    with pytest.raises(ScenarioError, match=message) as err:
        tg.load_targets(_write(tmp_path, GOOD.replace(*change)))
    assert "\n" not in str(err.value)


def test_repeated_ids_and_windows_outside_the_run_are_refused(tmp_path):
    with pytest.raises(ScenarioError, match="unique"):
        tg.load_targets(_write(tmp_path, GOOD + GOOD))
    late = tg.load_targets(_write(tmp_path, GOOD.replace('["2014-04", "2015-03"]', '["2030-04", "2031-03"]')))
    with pytest.raises(ScenarioError, match="outside the run of calibration"):
        tg.check_windows(late, load_scenario("calibration"))


def test_implausibility_of_a_hand_made_run(tmp_path):
    """Two replications whose output averages 0.1 and 0.3 over the window (and other values outside
    it): model mean 0.2, replication variance 0.02 / 2 = 0.01; against 0.5 with sd 0.3 and no
    discrepancy, I = 0.3 / sqrt(0.09 + 0.01)."""
    targets = tg.load_targets(_write(tmp_path, GOOD.replace("observed = 0.13", "observed = 0.5")
                                     .replace("sd = 0.02", "sd = 0.3").replace("discrepancy_sd = 0.01",
                                                                                 "discrepancy_sd = 0.0")))
    dates = pd.date_range("2014-01-01", periods=18, freq="MS")
    inside = (dates >= "2014-04-01") & (dates <= "2015-03-01")
    frames = []
    for rep, level in enumerate((0.1, 0.3)):
        values = np.where(inside, level, 5.0)
        values[3] = np.nan  # a month with nobody behind the figure is left out, not counted as 0
        frames.append(pd.DataFrame({"replication": rep, "month": range(1, 19), "date": dates, "sds_option1": values}))
    result = RunResult(pd.concat(frames, ignore_index=True), *(pd.DataFrame() for _ in range(4)))
    row = tg.fit(result, targets).iloc[0]
    assert row["model"] == pytest.approx(0.2)
    assert row["implausibility"] == pytest.approx(0.3 / math.sqrt(0.09 + 0.01))
    assert row["reproduced"]
    assert row["tolerance"] == pytest.approx(0.9)


def test_sds_shares_count_only_the_offered_and_equal_the_option_shares_once_everyone_is():
    """Before the offer there are no SDS clients (missing, not 0); once everyone has been offered the
    choice, SDS clients are everyone with a package."""
    from model.run.simulation import simulate

    s = load_scenario("sds_rollout", {"run.people": 400, "run.months": 48, "councils.0.rollout.start_month": 3,
                                      "councils.0.rollout.duration_months": 12})
    m = simulate(s, 1).monthly
    assert m.loc[m["month"] <= 3, "sds_option1"].isna().all()
    full = m[m["offered_share"] == 1.0]
    assert len(full) > 12
    for j in (1, 2, 3, 4):
        np.testing.assert_allclose(full[f"sds_option{j}"], full[f"share_option{j}"], rtol=1e-12)
    partial = m[(m["offered_share"] > 0.2) & (m["offered_share"] < 0.8)]
    np.testing.assert_allclose(partial[[f"sds_option{j}" for j in (1, 2, 3, 4)]].sum(axis=1), 1.0)
    assert (partial["sds_option3"] < partial["share_option3"]).all()  # the not yet offered are all on Option 3


def test_carecon_targets_runs_the_calibration_scenario_and_writes_the_table(tmp_path):
    from tests.test_cli import invoke

    code, out, err = invoke(["targets", "--people", "400", "--replications", "2", "--executor", "serial", "--quiet",
                             "--out", str(tmp_path / "t")])
    assert code == 0, err
    table = pd.read_csv(tmp_path / "t" / "targets.csv")
    assert list(table["target"]) == [t.id for t in tg.load_targets().target]
    assert (table["replications"] == 2).all()
    assert "calibrate:" in out and "validate:" in out


def test_carecon_targets_refuses_a_bad_targets_file_in_one_line(tmp_path):
    from tests.test_cli import assert_refused

    assert_refused(["targets", "--targets", str(_write(tmp_path, GOOD.replace("sd = 0.02", "sd = -1"))),
                    "--executor", "serial"], "target.0.sd")


def test_a_calibration_target_reports_the_window_means_of_its_replications():
    """What a study stores at a design point is what ``fit`` reads from the same runs."""
    from model.experiments.sensitivity import run_seeds
    from model.experiments.targets import CalibrationTarget

    targets = tg.load_targets()
    scenario = load_scenario(targets.scenario, {"run.people": 120})
    target = CalibrationTarget(scenario, targets=targets)
    assert target.analysed == tuple(t.id for t in targets.target if t.role == "calibrate")
    seeds = run_seeds(5, "common", 0, 2)
    got = target.evaluate({"choice.beta_peer": 2.0}, seeds)
    runs = [simulate_one(scenario.with_overrides({"choice.beta_peer": 2.0}), ss) for ss in seeds]
    for t in targets.target:
        values = [tg.window_means(r, t).iloc[0] for r in runs]
        assert got[t.id] == pytest.approx(np.mean(values), nan_ok=True)
        assert got[f"{t.id}_var"] == pytest.approx(np.var(values, ddof=1), nan_ok=True)


def simulate_one(scenario, seed):
    from model.run.simulation import simulate

    return simulate(scenario, seed).monthly


def test_a_screening_against_the_targets_runs_as_a_study(tmp_path):
    from tests.test_cli import invoke

    space = tmp_path / "space.toml"
    space.write_text('name = "two"\n[parameters]\n"choice.beta_peer" = { low = 0.5, high = 3.0 }\n'
                     '"demography.over65_share_other_groups" = { low = 0.2, high = 0.6 }\n')
    code, out, err = invoke(["sensitivity", "calibration", "--space", str(space), "--method", "morris", "--n", "2",
                             "--targets", "--people", "80", "--executor", "serial", "--quiet", "--no-figures",
                             "--store", str(tmp_path / "studies")])
    assert code == 0, err
    assert "aged65_2016:" in out and "option3_2020" not in out  # calibration targets only, never validation
    code, _, err = invoke(["sensitivity", "ishigami", "--method", "morris", "--n", "2", "--targets",
                           "--executor", "serial"])
    assert code == 2 and "--targets" in err


def test_the_monthly_table_alone_is_the_run_s_monthly_table():
    from model.run.simulation import simulate, simulate_monthly

    s = load_scenario("calibration", {"run.people": 100, "run.months": 30})
    pd.testing.assert_frame_equal(simulate_monthly(s, 4), simulate(s, 4).monthly)
