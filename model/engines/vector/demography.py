"""Demography (ODD 7.1) and the review countdown (7.3), compiled: the month of each living person,
arrivals and their peers (in one call, :func:`arrive`), departures and breakdown cells."""

from __future__ import annotations

import numba
import numpy as np

from model import codes, stream
from model.codes import N_QUINTILES
from model.core.state import Ledger, People, Providers
from model.engines.vector import bookkeeping, common
from model.engines.vector.common import CARERS, DEMOGRAPHY, group_order, release_row
from model.rules import budgets, demography, rollout

common.prepare(__name__, __file__)


@numba.njit(cache=True)
def demography_sweep(people: People.Record, clients: np.ndarray, share: np.ndarray, offer: bool, interval: np.ndarray,
                     stock: np.ndarray, hours_per_point: float, d: np.ndarray, state: np.ndarray,
                     ledger: Ledger.Record) -> np.ndarray:
    """Demography (ODD 7.1), person by person as :meth:`model.core.agents.Person.live_month`, and
    the countdown to reviews (7.3) of those who stay (:meth:`~model.core.agents.Person.count_down`);
    ``people`` and ``ledger`` are the tables' records, ``clients`` the providers' client counts.

    Each living person's month is :func:`model.rules.demography.person_month`: they may leave
    (death, residential care: bookkeeping as :func:`depart`), or their need drifts with the month's
    noise, and so the formal hours they need this month (for matching and purchasing), and they may
    move to the next age band (their breakdown cell follows); then the rollout (the council's offered ``share``)
    and their next review (:func:`model.rules.rollout.review_countdown`, every ``interval`` months by
    council). The people who left are taken off ``stock`` (people by council). Returns the rows due
    for review, in row order."""
    d = d.view(DEMOGRAPHY)[0]
    alive, need, group, age_band, council = people.alive, people.need, people.group, people.age_band, people.council
    quintile = people.quintile
    carer_credit, required, offered = people.carer_credit, people.required, people.offered
    offer_rank = people.offer_rank
    review_in = people.review_in
    due = np.empty(alive.size, dtype=np.int64)
    k = 0
    claw_by_council = np.zeros(stock.size)
    gone = np.zeros(stock.size)
    mortality = demography.mortality_gradient(d)
    words = stream.load(state)
    for i in range(alive.size):
        if not alive[i]:
            continue
        # Unsigned indices (group, quintile, council): numba checks a signed one for counting from the end.
        leaves, need_i, required_i, band, words = demography.person_month(
            need[i], np.uint8(group[i]), age_band[i], mortality[np.uint8(quintile[i])], carer_credit[i],
            hours_per_point, d, words)
        if leaves:
            _depart_row(i, people, clients, ledger.services_by_option, claw_by_council, gone)
            continue
        need[i], required[i] = need_i, required_i
        if band != age_band[i]:
            age_band[i] = band
            _set_cell(i, people)
        c = np.uint16(council[i])
        offered[i], review_in[i], is_due = rollout.review_countdown(offered[i], offer_rank[i], review_in[i], share[c],
                                                                    offer, interval[c])
        if is_due:
            due[k] = i
            k += 1
    stream.store(state, words)
    _add_departures(claw_by_council, gone, ledger)
    for c in range(stock.size):
        stock[c] -= np.int64(gone[c])
    return due[:k]


@numba.njit(cache=True)
def arrivals(start: int, counts: np.ndarray, deprivation: np.ndarray, group_mix: np.ndarray, share: np.ndarray,
             d: np.ndarray, cr: np.ndarray, hours_per_point: float, state: np.ndarray, new: People.Record) -> None:
    """Arrivals (ODD 7.1): ``counts[c]`` new people in council ``c``, council by council, in the
    rows of ``new`` from ``start`` on. Each is alive, drawn by
    :func:`model.rules.demography.new_person` from their council's referral mix
    (:func:`model.rules.demography.referral_mix` of its ``deprivation``) and the client groups'
    ``group_mix``; then, from the values stored, offered the choice or not
    (:func:`model.rules.rollout.is_offered`, with the council's offered ``share``, 7.3), and given
    their breakdown cell, and the hours the assessment credits to their carer and the formal hours
    they need (:func:`model.rules.budgets.referral_hours`, ``cr`` the carers' section)."""
    d, cr = d.view(DEMOGRAPHY)[0], cr.view(CARERS)[0]
    i = start
    for c in range(counts.size):
        mix = demography.referral_mix(deprivation[c], d)
        for _ in range(counts[c]):
            new.council[i] = c
            new.alive[i] = True
            (new.group[i], new.quintile[i], new.age_band[i], new.confidence[i], new.dc_affinity[i], new.offer_rank[i],
             new.need[i], new.has_carer[i], new.carer_hours[i], new.carer_base[i], new.carer_capacity[i],
             new.review_in[i]) = demography.new_person(mix, group_mix, d, state)
            new.offered[i] = rollout.is_offered(new.offer_rank[i], share[c])
            _set_cell(i, new)
            new.carer_credit[i], new.required[i] = budgets.referral_hours(new.need[i], new.carer_hours[i],
                                                                          new.carer_base[i], cr, hours_per_point)
            i += 1


@numba.njit(cache=True)
def draw_peers(people: People.Record, n_councils: int, new: np.ndarray, homophily: float, state: np.ndarray) -> None:
    """Peers (ODD 7.1) for the rows ``new`` of the people table's record ``people`` (the rows in
    use), written to their ``peers`` (one per column): living people of the same council, each from
    the same deprivation quintile with probability ``homophily``, otherwise from anywhere in the
    council.

    One counting sort of the living by (council, quintile), then one uniform draw within the group
    per peer. When few are arriving, the sort is over a uniform random sample of the rows (two per
    draw needed, at least 4,096; departed rows dropped), so each peer is still uniform over the
    living of its group. Each peer is drawn by :func:`model.rules.demography.peer` from the sorted
    rows (group ``g`` is ``order[first[g]:first[g + 1]]``)."""
    council, quintile, alive, peers = people.council, people.quintile, people.alive, people.peers
    n, k = alive.size, peers.shape[1]
    if k == 0 or new.size == 0:
        return
    sample = max(4096, 2 * new.size * k)
    few = sample < n // 2
    pool = np.empty(sample if few else n, dtype=np.int64)
    key = np.empty(pool.size, dtype=np.int64)  # group: council * N_QUINTILES + quintile
    m = 0
    words = stream.load(state)
    for s in range(pool.size):
        r = s
        if few:
            u, words = stream.next_uniform(words)
            r = min(np.int64(u * n), n - 1)
        pool[m] = r  # kept (m moves on) only if alive: no branch to mispredict
        key[m] = np.int64(council[r]) * N_QUINTILES + quintile[r]
        m += alive[r]
    order, first = group_order(pool[:m], key[:m], N_QUINTILES * n_councils)  # group g is order[first[g]:first[g + 1]]
    for r in new:
        own = np.int64(council[r]) * N_QUINTILES + quintile[r]
        whole = np.int64(council[r]) * N_QUINTILES
        own_size, council_size = first[own + 1] - first[own], first[whole + N_QUINTILES] - first[whole]
        for j in range(k):
            peers[r, j], words = demography.peer(r, order, first[own], own_size, first[whole], council_size,
                                                 homophily, words)
    stream.store(state, words)


@numba.njit(cache=True)
def arrive(start: int, counts: np.ndarray, deprivation: np.ndarray, group_mix: np.ndarray, share: np.ndarray,
           d: np.ndarray, cr: np.ndarray, hours_per_point: float, n_councils: int, homophily: float,
           state: np.ndarray, people: People.Record) -> None:
    """The month's new people in one call (each call of a compiled pass from Python costs the
    typing of its arguments, the people table's record most): :func:`arrivals` from row ``start``
    on, then their peers (:func:`draw_peers`), both from the stream ``state``."""
    arrivals(start, counts, deprivation, group_mix, share, d, cr, hours_per_point, state, people)
    draw_peers(people, n_councils, np.arange(start, start + counts.sum()), homophily, state)


@numba.njit(cache=True)
def month(people: People.Record, clients: np.ndarray, share: np.ndarray, offer: bool, interval: np.ndarray,
          stock: np.ndarray, hours_per_point: float, d: np.ndarray, state: np.ndarray, ledger: Ledger.Record,
          start: int, counts: np.ndarray, deprivation: np.ndarray, group_mix: np.ndarray, cr: np.ndarray,
          n_councils: int, homophily: float, arriving: np.ndarray, providers: Providers.Record,
          block_share: np.ndarray, rundown: np.ndarray) -> np.ndarray:
    """The demography phase in one call (each call of a compiled pass from Python costs the typing of
    its arguments, a table's record most): :func:`demography_sweep` of the living (drawing from the
    stream ``state``; the rows from ``start`` on, appended for the month's arrivals, are not alive
    yet), the arrivals and their peers (:func:`arrive`, ``counts[c]`` in council ``c``, from the
    stream ``arriving``), then the block places of the providers' record
    (:func:`model.engines.vector.bookkeeping.block_places`, from each council's ``block_share`` and
    ``rundown``). Returns the rows due for review."""
    due = demography_sweep(people, clients, share, offer, interval, stock, hours_per_point, d, state, ledger)
    arrive(start, counts, deprivation, group_mix, share, d, cr, hours_per_point, n_councils, homophily, arriving,
           people)
    bookkeeping.block_places(providers, block_share, rundown)
    return due


@numba.njit(cache=True)
def depart(rows: np.ndarray, people: People.Record, clients: np.ndarray, ledger: Ledger.Record) -> None:
    """People leave (ODD 7.1: death, residential care; :func:`model.rules.demography.leave`): their
    provider relationships end (``clients``: the providers' client counts), and a direct-payment
    balance returns to the council (the ledger's ``clawback`` by council, taken off its services by
    council and option); the ledger's ``departures`` counts them by council. Sums are added in row
    order, as ``numpy.bincount`` adds them."""
    n_c = ledger.clawback.size
    claw_by_council = np.zeros(n_c)
    gone = np.zeros(n_c)
    for r in rows:
        _depart_row(r, people, clients, ledger.services_by_option, claw_by_council, gone)
    _add_departures(claw_by_council, gone, ledger)


@numba.njit(inline="always", cache=True)
def _depart_row(r: int, people: People.Record, clients: np.ndarray, services: np.ndarray, claw_by_council: np.ndarray,
                gone: np.ndarray) -> None:
    c = people.council[r]
    release_row(people.provider, clients, r)
    claw, column, people.option[r], people.dp_balance[r] = demography.leave(people.option[r], people.dp_balance[r])
    claw_by_council[c] += claw
    if column >= 0:
        services[c, column] -= claw
    people.alive[r] = False
    gone[c] += 1


@numba.njit(inline="always", cache=True)
def _add_departures(claw_by_council: np.ndarray, gone: np.ndarray, ledger: Ledger.Record) -> None:
    for c in range(claw_by_council.size):
        ledger.clawback[c] += claw_by_council[c]
        ledger.departures[c] += gone[c]


@numba.njit(cache=True)
def set_cells(rows: np.ndarray, people: People.Record) -> None:
    """Breakdown cell of ``rows`` of the people table's record: council x client group x age band x
    quintile (4 x 4 x 5)."""
    for r in rows:
        _set_cell(r, people)


@numba.njit(inline="always", cache=True)
def _set_cell(r: int, people: People.Record) -> None:
    people.cell[r] = codes.cell_of(np.int32(people.council[r]), people.group[r], people.age_band[r],
                                   people.quintile[r])


