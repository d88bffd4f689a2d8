"""Support (ODD 7.5) and option choice (7.4), compiled: support places council by council, each
chooser's option, and the control and felt burden of the option held."""

from __future__ import annotations

import numba
import numpy as np

from model import stream
from model.codes import NO_PACKAGE, OPTION_3
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
    and adds them and their cost to the council's ``supported`` and ``support`` in the ``ledger``
    record."""
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
        ledger.support[c] += n_got * cost_per_person[c]


@numba.njit(cache=True)
def choose_options(rows: np.ndarray, people: People.Record, available: np.ndarray, reduction: np.ndarray,
                   ch: np.ndarray, state: np.ndarray) -> np.ndarray:
    """Option choice (ODD 7.4) for ``rows`` of the people table's record ``people``, all against the
    same state, in row order: each person's peer signal (:func:`model.rules.choice.peer_signal`, from
    their peers' options and satisfaction; a peer who has left counts as none), then
    :func:`model.rules.choice.choose_option` with the council's ``available`` options and support
    ``reduction``. Returns the options chosen."""
    ch = ch.view(CHOICE)[0]
    peers, alive, option, satisfaction = people.peers, people.alive, people.option, people.satisfaction
    confidence, age_band, group, supported, council = (people.confidence, people.age_band, people.group,
                                                       people.supported, people.council)
    out = np.empty(rows.size, dtype=np.int8)
    k = peers.shape[1]
    peer_option = np.empty(k, dtype=np.int64)  # the peers' state, gathered for one person at a time
    peer_satisfaction = np.empty(k)
    words = stream.load(state)
    for s in range(rows.size):
        r = rows[s]
        for j in range(k):
            q = peers[r, j]
            seen = q >= 0 and alive[q]
            peer_option[j] = option[q] if seen else NO_PACKAGE
            peer_satisfaction[j] = satisfaction[q] if seen else 0.0
        signal = choice.peer_signal(peer_option, peer_satisfaction, ch.switch_satisfaction)
        c = council[r]
        out[s], words = choice.choose_option(confidence[r], demography.is_over65(age_band[r]), group[r], supported[r],
                                             option[r], signal, available[c], reduction[c], ch, words)
    stream.store(state, words)
    return out


@numba.njit(cache=True)
def apply_options(choosing: np.ndarray, chosen: np.ndarray, kept: np.ndarray, people: People.Record,
                  clients: np.ndarray, reduction: np.ndarray, ch: np.ndarray) -> None:
    """After choice (ODD 7.4): the people ``choosing`` take the options ``chosen``, the others
    reviewed (``kept``) stay council-arranged (Option 3); a changed option ends the old provider
    relationships (the person is ``seeking`` providers for it). Everyone reviewed gets the control
    and felt burden of the option they hold (:func:`model.rules.choice.held`). ``people`` is the
    people table's record, ``clients`` the providers' client counts. (Each pass reads the columns
    it uses into local names first: the record's fields then need no reference counting per row.)"""
    ch = ch.view(CHOICE)[0]
    option, provider, seeking = people.option, people.provider, people.seeking
    confidence, supported, council = people.confidence, people.supported, people.council
    control, burden = people.control, people.burden
    for s in range(choosing.size + kept.size):
        r = choosing[s] if s < choosing.size else kept[s - choosing.size]
        o = chosen[s] if s < choosing.size else OPTION_3
        if option[r] != o:
            release_row(provider, clients, r)
            option[r] = o
            seeking[r] = True
        control[r], burden[r] = choice.held(option[r], confidence[r], supported[r], reduction[council[r]], ch)


@numba.njit(cache=True)
def choice_state(rows: np.ndarray, people: People.Record, reduction: np.ndarray, ch: np.ndarray) -> None:
    """Control and felt burden of ``rows`` in their current option (:func:`model.rules.choice.held`;
    ODD 7.4, 7.8). ``people`` is the people table's record (:meth:`model.core.state.Table.record`)."""
    ch = ch.view(CHOICE)[0]
    option, confidence, supported, council = people.option, people.confidence, people.supported, people.council
    control, burden = people.control, people.burden
    for r in rows:
        control[r], burden[r] = choice.held(option[r], confidence[r], supported[r], reduction[council[r]], ch)
