"""Demography (ODD 7.1): who arrives, who leaves, how need drifts and people age.

New people are drawn from the council's deprivation mix and the scenario's client-group mix.
Confidence to manage a budget falls with deprivation and age (the seeds: direct payments "work
for people with self-confidence"; older people chose Option 3 far more often).
"""

from __future__ import annotations

import numpy as np

from model.arith import clip
from model.scenario import Demography

OLDER = 0
FIRST_65_BAND = 2  # age bands 0: 18-39, 1: 40-64, 2: 65-79, 3: 80+


def categorical(probabilities: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Category 0..K-1 by inverse CDF from uniforms ``u``; ``probabilities`` is (K,) for all draws
    or (len(u), K) for one distribution per draw."""
    cum = np.cumsum(probabilities, axis=-1)[..., :-1]
    return (u[:, None] >= cum).sum(axis=1).astype(np.int8)


def draw_people(council: np.ndarray, deprivation: np.ndarray, d: Demography,
                rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draw new eligible referrals, one per entry of ``council``: client group (the scenario's mix),
    deprivation quintile (the council's mix: ``deprivation`` is (councils, 5)), age band, need and
    carer. All councils' referrals are drawn together."""
    n = council.size
    group = categorical(np.asarray(d.group_mix), rng.random(n))
    quintile = categorical(np.asarray(deprivation)[council], rng.random(n))
    over65 = np.where(group == OLDER, rng.random(n) >= d.under65_older_share,
                      rng.random(n) < d.over65_share_other_groups)
    band_hi = rng.random(n) < np.where(over65, d.over80_share, 1.0 - d.under40_share)
    age_band = (np.where(over65, FIRST_65_BAND, 0) + band_hi).astype(np.int8)
    need = np.clip(np.asarray(d.need_mean)[group] + d.need_sd * rng.standard_normal(n), 0, 100)
    has_carer = rng.random(n) < d.carer_probability
    carer_hours = np.where(has_carer, rng.gamma(1.5, d.carer_hours_mean / 1.5, n), 0.0)
    return {
        "group": group, "quintile": quintile, "age_band": age_band,
        "confidence": confidence(quintile, over65, rng.standard_normal(n), d),
        "dc_affinity": rng.random(n) < np.asarray(d.day_centre_affinity)[group],
        "offer_rank": rng.random(n), "need": need,
        "has_carer": has_carer, "carer_hours": np.minimum(carer_hours, 100.0),
    }


def settle(need: np.ndarray, group: np.ndarray, d: Demography, rng: np.random.Generator) -> np.ndarray:
    """Need of people already on the books at the start: each has been known for an exponential
    time with mean 1 / (their own departure rate at their referral need), at most
    ``max_initial_tenure_months``, over
    which their need has drifted; so the starting population is near the model's steady state."""
    hazard = departure_probability(group, need, d)
    tenure = np.minimum(rng.exponential(1.0 / np.maximum(hazard, 1e-3)), d.max_initial_tenure_months)
    drift = np.asarray(d.need_drift)[group] * tenure + d.need_noise * np.sqrt(tenure) * rng.standard_normal(need.size)
    return np.clip(need + drift, 0.0, 100.0)


def confidence(quintile: np.ndarray, over65: np.ndarray, z: np.ndarray, d: Demography) -> np.ndarray:
    """Confidence to manage money and staff: lower by a gradient per quintile of deprivation and
    by a penalty at 65+, with individual spread; clipped to [0, 1]."""
    mean = d.confidence_mean - d.confidence_deprivation_gradient * (4 - quintile) - d.confidence_age_penalty * over65
    return np.clip(mean + d.confidence_sd * z, 0.0, 1.0)


def departure_probability(group: np.ndarray | int, need: np.ndarray | float, d: Demography) -> np.ndarray:
    """Monthly chance of leaving (death, residential care): base rate by group, higher with need."""
    return np.asarray(d.departure_rate)[group] * (1.0 + d.departure_need_factor * np.asarray(need) / 100.0)


def drift_need(need: np.ndarray | float, group: np.ndarray | int, z: np.ndarray | float, d: Demography) -> np.ndarray:
    """Need drifts by client group (older people grow frailer) with monthly noise; kept in [0, 100]."""
    return clip(need + np.asarray(d.need_drift)[group] + d.need_noise * z, 0.0, 100.0)


def age(age_band: np.ndarray | int, u: np.ndarray | float, d: Demography) -> np.ndarray:
    """Move to the next age band with a small monthly chance (the last band is absorbing)."""
    return np.where((u < d.ageing_rate) & (age_band < 3), age_band + 1, age_band)


def is_over65(age_band: np.ndarray | int) -> np.ndarray:
    return age_band >= FIRST_65_BAND


def arrivals(stock: np.ndarray, d: Demography, rng: np.random.Generator) -> np.ndarray:
    """New referrals per council this month: Poisson with mean arrival_rate x current stock."""
    return rng.poisson(d.arrival_rate * stock)


def draw_peers(council: np.ndarray, quintile: np.ndarray, new: np.ndarray, alive: np.ndarray, k: int,
               homophily: float, rng: np.random.Generator) -> np.ndarray:
    """Peers for the rows ``new``: k living people of the same council, each from the same
    deprivation quintile with probability ``homophily``, otherwise from anywhere in the council.
    One counting sort of the living by (council, quintile), then one draw per peer. When few are
    arriving, the sort is over a uniform random sample of the rows (two per draw needed, at least
    4,096), so each
    peer is still uniform over the living of its group. Nobody is their own peer: drawing oneself
    moves the pick to the next member of the group (-1 only if one is alone in the group)."""
    out = np.full((new.size, k), -1, dtype=np.int32)
    if k == 0 or new.size == 0:
        return out
    sample = max(4096, 2 * new.size * k)
    if sample < alive.size // 2:
        pool = rng.integers(0, alive.size, sample)
        pool = pool[alive[pool]]
    else:
        pool = np.flatnonzero(alive)
    n_c = int(council.max()) + 1
    key = council[pool].astype(np.int64) * 5 + quintile[pool]
    order = pool[np.argsort(key.astype(np.uint16) if n_c * 5 < 2**16 else key, kind="stable")]  # radix sort
    size_cq = np.bincount(key, minlength=n_c * 5)
    start_cq = np.concatenate([[0], np.cumsum(size_cq)[:-1]])
    size_c = size_cq.reshape(n_c, 5).sum(axis=1)
    start_c = start_cq[::5]
    new_c = council[new].astype(np.int64)
    g = new_c * 5 + quintile[new]
    same = rng.random((new.size, k)) < homophily
    u = rng.random((new.size, k))
    start = np.where(same, start_cq[g][:, None], start_c[new_c][:, None])
    size = np.where(same, size_cq[g][:, None], size_c[new_c][:, None])
    pick = start + (u * size).astype(np.int64)
    pick = np.minimum(pick, start + np.maximum(size, 1) - 1)
    # Drawing oneself moves the pick to the next member of the same group (if there is one).
    self_pick = order[np.minimum(pick, order.size - 1)] == new[:, None]
    pick = np.where(self_pick, start + (pick - start + 1) % np.maximum(size, 1), pick)
    peer = np.where(size > 0, order[np.minimum(pick, order.size - 1)], -1)
    out[:] = np.where(peer == new[:, None], -1, peer)
    return out
