"""Unpaid carers (ODD 7.7): hours given, strain, respite, breakdown, recovery and replacement.

Each carer is willing to give some hours a week when formal care arrives as planned (``carer_base``,
drawn at referral). The hours they give respond to the formal hours the person actually gets, with
an elasticity (``formal_elasticity``; negative: when formal care falls short the carer does more).
Strain accumulates with the hours given, measured against the carer's own capacity (the hours they
can give before their health suffers, drawn so that the share of carers reporting a health impact
by weekly hours follows the published gradient), and with the person's unmet formal need; it is
shed at a recovery rate and falls with respite (day-centre and community-group attendance). The
breakdown hazard grows with the months strain has spent above a threshold (a month below takes one
off): a carer who breaks down stops caring, the person's need rises and, with some chance, the
breakdown brings an emergency admission (a crisis cost). A person whose carer broke down may later
gain a new carer, who takes on the hours the last one was willing to give. Every part has a switch
(``formal_response``, ``strain_gradient``, ``strain_history``, ``replacement``); with all off the
carer is the fixed one of the earlier model. The assessment's view of the carer (what it credits
against need) is :func:`model.rules.budgets.credited_hours`.
"""

from __future__ import annotations

import numpy as np

from model import stream
from model.rules.arith import at_least, at_most, clip, where
from model.rules.budgets import credited_hours, required_hours
from model.rules.outcomes import met_need
from model.scenario import Carers

#: Most hours a week a carer gives (the referral draw's cap too).
MOST_HOURS = 100.0
#: A carer's capacity not yet drawn (a carer who has not had a month of care since they started).
UNDRAWN = -1.0
#: Smallest capacity the strain rule divides by (hours a week).
LEAST_CAPACITY = 0.01


def capacity_hours(u: np.ndarray | float, c: Carers) -> np.ndarray:
    """A carer's capacity (hours a week they can give before their health suffers) from a uniform
    ``u``: the inverse of the share of carers reporting a health impact by weekly hours, piecewise
    linear through (0 h, 0), (1 h, ``impact_light``), (``heavy_hours``, ``impact_heavy``) and
    (:data:`MOST_HOURS`, 1). So among carers giving h hours a week, the share whose capacity is
    below h (strained, once settled) follows that gradient."""
    light, heavy = c.impact_light, max(c.impact_heavy, c.impact_light)
    first = u / max(light, 1e-12)
    second = 1.0 + (u - light) / max(heavy - light, 1e-12) * (c.heavy_hours - 1.0)
    third = c.heavy_hours + (u - heavy) / max(1.0 - heavy, 1e-12) * (MOST_HOURS - c.heavy_hours)
    return at_least(where(u <= light, first, where(u <= heavy, second, third)), LEAST_CAPACITY)


def hours_strain(carer_hours: np.ndarray | float, capacity: np.ndarray | float, c: Carers) -> np.ndarray:
    """Strain a month of care adds: with ``strain_gradient``, recovery x ``strained_level`` x hours /
    capacity, so that a carer giving their capacity settles at ``strained_level`` (any hours strain
    a carer of small capacity: not a line through zero); without it, ``strain_per_hour`` x hours."""
    if c.strain_gradient:
        return c.recovery * c.strained_level * carer_hours / at_least(capacity, LEAST_CAPACITY)
    return c.strain_per_hour * carer_hours


def next_strain(strain: np.ndarray | float, carer_hours: np.ndarray | float, capacity: np.ndarray | float,
                unmet: np.ndarray | float, respite: np.ndarray | float, c: Carers) -> np.ndarray:
    """Strain next month, in [0, 1]."""
    s = strain * (1.0 - c.recovery) + hours_strain(carer_hours, capacity, c) + c.strain_unmet * unmet - respite
    return clip(s, 0.0, 1.0)


def unpaid_hours(base: np.ndarray | float, delivered: np.ndarray | float, required: np.ndarray | float,
                 c: Carers) -> np.ndarray:
    """Hours a week the carer gives this month: their ``base`` hours (given when formal care arrives
    as planned) moved by ``formal_elasticity`` x the relative shortfall of the formal hours
    ``delivered`` against those ``required`` (the elasticity around the plan: base x (1 + e x (r -
    1)), r = delivered / required in [0, 1], 1 when none are required), at most
    :data:`MOST_HOURS`. Without ``formal_response``: ``base``."""
    if not c.formal_response:
        return base
    ratio = where(required > 0, clip(delivered / at_least(required, 1e-12), 0.0, 1.0), 1.0)
    return clip(base * (1.0 + c.formal_elasticity * (ratio - 1.0)), 0.0, MOST_HOURS)


def months_above(above: np.ndarray | float, strain: np.ndarray | float, c: Carers) -> np.ndarray:
    """Months of strain above ``breakdown_threshold``: one more this month if above, one fewer
    (never below 0) if not (the carer recovers)."""
    return where(strain > c.breakdown_threshold, above + 1.0, at_least(above - 1.0, 0.0))


def breakdown_hazard(above: np.ndarray | float, c: Carers) -> np.ndarray:
    """Monthly breakdown chance of a carer above the threshold: with ``strain_history``,
    ``breakdown_probability`` x min(1, months above / ``history_months``); without it,
    ``breakdown_probability``."""
    if c.strain_history:
        return c.breakdown_probability * at_most(above / c.history_months, 1.0)
    return c.breakdown_probability + 0.0 * above


def breaks_down(strain: np.ndarray | float, above: np.ndarray | float, caring: np.ndarray | bool,
                u: np.ndarray | float, c: Carers) -> np.ndarray:
    """A caring carer above the strain threshold breaks down with :func:`breakdown_hazard`."""
    return caring & (strain > c.breakdown_threshold) & (u < breakdown_hazard(above, c))


def need_after_breakdown(need: np.ndarray | float, c: Carers) -> np.ndarray:
    """A breakdown adds ``breakdown_need_jump`` points to the person's need (at most 100)."""
    return at_most(need + c.breakdown_need_jump, 100.0)


def settle(carer_hours: np.ndarray, need: np.ndarray, tenure: np.ndarray, u: np.ndarray, v: np.ndarray,
           w: np.ndarray, c: Carers) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Carers of the people known at the start, after ``tenure`` months of caring (so the starting
    population is near the model's steady state). Each carer's capacity is drawn from the uniforms
    ``v`` (:func:`capacity_hours`; :data:`UNDRAWN` without ``strain_gradient``). Strain has grown
    as :func:`next_strain` makes it from 0 without unmet need or respite, a x (1 - (1 -
    recovery)^t) / recovery after t months, a = :func:`hours_strain`; a carer whose strain has been
    above the threshold for m of the months has broken down with chance 1 - (1 - p)^m' (``u``
    uniforms), m' = m, or m - ``history_months`` / 2 with ``strain_history`` (the months of the
    hazard's rise, at half the hazard on average), stopping care and adding to need
    (:func:`need_after_breakdown`). With ``replacement``, one who broke down has a new carer with
    chance 1 - (1 - ``replacement_probability``)^(m' / 2) (``w`` uniforms; the breakdown taken
    halfway through those months), giving the willing hours with no strain yet and a capacity still
    to draw. Returns (carer hours, strain, need, capacity, months above the threshold)."""
    hours = np.asarray(carer_hours, dtype=np.float64)
    capacity = capacity_hours(v, c) if c.strain_gradient else np.full(hours.shape, UNDRAWN)
    capacity = np.where(hours > 0, capacity, UNDRAWN)
    added = hours_strain(hours, capacity, c)  # strain a month's care adds
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
    exposed = np.maximum(above - c.history_months / 2.0, 0.0) if c.strain_history else above
    broke = (hours > 0) & (u < 1.0 - (1.0 - c.breakdown_probability) ** exposed)
    replaced = broke & (w < 1.0 - (1.0 - c.replacement_probability) ** (exposed / 2.0)) & c.replacement
    gone = broke & ~replaced
    return (np.where(gone, 0.0, hours), np.where(broke, 0.0, np.minimum(strain, 1.0)),
            np.where(broke, need_after_breakdown(need, c), need), np.where(replaced, UNDRAWN, capacity),
            np.where(broke, 0.0, np.minimum(np.floor(above), c.history_months)))


def short_break(strain: np.ndarray | float, c: Carers) -> np.ndarray:
    """Whether a carer gets a short break this month: with ``short_breaks``, one whose strain (last
    month's) is above ``strained_level``."""
    return (strain > c.strained_level) & c.short_breaks


def carer_month(strain: float, carer_hours: float, base: float, capacity: float, above: float, need: float,
                delivered: float, required: float, respite: float, c: Carers,
                words: tuple) -> tuple[float, float, float, float, float, float, bool, bool, bool, bool, tuple]:
    """One carer's month (ODD 7.7), after purchasing: the person got ``delivered`` of the
    ``required`` formal hours and ``respite``; the draws come from the stream ``words``.

    A person whose carer broke down (no hours given, ``base`` > 0) gains a new carer with
    ``replacement_probability`` (one uniform, with ``replacement``): they give ``base`` hours from
    next month, with no strain and a capacity still to draw. A carer giving no hours has no strain.
    Otherwise the carer gives :func:`unpaid_hours`, has their capacity drawn in their first month
    (one uniform, with ``strain_gradient``), may get a short break (:func:`short_break`, which adds
    ``short_break_respite`` to the respite), and strain moves (:func:`next_strain`), as do the
    months above the threshold (:func:`months_above`, with ``strain_history``). Above the
    threshold the carer may break down (:func:`breaks_down`, a uniform), and a breakdown brings a
    crisis (an emergency admission) with ``crisis_probability`` (a uniform): the carer stops
    caring, with no strain left, and the person's need jumps (:func:`need_after_breakdown`).

    Returns (strain, carer's hours, capacity, months above, hours the assessment credits
    (:func:`model.rules.budgets.credited_hours`), need, broke down, crisis, replaced, had a short
    break, the stream's next words)."""
    if carer_hours <= 0:
        if c.replacement and base > 0:
            u, words = stream.next_uniform(words)
            if u < c.replacement_probability:
                return (0.0, base, UNDRAWN, 0.0, credited_hours(base, base, 0.0, c), need, False, False, True, False,
                        words)
        return 0.0, carer_hours, capacity, 0.0, 0.0, need, False, False, False, False, words
    hours = unpaid_hours(base, delivered, required, c)
    if c.strain_gradient and capacity < 0:
        u, words = stream.next_uniform(words)
        capacity = capacity_hours(u, c)
    given = short_break(strain, c)
    rest = respite + c.short_break_respite if given else respite
    s = next_strain(strain, hours, capacity, 1.0 - met_need(delivered, required), rest, c)
    months = months_above(above, s, c) if c.strain_history else 0.0
    broke = False
    if s > c.breakdown_threshold:
        u, words = stream.next_uniform(words)
        broke = breaks_down(s, months, True, u, c)
    if not broke:
        return s, hours, capacity, months, credited_hours(hours, base, s, c), need, False, False, False, given, words
    u, words = stream.next_uniform(words)
    return (0.0, 0.0, capacity, 0.0, 0.0, need_after_breakdown(need, c), True, u < c.crisis_probability, False, given,
            words)


def after_breakdown(need: float, credit: float, hours_per_point: float) -> tuple[int, float]:
    """What a carer's breakdown (:func:`carer_month`) means for the person cared for, their need
    risen to ``need`` (as stored): a review is due at once (their review countdown is 0), and the
    formal hours they need follow (:func:`model.rules.budgets.required_hours`, with the hours the
    assessment credits for the carer, ``credit``: none after a breakdown). Returns (the review
    countdown, the formal hours needed)."""
    return 0, required_hours(need, credit, hours_per_point)
