"""Support: places per month and who they reach (the rules, and the compiled pass over councils)."""

from __future__ import annotations

import numpy as np
import pytest

from model.core.state import Ledger, People
from model.engines.vector import support_and_choice
from model.rules import support
from model.scenario import Support


def allocate(quintile: np.ndarray, u_keys: np.ndarray, n_places: int, most_deprived: bool) -> np.ndarray:
    """Mask of who is supported in one council's queue with ``n_places`` places."""
    # capacity 1000 per 1000 people: the people in the council are the places, with no fractional part
    return support.reached(quintile, n_places, 1000.0, most_deprived, np.concatenate([[0.5], u_keys]))


def test_places_scale_with_people_and_carry_the_fraction_as_a_chance():
    assert support.places(2000, 4.0, 0.99) == 8
    # 4 per 1000 x 1100 = 4.4 places: one more with chance 0.4.
    assert support.places(1100, 4.0, 0.39) == 5
    assert support.places(1100, 4.0, 0.41) == 4
    draws = np.random.default_rng(1).random(4000)
    assert np.mean([support.places(1100, 4.0, u) for u in draws]) == pytest.approx(4.4, abs=0.03)


def test_support_spend_is_the_people_reached_times_the_cost_per_person():
    # 4 people supported at GBP 350 each: GBP 1,400; nobody reached costs nothing.
    assert support.spend(4, 350.0) == 1400.0
    assert support.spend(0, 350.0) == 0.0


def test_targeting_flag():
    assert support.targets_most_deprived(Support(targeting="most_deprived"))
    assert not support.targets_most_deprived(Support(targeting="first_come"))


def test_most_deprived_first_serves_quintile_1_before_quintile_2():
    rng = np.random.default_rng(2)
    quintile = rng.integers(0, 5, 500)
    n_q1 = int((quintile == 0).sum())
    chosen = allocate(quintile, rng.random(500), n_q1 + 10, most_deprived=True)
    assert chosen.sum() == n_q1 + 10
    assert chosen[quintile == 0].all()
    assert (quintile[chosen] <= 1).all()
    assert chosen[quintile == 1].sum() == 10


def test_first_come_ignores_deprivation_and_takes_the_lowest_draws():
    rng = np.random.default_rng(3)
    quintile = rng.integers(0, 5, 5000)
    u = rng.random(5000)
    chosen = allocate(quintile, u, 1000, most_deprived=False)
    np.testing.assert_array_equal(chosen, u < np.sort(u)[1000])
    shares = np.bincount(quintile[chosen], minlength=5) / 1000
    np.testing.assert_allclose(shares, np.bincount(quintile, minlength=5) / 5000, atol=0.04)


def test_allocation_edge_cases_and_ties_keep_the_queue_order():
    quintile = np.zeros(3, dtype=np.int8)
    keys = np.array([0.5, 0.1, 0.9])
    assert allocate(quintile, keys, 0, False).sum() == 0
    assert allocate(quintile, keys, 5, False).all()
    assert allocate(quintile, keys, 1, False).tolist() == [False, True, False]
    assert allocate(quintile, np.array([0.3, 0.3, 0.3]), 2, False).tolist() == [True, True, False]
    assert allocate(np.zeros(0, dtype=np.int8), np.zeros(0), 3, False).size == 0


def test_councils_draw_in_the_per_agent_engines_order():
    """Each council with a queue takes one uniform for its places, then one per person queued
    there (in queue order); a council with no one choosing takes none."""
    rng = np.random.default_rng(4)
    n = 60
    council = rng.integers(0, 3, n)
    council[council == 1] = 2  # council 1 has no one choosing
    quintile = rng.integers(0, 5, n)
    choosing = np.sort(rng.choice(n, 40, replace=False))
    stock = np.array([900, 400, 1300])
    capacity, deprived, cost = np.array([10.0, 10.0, 5.0]), np.array([True, False, False]), np.array([1.0, 2.0, 3.0])
    u = rng.random(2 + choosing.size)
    P = People(n)
    P.append(n, council=council, quintile=quintile)
    ledger = Ledger(3)
    n_supported, spend = ledger.supported, ledger.support
    support_and_choice.support_places(choosing, P.record(n), stock, capacity, deprived, cost, u, ledger.record())
    supported = P.view("supported")
    expected = np.zeros(n, dtype=bool)
    k = 0
    for c in range(3):
        queue = choosing[council[choosing] == c]
        if queue.size == 0:
            continue
        places = support.places(int(stock[c]), capacity[c], u[k])
        keys = [float(support.priority(quintile[r], u[k + 1 + j], deprived[c])) for j, r in enumerate(queue)]
        k += 1 + queue.size
        expected[queue[np.argsort(keys, kind="stable")[:places]]] = True
        assert n_supported[c] == min(places, queue.size) and spend[c] == cost[c] * n_supported[c]
    assert k == u.size and n_supported[1] == 0
    np.testing.assert_array_equal(supported, expected)
    assert 0 < supported.sum() < choosing.size  # some but not all supported: the places bind
