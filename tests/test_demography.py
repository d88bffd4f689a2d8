"""Demography: who arrives, who leaves, how need drifts, ageing and peers."""

from __future__ import annotations

import numpy as np
import pytest

from model import demography
from model.scenario import Demography

D = Demography()


@pytest.fixture(scope="module")
def drawn():
    return demography.draw_people(np.zeros(40_000, dtype=np.int64), np.array([[0.35, 0.25, 0.2, 0.12, 0.08]]), D,
                                  np.random.default_rng(1))


def test_each_council_draws_from_its_own_deprivation_mix():
    mixes = np.array([[0.6, 0.1, 0.1, 0.1, 0.1], [0.0, 0.0, 0.0, 0.2, 0.8], [0.2, 0.2, 0.2, 0.2, 0.2]])
    council = np.repeat(np.arange(3), 30_000)
    q = demography.draw_people(council, mixes, D, np.random.default_rng(2))["quintile"]
    for c in range(3):
        np.testing.assert_allclose(np.bincount(q[council == c], minlength=5) / 30_000, mixes[c], atol=0.01)


def test_categorical_inverse_cdf_matches_its_boundaries():
    p = np.array([0.5, 0.25, 0.25])
    u = np.array([0.0, 0.4999, 0.5, 0.7499, 0.75, 0.9999])
    np.testing.assert_array_equal(demography.categorical(p, u), [0, 0, 1, 1, 2, 2])
    rows = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(demography.categorical(rows, np.array([0.99, 0.01])), [0, 2])


def test_new_people_follow_the_group_and_deprivation_mix(drawn):
    np.testing.assert_allclose(np.bincount(drawn["group"], minlength=4) / 40_000, D.group_mix, atol=0.01)
    np.testing.assert_allclose(np.bincount(drawn["quintile"], minlength=5) / 40_000, [0.35, 0.25, 0.2, 0.12, 0.08],
                               atol=0.01)


def test_ages_older_people_all_65_plus_and_about_71_percent_overall(drawn):
    over65 = demography.is_over65(drawn["age_band"])
    assert over65[drawn["group"] == 0].all()
    other = drawn["group"] != 0
    assert over65[other].mean() == pytest.approx(D.over65_share_other_groups, abs=0.015)
    assert 0.65 < over65.mean() < 0.77
    assert set(np.unique(drawn["age_band"])) == {0, 1, 2, 3}


def test_confidence_falls_with_deprivation_and_age(drawn):
    conf, q, old = drawn["confidence"], drawn["quintile"], demography.is_over65(drawn["age_band"])
    assert ((conf >= 0) & (conf <= 1)).all()
    young_q = [conf[(q == k) & ~old].mean() for k in range(5)]
    assert young_q == sorted(young_q)
    assert young_q[4] - young_q[0] == pytest.approx(4 * D.confidence_deprivation_gradient, abs=0.03)
    assert conf[~old].mean() - conf[old].mean() == pytest.approx(D.confidence_age_penalty, abs=0.03)


def test_confidence_formula_without_noise():
    c = demography.confidence(np.array([0, 4, 4]), np.array([False, False, True]), np.zeros(3), D)
    np.testing.assert_allclose(c, [D.confidence_mean - 4 * D.confidence_deprivation_gradient, D.confidence_mean,
                                   D.confidence_mean - D.confidence_age_penalty])


def test_need_and_carers_within_bounds(drawn):
    assert ((drawn["need"] >= 0) & (drawn["need"] <= 100)).all()
    assert drawn["has_carer"].mean() == pytest.approx(D.carer_probability, abs=0.01)
    assert (drawn["carer_hours"][~drawn["has_carer"]] == 0).all()
    assert drawn["carer_hours"][drawn["has_carer"]].mean() == pytest.approx(D.carer_hours_mean, rel=0.05)


def test_departure_probability_rises_with_need():
    p = demography.departure_probability(np.array([0, 0, 2]), np.array([0.0, 100.0, 50.0]), D)
    np.testing.assert_allclose(p, [D.departure_rate[0], D.departure_rate[0] * (1 + D.departure_need_factor),
                                   D.departure_rate[2] * (1 + D.departure_need_factor / 2)])


def test_need_drifts_by_group_and_stays_in_range():
    need = demography.drift_need(np.array([50.0, 50.0, 99.9, 0.1]), np.array([0, 3, 0, 3]), np.array([0, 0, 5, -5]), D)
    np.testing.assert_allclose(need, [50 + D.need_drift[0], 50 + D.need_drift[3], 100.0, 0.0])


def test_ageing_moves_one_band_and_the_last_band_is_absorbing():
    bands = np.array([0, 1, 2, 3, 0])
    u = np.array([0.0, 0.0, 0.0, 0.0, 0.5])
    assert demography.age(bands, u, D).tolist() == [1, 2, 3, 3, 0]


def test_arrivals_are_poisson_with_mean_rate_times_stock():
    draws = np.array([demography.arrivals(np.array([1000, 0]), D, np.random.default_rng(s)) for s in range(400)])
    assert draws[:, 1].sum() == 0
    assert draws[:, 0].mean() == pytest.approx(D.arrival_rate * 1000, rel=0.05)


def test_peers_live_in_the_same_council_and_mostly_the_same_quintile():
    rng = np.random.default_rng(4)
    n = 3000
    council = rng.integers(0, 2, n).astype(np.int16)
    quintile = rng.integers(0, 5, n).astype(np.int8)
    alive = rng.random(n) < 0.9
    new = np.arange(2500, n)
    peers = demography.draw_peers(council, quintile, new, alive, 6, 0.7, rng)
    assert peers.shape == (new.size, 6)
    assert (peers >= 0).all()
    assert alive[peers].all()
    assert (council[peers] == council[new][:, None]).all()
    same = (quintile[peers] == quintile[new][:, None]).mean()
    assert same == pytest.approx(0.7 + 0.3 * 0.2, abs=0.03)
    only_same = demography.draw_peers(council, quintile, new, alive, 4, 1.0, rng)
    assert (quintile[only_same] == quintile[new][:, None]).all()
    assert demography.draw_peers(council, quintile, new, alive, 0, 0.7, rng).shape == (new.size, 0)
