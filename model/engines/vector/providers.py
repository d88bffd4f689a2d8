"""Providers (ODD 7.9), compiled: each open provider's month, the agencies' care workers, hand-backs."""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from model import stream
from model.codes import AGENCY
from model.core.state import Ledger, People, Providers
from model.engines.vector import common
from model.engines.vector.common import PROVIDERS
from model.rules import providers

common.prepare(__name__, __file__)


class TypeCosts(NamedTuple):
    """Per provider type (indexed by type code): the variable cost, starting price, growth and opening
    capacity the providers pass reads (fixed costs are the providers' own)."""

    variable_cost: np.ndarray
    price: np.ndarray
    growth: np.ndarray
    capacity: np.ndarray


class Closing(NamedTuple):
    """Per council (indexed by council): its rule for closing its own day centres."""

    below: np.ndarray
    after: np.ndarray


@numba.njit(cache=True)
def providers_month(q: Providers.Record, types: TypeCosts, people: np.ndarray, month: int, closing_rule: Closing,
                    p: np.ndarray, ledger: Ledger.Record) -> np.ndarray:
    """Providers (ODD 7.9), open provider by open provider (``q.active``, in row order) as the
    per-agent engine does: :func:`model.rules.providers.provider_month` with its books
    (:class:`~model.rules.providers.Books`) and its setting (:class:`~model.rules.providers.Setting`:
    its type's terms from ``types``, the living ``people`` of its council, by council, the council's
    ``closing_rule`` and model ``month``); its cost goes to the ``ledger`` record's
    ``in_house_cost`` by council. Returns the rows that exit (or that councils close)."""
    p = p.view(PROVIDERS)[0]
    closing = np.empty(q.active.size, dtype=np.int64)
    k = 0
    for i in range(q.active.size):
        if not q.active[i]:
            continue
        t, c = q.ptype[i], q.council[i]
        books = providers.Books(income=q.income[i], hours=q.hours[i], reserves=q.reserves[i],
                                neg_months=q.neg_months[i], clients=q.clients[i], capacity=q.capacity[i],
                                price=q.price[i], fixed_cost=q.fixed_cost[i], in_house=q.in_house[i],
                                low_months=q.low_months[i], close_month=q.close_month[i])
        setting = providers.Setting(variable_cost=types.variable_cost[t], ref_price=types.price[t],
                                    growth=types.growth[t], opening=types.capacity[t], people=people[c],
                                    close_below=closing_rule.below[c], close_after=closing_rule.after[c], month=month)
        (q.profit[i], q.reserves[i], q.neg_months[i], q.price[i], q.capacity[i], q.low_months[i], cost,
         exits) = providers.provider_month(books, setting, p)
        ledger.in_house_cost[c] += cost
        if exits:
            closing[k] = i
            k += 1
    return closing[:k]


@numba.njit(cache=True)
def staffing(q: Providers.Record, free: np.ndarray, p: np.ndarray, ledger: Ledger.Record) -> None:
    """The care labour market (ODD 7.9), as the per-agent engine does: each open agency, in row
    order, loses its leavers and seeks care workers for its vacancies
    (:func:`model.rules.providers.recruitment`); each council's ``free`` care workers (by council,
    before the month's leavers) and its leavers allow a share of those sought
    (:func:`model.rules.providers.hiring_fill`), which every agency of the council hires
    (:func:`model.rules.providers.hired`). Posts, vacancies and care workers are counted in the
    ``ledger`` record by council."""
    p = p.view(PROVIDERS)[0]
    n_c = free.size
    stay, posts, seek = np.zeros(q.active.size), np.zeros(q.active.size), np.zeros(q.active.size)
    leaving, seeking = np.zeros(n_c), np.zeros(n_c)
    for i in range(q.active.size):
        if q.active[i] and q.ptype[i] == AGENCY:
            stay[i], leave, posts[i], seek[i] = providers.recruitment(q.staff[i], q.wanted[i], p)
            leaving[q.council[i]] += leave
            seeking[q.council[i]] += seek[i]
    fill = np.empty(n_c)
    for c in range(n_c):
        fill[c] = providers.hiring_fill(free[c], leaving[c], seeking[c])
    for i in range(q.active.size):
        if q.active[i] and q.ptype[i] == AGENCY:
            c = q.council[i]
            q.staff[i], vacancies = providers.hired(stay[i], seek[i], posts[i], fill[c])
            ledger.posts[c] += posts[i]
            ledger.vacancies[c] += vacancies
            ledger.care_workers[c] += q.staff[i]


@numba.njit(cache=True)
def hand_backs(people: People.Record, q: Providers.Record, hazard: np.ndarray, top_up: bool, state: np.ndarray,
               ledger: Ledger.Record) -> None:
    """Hand-backs (ODD 7.9), as the per-agent engine does: person by person in row order, each
    budget slot whose agency hands the package back (:func:`model.rules.providers.hands_back`, with
    the monthly ``hazard`` of the person's council; ``top_up``: ``providers.top_up``) loses it and
    the person is ``seeking`` again; counted in the ``ledger`` record's ``handbacks`` by council.
    The draws come from the stream ``state``."""
    alive, option, council, provider = people.alive, people.option, people.council, people.provider
    seeking = people.seeking
    words = stream.load(state)
    for i in range(alive.size):
        if not alive[i]:
            continue
        c = council[i]
        for slot in range(2):
            k = provider[i, slot]
            if k < 0:
                continue
            _, back, words = providers.hands_back(option[i], slot, q.ptype[k], hazard[c], top_up, words)
            if back:
                q.clients[k] -= 1
                provider[i, slot] = -1
                seeking[i] = True
                ledger.handbacks[c] += 1
    stream.store(state, words)
