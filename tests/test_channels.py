"""The decomposition of the deprivation gaps by channel (:mod:`model.experiments.channels`)."""

from __future__ import annotations

import numpy as np
import pytest

from model.experiments import channels
from model.scenario import load_scenario


def test_each_configuration_switches_on_exactly_its_channels():
    base = load_scenario("sds_rollout")
    configs = channels.configurations()
    assert list(configs) == ["all off", *(f"{c} alone" for c in channels.CHANNELS), "all on"]
    for name, on in configs.items():
        d = channels.with_channels(base, on, 500, 60).demography
        switches = {c: getattr(d, f"deprivation_{c}") for c in channels.CHANNELS}
        assert switches == {c: c in on for c in channels.CHANNELS}, name
        assert d.need_prevalence_ratio == base.demography.need_prevalence_ratio  # gradients untouched


def test_interval_is_the_student_t_interval_of_the_mean():
    mean, low, high = channels.interval(np.array([1.0, 2.0, 3.0]), level=0.90)
    assert mean == 2.0
    assert high - mean == pytest.approx(2.919986 / np.sqrt(3), rel=1e-6)  # t(0.95, 2 df) x sd 1 / sqrt(3)
    assert mean - low == pytest.approx(high - mean)
    assert channels.interval(np.array([0.5])) == (0.5, 0.5, 0.5)


def test_decompose_reports_every_configuration_and_gap_and_prints_a_table():
    table = channels.decompose("sds_rollout", people=150, months=48, replications=2, seed=3)
    assert len(table) == len(channels.configurations()) * len(channels.GAPS)
    assert (table["low"] <= table["mean"]).all() and (table["mean"] <= table["high"]).all()
    text = channels.markdown(table)
    assert text.count("\n") == len(channels.configurations()) + 1
    assert "| all off |" in text and "| confidence alone |" in text and "direct-payment gap" in text


def test_bad_sizes_are_refused_in_one_line(capsys):
    with pytest.raises(SystemExit):
        channels.main(["--scenario", "sds_rollout", "--people", "5"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "run.people" in err and "Traceback" not in err


@pytest.mark.slow
def test_the_direct_payment_gap_vanishes_with_every_channel_off_and_the_confidence_channel_makes_one():
    """In ``sds_rollout`` the direct-payment gap Q5 - Q1 at month 120 is within noise of zero with every
    deprivation channel off, and clearly positive with the confidence channel alone (the mechanism
    makes the gap; switched off, the gap goes)."""
    table = channels.decompose("sds_rollout", people=2000, months=120, replications=4, seed=7)
    dp = table[table["gap"] == channels.GAPS["gap_option1"]].set_index("configuration")
    width = (dp["high"] - dp["low"]) / 2
    assert abs(dp.loc["all off", "mean"]) < 2 * width["all off"], dp.loc["all off"]
    assert dp.loc["confidence alone", "low"] > 0.0, dp.loc["confidence alone"]
