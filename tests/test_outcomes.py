"""Outcomes and voice: met need, wellbeing, satisfaction and ratings."""

from __future__ import annotations

import numpy as np
import pytest

from model.rules import outcomes
from model.scenario import Outcomes

OC = Outcomes()


def test_met_need_is_a_capped_share_and_one_when_nothing_is_required():
    np.testing.assert_allclose(outcomes.met_need(np.array([5.0, 20.0, 0.0, 3.0]), np.array([10.0, 10.0, 10.0, 0.0])),
                               [0.5, 1.0, 0.0, 1.0])


def test_wellbeing_formula_and_bounds():
    w = outcomes.wellbeing(0.8, 0.6, 0.4, 0.1, OC)
    assert w == pytest.approx(OC.w_base + OC.w_met_need * 0.8 + OC.w_control * 0.6 - OC.w_burden * 0.4 + 0.1)
    assert outcomes.wellbeing(1.0, 1.0, 0.0, 1.0, OC) == 1.0
    assert outcomes.wellbeing(0.0, 0.0, 1.0, 0.0, Outcomes(w_base=0.0)) == 0.0


def test_satisfaction_mixes_quality_and_met_need():
    o = Outcomes(satisfaction_quality_weight=0.3, satisfaction_noise=0.1)
    assert outcomes.satisfaction(0.9, 0.5, 0.0, o) == pytest.approx(0.3 * 0.9 + 0.7 * 0.5)
    assert outcomes.satisfaction(0.9, 0.5, 1.0, o) == pytest.approx(0.3 * 0.9 + 0.7 * 0.5 + 0.1)
    assert outcomes.satisfaction(1.0, 1.0, 50.0, o) == 1.0


def test_rating_is_a_moving_average_and_unchanged_without_clients():
    r = outcomes.next_rating(np.array([0.5, 0.5]), np.array([1.0, 1.0]), np.array([True, False]), 0.8)
    np.testing.assert_allclose(r, [0.6, 0.5])
    rating = 0.2
    for _ in range(200):
        rating = float(outcomes.next_rating(rating, 0.7, True, 0.8))
    assert rating == pytest.approx(0.7)
