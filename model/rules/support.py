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


def targets_most_deprived(s: Support) -> bool:
    """Whether the council's support reaches the most deprived first."""
    return s.targeting == "most_deprived"
