"""Compiled sweeps of the default engine: one pass over the people table per stage.

Each sweep applies one stage's per-person rules to every row of the structure of arrays in a
single compiled loop (numba), instead of one numpy pass per operation. The rules themselves are
not restated here: each sweep calls the functions of the rule modules (:mod:`model.demography`,
:mod:`model.budgets`, :mod:`model.market`, :mod:`model.outcomes`, :mod:`model.carers`), the same
functions the per-agent reference engine calls person by person. They are written in plain
arithmetic and the helpers of :mod:`model.arith`, so that one definition runs on numpy arrays, on
Python numbers and inside these sweeps (:data:`RULES` registers them with numba; the helpers get
scalar versions here).

Random numbers are drawn inside the sweeps from the model's own generator (``model.rng``, passed
in), so a run stays reproducible from its seed; normal draws use a ziggurat on its uniforms
(:func:`standard_normal`). Parameters reach the sweeps as named tuples of the
scenario's sections (:func:`struct`).

Compiled code is cached on disk (``model/__pycache__``). numba checks a cached sweep against this
file only, so the cache is also dropped whenever a rule module changes (:func:`drop_stale_cache`).
"""

from __future__ import annotations

import hashlib
import sys
from collections import namedtuple
from pathlib import Path
from typing import Any

import numba
import numpy as np
from numba.extending import overload, register_jitable

from model import arith, budgets, carers, choice, demography, market, outcomes, scenario
from model.state import MODE_COUNCIL, MODE_DIRECT, MODE_NONE

#: Rule functions the sweeps call; each runs unchanged on arrays, Python numbers and in compiled code.
RULES = (demography.drift_need, demography.is_over65, budgets.required_hours, choice.felt_burden, choice.utility,
         market.slot_share, market.in_mode, market.hours_bought, outcomes.met_need, outcomes.wellbeing,
         outcomes.satisfaction, carers.next_strain, carers.breaks_down, carers.need_after_breakdown)
for _rule in RULES:
    register_jitable(_rule)


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


_SECTIONS = (scenario.Demography, scenario.Outcomes, scenario.Carers, scenario.Choice)


def _struct_type(section: type) -> type:
    fields = [k for k, f in section.model_fields.items() if f.annotation in (float, int, list[float])]
    cls = namedtuple(section.__name__, fields)
    cls.__module__ = __name__
    setattr(sys.modules[__name__], section.__name__, cls)  # importable, so the compiled cache can name it
    return cls


_STRUCTS = {section: _struct_type(section) for section in _SECTIONS}


def struct(values: Any) -> tuple:
    """A scenario section (``Demography``, ``Outcomes``, ``Carers`` or ``Choice``) as a named tuple the sweeps
    can read: numbers as they are, lists as float64 arrays."""
    cls = _STRUCTS[type(values)]
    return cls(*(np.asarray(v, dtype=np.float64) if isinstance(v, list) else v
                 for v in (getattr(values, k) for k in cls._fields)))


def drop_stale_cache() -> None:
    """Delete cached compiled sweeps made from other versions of the rule modules."""
    sources = [Path(m.__file__).read_bytes() for m in (arith, budgets, carers, choice, demography, market, outcomes,
                                                        scenario)]
    digest = hashlib.sha256(b"".join([Path(__file__).read_bytes(), *sources])).hexdigest()
    cache = Path(__file__).parent / "__pycache__"
    stamp = cache / "kernels.rules-digest"
    try:
        if stamp.exists() and stamp.read_text() == digest:
            return
        for f in cache.glob("kernels.*.nb[ic]"):
            f.unlink(missing_ok=True)
        cache.mkdir(exist_ok=True)
        stamp.write_text(digest)
    except OSError:  # a read-only install: numba then compiles in memory
        pass


drop_stale_cache()


# Ziggurat tables for standard-normal draws (128 layers; Marsaglia & Tsang 2000, in the ZIGNOR
# form of Doornik 2005, "An improved ziggurat method to generate normal random samples").
_ZIG_R = 3.442619855899  # start of the tail
_ZIG_V = 9.91256303526217e-3  # area of each layer


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray]:
    x = np.zeros(129)
    f = np.exp(-0.5 * _ZIG_R * _ZIG_R)
    x[0], x[1] = _ZIG_V / f, _ZIG_R
    for i in range(2, 128):
        x[i] = np.sqrt(-2.0 * np.log(_ZIG_V / x[i - 1] + f))
        f = np.exp(-0.5 * x[i] * x[i])
    return x, x[1:] / x[:-1]


_ZIG_X, _ZIG_RATIO = _ziggurat_tables()


@numba.njit(cache=True)
def standard_normal(rng: np.random.Generator) -> float:
    """One standard-normal draw from the model's generator by the ziggurat method: one uniform
    (53 random bits: 7 choose the layer, 46 the point) is accepted at once in about 99 % of draws.
    About twice as fast here as ``Generator.standard_normal`` (tested against the normal
    distribution in ``tests/test_kernels.py``)."""
    while True:
        bits = np.int64(rng.random() * 9007199254740992.0)  # 2**53
        i = bits & 127
        u = (bits >> 7) * (2.0 / 70368744177664.0) - 1.0  # uniform on [-1, 1), 2**46 steps
        if abs(u) < _ZIG_RATIO[i]:
            return u * _ZIG_X[i]
        if i == 0:  # the tail beyond R (Marsaglia 1964)
            while True:
                x = np.log(rng.random()) / _ZIG_R
                if -2.0 * np.log(rng.random()) >= x * x:
                    return x - _ZIG_R if u < 0 else _ZIG_R - x
        x = u * _ZIG_X[i]
        f0 = np.exp(-0.5 * (_ZIG_X[i] * _ZIG_X[i] - x * x))
        f1 = np.exp(-0.5 * (_ZIG_X[i + 1] * _ZIG_X[i + 1] - x * x))
        if f1 + rng.random() * (f0 - f1) < 1.0:
            return x


@numba.njit(cache=True)
def drift(need: np.ndarray, group: np.ndarray, alive: np.ndarray, d: tuple, rng: np.random.Generator) -> None:
    """Demography (ODD 7.1): each living person's need drifts with the month's noise."""
    for i in range(need.size):
        if alive[i]:
            need[i] = demography.drift_need(need[i], group[i], standard_normal(rng), d)


@numba.njit(cache=True)
def reviews(alive: np.ndarray, offered: np.ndarray, offer_rank: np.ndarray, council: np.ndarray,
            review_in: np.ndarray, share: np.ndarray, offer: bool, interval: np.ndarray) -> np.ndarray:
    """Rollout and reviews (ODD 7.3): if the offered shares moved (``offer``), people whose rank
    is now under their council's share are offered the choice and reviewed at once; everyone's
    next review comes a month closer; the rows due are returned and their next review is set."""
    due = np.empty(alive.size, dtype=np.int64)
    k = 0
    for i in range(alive.size):
        if not alive[i]:
            continue
        c = council[i]
        if offer and not offered[i] and offer_rank[i] < share[c]:
            offered[i] = True
            review_in[i] = 0
        review_in[i] -= 1
        if review_in[i] <= 0:
            due[k] = i
            k += 1
            review_in[i] = interval[c]
    return due[:k]


@numba.njit(cache=True)
def seekers(option: np.ndarray, budget: np.ndarray, need: np.ndarray, carer_hours: np.ndarray,
            hours_per_point: float, required: np.ndarray, provider: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Before matching (ODD 7.6): each person's formal hours needed this month, then the
    (row, slot) pairs with a budget slot, need, and no provider; every slot-0 seeker first, then
    Option 4's direct-payment slots."""
    first = np.empty(option.size, dtype=np.int64)
    second = np.empty(option.size, dtype=np.int64)
    k0 = k1 = 0
    for i in range(option.size):
        required[i] = budgets.required_hours(need[i], carer_hours[i], hours_per_point)
        if budget[i] > 0 and required[i] > 0:
            o = option[i]
            if not market.in_mode(o, 0, MODE_NONE) and provider[i, 0] < 0:
                first[k0] = i
                k0 += 1
            if not market.in_mode(o, 1, MODE_NONE) and provider[i, 1] < 0:
                second[k1] = i
                k1 += 1
    rows = np.concatenate((first[:k0], second[:k1]))
    slots = np.zeros(k0 + k1, dtype=np.int64)
    slots[k0:] = 1
    return rows, slots


@numba.njit(cache=True)
def purchase_and_outcomes(alive: np.ndarray, option: np.ndarray, council: np.ndarray, budget: np.ndarray,
                          need: np.ndarray, carer_hours: np.ndarray, required: np.ndarray, provider: np.ndarray,
                          dp_balance: np.ndarray, delivered: np.ndarray, respite: np.ndarray, met_need: np.ndarray,
                          strain: np.ndarray, review_in: np.ndarray, control: np.ndarray, burden: np.ndarray,
                          wellbeing: np.ndarray, satisfaction: np.ndarray, low_sat: np.ndarray, attrs: np.ndarray,
                          block_places: np.ndarray, direct_share: float, hours_per_point: float, c: tuple, o: tuple,
                          switch_satisfaction: float, switch_after: int, rng: np.random.Generator,
                          income: np.ndarray, hours: np.ndarray, services: np.ndarray, dp_paid: np.ndarray,
                          dp_spent: np.ndarray, counts: np.ndarray, breakdowns: np.ndarray, crises: np.ndarray,
                          clients: np.ndarray, client_satisfaction: np.ndarray) -> np.ndarray:
    """Purchasing (ODD 7.6), unpaid carers (7.7), and outcomes and voice (7.8), person by person.

    These steps of the month involve no one else, so one pass applies all three to each row in
    schedule order. ``attrs`` holds per provider: price, hour cap a week, respite and wellbeing
    bonus per hour, quality; its last row stands for "no provider" (all zero).

    Purchasing: each budget slot buys hours from its provider at the provider's price within the
    slot's budget. Council-arranged clients of a day centre with block places fill them first, in
    row order, and cost nothing more (the block is paid in full elsewhere); the rest are bought
    spot. A direct-payment slot is paid into the person's account whether or not it is spent, and
    the account pays the provider. Accumulates services by (council, option), provider income and
    hours, and people by (council, option).

    Carers: strain moves with hours given, unmet need and respite; a carer above the threshold may
    break down (the person's need jumps, a review is due, and a crisis may follow).

    Outcomes: wellbeing; satisfaction with the main provider (slot 0, or Option 4's direct-payment
    slot if slot 0 has none); clients and their satisfaction summed by provider (for ratings);
    months of low satisfaction. Returns the rows whose dissatisfaction has lasted ``switch_after``
    months (they switch provider)."""
    used = np.zeros(block_places.size, dtype=np.int64)
    switch = np.empty(alive.size, dtype=np.int64)
    k = 0
    for i in range(alive.size):
        o_i = option[i]
        ci = council[i]
        counts[ci, o_i] += 1
        if not alive[i]:
            continue
        # 6. purchasing
        got = 0.0
        rest = 0.0
        bonus = 0.0
        for slot in range(2):
            if market.in_mode(o_i, slot, MODE_NONE):
                continue
            p = provider[i, slot]  # -1 (no provider) reads the last row of attrs
            share = market.slot_share(o_i, slot, direct_share)
            price = attrs[p, 0]
            h = market.hours_bought(required[i], budget[i], share, price, attrs[p, 1])
            cost = np.float64(h * price)
            if p >= 0 and market.in_mode(o_i, slot, MODE_COUNCIL) and used[p] < block_places[p]:
                used[p] += 1
                cost = 0.0
            if market.in_mode(o_i, slot, MODE_DIRECT):
                credit = np.float64(budget[i]) * share
                cost = min(cost, credit)
                dp_balance[i] += credit - cost
                dp_paid[ci] += credit
                dp_spent[ci] += cost
                services[ci, o_i] += credit
            else:
                services[ci, o_i] += cost
            income[p] += cost
            hours[p] += h
            got += h
            rest += attrs[p, 2] * h
            bonus += attrs[p, 3] * h
        delivered[i] = got
        respite[i] = rest
        met_need[i] = outcomes.met_need(delivered[i], required[i])
        # 7. unpaid carers
        if carer_hours[i] > 0:
            s = carers.next_strain(strain[i], carer_hours[i], 1.0 - met_need[i], respite[i], c)
            strain[i] = s
            if s > c.breakdown_threshold and carers.breaks_down(s, True, rng.random(), c):
                breakdowns[ci] += 1
                if rng.random() < c.crisis_probability:
                    crises[ci] += 1
                carer_hours[i] = 0.0
                strain[i] = 0.0
                need[i] = carers.need_after_breakdown(need[i], c)
                review_in[i] = 0
                required[i] = budgets.required_hours(need[i], carer_hours[i], hours_per_point)
                met_need[i] = outcomes.met_need(delivered[i], required[i])
        else:
            strain[i] = 0.0
        # 8. outcomes and voice
        met = met_need[i]
        wellbeing[i] = outcomes.wellbeing(met, control[i], burden[i], bonus, o)
        main = provider[i, 0]
        quality = attrs[provider[i, 1], 4] if o_i == 4 and main < 0 else attrs[main, 4]
        sat = outcomes.satisfaction(quality, met, standard_normal(rng), o)
        satisfaction[i] = sat
        for slot in range(2):
            p = provider[i, slot]
            if p >= 0:
                clients[p] += 1
                client_satisfaction[p] += sat
        if o_i > 0 and sat < switch_satisfaction:
            low_sat[i] += 1
            if low_sat[i] >= switch_after:
                switch[k] = i
                k += 1
        else:
            low_sat[i] = 0
    return switch[:k]


@numba.njit(cache=True)
def logit_draw(util: np.ndarray, u: float) -> int:
    """Alternative 1..K drawn from logit probabilities over ``util`` by inverse CDF with the
    uniform ``u`` (as :func:`model.choice.choose`: alternatives of utility -inf are never drawn)."""
    top = util.max()
    total = 0.0
    for j in range(util.size):
        total += np.exp(util[j] - top)
    target = u * total
    cum = 0.0
    pick = 1
    for j in range(util.size - 1):
        cum += np.exp(util[j] - top)
        pick += cum <= target
    return pick


@numba.njit(cache=True)
def ration(group0: np.ndarray, council_mode: np.ndarray, tappeal: np.ndarray, key: np.ndarray,
           g_start: np.ndarray, exp_appeal: np.ndarray, exp_level: np.ndarray, capacity: np.ndarray,
           clients: np.ndarray, rounds: int, rng: np.random.Generator) -> np.ndarray:
    """The rationing rule of :mod:`model.market` for all seekers of the month.

    Providers are indexed in (council, type) group order (``key``; group ``g`` starts at
    ``g_start[g]``); ``exp_appeal[k]`` and ``exp_level[k]`` are their exp(appeal) within the type
    and at the type level, for people choosing for themselves (k = 0) and the council (k = 1).
    Seeker ``s`` looks in groups ``group0[s]`` .. ``group0[s] + 3`` (one per type) with type
    appeals ``tappeal[s]``. In each round every pending seeker picks a type by logit over (type
    appeal + log of the mean exp(appeal) of that type's providers with a free place), then a
    provider of that type with probability proportional to exp(appeal); providers then take
    applicants in a random priority order until full. A seeker with no type left to try stops.
    Updates ``clients``; returns each seeker's provider (in group order), or -1."""
    n_prov, n_groups, n_seek = key.size, g_start.size, group0.size
    got = np.full(n_seek, -1, dtype=np.int64)
    active = np.ones(n_seek, dtype=np.bool_)
    pick = np.empty(n_seek, dtype=np.int64)
    util = np.empty(4)
    for _ in range(rounds):
        cum = np.zeros((2, n_prov + 1))
        total = np.zeros((2, n_groups))
        level = np.zeros((2, n_groups))
        n_free = np.zeros(n_groups)
        for i in range(n_prov):
            free = capacity[i] > clients[i]
            for k in range(2):
                w = exp_appeal[k, i] * free
                cum[k, i + 1] = cum[k, i] + w
                total[k, key[i]] += w
                level[k, key[i]] += exp_level[k, i] * free
            n_free[key[i]] += free
        log_mean = np.full((2, n_groups), -np.inf)  # log of the mean exp(appeal) over free providers
        for k in range(2):
            for g in range(n_groups):
                if level[k, g] > 0:
                    log_mean[k, g] = np.log(level[k, g] / n_free[g])
        pending = 0
        for s in range(n_seek):
            if not active[s]:
                continue
            k = council_mode[s]
            finite = False
            for j in range(4):
                util[j] = tappeal[s, j] + log_mean[k, group0[s] + j]
                finite = finite or util[j] > -np.inf
            if not finite:
                active[s] = False
                continue
            g = group0[s] + logit_draw(util, rng.random()) - 1
            target = cum[k, g_start[g]] + rng.random() * total[k, g]
            i = np.searchsorted(cum[k], target, side="right") - 1
            end = g_start[g + 1] if g + 1 < n_groups else n_prov
            pick[s] = min(max(i, g_start[g]), end - 1)
            pending += 1
        if pending == 0:
            break
        for s in np.argsort(rng.random(n_seek)):  # random priority
            if active[s]:
                i = pick[s]
                if clients[i] < capacity[i]:
                    clients[i] += 1
                    got[s] = i
                    active[s] = False
    return got


@numba.njit(cache=True)
def choose_options(rows: np.ndarray, confidence: np.ndarray, age_band: np.ndarray, group: np.ndarray,
                   supported: np.ndarray, option: np.ndarray, peers: np.ndarray, alive: np.ndarray,
                   satisfaction: np.ndarray, council: np.ndarray, available: np.ndarray, reduction: np.ndarray,
                   ch: tuple, rng: np.random.Generator) -> np.ndarray:
    """Option choice (ODD 7.4) for ``rows``, all against the same state: each person's peer signal
    (satisfied minus dissatisfied peers on each option, per peer, as :func:`model.choice.peer_signal`),
    the utilities of :func:`model.choice.utility`, and a logit draw. Returns the options chosen."""
    out = np.empty(rows.size, dtype=np.int8)
    util = np.empty(4)
    signal = np.empty(4)
    per_peer = 1.0 / max(1, peers.shape[1])
    for s in range(rows.size):
        r = rows[s]
        c = council[r]
        signal[:] = 0.0
        for q in peers[r]:
            if q >= 0 and alive[q] and option[q] > 0:
                signal[option[q] - 1] += per_peer if satisfaction[q] >= ch.switch_satisfaction else -per_peer
        for j in range(1, 5):
            util[j - 1] = choice.utility(j, confidence[r], demography.is_over65(age_band[r]), group[r], supported[r],
                                         option[r], signal[j - 1], available[c, j - 1], reduction[c], ch)
        out[s] = logit_draw(util, rng.random())
    return out
