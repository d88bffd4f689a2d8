"""Outcomes and voice (ODD 7.8): met need, quality of life by ASCOT's domains, carers' quality of
life, satisfaction, ratings and switching.

Met need is formal hours received over formal hours needed. Quality of life follows the structure of
the Adult Social Care Outcomes Toolkit (ASCOT): eight domains (:data:`model.codes.DOMAINS`), each
scored 0 (high needs) to 3 (ideal state), whose sum is social-care-related quality of life (SCRQoL,
0-24, as England's ASCOF measure 1A scores it). Each domain answers to the mechanism that bears on
it: the four basic domains (personal care, food and drink, accommodation, safety) to met need;
control over daily life to met need, to the control the option gives times how much the person
values control (by client group and age), less the burden they feel managing it; social
participation to day activity and a carer's company; occupation to day activity (day centres and
community groups: Orellana et al.'s 2020 ASCOT gain score of 0.18 for 23 older people attending
day centres, ``eng_dayc_qol_2020``, carried over to the ordinal scale as an assumption); dignity to
the main provider's quality. The score is ordinal (it ranks states; it is not a utility). The
model's one-dimensional need cannot tell the basic domains apart: they move together.
``wellbeing`` is SCRQoL / 24. A caring carer's quality of life (0-12, as ASCOF 1D) falls with
their strain. Satisfaction mixes provider quality and met need; providers' ratings are a moving
average of their clients' satisfaction (the seeds' "TripAdvisor for public services").
"""

from __future__ import annotations

import numpy as np

from model.codes import CARER_QOL_TOP, DOMAIN_TOP, FIRST_65_BAND, OPTION_4
from model.rules.arith import at_least, clip, where
from model.scenario import Outcomes


def met_need(delivered: np.ndarray | float, required: np.ndarray | float) -> np.ndarray:
    """Share of required formal hours delivered (1 when nothing is required)."""
    # With nothing required the ratio's numerator gets +1 over a tiny denominator, so the result is 1.
    return clip((delivered + (required <= 0)) / at_least(required, 1e-6), 0.0, 1.0)


#: Points of SCRQoL per unit of a provider type's ``wellbeing_bonus`` (a share of the 24-point
#: scale), given half to social participation and half to occupation.
ACTIVITY_POINTS = 12.0


def value_of_control(group: int, age_band: int, o: Outcomes) -> float:
    """How much a person values control: the control domain's points per unit of the option's
    control, by client ``group``, times ``control_value_over65`` at 65 and over."""
    return o.control_value[group] * (o.control_value_over65 if age_band >= FIRST_65_BAND else 1.0)


def domain_scores(met: float, control: float, value: float, burden: float, bonus: float, caring: bool,
                  quality: float, served: bool, o: Outcomes) -> tuple[float, float, float, float, float, float,
                                                                      float, float]:
    """A person's eight ASCOT domain scores (0-3 each, in the order of :data:`model.codes.DOMAINS`)
    from their met need ``met``, the ``control`` their option gives and how much they ``value`` it
    (:func:`value_of_control`), the ``burden`` they feel managing it, the day activity's ``bonus``
    (a share of the 24 points, :data:`ACTIVITY_POINTS` to each of social participation and
    occupation), whether a carer is ``caring``, and the ``quality`` of the main provider when they
    have one (``served``)."""
    basic = clip(o.basic_unmet + (o.basic_met - o.basic_unmet) * met, 0.0, DOMAIN_TOP)
    own = clip(o.control_base + o.control_met * met + value * control - o.burden_weight * burden, 0.0, DOMAIN_TOP)
    activity = ACTIVITY_POINTS * bonus
    social = clip(o.social_base + o.social_carer * caring + activity, 0.0, DOMAIN_TOP)
    occupation = clip(o.occupation_base + activity, 0.0, DOMAIN_TOP)
    dignity = clip(o.dignity_base + o.dignity_quality * (quality - 0.5) * served, 0.0, DOMAIN_TOP)
    return own, basic, basic, basic, basic, social, occupation, dignity


def scrqol(domains: tuple) -> float:
    """Social-care-related quality of life, 0-24: the sum of the eight domain scores."""
    total = 0.0
    for score in domains:
        total += score
    return total


def carer_qol(strain: np.ndarray | float, o: Outcomes) -> np.ndarray:
    """A caring carer's quality of life, 0-12 (as ASCOF 1D scores it): ``carer_qol_unstrained`` less
    ``carer_qol_strain`` per unit of strain."""
    return clip(o.carer_qol_unstrained - o.carer_qol_strain * strain, 0.0, CARER_QOL_TOP)


def satisfaction(quality: np.ndarray | float, met: np.ndarray | float, z: np.ndarray | float,
                 o: Outcomes) -> np.ndarray:
    """Satisfaction in [0, 1]: quality and met need, with noise."""
    q = o.satisfaction_quality_weight
    return clip(q * quality + (1 - q) * met + o.satisfaction_noise * z, 0.0, 1.0)


def next_rating(rating: np.ndarray | float, mean_satisfaction: np.ndarray | float, has_clients: np.ndarray | bool,
                memory: float) -> np.ndarray:
    """Provider rating: exponentially weighted mean of clients' satisfaction (unchanged if none)."""
    return where(has_clients, memory * rating + (1 - memory) * mean_satisfaction, rating)


def main_provider(option: int, held0: bool, quality0: float, held1: bool, quality1: float) -> tuple[bool, float]:
    """Whether a person has a main provider and its quality: slot 0's (``quality0``, when
    ``held0``), or for Option 4 with none in slot 0, the direct-payment slot's (``quality1``, when
    ``held1``)."""
    second = option == OPTION_4 and not held0
    return (held1 if second else held0), (quality1 if second else quality0)


def person_outcome(option: int, delivered: float, required: float, held0: bool, quality0: float, held1: bool,
                   quality1: float, z: float, o: Outcomes) -> tuple[float, float]:
    """One person's outcomes this month that the model acts on (ODD 7.8): met need
    (:func:`met_need` of the hours ``delivered`` over those ``required``) and satisfaction
    (:func:`satisfaction`, with the standard-normal draw ``z``) with the quality of the main
    provider (:func:`main_provider`). Returns (met need, satisfaction)."""
    met = met_need(delivered, required)
    _, quality = main_provider(option, held0, quality0, held1, quality1)
    return met, satisfaction(quality, met, z, o)


def quality_of_life(option: int, met: float, control: float, value: float, burden: float, bonus: float,
                    caring: bool, held0: bool, quality0: float, held1: bool, quality1: float,
                    o: Outcomes) -> tuple[float, tuple]:
    """One person's quality of life this month, from their met need ``met`` (:func:`person_outcome`):
    the domain scores (:func:`domain_scores`, with the ``control`` and felt ``burden`` of the
    ``option`` held, the person's ``value`` of control (:func:`value_of_control`), the ``bonus`` of
    the providers' activity, whether a carer is ``caring`` and the main provider
    (:func:`main_provider`)). It feeds nothing else in the model, so a run works it out only in the
    months that are observed (:attr:`model.core.economy.CareEconomy.score_quality`). Returns
    (wellbeing: SCRQoL / 24, the domain scores)."""
    served, quality = main_provider(option, held0, quality0, held1, quality1)
    domains = domain_scores(met, control, value, burden, bonus, caring, quality, served, o)
    return scrqol(domains) / (8 * DOMAIN_TOP), domains


def provider_rating(rating: float, satisfaction_total: float, clients: float, memory: float) -> float:
    """A provider's rating after the month (:func:`next_rating`), from the total satisfaction of
    its ``clients`` this month (a client holding it in both budget slots counts twice)."""
    return next_rating(rating, satisfaction_total / max(clients, 1.0), clients > 0, memory)
