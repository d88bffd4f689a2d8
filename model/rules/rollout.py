"""Rollout and reviews (ODD 7.3): how fast a council offers the SDS choice, and block contracts.

A council offers the choice to a linearly growing share of its people from ``start_month`` over
``duration_months`` (one to three years in Scotland), or to the shares of a schedule (a published
implementation rate). Each person holds a fixed random rank; they
are offered the choice once the council's share passes it, which triggers a review. As the offer
spreads, day-centre block contracts are run down to ``block_retention`` of their starting level.
"""

from __future__ import annotations

import numpy as np

from model.codes import NO_PACKAGE
from model.rules import budgets, market
from model.scenario import Budgets, Commissioning, Rollout


def offered_share(month: int, r: Rollout) -> float:
    """Share of the council's people offered the SDS choice in ``month``: the linear ramp from
    ``start_month`` over ``duration_months``, or, with a schedule, linear between its points (0
    before the first, flat after the last)."""
    if not r.offer:
        return 0.0
    if r.schedule_months:
        if month < r.schedule_months[0]:
            return 0.0
        return float(np.interp(month, r.schedule_months, r.schedule_shares))
    if month < r.start_month:
        return 0.0
    if r.duration_months == 0:
        return 1.0
    return min(1.0, (month - r.start_month + 1) / r.duration_months)


def is_offered(offer_rank: float, share: float) -> bool:
    """Whether the rollout has reached a person: their council's offered ``share`` has passed their
    ``offer_rank``."""
    return offer_rank < share


def review_countdown(offered: bool, offer_rank: float, review_in: int, share: float, offer: bool,
                     interval: int) -> tuple[bool, int, bool]:
    """One living person's month of rollout and reviews: if the offered shares moved (``offer``), a
    person whose rank is now under their council's ``share`` is offered the choice and reviewed at
    once; everyone's next review comes a month closer. Returns (offered, months to the next review,
    due); when due, the next review is set ``interval`` months on."""
    if offer and not offered and is_offered(offer_rank, share):
        offered = True
        review_in = 0
    review_in -= 1
    due = review_in <= 0
    if due:
        review_in = interval
    return offered, review_in, due


def wait(waiting: int) -> tuple[int, int]:
    """A person due whose council's waiting list holds them back (ODD 7.10,
    :func:`model.rules.budgets.assessed`): one month more waited, and due again next month. Returns
    (months waited, months to the next review)."""
    return waiting + 1, 0


def review(option: int, dp_balance: float, budget: float, control: float, burden: float, supported: bool,
           offered: bool, need: float, carer_credit: float, threshold: float, rate: float, direct_share: float,
           b: Budgets) -> tuple[float, int, float, int, bool, float, int, float, float, bool, bool, bool]:
    """One person's review (ODD 7.2-7.3), their wait, if any, over: unspent direct-payment money
    above the buffer is clawed back (:func:`model.rules.budgets.clawback`, against the part of the
    current budget paid directly) and taken off the services of the option it was paid under
    (:func:`model.rules.budgets.balance_option`); then eligibility and budget at the council's
    ``threshold`` and ``rate`` (:func:`model.rules.budgets.assess`, the carer credited with
    ``carer_credit`` hours a week, :func:`model.rules.budgets.credited_hours`). Losing eligibility
    while holding a package ends it: no option, no control or felt burden (and no provider
    relationships). The eligible who have been offered the choice choose this month, their support
    reset (advice and brokerage may reach them at this review, ODD 7.5); the other eligible keep
    council-arranged care.

    Returns (clawed back, its column of services, -1 if nothing is; balance, months waited,
    eligible, budget, option, control, felt burden, supported, whether the package ends, whether
    they choose)."""
    claw = 0.0
    if dp_balance > 0:
        claw = budgets.clawback(dp_balance, budget * market.paid_directly(option, direct_share), b)
    column = budgets.balance_option(option) if claw > 0 else -1
    eligible, new_budget = budgets.assess(need, carer_credit, threshold, rate, b)
    ends = (not eligible) and budgets.has_package(option)
    if ends:
        option, control, burden = NO_PACKAGE, 0.0, 0.0
    chooses = eligible and offered
    if chooses:
        supported = False
    return (claw, column, dp_balance - claw, 0, eligible, new_budget, option, control, burden, supported, ends,
            chooses)


def block_rundown(month: int, r: Rollout, c: Commissioning) -> float:
    """Block contracts left, as a share of those held before rollout: falls with the offer to the
    retained share (``block_retention``)."""
    return 1.0 - offered_share(month, r) * (1.0 - c.block_retention)


def block_places(capacity: int, share: float, block_start: int, rundown: float) -> int:
    """Block-contracted places at an open day centre: the council's block ``share``
    (``commissioning.block_share`` x its level, :meth:`model.core.economy.CareEconomy.block_shares`)
    of its capacity, rounded half to even; at a named centre, whose block places at the start are
    given (``block_start`` >= 0), those places times the council's ``rundown`` (the level,
    :func:`block_rundown` or :func:`commissioning_review`
    less what it has decommissioned), rounded half to even, at most its capacity."""
    if block_start < 0:
        return round(share * capacity)
    return min(round(block_start * rundown), capacity)


def commissioning_review(level: float, taken: float, held: float, retention: float, min_use: float) -> float:
    """A council's decision on its day-centre block contracts at a commissioning review (``rundown``
    = occupancy): ``level`` is the share of its starting block contracts it holds, ``taken`` and
    ``held`` the block places its attendees took and those it paid for since the last review. With
    use u = taken / held below ``min_use`` (a rule of thumb: how much empty capacity the council
    tolerates paying for), it keeps only what use at that margin would need, level x u /
    ``min_use``; never below ``retention`` (policy) nor above ``level`` (it does not buy back).
    With no block places held, the level stands."""
    if held <= 0:
        return level
    use = taken / held
    if use >= min_use:
        return level
    return min(level, max(retention, level * use / min_use))

