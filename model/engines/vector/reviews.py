"""Reviews (ODD 7.2-7.3), compiled: assessment, clawback, eligibility and budgets of the people due."""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from model.codes import N_OPTIONS, NO_PACKAGE
from model.core.state import Ledger, People
from model.engines.vector import common
from model.engines.vector.common import BUDGETS, group_order, release_row
from model.rules import budgets, rollout

common.prepare(__name__, __file__)


class Councils(NamedTuple):
    """Per council (indexed by council), what the reviews pass reads: the share offered the choice
    this month, the months between reviews, the eligibility threshold and RAS rate at review, the
    most people it assesses this month (-1: no waiting list) and the cost of an assessment."""

    offered_share: np.ndarray
    interval: np.ndarray
    threshold: np.ndarray
    rate: np.ndarray
    allowed: np.ndarray
    assessment_cost: np.ndarray


@numba.njit(cache=True)
def reviews(due: np.ndarray, first_new: int, people: People.Record, clients: np.ndarray, councils: Councils,
            offer: bool, direct_share: float, b: np.ndarray,
            ledger: Ledger.Record) -> tuple[np.ndarray, np.ndarray, int]:
    """Reviews (ODD 7.2-7.3), person by person as :meth:`model.core.agents.Person.review`, of the rows
    ``due`` (in row order, all before ``first_new``) and of the new arrivals (the rows from
    ``first_new`` on, all living) that the countdown (:func:`model.rules.rollout.review_countdown`,
    with the council's ``offered_share`` and review ``interval`` from ``councils``, and whether any
    ``offer`` moved) finds due. ``people`` and ``ledger`` are the tables' records, ``clients`` the
    providers' client counts.

    Where a council's waiting list is in force (``allowed`` >= 0), only that many of its people
    due are assessed, those who have waited longest first (row order among equals); the others
    wait (their ``waiting`` months rise, they are due again next month) and are counted in the
    ledger's ``waiting``, their months waited in ``waiting_months`` and those without a package in
    ``waiting_new``. Each person reviewed is assessed (``waiting`` back to 0; counted in the
    ledger's ``assessments``, costed in its ``assessment`` at the council's ``assessment_cost``,
    :func:`model.rules.budgets.assessment_spend`); unspent direct-payment money above the buffer
    (of the monthly payment: Option 1's budget, Option 4's ``direct_share`` of it) is clawed back
    (added to ``clawback`` by council and taken off the services by council and option, Options
    1-4; a balance left after a package ended counts under Option 1); then eligibility and budget
    at the council's ``threshold`` and ``rate``. Losing eligibility ends a package (provider relationships
    end, no control or burden). Returns the eligible people reviewed who have been offered the
    choice (their support is reset: they choose this month), those who have not, and the number
    of councils with someone choosing (support draws one number for each such council's places)."""
    share, interval, threshold, rate, allowed = (councils.offered_share, councils.interval, councils.threshold,
                                                 councils.rate, councils.allowed)
    b = b.view(BUDGETS)[0]
    alive, offered, offer_rank, council, review_in = (people.alive, people.offered, people.offer_rank, people.council,
                                                      people.review_in)
    option, need, carer_credit, budget, eligible = (people.option, people.need, people.carer_credit, people.budget,
                                                    people.eligible)
    dp_balance, supported, provider, control, burden = (people.dp_balance, people.supported, people.provider,
                                                        people.control, people.burden)
    waiting = people.waiting
    n_c = ledger.clawback.size
    rows = np.empty(due.size + alive.size - first_new, dtype=np.int64)
    rows[: due.size] = due
    n_rows = due.size
    for i in range(first_new, alive.size):  # the new arrivals
        c = council[i]
        offered[i], review_in[i], is_due = rollout.review_countdown(offered[i], offer_rank[i], review_in[i], share[c],
                                                                    offer, interval[c])
        rows[n_rows] = i
        n_rows += is_due
    assessed = np.ones(n_rows, dtype=np.bool_)
    if np.any(allowed >= 0):  # waiting lists: the longest waits first
        taken = np.zeros(n_c, dtype=np.int64)
        months = waiting[rows[:n_rows]].astype(np.int64)
        longest = months.max() if n_rows > 0 else 0
        # The longest waits first, row order among equals: a counting sort on months waited.
        for k in group_order(np.arange(n_rows), longest - months, longest + 1)[0]:
            c = council[rows[k]]
            if 0 <= allowed[c] <= taken[c]:
                assessed[k] = False
            else:
                taken[c] += 1
    count = np.zeros(n_c)
    clawed = np.zeros((n_c, N_OPTIONS))
    on_list = np.zeros((n_c, 3))
    choosing = np.empty(n_rows, dtype=np.int64)
    kept = np.empty(n_rows, dtype=np.int64)
    k0 = k1 = queues = 0
    has_queue = np.zeros(n_c, dtype=np.bool_)
    for k in range(n_rows):
        i = rows[k]
        c = council[i]
        if not assessed[k]:
            waiting[i] += 1
            review_in[i] = 0
            on_list[c, 0] += 1
            on_list[c, 1] += waiting[i]
            on_list[c, 2] += option[i] == NO_PACKAGE
            continue
        waiting[i] = 0
        count[c] += 1
        o = option[i]
        claw, eligible[i], budget[i], ends = rollout.review(o, dp_balance[i], budget[i], need[i], carer_credit[i],
                                                            threshold[c], rate[c], direct_share, b)
        if claw > 0:
            dp_balance[i] -= claw
            clawed[c, max(o, 1) - 1] += claw
        if ends:
            release_row(provider, clients, i)
            option[i] = 0
            control[i] = 0.0
            burden[i] = 0.0
        if eligible[i] and offered[i]:
            supported[i] = False
            choosing[k0] = i
            k0 += 1
            queues += not has_queue[c]
            has_queue[c] = True
        elif eligible[i]:
            kept[k1] = i
            k1 += 1
    for c in range(n_c):
        ledger.assessments[c] += count[c]
        ledger.assessment[c] += budgets.assessment_spend(count[c], councils.assessment_cost[c])
        total = 0.0
        for j in range(N_OPTIONS):
            total += clawed[c, j]
            ledger.services_by_option[c, j] -= clawed[c, j]
        ledger.clawback[c] += total
        ledger.waiting[c] += on_list[c, 0]
        ledger.waiting_months[c] += on_list[c, 1]
        ledger.waiting_new[c] += on_list[c, 2]
    return choosing[:k0], kept[:k1], queues


