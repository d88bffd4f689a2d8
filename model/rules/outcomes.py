"""Outcomes and voice (ODD 7.8): met need, wellbeing, satisfaction, ratings and switching.

Met need is formal hours received over formal hours needed. Wellbeing rises with met need and
control and with the activity and company of day centres and community groups (ASCOT gain of
0.18 from day-centre attendance, Orellana et al. 2020: ``eng_dayc_qol_2020``), and falls with the
burden a person feels. Satisfaction mixes provider quality and met need; providers' ratings are a
moving average of their clients' satisfaction (the seeds' "TripAdvisor for public services").
"""

from __future__ import annotations

import numpy as np

from model.codes import OPTION_4
from model.rules.arith import at_least, clip, where
from model.scenario import Outcomes


def met_need(delivered: np.ndarray | float, required: np.ndarray | float) -> np.ndarray:
    """Share of required formal hours delivered (1 when nothing is required)."""
    # With nothing required the ratio's numerator gets +1 over a tiny denominator, so the result is 1.
    return clip((delivered + (required <= 0)) / at_least(required, 1e-6), 0.0, 1.0)


def wellbeing(met: np.ndarray | float, control: np.ndarray | float, burden: np.ndarray | float,
              bonus: np.ndarray | float, o: Outcomes) -> np.ndarray:
    """Wellbeing in [0, 1]."""
    w = o.w_base + o.w_met_need * met + o.w_control * control - o.w_burden * burden
    return clip(w + bonus, 0.0, 1.0)


def satisfaction(quality: np.ndarray | float, met: np.ndarray | float, z: np.ndarray | float,
                 o: Outcomes) -> np.ndarray:
    """Satisfaction in [0, 1]: quality and met need, with noise."""
    q = o.satisfaction_quality_weight
    return clip(q * quality + (1 - q) * met + o.satisfaction_noise * z, 0.0, 1.0)


def next_rating(rating: np.ndarray | float, mean_satisfaction: np.ndarray | float, has_clients: np.ndarray | bool,
                memory: float) -> np.ndarray:
    """Provider rating: exponentially weighted mean of clients' satisfaction (unchanged if none)."""
    return where(has_clients, memory * rating + (1 - memory) * mean_satisfaction, rating)


def person_outcome(option: int, delivered: float, required: float, control: float, burden: float, bonus: float,
                   held0: bool, quality0: float, quality1: float, z: float, o: Outcomes) -> tuple[float, float, float]:
    """One person's outcomes this month (ODD 7.8): met need (:func:`met_need` of the hours
    ``delivered`` over those ``required``), wellbeing with the control and burden of the option
    held and the ``bonus`` of the providers' activity, and satisfaction (:func:`satisfaction`, with
    the standard-normal draw ``z``) with the quality of the main provider: slot 0's (``quality0``,
    when ``held0``), or for Option 4 with none in slot 0, the direct-payment slot's (``quality1``;
    0 for an empty slot). Returns (met need, wellbeing, satisfaction)."""
    met = met_need(delivered, required)
    quality = quality1 if option == OPTION_4 and not held0 else quality0
    return met, wellbeing(met, control, burden, bonus, o), satisfaction(quality, met, z, o)


def provider_rating(rating: float, satisfaction_total: float, clients: float, memory: float) -> float:
    """A provider's rating after the month (:func:`next_rating`), from the total satisfaction of
    its ``clients`` this month (a client holding it in both budget slots counts twice)."""
    return next_rating(rating, satisfaction_total / max(clients, 1.0), clients > 0, memory)
