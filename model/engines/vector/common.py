"""What the compiled passes of the vector engine share: the rules registered with numba, the
scalar forms of the rules' helpers, the scenario sections as records, and two row helpers.

The passes themselves are one module per phase of the month (:data:`model.core.economy.PHASES`):
:mod:`~model.engines.vector.demography` (with arrivals, peers and departures),
:mod:`~model.engines.vector.reviews`, :mod:`~model.engines.vector.support_and_choice`,
:mod:`~model.engines.vector.matching`, :mod:`~model.engines.vector.purchasing`,
:mod:`~model.engines.vector.providers`, :mod:`~model.engines.vector.finance`, and
:mod:`~model.engines.vector.bookkeeping` for the bookkeeping over rows (provider links, block places,
compaction). Each pass applies one phase's per-person rules to every row in a single compiled loop
(numba). The rules themselves are not restated there: each pass calls the functions of the rule
modules (:mod:`model.rules`), the same functions the per-agent reference engine calls person by
person. They are written in plain arithmetic and the helpers of :mod:`model.rules.arith`, so that
one definition runs on numpy arrays, on Python numbers and inside the passes (:data:`RULES`
registers them with numba; the helpers get scalar versions here).

Random numbers are drawn inside each pass from a stream of its own, seeded from the model's
generator when the pass is called (:mod:`model.stream`), so a run stays reproducible from its
seed. Parameters reach the passes as the bytes of one record per scenario section, which each
pass views as the section's record type (:func:`struct`). A pass that reads or writes many
columns of a table takes them as the table's record, one named tuple of arrays
(:meth:`model.core.state.Table.record`, :meth:`model.core.state.Ledger.record`), so that two
columns cannot be swapped. The passes add the month's money and events to the ledger's arrays
themselves, in the order ``numpy.bincount`` would add them, so the figures are the same to the
last bit. Per-person rules take and return scalars (for example
:func:`model.rules.rollout.review_countdown`), never the columns.

Compiled code is cached on disk (``__pycache__`` beside these files). numba checks a cached pass
against its own file only, so each module's cache is also dropped whenever any project module it
imports changes (:func:`model.engines.vector.cache.guard`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numba.extending import overload, register_jitable

from model import codes, scenario
from model.core.state import made_by_table
from model.engines.vector import cache
from model.rules import arith, budgets, carers, choice, demography, market, outcomes, providers, rollout, support

#: Rule functions the sweeps call; each runs unchanged on arrays, Python numbers and in compiled code.
RULES = (demography.departure_probability, demography.drift_need, demography.age, demography.is_over65,
         demography.categorical, demography.confidence, demography.tilt, demography.referral_mix,
         demography.over65_probability, demography.new_person, demography.mortality_gradient,
         demography.peer_draw, demography.leave, rollout.is_offered,
         rollout.review_countdown, rollout.wait, rollout.block_places, budgets.formal_points,
         budgets.assess, budgets.clawback, budgets.required_hours, budgets.has_package, budgets.admin_cost,
         budgets.charge, budgets.credited_hours, budgets.referral_hours, budgets.assessment_spend,
         budgets.balance_option, budgets.assessed,
         choice.management_help, choice.felt_burden, choice.direct, choice.utility, choice.held, choice.peer_signal,
         choice.choose_option, choice.logit_draw,
         choice.peer_news, choice.prompt, choice.first_choice, choice.reconsiders, choice.decide, choice.is_news,
         choice.remember, choice.take_decision, choice.take_option,
         support.reached, support.spend,
         market.slot_share, market.in_mode, market.paid_directly, market.appeal_of_type, market.provider_appeal,
         market.type_weights, market.provider_weights, market.has_place, market.admit, market.round_market,
         market.free_places,
         market.beyond_free_places, market.slots_sought, market.draw_type,
         market.hours_bought, market.slot_payment, market.book_payments, market.slot_mode, market.is_top_up,
         market.needs_top_up, market.slot_terms, market.top_up_change, market.promote_top_up,
         market.own_top_up, outcomes.met_need,
         outcomes.value_of_control, outcomes.domain_scores, outcomes.scrqol, outcomes.carer_qol, outcomes.satisfaction,
         outcomes.next_rating, outcomes.person_outcome, outcomes.main_provider, outcomes.quality_of_life,
         outcomes.provider_rating, carers.next_strain, carers.breaks_down, carers.need_after_breakdown,
         carers.capacity_hours, carers.hours_strain, carers.unpaid_hours, carers.months_above, carers.breakdown_hazard,
         carers.short_break, carers.after_breakdown,
         market.block_payment, providers.operating_result,
         providers.next_neg_months, providers.next_price,
         providers.most_places, providers.next_capacity, providers.exits, providers.council_closes,
         providers.provider_month,
         providers.worker_hours, providers.monthly_leaving, providers.recruitment_share, providers.recruitment,
         providers.hiring_fill,
         providers.pool_fill, providers.hired, providers.hands_back, market.council_paid, market.price_paid,
         support.places,
         support.priority, codes.cell_of)
for _rule in RULES:
    register_jitable(_rule)
#: Rules inlined into the passes: those that take slices of the pass's arrays, once per seeker and
#: round (making the slices then costs nothing; called, each would take and drop a reference), and
#: the per-person procedures of demography (with a new person's draw and peers), reviews, choice,
#: purchasing, carers and voice (measured faster inlined; the demography pass by a fifth, the
#: reviews and choice passes by a tenth, the peers of new people by two fifths). The outcomes
#: procedure is not: it takes its normal draw from the pass, which keeps the ziggurat's loop in the
#: pass itself (drawn inside an inlined procedure, the pass measured a third slower); nor is a new
#: person's procedure (:func:`model.rules.demography.new_person`, measured three times slower
#: inlined than calling it with its draw inlined).
INLINED_RULES = (demography.person_month, demography.draw_person, demography.peer, rollout.review,
                 choice.review_decision, market.wanted_type, market.application, market.buy_slot, carers.carer_month,
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


#: The numeric fields of each section the sweeps read (with its derived values, ``DERIVED``), and their
#: record types.
_NUMERIC = {int: np.int64, float: np.float64, bool: np.bool_}
_FIELDS = {section: {k: f.annotation for k, f in section.model_fields.items()
                     if f.annotation in (bool, float, int, list[float])}
           | dict.fromkeys(getattr(section, "DERIVED", ()), float) for section in _SECTIONS}


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




#: The array flags that decide an array's numba type with its dtype and dimensions: C- and
#: Fortran-contiguous (its layout), aligned and writeable.
_TYPED_FLAGS = 0x1 | 0x2 | 0x100 | 0x400


def _kind(value: Any) -> Any:
    """What decides the numba type of one argument: an array's dtype, dimensions and flags; a
    table's record, its class (its columns are the table's own arrays,
    :func:`model.core.state.made_by_table`); another tuple, its class and its items' kinds; any
    other value, its class."""
    kind = type(value)
    if kind is np.ndarray:
        return value.dtype, value.ndim, value.flags.num & _TYPED_FLAGS
    if isinstance(value, tuple):
        return kind if made_by_table(value) else (kind, *map(_kind, value))
    return kind


class Pass:
    """A compiled pass as the engine calls it from Python, without numba typing every argument
    again on each call.

    numba's dispatcher works out the type of each argument on every call, and a table's record
    (tens of arrays) takes several microseconds. :class:`Pass` keys each call on what decides the
    types (:func:`_kind`, cheap for a table's record: its class), and for a key seen before calls
    the compiled entry point numba made for those types directly; a new key goes through the
    dispatcher (compiling if need be) and its entry point is kept. (A 10,000-person study run
    measured 3.5 % less CPU time this way than through the dispatchers.) numba's entry point
    checks each array's dtype and dimensions as it unboxes it, but not its layout or
    writeability, which is why the key holds them."""

    def __init__(self, dispatcher: Callable[..., Any]) -> None:
        self.dispatcher = dispatcher
        self.entries: dict[tuple, Callable[..., Any]] = {}
        self.__doc__, self.__name__ = dispatcher.__doc__, dispatcher.__name__

    def __call__(self, *args: Any) -> Any:
        key = tuple(map(_kind, args))
        entry = self.entries.get(key)
        if entry is not None:
            return entry(*args)
        result = self.dispatcher(*args)
        compiled = self.dispatcher.overloads.get(tuple(map(self.dispatcher.typeof_pyval, args)))
        if compiled is not None:  # None: numba ran an overload compiled for other types, converting the arguments
            self.entries[key] = compiled.entry_point
        return result


def prepare(module: str, file: str) -> None:
    """Called by each compiled module at import (``prepare(__name__, __file__)``), after importing
    this one (so the rules are registered with numba before any pass compiles): drops the module's
    cached compiled files if a project module it imports has changed (:func:`cache.guard`)."""
    cache.guard(module, file)


prepare(__name__, __file__)


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


@numba.njit(inline="always", cache=True)
def release_row(provider: np.ndarray, clients: np.ndarray, r: int) -> None:
    for slot in range(2):
        p = provider[r, slot]
        if p >= 0:
            clients[p] -= 1
            provider[r, slot] = -1
