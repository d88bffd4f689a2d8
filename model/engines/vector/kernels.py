"""Compiled sweeps of the default engine: one pass over the people table per stage.

Each sweep applies one stage's per-person rules to every row of the structure of arrays in a
single compiled loop (numba), instead of one numpy pass per operation. The rules themselves are
not restated here: each sweep calls the functions of the rule modules (:mod:`model.rules.demography`,
:mod:`model.rules.budgets`, :mod:`model.rules.market`, :mod:`model.rules.outcomes`, :mod:`model.rules.carers`), the same
functions the per-agent reference engine calls person by person. They are written in plain
arithmetic and the helpers of :mod:`model.rules.arith`, so that one definition runs on numpy arrays, on
Python numbers and inside these sweeps (:data:`RULES` registers them with numba; the helpers get
scalar versions here).

Random numbers are drawn inside each sweep from a stream of its own, seeded from the model's
generator when the sweep is called (:mod:`model.stream`), so a run stays reproducible from its
seed. Parameters reach the sweeps as the bytes of one record per scenario section, which each
sweep views as the section's record type (:func:`struct`). A pass that reads or writes many
columns of a table takes them as the table's record, one named tuple of arrays
(:meth:`model.core.state.Table.record`), so that two columns cannot be swapped.
Besides the per-person sweeps, the model's bookkeeping over rows is compiled here too: ending
provider relationships (:func:`release`, :func:`depart`, :func:`displace`), block places and
breakdown cells (:func:`block_places`, :func:`set_cells`) and compacting the table
(:func:`move_rows`). The sweeps add the
month's money and events to the ledger's arrays themselves, in the order ``numpy.bincount``
would add them, so the figures are the same to the last bit. Per-person rules take and return
scalars (for example :func:`model.rules.rollout.review_countdown`), never the columns.

Compiled code is cached on disk (``__pycache__`` beside this file). numba checks a cached sweep against
this file only, so the cache is also dropped whenever any project module this one imports changes
(:mod:`model.engines.vector.cache`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import numba
import numpy as np
from numba.extending import overload, register_jitable

from model import codes, scenario, stream
from model.codes import (
    DAY_CENTRE,
    MODE_COUNCIL,
    MODE_DIRECT,
    MODE_NONE,
    N_MODES,
    N_OPTION_CODES,
    N_OPTIONS,
    N_QUINTILES,
    N_TYPES,
    NO_PACKAGE,
    OPTION_3,
)
from model.core.state import Ledger, People, Providers
from model.engines.vector import cache
from model.rules import arith, budgets, carers, choice, demography, market, outcomes, providers, rollout, support

#: Rule functions the sweeps call; each runs unchanged on arrays, Python numbers and in compiled code.
RULES = (demography.departure_probability, demography.drift_need, demography.age, demography.is_over65,
         demography.categorical, demography.confidence, demography.draw_person, demography.person_month,
         demography.peer_draw, rollout.review_countdown, rollout.review, rollout.block_places, budgets.formal_points,
         budgets.assess, budgets.clawback, budgets.required_hours, budgets.has_package, budgets.admin_cost,
         choice.felt_burden, choice.utility, choice.held, choice.peer_signal, choice.choose_option, choice.logit_draw,
         support.reached,
         market.slot_share, market.in_mode, market.paid_directly, market.appeal_of_type, market.provider_appeal,
         market.type_weights, market.provider_weights, market.has_place, market.slots_sought, market.draw_type,
         market.hours_bought, outcomes.met_need,
         outcomes.wellbeing, outcomes.satisfaction, outcomes.next_rating, outcomes.person_outcome,
         outcomes.provider_rating, carers.next_strain, carers.breaks_down, carers.need_after_breakdown,
         market.block_payment, providers.operating_result,
         providers.next_neg_months, providers.next_price,
         providers.most_places, providers.next_capacity, providers.exits, providers.provider_month, support.places,
         support.priority, codes.cell_of)
for _rule in RULES:
    register_jitable(_rule)
#: Rules inlined into the passes: those that take slices of the pass's arrays, once per seeker and
#: round (making the slices then costs nothing; called, each would take and drop a reference), and
#: the per-person procedures of purchasing and outcomes that draw from the pass's stream (inlined,
#: the stream's words stay in registers; called, they go through memory at every call).
INLINED_RULES = (market.wanted_type, market.application, market.buy_slot, carers.carer_month, outcomes.person_outcome,
                 choice.voice)
for _rule in INLINED_RULES:
    register_jitable(inline="always")(_rule)


@overload(arith.clip, inline="always")
def _clip(x, lo, hi):
    return lambda x, lo, hi: min(max(x, lo), hi)


@overload(arith.where, inline="always")
def _where(condition, x, y):
    return lambda condition, x, y: x if condition else y


@overload(arith.at_least, inline="always")
def _at_least(x, lo):
    return lambda x, lo: max(x, lo)


@overload(arith.at_most, inline="always")
def _at_most(x, hi):
    return lambda x, hi: min(x, hi)


_SECTIONS = (scenario.Demography, scenario.Outcomes, scenario.Carers, scenario.Choice, scenario.Budgets,
             scenario.Providers)


#: The numeric fields of each section the sweeps read, and their record types.
_NUMERIC = {int: np.int64, float: np.float64}
_FIELDS = {section: {k: f.annotation for k, f in section.model_fields.items()
                     if f.annotation in (float, int, list[float])} for section in _SECTIONS}


def _record_type(section: type) -> np.dtype:
    """The record type of a section: numbers as int64 or float64 fields, lists as float64
    subarrays of the schema's fixed length (its default's; the scenario checks every list's)."""
    fields = section.model_fields
    return np.dtype([(k, np.float64, (len(fields[k].default),)) if ann == list[float] else (k, _NUMERIC[ann])
                     for k, ann in _FIELDS[section].items()], align=True)


#: Record types of the sections, fixed at import: each sweep views its parameters' bytes as one.
DEMOGRAPHY, OUTCOMES, CARERS, CHOICE, BUDGETS, PROVIDERS = (_record_type(section) for section in _SECTIONS)
_RECORDS = dict(zip(_SECTIONS, (DEMOGRAPHY, OUTCOMES, CARERS, CHOICE, BUDGETS, PROVIDERS), strict=True))


def struct(values: Any) -> np.ndarray:
    """A scenario section the sweeps read (``Demography``, ``Outcomes``, ``Carers``, ``Choice``,
    ``Budgets`` or ``Providers``) as the bytes of one record of its type (:data:`DEMOGRAPHY` ..
    :data:`PROVIDERS`). A sweep views them as its record (``d = d.view(DEMOGRAPHY)[0]``) and reads
    the fields by name as the rules do (``d.need_sd``). Bytes are the cheapest way to hand numba a
    record: a structured array's or a named tuple's type is worked out in Python on every call."""
    record = np.zeros(1, _RECORDS[type(values)])
    for k in _FIELDS[type(values)]:
        record[k] = getattr(values, k)
    return record.view(np.uint8)


cache.drop_stale_cache(Path(__file__).parent / "__pycache__", "kernels", __name__)


class TypeCosts(NamedTuple):
    """Per provider type (indexed by type code): the costs, starting price and growth the providers
    pass reads."""

    variable_cost: np.ndarray
    fixed_cost: np.ndarray
    price: np.ndarray
    growth: np.ndarray


@numba.njit(cache=True)
def demography_sweep(alive: np.ndarray, need: np.ndarray, group: np.ndarray, age_band: np.ndarray,
                     council: np.ndarray, quintile: np.ndarray, cell: np.ndarray, option: np.ndarray,
                     dp_balance: np.ndarray, provider: np.ndarray, clients: np.ndarray, offered: np.ndarray,
                     offer_rank: np.ndarray, review_in: np.ndarray, share: np.ndarray, offer: bool,
                     interval: np.ndarray, d: np.ndarray, state: np.ndarray, clawback: np.ndarray, services: np.ndarray,
                     departures: np.ndarray, stock: np.ndarray, carer_hours: np.ndarray, required: np.ndarray,
                     hours_per_point: float) -> np.ndarray:
    """Demography (ODD 7.1), person by person as :meth:`model.core.agents.Person.leaves` and
    :meth:`~model.core.agents.Person.grow_older`, and the countdown to reviews (7.3) of those who stay.

    Each living person may leave (death, residential care: bookkeeping as :func:`depart`). One
    who stays has their need drift with the month's noise, and so the formal hours they need this
    month (:func:`model.rules.budgets.required_hours`, for matching and purchasing), and may move to the
    next age band (their breakdown cell follows); then the rollout and their next review
    (:func:`model.rules.rollout.review_countdown`). The people who left are taken off ``stock`` (people by council).
    Returns the rows due for review, in row order."""
    d = d.view(DEMOGRAPHY)[0]
    due = np.empty(alive.size, dtype=np.int64)
    k = 0
    claw_by_council = np.zeros(clawback.size)
    gone = np.zeros(clawback.size)
    words = stream.load(state)
    for i in range(alive.size):
        if not alive[i]:
            continue
        leaves, need[i], band, words = demography.person_month(need[i], group[i], age_band[i], d, words)
        if leaves:
            _depart_row(i, council, option, dp_balance, alive, provider, clients, services, claw_by_council, gone)
            continue
        required[i] = budgets.required_hours(need[i], carer_hours[i], hours_per_point)
        if band != age_band[i]:
            age_band[i] = band
            _set_cell(i, council, group, age_band, quintile, cell)
        c = council[i]
        offered[i], review_in[i], is_due = rollout.review_countdown(offered[i], offer_rank[i], review_in[i], share[c],
                                                                    offer, interval[c])
        if is_due:
            due[k] = i
            k += 1
    stream.store(state, words)
    _add_departures(claw_by_council, gone, clawback, departures)
    for c in range(stock.size):
        stock[c] -= np.int64(gone[c])
    return due[:k]


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


@numba.njit(cache=True)
def finance(option: np.ndarray, council: np.ndarray, admin_cost: np.ndarray, admin: np.ndarray,
            with_package: np.ndarray) -> None:
    """Council finance (ODD 7.10): the month's cost of administering the packages
    (:func:`model.rules.budgets.admin_cost`, ``admin_cost`` by council and Option 1-4) is added to
    ``admin``, and the people with a package (:func:`model.rules.budgets.has_package`) to
    ``with_package``, by council. (Rows of people who have left hold no package.) People are
    counted by council and option first, then costed, as ``numpy`` sums a row of such products."""
    n_c = admin.size
    counts = np.zeros((n_c, N_OPTION_CODES), dtype=np.int64)
    for i in range(option.size):
        counts[council[i], option[i]] += 1
    for c in range(n_c):
        cost = 0.0
        for j in range(N_OPTION_CODES):
            cost += np.float64(counts[c, j]) * budgets.admin_cost(j, admin_cost[c])
            if budgets.has_package(j):
                with_package[c] += counts[c, j]
        admin[c] += cost


@numba.njit(cache=True)
def choice_state(rows: np.ndarray, people: People.Record, reduction: np.ndarray, ch: np.ndarray) -> None:
    """Control and felt burden of ``rows`` in their current option (:func:`model.rules.choice.held`;
    ODD 7.4, 7.8). ``people`` is the people table's record (:meth:`model.core.state.Table.record`)."""
    ch = ch.view(CHOICE)[0]
    option, confidence, supported, council = people.option, people.confidence, people.supported, people.council
    control, burden = people.control, people.burden
    for r in rows:
        control[r], burden[r] = choice.held(option[r], confidence[r], supported[r], reduction[council[r]], ch)


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


@numba.njit(cache=True)
def release(provider: np.ndarray, clients: np.ndarray, rows: np.ndarray) -> None:
    """End the provider relationships of ``rows`` (both budget slots): each provider held loses a
    client."""
    for r in rows:
        _release_row(provider, clients, r)


@numba.njit(inline="always", cache=True)
def _release_row(provider: np.ndarray, clients: np.ndarray, r: int) -> None:
    for slot in range(2):
        p = provider[r, slot]
        if p >= 0:
            clients[p] -= 1
            provider[r, slot] = -1


@numba.njit(cache=True)
def displace(provider: np.ndarray, clients: np.ndarray, closing: np.ndarray, council: np.ndarray,
             displaced: np.ndarray, seeking: np.ndarray) -> int:
    """Clients of the providers ``closing`` lose them (ODD 7.9; they are ``seeking`` again, to be
    re-matched), counted in ``displaced`` by council, once per budget slot. The closing providers'
    client counts say how many budget slots hold them, so the scan of the rows stops once it has
    found them all (at once if they have none). Returns how many links ended."""
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
def depart(rows: np.ndarray, council: np.ndarray, option: np.ndarray, dp_balance: np.ndarray, alive: np.ndarray,
           provider: np.ndarray, clients: np.ndarray, clawback: np.ndarray, services: np.ndarray,
           departures: np.ndarray) -> None:
    """People leave (ODD 7.1: death, residential care): their packages end, and a direct-payment
    balance returns to the council (``clawback`` by council, taken off ``services`` by council and
    option); ``departures`` counts them by council. Sums are added in row order, as
    ``numpy.bincount`` adds them."""
    claw_by_council = np.zeros(clawback.size)
    gone = np.zeros(clawback.size)
    for r in rows:
        _depart_row(r, council, option, dp_balance, alive, provider, clients, services, claw_by_council, gone)
    _add_departures(claw_by_council, gone, clawback, departures)


@numba.njit(inline="always", cache=True)
def _depart_row(r: int, council: np.ndarray, option: np.ndarray, dp_balance: np.ndarray, alive: np.ndarray,
                provider: np.ndarray, clients: np.ndarray, services: np.ndarray, claw_by_council: np.ndarray,
                gone: np.ndarray) -> None:
    c = council[r]
    _release_row(provider, clients, r)
    claw = dp_balance[r]
    claw_by_council[c] += claw
    if claw > 0:
        services[c, max(option[r] - 1, 0)] -= claw
    dp_balance[r] = 0.0
    alive[r] = False
    option[r] = 0
    gone[c] += 1


@numba.njit(inline="always", cache=True)
def _add_departures(claw_by_council: np.ndarray, gone: np.ndarray, clawback: np.ndarray,
                    departures: np.ndarray) -> None:
    for c in range(clawback.size):
        clawback[c] += claw_by_council[c]
        departures[c] += gone[c]


@numba.njit(cache=True)
def block_places(active: np.ndarray, ptype: np.ndarray, council: np.ndarray, capacity: np.ndarray,
                 share: np.ndarray, places: np.ndarray) -> None:
    """Block-contracted places at each open day centre (:func:`model.rules.rollout.block_places`, from
    its council's block ``share``); none at other providers."""
    for q in range(active.size):
        places[q] = rollout.block_places(capacity[q], share[council[q]]) if active[q] and ptype[q] == DAY_CENTRE else 0


@numba.njit(cache=True)
def set_cells(rows: np.ndarray, council: np.ndarray, group: np.ndarray, age_band: np.ndarray, quintile: np.ndarray,
              cell: np.ndarray) -> None:
    """Breakdown cell of ``rows``: council x client group x age band x quintile (4 x 4 x 5)."""
    for r in rows:
        _set_cell(r, council, group, age_band, quintile, cell)


@numba.njit(inline="always", cache=True)
def _set_cell(r: int, council: np.ndarray, group: np.ndarray, age_band: np.ndarray, quintile: np.ndarray,
              cell: np.ndarray) -> None:
    cell[r] = codes.cell_of(np.int32(council[r]), group[r], age_band[r], quintile[r])


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
            _release_row(provider, clients, i)
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
            _release_row(provider, clients, r)
            option[r] = o
            seeking[r] = True
        control[r], burden[r] = choice.held(option[r], confidence[r], supported[r], reduction[council[r]], ch)


@numba.njit(cache=True)
def seekers(people: People.Record) -> tuple[np.ndarray, np.ndarray]:
    """Before matching (ODD 7.6): the (row, slot) pairs of the people table's record ``people``
    that seek a provider this month (:func:`model.rules.market.slots_sought`); every slot-0 seeker
    first, then Option 4's direct-payment slots, each in row order.

    Only rows flagged ``seeking`` can lack a provider: the flag is set wherever a budget slot is
    left without one (a new or changed option, switching, a provider's exit, the model's start) and
    cleared here once every slot of the row has one (or the row has no package or has left)."""
    seeking, alive, option, provider = people.seeking, people.alive, people.option, people.provider
    budget, required = people.budget, people.required
    first = np.empty(option.size, dtype=np.int64)
    second = np.empty(option.size, dtype=np.int64)
    k0 = k1 = 0
    for i in range(option.size):
        if not seeking[i]:
            continue
        if not alive[i]:
            seeking[i] = False
            continue
        seeking[i], seek0, seek1 = market.slots_sought(option[i], provider[i, 0], provider[i, 1], budget[i],
                                                       required[i])
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
def purchase_and_outcomes(people: People.Record, providers: Providers.Record, type_attrs: np.ndarray,
                          place_hours: float, direct_share: float, hours_per_point: float, c: np.ndarray,
                          o: np.ndarray, ch: np.ndarray, pr: np.ndarray, state: np.ndarray,
                          ledger: Ledger.Record) -> None:
    """Purchasing (ODD 7.6), unpaid carers (7.7), and outcomes and voice (7.8), person by person in
    row order, as the per-agent engine does; ``people``, ``providers`` and ``ledger`` are the
    tables' records.

    These steps of the month involve no one else, so one pass applies all three to each living
    row: each budget slot's purchase (:func:`model.rules.market.buy_slot`, with the slot's
    provider's price, its type's hour cap a week and respite and wellbeing bonus per hour,
    ``type_attrs`` by provider type, and whether a block place is left at it), the carer's month
    (:func:`model.rules.carers.carer_month`; a breakdown makes a review due and changes the formal
    hours needed), the person's outcomes (:func:`model.rules.outcomes.person_outcome`) and voice
    (:func:`model.rules.choice.voice`: one who switches ends their provider relationships and is
    ``seeking`` again, to be re-matched, and, if offered the choice, is reviewed next month). The
    draws come from one stream, in that order.

    Block contracts are paid in full first (:func:`model.rules.market.block_payment`, ``place_hours``
    a week per place). Money is added to the ledger (by council; services by council and Option
    1-4), the providers' income and hours are set, and each provider's rating follows its clients'
    satisfaction (:func:`model.rules.outcomes.provider_rating`). Sums are added in the order
    ``numpy.bincount`` adds them. (The columns are read into local names first: the record's fields
    then need no reference counting per row.)"""
    c, o, ch, pr = c.view(CARERS)[0], o.view(OUTCOMES)[0], ch.view(CHOICE)[0], pr.view(PROVIDERS)[0]
    alive, option, council, budget, need = people.alive, people.option, people.council, people.budget, people.need
    carer_hours, required, provider = people.carer_hours, people.required, people.provider
    dp_balance = people.dp_balance
    delivered, respite, met_need, strain = people.delivered, people.respite, people.met_need, people.strain
    review_in, control, burden, wellbeing = people.review_in, people.control, people.burden, people.wellbeing
    satisfaction, low_sat, offered, seeking = people.satisfaction, people.low_sat, people.offered, people.seeking
    active, block_places, provider_price, provider_council = (providers.active, providers.block_places,
                                                              providers.price, providers.council)
    provider_clients, rating = providers.clients, providers.rating
    n_q, n_c = active.size, ledger.block_paid.size
    # Per provider: price, hour cap a week, respite and wellbeing per hour, quality; the last row
    # stands for "no provider" (link -1): all zero, so no hours are bought.
    attrs = np.zeros((n_q + 1, 5))
    for q in range(n_q):
        attrs[q, 0] = provider_price[q]
        for k in range(3):
            attrs[q, k + 1] = type_attrs[providers.ptype[q], k]
        attrs[q, 4] = providers.quality[q]
    income = np.zeros(n_q + 1)  # by provider; the last entry stands for "no provider"
    hours = np.zeros(n_q + 1)
    block_by_council = np.zeros(n_c)
    for q in range(n_q):
        if active[q] and block_places[q] > 0:
            pay = market.block_payment(block_places[q], provider_price[q], place_hours)
            income[q] = pay
            block_by_council[provider_council[q]] += pay
    services_by_option = ledger.services_by_option
    for ci in range(n_c):
        ledger.block_paid[ci] += block_by_council[ci]
        services_by_option[ci, 2] += block_by_council[ci]
    services = np.zeros((n_c, N_OPTION_CODES))  # by council and option (0: none)
    paid, spent = np.zeros(n_c), np.zeros(n_c)
    broke, crises = np.zeros(n_c), np.zeros(n_c)
    clients, client_satisfaction = np.zeros(n_q + 1), np.zeros(n_q + 1)  # by provider, for ratings
    used = np.zeros(n_q, dtype=np.int64)
    words = stream.load(state)
    for i in range(alive.size):
        if not alive[i]:
            continue
        o_i = np.uint8(option[i])  # unsigned: see _link
        ci = np.uint16(council[i])
        # 6. purchasing (locals: a row's values are read once)
        req = required[i]
        bud = budget[i]
        balance = dp_balance[i]
        got = 0.0
        rest = 0.0
        bonus = 0.0
        for slot in range(2):
            if market.in_mode(o_i, slot, MODE_NONE):
                continue
            p = _link(provider[i, slot], n_q)  # no provider: the last row of attrs
            h, cost, credit, balance, took = market.buy_slot(o_i, slot, req, bud, balance, direct_share, attrs[p, 0],
                                                             attrs[p, 1], p < n_q and used[p] < block_places[p])
            if took:
                used[p] += 1
            if market.in_mode(o_i, slot, MODE_DIRECT):
                paid[ci] += credit
                spent[ci] += cost
                services[ci, o_i] += credit
            else:
                services[ci, o_i] += cost
            income[p] += cost
            hours[p] += h
            got += h
            rest += attrs[p, 2] * h
            bonus += attrs[p, 3] * h
        dp_balance[i] = balance
        delivered[i] = got
        respite[i] = rest
        # 7. unpaid carers
        strain[i], carer_hours[i], need_after, breaks, crisis, words = carers.carer_month(
            strain[i], carer_hours[i], need[i], got, req, rest, c, words)
        if breaks:
            broke[ci] += 1
            crises[ci] += crisis
            need[i] = need_after
            review_in[i] = 0
            required[i] = budgets.required_hours(need[i], 0.0, hours_per_point)
        # 8. outcomes and voice
        main = _link(provider[i, 0], n_q)
        second = _link(provider[i, 1], n_q)
        met, wellbeing[i], sat, words = outcomes.person_outcome(o_i, got, required[i], control[i], burden[i], bonus,
                                                                main < n_q, attrs[main, 4], attrs[second, 4], o,
                                                                words)
        met_need[i] = met
        satisfaction[i] = sat
        if main < n_q:
            clients[main] += 1
            client_satisfaction[main] += sat
        if second < n_q:
            clients[second] += 1
            client_satisfaction[second] += sat
        low_sat[i], switches = choice.voice(o_i, sat, low_sat[i], ch)
        if switches:
            _release_row(provider, provider_clients, i)
            seeking[i] = True
            if offered[i]:
                review_in[i] = 0
    stream.store(state, words)
    for ci in range(n_c):
        total = 0.0
        for j in range(1, N_OPTION_CODES):
            services_by_option[ci, j - 1] += services[ci, j]
            total += services[ci, j]
        ledger.dp_paid[ci] += paid[ci]
        ledger.dp_spent[ci] += spent[ci]
        ledger.direct_paid[ci] += total - paid[ci]
        ledger.breakdowns[ci] += broke[ci]
        ledger.admissions[ci] += crises[ci]
        ledger.crisis[ci] += crises[ci] * c.crisis_cost
    received = np.zeros(n_c)
    for q in range(n_q):
        providers.income[q] = income[q]
        providers.hours[q] = hours[q]
        received[provider_council[q]] += income[q]
        rating[q] = outcomes.provider_rating(rating[q], client_satisfaction[q], clients[q], pr.rating_memory)
    for ci in range(n_c):
        ledger.provider_received[ci] += received[ci]


@numba.njit(inline="always", cache=True)
def _link(p: int, none: int) -> np.uint32:
    """A provider link as an unsigned row number, ``none`` for no provider (-1). numba checks every
    signed index for a negative value (counting from the end) on every access; unsigned ones it
    uses as they are, which takes a few per cent off the purchasing pass."""
    return np.uint32(p if p >= 0 else none)


@numba.njit(cache=True)
def ration(rows: np.ndarray, slots: np.ndarray, people: People.Record, providers: Providers.Record,
           type_price: np.ndarray, p: np.ndarray, state: np.ndarray, unmet: np.ndarray, unmet_hours: np.ndarray,
           unmatched: np.ndarray) -> None:
    """The rationing rule of :mod:`model.rules.market` for all seekers of the month (people ``rows`` in
    budget slots ``slots``), with the entry signal. ``people`` and ``providers`` are the tables'
    records (:meth:`model.core.state.Table.record`). A seeker matched gets the provider in the
    person's ``provider`` link (and the provider a client); one left without is counted in
    ``unmatched`` by council.

    Providers are the open ones in (council, type) group order (group ``g`` = council x 4 + type,
    in row order within a group), each weighed by :func:`model.rules.market.provider_weights`.

    Each seeker first draws the type it *wants* (:func:`model.rules.market.wanted_type`); wanting a
    type with no free place in the council counts in ``unmet`` and ``unmet_hours`` (flat, by
    council x 4 + type). Then, in each round, every pending seeker applies
    (:func:`model.rules.market.application`) given the providers with a free place at the start of
    the round; a seeker with no type left to try stops. Each round draws a priority for every
    seeker, and the providers take the pending applicants in priority order while they have a
    place (:func:`model.rules.market.has_place`). (The weights exp(type appeal) are worked out once
    for each of the 16 kinds of seeker: day-centre affinity, 65+, mode.)"""
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
    n_free = np.zeros(n_groups)
    rating, price, ptype, block_places = Q.rating, Q.price, Q.ptype, Q.block_places
    for i in range(n_prov):
        q = prov[i]
        own, by_council, level = market.provider_weights(rating[q], price[q], type_price[ptype[q]], block_places[q], p)
        exp_appeal[0, i] = exp_level[0, i] = own
        exp_appeal[1, i] = by_council
        exp_level[1, i] = level
        n_free[key[i]] += market.has_place(clients[i], capacity[i])
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
        mode = market.SLOT_MODES[option[r], slots[s]]
        type_weight[s] = type_table[np.uint8(dc_affinity[r]), np.uint8(demography.is_over65(age_band[r])), mode]
        group0[s] = council[r] * N_TYPES
        council_mode[s] = mode == MODE_COUNCIL
        t, words = market.wanted_type(type_weight[s], words)
        if n_free[group0[s] + t] == 0:
            unmet[group0[s] + t] += 1
            unmet_hours[group0[s] + t] += required[r]
    got = np.full(n_seek, -1, dtype=np.int64)
    pending_seeker = np.ones(n_seek, dtype=np.bool_)
    pick = np.empty(n_seek, dtype=np.int64)
    priority = np.empty(n_seek)
    for _ in range(p.matching_rounds):
        cum = np.zeros((2, n_prov + 1))
        total = np.zeros((2, n_groups))
        level = np.zeros((2, n_groups))
        n_free[:] = 0
        for i in range(n_prov):
            free = market.has_place(clients[i], capacity[i])
            for k in range(2):
                w = exp_appeal[k, i] * free
                cum[k, i + 1] = cum[k, i] + w
                total[k, key[i]] += w
                level[k, key[i]] += exp_level[k, i] * free
            n_free[key[i]] += free
        mean = np.zeros((2, n_groups))  # the mean exp(appeal) over free providers (0: none free)
        for k in range(2):
            for g in range(n_groups):
                if level[k, g] > 0:
                    mean[k, g] = level[k, g] / n_free[g]
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
            if market.has_place(clients[i], capacity[i]):
                clients[i] += 1
                got[s] = i
                pending_seeker[s] = False
    stream.store(state, words)
    Q.clients[prov] = clients
    for s in range(n_seek):
        if got[s] >= 0:
            provider[rows[s], slots[s]] = prov[got[s]]
        else:
            unmatched[council[rows[s]]] += 1


@numba.njit(cache=True)
def group_order(items: np.ndarray, keys: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """``items`` ordered by their group ``keys`` (0 .. ``n_groups`` - 1), in their own order within a
    group (a counting sort), and where each group starts: group ``g`` is
    ``order[start[g]:start[g + 1]]``."""
    start = np.zeros(n_groups + 1, dtype=np.int64)
    for g in keys:
        start[g + 1] += 1
    for g in range(n_groups):
        start[g + 1] += start[g]
    fill = start[:-1].copy()
    order = np.empty(items.size, dtype=np.int64)
    for s in range(items.size):
        order[fill[keys[s]]] = items[s]
        fill[keys[s]] += 1
    return order, start


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


@numba.njit(cache=True)
def support_places(choosing: np.ndarray, people: People.Record, stock: np.ndarray, capacity: np.ndarray,
                   most_deprived: np.ndarray, cost_per_person: np.ndarray, u: np.ndarray, n_supported: np.ndarray,
                   spend: np.ndarray) -> None:
    """Support (ODD 7.5), council by council (:func:`model.rules.support.reached`) for its queue:
    the people ``choosing`` there, in their order (``people`` is the people table's record). The
    uniforms ``u`` are used in the order the per-agent engine takes them: for each council with
    someone choosing, one for its places, then one per person choosing there. Marks the supported
    and adds them and their cost to the council's ``n_supported`` and ``spend``."""
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
        n_supported[c] += n_got
        spend[c] += n_got * cost_per_person[c]


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
def arrivals(start: int, counts: np.ndarray, deprivation: np.ndarray, share: np.ndarray, d: np.ndarray,
             hours_per_point: float, state: np.ndarray, new: People.Record) -> None:
    """Arrivals (ODD 7.1): ``counts[c]`` new people in council ``c``, council by council, in the
    rows of ``new`` from ``start`` on. Each is alive with their first review due at once, drawn by
    :func:`model.rules.demography.draw_person` from their council's ``deprivation`` mix, offered the
    choice if their offer rank is under the council's offered ``share`` (7.3), and given their
    breakdown cell and the formal hours they need (:func:`model.rules.budgets.required_hours`)."""
    d = d.view(DEMOGRAPHY)[0]
    i = start
    for c in range(counts.size):
        for _ in range(counts[c]):
            new.council[i] = c
            new.alive[i] = True
            new.review_in[i] = 0
            (new.group[i], new.quintile[i], new.age_band[i], new.confidence[i], new.dc_affinity[i], new.offer_rank[i],
             new.need[i], new.has_carer[i], new.carer_hours[i]) = demography.draw_person(deprivation[c], d, state)
            new.offered[i] = new.offer_rank[i] < share[c]
            _set_cell(i, new.council, new.group, new.age_band, new.quintile, new.cell)
            new.required[i] = budgets.required_hours(new.need[i], new.carer_hours[i], hours_per_point)
            i += 1


@numba.njit(cache=True)
def draw_peers(council: np.ndarray, quintile: np.ndarray, alive: np.ndarray, n_councils: int, new: np.ndarray,
               homophily: float, peers: np.ndarray, state: np.ndarray) -> None:
    """Peers (ODD 7.1) for the rows ``new``, written to ``peers[new]`` (one per column): living
    people of the same council, each from the same deprivation quintile with probability
    ``homophily``, otherwise from anywhere in the council.

    One counting sort of the living by (council, quintile), then one uniform draw within the group
    per peer. When few are arriving, the sort is over a uniform random sample of the rows (two per
    draw needed, at least 4,096; departed rows dropped), so each peer is still uniform over the
    living of its group. Nobody is their own peer: drawing oneself moves the pick to the next
    member of the group (-1 only if one is alone in the group). Each peer is drawn by
    :func:`model.rules.demography.peer_draw`. ``council``, ``quintile`` and ``alive`` are the rows
    in use."""
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
            same, pick, words = demography.peer_draw(own_size, council_size, homophily, words)
            peer = -1
            if pick >= 0:
                lo, size = (first[own], own_size) if same else (first[whole], council_size)
                if order[lo + pick] == r:  # oneself: the next member of the group
                    pick = (pick + 1) % size
                if order[lo + pick] != r:
                    peer = order[lo + pick]
            peers[r, j] = peer
    stream.store(state, words)
