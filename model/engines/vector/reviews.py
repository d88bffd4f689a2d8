"""Reviews (ODD 7.2-7.3), compiled: assessment, clawback, eligibility and budgets of the people due."""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from model.codes import N_OPTIONS
from model.core.state import Ledger, People
from model.engines.vector import common
from model.engines.vector.common import BUDGETS, release_row
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

    Which of them are assessed is :func:`model.rules.budgets.assessed` (with each council's
    ``allowed`` while its waiting list is in force, the rows due in row order); the others wait
    (:func:`model.rules.rollout.wait`) and are counted in the ledger's ``waiting``, their months
    waited in ``waiting_months`` and those without a package in ``waiting_new``. Each person
    assessed is reviewed (:func:`model.rules.rollout.review`, with Option 4's ``direct_share`` paid
    directly and the council's ``threshold`` and ``rate``), counted in the ledger's
    ``assessments`` and costed in its ``assessment`` at the council's ``assessment_cost``
    (:func:`model.rules.budgets.assessment_spend`); money clawed back is added to ``clawback`` by
    council and taken off the services by council and option; a package that ends ends its
    provider relationships. Returns the people reviewed who choose this month, the other eligible
    people reviewed, and the number of councils with someone choosing (support draws one number
    for each such council's places)."""
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
    assessed = budgets.assessed(waiting[rows[:n_rows]], council[rows[:n_rows]], allowed)
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
            waiting[i], review_in[i] = rollout.wait(waiting[i])
            on_list[c, 0] += 1
            on_list[c, 1] += waiting[i]
            on_list[c, 2] += not budgets.has_package(option[i])
            continue
        count[c] += 1
        (claw, column, dp_balance[i], waiting[i], eligible[i], budget[i], option[i], control[i], burden[i],
         supported[i], ends, chooses) = rollout.review(option[i], dp_balance[i], budget[i], control[i], burden[i],
                                                       supported[i], offered[i], need[i], carer_credit[i],
                                                       threshold[c], rate[c], direct_share, b)
        if column >= 0:
            clawed[c, column] += claw
        if ends:
            release_row(provider, clients, i)
        if chooses:
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


