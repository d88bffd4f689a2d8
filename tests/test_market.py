"""Purchasing and matching rules: budget slots, appeal of types and providers, hours bought."""

from __future__ import annotations

import numpy as np
import pytest

from model.codes import MODE_COUNCIL, MODE_DIRECT, MODE_ISF, MODE_NONE
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


def test_only_a_direct_payment_can_employ_a_personal_assistant():
    modes = np.array([MODE_NONE, MODE_COUNCIL, MODE_ISF, MODE_DIRECT])
    appeal = market.type_appeal(np.zeros(4, bool), np.zeros(4, bool), modes, P)
    assert np.isneginf(appeal[0]).all()
    assert np.isneginf(appeal[1:3, market.PERSONAL_ASSISTANT]).all()
    assert np.isfinite(appeal[3]).all()


def test_type_appeal_terms():
    council, young_aff = market.type_appeal(np.array([False, True]), np.array([True, False]),
                                            np.array([MODE_COUNCIL, MODE_DIRECT]), P)
    np.testing.assert_allclose(council[[0, 1, 3]], np.array(P.council_type_preference)[[0, 1, 3]])
    expected = np.array(P.type_preference) + np.array(P.affinity_bonus)
    expected[market.PERSONAL_ASSISTANT] += P.pa_under65_bonus
    np.testing.assert_allclose(young_aff, expected)


def test_provider_appeal_people_weigh_rating_council_weighs_block_contracts():
    people = market.provider_appeal(np.array([0.9, 0.5]), np.array([20.0, 20.0]), 20.0, np.array([0, 5]), False, P)
    assert people[0] - people[1] == pytest.approx(P.beta_rating * 0.4)
    council = market.provider_appeal(np.array([0.9, 0.5]), np.array([20.0, 20.0]), 20.0, np.array([0, 5]), True, P)
    assert council[1] - council[0] == pytest.approx(P.block_bonus)
    dearer = market.provider_appeal(0.5, 24.0, 20.0, 0, False, P)
    assert people[1] - dearer == pytest.approx(P.beta_price * 0.2)


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
