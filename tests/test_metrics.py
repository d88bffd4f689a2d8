"""Metrics: the equity and market formulas on known data, and the recorder against the state."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import metrics
from model.economy import CareEconomy


def test_concentration_index_known_values():
    counts = np.full(5, 100.0)
    assert metrics.concentration_index(counts, np.full(5, 0.7)) == pytest.approx(0.0)
    # Everything in the least deprived fifth: 2 x 0.2 x (0.9 - 0.5) / 0.2 = 0.8; most deprived: -0.8.
    assert metrics.concentration_index(counts, np.array([0, 0, 0, 0, 1.0])) == pytest.approx(0.8)
    assert metrics.concentration_index(counts, np.array([1.0, 0, 0, 0, 0])) == pytest.approx(-0.8)
    assert np.isnan(metrics.concentration_index(np.zeros(5), np.ones(5)))
    assert np.isnan(metrics.concentration_index(counts, np.zeros(5)))


@settings(max_examples=40)
@given(counts=st.lists(st.integers(0, 30), min_size=5, max_size=5).filter(lambda c: sum(c) > 0),
       means=st.lists(st.floats(0.01, 1.0), min_size=5, max_size=5))
def test_concentration_index_equals_2cov_over_mean_on_individuals(counts, means):
    """Group formula = 2 cov(y, R) / mean(y) over individuals, ties ranked at their mid-point."""
    counts, means = np.array(counts, float), np.array(means)
    y = np.repeat(means, counts.astype(int))
    w = counts / counts.sum()
    rank = np.repeat(np.cumsum(w) - w / 2, counts.astype(int))
    expected = 2 * np.mean((y - y.mean()) * (rank - rank.mean())) / y.mean()
    assert metrics.concentration_index(counts, means) == pytest.approx(expected, abs=1e-9)


def test_quintile_gap_is_q5_minus_q1():
    assert metrics.quintile_gap(np.array([0.2, 0.3, 0.4, 0.5, 0.9])) == pytest.approx(0.7)


def test_hhi_monopoly_equal_firms_and_weighted_markets():
    assert metrics.hhi(np.array([50.0]), np.array([0])) == pytest.approx(10_000)
    for n in (2, 4, 10):
        assert metrics.hhi(np.full(n, 7.0), np.zeros(n, dtype=np.int64)) == pytest.approx(10_000 / n)
    # Two markets: a monopoly with 30 clients and 4 equal firms with 10 each (40): weighted by clients.
    clients = np.array([30.0, 10, 10, 10, 10])
    market = np.array([0, 1, 1, 1, 1])
    assert metrics.hhi(clients, market) == pytest.approx((30 * 10_000 + 40 * 2500) / 70)
    assert np.isnan(metrics.hhi(np.zeros(3), np.zeros(3, dtype=np.int64)))


@pytest.fixture(scope="module")
def recorded(multi_scenario):
    model = CareEconomy(multi_scenario, seed=21)
    model.run(30)
    return model


def test_headline_equity_figures_match_the_state(recorded):
    m, P = recorded, recorded.people
    row = m.recorder.rows[-1]
    pkg = P.view("alive") & (P.view("option") > 0)
    q, opt = P.view("quintile")[pkg], P.view("option")[pkg]
    assert row["with_package"] == pkg.sum()
    for j in (1, 2, 3, 4):
        assert row[f"share_option{j}"] == pytest.approx(np.mean(opt == j))
    o1 = (opt == 1).astype(float)
    assert row["gap_option1"] == pytest.approx(o1[q == 4].mean() - o1[q == 0].mean())
    control = np.asarray(m.config.choice.control)[opt - 1]
    means = np.array([control[q == k].mean() for k in range(5)])
    assert row["gap_control"] == pytest.approx(means[4] - means[0])
    assert row["ci_control"] == pytest.approx(metrics.concentration_index(np.bincount(q, minlength=5), means))
    wb = P.view("wellbeing")[pkg]
    assert row["wellbeing"] == pytest.approx(wb.mean(), rel=1e-5)
    assert row["equity_gap"] == pytest.approx(wb[q == 4].mean() - wb[q == 0].mean(), abs=1e-5)


def test_cost_figures_add_up(recorded):
    for row in recorded.recorder.rows:
        assert row["council_spend"] == pytest.approx(
            row["spend_services"] + row["spend_assessment"] + row["spend_admin"] + row["spend_support"])
        assert row["spend_services"] == pytest.approx(sum(row[f"spend_option{j}"] for j in (1, 2, 3, 4)))
        assert row["society_cost"] == pytest.approx(row["council_spend"] + row["unpaid_value"] + row["crisis_cost"])
        assert row["cost_per_person"] == pytest.approx(row["council_spend"] / max(row["with_package"], 1))
        assert row["unpaid_value"] == pytest.approx(row["unpaid_hours"] * recorded.config.carers.replacement_value)


def test_provider_figures_match_the_state(recorded):
    Q, row = recorded.providers, recorded.recorder.rows[-1]
    act = Q.view("active")
    for j, name in enumerate(("day_centre", "agency", "personal_assistant", "community_group")):
        assert row[f"active_{name}"] == np.count_nonzero(act & (Q.view("ptype") == j))
        assert row[f"capacity_{name}"] == Q.view("capacity")[act & (Q.view("ptype") == j)].sum()
    assert row["providers_active"] == act.sum()
    assert row["providers_in_deficit"] == np.count_nonzero(Q.view("reserves")[act] < 0)
    assert 0 < row["hhi"] <= 10_000


def test_breakdowns_add_up_to_the_headline(recorded):
    import pandas as pd

    b = pd.DataFrame(recorded.recorder.breakdown_long())
    monthly = pd.DataFrame(recorded.recorder.rows).set_index("month")
    for dim in ("client_group", "age_band", "quintile", "council"):
        d = b[b.dimension == dim].pivot_table(index="month", columns=["metric", "level"], values="value")
        people = d["people"]
        np.testing.assert_allclose(people.sum(axis=1), monthly["with_package"])
        for j in (1, 2, 3, 4):
            share = (d[f"share_option{j}"].fillna(0) * people).sum(axis=1) / people.sum(axis=1)
            np.testing.assert_allclose(share, monthly[f"share_option{j}"], atol=1e-9)
    councils = set(b[b.dimension == "council"].level)
    assert councils == {c.name for c in recorded.config.councils}
