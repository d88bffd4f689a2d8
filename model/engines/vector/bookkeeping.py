"""Bookkeeping over rows, compiled: ending provider relationships (one person's, or all the
clients of closing providers), block places, and compacting the people table."""

from __future__ import annotations

import numba
import numpy as np

from model.codes import DAY_CENTRE
from model.core.state import Ledger, People, Providers
from model.engines.vector import common
from model.engines.vector.common import release_row
from model.rules import rollout

common.prepare(__name__, __file__)


@numba.njit(cache=True)
def release(provider: np.ndarray, clients: np.ndarray, rows: np.ndarray) -> None:
    """End the provider relationships of ``rows`` (both budget slots): each provider held loses a
    client."""
    for r in rows:
        release_row(provider, clients, r)


@numba.njit(cache=True)
def displace(people: People.Record, clients: np.ndarray, closing: np.ndarray, ledger: Ledger.Record) -> int:
    """Clients (rows of the people table's record ``people``) of the providers ``closing`` lose them
    (ODD 7.9; they are ``seeking`` again, to be re-matched), counted in the ledger's ``displaced``
    by council, once per budget slot. The closing providers' client counts (``clients``) say how
    many budget slots hold them, so the scan of the rows stops once it has found them all (at once
    if they have none). Returns how many links ended."""
    provider, seeking, council, displaced = people.provider, people.seeking, people.council, ledger.displaced
    links = 0
    for q in range(closing.size):
        if closing[q]:
            links += clients[q]
    total = 0
    for i in range(provider.shape[0]):
        if total == links:
            break
        for slot in range(2):
            p = provider[i, slot]
            if p >= 0 and closing[p]:
                clients[p] -= 1
                provider[i, slot] = -1
                seeking[i] = True
                displaced[council[i]] += 1
                total += 1
    return total


@numba.njit(cache=True)
def block_places(providers: Providers.Record, share: np.ndarray, rundown: np.ndarray) -> None:
    """Block-contracted places at each open day centre of the providers table's record
    (:func:`model.rules.rollout.block_places`, from its council's block ``share`` and ``rundown``);
    none at other providers."""
    active, ptype, council, capacity, places = (providers.active, providers.ptype, providers.council,
                                                providers.capacity, providers.block_places)
    for q in range(active.size):
        c = council[q]
        places[q] = (rollout.block_places(capacity[q], share[c], providers.block_start[q], rundown[c])
                     if active[q] and ptype[q] == DAY_CENTRE else 0)


@numba.njit(cache=True)
def renumber_peers(peers: np.ndarray, alive: np.ndarray, keep: np.ndarray, new_index: np.ndarray) -> None:
    """Before the table is compacted: the peers of the rows kept get their peers' new row numbers
    (-1 for a peer who has left)."""
    for r in keep:
        for j in range(peers.shape[1]):
            q = peers[r, j]
            peers[r, j] = new_index[q] if q >= 0 and alive[q] else -1


@numba.njit(cache=True)
def move_rows(column: np.ndarray, keep: np.ndarray) -> None:
    """Compact a column in place: row ``keep[j]`` moves to row ``j`` (``keep`` increasing)."""
    for j in range(keep.size):
        column[j] = column[keep[j]]
