"""Demography (ODD 7.1): who arrives, who leaves, how need drifts and people age.

New people are drawn from the council's deprivation mix and the scenario's client-group mix.
Confidence to manage a budget falls with deprivation and age (the seeds: direct payments "work
for people with self-confidence"; older people chose Option 3 far more often).
"""

from __future__ import annotations

import numpy as np

from model.scenario import Demography

OLDER = 0
FIRST_65_BAND = 2  # age bands 0: 18-39, 1: 40-64, 2: 65-79, 3: 80+


def draw_people(n: int, deprivation: list[float], d: Demography, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draw ``n`` new eligible referrals for one council: group, age band, quintile, need, carer."""
    group = rng.choice(4, size=n, p=d.group_mix).astype(np.int8)
    quintile = rng.choice(5, size=n, p=deprivation).astype(np.int8)
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
    return np.clip(need + np.asarray(d.need_drift)[group] + d.need_noise * z, 0.0, 100.0)


def age(age_band: np.ndarray | int, u: np.ndarray | float, d: Demography) -> np.ndarray:
    """Move to the next age band with a small monthly chance (the last band is absorbing)."""
    return np.where((u < d.ageing_rate) & (age_band < 3), age_band + 1, age_band)


def is_over65(age_band: np.ndarray | int) -> np.ndarray:
    return np.asarray(age_band) >= FIRST_65_BAND


def arrivals(stock: np.ndarray, d: Demography, rng: np.random.Generator) -> np.ndarray:
    """New referrals per council this month: Poisson with mean arrival_rate x current stock."""
    return rng.poisson(d.arrival_rate * stock)


def draw_peers(council: np.ndarray, quintile: np.ndarray, new: np.ndarray, alive: np.ndarray, k: int,
               homophily: float, rng: np.random.Generator) -> np.ndarray:
    """Peers for the rows ``new``: k people of the same council, each from the same deprivation
    quintile with probability ``homophily``, otherwise from anywhere in the council. Grouped by
    (council, quintile) so the cost is one draw per group, not per person."""
    out = np.full((new.size, k), -1, dtype=np.int32)
    if k == 0 or new.size == 0:
        return out
    pool_rows = np.flatnonzero(alive)
    pool_c, pool_q = council[pool_rows], quintile[pool_rows]
    new_c, new_q = council[new], quintile[new]
    same = rng.random((new.size, k)) < homophily
    u = rng.random((new.size, k))
    for c in np.unique(new_c):
        in_c = pool_rows[pool_c == c]
        sel_c = new_c == c
        if in_c.size:
            any_pick = in_c[(u[sel_c] * in_c.size).astype(np.int64)]
            out[sel_c] = any_pick
        for q in np.unique(new_q[sel_c]):
            in_cq = pool_rows[(pool_c == c) & (pool_q == q)]
            sel = sel_c & (new_q == q)
            if in_cq.size:
                pick = in_cq[(u[sel] * in_cq.size).astype(np.int64)]
                out[sel] = np.where(same[sel], pick, out[sel])
    return out
