"""Compiled sweeps: they apply the rule modules' functions, and their own sampling steps agree
with the numpy versions draw for draw."""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import load_scenario, stream
from model.codes import AGENCY, N_PROMPTS, NEVER, NO_PROMPT
from model.core.state import Ledger, People
from model.core.state import Providers as ProviderTable
from model.engines.vector import bookkeeping, common, finance, matching, reviews, support_and_choice
from model.engines.vector import demography as demography_pass
from model.engines.vector import providers as providers_pass
from model.rules import budgets, choice, demography, market, providers
from model.scenario import Budgets, Carers, Choice, Demography, Outcomes, Providers


def _people(n: int, **columns: np.ndarray) -> People:
    """A people table of ``n`` rows with the given columns (the others at their initial values)."""
    P = People(n, peers=columns["peers"].shape[1] if "peers" in columns else 6)
    P.append(n, **columns)
    return P


@pytest.mark.parametrize("fresh", [False, True])
def test_choose_options_is_the_per_person_rule_draw_for_draw(fresh):
    """The compiled pass gives each person the prompt and the decision the plain-Python rules give
    them (:func:`choice.peer_signal`, :func:`choice.peer_news`, :func:`choice.prompt`,
    :func:`choice.decide`) from the same stream, in row order."""
    rng = np.random.default_rng(3)
    n, k, councils = 400, 6, 2
    ch = load_scenario("sds_rollout").choice.model_copy(update={"carer_management_help": 0.4})
    account, presentation = np.array([0.3, 0.0]), np.array([[0.5, 0.0, -0.5, 0.2], [0.0, 0.0, 0.0, 0.0]])
    P = _people(n, option=rng.integers(0, 5, n), alive=rng.random(n) < 0.9, peers=rng.integers(-1, n, (n, k)),
                satisfaction=rng.random(n), confidence=rng.random(n), age_band=rng.integers(0, 4, n),
                group=rng.integers(0, 4, n), supported=rng.random(n) < 0.1, council=rng.integers(0, councils, n),
                need=rng.random(n) * 60, chose_need=rng.random(n) * 60,
                carer_hours=rng.random(n) * 20 * (rng.random(n) < 0.7), chose_carer=rng.random(n) < 0.5,
                chose_at=np.where(rng.random(n) < 0.8, rng.integers(0, 40, n), NEVER),
                moved_at=np.where(rng.random(n) < 0.1, rng.integers(0, 40, n), NEVER))
    available = np.array([[True, True, True, True], [False, True, True, False]])
    reduction = np.array([0.5, 0.2], dtype=np.float32)
    rows = np.flatnonzero(rng.random(n) < 0.5)
    state = stream.seed(np.random.default_rng(11))
    words, expected = stream.load(state), []
    for r in rows.tolist():
        seen = [(q, q >= 0 and bool(P.alive[q])) for q in P.peers[r].tolist()]
        signal = choice.peer_signal([int(P.option[q]) if here else 0 for q, here in seen],
                                    [float(P.satisfaction[q]) if here else 0.0 for q, here in seen],
                                    ch.switch_satisfaction)
        news = choice.peer_news([int(P.moved_at[q]) if here else NEVER for q, here in seen],
                                [int(P.option[q]) if here else 0 for q, here in seen], int(P.option[r]),
                                int(P.chose_at[r]))
        why = choice.prompt(float(P.satisfaction[r]), float(P.need[r]), float(P.chose_need[r]), bool(P.chose_carer[r]),
                            float(P.carer_hours[r]), news, bool(P.supported[r]), ch)
        c = int(P.council[r])
        option, chose, words = choice.decide(int(P.option[r]), int(P.chose_at[r]), why, fresh, float(P.confidence[r]),
                                             bool(P.age_band[r] >= 2), int(P.group[r]), bool(P.supported[r]),
                                             float(P.carer_hours[r]) > 0, signal, available[c], float(reduction[c]),
                                             float(account[c]), presentation[c], ch, words)
        expected.append((option, why, chose))
    got, why, chose = support_and_choice.choose_options(rows, P.record(n), available, reduction, account, presentation,
                                                        common.struct(ch), fresh, state)
    np.testing.assert_array_equal(np.column_stack([got, why, chose]), np.array(expected))
    assert tuple(state) == words  # the stream has moved on by as many draws
    assert chose.all() if fresh else (~chose).any() and (why[~chose] == NO_PROMPT).all()
    assert set(why.tolist()) == set(range(N_PROMPTS))  # every prompt occurs among these people
    assert not np.isin(got[P.council[rows] == 1][chose[P.council[rows] == 1]], [1, 4]).any()  # not offered there


def test_struct_carries_every_numeric_field():
    ch = Choice(beta_control=1.7, switch_after_months=5, asc_group=[0.1, -0.2, 0.3, -0.4])
    s = common.struct(ch)
    assert s.dtype == np.uint8 and s.size == common.CHOICE.itemsize
    r = s.view(common.CHOICE)[0]  # as the sweeps view it
    assert r["beta_control"] == 1.7 and r["switch_after_months"] == 5
    assert common.CHOICE["switch_after_months"] == np.int64
    np.testing.assert_array_equal(r["asc_group"], ch.asc_group)
    assert set(common.CHOICE.names) == set(type(ch).model_fields) - {"review_mode"}  # the one field not a number


@pytest.mark.parametrize("section", [Demography, Outcomes, Carers, Choice, Budgets, Providers])
def test_struct_gives_back_every_field_of_every_section(section):
    """Each section's bytes, viewed as its record type (as the sweeps view them), give back every
    field: numbers exactly, lists element by element."""
    values = section()
    record = common.struct(values).view(common._RECORDS[section])[0]
    assert set(common._RECORDS[section].names) == set(common._FIELDS[section])
    for name in common._FIELDS[section]:
        np.testing.assert_array_equal(record[name], getattr(values, name), err_msg=name)


def test_struct_is_only_for_the_sections_the_sweeps_read():
    with pytest.raises(KeyError):
        common.struct(load_scenario("sds_rollout").run)


@pytest.mark.parametrize("scenario", ["sds_rollout", "multi_council"])
def test_arrivals_pass_is_draw_person_row_by_row(scenario):
    """The compiled arrivals pass draws each new row by the rule :func:`model.rules.demography.draw_person`
    itself: the rule run as plain Python on the scenario's own section gives the same people from
    the same stream, draw for draw."""
    s = load_scenario(scenario)
    deprivation = np.array([c.deprivation for c in s.councils])
    counts = np.array([40 + 3 * c for c in range(len(s.councils))])
    council = np.repeat(np.arange(len(s.councils)), counts).astype(np.int16)
    P = People(council.size + 8)
    P.append(8, alive=True, review_in=5)  # rows already there are left alone
    r = P.append(council.size)
    columns = ("group", "quintile", "age_band", "confidence", "dc_affinity", "offer_rank", "need", "has_carer",
               "carer_hours")
    before = {c: P.view(c)[:8].copy() for c in (*columns, "offered", "cell", "council", "alive", "review_in")}
    state = stream.seed(np.random.default_rng(9))
    replay = state.copy()
    share = np.linspace(0.2, 0.7, len(s.councils))  # offered share by council
    mix = demography.referral_groups(s.demography)
    demography_pass.arrivals(r.start, counts, deprivation, mix, share, common.struct(s.demography),
                             common.struct(s.carers), s.budgets.hours_per_point, state, P.record(P.n))
    np.testing.assert_array_equal(P.council[r], council)  # council by council, alive, first review due at once
    assert P.alive[r].all() and (P.review_in[r] == 0).all()
    # the carer's willing hours, what the assessment credits, and the formal hours they need, as the pass works them out
    np.testing.assert_array_equal(P.carer_base[r], P.carer_hours[r])
    credit = budgets.credited_hours(P.carer_hours[r].astype(np.float64), P.carer_hours[r].astype(np.float64), 0.0,
                                    s.carers)
    np.testing.assert_array_equal(P.carer_credit[r], credit.astype(np.float32))
    hours = budgets.required_hours(P.need[r].astype(np.float64), P.carer_credit[r].astype(np.float64),
                                   s.budgets.hours_per_point)
    np.testing.assert_array_equal(P.required[r], hours.astype(np.float32))
    assert (P.required[:8] == 0).all() and (P.required[r] > 0).any()
    expected = [demography.draw_person(demography.referral_mix(deprivation[c], s.demography), mix, s.demography,
                                       replay) for c in council.tolist()]
    for k, c in enumerate(columns):
        column = getattr(P, c)
        np.testing.assert_array_equal(column[r], np.array([e[k] for e in expected]).astype(column.dtype), err_msg=c)
    for c in before:
        np.testing.assert_array_equal(getattr(P, c)[:8], before[c])
    np.testing.assert_array_equal(state, replay)  # the same number of draws
    # offered if their rank is under their council's share; the breakdown cell as set_cells sets it
    np.testing.assert_array_equal(P.offered[r], P.offer_rank[r] < share[council])
    assert 0 < P.offered[r].sum() < council.size
    cell = P.cell.copy()
    P.cell[:] = 0
    demography_pass.set_cells(np.arange(r.start, r.stop), P.record(P.n))
    np.testing.assert_array_equal(P.cell[r], cell[r])


def test_reviews_apply_the_review_rule_to_everyone_due():
    """People due (the rows given, and new rows found due by the countdown, including people newly
    offered the choice) are reviewed as :meth:`Person.review` does:
    clawback above the buffer, then eligibility and budget at the council's threshold and rate
    (the rules of :mod:`model.rules.budgets`); losing eligibility ends a package; the eligible are split
    into those choosing (offered) and the others; assessments and clawback reach the ledger."""
    rng = np.random.default_rng(4)
    n, b = 400, load_scenario("sds_rollout").budgets
    alive = (rng.random(n) < 0.9) | (np.arange(n) >= 100)  # the rows from 100 on are new arrivals
    council = rng.integers(0, 2, n).astype(np.int16)
    option = rng.integers(0, 5, n).astype(np.int8)
    need = (rng.random(n) * 80).astype(np.float32)
    carer_hours = (rng.random(n) * 30 * (rng.random(n) < 0.5)).astype(np.float32)
    budget = (rng.random(n) * 2000).astype(np.float32)
    balance = rng.random(n) * 4000 * (rng.random(n) < 0.6)
    offered = rng.random(n) < 0.5
    offer_rank = rng.random(n).astype(np.float32)
    share = np.array([0.3, 0.6], dtype=np.float32)
    review_in = np.where(rng.random(n) < 0.5, 1, 5).astype(np.int16)
    interval = np.array([12, 6])
    provider = np.where(option[:, None] > 0, rng.integers(-1, 20, (n, 2)), -1)
    clients = np.bincount(provider[provider >= 0], minlength=20).astype(np.int32)
    threshold, rate, cost = np.array([25.0, 40.0]), np.array([45.0, 30.0]), np.array([100.0, 150.0])
    newly = alive & ~offered & (offer_rank < share[council])
    due = alive & ((review_in == 1) | newly)
    rows = np.flatnonzero(due)
    state = {k: v.copy() for k, v in dict(offered=offered, review_in=review_in, option=option, budget=budget,
                                          balance=balance, provider=provider, clients=clients).items()}
    ledger = Ledger(2)
    assessments, assessment, clawback, services = (ledger.assessments, ledger.assessment, ledger.clawback,
                                                   ledger.services_by_option)
    # the rows before 100 counted down already (as the demography sweep does); the rest are new
    counted = np.flatnonzero(due[:100])
    state["review_in"][counted] = interval[council[counted]]
    state["offered"][counted] |= newly[counted]
    P = _people(n, alive=alive, offered=state["offered"], offer_rank=offer_rank, council=council,
                review_in=state["review_in"], option=state["option"], need=need, carer_credit=carer_hours,
                budget=state["budget"], dp_balance=state["balance"], supported=np.ones(n, bool),
                provider=state["provider"], control=np.ones(n, np.float32), burden=np.ones(n, np.float32))
    councils = reviews.Councils(share, interval, threshold, rate, np.array([-1, -1]), cost)
    choosing, kept, queues = reviews.reviews(counted, 100, P.record(n), state["clients"], councils, True, 0.3,
                                             common.struct(b), ledger.record())
    assert not P.waiting.any() and not (ledger.waiting.any() or ledger.waiting_months.any())  # no waiting list
    state.update(offered=P.offered, review_in=P.review_in, option=P.option, budget=P.budget, balance=P.dp_balance,
                 provider=P.provider)
    eligible, supported, control, burden = P.eligible, P.supported, P.control, P.burden
    new_rows = np.arange(n) >= 100
    np.testing.assert_array_equal(state["offered"][new_rows], (offered | newly)[new_rows])
    np.testing.assert_array_equal(state["review_in"][rows], interval[council[rows]])
    waiting = alive & ~due & new_rows
    np.testing.assert_array_equal(state["review_in"][waiting], review_in[waiting] - 1)
    np.testing.assert_array_equal(assessments, np.bincount(council[rows], minlength=2))
    np.testing.assert_allclose(assessment, assessments * cost)
    claw = budgets.clawback(balance[rows], budget[rows] * market.paid_directly(option[rows], 0.3), b)
    np.testing.assert_allclose(state["balance"][rows], balance[rows] - claw, rtol=1e-12)
    expected = np.zeros((2, 4))
    np.add.at(expected, (council[rows], np.maximum(option[rows], 1) - 1), claw)
    np.testing.assert_allclose(services, -expected, rtol=1e-9)
    np.testing.assert_allclose(clawback, expected.sum(axis=1), rtol=1e-9)
    elig, bud = budgets.assess(need[rows], carer_hours[rows], threshold[council[rows]], rate[council[rows]], b)
    np.testing.assert_array_equal(eligible[rows], elig)
    np.testing.assert_allclose(state["budget"][rows], bud, rtol=1e-6)
    lost = rows[~elig & (option[rows] > 0)]
    assert (state["option"][lost] == 0).all() and (state["provider"][lost] == -1).all()
    assert (control[lost] == 0).all() and (burden[lost] == 0).all()
    held = state["provider"][state["provider"] >= 0]
    np.testing.assert_array_equal(state["clients"], np.bincount(held, minlength=20))
    np.testing.assert_array_equal(choosing, rows[elig & (offered | newly)[rows]])
    np.testing.assert_array_equal(kept, rows[elig & ~(offered | newly)[rows]])
    assert queues == np.unique(council[choosing]).size == 2
    assert not supported[choosing].any() and supported[kept].all()
    untouched = np.setdiff1d(np.arange(n), rows)
    np.testing.assert_array_equal(state["balance"][untouched], balance[untouched])
    assert claw.sum() > 0 and lost.size > 0 and newly[rows].any() and kept.size > 0  # every branch is exercised


def test_move_rows_renumber_peers_and_release():
    peers = np.array([[5, 0, -1], [2, 1, 3], [5, 4, 6], [0, 0, 0], [1, 1, 1], [3, 2, -1], [0, 0, 0]], dtype=np.int32)
    alive = np.array([False, True, True, False, False, True, False])
    keep = np.flatnonzero(alive)
    bookkeeping.renumber_peers(peers, alive, keep, np.cumsum(alive) - 1)
    bookkeeping.move_rows(peers, keep)
    np.testing.assert_array_equal(peers[:3], [[1, 0, -1], [2, -1, -1], [-1, 1, -1]])
    keep = np.array([1, 2, 5])
    column, wide = np.arange(7.0), np.arange(14).reshape(7, 2)
    bookkeeping.move_rows(column, keep)
    bookkeeping.move_rows(wide, keep)
    np.testing.assert_array_equal(column[:3], [1, 2, 5])
    np.testing.assert_array_equal(wide[:3], [[2, 3], [4, 5], [10, 11]])
    provider = np.array([[0, 1], [1, -1], [2, 0]])
    clients = np.array([2, 2, 1], dtype=np.int32)
    bookkeeping.release(provider, clients, np.array([0, 2]))
    np.testing.assert_array_equal(provider, [[-1, -1], [1, -1], [-1, -1]])
    np.testing.assert_array_equal(clients, [0, 1, 0])
    bookkeeping.release(provider, clients, np.array([1]))
    assert (provider == -1).all() and (clients == 0).all()


def test_demography_sweep_leaves_drifts_ages_and_counts_down_at_the_documented_rates():
    """Leaving, need drift and ageing at the rates of :mod:`model.rules.demography`; the departed are
    booked out (as ``depart``), those who move band get their new cell, and those who stay count
    down to their next review."""
    d = load_scenario("sds_rollout").demography
    n = 200_000
    was_alive = np.arange(n) % 10 != 0
    alive = was_alive.copy()
    group = np.full(n, 1, np.int8)
    need = np.full(n, 50.0, np.float32)
    age_band = np.full(n, 1, np.int8)
    council, quintile, cell = np.zeros(n, np.int16), np.full(n, 0, np.int8), np.zeros(n, np.int32)  # Q1
    option, balance = np.full(n, 3, np.int8), np.full(n, 10.0)
    provider = np.full((n, 2), -1)
    provider[:, 0] = 0
    clients = np.array([n], np.int32)
    review_in = np.where(np.arange(n) % 3 == 0, 1, 2).astype(np.int16)
    ledger = Ledger(1)
    clawback, services, departures = ledger.clawback, ledger.services_by_option, ledger.departures
    stock = np.array([np.count_nonzero(was_alive)])
    carer_hours = np.where(np.arange(n) % 2 == 0, 10.0, 0.0).astype(np.float32)
    required = np.full(n, -1.0, np.float32)
    P = _people(n, alive=alive, need=need, group=group, age_band=age_band, council=council, quintile=quintile,
                cell=cell, option=option, dp_balance=balance, provider=provider, offered=np.ones(n, bool),
                offer_rank=np.zeros(n, np.float32), review_in=review_in, carer_credit=carer_hours, required=required)
    due = demography_pass.demography_sweep(P.record(n), clients, np.zeros(1, np.float32), False, np.array([12]), stock,
                                           0.5, common.struct(d), stream.seed(np.random.default_rng(6)),
                                           ledger.record())
    alive, need, age_band, cell, option, balance = P.alive, P.need, P.age_band, P.cell, P.option, P.dp_balance
    provider, review_in, required = P.provider, P.review_in, P.required
    leaving, stay = np.flatnonzero(was_alive & ~alive), np.flatnonzero(alive)
    living = np.count_nonzero(was_alive)
    p = float(demography.departure_probability(1, 50.0, demography.mortality_gradient(d)[0], d))
    assert abs(leaving.size / living - p) < 4.5 * np.sqrt(p * (1 - p) / living)
    assert departures[0] == leaving.size and clawback[0] == pytest.approx(10.0 * leaving.size)
    assert stock[0] == np.count_nonzero(alive)  # the people who left are off the stock
    assert services[0, 2] == pytest.approx(-10.0 * leaving.size) and (balance[leaving] == 0).all()
    assert (option[leaving] == 0).all() and (provider[leaving] == -1).all() and clients[0] == n - leaving.size
    older = np.flatnonzero(age_band == 2)
    q = d.ageing_rate
    assert abs(older.size / stay.size - q) < 4.5 * np.sqrt(q * (1 - q) / stay.size)
    assert np.isin(older, stay).all() and (cell[older] == ((0 * 4 + 1) * 4 + 2) * 5 + 0).all()
    assert (cell[np.setdiff1d(stay, older)] == 0).all()
    drift = need[stay] - 50.0
    se = d.need_noise / np.sqrt(stay.size)
    assert abs(drift.mean() - d.need_drift[1]) < 4.5 * se
    assert drift.std() == pytest.approx(d.need_noise, rel=0.02)
    assert (need[~was_alive] == 50.0).all()
    # those who stay: the formal hours their drifted need asks for; nobody else's
    hours = budgets.required_hours(need[stay].astype(np.float64), carer_hours[stay].astype(np.float64), 0.5)
    np.testing.assert_array_equal(required[stay], hours.astype(np.float32))
    assert (required[~alive] == -1.0).all()
    np.testing.assert_array_equal(due, stay[stay % 3 == 0])
    assert (review_in[due] == 12).all() and (review_in[stay[stay % 3 != 0]] == 1).all()


def test_providers_month_applies_the_provider_rules():
    """Result, reserves, months in deficit, price and capacity by the rules of :mod:`model.rules.providers`
    on whole arrays; the rows returned are those whose deficit has lasted ``exit_after_months``."""
    rng = np.random.default_rng(8)
    p, n = load_scenario("sds_rollout").with_overrides({"providers.growth_occupancy": 0.5}).providers, 60
    ptype = rng.integers(0, 4, n).astype(np.int8)
    council = rng.integers(0, 3, n).astype(np.int16)
    people = np.array([500, 30, 0])  # living people by council: growth stops at two places each
    income, hours = rng.random(n) * 20_000, rng.random(n) * 800
    reserves, neg = rng.normal(0, 5000, n), rng.integers(0, p.exit_after_months, n).astype(np.int16)
    capacity = rng.integers(1, 60, n).astype(np.int32)
    clients = np.minimum(rng.integers(0, 70, n), capacity).astype(np.int32)
    price = 15 + rng.random(n) * 10
    var, fixed, ref, growth = rng.random(4) * 15, rng.random(4) * 8000, 18 + rng.random(4) * 5, rng.random(4)
    active = rng.random(n) < 0.8
    rows = np.flatnonzero(active)
    table = ProviderTable(n)
    table.append(n, active=active, ptype=ptype, council=council, income=income, hours=hours, clients=clients,
                 reserves=reserves, neg_months=neg, price=price, capacity=capacity, fixed_cost=fixed[ptype])
    Q = table.record(n)
    opening = rng.integers(1, 30, 4)
    costs = providers_pass.TypeCosts(var, ref, growth, opening)
    ledger = Ledger(3)
    closing = providers_pass.providers_month(Q, costs, people, 5, providers_pass.Closing(np.zeros(3), np.ones(3, int)),
                                             common.struct(p), ledger.record())
    assert not ledger.in_house_cost.any()  # no council's own centre
    t = ptype[rows]
    result = providers.operating_result(income[rows], hours[rows], var[t], fixed[t])
    occ = clients[rows] / np.maximum(capacity[rows], 1)
    months = providers.next_neg_months(reserves[rows] + result, neg[rows])
    np.testing.assert_allclose(Q.profit[rows], result)
    np.testing.assert_allclose(Q.reserves[rows], reserves[rows] + result)
    np.testing.assert_array_equal(Q.neg_months[rows], months)
    np.testing.assert_allclose(Q.price[rows], providers.next_price(price[rows], occ, var[t], ref[t], p))
    grown = providers.next_capacity(capacity[rows], occ, result, growth[t], people[council[rows]], clients[rows],
                                   opening[t], p)
    np.testing.assert_array_equal(Q.capacity[rows], grown)
    assert (grown > capacity[rows]).any() and (grown < capacity[rows]).any()
    assert ((council[rows] == 1) & (grown == 60)).any()  # stopped at the places 30 people could fill
    assert (grown[council[rows] == 2] <= capacity[rows][council[rows] == 2]).all()  # nobody there: no growth
    np.testing.assert_array_equal(closing, rows[providers.exits(months, p)])
    others = np.setdiff1d(np.arange(n), rows)
    np.testing.assert_array_equal(Q.reserves[others], reserves[others])
    np.testing.assert_array_equal(Q.capacity[others], capacity[others])
    assert closing.size > 0  # the case exercises exit


def test_choice_state_is_control_and_felt_burden_of_the_option():
    rng = np.random.default_rng(9)
    ch, n = load_scenario("sds_rollout").choice.model_copy(update={"carer_management_help": 0.4}), 200
    P = _people(n, option=rng.integers(0, 5, n), confidence=rng.random(n), supported=rng.random(n) < 0.4,
                council=rng.integers(0, 2, n), control=-1.0, burden=-1.0,
                carer_hours=rng.random(n) * 10 * (rng.random(n) < 0.5))
    reduction, account = np.array([0.5, 0.2], dtype=np.float32), np.array([0.0, 0.3])
    rows = np.arange(0, n, 2)
    support_and_choice.choice_state(rows, P.record(n), reduction, account, common.struct(ch))
    option, confidence, supported, council = P.option[rows], P.confidence[rows], P.supported[rows], P.council[rows]
    has, idx = option > 0, np.maximum(option - 1, 0)
    np.testing.assert_allclose(P.control[rows], np.asarray(ch.control)[idx] * has, rtol=1e-6)
    left = choice.management_help(supported, reduction[council], P.carer_hours[rows] > 0, 0.4,
                                  account[council] * np.isin(option, [1, 4]))
    felt = choice.felt_burden(np.asarray(ch.burden)[idx], confidence, left)
    np.testing.assert_allclose(P.burden[rows], felt * has, rtol=1e-6)
    assert (P.control[1:n:2] == -1).all()


def test_apply_options_sets_options_ends_changed_packages_and_sets_choice_state():
    """People choosing take their chosen option, the others reviewed stay on Option 3; a changed
    option ends the old provider relationships, an unchanged one keeps them; control and felt
    burden are those of the option held (as ``choice_state``). Those choosing remember the decision
    (:func:`choice.remember`), and those who held an option they had chosen are counted by
    council: reviews, prompted, and changes by prompt."""
    rng = np.random.default_rng(11)
    n, ch = 200, common.struct(Choice())
    option, provider = rng.integers(1, 5, n), rng.integers(-1, 10, (n, 2))
    clients = np.bincount(provider[provider >= 0], minlength=10).astype(np.int32)
    chose_at = np.where(rng.random(n) < 0.7, rng.integers(0, 20, n), NEVER).astype(np.int16)
    P = _people(n, option=option, provider=provider, confidence=rng.random(n), supported=rng.random(n) < 0.3,
                council=rng.integers(0, 2, n), control=-1.0, burden=-1.0, chose_at=chose_at, need=rng.random(n) * 50,
                carer_hours=rng.random(n) * 10 * (rng.random(n) < 0.5))
    expected = _people(n, **{name: P.view(name).copy() for name in (*People.FIELDS, *People.WIDE)})
    reduction = np.array([0.2, 0.5], dtype=np.float32)
    rows = rng.permutation(n)[:120]
    choosing, kept = np.sort(rows[:80]), np.sort(rows[80:])
    chosen = rng.integers(1, 5, choosing.size).astype(np.int8)
    why = rng.integers(0, N_PROMPTS, choosing.size).astype(np.int8)
    chose = rng.random(choosing.size) < 0.6
    ledger = Ledger(2)
    account = np.array([0.1, 0.0])
    support_and_choice.apply_options(choosing, chosen, why, chose, kept, 30, P.record(n), clients, reduction, account,
                                     ch, ledger.option_reviews, ledger.prompted, ledger.changes_by_prompt)
    target = option.copy()
    target[choosing], target[kept] = chosen, 3
    np.testing.assert_array_equal(P.view("option"), target)
    changed = target != option
    assert (P.provider[:n][changed] == -1).all()
    np.testing.assert_array_equal(P.view("seeking"), changed)  # a new option seeks its providers
    np.testing.assert_array_equal(P.provider[:n][~changed], provider[~changed])
    np.testing.assert_array_equal(clients, np.bincount(P.provider[:n][P.provider[:n] >= 0], minlength=10))
    expected.option[:n] = target
    support_and_choice.choice_state(np.sort(rows), expected.record(n), reduction, account, ch)
    np.testing.assert_array_equal(P.view("control"), expected.view("control"))
    np.testing.assert_array_equal(P.view("burden"), expected.view("burden"))
    untouched = np.setdiff1d(np.arange(n), rows)
    assert (P.control[untouched] == -1).all() and changed.any() and (~changed[rows]).any()
    # What those choosing remember, and the counts of the decisions of those who had chosen before.
    np.testing.assert_array_equal(P.chose_at[choosing], np.where(chose, 30, chose_at[choosing]))
    np.testing.assert_array_equal(P.chose_need[choosing][chose], P.need[choosing][chose])
    news = changed[choosing] & ((option[choosing] > 0) | np.isin(chosen, [1, 4]))
    np.testing.assert_array_equal(P.moved_at[choosing], np.where(news, 30, NEVER))
    assert (P.chose_at[kept] == chose_at[kept]).all() and (P.moved_at[kept] == NEVER).all()
    before = chose_at[choosing] != NEVER
    council = P.council[choosing]
    np.testing.assert_array_equal(ledger.option_reviews, np.bincount(council[before], minlength=2))
    np.testing.assert_array_equal(ledger.prompted, np.bincount(council[before & (why > 0)], minlength=2))
    moved = before & changed[choosing]
    np.testing.assert_array_equal(ledger.changes_by_prompt, np.bincount(council[moved] * N_PROMPTS + why[moved],
                                                                        minlength=2 * N_PROMPTS).reshape(2, -1))
    assert 0 < moved.sum() < before.sum()


def test_depart_and_displace_end_relationships_and_book_money_and_people():
    rng = np.random.default_rng(12)
    n = 300
    council, option = rng.integers(0, 3, n).astype(np.int16), rng.integers(0, 5, n).astype(np.int8)
    balance = rng.random(n) * 500 * (rng.random(n) < 0.5)
    provider = np.where(option[:, None] > 0, rng.integers(-1, 8, (n, 2)), -1)
    clients = np.bincount(provider[provider >= 0], minlength=8).astype(np.int32)
    alive = np.ones(n, bool)
    rows = np.flatnonzero(rng.random(n) < 0.2)
    ledger = Ledger(3)
    clawback, services, departures = ledger.clawback, ledger.services_by_option, ledger.departures
    old_option, old_balance = option.copy(), balance.copy()
    P = _people(n, council=council, option=option, dp_balance=balance, alive=alive, provider=provider)
    demography_pass.depart(rows, P.record(n), clients, ledger.record())
    option, balance, alive, provider = P.option, P.dp_balance, P.alive, P.provider
    np.testing.assert_array_equal(departures, np.bincount(council[rows], minlength=3))
    np.testing.assert_array_equal(clawback, np.bincount(council[rows], old_balance[rows], minlength=3))
    expected = np.zeros((3, 4))
    np.add.at(expected, (council[rows], np.maximum(old_option[rows] - 1, 0)), -old_balance[rows])
    np.testing.assert_allclose(services, expected, rtol=1e-12)
    assert not alive[rows].any() and (option[rows] == 0).all() and (balance[rows] == 0).all()
    assert (provider[rows] == -1).all() and alive.sum() == n - rows.size
    np.testing.assert_array_equal(clients, np.bincount(provider[provider >= 0], minlength=8))
    # providers 2 and 5 close: every link to them ends, counted by council once per slot
    closing = np.isin(np.arange(8), [2, 5])
    linked = closing[np.maximum(provider, 0)] & (provider >= 0)
    displaced, seeking = ledger.displaced, P.seeking
    total = bookkeeping.displace(P.record(n), clients, closing, ledger.record())
    assert total == linked.sum() > 0 and not np.isin(provider, [2, 5]).any()
    np.testing.assert_array_equal(seeking, linked.any(axis=1))  # the displaced seek providers again
    np.testing.assert_array_equal(displaced, np.bincount(np.repeat(council, 2)[linked.ravel()], minlength=3))
    assert clients[2] == clients[5] == 0


def test_seekers_are_the_flagged_rows_with_a_slot_to_fill():
    """Seekers (row, slot): living people flagged ``seeking`` with a budget, hours needed and a
    budget slot without a provider; slot-0 seekers first, then slot 1, each in row order. The flag
    is cleared where every slot has a provider (or there is no package, or the person left) and
    kept where a slot still lacks one (even with no hours needed this month)."""
    rng = np.random.default_rng(13)
    n = 500
    option = rng.integers(0, 5, n).astype(np.int8)
    provider = np.where(option[:, None] > 0, rng.integers(-1, 4, (n, 2)), -1).astype(np.int32)
    provider[option != 4, 1] = -1
    alive, flagged = rng.random(n) < 0.9, rng.random(n) < 0.7
    budget = np.where(rng.random(n) < 0.9, 100.0, 0.0).astype(np.float32)
    required = np.where(rng.random(n) < 0.9, 20.0, 0.0).astype(np.float32)
    P = _people(n, option=option, provider=provider, alive=alive, seeking=flagged, budget=budget, required=required)
    price, ptype, type_maxh = np.full(4, 10.0, np.float32), np.zeros(4, np.int8), np.full(4, 18.0, np.float32)
    rows, slots = matching.seekers(P.record(n), price, ptype, type_maxh, np.zeros(1), False)
    seeking = P.view("seeking")
    modes = market.SLOT_MODES[option]
    lack = (modes != market.MODE_NONE) & (provider < 0) & alive[:, None]
    wants = lack & flagged[:, None] & ((budget > 0) & (required > 0))[:, None]
    np.testing.assert_array_equal(rows, np.concatenate([np.flatnonzero(wants[:, 0]), np.flatnonzero(wants[:, 1])]))
    np.testing.assert_array_equal(slots, np.repeat([0, 1], wants.sum(axis=0)))
    np.testing.assert_array_equal(seeking, flagged & lack.any(axis=1))
    assert wants[:, 1].any() and (flagged & lack.any(axis=1) & ~wants.any(axis=1)).any()


def test_seekers_of_top_up_slots_are_packages_whose_first_provider_leaves_hours_to_buy():
    """With top-up slots (providers.top_up), a flagged living package of Options 1-3 with a provider in
    slot 0 and none in slot 1 seeks one in slot 1 exactly when :func:`model.rules.market.needs_top_up`
    holds for slot 0's provider (its price and its type's cap); Option 4 as without."""
    rng = np.random.default_rng(14)
    n = 400
    option = rng.integers(1, 5, n).astype(np.int8)
    provider = np.full((n, 2), -1, np.int32)
    provider[:, 0] = rng.integers(0, 4, n)
    price, ptype = np.array([6.0, 21.0, 14.0, 8.0], np.float32), np.arange(4, dtype=np.int8)
    type_maxh = np.array([18.0, 40.0, 40.0, 8.0], np.float32)
    required = rng.uniform(0, 200, n).astype(np.float32)
    budget = rng.uniform(0, 3000, n).astype(np.float32)
    P = _people(n, option=option, provider=provider, alive=np.ones(n, bool), seeking=np.ones(n, bool), budget=budget,
                required=required)
    rows, slots = matching.seekers(P.record(n), price, ptype, type_maxh, np.zeros(1), True)
    q = provider[:, 0]
    needs = np.array([market.needs_top_up(int(option[i]), True, bool(ptype[q[i]] == AGENCY), float(price[q[i]]),
                                          0.0, float(type_maxh[q[i]]), float(required[i]), float(budget[i]), True)
                      for i in range(n)])
    expected = np.where(option == 4, (budget > 0) & (required > 0), needs)
    np.testing.assert_array_equal(rows[slots == 1], np.flatnonzero(expected))
    assert needs.any() and not needs.all()


def test_finance_costs_and_charges_each_package_by_council():
    """The finance pass adds each council's admin cost (its option's cost per person with a package,
    :func:`model.rules.budgets.admin_cost`) and each person's charge (their council's charge rate on
    the chargeable share of their budget); people without a package (including the rows of people
    who have left) cost and pay nothing."""
    rng = np.random.default_rng(3)
    option = rng.integers(0, 5, 500).astype(np.int8)
    council = rng.integers(0, 3, 500).astype(np.int16)
    budget = rng.uniform(0, 3000, 500).astype(np.float32)
    costs = np.array([[25.0, 40.0, 30.0, 45.0], [10.0, 0.0, 12.5, 7.0], [1.0, 2.0, 3.0, 4.0]])
    rates = np.array([0.0, 0.2, 0.5])
    ledger = Ledger(3)
    admin = ledger.admin
    admin[:] = 100.0
    charges = finance.finance(_people(500, option=option, council=council, budget=budget).record(500), costs, rates,
                              0.3, ledger.record())
    per_person = np.where(option > 0, costs[council, np.maximum(option, 1) - 1], 0.0)
    np.testing.assert_allclose(admin, 100.0 + np.bincount(council, per_person, minlength=3), rtol=1e-12)
    paid = np.where(option > 0, rates[council] * 0.3 * budget.astype(float), 0.0)
    np.testing.assert_allclose(charges, np.bincount(council, paid, minlength=3), rtol=1e-12)
    assert charges[0] == 0 and charges[2] > charges[1] > 0


def test_a_waiting_list_assesses_the_longest_waits_first_and_holds_the_rest():
    """Council 0 may assess 3 people this month, council 1 has no list: of council 0's six people due,
    the three who have waited longest (row order among equals) are assessed; the others wait a month
    more, are due again next month and are counted (with their months waited, and whether they have
    a package)."""
    n = 9
    council = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1], np.int16)
    waited = np.array([0, 2, 0, 1, 0, 2, 5, 0, 0], np.int16)
    option = np.array([3, 0, 3, 0, 3, 3, 3, 0, 3], np.int8)
    P = _people(n, alive=np.ones(n, bool), offered=np.zeros(n, bool), offer_rank=np.ones(n, np.float32),
                council=council, review_in=np.full(n, 12, np.int16), option=option, need=np.full(n, 50.0, np.float32),
                waiting=waited)
    ledger = Ledger(2)
    councils = reviews.Councils(np.zeros(2, np.float32), np.array([12, 12]), np.array([25.0, 25.0]),
                                np.array([45.0, 45.0]), np.array([3, -1]), np.array([250.0, 250.0]))
    reviews.reviews(np.arange(n), n, P.record(n), np.zeros(1, np.int32), councils, False, 0.5,
                    common.struct(Budgets()), ledger.record())
    waited, review_in, assessments = P.waiting[:n], P.review_in[:n], ledger.assessments
    listed = (ledger.waiting, ledger.waiting_months, ledger.waiting_new)
    assessed = np.array([False, True, False, True, False, True, True, True, True])  # rows 5, 1 (2 months), 3 (1)
    np.testing.assert_array_equal(waited, np.where(assessed, 0, [1, 0, 1, 0, 1, 0, 0, 0, 0]))
    np.testing.assert_array_equal(review_in[~assessed], 0)
    np.testing.assert_array_equal(assessments, [3, 3])
    np.testing.assert_array_equal(listed[0], [3, 0])   # people waiting by council
    np.testing.assert_array_equal(listed[1], [3, 0])   # their months waited
    np.testing.assert_array_equal(listed[2], [0, 0])   # of them without a package (rows 0, 2, 4 hold one)


def test_block_places_round_half_to_even_at_open_day_centres_only():
    active = np.array([True, True, True, False, True])
    ptype = np.array([0, 0, 1, 0, 0], dtype=np.int8)
    council = np.array([0, 1, 0, 0, 1], dtype=np.int16)
    capacity = np.array([25, 35, 40, 30, 21], dtype=np.int32)
    share = np.array([0.5, 0.5])
    table = ProviderTable(5)
    table.append(5, active=active, ptype=ptype, council=council, capacity=capacity, block_places=np.full(5, 99))
    bookkeeping.block_places(table.record(5), share, np.ones(2))
    places = table.block_places[:5]
    expected = np.where(active & (ptype == 0), np.round(share[council] * capacity), 0)
    np.testing.assert_array_equal(places, expected)
    np.testing.assert_array_equal(places, [12, 18, 0, 0, 10])
    # A named centre's block places at the start, times its council's run-down, at most its capacity.
    table.block_start[:5] = [10, -1, -1, 4, 30]
    bookkeeping.block_places(table.record(5), share, np.array([0.25, 0.9]))
    np.testing.assert_array_equal(table.block_places[:5], [2, 18, 0, 0, 21])  # 2.5 -> 2; 27 -> 21 places


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 3000), pool=st.sampled_from([2, 50, 2**53]))
def test_in_priority_order_sorts_items_by_priority(seed, n, pool):
    """Matching's bucket sort is a stable sort of the items by priority, including on ties (a
    small ``pool`` of distinct values) and on the empty set."""
    rng = np.random.default_rng(seed)
    u = rng.integers(0, pool, 2 * n) / pool
    items = np.flatnonzero(rng.random(2 * n) < 0.5)
    np.testing.assert_array_equal(matching.in_priority_order(items, u),
                                  items[np.argsort(u[items], kind="stable")])


def test_group_order_is_a_stable_counting_sort():
    order, start = common.group_order(np.array([10, 11, 12, 13, 14]), np.array([2, 0, 2, 1, 0]), 4)
    np.testing.assert_array_equal(order, [11, 14, 13, 10, 12])  # within a group, the items' own order
    np.testing.assert_array_equal(start, [0, 2, 3, 5, 5])        # group 3 is empty
    rng = np.random.default_rng(13)
    keys = rng.integers(0, 7, 500)
    order, start = common.group_order(np.arange(500), keys, 7)
    np.testing.assert_array_equal(order, np.argsort(keys, kind="stable"))
    np.testing.assert_array_equal(np.diff(start), np.bincount(keys, minlength=7))


@numba.njit
def _second(a: np.ndarray) -> float:
    return a[1]


def test_a_pass_keeps_one_entry_per_set_of_argument_types():
    """:class:`common.Pass` calls numba's entry point for the types it has seen, and goes through
    the dispatcher (a new entry) when an argument's dtype, layout or writeability differs: a
    strided view and a read-only array are not taken for the contiguous array they resemble."""
    second = common.Pass(_second)
    a = np.arange(6.0)
    frozen = a.copy()
    frozen.flags.writeable = False
    assert [second(a), second(a[::2]), second(a.astype(np.float32)), second(frozen), second(a)] == [1, 2, 1, 1, 1]
    assert len(second.entries) == 4


def test_a_pass_takes_a_tables_record_by_its_class_and_any_other_tuple_by_its_items():
    """A table's own record is keyed by its class (its columns are the table's arrays); the same
    columns in a record made elsewhere are keyed column by column, so a strided column gets an
    entry of its own."""
    P = _people(5)
    record = P.record(P.n)
    assert common._kind(record) is People.Record
    copied = People.Record(*record)
    assert common._kind(copied) != People.Record
    strided = copied._replace(need=np.zeros(10, np.float32)[::2])
    assert common._kind(strided) not in (People.Record, common._kind(copied))


def test_the_engine_s_passes_give_what_the_dispatchers_give():
    """A run with every pass called through :class:`common.Pass` (the engine's way) and one with
    numba's dispatchers called directly give the same monthly figures to the last bit, and each
    pass is typed once in a run (one entry each)."""
    from model import simulate
    from model.engines.vector import engine

    scenario = load_scenario("sds_rollout", {"run.people": 600, "run.months": 48})
    passes = dict(vars(engine.Passes))
    fresh = {name: common.Pass(p.dispatcher) for name, p in passes.items()}  # no entries from other tests
    try:
        vars(engine.Passes).update(fresh)
        fast = simulate(scenario, seed=4).monthly
        vars(engine.Passes).update({name: p.dispatcher for name, p in passes.items()})
        direct = simulate(scenario, seed=4).monthly
    finally:
        vars(engine.Passes).update(passes)
    pd.testing.assert_frame_equal(fast, direct, check_exact=True)
    for name in ("month", "reviews", "support_and_choice", "match", "purchase_and_outcomes", "finance"):
        assert len(fresh[name].entries) == 1, name


@numba.njit("float64(float64[::1], int64)")
def _scaled(a: np.ndarray, k: int) -> float:
    return a[0] * k


def test_a_pass_called_with_types_numba_converts_runs_through_the_dispatcher():
    """When numba answers a call with an overload compiled for other types (a function compiled
    for a 64-bit integer, given a 32-bit one), :class:`common.Pass` returns its result and keeps
    no entry for those types (there is no entry point compiled for them), so such calls keep going
    through the dispatcher."""
    scaled = common.Pass(_scaled)
    a = np.ones(3)
    assert [scaled(a, 3), scaled(a, np.int32(4)), scaled(a, np.int32(5)), scaled(a, 6)] == [3.0, 4.0, 5.0, 6.0]
    assert list(scaled.entries) == [(common._kind(a), int)]
