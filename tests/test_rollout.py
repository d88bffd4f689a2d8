"""Rollout: the offered share over time and the run-down of block contracts."""

from __future__ import annotations

import pytest

from model.rules import rollout
from model.scenario import Commissioning, Rollout


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


def test_block_share_runs_down_to_the_retained_level():
    r = Rollout(start_month=0, duration_months=10)
    c = Commissioning(block_share=0.8, block_retention=0.25)
    assert rollout.block_share(0, Rollout(start_month=5, duration_months=10), c) == pytest.approx(0.8)
    assert rollout.block_share(4, r, c) == pytest.approx(0.8 * (1 - 0.5 * 0.75))
    assert rollout.block_share(9, r, c) == pytest.approx(0.8 * 0.25)
    assert rollout.block_share(50, r, c) == pytest.approx(0.2)


def test_full_retention_keeps_every_block_contract():
    c = Commissioning(block_share=0.6, block_retention=1.0)
    r = Rollout(start_month=0, duration_months=12)
    assert all(rollout.block_share(m, r, c) == pytest.approx(0.6) for m in range(40))


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
