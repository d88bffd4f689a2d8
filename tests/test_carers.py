"""Unpaid carers (ODD 7.7): strain by the published gradient, the response of hours to formal care,
breakdown by strain history, replacement, and the carer's assessment (ODD 7.2)."""

from __future__ import annotations

import numpy as np
import pytest

from model import stream
from model.rules import budgets, carers
from model.scenario import Carers

C = Carers()
#: Every switch off: the fixed carer of the earlier model.
OFF = Carers(carers_assessment=False, formal_response=False, strain_gradient=False, strain_history=False,
             replacement=False)


def test_strain_one_month_without_the_gradient():
    s = carers.next_strain(0.5, 20.0, carers.UNDRAWN, 0.25, 0.05, OFF)
    assert s == pytest.approx(0.5 * (1 - OFF.recovery) + OFF.strain_per_hour * 20 + OFF.strain_unmet * 0.25 - 0.05)


def test_a_carer_giving_their_capacity_settles_at_the_strained_level():
    """With the gradient, constant hours h and capacity k: s* = strained_level x h / k."""
    for hours, capacity in ((20.0, 20.0), (10.0, 40.0), (5.0, 8.0)):
        s = 0.0
        for _ in range(400):
            s = carers.next_strain(s, hours, capacity, 0.0, 0.0, C)
        assert s == pytest.approx(min(C.strained_level * hours / capacity, 1.0), abs=1e-9)


@pytest.mark.parametrize(("hours", "unmet", "respite"), [(20.0, 0.0, 0.0), (10.0, 0.5, 0.0), (30.0, 0.2, 0.05)])
def test_strain_converges_to_its_fixed_point_without_the_gradient(hours, unmet, respite):
    """Constant inputs: s* = (per_hour x hours + unmet weight x unmet - respite) / recovery."""
    fixed = (OFF.strain_per_hour * hours + OFF.strain_unmet * unmet - respite) / OFF.recovery
    assert 0 < fixed < 1
    for start in (0.0, 1.0):
        s = start
        for _ in range(300):
            s = carers.next_strain(s, hours, carers.UNDRAWN, unmet, respite, OFF)
        assert s == pytest.approx(fixed, abs=1e-9)


def test_strain_stays_in_zero_one_and_respite_lowers_it():
    for c in (C, OFF):
        assert carers.next_strain(0.9, 100.0, 1.0, 1.0, 0.0, c) == 1.0
        assert carers.next_strain(0.0, 0.0, 10.0, 0.0, 0.5, c) == 0.0
        assert carers.next_strain(0.5, 20.0, 30.0, 0.2, 0.1, c) < carers.next_strain(0.5, 20.0, 30.0, 0.2, 0.0, c)


def test_capacities_reproduce_the_published_gradient():
    """The share of carers whose capacity is below h hours (strained once settled at h hours) is
    impact_light at 1 hour and impact_heavy at heavy_hours (eng_carer_health_2022: 30% and 81%), and
    everyone at the most hours; light carers are strained too (not a line through zero)."""
    k = carers.capacity_hours(np.random.default_rng(1).random(200_000), C)
    assert np.mean(k < 1.0) == pytest.approx(C.impact_light, abs=0.005)
    assert np.mean(k < C.heavy_hours) == pytest.approx(C.impact_heavy, abs=0.005)
    assert k.max() <= carers.MOST_HOURS and k.min() >= carers.LEAST_CAPACITY
    u = np.linspace(0, 1, 101)
    assert np.all(np.diff(carers.capacity_hours(u, C)) >= 0)


def test_the_settled_share_strained_by_hours_band_follows_the_gradient():
    """Carers settled at h hours a week (no unmet need or respite): the share above strained_level
    is the gradient's share below h (analytic: F(h))."""
    k = carers.capacity_hours(np.random.default_rng(2).random(100_000), C)
    for hours, share in ((0.99, C.impact_light * 0.99), (C.heavy_hours, C.impact_heavy)):
        settled = np.minimum(C.strained_level * hours / k, 1.0)
        assert np.mean(settled > C.strained_level) == pytest.approx(share, abs=0.006)


def test_hours_respond_to_formal_care_with_the_elasticity():
    """base x (1 + e (r - 1)): the plan met gives base; nothing delivered gives base (1 - e)."""
    c = Carers(formal_elasticity=-0.2)
    assert carers.unpaid_hours(20.0, 100.0, 100.0, c) == pytest.approx(20.0)
    assert carers.unpaid_hours(20.0, 0.0, 100.0, c) == pytest.approx(24.0)
    assert carers.unpaid_hours(20.0, 50.0, 100.0, c) == pytest.approx(22.0)
    assert carers.unpaid_hours(20.0, 0.0, 0.0, c) == pytest.approx(20.0)  # nothing planned: no shortfall
    complements = Carers(formal_elasticity=0.5)
    assert carers.unpaid_hours(20.0, 0.0, 100.0, complements) == pytest.approx(10.0)
    assert carers.unpaid_hours(20.0, 0.0, 100.0, Carers(formal_response=False)) == 20.0


def test_hours_are_never_negative_nor_above_the_most():
    rng = np.random.default_rng(4)
    base, delivered, required = rng.random(5000) * 100, rng.random(5000) * 400, rng.random(5000) * 400
    for e in (-2.0, -0.2, 0.0, 0.9):
        h = carers.unpaid_hours(base, delivered, required, Carers(formal_elasticity=e))
        assert np.all(h >= 0) and np.all(h <= carers.MOST_HOURS)
        assert np.all((h > 0) == (base > 0))  # formal care alone never ends caring


def test_the_breakdown_hazard_grows_with_strain_history():
    c = Carers(breakdown_probability=0.06, history_months=12.0)
    np.testing.assert_allclose(carers.breakdown_hazard(np.array([0.0, 6.0, 12.0, 30.0]), c), [0, 0.03, 0.06, 0.06])
    assert carers.breakdown_hazard(0.0, Carers(breakdown_probability=0.06, strain_history=False)) == 0.06
    assert carers.months_above(3.0, 0.9, c) == 4.0
    assert carers.months_above(3.0, 0.5, c) == 2.0  # recovering
    assert carers.months_above(0.0, 0.5, c) == 0.0


def test_breakdown_needs_caring_strain_above_threshold_and_the_draw():
    strain = np.array([0.9, 0.9, 0.5, 0.9])
    caring = np.array([True, True, True, False])
    u = np.array([0.0, 0.5, 0.0, 0.0])
    c = Carers(breakdown_threshold=0.75, breakdown_probability=0.1, strain_history=False)
    assert carers.breaks_down(strain, 0.0, caring, u, c).tolist() == [True, False, False, False]


def test_breakdown_frequency_matches_probability():
    c = Carers(breakdown_probability=0.2, history_months=4.0)
    u = np.random.default_rng(3).random(20_000)
    assert carers.breaks_down(np.ones(u.size), 2.0, True, u, c).mean() == pytest.approx(0.1, abs=0.01)
    assert carers.breaks_down(np.ones(u.size), 9.0, True, u, c).mean() == pytest.approx(0.2, abs=0.01)


def test_a_breakdown_raises_need_by_the_jump_up_to_100():
    c = Carers(breakdown_need_jump=10.0)
    assert carers.need_after_breakdown(50.0, c) == 60.0
    np.testing.assert_array_equal(carers.need_after_breakdown(np.array([0.0, 95.0, 100.0]), c), [10.0, 100.0, 100.0])


def test_after_a_breakdown_a_review_is_due_and_the_formal_hours_follow_the_need():
    review_in, required = carers.after_breakdown(60.0, 0.0, 0.5)
    assert review_in == 0
    assert required == pytest.approx(60.0 * 0.5 * budgets.WEEKS_PER_MONTH)


def test_the_assessment_credits_what_the_carer_can_sustain():
    """Without the carer's assessment every hour is deducted 1:1; with it, the willing hours up to
    the cap, less the strain discount, and nothing for a carer who has stopped."""
    assert budgets.credited_hours(35.0, 30.0, 0.4, OFF) == 35.0
    c = Carers(credit_cap_hours=20.0, credit_strain_discount=1.0)
    assert budgets.credited_hours(35.0, 30.0, 0.4, c) == pytest.approx(12.0)
    assert budgets.credited_hours(10.0, 10.0, 0.0, c) == pytest.approx(10.0)
    assert budgets.credited_hours(0.0, 30.0, 0.0, c) == 0.0
    # Having a carer no longer makes a person ineligible: need 40 points at 0.5 h a point is 20 h.
    b = __import__("model.scenario", fromlist=["Budgets"]).Budgets()
    eligible_1to1, _ = budgets.assess(40.0, budgets.credited_hours(25.0, 25.0, 0.2, OFF), 25.0, 45.0, b)
    eligible, budget = budgets.assess(40.0, budgets.credited_hours(25.0, 25.0, 0.2, c), 25.0, 45.0, b)
    assert not eligible_1to1 and eligible and budget > 0


def _months(c: Carers, n: int, seed: int = 5) -> list[tuple]:
    """``n`` carer months from random states, each with its own stream."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        hours = float(rng.choice([0.0, rng.random() * 60]))
        base = hours if rng.random() < 0.7 else float(rng.random() * 40)
        state = stream.seed(rng)
        args = (float(rng.random()), hours, base, float(rng.choice([carers.UNDRAWN, rng.random() * 50])),
                float(rng.integers(0, 20)), float(rng.random() * 100), float(rng.random() * 200),
                float(rng.random() * 200), float(rng.random() * 0.1))
        out.append((args, carers.carer_month(*args, c, stream.load(state))))
    return out


@pytest.mark.parametrize("c", [C, OFF, Carers(formal_elasticity=0.9, replacement_probability=0.5, short_breaks=True)])
def test_carer_month_invariants(c):
    for args, (s, hours, _, above, credit, need, broke, crisis, replaced, given, _) in _months(c, 3000):
        assert 0.0 <= s <= 1.0 and hours >= 0 and credit >= 0 and above >= 0
        if hours == 0:
            assert s == 0.0 and credit == 0.0
        assert not (broke and replaced) and (crisis <= broke) and not (given and not c.short_breaks)
        assert credit <= max(hours, args[2])
        if broke:
            assert hours == 0 and need == min(args[5] + c.breakdown_need_jump, 100.0)


def _old_carer_month(strain, carer_hours, need, delivered, required, respite, c, words):
    """The earlier model's carer month (fixed hours, strain a line through zero, constant hazard,
    no replacement), as an oracle for the switches off."""
    if carer_hours <= 0:
        return 0.0, carer_hours, need, False, False, words
    unmet = 1.0 - (min(1.0, delivered / required) if required > 0 else 1.0)
    s = min(max(strain * (1 - c.recovery) + c.strain_per_hour * carer_hours + c.strain_unmet * unmet - respite, 0.0),
            1.0)
    if s > c.breakdown_threshold:
        u, words = stream.next_uniform(words)
        if u < c.breakdown_probability:
            u, words = stream.next_uniform(words)
            return 0.0, 0.0, min(need + c.breakdown_need_jump, 100.0), True, u < c.crisis_probability, words
    return s, carer_hours, need, False, False, words


def test_switches_off_give_the_earlier_carer():
    c = Carers(carers_assessment=False, formal_response=False, strain_gradient=False, strain_history=False,
               replacement=False, breakdown_probability=0.3)
    rng = np.random.default_rng(6)
    for _ in range(3000):
        hours = float(rng.choice([0.0, rng.random() * 60]))
        args = (float(rng.random()), hours, float(rng.random() * 100), float(rng.random() * 200),
                float(rng.random() * 200), float(rng.random() * 0.1))
        state = stream.seed(rng)
        s, h, need, broke, crisis, w_old = _old_carer_month(*args, c, stream.load(state))
        new = carers.carer_month(args[0], hours, hours, carers.UNDRAWN, 0.0, *args[2:], c, stream.load(state))
        assert new[0] == pytest.approx(s, abs=1e-12)
        assert (new[1], new[5], new[6], new[7], new[8], new[9]) == (h, need, broke, crisis, False, False)
        assert new[4] == h and new[2] == carers.UNDRAWN and new[10] == w_old  # credit 1:1, same draws


def test_a_carer_who_broke_down_may_be_replaced_never_one_who_never_was():
    c = Carers(replacement_probability=1.0)
    words = stream.load(stream.seed(np.random.default_rng(7)))
    out = carers.carer_month(0.0, 0.0, 25.0, 12.0, 0.0, 50.0, 0.0, 100.0, 0.0, c, words)
    assert out[8] and out[1] == 25.0 and out[2] == carers.UNDRAWN and out[0] == 0.0
    out = carers.carer_month(0.0, 0.0, 0.0, carers.UNDRAWN, 0.0, 50.0, 0.0, 100.0, 0.0, c, words)
    assert not out[8] and out[1] == 0.0 and out[10] == words  # no carer: no draw
    out = carers.carer_month(0.0, 0.0, 25.0, 12.0, 0.0, 50.0, 0.0, 100.0, 0.0, Carers(replacement=False), words)
    assert not out[8] and out[10] == words


def test_settle_draws_capacities_only_with_the_gradient():
    hours = np.array([0.0, 10.0, 40.0, 80.0])
    tenure = np.full(4, 60.0)
    u, v = np.full(4, 0.99), np.array([0.5, 0.9, 0.5, 0.1])
    h, s, _, k, _ = carers.settle(hours, np.full(4, 50.0), tenure, u, v, np.ones(4), C)
    assert k[0] == carers.UNDRAWN and np.all(k[1:] > 0)
    assert np.all(s[h == 0] == 0) and np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(s[1], C.strained_level * 10.0 / k[1] * (1 - (1 - C.recovery) ** 60))
    assert s[3] == 1.0 and h[3] == 80.0  # a carer far beyond their capacity, not yet broken down (u high)
    _, _, _, k_off, _ = carers.settle(hours, np.full(4, 50.0), tenure, u, v, np.ones(4), OFF)
    assert np.all(k_off == carers.UNDRAWN)


def test_settle_replaces_some_carers_who_broke_down_before_the_start():
    """Long tenures far above the threshold: every carer broke down (u = 0); with replacement and
    w = 0 all have a new carer giving the willing hours, unstrained, the need raised all the same."""
    hours, need, tenure = np.array([60.0, 80.0]), np.array([50.0, 95.0]), np.full(2, 240.0)
    u, v = np.zeros(2), np.full(2, 0.05)
    h, s, n, k, _ = carers.settle(hours, need, tenure, u, v, np.zeros(2), C)
    np.testing.assert_array_equal(h, hours)
    assert np.all(s == 0) and np.all(k == carers.UNDRAWN) and np.all(n == [60.0, 100.0])
    h, _, _, _, _ = carers.settle(hours, need, tenure, u, v, np.ones(2), C)
    assert np.all(h == 0)


def test_a_short_break_takes_its_respite_off_a_strained_carers_strain():
    """With the service, a carer strained last month gets a break: this month's strain is lower by
    short_break_respite (analytic, away from the bounds); an unstrained carer gets none."""
    c = Carers(short_breaks=True, short_break_respite=0.1, strain_history=False, strain_gradient=False)
    without = Carers(short_breaks=False, strain_history=False, strain_gradient=False)
    words = stream.load(stream.seed(np.random.default_rng(8)))
    args = (0.6, 20.0, 20.0, carers.UNDRAWN, 0.0, 50.0, 80.0, 100.0, 0.0)
    got, base = carers.carer_month(*args, c, words), carers.carer_month(*args, without, words)
    assert got[9] and not base[9]
    assert got[0] == pytest.approx(base[0] - 0.1)
    calm = carers.carer_month(0.2, *args[1:], c, words)
    assert not calm[9]
