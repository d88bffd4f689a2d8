"""Matching (ODD 7.6), compiled: the seekers of the month and the rationing rule of
:mod:`model.rules.market`."""

from __future__ import annotations

import numba
import numpy as np

from model import stream
from model.codes import AGENCY, MODE_COUNCIL, N_MODES, N_TYPES
from model.core.state import Ledger, People, Providers
from model.engines.vector import common
from model.engines.vector.common import PROVIDERS, group_order
from model.rules import demography, market

common.prepare(__name__, __file__)


@numba.njit(cache=True)
def seekers(people: People.Record, price: np.ndarray, ptype: np.ndarray, type_maxh: np.ndarray, rates: np.ndarray,
            top_up: bool) -> tuple[np.ndarray, np.ndarray]:
    """Before matching (ODD 7.6): the (row, slot) pairs of the people table's record ``people``
    that seek a provider this month (:func:`model.rules.market.slots_sought`, a top-up slot with
    the price slot 0 pays, from its provider's ``price`` or its council's hourly ``rates``, and its
    type's hour cap, ``type_maxh`` by ``ptype``); every slot-0 seeker first, then slot 1 (Option 4's
    direct-payment slots, top-up slots), each in row order. A package that lost its first provider
    keeps its top-up one as its first (:func:`model.rules.market.promote_top_up`).

    Only rows flagged ``seeking`` can lack a provider: the flag is set wherever a budget slot is
    left without one (a new or changed option, switching, a provider's exit, the model's start) and
    cleared here once every slot of the row has one (or the row has no package or has left)."""
    seeking, alive, option, provider = people.seeking, people.alive, people.option, people.provider
    budget, required, council = people.budget, people.required, people.council
    first = np.empty(option.size, dtype=np.int64)
    second = np.empty(option.size, dtype=np.int64)
    k0 = k1 = 0
    for i in range(option.size):
        if not seeking[i]:
            continue
        if not alive[i]:
            seeking[i] = False
            continue
        provider[i, 0], provider[i, 1] = market.promote_top_up(option[i], provider[i, 0], provider[i, 1], top_up)
        q = provider[i, 0]
        t = ptype[q] if q >= 0 else -1  # slot 0's provider's type (-1: none)
        seeking[i], seek0, seek1 = market.slots_sought(option[i], q, provider[i, 1], budget[i], required[i], top_up,
                                                       t == AGENCY, float(price[q]) if q >= 0 else 0.0,
                                                       rates[council[i]], float(type_maxh[t]) if q >= 0 else 0.0)
        if seek0:
            first[k0] = i
            k0 += 1
        if seek1:
            second[k1] = i
            k1 += 1
    rows = np.concatenate((first[:k0], second[:k1]))
    slots = np.zeros(k0 + k1, dtype=np.int64)
    slots[k0:] = 1
    return rows, slots


@numba.njit(cache=True)
def ration(rows: np.ndarray, slots: np.ndarray, people: People.Record, providers: Providers.Record,
           type_price: np.ndarray, p: np.ndarray, state: np.ndarray, unmet: np.ndarray, unmet_hours: np.ndarray,
           ledger: Ledger.Record) -> None:
    """The rationing rule of :mod:`model.rules.market` for all seekers of the month (people ``rows`` in
    budget slots ``slots``), with the entry signal. ``people`` and ``providers`` are the tables'
    records (:meth:`model.core.state.Table.record`). A seeker matched gets the provider in the
    person's ``provider`` link (and the provider a client); one left without is counted in
    the ``ledger`` record's ``unmatched`` by council.

    Providers are the open ones in (council, type) group order (group ``g`` = council x 4 + type,
    in row order within a group), each weighed by :func:`model.rules.market.provider_weights`.

    Each seeker first draws the type it *wants* (:func:`model.rules.market.wanted_type`); wanting a
    type beyond its free places in the council (:func:`model.rules.market.beyond_free_places`)
    counts in ``unmet`` and ``unmet_hours`` (flat, by council x 4 + type). Then, in each round,
    every pending seeker applies (:func:`model.rules.market.application`) given the market at the
    start of the round (:func:`model.rules.market.round_market`); a seeker with no type left to
    try stops. Each round draws a priority for every seeker, and the providers answer the pending
    applicants in priority order (:func:`model.rules.market.admit`). (The weights exp(type appeal)
    are worked out once for each of the 16 kinds of seeker: day-centre affinity, 65+, mode.)"""
    p = p.view(PROVIDERS)[0]
    council, option, dc_affinity, age_band = people.council, people.option, people.dc_affinity, people.age_band
    required, provider = people.required, people.provider
    Q = providers
    n_groups, n_seek = unmet.size, rows.size
    open_rows = np.flatnonzero(Q.active)
    prov, g_start = group_order(open_rows, Q.council[open_rows].astype(np.int64) * N_TYPES + Q.ptype[open_rows],
                                n_groups)  # group g is prov[g_start[g]:g_start[g + 1]]
    n_prov = prov.size
    key = np.empty(n_prov, dtype=np.int64)
    for g in range(n_groups):
        key[g_start[g]:g_start[g + 1]] = g
    capacity, clients = Q.capacity[prov], Q.clients[prov]
    exp_appeal = np.empty((2, n_prov))  # exp(appeal) within the type: people (0), the council (1)
    exp_level = np.empty((2, n_prov))   # the same at the type level
    spare = np.zeros(n_groups)  # free places by group, for the entry signal
    rating, price, ptype, block_places = Q.rating, Q.price, Q.ptype, Q.block_places
    for i in range(n_prov):
        q = prov[i]
        own, by_council, level = market.provider_weights(rating[q], price[q], type_price[ptype[q]], block_places[q], p)
        exp_appeal[0, i] = exp_level[0, i] = own
        exp_appeal[1, i] = by_council
        exp_level[1, i] = level
        spare[key[i]] += market.free_places(clients[i], capacity[i])
    type_table = np.empty((2, 2, N_MODES, N_TYPES))  # exp(type appeal) by day-centre affinity, 65+, mode and type
    for a in range(2):
        for b in range(2):
            for mode in range(N_MODES):
                weights = market.type_weights(a == 1, b == 1, mode, p)
                for t in range(N_TYPES):
                    type_table[a, b, mode, t] = weights[t]
    type_weight = np.empty((n_seek, N_TYPES))
    group0 = np.empty(n_seek, dtype=np.int64)
    council_mode = np.empty(n_seek, dtype=np.int64)
    words = stream.load(state)
    for s in range(n_seek):
        r = rows[s]
        mode = market.slot_mode(option[r], slots[s], p.top_up)
        type_weight[s] = type_table[np.uint8(dc_affinity[r]), np.uint8(demography.is_over65(age_band[r])), mode]
        group0[s] = council[r] * N_TYPES
        council_mode[s] = mode == MODE_COUNCIL
        t, words = market.wanted_type(type_weight[s], words)
        beyond, spare[group0[s] + t] = market.beyond_free_places(spare[group0[s] + t])
        if beyond:
            unmet[group0[s] + t] += 1
            unmet_hours[group0[s] + t] += required[r]
    got = np.full(n_seek, -1, dtype=np.int64)
    pending_seeker = np.ones(n_seek, dtype=np.bool_)
    pick = np.empty(n_seek, dtype=np.int64)
    priority = np.empty(n_seek)
    for _ in range(p.matching_rounds):
        cum, total, mean = market.round_market(exp_appeal, exp_level, clients, capacity, key, n_groups)
        pending = 0
        for s in range(n_seek):
            if not pending_seeker[s]:
                continue
            k, g0 = council_mode[s], group0[s]
            t, i, words = market.application(type_weight[s], mean[k, g0:g0 + N_TYPES], g_start[g0:g0 + N_TYPES + 1],
                                             cum[k], total[k, g0:g0 + N_TYPES], words)
            if t < 0:
                pending_seeker[s] = False
                continue
            pick[s] = i
            pending += 1
        if pending == 0:
            break
        for s in range(n_seek):  # random priority (drawn for all, sorted for those pending)
            priority[s], words = stream.next_uniform(words)
        for s in in_priority_order(np.flatnonzero(pending_seeker), priority):
            i = pick[s]
            r = rows[s]
            clients[i], took = market.admit(clients[i], capacity[i],
                                            market.own_top_up(option[r], slots[s], provider[r, 0], prov[i], p.top_up))
            if took:
                got[s] = i
                pending_seeker[s] = False
    stream.store(state, words)
    Q.clients[prov] = clients
    for s in range(n_seek):
        if got[s] >= 0:
            provider[rows[s], slots[s]] = prov[got[s]]
        else:
            ledger.unmatched[council[rows[s]]] += 1


@numba.njit(cache=True)
def match(people: People.Record, providers: Providers.Record, type_price: np.ndarray, type_maxh: np.ndarray,
          rates: np.ndarray, p: np.ndarray, state: np.ndarray, unmet: np.ndarray, unmet_hours: np.ndarray,
          ledger: Ledger.Record) -> None:
    """The month's matching in one call: the :func:`seekers` (with the providers' prices, the types'
    hour caps ``type_maxh`` and the councils' hourly ``rates``), then :func:`ration` (so the records
    are unpacked once)."""
    rows, slots = seekers(people, providers.price, providers.ptype, type_maxh, rates, p.view(PROVIDERS)[0].top_up)
    ration(rows, slots, people, providers, type_price, p, state, unmet, unmet_hours, ledger)


@numba.njit(cache=True)
def in_priority_order(items: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``items`` in increasing order of their priorities ``u[items]`` (uniforms on [0, 1)): the order
    of ``items[np.argsort(u[items])]`` (equal priorities, a chance of about 2**-53 a pair, keep the
    items' order). A bucket sort, expected time linear in the number of items: with ``n`` items, item
    ``i`` goes to bucket ``int(u[i] * n)`` (the counting sort :func:`group_order`), and each bucket
    (one item on average) is put in order by insertion: several times faster than numba's
    ``argsort`` on a month's seekers (see docs/benchmarks.md for the engine's figures)."""
    n = items.size
    bucket = np.empty(n, dtype=np.int64)
    for s in range(n):
        bucket[s] = np.int64(u[items[s]] * n)
    out, start = group_order(items, bucket, n)  # bucket b is out[start[b]:start[b + 1]], items' order
    for b in range(n):
        lo = start[b]
        for k in range(lo + 1, start[b + 1]):
            x = out[k]
            j = k - 1
            while j >= lo and u[out[j]] > u[x]:
                out[j + 1] = out[j]
                j -= 1
            out[j + 1] = x
    return out
