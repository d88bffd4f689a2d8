"""Demography: who arrives, who leaves, how need drifts, ageing and peers.

Arrivals are drawn by the compiled pass (:func:`model.engines.vector.demography_pass.arrivals`, one
:func:`model.rules.demography.draw_person` a row) and checked against the documented mixes on large
samples, with tolerances of 4.5 standard errors. The deprivation channels are checked against the
published figures their gradients come from (``model/data/reference_figures.csv``), each alone and
with the others, and with all of them off people are drawn alike in every quintile.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from model import stream
from model.core.state import People
from model.engines import CareEconomy
from model.engines.vector import common
from model.engines.vector import demography as demography_pass
from model.rules import budgets, demography
from model.scenario import Carers, Demography
from tests.conftest import shrink

D = Demography()
MIX = np.array([0.35, 0.25, 0.2, 0.12, 0.08])
UNIFORM = np.full(5, 0.2)
CHANNELS = ("need", "onset", "carers", "mortality", "confidence")


def channels(*on: str) -> Demography:
    """The default demography with only the deprivation channels ``on`` switched on."""
    return Demography(**{**D.model_dump(), **{f"deprivation_{c}": c in on for c in CHANNELS}})


OFF = channels()
COLUMNS = ("group", "quintile", "age_band", "confidence", "dc_affinity", "offer_rank", "need", "has_carer",
           "carer_hours")


def arrive(counts: list[int], deprivation: np.ndarray, seed: int, d: Demography = D) -> dict[str, np.ndarray]:
    """New people drawn into a fresh table, ``counts[c]`` in council ``c``, as the model draws them."""
    P = People(sum(counts))
    r = P.append(sum(counts))
    state = stream.seed(np.random.default_rng(seed))
    share = np.zeros(deprivation.shape[0])  # nobody offered the choice
    demography_pass.arrivals(r.start, np.array(counts), deprivation, np.asarray(d.group_mix), share, common.struct(d),
                             common.struct(Carers()), 0.5, state, P.record(P.n))
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
    people = arrive([n] * 3, mixes, seed=2, d=OFF)
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


def test_ages_older_people_65_plus_but_their_under_65_share_and_others_at_their_share():
    drawn = arrive([N], MIX[None, :], seed=1, d=channels("need", "carers", "mortality", "confidence"))
    over65 = demography.is_over65(drawn["age_band"])
    older = drawn["group"] == demography.OLDER
    assert within((~over65[older]).mean(), D.under65_older_share, share_se(D.under65_older_share, older.sum()))
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


def test_carers_at_their_probability_giving_capped_gamma_hours():
    drawn = arrive([N], MIX[None, :], seed=1, d=channels("need", "onset", "mortality", "confidence"))
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
    old_q = [conf[(q == k) & old].mean() for k in range(5)]  # within a quintile: onset makes Q1 younger
    assert np.mean(young_q) - np.mean(old_q) == pytest.approx(D.confidence_age_penalty, abs=0.02)


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
    p = demography.departure_probability(np.array([0, 0, 2]), np.array([0.0, 100.0, 50.0]),
                                         demography.mortality_gradient(D)[2], D)
    np.testing.assert_allclose(p, [D.departure_rate[0], D.departure_rate[0] * (1 + D.departure_need_factor),
                                   D.departure_rate[2] * (1 + D.departure_need_factor / 2)])


def test_need_drifts_by_group_and_stays_in_range():
    need = demography.drift_need(np.array([50.0, 50.0, 99.9, 0.1]), np.array([0, 3, 0, 3]), np.array([0, 0, 5, -5]), D)
    np.testing.assert_allclose(need, [50 + D.need_drift[0], 50 + D.need_drift[3], 100.0, 0.0])


def test_ageing_moves_one_band_and_the_last_band_is_absorbing():
    bands = np.array([0, 1, 2, 3, 0])
    u = np.array([0.0, 0.0, 0.0, 0.0, 0.5])
    assert demography.age(bands, u, D).tolist() == [1, 2, 3, 3, 0]


def test_arrivals_are_poisson_with_the_expected_referrals():
    draws = np.array([demography.arrivals(np.array([12.5, 0.0]), np.random.default_rng(s)) for s in range(400)])
    assert draws[:, 1].sum() == 0
    assert draws[:, 0].mean() == pytest.approx(12.5, rel=0.05)
    assert draws[:, 0].var() == pytest.approx(12.5, rel=0.2)


def test_expected_referrals_are_adults_times_incidence_in_simulated_people():
    """A council of 200,000 adults known at 50 per 1,000 (10,000 real people) sampled by 2,000
    simulated people (scale 0.2) refers adults x incidence / 12 real people a month, 0.2 x that
    simulated; twice the adults, twice the referrals; the referrals' groups follow the incidence."""
    d = Demography(known_per_1000_adults=50.0, referral_incidence=[6.0, 3.0, 2.0, 1.0])
    scale = demography.sample_scale(np.array([2000]), np.array([200_000.0]), d)
    assert scale.tolist() == [0.2]
    per_month = demography.expected_referrals(np.array([200_000.0, 400_000.0]), np.array([0.2, 0.2]), d)
    np.testing.assert_allclose(per_month, [0.2 * 200_000 * 12 / 1000 / 12, 0.4 * 200_000 * 12 / 1000 / 12])
    np.testing.assert_allclose(demography.referral_groups(d), [0.5, 0.25, 1 / 6, 1 / 12])


def test_the_adult_population_grows_or_follows_its_projection():
    assert demography.adults_at(1000.0, 0.1, 12) == pytest.approx(1100.0)
    assert demography.adults_at(1000.0, 0.1, 6) == pytest.approx(1000.0 * 1.1 ** 0.5)
    years, adults = np.array([2014, 2016]), np.array([1000.0, 1200.0])
    assert demography.projected_adults(years, adults, 2014.5) == pytest.approx(1000.0)
    assert demography.projected_adults(years, adults, 2015.5) == pytest.approx(1100.0)
    assert demography.projected_adults(years, adults, 2010.0) == 1000.0
    assert demography.projected_adults(years, adults, 2030.0) == 1200.0


def test_arrivals_drawn_council_by_council_are_the_draws_of_one_array_call():
    """The draws, in council order, are those of ``rng.poisson`` on the array of means (so the
    model's random stream is the same either way), and the generator ends in the same state."""
    expected = np.array([0.0, 14.4, 0.4, 1080.0, 0.06])
    mine, theirs = np.random.default_rng(3), np.random.default_rng(3)
    for _ in range(20):
        got = demography.arrivals(expected, mine)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, theirs.poisson(expected))
    assert mine.random() == theirs.random()


# ------------------------------------------------------------------------------------ deprivation channels
#: The published figures (``model/data/reference_figures.csv``) each channel's gradient reproduces.
HOMECARE_Q1, HOMECARE_Q5 = 26.0, 13.9              # sco_homecare_simd_2022: % of recipients, all ages
HOMECARE_Q1_U65, HOMECARE_Q5_U65 = 36.2, 7.5       # ... aged 16-64
CARERS_MOST, CARERS_LEAST = 10.1, 8.1              # eng_carers_deprivation_2021: % of people caring
CARERS50_MOST, CARERS50_LEAST = 4.0, 1.9           # ... caring 50+ hours a week
LE65_GAP_DECILES = (5.0 + 4.6) / 2                 # eng_le65_imd_2016: years, males and females


def gradients(p: dict[str, np.ndarray], d: Demography) -> dict[str, tuple[float, float]]:
    """Each channel's gradient in a sample of referrals drawn from a uniform deprivation mix, as
    (log of the Q1/Q5 ratio, its standard error); confidence as (Q1 - Q5 mean under 65, its error)."""
    q, over65 = p["quintile"], demography.is_over65(p["age_band"])
    n = np.bincount(q, minlength=5)
    out = {"prevalence": (np.log(n[0] / n[4]), np.sqrt(1 / n[0] + 1 / n[4]))}

    def share_ratio(hit: np.ndarray, among: np.ndarray) -> tuple[float, float]:
        k = [np.count_nonzero(hit & among & (q == j)) for j in (0, 4)]
        m = [np.count_nonzero(among & (q == j)) for j in (0, 4)]
        return np.log(k[0] / m[0]) - np.log(k[1] / m[1]), np.sqrt(sum(1 / k[i] - 1 / m[i] for i in range(2)))

    everyone = np.ones(q.size, bool)
    out["onset"] = share_ratio(~over65, everyone)
    out["carer availability"] = share_ratio(p["has_carer"], everyone)
    out["carers giving 50+ h"] = share_ratio(p["carer_hours"] >= 50, p["has_carer"])
    hours = [p["carer_hours"][p["has_carer"] & (q == j)].astype(np.float64) for j in (0, 4)]
    out["carer hours"] = (np.log(hours[0].mean() / hours[1].mean()),
                          np.sqrt(sum(h.var() / h.size / h.mean() ** 2 for h in hours)))
    conf = [p["confidence"][~over65 & (q == j)].astype(np.float64) for j in (0, 4)]
    out["confidence"] = (conf[0].mean() - conf[1].mean(), np.sqrt(sum(c.var() / c.size for c in conf)))
    hazard = [float(demography.departure_probability(1, 50.0, demography.mortality_gradient(d)[j], d)) for j in (0, 4)]
    out["mortality"] = (np.log(hazard[0] / hazard[1]), 1e-12)
    return out


def capped_gamma_mean(mean: float) -> float:
    g = stats.gamma(D.carer_hours_shape, scale=mean / D.carer_hours_shape)
    return integrate.quad(g.sf, 0, 100)[0]


def expected_gradients(d: Demography) -> dict[str, float]:
    """What each gradient must be: its published value when its channel is on, none when it is off."""
    hours = np.sqrt(d.carer_hours_ratio) if d.deprivation_carers else 1.0
    return {
        "prevalence": np.log(HOMECARE_Q1 / HOMECARE_Q5) if d.deprivation_need else 0.0,
        "onset": np.log((HOMECARE_Q1_U65 / HOMECARE_Q1) / (HOMECARE_Q5_U65 / HOMECARE_Q5)) if d.deprivation_onset
        else 0.0,
        "carer availability": np.log((CARERS_MOST / CARERS_LEAST) / (HOMECARE_Q1 / HOMECARE_Q5))
        if d.deprivation_carers else 0.0,
        "carers giving 50+ h": np.log((CARERS50_MOST / CARERS_MOST) / (CARERS50_LEAST / CARERS_LEAST))
        if d.deprivation_carers else 0.0,
        "carer hours": np.log(capped_gamma_mean(d.carer_hours_mean * hours) /
                              capped_gamma_mean(d.carer_hours_mean / hours)),
        "confidence": -4 * d.confidence_deprivation_gradient if d.deprivation_confidence else 0.0,
        "mortality": np.log(d.departure_deprivation_ratio) if d.deprivation_mortality else 0.0}


#: How far the rounded published ratios and the derivations may be from the parameter's gradient
#: (on the log scale; the confidence gradient is an assumption, checked exactly).
ROUNDING = {"prevalence": 0.01, "onset": 0.01, "carer availability": 0.01, "carers giving 50+ h": 0.02,
            "carer hours": 0.01, "confidence": 0.0, "mortality": 0.0}


@pytest.mark.parametrize("off", [None, *CHANNELS], ids=["all on", *(f"{c} off" for c in CHANNELS)])
def test_each_channel_gives_its_published_gradient_and_switching_it_off_removes_only_that(off):
    """With every channel on, each gradient in a large sample of referrals is the published one
    (the ratio Q1/Q5 of home-care recipients, of under-65s among them, of carers and carers giving
    50+ hours per person with need, of the departure hazard); switching one channel off takes its
    gradients to none and leaves every other gradient where it was."""
    d = channels(*(c for c in CHANNELS if c != off))
    got = gradients(arrive([400_000], UNIFORM[None, :], seed=11, d=d), d)
    want = expected_gradients(d)
    for name, (value, se) in got.items():
        assert abs(value - want[name]) < 4.5 * se + ROUNDING[name], (name, value, want[name], se)


def test_channels_each_alone_give_their_gradient():
    """A channel alone gives the same gradient as with the others on (the channels do not lean on
    each other), here the need and onset channels, which act on the same draw."""
    for on in ("need", "onset"):
        d = channels(on)
        got = gradients(arrive([400_000], UNIFORM[None, :], seed=12, d=d), d)
        want = expected_gradients(d)
        for name in ("prevalence", "onset"):
            value, se = got[name]
            assert abs(value - want[name]) < 4.5 * se + ROUNDING[name], (on, name, value, want[name])


def test_with_every_channel_off_people_are_drawn_alike_in_every_quintile():
    """All channels off: the quintile is drawn from the council's mix, and group, age, need, carers,
    their hours, confidence, day-centre affinity and the departure hazard are independent of it."""
    p = arrive([N], UNIFORM[None, :], seed=13, d=OFF)
    q = p["quintile"]
    assert stats.chisquare(np.bincount(q, minlength=5)).pvalue > 1e-3
    for column in ("group", "age_band", "has_carer", "dc_affinity"):
        table = np.array([np.bincount(p[column][q == j].astype(np.int64), minlength=4) for j in range(5)])
        table = table[:, table.sum(axis=0) > 0]
        assert stats.chi2_contingency(table).pvalue > 1e-3, column
    for column, among in (("need", None), ("carer_hours", p["has_carer"]), ("confidence", None)):
        x = p[column].astype(np.float64)
        keep = np.ones(q.size, bool) if among is None else among
        assert stats.kruskal(*(x[keep & (q == j)] for j in range(5))).pvalue > 1e-3, column
    flat = demography.mortality_gradient(OFF)
    hazard = demography.departure_probability(np.zeros(5, np.int64), np.full(5, 50.0), flat, OFF)
    np.testing.assert_allclose(hazard, D.departure_rate[0] * (1 + D.departure_need_factor / 2))


def test_need_channel_weights_each_councils_mix_by_the_prevalence_gradient():
    d = channels("need")
    n = 100_000
    people = arrive([n, n], np.array([MIX, UNIFORM]), seed=14, d=d)
    weights = np.array([MIX, UNIFORM]) * d.need_prevalence_ratio ** ((2 - np.arange(5)) / 4)
    expect = weights / weights.sum(axis=1, keepdims=True)
    for c in range(2):
        shares = np.bincount(people["quintile"][people["council"] == c], minlength=5) / n
        for j in range(5):
            assert within(shares[j], expect[c, j], share_se(expect[c, j], n)), (c, j, shares[j], expect[c, j])


def test_need_severity_gradient_raises_need_in_deprived_quintiles_when_the_need_channel_is_on():
    for on, gap in ((True, 8.0), (False, 0.0)):
        d = Demography(**{**channels("need" if on else "onset").model_dump(), "need_severity_gradient": 8.0})
        p = arrive([N], UNIFORM[None, :], seed=15, d=d)
        older = p["group"] == demography.OLDER  # one client group, so one mean need
        need = [p["need"][older & (p["quintile"] == j)].astype(np.float64) for j in (0, 4)]
        se = np.sqrt(sum(x.var() / x.size for x in need))
        assert within(need[0].mean() - need[1].mean(), gap, se), (on, need[0].mean() - need[1].mean())


def test_mortality_gradient_reproduces_the_published_life_expectancy_gap():
    """The departure ratio is derived from the gap in life expectancy at 65 between the most and least
    deprived deciles: with Gompertz mortality (slope 0.1 a year, 20 years at 65 in the least deprived)
    the decile ratio, ratio ** (0.9 / 0.8), shortens life expectancy at 65 by the published gap."""
    slope = 0.1

    def life_expectancy(level: float) -> float:
        return integrate.quad(lambda t: np.exp(-level / slope * np.expm1(slope * t)), 0, 80)[0]

    level = optimize.brentq(lambda a: life_expectancy(a) - 20.0, 1e-4, 1.0)
    deciles = D.departure_deprivation_ratio ** (0.9 / 0.8)
    assert life_expectancy(level) - life_expectancy(level * deciles) == pytest.approx(LE65_GAP_DECILES, abs=0.1)


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


@pytest.mark.parametrize(("older_u65", "others_65", "target"),
                         [(0.0884, 0.413, 2.58), (0.02, 0.7, 1.5), (0.3, 0.2, 4.0)])
def test_onset_odds_ratio_gives_the_under65_ratio_through_the_rule(older_u65, others_65, target):
    """The derived odds ratio, put through the rule that draws referrals' ages, gives the share under 65 in Q1
    ``under65_ratio`` times that in Q5, whatever the base shares under 65."""
    d = Demography(**{**D.model_dump(), "under65_older_share": older_u65, "over65_share_other_groups": others_65,
                      "under65_ratio": target})
    under65 = [sum(m * (1 - demography.over65_probability(g, q, d)) for g, m in enumerate(d.group_mix)) for q in (0, 4)]
    assert under65[0] / under65[1] == pytest.approx(target, rel=1e-9)


def test_an_unreachable_under65_ratio_is_a_one_line_error():
    with pytest.raises(ValueError, match=r"demography.under65_ratio: 15.0 cannot be reached .* allowed 1 to 20"):
        Demography(**{**D.model_dump(), "group_mix": [1.0, 0.0, 0.0, 0.0], "under65_older_share": 0.9,
                      "under65_ratio": 15.0})


def test_a_stayer_s_formal_hours_follow_the_need_as_the_table_stores_it():
    """:func:`demography.person_month`: a person who stays has their drifted need in single
    precision (as the people table keeps it, so both engines read the same value back) and the
    formal hours of that stored need less their carer's credit; one who leaves keeps their need.
    Tested over many draws, so both outcomes and many needs occur."""
    d = Demography()
    words = stream._words(np.random.default_rng(5).integers(1, 2**63, 4, dtype=np.uint64))
    stayed = left = 0
    for k in range(3000):
        need, credit = 20.0 + k % 70 + 0.123456789, float(np.float32(k % 13 * 1.7))
        leaves, after, required, band, words = demography.person_month(need, k % 4, 2, 1.0, credit, 0.5, d, words)
        if leaves:
            left += 1
            assert (after, required, band) == (need, 0.0, 2)
            continue
        stayed += 1
        assert after == float(np.float32(after)) and after != need
        assert required == budgets.required_hours(after, credit, 0.5)
    assert stayed > 2000 and left > 0
