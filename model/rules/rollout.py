"""Rollout and reviews (ODD 7.3): how fast a council offers the SDS choice, and block contracts.

A council offers the choice to a linearly growing share of its people from ``start_month`` over
``duration_months`` (one to three years in Scotland). Each person holds a fixed random rank; they
are offered the choice once the council's share passes it, which triggers a review. As the offer
spreads, day-centre block contracts are run down to ``block_retention`` of their starting level.
"""

from __future__ import annotations

from model.scenario import Commissioning, Rollout


def offered_share(month: int, r: Rollout) -> float:
    """Share of the council's people offered the SDS choice in ``month``."""
    if not r.offer or month < r.start_month:
        return 0.0
    if r.duration_months == 0:
        return 1.0
    return min(1.0, (month - r.start_month + 1) / r.duration_months)


def block_share(month: int, r: Rollout, c: Commissioning) -> float:
    """Share of day-centre places on block contracts: falls with the offer to the retained level."""
    progress = offered_share(month, r)
    return c.block_share * (1.0 - progress * (1.0 - c.block_retention))
