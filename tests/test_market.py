"""Purchasing and matching rules: budget slots, appeal of types and providers, a seeker's
application, hours bought."""

from __future__ import annotations

import numpy as np
import pytest

from model import stream
from model.codes import MODE_COUNCIL, MODE_DIRECT, MODE_ISF, MODE_NONE, N_TYPES
from model.rules import market
from model.rules.budgets import WEEKS_PER_MONTH
from model.scenario import Providers

P = Providers()


def test_slot_shares_split_only_option4():
    shares = market.slot_shares(np.array([0, 1, 2, 3, 4]), 0.3)
    np.testing.assert_allclose(shares, [[0, 0], [1, 0], [1, 0], [1, 0], [0.7, 0.3]])


def test_slot_modes_by_option():
    assert market.SLOT_MODES[1].tolist() == [MODE_DIRECT, MODE_NONE]
    assert market.SLOT_MODES[2].tolist() == [MODE_ISF, MODE_NONE]
    assert market.SLOT_MODES[3].tolist() == [MODE_COUNCIL, MODE_NONE]
    assert market.SLOT_MODES[4].tolist() == [MODE_COUNCIL, MODE_DIRECT]


def type_appeal(dc_affinity: bool, over65: bool, mode: int) -> np.ndarray:
    return np.array([market.appeal_of_type(t, dc_affinity, over65, mode, P) for t in range(N_TYPES)], dtype=float)


def test_only_a_direct_payment_can_employ_a_personal_assistant():
    appeal = np.array([type_appeal(False, False, mode) for mode in (MODE_NONE, MODE_COUNCIL, MODE_ISF, MODE_DIRECT)])
    assert np.isneginf(appeal[0]).all()
    assert np.isneginf(appeal[1:3, market.PERSONAL_ASSISTANT]).all()
    assert np.isfinite(appeal[3]).all()
    assert market.type_weights(False, False, MODE_ISF, P)[market.PERSONAL_ASSISTANT] == 0.0


def test_type_appeal_terms_and_weights():
    council, young_aff = type_appeal(False, True, MODE_COUNCIL), type_appeal(True, False, MODE_DIRECT)
    np.testing.assert_allclose(council[[0, 1, 3]], np.array(P.council_type_preference)[[0, 1, 3]])
    expected = np.array(P.type_preference) + np.array(P.affinity_bonus)
    expected[market.PERSONAL_ASSISTANT] += P.pa_under65_bonus
    np.testing.assert_allclose(young_aff, expected)
    np.testing.assert_allclose(market.type_weights(True, False, MODE_DIRECT, P), np.exp(expected), rtol=1e-15)


def test_provider_appeal_people_weigh_rating_council_weighs_block_contracts():
    people = market.provider_appeal(np.array([0.9, 0.5]), np.array([20.0, 20.0]), 20.0, np.array([0, 5]), False, P)
    assert people[0] - people[1] == pytest.approx(P.beta_rating * 0.4)
    council = market.provider_appeal(np.array([0.9, 0.5]), np.array([20.0, 20.0]), 20.0, np.array([0, 5]), True, P)
    assert council[1] - council[0] == pytest.approx(P.block_bonus)
    dearer = market.provider_appeal(0.5, 24.0, 20.0, 0, False, P)
    assert people[1] - dearer == pytest.approx(P.beta_price * 0.2)


def test_provider_weights_are_exp_appeal_for_people_the_council_and_the_council_by_type():
    own, council, level = market.provider_weights(0.8, 22.0, 20.0, 4, P)
    assert own == pytest.approx(np.exp(market.provider_appeal(0.8, 22.0, 20.0, 4, False, P)), rel=1e-15)
    assert council == pytest.approx(np.exp(market.provider_appeal(0.8, 22.0, 20.0, 4, True, P)), rel=1e-15)
    assert level == pytest.approx(council / np.exp(P.block_bonus), rel=1e-12)  # without the block bonus


@pytest.mark.parametrize(("option", "links", "budget", "required", "expected"), [
    (3, (-1, -1), 100.0, 10.0, (True, True, False)),    # Option 3 without a provider seeks one
    (3, (5, -1), 100.0, 10.0, (False, False, False)),   # ... and stops once it has one
    (4, (5, -1), 100.0, 10.0, (True, False, True)),     # Option 4's direct slot still lacks one
    (4, (-1, -1), 0.0, 10.0, (True, False, False)),     # no budget this month: flagged, not seeking now
    (3, (-1, -1), 100.0, 0.0, (True, False, False)),    # no formal hours needed this month
    (0, (-1, -1), 100.0, 10.0, (False, False, False)),  # no package: nothing to seek
])
def test_slots_sought(option, links, budget, required, expected):
    for top_up in (False, True):  # no top-up slot is sought: slot 0 has no provider, or Option 4, or no package
        got = market.slots_sought(option, *links, budget, required, top_up, False, 10.0, 0.0, 18.0)
        if not (top_up and option == 3 and links[0] >= 0):
            assert tuple(bool(x) for x in got) == expected


W = WEEKS_PER_MONTH


@pytest.mark.parametrize(("option", "required", "budget", "expected"), [
    (3, 18 * W + 1, 10 * 18 * W + 20, (True, False, True)),   # a day centre's 18 h a week leave hours to buy
    (3, 18 * W, 10 * 18 * W + 20, (False, False, False)),     # its 18 h are all the package needs
    (3, 18 * W + 1, 10 * 18 * W, (False, False, False)),      # the budget buys no more than the 18 h
    (1, 18 * W + 1, 10 * 18 * W + 20, (True, False, True)),   # a direct payment too
    (4, 18 * W + 1, 10 * 18 * W + 20, (True, False, True)),   # Option 4's second slot is its own
])
def test_a_top_up_slot_is_sought_when_the_first_providers_type_leaves_hours_the_budget_can_buy(
        option, required, budget, expected):
    got = market.slots_sought(option, 5, -1, budget, required, True, False, 10.0, 0.0, 18.0)
    assert tuple(bool(x) for x in got) == expected
    off = market.slots_sought(3, 5, -1, budget, required, False, False, 10.0, 0.0, 18.0)
    assert off == (False, False, False)  # switch off


def test_slot_modes_with_and_without_top_up_slots():
    options = np.arange(5)
    np.testing.assert_array_equal(market.slot_mode(options, 1), market.SLOT_MODES[:, 1])
    np.testing.assert_array_equal(market.slot_mode(options, 1, True),
                                  [MODE_NONE, MODE_DIRECT, MODE_ISF, MODE_COUNCIL, MODE_DIRECT])
    np.testing.assert_array_equal(market.slot_mode(options, 0, True), market.SLOT_MODES[:, 0])
    assert [market.is_top_up(o, 1, True) for o in range(5)] == [False, True, True, True, False]
    assert not market.is_top_up(3, 1, False) and not market.is_top_up(3, 0, True)


def test_a_mixed_package_buys_the_rest_from_its_second_provider_and_its_hours_add_up():
    """Known answer: a direct payment of 3,000 a month for 200 hours; a personal assistant at 14 an hour
    gives at most 40 h a week, the second provider (an agency at 20) the rest, paid from the same
    account, into which the whole budget went once."""
    required, budget, cap = 200.0, 3000.0, 40.0 * W

    def buy(slot, got, spent, price, balance):
        need, money, credit = market.slot_terms(1, slot, required, budget, 0.5, True, got, spent)
        return (need, money, credit), market.buy_slot(1, slot, need, money, credit, balance, price, 40.0, 0.0, 0.0,
                                                      False, False, 0.0, np.inf, True)

    terms0, first = buy(0, 0.0, 0.0, 14.0, 0.0)
    assert terms0 == (required, budget, budget)
    hours0, cost0, balance0, value0 = first[0], first[3], first[4], first[8]
    assert hours0 == pytest.approx(cap) and cost0 == value0 == pytest.approx(14.0 * cap)
    terms1, second = buy(1, hours0, value0, 20.0, balance0)
    assert terms1 == pytest.approx((required - cap, budget - 14.0 * cap, 0.0))
    assert second[0] == pytest.approx(required - cap)  # the rest of the hours: they add up to the 200
    assert hours0 + second[0] == pytest.approx(required)
    assert second[4] == pytest.approx(budget - 14.0 * cap - 20.0 * (required - cap))  # one account pays both
    assert market.slot_payment(1, 1, second[3], terms1[2], True) == (0.0, 0.0, second[3])
    # Short of money, the second provider buys what is left of the budget, and the account ends at 0.
    _, short = buy(1, hours0, value0, 200.0, balance0)
    assert short[3] == pytest.approx(budget - 14.0 * cap) and short[4] == pytest.approx(0.0, abs=1e-9)


def test_a_package_that_lost_its_first_provider_keeps_its_top_up_one_as_its_first():
    assert market.promote_top_up(3, -1, 7, True) == (7, -1)
    assert market.promote_top_up(3, 5, 7, True) == (5, 7)
    assert market.promote_top_up(4, -1, 7, True) == (-1, 7)  # Option 4's second slot is its direct payment
    assert market.promote_top_up(3, -1, 7, False) == (-1, 7)


def test_a_top_up_is_needed_at_the_price_slot_0_pays_the_councils_hourly_rate_for_an_agency():
    """An agency at 25 an hour giving 40 h a week: a budget that buys more than those hours at the
    council's rate of 18 but not at 25 needs a top-up where the council pays that rate (Options 2 and
    3), not for a direct payment, which pays the agency's price."""
    most = 40 * W
    budget, required = 20 * most, most + 10
    args = (True, True, 25.0, 18.0, 40.0, required, budget, True)
    assert market.needs_top_up(3, *args) and market.needs_top_up(2, *args)
    assert not market.needs_top_up(1, *args)
    assert not market.needs_top_up(3, True, True, 25.0, 0.0, 40.0, required, budget, True)  # no council rate
    assert not market.needs_top_up(3, False, True, 25.0, 18.0, 40.0, required, budget, True)  # no first provider


def test_a_top_up_provider_is_let_go_when_the_first_one_gives_all_and_sought_when_it_does_not():
    more = 18 * W + 10
    assert market.top_up_change(3, True, True, False, 10.0, 0.0, 18.0, 10.0, 1e6, True) == (True, False)
    assert market.top_up_change(3, True, False, False, 10.0, 0.0, 18.0, more, 1e6, True) == (False, True)
    assert market.top_up_change(3, True, True, False, 10.0, 0.0, 18.0, more, 1e6, True) == (False, False)
    # No first provider; Option 4's second slot is its own.
    assert market.top_up_change(3, False, True, False, 0.0, 0.0, 0.0, more, 1e6, True) == (True, False)
    assert market.top_up_change(4, True, True, False, 10.0, 0.0, 18.0, 10.0, 1e6, True) == (False, False)
    assert market.top_up_change(3, True, False, False, 10.0, 0.0, 18.0, more, 1e6, False) == (False, False)


def test_draw_type_is_the_inverse_cdf_of_the_weights_and_never_draws_weight_zero():
    weight, scale = np.array([1.0, 2.0, 0.0, 4.0]), np.array([1.0, 0.5, 3.0, 0.25])  # products 1, 1, 0, 1
    picks = [market.draw_type(weight, scale, u) for u in (0.0, 0.3, 0.34, 0.5, 0.66, 0.67, 0.999)]
    assert picks == [0, 0, 1, 1, 1, 3, 3]
    words = stream.load(stream.seed(np.random.default_rng(1)))
    t, after = market.wanted_type(weight, words)
    u, expected_after = stream.next_uniform(words)
    assert t == market.draw_type(weight, np.ones(4), u) and after == expected_after


def test_an_application_picks_a_free_provider_of_the_drawn_type_by_appeal():
    """Two types with free places (types 1 and 3; type 0 has providers, all full); the seeker's
    applications over many draws follow the weights: type by weight x level, provider by exp(appeal)."""
    start = np.array([0, 2, 4, 4, 5])        # type 0: providers 0-1, type 1: 2-3, type 2: none, type 3: 4
    w = np.array([0.0, 0.0, 1.0, 3.0, 2.0])  # providers 0 and 1 are full (weight 0)
    cum, total = np.concatenate([[5.0], 5.0 + np.cumsum(w)]), np.array([0.0, 4.0, 0.0, 2.0])
    level = np.array([0.0, 2.0, 0.0, 2.0])   # mean exp(appeal at the type level) of the free ones
    type_weight = (1.0, 1.0, 1.0, 3.0)
    words = stream.load(stream.seed(np.random.default_rng(2)))
    picks = []
    for _ in range(20_000):
        t, i, words = market.application(type_weight, level, start, cum, total, words)
        assert start[t] <= i < start[t + 1]
        picks.append(i)
    freq = np.bincount(picks, minlength=5) / len(picks)
    np.testing.assert_allclose(freq, [0, 0, 0.25 * 0.25, 0.25 * 0.75, 0.75], atol=0.015)
    none_free = market.application(type_weight, np.zeros(4), start, cum, total, words)
    assert none_free == (-1, -1, words)  # no type with a free place: no draw


def test_a_provider_takes_applicants_while_it_has_a_place():
    assert market.has_place(9, 10) and not market.has_place(10, 10)
    assert market.admit(9, 10, False) == (10, True)
    assert market.admit(10, 10, False) == (10, False)  # full: refused, tries again next round
    assert market.admit(9, 10, True) == (9, False)  # a top-up slot is not taken by its package's own provider


def test_a_round_sees_only_free_providers_and_the_mean_weight_of_a_type():
    """Full providers weigh nothing; a type's level is the mean exp(appeal) over its free providers
    (not the sum: more providers do not make a type more attractive), 0 where none is free."""
    exp_appeal = np.array([[1.0, 2.0, 4.0, 8.0], [3.0, 3.0, 3.0, 3.0]])
    exp_level = np.array([[1.0, 2.0, 4.0, 8.0], [5.0, 6.0, 7.0, 9.0]])
    clients, capacity = np.array([0, 5, 1, 2]), np.array([1, 5, 2, 2])  # providers 1 and 3 are full
    group = np.array([0, 0, 0, 1])
    cum, total, level = market.round_market(exp_appeal, exp_level, clients, capacity, group, 3)
    np.testing.assert_array_equal(cum, [[0, 1, 1, 5, 5], [0, 3, 3, 6, 6]])
    np.testing.assert_array_equal(total, [[5, 0, 0], [6, 0, 0]])
    np.testing.assert_array_equal(level, [[2.5, 0, 0], [6.0, 0, 0]])


def test_hours_bought_is_the_least_of_need_budget_and_cap():
    cap = 10.0 * WEEKS_PER_MONTH
    # Need binds.
    assert market.hours_bought(20.0, 1000.0, 1.0, 10.0, 10.0) == pytest.approx(20.0)
    # Budget binds: 300 GBP at 20 GBP/h.
    assert market.hours_bought(100.0, 300.0, 1.0, 20.0, 40.0) == pytest.approx(15.0)
    # The type's weekly cap binds.
    assert market.hours_bought(500.0, 1e6, 1.0, 10.0, 10.0) == pytest.approx(cap)
    # A slot gets its share of the need and of the budget.
    assert market.hours_bought(40.0, 200.0, 0.25, 10.0, 40.0) == pytest.approx(5.0)
    assert market.hours_bought(40.0, 1e4, 0.25, 10.0, 40.0) == pytest.approx(10.0)


def test_hours_bought_never_cost_more_than_the_slot_budget():
    rng = np.random.default_rng(5)
    required, budget, share = rng.uniform(0, 400, 1000), rng.uniform(0, 5000, 1000), rng.uniform(0, 1, 1000)
    price, cap = rng.uniform(1, 40, 1000), rng.uniform(1, 60, 1000)
    hours = market.hours_bought(required, budget, share, price, cap)
    assert (hours >= 0).all()
    assert (hours * price <= budget * share * (1 + 1e-12)).all()
    assert (hours <= required * share + 1e-9).all()
    assert (hours <= cap * WEEKS_PER_MONTH + 1e-9).all()


def test_paid_directly_is_option1_whole_budget_and_option4_its_direct_slot():
    np.testing.assert_allclose(market.paid_directly(np.arange(5), 0.3), [0.0, 1.0, 0.0, 0.0, 0.3], rtol=1e-6)


def test_who_pays_for_a_slot_and_how_it_is_booked():
    """A direct-payment slot's credit goes into the account and its cost is spent from it; any other
    slot's cost the council pays the provider; the ledger's direct payments to providers are the
    spend on services less what went into accounts."""
    from model.codes import OPTION_1, OPTION_3, OPTION_4

    assert market.slot_payment(OPTION_1, 0, 80.0, 100.0, False) == (100.0, 100.0, 80.0)
    assert market.slot_payment(OPTION_3, 0, 80.0, 0.0, False) == (80.0, 0.0, 0.0)
    assert market.slot_payment(OPTION_4, 1, 30.0, 50.0, False) == (50.0, 50.0, 30.0)  # Option 4's direct slot
    assert market.slot_payment(OPTION_4, 0, 30.0, 0.0, False) == (30.0, 0.0, 0.0)    # its council-arranged slot
    services = np.array([[0.0, 100.0, 0.0, 80.0, 80.0]])  # council 0 by option code (0: none)
    paid, spent = np.array([150.0]), np.array([110.0])
    by_option, dp_paid, dp_spent, direct = np.zeros((1, 4)), np.zeros(1), np.zeros(1), np.zeros(1)
    market.book_payments(services, paid, spent, by_option, dp_paid, dp_spent, direct)
    np.testing.assert_array_equal(by_option, [[100.0, 0.0, 80.0, 80.0]])
    assert (dp_paid[0], dp_spent[0], direct[0]) == (150.0, 110.0, 260.0 - 150.0)
