"""Demography: who arrives, who leaves, how need drifts, ageing and peers.

Arrivals are drawn by the compiled pass (:func:`model.engines.vector.demography_pass.arrivals`, one
:func:`model.rules.demography.draw_person` a row) and checked against the documented mixes on large
samples, with tolerances of 4.5 standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from model import stream
from model.core.state import People
from model.engines import CareEconomy
from model.engines.vector import common
from model.engines.vector import demography as demography_pass
from model.rules import demography
from model.scenario import Demography
from tests.conftest import shrink

D = Demography()
MIX = np.array([0.35, 0.25, 0.2, 0.12, 0.08])
COLUMNS = ("group", "quintile", "age_band", "confidence", "dc_affinity", "offer_rank", "need", "has_carer",
           "carer_hours")


def arrive(counts: list[int], deprivation: np.ndarray, seed: int, d: Demography = D) -> dict[str, np.ndarray]:
    """New people drawn into a fresh table, ``counts[c]`` in council ``c``, as the model draws them."""
    P = People(sum(counts))
    r = P.append(sum(counts))
    state = stream.seed(np.random.default_rng(seed))
    share = np.zeros(deprivation.shape[0])  # nobody offered the choice
    demography_pass.arrivals(r.start, np.array(counts), deprivation, share, common.struct(d), 0.5, state,
                     P.record(P.n))
    assert P.view("alive").all() and (P.view("review_in") == 0).all()
    return {c: P.view(c) for c in ("council", *COLUMNS)}


def within(observed: float, expected: float, se: float) -> bool:
    return abs(observed - expected) < 4.5 * se


def share_se(p: float, n: int) -> float:
    return np.sqrt(p * (1 - p) / n)


N = 200_000


@pytest.fixture(scope="module")
def drawn():
    return arrive([N], MIX[None, :], seed=1)


def test_new_people_follow_the_client_group_mix(drawn):
    shares = np.bincount(drawn["group"], minlength=4) / N
    for g in range(4):
        assert within(shares[g], D.group_mix[g], share_se(D.group_mix[g], N)), (g, shares[g])


def test_each_council_draws_quintiles_from_its_own_deprivation_mix():
    mixes = np.array([[0.6, 0.1, 0.1, 0.1, 0.1], [0.0, 0.0, 0.0, 0.2, 0.8], [0.2, 0.2, 0.2, 0.2, 0.2]])
    n = 60_000
    people = arrive([n] * 3, mixes, seed=2)
    for c in range(3):
        shares = np.bincount(people["quintile"][people["council"] == c], minlength=5) / n
        for q in range(5):
            assert within(shares[q], mixes[c, q], max(share_se(mixes[c, q], n), 1e-12)), (c, q, shares[q])


def test_categorical_inverse_cdf_matches_its_boundaries():
    p = np.array([0.5, 0.25, 0.25])
    u = np.array([0.0, 0.4999, 0.5, 0.7499, 0.75, 0.9999])
    np.testing.assert_array_equal(demography.categorical(p, u), [0, 0, 1, 1, 2, 2])
    assert [demography.categorical(p, x) for x in u.tolist()] == [0, 0, 1, 1, 2, 2]
    assert demography.categorical([0.0, 0.0, 1.0], 0.0) == 2  # empty categories are never drawn
    assert demography.categorical([1.0, 0.0, 0.0], 0.9999) == 0


def test_ages_older_people_all_65_plus_and_others_at_their_share(drawn):
    over65 = demography.is_over65(drawn["age_band"])
    older = drawn["group"] == demography.OLDER
    assert over65[older].all()
    assert within(over65[~older].mean(), D.over65_share_other_groups,
                  share_se(D.over65_share_other_groups, (~older).sum()))
    band = drawn["age_band"]
    assert within((band[over65] == 3).mean(), D.over80_share, share_se(D.over80_share, over65.sum()))
    assert within((band[~over65] == 1).mean(), 1 - D.under40_share, share_se(D.under40_share, (~over65).sum()))
    assert 0.65 < over65.mean() < 0.77  # about 71 % of clients are 65+ (sco_sds_age_2016)


def test_need_is_a_clipped_normal_around_each_groups_mean(drawn):
    need = drawn["need"]
    assert ((need >= 0) & (need <= 100)).all()
    for g in range(4):
        x = need[drawn["group"] == g].astype(np.float64)
        normal = stats.norm(D.need_mean[g], D.need_sd)
        mean, second = (normal.expect(lambda v, p=p: np.clip(v, 0, 100) ** p) for p in (1, 2))
        var = second - mean**2
        assert within(x.mean(), mean, np.sqrt(var / x.size)), (g, x.mean(), mean)
        assert within(x.var(), var, var * np.sqrt(2 / x.size) * 1.1), (g, x.var(), var)  # about normal


def test_carers_at_their_probability_giving_capped_gamma_hours(drawn):
    has, hours = drawn["has_carer"], drawn["carer_hours"].astype(np.float64)
    assert within(has.mean(), D.carer_probability, share_se(D.carer_probability, N))
    assert (hours[~has] == 0).all()
    assert ((hours[has] > 0) & (hours[has] <= 100)).all()
    g = stats.gamma(D.carer_hours_shape, scale=D.carer_hours_mean / D.carer_hours_shape)
    capped_mean = integrate.quad(g.sf, 0, 100)[0]  # E[min(G, 100)]
    assert within(hours[has].mean(), capped_mean, hours[has].std() / np.sqrt(has.sum()))
    below = hours[has][hours[has] < 100]
    assert stats.kstest(below, lambda x: g.cdf(x) / g.cdf(100)).pvalue > 1e-3


def test_day_centre_affinity_by_group_and_uniform_offer_rank(drawn):
    for g in range(4):
        a = drawn["dc_affinity"][drawn["group"] == g]
        assert within(a.mean(), D.day_centre_affinity[g], share_se(D.day_centre_affinity[g], a.size))
    assert stats.kstest(drawn["offer_rank"], "uniform").pvalue > 1e-3


def test_confidence_falls_with_deprivation_and_age(drawn):
    conf, q, old = drawn["confidence"], drawn["quintile"], demography.is_over65(drawn["age_band"])
    assert ((conf >= 0) & (conf <= 1)).all()
    young_q = [conf[(q == k) & ~old].mean() for k in range(5)]
    assert young_q == sorted(young_q)
    assert young_q[4] - young_q[0] == pytest.approx(4 * D.confidence_deprivation_gradient, abs=0.02)
    assert conf[~old].mean() - conf[old].mean() == pytest.approx(D.confidence_age_penalty, abs=0.02)


def test_confidence_formula_without_noise():
    c = demography.confidence(np.array([0, 4, 4]), np.array([False, False, True]), np.zeros(3), D)
    np.testing.assert_allclose(c, [D.confidence_mean - 4 * D.confidence_deprivation_gradient, D.confidence_mean,
                                   D.confidence_mean - D.confidence_age_penalty])
    assert demography.confidence(4, False, 10.0, D) == 1.0 and demography.confidence(0, True, -10.0, D) == 0.0


def test_arrivals_are_reproducible_from_the_stream():
    counts, mixes = [500, 500], np.array([MIX, MIX[::-1]])
    a, b, c = arrive(counts, mixes, seed=3), arrive(counts, mixes, seed=3), arrive(counts, mixes, seed=4)
    for col in COLUMNS:
        np.testing.assert_array_equal(a[col], b[col])
    assert not np.array_equal(a["need"], c["need"])


def test_built_models_with_the_same_seed_have_the_same_people():
    s = shrink("multi_council", 400, 12)
    a, b = CareEconomy(s, seed=5), CareEconomy(s, seed=5)
    a.run(3)
    b.run(3)
    assert a.people.n == b.people.n
    for col in ("council", *COLUMNS, "peers", "offered", "cell"):
        np.testing.assert_array_equal(a.people.view(col), b.people.view(col))


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


def test_arrivals_drawn_council_by_council_are_the_draws_of_one_array_call():
    """The draws, in council order, are those of ``rng.poisson`` on the array of means (so the
    model's random stream is the same either way), and the generator ends in the same state."""
    stock = np.array([0, 1200, 37, 90_000, 5])
    mine, theirs = np.random.default_rng(3), np.random.default_rng(3)
    for _ in range(20):
        got = demography.arrivals(stock, D, mine)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, theirs.poisson(D.arrival_rate * stock))
    assert mine.random() == theirs.random()


# ------------------------------------------------------------------------------------------------ peers
def population(n: int, councils: int, seed: int, alive_share: float = 0.9):
    rng = np.random.default_rng(seed)
    council = rng.integers(0, councils, n).astype(np.int16)
    quintile = rng.integers(0, 5, n).astype(np.int8)
    alive = rng.random(n) < alive_share
    return council, quintile, alive


def draw_peers(council, quintile, alive, new, homophily, k=6, seed=0, councils=None):
    P = People(alive.size, peers=k)
    P.append(alive.size, council=council, quintile=quintile, alive=alive)
    P.peers[:] = -7  # never written
    demography_pass.draw_peers(P.record(P.n), int(council.max()) + 1 if councils is None else councils, new, homophily,
                               stream.seed(np.random.default_rng(seed)))
    return P.peers[new]


@pytest.mark.parametrize(("n", "n_new"), [(3_000, 500), (200_000, 3_000)], ids=["all rows", "sampled rows"])
def test_peers_live_in_the_same_council_and_mostly_the_same_quintile(n, n_new):
    homophily = 0.7
    council, quintile, alive = population(n, 3, seed=4)
    new = np.arange(n - n_new, n)
    alive[new] = True
    peers = draw_peers(council, quintile, alive, new, homophily)
    assert peers.shape == (n_new, 6)
    assert (peers >= 0).all()  # nobody is alone in their group here
    assert alive[peers].all()
    assert (peers != new[:, None]).all()
    assert (council[peers] == council[new][:, None]).all()
    # Same quintile: by homophily, or by chance when drawn from the whole council.
    living = np.zeros((3, 5))
    np.add.at(living, (council[alive], quintile[alive]), 1)
    chance = (living / living.sum(axis=1, keepdims=True))[council[new], quintile[new]]
    expect = np.mean(homophily + (1 - homophily) * chance)
    same = (quintile[peers] == quintile[new][:, None]).mean()
    assert within(same, expect, share_se(expect, peers.size)), (same, expect)
    only_same = draw_peers(council, quintile, alive, new, 1.0, k=4)
    assert (quintile[only_same] == quintile[new][:, None]).all()
    assert draw_peers(council, quintile, alive, new, 0.7, k=0).shape == (n_new, 0)


def test_each_living_person_is_equally_likely_to_be_a_peer():
    """Everyone draws peers (all rows sorted): each living person is picked k times on average, and
    the counts spread as multinomial draws do (a bias towards some members would inflate them)."""
    n, k = 3_000, 6
    council, quintile, alive = population(n, 1, seed=6, alive_share=1.0)
    peers = draw_peers(council, quintile, alive, np.arange(n), 0.7, k=k)
    assert (peers >= 0).all()
    counts = np.bincount(peers.ravel(), minlength=n)
    assert stats.chisquare(counts).pvalue > 1e-3


def test_sampled_peers_are_uniform_over_the_living_of_the_group():
    """With the rows sampled (few arrivals, many rows), a peer is still uniform over the living of
    their group: the picked rows of one quintile are uniform over that quintile's living rows."""
    n = 100_000
    council, quintile, alive = population(n, 1, seed=7)
    new = np.flatnonzero(alive)[-100:]
    picks = np.concatenate([draw_peers(council, quintile, alive, new, 1.0, seed=s).ravel() for s in range(40)])
    q0 = picks[quintile[picks] == 0]
    members = np.flatnonzero(alive & (quintile == 0))
    rank = np.searchsorted(members, q0)  # position among the living of quintile 0
    assert stats.kstest((rank + 0.5) / members.size, "uniform").pvalue > 1e-3


def test_no_peer_only_when_alone_in_the_group():
    council = np.array([0, 0, 0, 0, 0, 1, 0], dtype=np.int16)
    quintile = np.array([0, 0, 1, 0, 2, 3, 4], dtype=np.int8)
    alive = np.array([True, True, True, False, True, True, True])
    new = np.array([5, 6, 4, 0])
    alone = draw_peers(council, quintile, alive, new, 0.5, k=50)
    assert (alone[0] == -1).all()  # row 5: alone in council 1
    assert (alone[1] >= 0).any() and (alone[1] == -1).any()  # row 6: alone in its quintile only
    assert (draw_peers(council, quintile, alive, new[1:3], 0.0, k=50) >= 0).all()
    assert (draw_peers(council, quintile, alive, new[1:3], 1.0, k=50) == -1).all()
    assert set(draw_peers(council, quintile, alive, new[3:], 1.0, k=50).ravel()) == {1}  # not row 3: it has left
    peers = draw_peers(council, quintile, alive, new, 0.5, k=50)
    assert alive[peers[peers >= 0]].all() and (peers != new[:, None]).all()


def test_peers_are_reproducible_from_the_stream():
    council, quintile, alive = population(50_000, 4, seed=8)
    new = np.arange(49_900, 50_000)
    a = draw_peers(council, quintile, alive, new, 0.7, seed=1)
    np.testing.assert_array_equal(a, draw_peers(council, quintile, alive, new, 0.7, seed=1))
    assert not np.array_equal(a, draw_peers(council, quintile, alive, new, 0.7, seed=2))
