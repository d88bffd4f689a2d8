"""The day-centre decline taken apart into choice and run-down (:mod:`model.experiments.dc_decline`)."""

from __future__ import annotations

import numpy as np
import pytest

from model.engines import CareEconomy
from model.experiments import dc_decline
from model.scenario import load_scenario
from tests.conftest import shrink


def test_each_configuration_pulls_only_its_lever():
    """Choice only keeps the block contracts and offers every option; run-down only runs them down
    and offers Option 3 alone; the scenario does both; two leave the run-down to the council's
    reviews of occupancy; the mixed-packages ones are three of those with providers.top_up."""
    base = load_scenario("sds_rollout")
    levers = {"choice and run-down (sds_rollout)": (False, True, False), "choice only": (True, True, False),
              "run-down only": (False, False, False), "neither": (True, False, False),
              "choice, run-down by occupancy": (False, True, True), "run-down by occupancy only": (False, False, True)}
    for name, overrides in dc_decline.CONFIGURATIONS.items():
        s = base.with_overrides(overrides)
        c = s.councils[0]
        keeps = c.commissioning.block_retention == 1.0
        choice = c.rollout.options == [1, 2, 3, 4]
        by_decision = c.commissioning.rundown == "occupancy"
        mixed = name.endswith(", mixed packages")
        assert (keeps, choice, by_decision) == levers[name.removesuffix(", mixed packages")], name
        assert s.providers.top_up == mixed, name
        assert c.rollout.offer and c.rollout.start_month == base.councils[0].rollout.start_month


@pytest.mark.parametrize("name", ["choice only", "run-down only"])
def test_the_levers_act_in_a_run(name):
    """In a short run the run-down only configuration runs the block share down with everyone on
    Option 3; choice only moves people off Option 3 with the block share kept."""
    s = shrink("sds_rollout", 300, 36, **dc_decline.CONFIGURATIONS[name])
    m = CareEconomy(s, seed=2)
    m.run()
    block, option = float(m.block_shares()[0]), m.people.option[: m.people.n]
    on_package = option[m.people.alive[: m.people.n] & (option > 0)]
    start = s.councils[0].commissioning.block_share
    if name == "run-down only":
        assert block < start and (on_package == 3).all()
    else:
        assert block == pytest.approx(start) and (on_package != 3).any()


def test_decompose_reports_every_configuration_and_prints_a_table():
    table = dc_decline.decompose(people=150, months=48, replications=2, seed=3)
    mixed = [name for name in dc_decline.CONFIGURATIONS if name.endswith("mixed packages")]
    assert table["configuration"].tolist() == ["baseline", *[n for n in dc_decline.CONFIGURATIONS if n not in mixed],
                                               "baseline, mixed packages", *mixed]
    for name in ("baseline", "baseline, mixed packages"):  # each baseline against itself, replication by replication
        assert table.set_index("configuration").loc[name, "last year vs baseline, %"] == (0.0, 0.0, 0.0)
    assert table.iloc[-4]["last year"] != table.iloc[0]["last year"]  # the mixed baseline is its own run
    for column in table.columns[1:]:
        mean, low, high = np.array(table[column].tolist()).T
        assert (low <= mean + 1e-9).all() and (mean <= high + 1e-9).all()
    text = dc_decline.markdown(table)
    assert text.count("\n") == len(dc_decline.CONFIGURATIONS) + 3 and "| run-down only |" in text


def test_bad_sizes_are_refused_in_one_line(capsys):
    with pytest.raises(SystemExit):
        dc_decline.main(["--people", "5"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "run.people" in err and "Traceback" not in err
