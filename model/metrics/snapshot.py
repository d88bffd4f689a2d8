"""The recorder's monthly pass over the people, compiled (numba): it imports nothing of the engines,
so the same snapshot observes a model whichever engine stepped it."""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from model import stream
from model.core.state import People


class CellSums(NamedTuple):
    """Sums by cell over the living people with a package, that :func:`snapshot` adds to."""

    met_need: np.ndarray
    wellbeing: np.ndarray
    satisfaction: np.ndarray


@numba.njit(cache=True)
def snapshot(people: People.Record, need_threshold: float, strained_level: float, counts: np.ndarray,
             sums: CellSums) -> tuple[float, float, np.ndarray]:
    """The month's snapshot of the people table's record ``people`` for
    :class:`model.metrics.recorder.MonthRecorder`, in one pass: the living counted by cell, option
    (0-4) and offered (``counts``, cell x 10 + 2 option + offered); for people with a package
    (option 1-4), ``sums`` of met need, wellbeing and satisfaction by cell, each added in row order
    as ``numpy.bincount`` does; returns the hours carers give and the direct-payment balances held,
    in total, and the carers' figures: people with need (need at or above ``need_threshold``), the
    hours their carers give, carers giving hours, and of those the strained (strain above
    ``strained_level``)."""
    cell, option, offered, alive = people.cell, people.option, people.offered, people.alive
    met_need, wellbeing, satisfaction = people.met_need, people.wellbeing, people.satisfaction
    carer_hours, dp_balance, need, strain = people.carer_hours, people.dp_balance, people.need, people.strain
    met_sum, wellbeing_sum, satisfaction_sum = sums.met_need, sums.wellbeing, sums.satisfaction
    hours = 0.0
    held = 0.0
    # People with need, their carers' hours, caring carers, strained carers (local sums: the compiled
    # loop keeps them in registers, where an array's items would go through memory every row).
    with_need, their_hours, caring, strained = 0.0, 0.0, 0.0, 0.0
    for i in range(cell.size):
        held += dp_balance[i]
        if not alive[i]:
            continue
        c = cell[i]
        o = option[i]
        counts[c * 10 + o * 2 + offered[i]] += 1
        if o > 0:
            met_sum[c] += np.float64(met_need[i])
            wellbeing_sum[c] += np.float64(wellbeing[i])
            satisfaction_sum[c] += np.float64(satisfaction[i])
        hours += carer_hours[i]
        if need[i] >= need_threshold:
            with_need += 1
            their_hours += carer_hours[i]
        if carer_hours[i] > 0:
            caring += 1
            strained += strain[i] > strained_level
    return hours, held, np.array([with_need, their_hours, caring, strained])


@numba.njit(cache=True)
def resample_sums(cell: np.ndarray, features: np.ndarray, cells: int, resamples: int, state: np.ndarray) -> np.ndarray:
    """Bootstrap resamples of sums by cell, for :func:`model.metrics.equity.population_table`: each
    resample draws n people with replacement (from the random stream ``state``,
    :mod:`model.stream`; index = the top 32 bits x n / 2**32) and adds each person's ``features``
    row to their ``cell`` as many times as they were drawn (the draws are counted first, then the
    people are passed in order). Returns (resamples, cells, features)."""
    n, k = features.shape
    out = np.zeros((resamples, cells, k))
    drawn = np.zeros(n, dtype=np.int32)
    words = stream.load(state)
    size = np.uint64(n)
    for b in range(resamples):
        drawn[:] = 0
        for _ in range(n):
            bits, words = stream.next_bits(words)
            drawn[((bits >> np.uint64(32)) * size) >> np.uint64(32)] += 1
        sums = out[b]
        for i in range(n):
            times = drawn[i]
            if times:
                row = sums[cell[i]]
                for f in range(k):
                    row[f] += times * features[i, f]
    stream.store(state, words)
    return out
