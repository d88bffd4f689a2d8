"""Support (ODD 7.5) and option choice (7.4), compiled: support places council by council, each
chooser's option, and the control and felt burden of the option held; the month's three steps in
one call (:func:`support_and_choice`)."""

from __future__ import annotations

import numba
import numpy as np

from model import stream
from model.codes import OPTION_3
from model.core.state import Ledger, People
from model.engines.vector import common
from model.engines.vector.common import CHOICE, group_order, release_row
from model.rules import choice, demography, support

common.prepare(__name__, __file__)


@numba.njit(cache=True)
def support_places(choosing: np.ndarray, people: People.Record, stock: np.ndarray, capacity: np.ndarray,
                   most_deprived: np.ndarray, cost_per_person: np.ndarray, u: np.ndarray,
                   ledger: Ledger.Record) -> None:
    """Support (ODD 7.5), council by council (:func:`model.rules.support.reached`) for its queue:
    the people ``choosing`` there, in their order (``people`` is the people table's record). The
    uniforms ``u`` are used in the order the per-agent engine takes them: for each council with
    someone choosing, one for its places, then one per person choosing there. Marks the supported
    and adds them and their cost (:func:`model.rules.support.spend`) to the council's ``supported``
    and ``support`` in the ``ledger`` record."""
    council, quintile, supported = people.council, people.quintile, people.supported
    keys_c = np.empty(choosing.size, dtype=np.int64)
    for j in range(choosing.size):
        keys_c[j] = council[choosing[j]]
    order, start = group_order(choosing, keys_c, stock.size)
    k = 0
    for c in range(stock.size):
        queue = order[start[c]:start[c + 1]]
        if queue.size == 0:
            continue
        reached = support.reached(quintile[queue], stock[c], capacity[c], most_deprived[c], u[k:k + 1 + queue.size])
        k += 1 + queue.size
        n_got = 0
        for j in range(queue.size):
            if reached[j]:
                supported[queue[j]] = True
                n_got += 1
        ledger.supported[c] += n_got
        ledger.support[c] += support.spend(n_got, cost_per_person[c])


@numba.njit(cache=True)
def choose_options(rows: np.ndarray, people: People.Record, available: np.ndarray, reduction: np.ndarray,
                   account: np.ndarray, presentation: np.ndarray, ch: np.ndarray, fresh: bool,
                   state: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Option choice at review (ODD 7.4) for ``rows`` of the people table's record ``people``, all
    against the same state, in row order: each person's decision
    (:func:`model.rules.choice.review_decision`, every review a choice when ``fresh``) with what
    their peers show (their options, satisfaction and months of moving;
    :data:`model.rules.choice.ABSENT_PEER` for a peer who has left) and the council's
    ``available`` options, support ``reduction``, managed ``account`` and ``presentation`` shifts.
    Returns the options they hold after it, what prompted them and whether they chose."""
    ch = ch.view(CHOICE)[0]
    peers, alive, option, satisfaction, moved_at = (people.peers, people.alive, people.option, people.satisfaction,
                                                    people.moved_at)
    confidence, age_band, group, supported, council = (people.confidence, people.age_band, people.group,
                                                       people.supported, people.council)
    need, carer_hours, chose_at, chose_need, chose_carer = (people.need, people.carer_hours, people.chose_at,
                                                            people.chose_need, people.chose_carer)
    out = np.empty(rows.size, dtype=np.int8)
    why = np.empty(rows.size, dtype=np.int8)
    chose = np.empty(rows.size, dtype=np.bool_)
    k = peers.shape[1]
    peer_option = np.empty(k, dtype=np.int64)  # the peers' state, gathered for one person at a time
    peer_satisfaction = np.empty(k)
    peer_moved = np.empty(k, dtype=np.int64)
    words = stream.load(state)
    for s in range(rows.size):
        r = rows[s]
        for j in range(k):
            q = peers[r, j]
            if q >= 0 and alive[q]:
                peer_option[j], peer_satisfaction[j], peer_moved[j] = option[q], satisfaction[q], moved_at[q]
            else:
                peer_option[j], peer_satisfaction[j], peer_moved[j] = choice.ABSENT_PEER
        c = council[r]
        out[s], why[s], chose[s], words = choice.review_decision(
            peer_option, peer_satisfaction, peer_moved, option[r], chose_at[r], satisfaction[r], need[r],
            chose_need[r], chose_carer[r], carer_hours[r], supported[r], confidence[r],
            demography.is_over65(age_band[r]), group[r], fresh,
            (available[c, 0], available[c, 1], available[c, 2], available[c, 3]), reduction[c], account[c],
            (presentation[c, 0], presentation[c, 1], presentation[c, 2], presentation[c, 3]), ch, words)
    stream.store(state, words)
    return out, why, chose


@numba.njit(cache=True)
def apply_options(choosing: np.ndarray, chosen: np.ndarray, why: np.ndarray, chose: np.ndarray, kept: np.ndarray,
                  month: int, people: People.Record, clients: np.ndarray, reduction: np.ndarray, account: np.ndarray,
                  ch: np.ndarray, option_reviews: np.ndarray, prompted: np.ndarray,
                  changes_by_prompt: np.ndarray) -> None:
    """After choice (ODD 7.4): the people ``choosing`` take the options ``chosen``, the others
    reviewed (``kept``) stay council-arranged (Option 3), each by
    :func:`model.rules.choice.take_option` (a changed option ends the old provider relationships
    and the person is ``seeking`` providers for it). The decisions of those choosing (what
    prompted them, ``why``, whether they ``chose``, in ``month``) are counted and remembered by
    :func:`model.rules.choice.take_decision`, in ``option_reviews``, ``prompted`` and
    ``changes_by_prompt`` by council (the ledger's figures, passed on their own: the pass needs no
    other). ``people`` is the people table's record, ``clients`` the providers' client counts.
    (Each pass reads the columns it uses into local names first: the record's fields then need no
    reference counting per row.)"""
    ch = ch.view(CHOICE)[0]
    option, provider, seeking = people.option, people.provider, people.seeking
    confidence, supported, council = people.confidence, people.supported, people.council
    control, burden = people.control, people.burden
    need, carer_hours, chose_at, chose_need, chose_carer, moved_at = (
        people.need, people.carer_hours, people.chose_at, people.chose_need, people.chose_carer, people.moved_at)
    for s in range(choosing.size + kept.size):
        r = choosing[s] if s < choosing.size else kept[s - choosing.size]
        o = chosen[s] if s < choosing.size else OPTION_3
        c = council[r]
        if s < choosing.size:
            reviewed, was_prompted, counted_change, chose_at[r], chose_need[r], chose_carer[r], moved_at[r] = (
                choice.take_decision(option[r], o, why[s], chose[s], month, need[r], carer_hours[r], chose_at[r],
                                     chose_need[r], chose_carer[r], moved_at[r]))
            option_reviews[c] += reviewed
            prompted[c] += was_prompted
            if counted_change:
                changes_by_prompt[c, why[s]] += 1
        option[r], changed, control[r], burden[r] = choice.take_option(option[r], o, confidence[r], supported[r],
                                                                       reduction[c], carer_hours[r] > 0, account[c],
                                                                       ch)
        if changed:
            release_row(provider, clients, r)
            seeking[r] = True


@numba.njit(cache=True)
def support_and_choice(choosing: np.ndarray, kept: np.ndarray, people: People.Record, stock: np.ndarray,
                       capacity: np.ndarray, most_deprived: np.ndarray, cost_per_person: np.ndarray, u: np.ndarray,
                       available: np.ndarray, reduction: np.ndarray, account: np.ndarray, presentation: np.ndarray,
                       ch: np.ndarray, fresh: bool, state: np.ndarray, month: int, clients: np.ndarray,
                       ledger: Ledger.Record) -> None:
    """The month's support and choice in one call (each call of a compiled pass from Python costs
    the typing of its arguments, a table's record most): :func:`support_places` for the people
    ``choosing`` (with the uniforms ``u``), their choice (:func:`choose_options`, drawing from the
    stream ``state``), and the options taken and kept (:func:`apply_options`)."""
    support_places(choosing, people, stock, capacity, most_deprived, cost_per_person, u, ledger)
    chosen, why, chose = choose_options(choosing, people, available, reduction, account, presentation, ch, fresh,
                                        state)
    apply_options(choosing, chosen, why, chose, kept, month, people, clients, reduction, account, ch,
                  ledger.option_reviews, ledger.prompted, ledger.changes_by_prompt)


@numba.njit(cache=True)
def choice_state(rows: np.ndarray, people: People.Record, reduction: np.ndarray, account: np.ndarray,
                 ch: np.ndarray) -> None:
    """Control and felt burden of ``rows`` in their current option (:func:`model.rules.choice.held`;
    ODD 7.4, 7.8). ``people`` is the people table's record (:meth:`model.core.state.Table.record`)."""
    ch = ch.view(CHOICE)[0]
    option, confidence, supported, council = people.option, people.confidence, people.supported, people.council
    control, burden, carer_hours = people.control, people.burden, people.carer_hours
    for r in rows:
        c = council[r]
        control[r], burden[r] = choice.held(option[r], confidence[r], supported[r], reduction[c], carer_hours[r] > 0,
                                            account[c], ch)
