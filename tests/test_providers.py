"""Providers: operating result, prices, capacity, exit, entry and break-even occupancy."""

from __future__ import annotations

import numpy as np
import pytest

from model.rules import providers
from model.rules.budgets import WEEKS_PER_MONTH
from model.scenario import Providers, ProviderType

P = Providers()


def test_operating_result():
    assert providers.operating_result(10_000.0, 400.0, 18.0, 2000.0) == pytest.approx(10_000 - 7200 - 2000)


def test_prices_rise_when_full_up_to_the_markup_and_fall_when_empty_down_to_cost():
    p = Providers(price_adjust=0.1, max_price_markup=0.25)
    price = providers.next_price(np.array([20.0, 24.0, 20.0, 20.0, 17.0]), np.array([0.95, 0.95, 0.7, 0.2, 0.1]),
                                 16.0, 20.0, p)
    np.testing.assert_allclose(price, [22.0, 25.0, 20.0, 18.0, 16.8])
    # A price already above the cap is not cut by being full.
    assert providers.next_price(30.0, 1.0, 16.0, 20.0, p) == 30.0


def test_capacity_grows_only_when_full_and_in_surplus():
    cap = providers.next_capacity(np.array([40, 40, 40, 2]), np.array([1.0, 1.0, 0.8, 1.0]),
                                  np.array([10.0, -1.0, 10.0, 5.0]), np.array([0.05, 0.05, 0.05, 0.0]), 1000, P)
    assert cap.tolist() == [42, 40, 40, 2]


def test_growth_stops_at_the_places_the_council_could_fill():
    """At the top of the documented ranges (growth 1, growth_occupancy 0) a provider in surplus
    doubles every month, past the largest int32 within 31 months. It stops at two places (budget
    slots) per living person of its council, and never loses the places it has."""
    p = Providers(growth_occupancy=0.0)
    capacity, history = 1, []
    for _ in range(100):
        capacity = int(providers.next_capacity(capacity, 0.0, 1.0, 1.0, 700, p))
        history.append(capacity)
    assert history[:4] == [2, 4, 8, 16] and capacity == 1400 == providers.most_places(700)
    assert providers.next_capacity(5000, 1.0, 1.0, 1.0, 700, p) == 5000  # beyond it already: kept
    assert providers.next_capacity(10_000, 1.0, 1.0, 1.0, 0, p) == 10_000
    assert providers.next_capacity(10, 1.0, 1.0, 1.0, 0, p) == 10  # nobody left in the council


def test_provider_month_applies_the_rules_in_order():
    """A provider's month: result, reserves, months in deficit (exit at ``exit_after_months``),
    price from occupancy, and growth only in surplus."""
    p = Providers(exit_after_months=6)
    args = (400.0, -5000.0, 5, 38, 40, 21.0, 18.0, 6000.0, 21.56, 0.05, 800, p)  # hours .. people, p
    profit, reserves, neg_months, price, capacity, exits = providers.provider_month(10_000.0, *args)
    assert profit == pytest.approx(10_000 - 400 * 18 - 6000) and reserves == pytest.approx(-5000 + profit)
    assert (neg_months, capacity, exits) == (6, 40, True)  # a loss: no growth; six months in deficit: exit
    assert price == pytest.approx(21.0 * 1.01)  # 95 % full: the price rises
    profit, reserves, neg_months, price, capacity, exits = providers.provider_month(20_000.0, *args)
    assert reserves == pytest.approx(-5000 + 20_000 - 400 * 18 - 6000) and reserves > 0
    assert (neg_months, capacity, exits) == (0, 42, False)
    assert isinstance(capacity, int)


def test_exit_after_sustained_losses():
    months = np.zeros(3, dtype=int)
    reserves = [np.array([-1.0, 5.0, -1.0])] * 5 + [np.array([-1.0, 5.0, 1.0])]
    for r in reserves:
        months = providers.next_neg_months(r, months)
    assert months.tolist() == [6, 0, 0]
    assert providers.exits(months, Providers(exit_after_months=6)).tolist() == [True, False, False]


def test_expected_margin_caps_hours_per_client():
    t = ProviderType(price=20.0, variable_cost=15.0, fixed_cost=1000.0, max_hours=10.0)
    assert providers.expected_margin(t, 4, 30.0) == pytest.approx(5 * 30 * 4 - 1000)
    assert providers.expected_margin(t, 4, 1000.0) == pytest.approx(5 * 10 * WEEKS_PER_MONTH * 4 - 1000)


def test_entrants_need_enough_unmet_demand_and_a_positive_margin():
    rng = np.random.default_rng(0)
    t = ProviderType(price=20.0, variable_cost=15.0, fixed_cost=1000.0, capacity=10, max_hours=40.0)
    p = Providers(entry_min_unmet_per_1000=1.5, entry_probability=1.0, max_entries_per_1000=2.5)
    assert providers.entrants(2, 100.0, t, p, 0.0, 2000, rng) == 0
    assert providers.entrants(25, 100.0, t, p, 0.0, 2000, rng) == 3  # ceil(25 / 10) with certainty
    assert providers.entrants(500, 100.0, t, p, 0.0, 2000, rng) == 5
    losing = ProviderType(price=20.0, variable_cost=15.0, fixed_cost=1e5, capacity=10)
    assert providers.entrants(25, 100.0, losing, p, 0.0, 2000, rng) == 0
    # A grant spread over a year can make the gap worth filling.
    assert providers.entrants(25, 100.0, losing, p, 12 * 1e5, 2000, rng) == 3
    assert providers.entrants(25, 100.0, t, Providers(entry_probability=0.0), 0.0, 2000, rng) == 0


def test_entry_scales_with_the_market():
    """Ten times the people: ten times the unmet demand that signals a gap and ten times the most
    entrants a month (so entrants per 1,000 people do not depend on how many are simulated)."""
    rng = np.random.default_rng(0)
    t = ProviderType(price=20.0, variable_cost=15.0, fixed_cost=10.0, capacity=2, max_hours=40.0)
    p = Providers(entry_min_unmet_per_1000=1.5, entry_probability=1.0, max_entries_per_1000=2.5)
    assert providers.entry_limits(2000, p) == (3, 5)
    assert providers.entry_limits(20_000, p) == (30, 50)
    assert providers.entry_limits(100, p) == (1, 1)
    assert providers.entrants(29, 100.0, t, p, 0.0, 20_000, rng) == 0
    assert providers.entrants(1000, 100.0, t, p, 0.0, 2000, rng) == 5
    assert providers.entrants(1000, 100.0, t, p, 0.0, 20_000, rng) == 50


def test_breakeven_occupancy_is_where_the_result_is_zero():
    fixed, cap, hours, price, var = 8500.0, 35, 60.0, 6.0, 2.5
    be = float(providers.breakeven_occupancy(fixed, cap, hours, price, var))
    clients = be * cap
    assert providers.operating_result(clients * hours * price, clients * hours, var, fixed) == pytest.approx(0.0,
                                                                                                             abs=1e-6)
    assert providers.breakeven_occupancy(100.0, 10, 10.0, 5.0, 5.0) > 1e6  # no margin: never breaks even


@pytest.mark.parametrize("block", [0, 5, 20])
def test_breakeven_with_block_contracts_is_where_the_result_is_zero(block):
    fixed, cap, h, price, var, place_hours = 8500.0, 35, 60.0, 6.0, 2.5, 78.0
    c = float(providers.breakeven_occupancy(fixed, cap, h, price, var, block, place_hours)) * cap

    def result(clients):
        income = block * price * place_hours + max(0.0, clients - block) * price * h
        return income - fixed - var * h * clients

    assert c >= 0
    if result(block) >= 0:  # block income covers the cost with the block places full
        assert c == 0
    else:
        assert c > block
        assert result(c) == pytest.approx(0.0, abs=1e-6)
        assert result(c + 1) > 0 > result(c - 1)
    if block == 0:
        assert c / cap == pytest.approx(providers.breakeven_occupancy(fixed, cap, h, price, var))
