"""Where a closed centre's attendees go (model.experiments.displacement), against keeping it open."""

from __future__ import annotations

import pytest

from model.experiments import displacement
from model.scenario import ScenarioError, load_scenario


@pytest.fixture(scope="module")
def small():
    """close_day_centre at 600 people (adults scaled so that one simulated person is one real one),
    Riverside closed in month 10 of 24."""
    return load_scenario("close_day_centre", {
        "run.people": 600, "run.months": 24, "run.burn_in_months": 0, "councils.0.adults": 11_550,
        "councils.0.rollout.start_month": 2, "councils.0.rollout.duration_months": 12,
        "councils.0.day_centres.0.close_month": 10})


def test_the_same_people_are_followed_in_both_arms_and_all_are_placed(small):
    study = displacement.closure_study(small, after=6, replications=2, seed=4)
    closed, kept = (study[study.arm == arm].set_index("replication") for arm in ("closed", "kept open"))
    assert (closed["attendees"] == kept["attendees"]).all() and (closed["attendees"] > 10).all()
    places = list(displacement.WHERE)
    assert (study[places].sum(axis=1) == study["attendees"]).all()  # everyone is somewhere
    assert (closed["same centre"] == 0).all() and (kept["same centre"] > kept["attendees"] / 2).all()
    assert (closed["in_house_cost"] != kept["in_house_cost"]).all()
    table = displacement.summarise(study)
    assert table.loc["same centre", ("difference", "mean")] == pytest.approx(-kept["same centre"].mean())


def test_a_centre_the_council_does_not_close_is_refused(small):
    with pytest.raises(ScenarioError, match="has no close_month"):
        displacement.closure_study(small, centre=1, replications=1)
    with pytest.raises(ScenarioError, match=r"beyond run\.months"):
        displacement.closure_study(small, after=20, replications=1)
