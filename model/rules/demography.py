"""Demography (ODD 7.1): who arrives, who leaves, how need drifts and people age.

New people are drawn one by one (:func:`draw_person`, from a random stream of
:mod:`model.stream`) from the scenario's client-group and age mix and the council's deprivation
mix. Deprivation acts through five channels, each with its own switch in the scenario
(``demography.deprivation_*``) and a gradient from published figures: need (referrals come more
often from deprived quintiles, :func:`referral_mix`, and possibly with more need), onset
(deprived people are referred younger, :func:`over65_probability`), carers (the chance
of an unpaid carer and their hours), mortality (the departure hazard) and confidence to manage a
budget (the seeds: direct payments "work for people with self-confidence"; older people chose
Option 3 far more often). Ratio gradients are spread over the quintiles by :func:`tilt`. Each new
person's peers are drawn one by one (:func:`peer_draw`) among the living people of their council.
"""

from __future__ import annotations

import numpy as np

from model import stream
from model.codes import FIRST_65_BAND, NO_PACKAGE
from model.rules import budgets, carers
from model.rules.arith import at_most, clip, where
from model.scenario import Demography

OLDER = 0


def categorical(probabilities: np.ndarray | list[float], u: np.ndarray | float) -> np.ndarray | int:
    """Category 0..K-1 by inverse CDF: the number of cumulative probabilities (all but the last)
    that ``u`` reaches, for uniforms ``u`` (a number or an array) and one distribution over K."""
    k = 0
    edge = 0.0
    for j in range(len(probabilities) - 1):
        edge = edge + probabilities[j]
        k = k + (u >= edge)
    return k


def tilt(ratio: float, quintile: np.ndarray | int) -> np.ndarray | float:
    """Multiplier of a quantity in ``quintile`` (0 = Q1, most deprived, .. 4 = Q5) on a log-linear
    gradient whose Q1 value is ``ratio`` times its Q5 value, Q3 at 1: ``ratio ** ((2 - quintile) / 4)``,
    written with square roots, products and a quotient (cheaper than a power, and rounded the same
    in plain Python and in compiled code)."""
    step = np.sqrt(np.sqrt(ratio))  # the ratio between neighbouring quintiles
    k = 2 - quintile
    up = where(k > 0, step, 1.0) * where(k > 1, step, 1.0)
    down = where(k < 0, step, 1.0) * where(k < -1, step, 1.0)
    return up / down


def referral_mix(deprivation: np.ndarray, d: Demography) -> np.ndarray:
    """The deprivation quintiles of a council's referrals (5 shares, Q1 first): the council's mix
    ``deprivation`` weighted, with the need channel on, by :func:`tilt` of ``need_prevalence_ratio``
    (people with need come more often from deprived areas), normalised. The engines work it out once
    per council and month and draw each referral's quintile from it (:func:`draw_person`)."""
    ratio = d.need_prevalence_ratio if d.deprivation_need else 1.0
    mix = np.empty(5)
    for q in range(5):
        mix[q] = deprivation[q] * tilt(ratio, q)
    return mix / mix.sum()


def over65_probability(group: int, quintile: int, d: Demography) -> float:
    """Chance that a referral of this client group and quintile is 65 or over: ``1 -
    under65_older_share`` (older people) or ``over65_share_other_groups`` (other groups); with the
    onset channel on, the odds of being under 65 are multiplied by :func:`tilt` of
    ``onset_under65_odds_ratio`` (deprived people need care younger)."""
    p = 1.0 - d.under65_older_share if group == OLDER else d.over65_share_other_groups
    if not d.deprivation_onset or p <= 0.0 or p >= 1.0:
        return p
    odds_under65 = (1.0 - p) / p * tilt(d.onset_under65_odds_ratio, quintile)
    return 1.0 / (1.0 + odds_under65)


def draw_person(mix: np.ndarray, group_mix: np.ndarray, d: Demography, state: np.ndarray) -> tuple:
    """One new eligible referral, drawn from the stream ``state`` (:mod:`model.stream`).

    Client group from ``group_mix`` (4 shares: the referrals' groups, :func:`referral_groups`, or,
    for the people known at month 0, the scenario's ``group_mix``); deprivation quintile from
    ``mix``, the council's
    :func:`referral_mix` (5 shares, Q1 first). Aged 65+ with probability
    :func:`over65_probability`; then the higher age band of the half with probability
    ``over80_share`` (65+: 80+) or ``1 - under40_share`` (under 65: 40-64). Need ~ N(``need_mean[group]``
    + the severity gradient, ``need_sd``) clipped to [0, 100]. An unpaid carer with probability
    ``carer_probability`` times the carer gradient (:func:`tilt` of ``carer_availability_ratio``), giving
    Gamma(k, mean / k) hours a week, the mean ``carer_hours_mean`` times the hours gradient, k =
    ``carer_hours_shape`` (at most 100). The gradients apply when their channel is on. Confidence by
    :func:`confidence`; day-centre affinity with probability ``day_centre_affinity[group]``; offer
    rank ~ U(0, 1).

    Returns (group, quintile, age band, confidence, day-centre affinity, offer rank, need, has
    carer, carer hours)."""
    group = categorical(group_mix, stream.uniform(state))
    quintile = categorical(mix, stream.uniform(state))
    over65 = stream.uniform(state) < over65_probability(group, quintile, d)
    band_hi = stream.uniform(state) < (d.over80_share if over65 else 1.0 - d.under40_share)
    age_band = (FIRST_65_BAND if over65 else 0) + (1 if band_hi else 0)
    severity = d.need_severity_gradient * (2 - quintile) / 4 if d.deprivation_need else 0.0
    need = clip(d.need_mean[group] + severity + d.need_sd * stream.standard_normal(state), 0.0, 100.0)
    carer_ratio = d.carer_availability_ratio if d.deprivation_carers else 1.0
    has_carer = stream.uniform(state) < d.carer_probability * tilt(carer_ratio, quintile)
    carer_hours = 0.0
    if has_carer:
        shape = d.carer_hours_shape
        hours_ratio = d.carer_hours_ratio if d.deprivation_carers else 1.0
        mean = d.carer_hours_mean * tilt(hours_ratio, quintile)
        carer_hours = at_most(stream.gamma(state, shape) * mean / shape, 100.0)
    conf = confidence(quintile, over65, stream.standard_normal(state), d)
    dc_affinity = stream.uniform(state) < d.day_centre_affinity[group]
    return (group, quintile, age_band, conf, dc_affinity, stream.uniform(state), need, has_carer, carer_hours)


def peer_draw(own_size: int, council_size: int, homophily: float, words: tuple) -> tuple[bool, int, tuple]:
    """One peer of a new person (ODD 7.1), drawn from the stream ``words``: from their own
    deprivation quintile with probability ``homophily`` (``own_size`` living people of the council
    there), otherwise from anywhere in the council (``council_size``), uniformly. Returns whether
    the peer is from the own quintile, their position in that group (-1 if it is empty) and the
    stream's next words. (Who is at that position, and moving on when it is the person themself,
    is the engines' bookkeeping.)"""
    u, words = stream.next_uniform(words)
    same = u < homophily
    size = own_size if same else council_size
    u, words = stream.next_uniform(words)
    pick = min(int(u * size), size - 1) if size > 0 else -1
    return same, pick, words


def new_person(mix: np.ndarray, group_mix: np.ndarray, d: Demography, state: np.ndarray) -> tuple:
    """A new referral as they arrive (ODD 7.1), drawn from the stream ``state`` by
    :func:`draw_person` (from their council's :func:`referral_mix` ``mix`` and the client groups'
    ``group_mix``): their first review is due at once, and their carer is willing to give the hours
    they give, their capacity not yet drawn (:data:`model.rules.carers.UNDRAWN`). (Whether they are
    offered the choice, :func:`model.rules.rollout.is_offered`, the hours the assessment credits to
    their carer, :func:`model.rules.budgets.credited_hours`, and the formal hours they need,
    :func:`model.rules.budgets.required_hours`, follow from these as the people table holds them.)

    Returns (group, quintile, age band, confidence, day-centre affinity, offer rank, need, has
    carer, carer hours, carer's willing hours, carer's capacity, months to the first review)."""
    group, quintile, age_band, conf, dc_affinity, offer_rank, need, has_carer, carer_hours = draw_person(
        mix, group_mix, d, state)
    return (group, quintile, age_band, conf, dc_affinity, offer_rank, need, has_carer, carer_hours, carer_hours,
            carers.UNDRAWN, 0)


def peer(person: int, members: np.ndarray | list, own_start: int, own_size: int, council_start: int,
         council_size: int, homophily: float, words: tuple) -> tuple[int, tuple]:
    """One peer of the new ``person`` (ODD 7.1) drawn by :func:`peer_draw` from the stream
    ``words``: ``members`` lists the living people of their council by deprivation quintile, from
    ``council_start`` on (``council_size`` of them), those of their own quintile from ``own_start``
    on (``own_size``). Nobody is their own peer: drawing oneself moves to the next member of the
    group. Returns the peer (-1 if the group is empty or holds only the person) and the stream's
    next words."""
    same, pick, words = peer_draw(own_size, council_size, homophily, words)
    found = -1
    if pick >= 0:
        start, size = (own_start, own_size) if same else (council_start, council_size)
        if members[start + pick] == person:
            pick = (pick + 1) % size
        if members[start + pick] != person:
            found = members[start + pick]
    return found, words


def leave(option: int, dp_balance: float) -> tuple[float, int, int, float]:
    """What a person leaving (death, residential care) hands back: their package ends and their
    direct-payment balance returns to the council, clawed back and, if positive, taken off the
    services of the option it was paid under (:func:`model.rules.budgets.balance_option`). Returns
    (clawed back, that option's column of services, -1 if none is taken off; the option and balance
    they hold after: none)."""
    column = budgets.balance_option(option) if dp_balance > 0 else -1
    return dp_balance, column, NO_PACKAGE, 0.0


def settle(need: np.ndarray, group: np.ndarray, quintile: np.ndarray, d: Demography,
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Need of people already on the books at the start: each has been known for an exponential
    time with mean 1 / (their own departure rate at their referral need), at most
    ``max_initial_tenure_months``, over which their need has drifted; so the starting population
    is near the model's steady state. Returns (need, months known)."""
    hazard = departure_probability(group, need, mortality_gradient(d)[quintile], d)
    tenure = np.minimum(rng.exponential(1.0 / np.maximum(hazard, 1e-3)), d.max_initial_tenure_months)
    drift = np.asarray(d.need_drift)[group] * tenure + d.need_noise * np.sqrt(tenure) * rng.standard_normal(need.size)
    return np.clip(need + drift, 0.0, 100.0), tenure


def confidence(quintile: np.ndarray, over65: np.ndarray, z: np.ndarray, d: Demography) -> np.ndarray:
    """Confidence to manage money and staff: lower by a gradient per quintile of deprivation (the
    confidence channel; when it is off, every quintile has Q5's mean) and by a penalty at 65+, with
    individual spread; clipped to [0, 1]."""
    gradient = d.confidence_deprivation_gradient if d.deprivation_confidence else 0.0
    mean = d.confidence_mean - gradient * (4 - quintile) - d.confidence_age_penalty * over65
    return clip(mean + d.confidence_sd * z, 0.0, 1.0)


def mortality_gradient(d: Demography) -> np.ndarray:
    """The departure hazard's multiplier by quintile (5 values, Q1 first): :func:`tilt` of
    ``departure_deprivation_ratio`` with the mortality channel on, 1 with it off. Worked out once
    (a pass, a month of the per-agent engine) rather than per person: :func:`tilt` takes two square
    roots."""
    ratio = d.departure_deprivation_ratio if d.deprivation_mortality else 1.0
    gradient = np.empty(5)
    for q in range(5):
        gradient[q] = tilt(ratio, q)
    return gradient


def departure_probability(group: np.ndarray | int, need: np.ndarray | float, mortality: np.ndarray | float,
                          d: Demography) -> np.ndarray:
    """Monthly chance of leaving (death, residential care): base rate by group, higher with need and,
    with the mortality channel on, with deprivation: ``mortality`` is the person's quintile's
    multiplier (:func:`mortality_gradient`)."""
    return np.asarray(d.departure_rate)[group] * (1.0 + d.departure_need_factor * need / 100.0) * mortality


def drift_need(need: np.ndarray | float, group: np.ndarray | int, z: np.ndarray | float, d: Demography) -> np.ndarray:
    """Need drifts by client group (older people grow frailer) with monthly noise; kept in [0, 100]."""
    return clip(need + np.asarray(d.need_drift)[group] + d.need_noise * z, 0.0, 100.0)


def age(age_band: np.ndarray | int, u: np.ndarray | float, d: Demography) -> np.ndarray:
    """Move to the next age band with a small monthly chance (the last band is absorbing)."""
    return where((u < d.ageing_rate) & (age_band < 3), age_band + 1, age_band)


def is_over65(age_band: np.ndarray | int) -> np.ndarray:
    return age_band >= FIRST_65_BAND


def person_month(need: float, group: int, age_band: int, mortality: float, carer_credit: float,
                 hours_per_point: float, d: Demography, words: tuple) -> tuple[bool, float, float, int, tuple]:
    """One living person's month of demography, drawing from the stream ``words``
    (:func:`model.stream.next_uniform`): they may leave (death, residential care; the hazard by
    :func:`departure_probability`, ``mortality`` their quintile's multiplier,
    :func:`mortality_gradient`); if they stay, their need drifts with the month's noise (kept in
    single precision, as the people table stores it), the formal hours they need follow it
    (:func:`model.rules.budgets.required_hours`, with the hours the assessment credits to their
    carer, ``carer_credit``), and they may move to the next age band. Returns (leaves, need, formal
    hours needed, age band, stream words); a leaver's need and band are unchanged (and no hours)."""
    u, words = stream.next_uniform(words)
    if u < departure_probability(group, need, mortality, d):
        return True, need, 0.0, age_band, words
    z, words = stream.next_normal(words)
    need = float(np.float32(drift_need(need, group, z, d)))
    required = budgets.required_hours(need, float(carer_credit), hours_per_point)
    u, words = stream.next_uniform(words)
    return False, need, required, age(age_band, u, d), words


def referral_groups(d: Demography) -> np.ndarray:
    """Client groups' shares of new referrals: ``referral_incidence`` normalised (all groups equal
    if every incidence is 0)."""
    incidence = np.asarray(d.referral_incidence, dtype=np.float64)
    total = incidence.sum()
    return incidence / total if total > 0 else np.full(incidence.size, 1.0 / incidence.size)


def adults_at(adults: float, growth: float, months: float) -> float:
    """A council's adults ``months`` after month 0, at yearly ``growth`` compounded monthly."""
    return adults * (1.0 + growth) ** (months / 12.0)


def projected_adults(years: np.ndarray, adults: np.ndarray, year: float) -> float:
    """Adults at the decimal ``year`` from a projection (``adults`` at the middle of each of
    ``years``, as NRS mid-year figures are): linear between mid-years, flat before the first and
    after the last."""
    return float(np.interp(year, np.asarray(years, dtype=np.float64) + 0.5, np.asarray(adults, dtype=np.float64)))


def expected_referrals(adults: np.ndarray, scale: np.ndarray, d: Demography) -> np.ndarray:
    """Expected new referrals a month by council (ODD 7.1): its ``adults`` x the referral incidence
    (all groups), in simulated people: ``scale`` simulated people per real person."""
    return np.asarray(adults, dtype=np.float64) * np.asarray(scale) * (sum(d.referral_incidence) / 1000.0 / 12.0)


def sample_scale(people: np.ndarray, adults: np.ndarray, d: Demography) -> np.ndarray:
    """Simulated people per real person, by council: the ``people`` simulated at month 0 stand for
    the council's real caseload, ``known_per_1000_adults`` per 1,000 of its ``adults``."""
    known = np.asarray(adults, dtype=np.float64) * d.known_per_1000_adults / 1000.0
    return np.asarray(people, dtype=np.float64) / known


def arrivals(expected: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """New referrals per council this month: Poisson with mean ``expected[c]``
    (:func:`expected_referrals`).

    Drawn council by council: the same draws, in the same order, as one ``rng.poisson`` call on
    the array of means, without the array call's set-up."""
    return np.array([rng.poisson(e) for e in np.asarray(expected).tolist()], dtype=np.int64)
