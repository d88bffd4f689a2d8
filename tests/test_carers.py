"""Unpaid carers: strain dynamics and breakdown."""

from __future__ import annotations

import numpy as np
import pytest

from model.rules import carers
from model.scenario import Carers

C = Carers()


def test_strain_one_month():
    s = carers.next_strain(0.5, 20.0, 0.25, 0.05, C)
    assert s == pytest.approx(0.5 * (1 - C.recovery) + C.strain_per_hour * 20 + C.strain_unmet * 0.25 - 0.05)


@pytest.mark.parametrize(("hours", "unmet", "respite"), [(20.0, 0.0, 0.0), (10.0, 0.5, 0.0), (30.0, 0.2, 0.05)])
def test_strain_converges_to_its_fixed_point(hours, unmet, respite):
    """Constant inputs: s* = (per_hour x hours + unmet weight x unmet - respite) / recovery."""
    fixed = (C.strain_per_hour * hours + C.strain_unmet * unmet - respite) / C.recovery
    assert 0 < fixed < 1
    for start in (0.0, 1.0):
        s = start
        for _ in range(300):
            s = carers.next_strain(s, hours, unmet, respite, C)
        assert s == pytest.approx(fixed, abs=1e-9)


def test_strain_stays_in_zero_one_and_respite_lowers_it():
    assert carers.next_strain(0.9, 100.0, 1.0, 0.0, C) == 1.0
    assert carers.next_strain(0.0, 0.0, 0.0, 0.5, C) == 0.0
    assert carers.next_strain(0.5, 20.0, 0.2, 0.1, C) < carers.next_strain(0.5, 20.0, 0.2, 0.0, C)


def test_breakdown_needs_caring_strain_above_threshold_and_the_draw():
    strain = np.array([0.9, 0.9, 0.5, 0.9])
    caring = np.array([True, True, True, False])
    u = np.array([0.0, 0.5, 0.0, 0.0])
    c = Carers(breakdown_threshold=0.75, breakdown_probability=0.1)
    assert carers.breaks_down(strain, caring, u, c).tolist() == [True, False, False, False]


def test_breakdown_frequency_matches_probability():
    c = Carers(breakdown_probability=0.2)
    u = np.random.default_rng(3).random(20_000)
    assert carers.breaks_down(np.ones(u.size), True, u, c).mean() == pytest.approx(0.2, abs=0.01)


def test_a_breakdown_raises_need_by_the_jump_up_to_100():
    c = Carers(breakdown_need_jump=10.0)
    assert carers.need_after_breakdown(50.0, c) == 60.0
    np.testing.assert_array_equal(carers.need_after_breakdown(np.array([0.0, 95.0, 100.0]), c), [10.0, 100.0, 100.0])
