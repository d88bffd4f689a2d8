"""Assessment and budgets (ODD 7.2) and the council's cash limit and levers (ODD 7.10).

A resource allocation system (RAS) turns assessed need into an indicative budget: points x GBP
per point (the seeds: "points x GBP per point, or bands"). The assessment credits unpaid care: the
points a person is funded for are their need less the hours the assessment credits to their carer
(:func:`credited_hours`: with a carer's assessment, only the hours the carer is willing and able to
sustain; without, every hour they give). Unspent direct-payment money above a buffer is clawed back.

Each council has a cash limit a year (:func:`cash_limit`), with under- or overspend carried into the
next within a limit (:func:`carry_over`). Every month it projects the year's spend from the spend so
far and this month's; when the projection runs ahead of the cash it may spend, it pulls one step of
the first lever in its order that has room left (:func:`council_month`): a waiting list for
assessment, reductions in budgets set at review, non-residential charging (personal care free
where Scotland's rules hold), a higher eligibility threshold, fewer block-contracted day-centre
places. When the projection falls well below, it relaxes the last lever pulled, one step a month.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from model.codes import NO_PACKAGE, OPTION_1
from model.rules.arith import at_least, at_most, where
from model.scenario import LEVERS, Budgets, Carers

WEEKS_PER_MONTH = 52.0 / 12.0
#: A policy's assessment capacity when no waiting list is in force.
NO_WAITING_LIST = -1.0


def credited_hours(carer_hours: np.ndarray | float, base: np.ndarray | float, strain: np.ndarray | float,
                   c: Carers) -> np.ndarray:
    """Unpaid hours a week the assessment counts against need (the carer's assessment, ODD 7.2 and
    7.7). With ``carers_assessment``: for a carer still caring, the hours they are willing to give
    (``base``) up to ``credit_cap_hours``, less ``credit_strain_discount`` x ``strain`` of them (a
    strained carer is less able to go on); nothing for a person without a caring carer. Without it:
    every hour the carer gives (``carer_hours``, deducted 1:1)."""
    if not c.carers_assessment:
        return carer_hours + 0.0 * base
    return where(carer_hours > 0, at_most(base, c.credit_cap_hours) * (1.0 - c.credit_strain_discount * strain), 0.0)


def referral_hours(need: float, carer_hours: float, carer_base: float, c: Carers,
                   hours_per_point: float) -> tuple[float, float]:
    """A new referral's hours as their assessment first sees them, from their ``need`` and their
    carer's ``carer_hours`` and willing ``carer_base`` hours as stored: the hours it credits to the
    carer (:func:`credited_hours`, no strain yet; kept in single precision, as the people table
    stores it) and the formal hours they need (:func:`required_hours`). Returns (credit, formal
    hours needed)."""
    credit = float(np.float32(credited_hours(float(carer_hours), float(carer_base), 0.0, c)))
    return credit, required_hours(float(need), credit, hours_per_point)


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


def balance_option(option: int) -> int:
    """The column of the services by option (Options 1-4, from 0) that money clawed back from a
    direct-payment balance is taken off: the option the person holds, Option 1 for a balance left
    after their package ended."""
    return max(option, OPTION_1) - OPTION_1


def assessed(waited: np.ndarray, council: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Which of the people due for review are assessed this month (ODD 7.2, 7.10): all of them,
    but where a council's waiting list is in force (``allowed`` >= 0 people it may assess, by
    council: :func:`assessments_allowed`), only that many of its people, those who have waited
    longest first (``waited``: months each has waited; their order among equals). ``council``:
    each one's council."""
    out = np.ones(len(waited), dtype=np.bool_)
    if len(waited) == 0 or not np.any(allowed >= 0):
        return out
    taken = np.zeros(len(allowed), dtype=np.int64)
    for k in np.argsort(-waited, kind="mergesort"):  # a stable sort: the longest waits first
        c = council[k]
        if 0 <= allowed[c] <= taken[c]:
            out[k] = False
        else:
            taken[c] += 1
    return out


def assessment_spend(assessments: np.ndarray | float, cost: np.ndarray | float) -> np.ndarray | float:
    """The council's spend on ``assessments`` assessments (each review of a person due, ODD 7.2) at
    ``cost`` each (its ``finance.assessment_cost``); people left waiting are not assessed."""
    return assessments * cost


class Policy(NamedTuple):
    """A council's levers: the eligibility threshold (points), its assessment capacity while a
    waiting list is in force (assessments per 1,000 people a month; negative: no waiting list), the
    reduction in budgets set at review (share), the charge rate (share of the chargeable part of
    a package) and the share of day-centre block places decommissioned."""

    threshold: float
    assessment_capacity: float
    review_reduction: float
    charge_rate: float
    decommission: float

    @property
    def waiting_list(self) -> bool:
        """Whether the council's waiting list for assessment is in force."""
        return self.assessment_capacity >= 0


def starting_policy(b: Budgets) -> Policy:
    """The scenario's policy before any lever is pulled: its baseline eligibility and charge rate."""
    return Policy(b.eligibility_threshold, NO_WAITING_LIST, 0.0, b.charge_rate, 0.0)


def cash_limit(cash_per_head: float, population: int, growth: float, year: int) -> float:
    """A council's cash limit for ``year`` (0 = the first): ``cash_per_head`` x its population, grown
    by the settlement ``growth`` a year. Until population-driven demand lands, the population is the
    council's people on the books at the start (this is the one place that says so)."""
    return cash_per_head * population * (1.0 + growth) ** year


def carry_over(available: float, spend: float, cash: float, limit: float) -> tuple[float, float]:
    """At a year end: the under- (positive) or overspend (negative) carried into the next year, at
    most ``limit`` x the year's ``cash`` limit either way, and the overspend beyond what may be carried
    (reported as the year's overspend not met by the levers). ``available``: the year's cash limit
    plus what was carried into it."""
    left = available - spend
    most = limit * cash
    carried = min(max(left, -most), most)
    return carried, max(-left - most, 0.0)


def projected_spend(year_spend: float, month_spend: float, months_left: int) -> float:
    """What the council expects to spend: the year's spend if the rest of it runs at this month's
    rate, or this month's rate over a whole year if that is more (the spend it has committed to,
    which a year nearly over would otherwise hide until the next)."""
    return max(year_spend + month_spend * months_left, 12.0 * month_spend)


def _stepped(lever: str, b: Budgets) -> tuple[str, float, float, float]:
    """A stepped lever's field of :class:`Policy`, its step, its starting value and its limit."""
    if lever == "review_reduction":
        return "review_reduction", b.review_reduction_step, 0.0, b.review_reduction_max
    if lever == "charging":
        return "charge_rate", b.charge_step, b.charge_rate, b.charge_max
    if lever == "eligibility":
        return "threshold", b.threshold_step, b.eligibility_threshold, b.threshold_max
    if lever == "decommissioning":
        return "decommission", b.decommission_step, 0.0, b.decommission_max
    raise KeyError(lever)


def _tighten(policy: Policy, lever: str, b: Budgets) -> Policy | None:
    """``policy`` with one more step of ``lever``, or None when it has no room left."""
    if lever == "waiting_list":
        return None if policy.waiting_list else policy._replace(assessment_capacity=b.assessment_capacity)
    field, step, _, limit = _stepped(lever, b)
    value = min(getattr(policy, field) + step, limit)
    return policy._replace(**{field: value}) if value > getattr(policy, field) else None


def _relax(policy: Policy, lever: str, waiting: int, b: Budgets) -> Policy | None:
    """``policy`` with one step of ``lever`` undone (never below the starting policy), or None when
    the lever is not in use. A waiting list ends only once nobody is on it (``waiting`` people);
    until then its capacity rises by ``assessment_capacity_step``, so that the list drains over
    months rather than all at once."""
    if lever == "waiting_list":
        if not policy.waiting_list:
            return None
        return policy._replace(assessment_capacity=NO_WAITING_LIST if waiting == 0
                               else policy.assessment_capacity + b.assessment_capacity_step)
    field, step, start, _ = _stepped(lever, b)
    value = max(getattr(policy, field) - step, start)
    return policy._replace(**{field: value}) if value < getattr(policy, field) else None


def council_month(year_spend: float, month_spend: float, months_left: int, may_spend: float, policy: Policy,
                  waiting: int, b: Budgets) -> tuple[Policy, int]:
    """A council's month-end decision (ODD 7.10). ``year_spend``: its net spend so far this year,
    this month's (``month_spend``) included; ``may_spend``: the most it may spend this year (cash limit,
    carry-over in, and the overspend it may carry out). If the projected year
    (:func:`projected_spend`) exceeds ``may_spend`` less ``trigger_margin`` of it, the first lever of
    ``lever_order`` with room left moves one step; if it is below ``may_spend`` less
    ``relax_margin``, the last lever of the order in use moves one step back (``waiting``: the
    people on the council's waiting list, :func:`_relax`). Returns the policy and
    the lever moved (its index in :data:`model.scenario.LEVERS`, plus one; negative when relaxed; 0
    when none moved)."""
    projected = projected_spend(year_spend, month_spend, months_left)
    if projected > may_spend * (1.0 - b.trigger_margin):
        for lever in b.lever_order:
            tighter = _tighten(policy, lever, b)
            if tighter is not None:
                return tighter, LEVERS.index(lever) + 1
    elif projected < may_spend * (1.0 - b.relax_margin):
        for lever in reversed(b.lever_order):
            looser = _relax(policy, lever, waiting, b)
            if looser is not None:
                return looser, -(LEVERS.index(lever) + 1)
    return policy, 0


def review_rate(rate: float, policy: Policy) -> float:
    """The RAS rate used at review: the scenario's, less the council's review reduction."""
    return rate * (1.0 - policy.review_reduction)


def assessments_allowed(policy: Policy, population: int) -> int:
    """The most people a council assesses this month: its assessment capacity per 1,000 of its
    population (see :func:`cash_limit`) while the waiting list is in force, otherwise no limit (-1)."""
    return int(policy.assessment_capacity * population / 1000.0) if policy.waiting_list else -1


def block_share(share: float, policy: Policy) -> float:
    """The council's share of day-centre places on block contracts (the rollout's ``share``), less
    what it has decommissioned."""
    return share * (1.0 - policy.decommission)


def chargeable_share(b: Budgets) -> float:
    """Share of a package's cost that may be charged: all of it, or, under Scotland's free personal
    care, the part that is not personal care."""
    return 1.0 - b.personal_care_share if b.free_personal_care else 1.0


def charge(option: int, budget: float, rate: float, chargeable: float) -> float:
    """A person's charge this month (income to the council, a cost to the person): ``rate`` x the
    ``chargeable`` share of their monthly budget, for a person with a package."""
    return rate * chargeable * budget if has_package(option) else 0.0
