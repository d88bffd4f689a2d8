"""The calibration report: the held-out check on simulators whose answer is known, the posterior
predictive variance, and the command's input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.experiments.report import Report, held_out, read_findings
from model.experiments.targets import Targets, fit, load_targets
from model.run.simulation import RunResult
from tests.test_cli import assert_refused


def _targets(*specs: tuple[str, str, float, float]) -> Targets:
    return Targets(scenario="calibration", cutoff=3.0, target=[
        {"id": i, "figure": "sco_option_share_2014", "output": "sds_option1", "window": ["2014-04", "2015-03"],
         "observed": observed, "sd": sd, "discrepancy_sd": 0.0, "role": role} for i, role, observed, sd in specs])


def test_held_out_finds_a_target_the_others_imply_and_one_they_contradict():
    """Outputs a = x, b = x and c = 1 - x on x in [0, 1]. a = 0.5 and b = 0.5 (sd 0.02) leave x near
    0.5 and imply each other; there c is 0.5 too, so c observed at 0.5 is predicted and c observed
    at 0.9 is contradicted (share reproduced 0)."""
    x = np.linspace(0, 1, 25)[:, None]
    means = np.column_stack([x[:, 0], x[:, 0], 1 - x[:, 0], 1 - x[:, 0]])
    targets = _targets(("a", "calibrate", 0.5, 0.02), ("b", "calibrate", 0.5, 0.02),
                       ("c_ok", "validate", 0.5, 0.02), ("c_far", "validate", 0.9, 0.02))
    table = held_out(x, means, None, targets, replications=2, seed=1).set_index("target")
    assert table.loc["a", "space_left"] == pytest.approx(0.12, abs=0.02)  # |x - 0.5| <= 3 x 0.02
    assert table.loc["a", "share_reproduced"] > 0.95 and table.loc["b", "share_reproduced"] > 0.95
    assert table.loc["c_ok", "share_reproduced"] > 0.95
    assert table.loc["c_far", "share_reproduced"] == 0.0
    assert 0.4 < table.loc["c_far", "p05"] < table.loc["c_far", "p95"] < 0.6


def test_a_posterior_predictive_fit_counts_the_whole_spread_of_the_replications():
    """Window means 0.4 and 0.6 (mean 0.5, variance 0.02) against 0.7 with sd 0.05: at fixed
    parameters the mean's variance 0.01 counts, I = 0.2 / sqrt(0.0025 + 0.01); predictive, the whole
    0.02, I = 0.2 / sqrt(0.0025 + 0.02)."""
    monthly = pd.DataFrame({"replication": [0, 1], "date": ["2014-06-01", "2014-06-01"], "month": [3, 3],
                            "sds_option1": [0.4, 0.6]})
    result = RunResult(monthly, pd.DataFrame(), pd.DataFrame())
    targets = _targets(("a", "calibrate", 0.7, 0.05))
    assert fit(result, targets)["implausibility"].iloc[0] == pytest.approx(0.2 / np.sqrt(0.0125))
    assert fit(result, targets, predictive=True)["implausibility"].iloc[0] == pytest.approx(0.2 / np.sqrt(0.0225))


def test_a_missed_target_is_listed_with_its_recorded_reason():
    targets = load_targets()
    defaults = pd.DataFrame([{"target": t.id, "role": t.role, "window": "", "observed": t.observed, "tolerance": 0.1,
                              "model": t.observed, "p05": 0.0, "p95": 1.0, "implausibility": 0.0,
                              "reproduced": t.id != "option3_2020"} for t in targets.target])
    held = pd.DataFrame([{"target": t.id, "role": t.role, "check": "left out", "observed": t.observed,
                          "space_left": 0.5, "p05": 0.0, "p95": 1.0, "share_reproduced": 0.5} for t in targets.target])
    findings = read_findings()
    report = Report(targets, {"command": "carecon report", "people": 100, "replications": 4, "posterior": None,
                              "points": 9, "space": "calibration", "design_replications": 2},
                    defaults, None, held, findings)
    assert list(report.missed()["target"]) == ["option3_2020"]
    text = report.markdown()
    assert findings["option3_2020"] in text and "**not reproduced**" in text
    assert "No posterior was given." in text and "<h2>4. Not reproduced</h2>" in report.html()


@pytest.mark.parametrize(("flags", "field"), [
    (["--replications", "5"], "--replications"), (["--points", "3"], "--points"),
    (["--space", "no/such.toml"], "space"), (["--posterior", "no/such.csv"], "ensemble"),
])
def test_a_bad_report_request_is_refused_in_one_line(tmp_path, flags, field):
    assert_refused(["report", "--people", "300", "--store", str(tmp_path / "s"), "--out", str(tmp_path / "o"),
                    "--executor", "serial", "--quiet", *flags], field)
    assert not (tmp_path / "s").exists()  # refused before any run


def test_a_wide_predictive_range_that_misses_the_target_does_not_reproduce_it():
    """Window means 0.1 and 0.5: the predictive variance 0.08 makes I = |0.3 - 0.9| / sqrt(0.0025 +
    0.08) = 2.09, within the cutoff 3, but the 5-95 % range (0.12 to 0.48) does not reach 0.9 within
    its tolerance 3 x 0.05 = 0.15, so the target is not reproduced; observed at 0.6 it is reached."""
    monthly = pd.DataFrame({"replication": [0, 1], "date": ["2014-06-01", "2014-06-01"], "month": [3, 3],
                            "sds_option1": [0.1, 0.5]})
    result = RunResult(monthly, pd.DataFrame(), pd.DataFrame())
    far = fit(result, _targets(("a", "calibrate", 0.9, 0.05)), predictive=True).iloc[0]
    assert far["implausibility"] == pytest.approx(0.6 / np.sqrt(0.0825)) and not far["reproduced"]
    near = fit(result, _targets(("a", "calibrate", 0.6, 0.05)), predictive=True).iloc[0]
    assert near["reproduced"]
