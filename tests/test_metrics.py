"""Metrics: the equity and market formulas on known data, and the recorder against the state."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import scenario as scenario_module
from model.engines import CareEconomy
from model.metrics import recorder as metrics


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


@settings(max_examples=60)
@given(rows=st.lists(st.tuples(st.lists(st.integers(0, 30), min_size=5, max_size=5),
                               st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5)), min_size=1, max_size=6))
def test_concentration_indices_row_by_row_equal_the_scalar_formula(rows):
    """The recorder's per-month concentration indices (all months at once) are the defined index,
    including its undefined cases (no people, or a zero mean)."""
    counts = np.array([c for c, _ in rows], float)
    means = np.array([m for _, m in rows])
    got = metrics.concentration_indices(counts, means)
    want = [metrics.concentration_index(c, m) for c, m in zip(counts, means, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)  # NaN where NaN


def test_council_and_day_centre_tables_match_the_state(recorded):
    m, P, Q = recorded, recorded.people, recorded.providers
    table, dc = m.recorder.councils[-1], m.recorder.daycentres[-1]
    col = {c: i for i, c in enumerate(metrics.COUNCIL_COLUMNS)}
    alive, council = P.view("alive"), P.view("council")
    pkg = alive & (P.view("option") > 0)
    np.testing.assert_array_equal(table[:, col["people"]], np.bincount(council[alive], minlength=m.n_councils))
    np.testing.assert_array_equal(table[:, col["with_package"]], np.bincount(council[pkg], minlength=m.n_councils))
    act = Q.view("active")
    for j, name in enumerate(("day_centre", "agency", "personal_assistant", "community_group")):
        np.testing.assert_array_equal(table[:, col[f"active_{name}"]],
                                      np.bincount(Q.view("council")[act & (Q.view("ptype") == j)],
                                                  minlength=m.n_councils))
    open_dc = np.flatnonzero(act & (Q.view("ptype") == 0))
    np.testing.assert_array_equal(dc[:, 2], open_dc)
    np.testing.assert_array_equal(dc[:, 1], Q.council[open_dc])
    np.testing.assert_array_equal(dc[:, 3], Q.clients[open_dc])
    np.testing.assert_array_equal(dc[:, 6], Q.capacity[open_dc])
    assert (dc[:, 0] == m.month).all()
    row = m.recorder.rows[-1]
    assert row["hhi"] == pytest.approx(metrics.hhi(Q.view("clients")[act].astype(float),
                                                   Q.view("council")[act].astype(np.int64)), rel=1e-12)
    assert row["dc_below_breakeven"] == np.count_nonzero(dc[:, 4] < dc[:, 5])


def test_recorded_months_do_not_depend_on_when_they_are_read(multi_scenario):
    """The recorder keeps snapshots and works out the figures when they are read: figures read
    after every month, read in batches, or read only at the end are the same, and a month once
    read does not change as the run goes on (nothing it was computed from is shared with later months)."""
    every = CareEconomy(multi_scenario, seed=4)
    seen = []
    for _ in range(14):
        every.step()
        seen.append((dict(every.recorder.rows[-1]), every.recorder.councils[-1].copy(),
                     every.recorder.daycentres[-1].copy(), every.recorder.cells[-1].copy()))
    at_end = CareEconomy(multi_scenario, seed=4)
    at_end.recorder.BATCH = 5  # several batches, the last one partial
    at_end.run(14)
    for rec in (every.recorder, at_end.recorder):
        assert len(rec.rows) == len(rec.councils) == len(rec.daycentres) == len(rec.cells) == 14
        for month, (row, council, dc, cells) in enumerate(seen):
            assert list(rec.rows[month]) == list(metrics.MONTHLY_COLUMNS)
            np.testing.assert_equal(rec.rows[month], row)  # NaN equal to NaN
            np.testing.assert_array_equal(rec.councils[month], council)
            np.testing.assert_array_equal(rec.daycentres[month], dc)
            np.testing.assert_array_equal(rec.cells[month], cells)


def test_hhi_of_every_month_whatever_markets_are_empty(multi_scenario):
    """Months are worked out together, but each month's HHI is metrics.hhi of that month's open
    providers, bit for bit, also when some councils (the last one, or all) have none; eight
    councils, so that a sum over markets is long enough for its order to matter."""
    data = multi_scenario.to_dict()
    data["run"]["people"] = 2000  # a few providers in each market, so that market HHIs are not round numbers
    data["councils"] = [{**data["councils"][i % 3], "name": f"council {i}", "population_share": 0.125}
                        for i in range(8)]
    m = CareEconomy(scenario_module.validate(data), seed=8, record=False)
    m.run(3)
    rec, Q = metrics.MonthRecorder(m), m.providers
    active, council = Q.view("active").copy(), Q.view("council")
    expected = []
    for closed in ([], [7], [7, 0], [7, 1], [7, 2], [7, 4], [6, 7], list(range(8)), [0], [3]):
        Q.active[: Q.n] = active & ~np.isin(council, closed)
        rec.record()
        act = Q.view("active")
        expected.append(metrics.hhi(Q.view("clients")[act].astype(float), council[act].astype(np.int64)))
    Q.active[: Q.n] = active
    np.testing.assert_array_equal([row["hhi"] for row in rec.rows], expected)


def test_horizon_recorder_keeps_the_full_recorders_horizon_row_and_monthly_totals(multi_scenario):
    """A study's recorder snapshots the horizon month only and keeps every month's ledger: its row is
    the full recorder's last row and its totals are the full rows' TOTALLED columns, bit for bit."""
    full = CareEconomy(multi_scenario, seed=6)
    full.run()
    model = CareEconomy(multi_scenario, seed=6, record=False)
    model.recorder = horizon = metrics.HorizonRecorder(model, multi_scenario.run.months)
    model.run(multi_scenario.run.months - 1)
    with pytest.raises(RuntimeError, match="not the horizon"):
        horizon.row  # noqa: B018 - the property refuses a run that stopped short of the horizon
    model.step()
    last = dict(full.recorder.rows[-1])
    del last["dp_balance_change"]
    assert horizon.row["month"] == multi_scenario.run.months
    np.testing.assert_equal(horizon.row, last)  # NaN equal to NaN
    totals = horizon.totals
    assert list(totals) == list(metrics.TOTALLED)
    for column in metrics.TOTALLED:
        np.testing.assert_array_equal(totals[column], [row[column] for row in full.recorder.rows])
    assert sum(totals["exits_day_centre"]) > 0 and np.ptp(totals["council_spend"]) > 0  # real, varying totals
