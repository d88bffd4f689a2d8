"""Metrics: the definitions on known data, and the recorder's figures worked out by hand from the
recorded model's state; the recorder computes them with the definitions (no copies of its own)."""

from __future__ import annotations

import ast

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import scenario as scenario_module
from model.codes import DOMAIN_TOP, DOMAINS
from model.core.state import People
from model.engines import CareEconomy
from model.metrics import columns
from model.metrics import definitions as d
from model.metrics.recorder import HorizonRecorder, MonthRecorder
from model.metrics.snapshot import CellSums, snapshot
from model.rules import outcomes as outcome_rules
from model.run.simulation import run_recorded
from tests.conftest import ROOT

TYPES = ("day_centre", "agency", "personal_assistant", "community_group")


def ci_by_hand(y: np.ndarray, quintile: np.ndarray) -> float:
    """2 cov(y, R) / mean(y) over individuals, R the fractional rank by quintile (most deprived
    first), people of one quintile tied at their mid-point."""
    w = np.bincount(quintile, minlength=5) / quintile.size
    rank = (np.cumsum(w) - w / 2)[quintile]
    return float(2 * np.mean((y - y.mean()) * (rank - rank.mean())) / y.mean())


def hhi_by_hand(clients: np.ndarray, market: np.ndarray) -> float:
    """Sum of squared percentage shares of each market, averaged over markets weighted by clients."""
    per_market = {m: clients[market == m] for m in np.unique(market)}
    total = sum(c.sum() for c in per_market.values())
    return sum(c.sum() * ((100 * c / c.sum()) ** 2).sum() for c in per_market.values() if c.sum() > 0) / total


# ------------------------------------------------------------------------------------ definitions
def test_concentration_index_known_values():
    counts = np.full(5, 100.0)
    assert d.concentration_index(counts, np.full(5, 0.7)) == pytest.approx(0.0)
    # Everything in the least deprived fifth: 2 x 0.2 x (0.9 - 0.5) / 0.2 = 0.8; most deprived: -0.8.
    assert d.concentration_index(counts, np.array([0, 0, 0, 0, 1.0])) == pytest.approx(0.8)
    assert d.concentration_index(counts, np.array([1.0, 0, 0, 0, 0])) == pytest.approx(-0.8)
    assert np.isnan(d.concentration_index(np.zeros(5), np.ones(5)))
    assert np.isnan(d.concentration_index(counts, np.zeros(5)))


@settings(max_examples=60)
@given(rows=st.lists(st.tuples(st.lists(st.integers(0, 30), min_size=5, max_size=5),
                               st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5)), min_size=1, max_size=6))
def test_concentration_indices_are_2cov_over_mean_on_individuals_row_by_row(rows):
    """Each row (a month) is the index over its individuals, ties ranked at their mid-point; NaN with
    nobody or a zero mean."""
    counts = np.array([c for c, _ in rows], float)
    means = np.array([m for _, m in rows])
    got = d.concentration_indices(counts, means)
    for i, (c, m) in enumerate(zip(counts, means, strict=True)):
        y = np.repeat(m, c.astype(int))
        if y.size == 0 or y.mean() == 0:
            assert np.isnan(got[i])
        else:
            q = np.repeat(np.arange(5), c.astype(int))
            assert got[i] == pytest.approx(ci_by_hand(y, q), abs=1e-9)


def test_quintile_means_and_gaps():
    sums, counts = np.array([[1.0, 3.0, 0.0, 2.0, 9.0], [0.0, 2.0, 2.0, 2.0, 0.0]]), np.array([[2, 3, 0, 4, 10]] * 2)
    means = d.quintile_means(sums, counts)
    # A quintile with nobody has no mean (missing), not 0; a gap needing it is missing too.
    np.testing.assert_array_equal(means, [[0.5, 1.0, np.nan, 0.5, 0.9], [0.0, 2 / 3, np.nan, 0.5, 0.0]])
    np.testing.assert_allclose(d.quintile_gap(means), [0.4, 0.0])
    empty_q1 = d.quintile_means(np.array([0.0, 1.0, 1.0, 1.0, 2.0]), np.array([0, 2, 2, 2, 2]))
    assert np.isnan(d.quintile_gap(empty_q1))
    assert d.quintile_gap(np.array([0.2, 0.3, 0.4, 0.5, 0.9])) == pytest.approx(0.7)


def test_averages_costs_and_balances():
    np.testing.assert_array_equal(d.average(np.array([3.0, 0.0]), np.array([4, 0])), [0.75, np.nan])
    # Nobody behind a figure: missing (NaN), never the whole spend or 0.
    np.testing.assert_array_equal(d.cost_per_person(np.array([900.0, 50.0]), np.array([3, 0])), [300.0, np.nan])
    np.testing.assert_array_equal(d.occupancy(np.array([10, 0]), np.array([20, 0])), [0.5, np.nan])
    assert d.unpaid_hours(np.array([12.0]))[0] == pytest.approx(12 * 52 / 12)
    np.testing.assert_array_equal(d.balance_change(np.array([5.0, 7.0, 4.0]), 1.0), [4.0, 2.0, -3.0])
    assert d.society_cost(np.array([1.0]), np.array([2.0]), np.array([4.0]))[0] == 7.0
    assert d.unmet_need(np.array([0.25]))[0] == 0.75


def test_hhi_monopoly_equal_firms_and_weighted_markets():
    assert d.hhi(np.array([50.0]), np.array([0])) == pytest.approx(10_000)
    for n in (2, 4, 10):
        assert d.hhi(np.full(n, 7.0), np.zeros(n, dtype=np.int64)) == pytest.approx(10_000 / n)
    # Two markets: a monopoly with 30 clients and 4 equal firms with 10 each (40): weighted by clients.
    clients = np.array([30.0, 10, 10, 10, 10])
    market = np.array([0, 1, 1, 1, 1])
    assert d.hhi(clients, market) == pytest.approx((30 * 10_000 + 40 * 2500) / 70)
    assert np.isnan(d.hhi(np.zeros(3), np.zeros(3, dtype=np.int64)))
    assert np.isnan(d.hhi(np.zeros(0), np.zeros(0, dtype=np.int64)))


@settings(max_examples=40)
@given(providers=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 40)), max_size=30))
def test_hhi_by_month_is_each_months_hhi(providers):
    """Months worked out together: each month's HHI over its own providers (NaN without clients)."""
    month, market, clients = (np.array([p[i] for p in providers], dtype=np.int64) for i in range(3))
    got = d.hhi_by_month(clients.astype(float), market, month, 4, 3)
    for m in range(4):
        c, k = clients[month == m].astype(float), market[month == m]
        if c.sum() == 0:
            assert np.isnan(got[m])
        else:
            assert got[m] == pytest.approx(hhi_by_hand(c, k), rel=1e-12)


def test_run_totals_add_each_runs_months_and_columns():
    run = np.array([1, 0, 1, 1])
    monthly = {c: np.zeros(4) for c in d.TOTALLED}
    monthly["exits_day_centre"] = np.array([1.0, 2.0, 0.0, 1.0])
    monthly["exits_agency"] = np.array([0.0, 1.0, 3.0, 0.0])
    monthly["entries_community_group"] = np.array([2.0, 0.0, 0.0, 5.0])
    monthly["council_spend"] = np.array([10.0, 20.0, 30.0, 40.0])
    monthly["displaced"] = np.array([4.0, 0.0, 0.0, 1.0])
    totals = d.run_totals(tuple(d.RUN_TOTALS), run, monthly, 2)
    assert list(totals) == list(d.RUN_TOTALS)
    np.testing.assert_array_equal(totals["provider_exits"], [3.0, 5.0])
    np.testing.assert_array_equal(totals["dc_closures"], [2.0, 2.0])
    np.testing.assert_array_equal(totals["provider_entries"], [0.0, 7.0])
    np.testing.assert_array_equal(totals["displaced"], [0.0, 5.0])
    np.testing.assert_array_equal(totals["total_council_spend"], [20.0, 80.0])
    assert set(d.TOTALLED) == {c for cs in d.RUN_TOTALS.values() for c in cs}


def test_snapshot_counts_and_sums_as_bincount():
    rng = np.random.default_rng(5)
    n, n_cell = 5000, 160
    cell = rng.integers(0, n_cell, n).astype(np.int32)
    option = rng.integers(0, 5, n).astype(np.int8)
    offered, alive = rng.random(n) < 0.5, rng.random(n) < 0.9
    met, well, sat = (rng.random((3, n))).astype(np.float32)
    hours, balance = (rng.random(n) * 20).astype(np.float32), rng.random(n) * 100
    counts, sums = np.zeros(10 * n_cell, np.int64), CellSums(*(np.zeros(n_cell) for _ in range(3)))
    need, strain = (rng.random(n) * 100).astype(np.float32), rng.random(n).astype(np.float32)
    people = People(n)
    people.append(n, cell=cell, option=option, offered=offered, alive=alive, met_need=met, wellbeing=well,
                  satisfaction=sat, carer_hours=hours, dp_balance=balance, need=need, strain=strain)
    carer, held, carers = snapshot(people.record(n), 25.0, 0.5, counts, sums)
    with_need, caring = alive & (need >= 25.0), alive & (hours > 0)
    assert carers[0] == with_need.sum() and carers[1] == pytest.approx(hours[with_need].sum(dtype=float), rel=1e-12)
    assert carers[2] == caring.sum() and carers[3] == (caring & (strain > 0.5)).sum()
    key = cell.astype(np.int64) * 10 + option * 2 + offered
    np.testing.assert_array_equal(counts, np.bincount(key[alive], minlength=10 * n_cell))
    package = alive & (option > 0)
    for total, column in zip(sums, (met, well, sat), strict=True):
        np.testing.assert_array_equal(total, np.bincount(cell[package], column[package], minlength=n_cell))
    assert carer == pytest.approx(hours[alive].sum(dtype=np.float64), rel=1e-12)
    assert held == pytest.approx(balance.sum(), rel=1e-12)


# ------------------------------------------------------------------------------------ the recorder
@pytest.fixture(scope="module")
def recorded(multi_scenario):
    """A model run 30 months with a recorder attached; its state is the last recorded month's."""
    model = CareEconomy(multi_scenario, seed=21)
    rec = MonthRecorder(model)
    run_recorded(model, rec, 30)
    return model, rec


def test_headline_equity_figures_match_the_state(recorded):
    m, rec = recorded
    P, row = m.people, rec.rows[-1]
    assert row["month"] == m.month == 30
    pkg = P.view("alive") & (P.view("option") > 0)
    q, opt = P.view("quintile")[pkg].astype(np.int64), P.view("option")[pkg]
    assert row["with_package"] == pkg.sum()
    for j in (1, 2, 3, 4):
        assert row[f"share_option{j}"] == pytest.approx(np.mean(opt == j))
    outcomes = {"met_need": P.view("met_need")[pkg].astype(float), "wellbeing": P.view("wellbeing")[pkg].astype(float),
                "control": np.asarray(m.config.choice.control)[opt - 1],
                "satisfaction": P.view("satisfaction")[pkg].astype(float), "option1": (opt == 1).astype(float)}
    for name, y in outcomes.items():
        assert row[name] == pytest.approx(y.mean(), rel=1e-9), name
        assert row[f"gap_{name}"] == pytest.approx(y[q == 4].mean() - y[q == 0].mean(), abs=1e-9), name
        if name != "satisfaction":
            assert row[f"ci_{name}"] == pytest.approx(ci_by_hand(y, q), abs=1e-9), name
    assert row["unmet_need"] == pytest.approx(1 - outcomes["met_need"].mean(), rel=1e-9)
    assert row["equity_gap"] == row["gap_wellbeing"]


def test_quality_of_life_figures_match_the_state(recorded):
    """The month's ASCOT domain sums (added by the purchasing pass) average to SCRQoL over the same
    people the snapshot counts, so SCRQoL / 24 is the mean wellbeing the people table holds; carers'
    quality of life is the rule applied to the strain of the caring carers of people with a package."""
    m, rec = recorded
    P, row = m.people, rec.rows[-1]
    pkg = P.view("alive") & (P.view("option") > 0)
    domains = np.array([row[f"ascot_{name}"] for name in DOMAINS])
    assert ((domains >= 0) & (domains <= DOMAIN_TOP)).all()
    assert row["scrqol"] == pytest.approx(domains.sum(), rel=1e-12)
    assert row["scrqol"] / 24 == pytest.approx(P.view("wellbeing")[pkg].astype(float).mean(), abs=1e-6)
    caring = pkg & (P.view("carer_hours") > 0)  # carers known to the council, as the carers' survey counts
    assert caring.sum() > 100 and caring.sum() < (P.view("alive") & (P.view("carer_hours") > 0)).sum()
    by_hand = outcome_rules.carer_qol(P.view("strain")[caring].astype(float), m.config.outcomes)
    assert row["carer_qol"] == pytest.approx(by_hand.mean(), rel=1e-9)


def test_people_money_and_policy_figures_match_the_state(recorded):
    m, rec = recorded
    P, L, row = m.people, m.ledger, rec.rows[-1]
    alive = P.view("alive")
    assert row["people"] == alive.sum()
    assert row["offered_share"] == pytest.approx(P.view("offered")[alive].mean())
    assert row["unpaid_hours"] == pytest.approx(P.view("carer_hours")[alive].sum(dtype=float) * 52 / 12, rel=1e-9)
    assert row["unpaid_value"] == pytest.approx(row["unpaid_hours"] * m.config.carers.replacement_value)
    assert row["dp_balances"] == pytest.approx(P.view("dp_balance").sum(), rel=1e-12)
    spend = L.council_spend().sum()
    assert row["council_spend"] == pytest.approx(spend, rel=1e-12)
    assert row["cost_per_person"] == pytest.approx(spend / row["with_package"], rel=1e-12)
    assert row["society_cost"] == pytest.approx(spend + row["unpaid_value"] + L.crisis.sum(), rel=1e-12)
    assert row["arrivals"] == L.arrivals.sum() and row["departures"] == L.departures.sum()
    assert row["displaced"] == L.displaced.sum() and row["unmatched"] == L.unmatched.sum()
    for j, t in enumerate(TYPES):
        assert row[f"exits_{t}"] == L.exits[:, j].sum() and row[f"entries_{t}"] == L.entries[:, j].sum()
    threshold, rate = m.policy()
    assert (row["threshold"], row["ras_rate"]) == pytest.approx((threshold.mean(), rate.mean()))


def test_cost_figures_add_up(recorded):
    m, rec = recorded
    for row in rec.rows:
        assert row["council_spend"] == pytest.approx(
            row["spend_services"] + row["spend_assessment"] + row["spend_admin"] + row["spend_support"])
        assert row["spend_services"] == pytest.approx(sum(row[f"spend_option{j}"] for j in (1, 2, 3, 4)))
        assert row["society_cost"] == pytest.approx(row["council_spend"] + row["unpaid_value"] + row["crisis_cost"])
        assert row["with_package"] > 0
        assert row["cost_per_person"] == pytest.approx(row["council_spend"] / row["with_package"])
        assert row["unpaid_value"] == pytest.approx(row["unpaid_hours"] * m.config.carers.replacement_value)


def test_provider_figures_match_the_state(recorded):
    m, rec = recorded
    Q, row = m.providers, rec.rows[-1]
    act = Q.view("active")
    for j, name in enumerate(TYPES):
        assert row[f"active_{name}"] == np.count_nonzero(act & (Q.view("ptype") == j))
        assert row[f"capacity_{name}"] == Q.view("capacity")[act & (Q.view("ptype") == j)].sum()
    assert row["providers_active"] == act.sum()
    assert row["providers_in_deficit"] == np.count_nonzero(Q.view("reserves")[act] < 0)
    assert row["hhi"] == pytest.approx(hhi_by_hand(Q.view("clients")[act].astype(float), Q.view("council")[act]),
                                       rel=1e-12)
    dc = act & (Q.view("ptype") == 0)
    assert row["dc_open"] == dc.sum()
    assert row["dc_attendance"] == Q.view("clients")[dc].sum()
    places = Q.view("capacity")[dc].sum()
    if places:
        assert row["dc_occupancy"] == pytest.approx(Q.view("clients")[dc].sum() / places)
    else:  # no places: occupancy is missing, not 0
        assert np.isnan(row["dc_occupancy"])


def test_breakdowns_match_the_state_and_add_up_to_the_headline(recorded):
    m, rec = recorded
    b = pd.DataFrame(rec.breakdown_long())
    monthly = pd.DataFrame(rec.rows).set_index("month")
    for dim in columns.DIMENSIONS:
        d_ = b[b.dimension == dim].pivot_table(index="month", columns=["metric", "level"], values="value")
        people = d_["people"]
        np.testing.assert_allclose(people.sum(axis=1), monthly["with_package"])
        for j in (1, 2, 3, 4):
            share = (d_[f"share_option{j}"].fillna(0) * people).sum(axis=1) / people.sum(axis=1)
            np.testing.assert_allclose(share, monthly[f"share_option{j}"], atol=1e-9)
    assert set(b[b.dimension == "council"].level) == {c.name for c in m.config.councils}
    # The last month by quintile, by hand from the state.
    P = m.people
    pkg = P.view("alive") & (P.view("option") > 0)
    last = b[(b.month == m.month) & (b.dimension == "quintile")].set_index(["metric", "level"])["value"]
    for k, level in enumerate(columns.DIMENSIONS["quintile"][1]):
        here = pkg & (P.view("quintile") == k)
        assert last["people", level] == here.sum()
        assert last["wellbeing", level] == pytest.approx(P.view("wellbeing")[here].astype(float).mean(), rel=1e-9)
        assert last["unmet_need", level] == pytest.approx(1 - P.view("met_need")[here].astype(float).mean(), rel=1e-9)
        assert last["offered", level] == pytest.approx(P.view("offered")[here].mean())


def test_council_and_day_centre_tables_match_the_state(recorded):
    m, rec = recorded
    P, Q = m.people, m.providers
    table, dc = rec.councils[-1], rec.daycentres[-1]
    col = {c: i for i, c in enumerate(columns.COUNCIL_COLUMNS)}
    alive, council = P.view("alive"), P.view("council")
    pkg = alive & (P.view("option") > 0)
    np.testing.assert_array_equal(table[:, col["people"]], np.bincount(council[alive], minlength=m.n_councils))
    np.testing.assert_array_equal(table[:, col["with_package"]], np.bincount(council[pkg], minlength=m.n_councils))
    np.testing.assert_allclose(table[:, col["council_spend"]], m.ledger.council_spend(), rtol=1e-12)
    np.testing.assert_array_equal(table[:, col["threshold"]], m.policy()[0])
    act = Q.view("active")
    for j, name in enumerate(TYPES):
        np.testing.assert_array_equal(table[:, col[f"active_{name}"]],
                                      np.bincount(Q.view("council")[act & (Q.view("ptype") == j)],
                                                  minlength=m.n_councils))
        np.testing.assert_array_equal(table[:, col[f"exits_{name}"]], m.ledger.exits[:, j])
    open_dc = np.flatnonzero(act & (Q.view("ptype") == 0))
    np.testing.assert_array_equal(dc[:, 2], open_dc)
    np.testing.assert_array_equal(dc[:, 1], Q.council[open_dc])
    np.testing.assert_array_equal(dc[:, 3], Q.clients[open_dc])
    np.testing.assert_allclose(dc[:, 4], Q.clients[open_dc] / Q.capacity[open_dc])
    np.testing.assert_array_equal(dc[:, 6], Q.capacity[open_dc])
    assert (dc[:, 0] == m.month).all()
    assert rec.rows[-1]["dc_below_breakeven"] == np.count_nonzero(dc[:, 4] < dc[:, 5])


@pytest.mark.parametrize(("definition", "figures"), [
    ("average", ("offered_share", "share_option2", "wellbeing", "met_need")),
    ("quintile_gap", ("gap_met_need", "gap_satisfaction", "equity_gap")),
    ("concentration_indices", ("ci_met_need", "ci_wellbeing", "ci_control", "ci_option1")),
    ("unmet_need", ("unmet_need",)),
    ("hhi_by_month", ("hhi",)),
    ("occupancy", ("dc_occupancy",)),
    ("cost_per_person", ("cost_per_person",)),
    ("unpaid_hours", ("unpaid_hours",)),
    ("society_cost", ("society_cost",)),
    ("balance_change", ("dp_balance_change",)),
])
def test_the_recorder_computes_figures_with_the_definitions(multi_scenario, monkeypatch, definition, figures):
    """Two recorders observe the same months; one works its figures out after a definition has been
    shifted by 1,000: exactly its figures move, by 1,000 (an inline copy of a definition would not)."""
    model = CareEconomy(multi_scenario, seed=3)
    plain, shifted = MonthRecorder(model), MonthRecorder(model)
    for _ in range(3):
        model.step()
        plain.record()
        shifted.record()
    expected = plain.rows
    original = getattr(d, definition)
    monkeypatch.setattr(d, definition, lambda *args, **kwargs: original(*args, **kwargs) + 1000.0)
    for want, got in zip(expected, shifted.rows, strict=True):
        for figure in figures:  # NaN stays NaN (a concentration index before anyone takes Option 1)
            np.testing.assert_allclose(got[figure], want[figure] + 1000.0, rtol=1e-9, err_msg=figure)
        assert got["people"] == want["people"] and got["council_spend"] == want["council_spend"]


def test_recorded_months_do_not_depend_on_when_they_are_read(multi_scenario):
    """The recorder keeps snapshots and works out the figures when they are read: figures read
    after every month, read in batches, or read only at the end are the same, and a month once
    read does not change as the run goes on (nothing it was computed from is shared with later months)."""
    every_model = CareEconomy(multi_scenario, seed=4)
    every = MonthRecorder(every_model)
    seen = []
    for _ in range(14):
        run_recorded(every_model, every, 1)
        seen.append((dict(every.rows[-1]), every.councils[-1].copy(), every.daycentres[-1].copy(),
                     every.cells[-1].copy()))
    at_end_model = CareEconomy(multi_scenario, seed=4)
    at_end = MonthRecorder(at_end_model)
    at_end.BATCH = 5  # several batches, the last one partial
    run_recorded(at_end_model, at_end, 14)
    for rec in (every, at_end):
        assert len(rec.rows) == len(rec.councils) == len(rec.daycentres) == len(rec.cells) == 14
        for month, (row, council, dc, cells) in enumerate(seen):
            assert list(rec.rows[month]) == list(columns.MONTHLY_COLUMNS)
            np.testing.assert_equal(rec.rows[month], row)  # NaN equal to NaN
            np.testing.assert_array_equal(rec.councils[month], council)
            np.testing.assert_array_equal(rec.daycentres[month], dc)
            np.testing.assert_array_equal(rec.cells[month], cells)


def test_hhi_of_every_month_whatever_markets_are_empty(multi_scenario):
    """Months are worked out together, but each month's HHI is definitions.hhi of that month's open
    providers, bit for bit, also when some councils (the last one, or all) have none; eight
    councils, so that a sum over markets is long enough for its order to matter."""
    data = multi_scenario.to_dict()
    data["run"]["people"] = 2000  # a few providers in each market, so that market HHIs are not round numbers
    data["councils"] = [{**data["councils"][i % 3], "name": f"council {i}", "population_share": 0.125}
                        for i in range(8)]
    m = CareEconomy(scenario_module.validate(data), seed=8)
    m.run(3)
    rec, Q = MonthRecorder(m), m.providers
    active, council = Q.view("active").copy(), Q.view("council")
    expected = []
    for closed in ([], [7], [7, 0], [7, 1], [7, 2], [7, 4], [6, 7], list(range(8)), [0], [3]):
        Q.active[: Q.n] = active & ~np.isin(council, closed)
        rec.record()
        act = Q.view("active")
        expected.append(d.hhi(Q.view("clients")[act].astype(float), council[act].astype(np.int64)))
    Q.active[: Q.n] = active
    np.testing.assert_array_equal([row["hhi"] for row in rec.rows], expected)


def test_horizon_recorder_keeps_the_full_recorders_horizon_row_and_monthly_totals(multi_scenario):
    """A study's recorder snapshots the horizon month only and keeps every month's ledger: its row is
    the full recorder's last row and its totals are the full rows' TOTALLED columns, bit for bit."""
    full_model = CareEconomy(multi_scenario, seed=6)
    full = MonthRecorder(full_model)
    run_recorded(full_model, full)
    model = CareEconomy(multi_scenario, seed=6)
    horizon = HorizonRecorder(model, multi_scenario.run.months)
    run_recorded(model, horizon, multi_scenario.run.months - 1)
    with pytest.raises(RuntimeError, match="not the horizon"):
        horizon.row  # noqa: B018 - the property refuses a run that stopped short of the horizon
    run_recorded(model, horizon, 1)
    last = dict(full.rows[-1])
    del last["dp_balance_change"]
    assert horizon.row["month"] == multi_scenario.run.months
    np.testing.assert_equal(horizon.row, last)  # NaN equal to NaN
    totals = horizon.totals
    assert list(totals) == list(d.TOTALLED)
    for column in d.TOTALLED:
        np.testing.assert_array_equal(totals[column], [row[column] for row in full.rows])
    assert sum(totals["exits_day_centre"]) > 0 and np.ptp(totals["council_spend"]) > 0  # real, varying totals


def _project_imports(path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return {n for n in names if n.startswith("model")}


@pytest.mark.parametrize(("package", "forbidden"), [("core", ("model.metrics", "model.run")),
                                                    ("engines", ("model.metrics", "model.run")),
                                                    ("metrics", ("model.engines", "model.run"))])
def test_the_recorder_observes_from_outside_the_model(package, forbidden):
    """The model's core and engines import nothing of the metrics (the run layer attaches the
    recorder); the metrics import no engine."""
    for path in sorted((ROOT / "model" / package).rglob("*.py")):
        bad = {n for n in _project_imports(path) if n.startswith(forbidden)}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


# ------------------------------------------------------------------------------------ equity table
def test_population_with_need_counts_people_without_a_package(small_scenario):
    """Everyone living at or above the scenario's starting threshold is in, with a package or not;
    a council's raised threshold does not take anyone out."""
    from model.metrics.recorder import equity_table, population_with_need

    model = CareEconomy(small_scenario, seed=3)
    run_recorded(model, MonthRecorder(model, equity=False), 2)
    P, n = model.people, model.people.n
    base = small_scenario.budgets.eligibility_threshold
    holder = int(np.flatnonzero(P.alive[:n] & (P.option[:n] > 0) & (P.need[:n] >= base + 5))[0])
    below = int(np.flatnonzero(P.alive[:n] & (P.need[:n] < base))[0])
    P.option[holder] = 0  # someone with need and no package
    for council in model.councils:
        council.policy = council.policy._replace(threshold=100.0)  # the councils' current thresholds play no part
    people = population_with_need(model)
    with_need = P.alive[:n] & (P.need[:n] >= np.float32(base))
    assert people["need"].size == with_need.sum() and (people["need"] >= base).all()
    assert np.isin(P.need[holder], people["need"]) and (people["option"] == 0).sum() >= 1
    assert P.need[below] < base
    table = equity_table(people, 0).set_index(["outcome", "dimension", "group", "measure"])
    has = table.loc[("has_package", "all", "all", "mean")]
    assert has["people"] == with_need.sum()
    assert has["value"] == pytest.approx((P.option[:n][with_need] > 0).mean())
    assert has["value"] < 1.0
    dp = table.loc[("direct_payment", "all", "all", "mean")]
    assert dp["people"] == (P.option[:n][with_need] > 0).sum()


def test_equity_months_seeds_and_a_run_unchanged_by_recording_them(small_scenario):
    from model.metrics.recorder import EQUITY_RESAMPLES

    def run(equity: bool) -> MonthRecorder:
        model = CareEconomy(small_scenario, seed=8)
        rec = MonthRecorder(model, equity=equity)
        run_recorded(model, rec)
        return rec

    with_equity, without = run(True), run(False)
    pd.testing.assert_frame_equal(pd.DataFrame(with_equity.rows), pd.DataFrame(without.rows))
    table = with_equity.equity
    assert list(table.columns) == list(columns.EQUITY_TABLE_COLUMNS[1:])
    assert sorted(table["month"].unique()) == [12, 24, 36]
    last, yearly = table[table["month"] == 36], table[table["month"] == 12]
    assert last["low"].notna().any() and yearly["low"].isna().all()
    assert EQUITY_RESAMPLES >= 199
    pd.testing.assert_frame_equal(table, run(True).equity)  # the bootstrap's seed is the run's
    assert without.equity.empty
    assert set(table["outcome"]) == set(columns.EQUITY_TABLE_OUTCOMES)
    assert set(table["measure"]) == set(columns.EQUITY_MEASURES)
    for dim, (_, groups) in columns.EQUITY_DIMENSIONS.items():
        assert set(table.loc[table["dimension"] == dim, "group"]) == set(groups), dim
