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


def settle(carer_hours: np.ndarray, need: np.ndarray, tenure: np.ndarray, u: np.ndarray,
           c: Carers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Carers of the people known at the start, after ``tenure`` months of caring (so the starting
    population is near the model's steady state): strain has grown as :func:`next_strain` makes
    it from 0 without unmet need or respite, strain_per_hour x hours x (1 - (1 - recovery)^t) /
    recovery after t months; a carer whose strain has been above the threshold for m of the
    months has broken down with chance 1 - (1 - breakdown_probability)^m (``u`` uniforms),
    stopping care and adding to need (:func:`need_after_breakdown`). Returns (carer hours, strain,
    need)."""
    hours = np.asarray(carer_hours, dtype=np.float64)
    added = c.strain_per_hour * hours  # strain a month's care adds
    theta = c.breakdown_threshold
    with np.errstate(divide="ignore", invalid="ignore"):
        if c.recovery > 0:
            level = added / c.recovery  # where the strain settles
            strain = level * (1.0 - (1.0 - c.recovery) ** tenure)
            crossing = np.where(level > theta, np.log1p(-theta / level) / np.log1p(-c.recovery), np.inf)
        else:
            strain = added * tenure
            crossing = np.where(added > 0, theta / added, np.inf)
    above = np.maximum(tenure - crossing, 0.0)
    broke = (hours > 0) & (u < 1.0 - (1.0 - c.breakdown_probability) ** above)
    return (np.where(broke, 0.0, hours), np.where(broke, 0.0, np.minimum(strain, 1.0)),
            np.where(broke, need_after_breakdown(need, c), need))


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
