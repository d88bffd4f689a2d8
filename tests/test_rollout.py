"""Rollout: the offered share over time and the run-down of block contracts."""

from __future__ import annotations

import pytest

from model.engines import CareEconomy
from model.rules import rollout
from model.scenario import Commissioning, Rollout, load_scenario


def test_offered_share_endpoints_and_linear_growth():
    r = Rollout(start_month=6, duration_months=36)
    assert rollout.offered_share(0, r) == 0.0
    assert rollout.offered_share(5, r) == 0.0
    assert rollout.offered_share(6, r) == pytest.approx(1 / 36)
    assert rollout.offered_share(6 + 17, r) == pytest.approx(18 / 36)
    assert rollout.offered_share(6 + 35, r) == 1.0
    assert rollout.offered_share(600, r) == 1.0
    shares = [rollout.offered_share(m, r) for m in range(60)]
    assert shares == sorted(shares)


def test_no_offer_and_instant_offer():
    assert all(rollout.offered_share(m, Rollout(offer=False)) == 0.0 for m in range(100))
    instant = Rollout(start_month=3, duration_months=0)
    assert rollout.offered_share(2, instant) == 0.0
    assert rollout.offered_share(3, instant) == 1.0


def test_block_contracts_run_down_on_the_schedule_to_the_retained_level():
    r = Rollout(start_month=0, duration_months=10)
    c = Commissioning(block_share=0.8, block_retention=0.25)
    assert rollout.block_rundown(0, Rollout(start_month=5, duration_months=10), c) == pytest.approx(1.0)
    assert rollout.block_rundown(4, r, c) == pytest.approx(1 - 0.5 * 0.75)
    assert rollout.block_rundown(9, r, c) == pytest.approx(0.25)
    assert rollout.block_rundown(50, r, c) == pytest.approx(0.25)


def test_full_retention_keeps_every_block_contract():
    c = Commissioning(block_share=0.6, block_retention=1.0)
    r = Rollout(start_month=0, duration_months=12)
    assert all(rollout.block_rundown(m, r, c) == pytest.approx(1.0) for m in range(40))


def test_a_commissioning_review_gives_up_only_the_places_unused_beyond_the_break_even():
    # 60 of 100 paid places taken against a break-even of 0.8: keep what 60 taken places need at 0.8.
    assert rollout.commissioning_review(1.0, 60, 100, 0.1, 0.8) == pytest.approx(0.75)
    assert rollout.commissioning_review(0.5, 60, 100, 0.1, 0.8) == pytest.approx(0.375)
    # At or above the break-even, or with nothing held, the contracts stand; never below the retention floor.
    assert rollout.commissioning_review(0.9, 85, 100, 0.1, 0.8) == 0.9
    assert rollout.commissioning_review(0.9, 0, 0, 0.1, 0.8) == 0.9
    assert rollout.commissioning_review(1.0, 5, 100, 0.3, 0.8) == 0.3
    # Never buys back: a council below the floor (set by an earlier, lower policy) is not raised.
    assert rollout.commissioning_review(0.2, 10, 100, 0.3, 0.8) == 0.2


def test_a_schedule_is_followed_point_by_point_and_held_after_the_last():
    r = Rollout(schedule_months=[0, 18, 30], schedule_shares=[0.0, 0.256, 0.7])
    assert rollout.offered_share(-1, r) == 0.0  # the spin-up, before month 0
    assert rollout.offered_share(0, r) == 0.0
    assert rollout.offered_share(9, r) == pytest.approx(0.128)
    assert rollout.offered_share(18, r) == pytest.approx(0.256)
    assert rollout.offered_share(24, r) == pytest.approx((0.256 + 0.7) / 2)
    assert rollout.offered_share(30, r) == pytest.approx(0.7)
    assert rollout.offered_share(119, r) == pytest.approx(0.7)
    late = Rollout(schedule_months=[12, 24], schedule_shares=[0.5, 1.0])
    assert rollout.offered_share(11, late) == 0.0
    assert rollout.offered_share(12, late) == 0.5
    assert rollout.offered_share(0, Rollout(offer=False, schedule_months=[0], schedule_shares=[1.0])) == 0.0


@pytest.mark.parametrize(("months", "shares", "message"), [
    ([0, 12], [0.5], "give one share per month"),
    ([12, 12], [0.1, 0.2], "must increase"),
    ([0, 12], [0.5, 0.4], "must not decrease"),
    ([0, 12], [0.5, 1.5], "element 1 is 1.5"),
    ([0, 12], [0.5, float("nan")], "element 1 is nan"),
])
def test_a_bad_schedule_is_refused_in_one_line(months, shares, message):
    from model.scenario import ScenarioError, load_scenario

    with pytest.raises(ScenarioError, match=message) as err:
        load_scenario("sds_rollout", {"councils.0.rollout.schedule_months": months,
                                      "councils.0.rollout.schedule_shares": shares})
    assert "\n" not in str(err.value)


def test_a_council_reviewing_by_occupancy_decides_on_the_use_it_saw():
    """``rundown`` = occupancy: at the end of each review period the council's block level is the
    rule applied to the block places its attendees took and those it paid for since the last review
    (the months' ledgers), and its centres' block places follow the level."""
    s = load_scenario("sds_rollout", {"run.people": 600, "run.months": 48,
                                      "councils.0.commissioning.rundown": "occupancy",
                                      "councils.0.commissioning.review_months": 6,
                                      "councils.0.commissioning.block_min_use": 0.95})
    m = CareEconomy(s, seed=4)
    taken = held = 0.0
    level = 1.0
    for _ in range(24):
        m.step()
        taken, held = taken + m.ledger.block_taken[0], held + m.ledger.block_held[0]
        if m.month % 6 == 0:
            level = rollout.commissioning_review(level, taken, held, 0.1, 0.95)
            taken = held = 0.0
            assert m.councils[0].block_level == level
    assert level < 1.0
    assert m.block_rundowns()[0] == pytest.approx(level)
