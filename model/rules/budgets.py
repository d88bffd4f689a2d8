"""Assessment and budgets (ODD 7.2): eligibility, the resource allocation system, clawback and
the council's yearly tightening.

A resource allocation system (RAS) turns assessed need into an indicative budget: points x GBP
per point (the seeds: "points x GBP per point, or bands"). The assessment credits unpaid care: the
points a person is funded for are their need less the hours their carer gives. Councils under
budget pressure raise the threshold or cut the rate at the yearly review; unspent direct-payment
money above a buffer is clawed back.
"""

from __future__ import annotations

import numpy as np

from model.codes import NO_PACKAGE, OPTION_1
from model.rules.arith import at_least, where
from model.scenario import Budgets

WEEKS_PER_MONTH = 52.0 / 12.0


def formal_points(need: np.ndarray | float, carer_hours: np.ndarray | float, hours_per_point: float) -> np.ndarray:
    """Points of need not met by the unpaid carer."""
    credit = carer_hours / hours_per_point if hours_per_point > 0 else 0.0 * carer_hours
    return at_least(need - credit, 0.0)


def required_hours(need: np.ndarray | float, carer_hours: np.ndarray | float, hours_per_point: float) -> np.ndarray:
    """Formal care hours a month the person needs: their need in hours less the carer's hours."""
    return at_least(need * hours_per_point - carer_hours, 0.0) * WEEKS_PER_MONTH


def assess(need: np.ndarray | float, carer_hours: np.ndarray | float, threshold: float, rate: float,
           b: Budgets) -> tuple[np.ndarray, np.ndarray]:
    """Eligibility and the indicative monthly budget. A person is eligible when their need is at or
    above the threshold and the RAS gives them a positive budget: someone whose unpaid carer covers
    all their assessed need gets no package (every package has a budget)."""
    budget = where(need >= threshold, rate * formal_points(need, carer_hours, b.hours_per_point), 0.0)
    return budget > 0, budget


def clawback(balance: np.ndarray | float, monthly_direct: np.ndarray | float, b: Budgets) -> np.ndarray:
    """Unspent direct-payment money above ``clawback_buffer_months`` of payments is recovered."""
    return at_least(balance - b.clawback_buffer_months * monthly_direct, 0.0)


def has_package(option: int) -> bool:
    """Whether a person holds a care package (one of Options 1-4): the people a council counts
    against its budget (ODD 7.10)."""
    return option > NO_PACKAGE


def admin_cost(option: int, costs: np.ndarray | list[float]) -> float:
    """The council's monthly cost of administering and monitoring one person's package: ``costs``
    by Option 1-4 (the council's ``finance.admin_cost``); nothing without a package."""
    return costs[option - OPTION_1] if has_package(option) else 0.0


def yearly_review(spend: float, budget: float, threshold: float, rate: float, base_threshold: float,
                  base_rate: float, b: Budgets) -> tuple[float, float]:
    """A council over its budget (beyond the tolerance) raises the threshold and cuts the rate;
    one under budget by the same margin relaxes back towards its starting policy."""
    if budget <= 0:
        return threshold, rate
    if spend > budget * (1 + b.over_budget_tolerance):
        return min(100.0, threshold + b.review_tighten_threshold), rate * (1 - b.review_cut_rate)
    if spend < budget * (1 - b.over_budget_tolerance):
        return (max(base_threshold, threshold - b.review_tighten_threshold),
                min(base_rate, rate / (1 - b.review_cut_rate) if b.review_cut_rate < 1 else base_rate))
    return threshold, rate
