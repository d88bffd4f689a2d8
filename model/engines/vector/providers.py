"""Providers (ODD 7.9), compiled: each open provider's month."""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from model.core.state import Providers
from model.engines.vector import common
from model.engines.vector.common import PROVIDERS
from model.rules import providers

common.prepare(__name__, __file__)


class TypeCosts(NamedTuple):
    """Per provider type (indexed by type code): the costs, starting price and growth the providers
    pass reads."""

    variable_cost: np.ndarray
    fixed_cost: np.ndarray
    price: np.ndarray
    growth: np.ndarray


@numba.njit(cache=True)
def providers_month(q: Providers.Record, types: TypeCosts, people: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Providers (ODD 7.9), open provider by open provider (``q.active``, in row order) as the
    per-agent engine does: :func:`model.rules.providers.provider_month` with its type's costs and
    the living ``people`` of its council (by council). Returns the rows that exit."""
    p = p.view(PROVIDERS)[0]
    closing = np.empty(q.active.size, dtype=np.int64)
    k = 0
    for i in range(q.active.size):
        if not q.active[i]:
            continue
        t = q.ptype[i]
        q.profit[i], q.reserves[i], q.neg_months[i], q.price[i], q.capacity[i], exits = providers.provider_month(
            q.income[i], q.hours[i], q.reserves[i], q.neg_months[i], q.clients[i], q.capacity[i], q.price[i],
            types.variable_cost[t], types.fixed_cost[t], types.price[t], types.growth[t], people[q.council[i]], p)
        if exits:
            closing[k] = i
            k += 1
    return closing[:k]
