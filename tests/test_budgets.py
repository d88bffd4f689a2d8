"""Assessment and budgets: RAS arithmetic, eligibility, clawback and the yearly review."""

from __future__ import annotations

import numpy as np
import pytest

from model.rules import budgets
from model.scenario import Budgets

B = Budgets()


def test_ras_budget_is_points_times_rate_net_of_unpaid_care():
    b = Budgets(hours_per_point=0.5)
    # need 60 points, carer gives 10 h/week = 20 points of credit: 40 points x 45 GBP.
    eligible, budget = budgets.assess(np.array([60.0]), np.array([10.0]), 25.0, 45.0, b)
    assert eligible[0]
    assert budget[0] == pytest.approx(40 * 45.0)
    assert budgets.formal_points(60.0, 10.0, 0.5) == pytest.approx(40.0)


def test_below_the_threshold_no_budget():
    eligible, budget = budgets.assess(np.array([24.9, 25.0]), np.zeros(2), 25.0, 45.0, B)
    assert eligible.tolist() == [False, True]
    assert budget[0] == 0 and budget[1] == pytest.approx(25 * 45.0)


def test_carer_covering_all_need_means_no_package():
    """Every package has a budget: a person whose carer covers their whole need is not eligible."""
    eligible, budget = budgets.assess(np.array([30.0]), np.array([40.0]), 25.0, 45.0, B)
    assert budget[0] == 0
    assert not eligible[0]


def test_required_hours_per_month():
    # need 40 points x 0.5 h = 20 h/week, carer 5 h/week: 15 h/week x 52/12 weeks.
    assert budgets.required_hours(40.0, 5.0, 0.5) == pytest.approx(15 * 52 / 12)
    assert budgets.required_hours(10.0, 50.0, 0.5) == 0.0


def test_clawback_keeps_a_buffer_of_months():
    b = Budgets(clawback_buffer_months=2.0)
    claw = budgets.clawback(np.array([500.0, 2500.0, 0.0]), np.array([1000.0, 1000.0, 1000.0]), b)
    np.testing.assert_allclose(claw, [0.0, 500.0, 0.0])
    # No direct payment any more: everything is recovered.
    assert budgets.clawback(800.0, 0.0, b) == pytest.approx(800.0)


def test_yearly_review_tightens_when_over_budget():
    b = Budgets(review_tighten_threshold=2.0, review_cut_rate=0.1, over_budget_tolerance=0.02)
    thr, rate = budgets.yearly_review(spend=110.0, budget=100.0, threshold=25.0, rate=50.0,
                                      base_threshold=25.0, base_rate=50.0, b=b)
    assert thr == pytest.approx(27.0)
    assert rate == pytest.approx(45.0)


def test_yearly_review_within_tolerance_changes_nothing():
    b = Budgets(over_budget_tolerance=0.02)
    for spend in (98.5, 100.0, 101.9):
        assert budgets.yearly_review(spend, 100.0, 27.0, 45.0, 25.0, 50.0, b) == (27.0, 45.0)


def test_yearly_review_relaxes_back_to_the_starting_policy_but_not_beyond():
    b = Budgets(review_tighten_threshold=2.0, review_cut_rate=0.1, over_budget_tolerance=0.02)
    thr, rate = budgets.yearly_review(80.0, 100.0, 27.0, 45.0, 25.0, 50.0, b)
    assert thr == pytest.approx(25.0)
    assert rate == pytest.approx(50.0)
    thr, rate = budgets.yearly_review(80.0, 100.0, 25.0, 50.0, 25.0, 50.0, b)
    assert (thr, rate) == (25.0, 50.0)


def test_tighten_then_relax_round_trips():
    b = Budgets(review_tighten_threshold=3.0, review_cut_rate=0.2)
    tight = budgets.yearly_review(200.0, 100.0, 25.0, 50.0, 25.0, 50.0, b)
    back = budgets.yearly_review(10.0, 100.0, *tight, 25.0, 50.0, b)
    assert back == pytest.approx((25.0, 50.0))


def test_threshold_never_exceeds_100_and_zero_budget_is_ignored():
    b = Budgets(review_tighten_threshold=20.0)
    assert budgets.yearly_review(1e9, 1.0, 95.0, 50.0, 25.0, 50.0, b)[0] == 100.0
    assert budgets.yearly_review(1e9, 0.0, 30.0, 40.0, 25.0, 50.0, b) == (30.0, 40.0)


def test_admin_cost_is_the_options_cost_and_nothing_without_a_package():
    costs = [25.0, 40.0, 30.0, 45.0]  # Options 1-4
    assert [budgets.admin_cost(option, costs) for option in range(5)] == [0.0, 25.0, 40.0, 30.0, 45.0]
    assert [budgets.has_package(option) for option in range(5)] == [False, True, True, True, True]
