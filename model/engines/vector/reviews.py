"""Reviews (ODD 7.2-7.3), compiled: assessment, clawback, eligibility and budgets of the people due."""

from __future__ import annotations

import numba
import numpy as np

from model.codes import N_OPTIONS
from model.engines.vector import common
from model.engines.vector.common import BUDGETS, release_row
from model.rules import rollout

common.prepare(__name__, __file__)


@numba.njit(cache=True)
def reviews(due: np.ndarray, first_new: int, alive: np.ndarray, offered: np.ndarray, offer_rank: np.ndarray,
            council: np.ndarray, review_in: np.ndarray, share: np.ndarray, offer: bool, interval: np.ndarray,
            option: np.ndarray, need: np.ndarray, carer_hours: np.ndarray, budget: np.ndarray, eligible: np.ndarray,
            dp_balance: np.ndarray, supported: np.ndarray, provider: np.ndarray, clients: np.ndarray,
            control: np.ndarray, burden: np.ndarray, threshold: np.ndarray, rate: np.ndarray,
            assessment_cost: np.ndarray, direct_share: float, b: np.ndarray, assessments: np.ndarray,
            assessment: np.ndarray, clawback: np.ndarray, services: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Reviews (ODD 7.2-7.3), person by person as :meth:`model.core.agents.Person.review`, of the rows
    ``due`` (in row order, all before ``first_new``) and of the new arrivals (the rows from
    ``first_new`` on, all living) that the countdown (:func:`model.rules.rollout.review_countdown`) finds due.

    Each person reviewed is assessed (counted in ``assessments``, costed in ``assessment``, by
    council); unspent direct-payment money above the buffer is clawed back (added to ``clawback`` by
    council and taken off ``services`` by council and option, Options 1-4; a balance left after a
    package ended counts under Option 1); then eligibility and budget at the council's threshold
    and rate. Losing eligibility ends a package (provider relationships end, no control or burden).
    Returns the eligible people reviewed who have been offered the choice (their support is reset:
    they choose this month), those who have not, and the number of councils with someone choosing
    (support draws one number for each such council's places)."""
    b = b.view(BUDGETS)[0]
    n_c = clawback.size
    rows = np.empty(due.size + alive.size - first_new, dtype=np.int64)
    rows[: due.size] = due
    n_rows = due.size
    for i in range(first_new, alive.size):  # the new arrivals
        c = council[i]
        offered[i], review_in[i], is_due = rollout.review_countdown(offered[i], offer_rank[i], review_in[i], share[c],
                                                                    offer, interval[c])
        rows[n_rows] = i
        n_rows += is_due
    count = np.zeros(n_c)
    clawed = np.zeros((n_c, N_OPTIONS))
    choosing = np.empty(n_rows, dtype=np.int64)
    kept = np.empty(n_rows, dtype=np.int64)
    k0 = k1 = queues = 0
    has_queue = np.zeros(n_c, dtype=np.bool_)
    for i in rows[:n_rows]:
        c = council[i]
        count[c] += 1
        o = option[i]
        claw, eligible[i], budget[i], ends = rollout.review(o, dp_balance[i], budget[i], need[i], carer_hours[i],
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
        assessments[c] += count[c]
        assessment[c] += count[c] * assessment_cost[c]
        total = 0.0
        for j in range(N_OPTIONS):
            total += clawed[c, j]
            services[c, j] -= clawed[c, j]
        clawback[c] += total
    return choosing[:k0], kept[:k1], queues
