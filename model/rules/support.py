"""Support (ODD 7.5): advice and brokerage capacity, and who it reaches.

Each council can support ``capacity`` people per 1000 each month (fractional capacity is carried
as a chance of one more place). Among the people making a choice this month it reaches either
those who come first (random order) or the most deprived first (lowest quintile, random within a
quintile). Support multiplies the burden a person feels by (1 - burden_reduction).
"""

from __future__ import annotations

import numpy as np

from model.rules.arith import where
from model.scenario import Support


def places(people_in_council: int, capacity: float, u: float) -> int:
    """Support places this month: ``capacity`` per 1000 x people, the fractional part taken with
    chance (``u`` uniform on [0, 1))."""
    exact = capacity * people_in_council / 1000.0
    return int(exact) + int(u < exact - int(exact))


def priority(quintile: np.ndarray | int, u: np.ndarray | float, most_deprived: bool) -> np.ndarray:
    """Queue position key (lower is served first): the uniform ``u`` (random order), after the
    quintile when the most deprived come first. Ties keep the queue's order."""
    return where(most_deprived, quintile + u, u)


def reached(quintile: np.ndarray, people_in_council: int, capacity: float, most_deprived: bool,
            u: np.ndarray) -> np.ndarray:
    """One council's support this month for its queue of people choosing (``quintile`` of each, in
    queue order): its :func:`places` (with the uniform ``u[0]``), a :func:`priority` key for the
    j-th person queued (with ``u[1 + j]``), and the places given to the lowest keys, ties in queue
    order. Returns whether each person queued is supported."""
    n = len(quintile)
    n_places = min(places(people_in_council, capacity, u[0]), n)
    keys = np.empty(n)
    for j in range(n):
        keys[j] = priority(quintile[j], u[1 + j], most_deprived)
    supported = np.zeros(n, dtype=np.bool_)
    if n_places > 0:  # the keys below the n_places-th lowest, then ties in queue order
        kth = np.partition(keys, n_places - 1)[n_places - 1]
        n_tied = n_places - np.count_nonzero(keys < kth)
        for j in range(n):
            if keys[j] < kth or (keys[j] == kth and n_tied > 0):
                supported[j] = True
                if keys[j] == kth:
                    n_tied -= 1
    return supported


def spend(supported: np.ndarray | int, cost_per_person: np.ndarray | float) -> np.ndarray | float:
    """The council's spend on support this month: ``cost_per_person`` (its ``support.cost_per_person``,
    for advice and brokerage) for each of the ``supported`` people its support reached."""
    return supported * cost_per_person


def targets_most_deprived(s: Support) -> bool:
    """Whether the council's support reaches the most deprived first."""
    return s.targeting == "most_deprived"
