"""Support (ODD 7.5): advice and brokerage capacity, and who it reaches.

Each council can support ``capacity`` people per 1000 each month (fractional capacity is carried
as a chance of one more place). Among the people making a choice this month it reaches either
those who come first (random order) or the most deprived first (lowest quintile, random within a
quintile). Support multiplies the burden a person feels by (1 - burden_reduction).
"""

from __future__ import annotations

import numpy as np

from model.scenario import Support


def places(people_in_council: int, s: Support, u: float) -> int:
    """Support places this month: capacity per 1000 x people, fractional part taken with chance."""
    exact = s.capacity * people_in_council / 1000.0
    return int(exact) + int(u < exact - int(exact))


def priority(quintile: np.ndarray | int, u: np.ndarray | float, s: Support) -> np.ndarray:
    """Queue position key: lower is served first."""
    if s.targeting == "most_deprived":
        return np.asarray(quintile) + np.asarray(u)
    return np.asarray(u, dtype=np.float64)


def allocate(keys: np.ndarray, n_places: int) -> np.ndarray:
    """Mask of the ``n_places`` candidates with the lowest keys."""
    chosen = np.zeros(keys.size, dtype=bool)
    if n_places >= keys.size:
        chosen[:] = True
    elif n_places > 0:
        chosen[np.argpartition(keys, n_places - 1)[:n_places]] = True
    return chosen
