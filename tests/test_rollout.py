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
