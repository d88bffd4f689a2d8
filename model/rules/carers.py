"""Unpaid carers (ODD 7.7): hours given, strain, respite and breakdown.

Strain accumulates with the hours a carer gives and with the person's unmet formal need, is shed
at a recovery rate, and falls with respite (day-centre and community-group attendance). Above a
threshold a carer may break down: they stop caring, the person's need rises and, with some
chance, the breakdown brings an emergency admission (a crisis cost). Carers UK (State of Caring
2024) found 57% of carers often or always overwhelmed; the rates here are assumptions.
"""

from __future__ import annotations

import numpy as np

from model import stream
from model.rules.arith import at_most, clip
from model.rules.outcomes import met_need
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


def carer_month(strain: float, carer_hours: float, need: float, delivered: float, required: float, respite: float,
                c: Carers, words: tuple) -> tuple[float, float, float, bool, bool, tuple]:
    """One carer's month (ODD 7.7), after purchasing: the person got ``delivered`` of the
    ``required`` formal hours and ``respite``. A carer giving no hours has no strain. Otherwise
    strain moves (:func:`next_strain`); above the threshold the carer may break down
    (:func:`breaks_down`, one uniform from the stream ``words``), and a breakdown brings a crisis
    (an emergency admission) with ``crisis_probability`` (a second uniform): the carer stops
    caring, with no strain left, and the person's need jumps (:func:`need_after_breakdown`).
    Returns (strain, carer's hours, need, broke down, crisis, the stream's next words)."""
    if carer_hours <= 0:
        return 0.0, carer_hours, need, False, False, words
    s = next_strain(strain, carer_hours, 1.0 - met_need(delivered, required), respite, c)
    broke = False
    if s > c.breakdown_threshold:
        u, words = stream.next_uniform(words)
        broke = breaks_down(s, True, u, c)
    if not broke:
        return s, carer_hours, need, False, False, words
    u, words = stream.next_uniform(words)
    return 0.0, 0.0, need_after_breakdown(need, c), True, u < c.crisis_probability, words
