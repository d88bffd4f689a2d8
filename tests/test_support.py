"""Support: places per month and who they reach."""

from __future__ import annotations

import numpy as np
import pytest

from model import support
from model.scenario import Support


def test_places_scale_with_people_and_carry_the_fraction_as_a_chance():
    s = Support(capacity=4.0)
    assert support.places(2000, s, 0.99) == 8
    # 4 per 1000 x 1100 = 4.4 places: one more with chance 0.4.
    assert support.places(1100, s, 0.39) == 5
    assert support.places(1100, s, 0.41) == 4
    draws = np.random.default_rng(1).random(4000)
    assert np.mean([support.places(1100, s, u) for u in draws]) == pytest.approx(4.4, abs=0.03)


def test_most_deprived_first_serves_quintile_1_before_quintile_2():
    rng = np.random.default_rng(2)
    quintile = rng.integers(0, 5, 500)
    keys = support.priority(quintile, rng.random(500), Support(targeting="most_deprived"))
    n_q1 = int((quintile == 0).sum())
    chosen = support.allocate(keys, n_q1 + 10)
    assert chosen.sum() == n_q1 + 10
    assert chosen[quintile == 0].all()
    assert (quintile[chosen] <= 1).all()
    assert chosen[quintile == 1].sum() == 10


def test_first_come_ignores_deprivation():
    rng = np.random.default_rng(3)
    quintile = rng.integers(0, 5, 5000)
    keys = support.priority(quintile, rng.random(5000), Support(targeting="first_come"))
    chosen = support.allocate(keys, 1000)
    shares = np.bincount(quintile[chosen], minlength=5) / 1000
    np.testing.assert_allclose(shares, np.bincount(quintile, minlength=5) / 5000, atol=0.04)


def test_allocate_edge_cases():
    keys = np.array([0.5, 0.1, 0.9])
    assert support.allocate(keys, 0).sum() == 0
    assert support.allocate(keys, 5).all()
    assert support.allocate(keys, 1).tolist() == [False, True, False]
    assert support.allocate(np.array([]), 3).size == 0
