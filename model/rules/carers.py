"""Unpaid carers (ODD 7.7): hours given, strain, respite and breakdown.

Strain accumulates with the hours a carer gives and with the person's unmet formal need, is shed
at a recovery rate, and falls with respite (day-centre and community-group attendance). Above a
threshold a carer may break down: they stop caring, the person's need rises and, with some
chance, the breakdown brings an emergency admission (a crisis cost). Carers UK (State of Caring
2024) found 57% of carers often or always overwhelmed; the rates here are assumptions.
"""

from __future__ import annotations

import numpy as np

from model.rules.arith import at_most, clip
from model.scenario import Carers


def next_strain(strain: np.ndarray | float, carer_hours: np.ndarray | float, unmet: np.ndarray | float,
                respite: np.ndarray | float, c: Carers) -> np.ndarray:
    """Strain next month, in [0, 1]."""
    s = strain * (1.0 - c.recovery) + c.strain_per_hour * carer_hours + c.strain_unmet * unmet - respite
    return clip(s, 0.0, 1.0)


def breaks_down(strain: np.ndarray | float, caring: np.ndarray | bool, u: np.ndarray | float, c: Carers) -> np.ndarray:
    """A caring carer above the strain threshold breaks down with ``breakdown_probability``."""
    return caring & (strain > c.breakdown_threshold) & (u < c.breakdown_probability)


def need_after_breakdown(need: np.ndarray | float, c: Carers) -> np.ndarray:
    """A breakdown adds ``breakdown_need_jump`` points to the person's need (at most 100)."""
    return at_most(need + c.breakdown_need_jump, 100.0)
