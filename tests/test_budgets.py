"""Assessment and budgets: RAS arithmetic, eligibility and clawback; the council's cash limit,
carry-over, charges and levers (ODD 7.10), as rules and in whole runs."""

from __future__ import annotations

import numpy as np
import pytest

from model.core.agents import Council
from model.metrics import definitions as d
from model.rules import budgets
from model.rules.budgets import NO_WAITING_LIST, Policy
from model.run.simulation import simulate
from model.scenario import LEVERS, Budgets, Carers, load_scenario

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


def test_admin_cost_is_the_options_cost_and_nothing_without_a_package():
    costs = [25.0, 40.0, 30.0, 45.0]  # Options 1-4
    assert [budgets.admin_cost(option, costs) for option in range(5)] == [0.0, 25.0, 40.0, 30.0, 45.0]
    assert [budgets.has_package(option) for option in range(5)] == [False, True, True, True, True]


def test_assessment_spend_is_the_assessments_times_their_cost():
    # 7 reviews at GBP 250 each: GBP 1,750; nobody assessed costs nothing.
    assert budgets.assessment_spend(7, 250.0) == 1750.0
    assert budgets.assessment_spend(0, 250.0) == 0.0
    np.testing.assert_array_equal(budgets.assessment_spend(np.array([3.0, 2.0]), np.array([100.0, 37.5])),
                                  [300.0, 75.0])


# ---------------------------------------------------------------------------------------- cash limit
def test_cash_limit_is_cash_per_head_times_population_grown_by_the_settlement():
    assert budgets.cash_limit(17000.0, 1000, 0.0, 0) == pytest.approx(17e6)
    assert budgets.cash_limit(17000.0, 1000, 0.02, 2) == pytest.approx(17e6 * 1.02**2)
    assert budgets.cash_limit(17000.0, 1000, -0.018, 1) == pytest.approx(17e6 * 0.982)


def test_carry_over_within_the_limit_and_overspend_beyond_it():
    # No carry-over allowed (the default): an underspend is lost, an overspend is reported whole.
    assert budgets.carry_over(100.0, 90.0, 100.0, 0.0) == (0.0, 0.0)
    assert budgets.carry_over(100.0, 110.0, 100.0, 0.0) == (0.0, pytest.approx(10.0))
    # Up to 5% either way is carried; beyond it an overspend is reported.
    assert budgets.carry_over(100.0, 97.0, 100.0, 0.05) == (pytest.approx(3.0), 0.0)
    assert budgets.carry_over(100.0, 80.0, 100.0, 0.05) == (pytest.approx(5.0), 0.0)
    assert budgets.carry_over(100.0, 104.0, 100.0, 0.05) == (pytest.approx(-4.0), 0.0)
    assert budgets.carry_over(100.0, 108.0, 100.0, 0.05) == (pytest.approx(-5.0), pytest.approx(3.0))


# ---------------------------------------------------------------------------------------- levers
START = budgets.starting_policy(B)
OVER = {"year_spend": 50.0, "month_spend": 10.0, "months_left": 6, "may_spend": 100.0}   # projected 110
UNDER = {"year_spend": 30.0, "month_spend": 5.0, "months_left": 6, "may_spend": 100.0}   # projected 60
WITHIN = {"year_spend": 50.0, "month_spend": 7.5, "months_left": 6, "may_spend": 100.0}  # projected 95


def test_the_first_lever_in_the_order_moves_first_and_one_step_a_month():
    policy, moved = budgets.council_month(**OVER, policy=START, waiting=0, b=B)
    assert LEVERS[moved - 1] == B.lever_order[0] == "waiting_list"
    assert policy == START._replace(assessment_capacity=B.assessment_capacity)
    # The waiting list has one step: the next month, the review reduction moves, one step.
    policy, moved = budgets.council_month(**OVER, policy=policy, waiting=10, b=B)
    assert LEVERS[moved - 1] == "review_reduction"
    assert policy.review_reduction == pytest.approx(B.review_reduction_step)


def test_each_lever_runs_to_its_limit_then_the_next_moves():
    b = Budgets(lever_order=["eligibility", "charging"], threshold_step=10.0, threshold_max=45.0,
                charge_step=0.3, charge_max=0.5)
    policy, moves = START, []
    for _ in range(6):
        policy, moved = budgets.council_month(**OVER, policy=policy, waiting=0, b=b)
        moves.append(LEVERS[moved - 1] if moved else None)
    assert moves == ["eligibility", "eligibility", "charging", "charging", None, None]
    assert policy == Policy(45.0, NO_WAITING_LIST, 0.0, 0.5, 0.0)


def test_within_the_band_nothing_moves_and_below_it_the_last_lever_relaxes_first():
    policy = Policy(29.0, NO_WAITING_LIST, 0.06, 0.2, 0.0)
    assert budgets.council_month(**WITHIN, policy=policy, waiting=0, b=B) == (policy, 0)
    looser, moved = budgets.council_month(**UNDER, policy=policy, waiting=0, b=B)
    assert LEVERS[-moved - 1] == "eligibility" and looser.threshold == pytest.approx(27.0)
    # Never below the scenario's baseline eligibility and starting charge rate.
    for _ in range(20):
        looser, _ = budgets.council_month(**UNDER, policy=looser, waiting=0, b=B)
    assert looser == START


def test_a_waiting_list_drains_over_months_before_it_ends():
    policy = START._replace(assessment_capacity=B.assessment_capacity)
    looser, moved = budgets.council_month(**UNDER, policy=policy, waiting=40, b=B)
    assert LEVERS[-moved - 1] == "waiting_list"
    assert looser.assessment_capacity == pytest.approx(B.assessment_capacity + B.assessment_capacity_step)
    ended, _ = budgets.council_month(**UNDER, policy=looser, waiting=0, b=B)
    assert not ended.waiting_list
    assert budgets.assessments_allowed(ended, 2000) == -1
    assert budgets.assessments_allowed(policy, 2000) == int(B.assessment_capacity * 2)


def test_a_year_nearly_over_still_sees_the_spend_it_has_committed_to():
    """Month 12 of a year that fits: the rest of this year is no worry, but this month's spend
    over a whole year (120) is more than the cash, so the first lever moves."""
    assert budgets.projected_spend(80.0, 10.0, 1) == pytest.approx(120.0)
    _, moved = budgets.council_month(80.0, 10.0, 1, 100.0, START, 0, B)
    assert LEVERS[moved - 1] == "waiting_list"


def test_decommissioning_gives_up_block_places_step_by_step():
    b = Budgets(lever_order=["decommissioning"], decommission_step=0.25, decommission_max=0.5)
    policy, moved = budgets.council_month(**OVER, policy=START, waiting=0, b=b)
    assert LEVERS[moved - 1] == "decommissioning" and policy.decommission == pytest.approx(0.25)
    assert budgets.block_share(0.8, policy) == pytest.approx(0.6)
    policy, _ = budgets.council_month(**OVER, policy=policy, waiting=0, b=b)
    assert budgets.council_month(**OVER, policy=policy, waiting=0, b=b) == (policy, 0)  # at its limit
    assert budgets.block_share(0.8, policy) == pytest.approx(0.4)


def test_a_decommissioning_council_holds_fewer_block_places():
    """The mechanism and its switch: under a tight cash limit, a council whose only lever is
    decommissioning ends up with fewer block-contracted day-centre places than one with no lever."""
    from model.engines import CareEconomy

    held = {}
    for order in ([], ["decommissioning"]):
        s = load_scenario("baseline", {"run.people": 300, "councils.0.finance.cash_per_head": 8000.0,
                                       "budgets.lever_order": order})
        m = CareEconomy(s, seed=2)
        m.run(6)
        held[len(order)] = int(m.providers.view("block_places").sum())
    assert held[1] < held[0]


def test_no_lever_in_the_order_means_none_moves():
    b = Budgets(lever_order=[])
    assert budgets.council_month(**OVER, policy=START, waiting=0, b=b) == (START, 0)


def test_a_review_reduction_scales_the_rate_at_review():
    assert budgets.review_rate(45.0, START._replace(review_reduction=0.1)) == pytest.approx(40.5)


def test_free_personal_care_charges_only_the_rest_of_a_package():
    free, charged = Budgets(personal_care_share=0.7), Budgets(free_personal_care=False, personal_care_share=0.7)
    assert budgets.charge(3, 1000.0, 0.5, budgets.chargeable_share(free)) == pytest.approx(150.0)
    assert budgets.charge(3, 1000.0, 0.5, budgets.chargeable_share(charged)) == pytest.approx(500.0)
    assert budgets.charge(0, 1000.0, 0.5, 1.0) == 0.0  # no package, no charge


def test_lever_settings_are_checked():
    for bad in ({"lever_order": ["charging", "charging"]}, {"relax_margin": 0.01, "trigger_margin": 0.05},
                {"threshold_max": 20.0}, {"charge_rate": 0.6, "charge_max": 0.5}):
        with pytest.raises(ValueError):
            Budgets(**bad)


# ---------------------------------------------------------------------------------------- whole runs
def _surge(**overrides):
    """demand_surge (50% more referrals, a flat cash limit) at 2,000 people over six years."""
    s = load_scenario("demand_surge", {"run.people": 2000, "run.months": 72, **overrides})
    return simulate(s, seed=1).councils


def _year_ends(councils):
    ends = councils[councils["month"] % 12 == 0]
    return ends, d.within_cash(ends["year_spend"].to_numpy(), ends["cash_limit"].to_numpy(),
                               ends["carried_in"].to_numpy(), np.zeros(len(ends)), 0.0)


@pytest.mark.slow
def test_with_50_percent_more_demand_on_a_flat_budget_the_levers_keep_spend_within_the_cash_limit():
    """The waiting list moves first (in the first year: 50 % more referrals on a cash limit planned
    for the planned demand's spend); review reductions follow later; the net spend of every year
    stays within the cash limit (no carry-over is allowed) with no overspend reported, though
    payments are never capped (without levers the same surge overspends, the next test)."""
    c = _surge()
    moved = c[c["lever_moved"] > 0]
    first = moved.iloc[0]
    assert LEVERS[int(first["lever_moved"]) - 1] == "waiting_list"
    assert first["month"] <= 12
    reductions = moved[moved["lever_moved"] == LEVERS.index("review_reduction") + 1]
    assert not reductions.empty and reductions["month"].min() > first["month"]
    assert c["waiting_list"].max() > 100 and c["waiting_new"].max() > 0
    ends, within = _year_ends(c)
    assert within.all() and (ends["overspend"] == 0).all()


@pytest.mark.slow
def test_without_levers_the_same_surge_overspends_and_says_so():
    """The switch off: with no lever in the order, nothing holds spend back; the net spend runs past
    the cash limit and the overspend is reported at the year end."""
    c = _surge(**{"budgets.lever_order": []})
    assert (c["lever_moved"] == 0).all() and (c["waiting_list"] == 0).all()
    ends, within = _year_ends(c)
    assert not within.all()
    over = ends["year_spend"] - ends["cash_limit"]
    np.testing.assert_allclose(ends["overspend"], over.clip(lower=0))
    assert ends["overspend"].iloc[-1] > 0


@pytest.mark.slow
def test_with_demand_as_planned_no_lever_moves():
    s = load_scenario("sds_rollout", {"run.people": 2000, "run.months": 72})
    c = simulate(s, seed=1).councils
    assert (c["lever_moved"] == 0).all()
    assert (c["threshold"] == s.budgets.eligibility_threshold).all() and (c["charges"] == 0).all()
    assert _year_ends(c)[1].all()


def test_a_council_carries_its_state_in_named_attributes():
    """The docking test copies and compares a council by Council.STATE: every attribute it sets."""
    s = load_scenario("sds_rollout", {"run.people": 50})
    from model.engines import CareEconomy

    council = CareEconomy(s, seed=1).councils[0]
    assert set(Council.STATE) == set(vars(council)) - {"index", "spec", "model", "unique_id", "pos"} - \
        {k for k in vars(council) if k.startswith("_")}


@pytest.mark.parametrize("assessment", [True, False])
def test_a_new_referral_s_hours_are_those_of_the_values_stored(assessment):
    """:func:`budgets.referral_hours`: the carer's credit is kept in single precision, as the
    people table stores it (with the assessment, the willing hours up to the cap, no strain yet;
    without it, every hour given), and the formal hours needed are those of the stored credit."""
    c = Carers(carers_assessment=assessment)
    for need, hours, base in [(40.3, 12.7, 15.1), (80.0, 0.0, 9.9), (10.0, 35.3, 40.2)]:
        credit, required = budgets.referral_hours(need, hours, base, c, 0.5)
        credited = (min(base, c.credit_cap_hours) if hours > 0 else 0.0) if assessment else hours
        assert credit == float(np.float32(credited))
        assert required == budgets.required_hours(need, credit, 0.5)
