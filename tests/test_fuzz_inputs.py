"""Fuzzing what a user types: scenario files, ``--set``, parameter spaces and uploads (issue 26).

Every generated input must end one of two ways: a :class:`~model.scenario.ScenarioError` whose
message is one line, or a valid scenario whose run (at most 300 people and 24 months) keeps every
invariant of :class:`tests.test_economy.Invariants` each month and reports no infinite figure.
Values are drawn around each parameter's documented range: its corners, inside, just outside,
NaN and infinities, wrong types, and list parameters with such elements or the wrong length.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from model.engines import CareEconomy
from model.experiments.runner import ScenarioTarget
from model.experiments.sensitivity import loads_space, sample
from model.scenario import (
    MAX_KEY_PARTS,
    MAX_NESTING,
    Scenario,
    ScenarioError,
    load_scenario,
    loads_scenario,
    parameter_table,
    parse_override,
    set_dotted,
)
from tests.conftest import shrink
from tests.inputs_table import handles
from tests.test_economy import Invariants, run_checked

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
BASE = shrink("sds_rollout", 300, 24)
#: Parameters a user may change (the run's size and horizon are fixed at 300 people and 24 months).
ROWS = [{**r, "name": r["name"].replace(".N.", ".0.")} for r in parameter_table() if not r["name"].startswith("run.")]
ODD = [math.nan, math.inf, -math.inf, "ten", True, [], {"a": 1}, 2**70, -1e300]


def element(lo: float | None, hi: float | None, whole: bool) -> st.SearchStrategy[Any]:
    """A number around [lo, hi]: the corners (most often), inside, just outside, or not finite."""
    lo = -1e6 if lo is None else lo
    hi = 1e6 if hi is None else hi
    span = max(hi - lo, 1.0)
    if whole:
        inside = st.integers(int(lo), int(min(hi, lo + 10_000)))
        outside = st.sampled_from([int(lo) - 1, int(hi) + 1])
    else:
        inside = st.floats(lo, hi)
        outside = st.sampled_from([lo - span * 1e-3, hi + span * 1e-3, lo - 1, hi + 1])
    return st.one_of(st.sampled_from([lo, hi] if not whole else [int(lo), int(hi)]), inside, outside,
                     st.sampled_from([math.nan, math.inf, -math.inf]))


def value_for(row: dict[str, Any]) -> st.SearchStrategy[Any]:
    default, (lo, hi) = row["default"], row["range"]
    if isinstance(default, bool):
        base: st.SearchStrategy[Any] = st.booleans()
    elif isinstance(default, list):
        whole = row["element"] == "int"
        base = st.one_of(st.lists(element(lo, hi, whole), min_size=len(default), max_size=len(default)),
                         st.lists(element(lo, hi, whole), max_size=len(default) + 2))
    elif isinstance(default, int | float):
        base = element(lo, hi, isinstance(default, int))
    else:
        base = st.sampled_from(["first_come", "most_deprived", "everyone"])
    return st.integers(0, 3).flatmap(lambda i: st.sampled_from(ODD) if i == 0 else base)  # one in four odd


mutations = st.lists(st.sampled_from(ROWS).flatmap(lambda r: st.tuples(st.just(r["name"]), value_for(r))),
                     min_size=1, max_size=3)


def assert_one_line(err: ScenarioError) -> None:
    message = str(err)
    assert message.strip() and "\n" not in message and "Traceback" not in message, repr(message)


def run_and_check(scenario: Scenario, seed: int) -> None:
    """A valid scenario's run keeps every invariant, every month, and reports no infinite figure."""
    assert scenario.run.people <= 300 and scenario.run.months <= 24
    checked = Invariants(CareEconomy(scenario, seed=seed))
    checked.run(scenario.run.months)
    rows = checked.recorder.rows
    for name in rows[-1]:
        values = np.array([row[name] for row in rows], dtype=float)
        assert not np.isinf(values).any(), f"{name} is infinite"


def outcome(make, seed: int) -> None:
    """Call ``make()``: a one-line refusal, or a valid scenario run with its invariants checked (the
    share of each is in pytest's ``--hypothesis-show-statistics``)."""
    try:
        scenario = make()
    except ScenarioError as err:
        assert_one_line(err)
        event("refused in one line")
        return
    run_and_check(scenario, seed)
    event("valid: ran, invariants held")


def mutated(changes: list[tuple[str, Any]]) -> dict[str, Any]:
    data = BASE.to_dict()
    for key, value in changes:
        set_dotted(data, key, value)
    return data


# ---------------------------------------------------------------------------------------- scenario files
@handles("scenario file (fuzz)", "1-3 parameters at a corner, inside or just outside their range, NaN/inf, "
         "of a wrong type; list elements likewise; lists of the wrong length",
         "one-line refusal, or a run whose invariants hold")
@settings(FUZZ, max_examples=60)
@given(changes=mutations, seed=st.integers(0, 2**32))
def test_fuzzed_scenario_files(tmp_path_factory, changes, seed):
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.toml"
    path.write_text(tomli_w.dumps(mutated(changes)), encoding="utf-8")
    outcome(lambda: load_scenario(path), seed)


@handles("scenario file (fuzz)", "corners of every documented range, one parameter at a time (low, then high)",
         "one-line refusal (a constraint between fields), or a run whose invariants hold")
@pytest.mark.parametrize("corner", [0, 1], ids=["low", "high"])
def test_every_parameter_at_the_corners_of_its_range(corner):
    """Each parameter alone at the bottom, then the top, of its documented range (lists: every element)."""
    ran = 0
    for row in ROWS:
        bound = row["range"][corner]
        if bound is None or isinstance(row["default"], bool):
            continue
        kind = {"int": int, "float": float}
        value = [kind[row["element"]](bound)] * max(len(row["default"]), 1) if isinstance(row["default"], list) \
            else type(row["default"])(bound)
        try:
            scenario = BASE.with_overrides({row["name"]: value})
        except ScenarioError as err:
            assert_one_line(err)
            continue
        model = run_checked(scenario, 7, months=6)
        assert model.month == 6
        ran += 1
    assert ran > len(ROWS) // 2


# ---------------------------------------------------------------------------------------- --set
GARBAGE_KEYS = st.from_regex(r"[a-z0-9_]{1,8}(\.[a-z0-9_*]{1,8}){0,5}", fullmatch=True)
RAW = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "-0", "0x10", "true", '"x"', "[]", "[nan, 0, 0, 0]",
                     "[inf, 1, 1, 1]", "[-5, 0.6, 0, 0.6]", "{}", "1979-05-27", "[[1]]", "'''a'''"]),
    st.integers(0, 3 * MAX_NESTING).map(lambda d: "[" * d + "1" + "]" * d),
    st.integers(0, 3 * MAX_NESTING).map(lambda d: "{a = " * d + "1" + "}" * d),
    st.integers(1, 4 * MAX_KEY_PARTS).map(lambda k: "{ " + ".".join(["a"] * k) + " = 1 }"),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.lists(st.floats(-20, 120), min_size=3, max_size=6).map(repr),
)


@st.composite
def overrides(draw) -> str:
    """``key=value``: a parameter's name (or a made-up key) and a value drawn around its range, written
    as TOML, or text from ``RAW``."""
    row = draw(st.sampled_from(ROWS))
    key = draw(st.one_of(st.just(row["name"]), st.just(row["name"]), GARBAGE_KEYS))
    typed = value_for(row).filter(lambda v: not isinstance(v, dict)).map(lambda v: tomli_w.dumps({"v": v})[4:])
    raw = draw(typed) if draw(st.integers(0, 3)) else draw(RAW)  # three in four typed
    return f"{key}={raw.strip()}"


@handles("--set (fuzz)", "known and unknown dotted keys with random text, numbers, NaN/inf, lists, dates, "
         "nested arrays and inline tables up to 48 deep, dotted keys up to 64 parts",
         "one-line refusal, or a run whose invariants hold")
@settings(FUZZ, max_examples=150)
@given(override=overrides(), seed=st.integers(0, 2**32))
def test_fuzzed_set_overrides(override, seed):
    def make() -> Scenario:
        k, value = parse_override(override)
        return BASE.with_overrides({k: value})

    outcome(make, seed)


# ---------------------------------------------------------------------------------------- parameter spaces
SPEC_VALUE = st.one_of(st.floats(-1e4, 1e4), st.integers(-100, 10_000), st.sampled_from(ODD[:5]))
SPEC = st.dictionaries(st.sampled_from(["low", "high", "distribution", "mode", "mean", "sd", "step"]),
                       st.one_of(SPEC_VALUE, st.sampled_from(["uniform", "triangular", "truncnorm", "normal"])),
                       max_size=5)
SPACE_NAMES = st.one_of(st.sampled_from([r["name"].replace("councils.0.", "councils.*.") for r in ROWS]),
                        st.sampled_from([r["name"] for r in ROWS]), st.sampled_from(["x1", "run.seed", "nope.x"]))


@st.composite
def spaces(draw) -> str:
    params: dict[str, Any] = {}
    for name in draw(st.lists(SPACE_NAMES, max_size=4, unique=True)):
        row = next((r for r in ROWS if r["name"] == name.replace("councils.*.", "councils.0.")), None)
        if row is not None and row["range"][0] is not None and draw(st.booleans()):  # mostly sensible bounds
            lo, hi = row["range"]
            a, b = sorted(draw(st.lists(element(lo, hi, False), min_size=2, max_size=2)))
            params[name] = {"low": a, "high": b, **draw(SPEC)}
        else:
            params[name] = draw(st.one_of(SPEC, SPEC_VALUE))
    data: dict[str, Any] = {"name": draw(st.one_of(st.text(max_size=8), st.integers())), "parameters": params}
    if draw(st.booleans()):
        data["model"] = draw(st.sampled_from(["scenario", "ishigami", "other"]))
    return tomli_w.dumps(data)


@handles("parameter space (fuzz)", "known, council-wide and unknown parameters; bounds inside, inverted, empty, "
         "outside or NaN/inf; distributions with missing or extra keys",
         "one-line refusal, or a space whose design points are inside its bounds and valid or refused in one line")
@settings(FUZZ, max_examples=150)
@given(text=spaces(), seed=st.integers(0, 2**31))
def test_fuzzed_parameter_spaces(text, seed):
    try:
        space = loads_space(text)
    except ScenarioError as err:
        assert_one_line(err)
        return
    X = sample(space, "lhs", 3, seed)
    for p, column in zip(space.parameters, X.T, strict=True):
        assert np.all((column >= p.low - 1e-9) & (column <= p.high + 1e-9)), p
    if space.model == "scenario":
        target = ScenarioTarget(BASE)
        for row in X:
            try:
                space.check_scenario(BASE)
                target.check(space.point(row))
            except ScenarioError as err:
                assert_one_line(err)


# ---------------------------------------------------------------------------------------- uploads
@st.composite
def uploads(draw) -> str:
    kind = draw(st.sampled_from(["text", "dotted", "nested", "mutated", "spliced"]))
    if kind == "text":
        return draw(st.text(max_size=300))
    if kind == "dotted":
        return ".".join(["a"] * draw(st.integers(1, 4 * MAX_KEY_PARTS))) + " = 1\n"
    if kind == "nested":
        d = draw(st.integers(1, 3 * MAX_NESTING))
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a = ", "}")]))
        return "x = " + opener * d + "1" + closer * d + "\n"
    text = tomli_w.dumps(mutated(draw(mutations)))
    if kind == "spliced":  # a fragment of random text put somewhere in a valid file
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=20)) + text[at:]
    return text


@handles("upload (fuzz)", "random text, dotted keys up to 64 parts, nesting up to 48 deep, valid files with "
         "mutated parameters or random text spliced in", "one-line refusal, or a run whose invariants hold")
@settings(FUZZ, max_examples=120)
@given(text=uploads(), seed=st.integers(0, 2**32))
def test_fuzzed_uploads(text, seed):
    outcome(lambda: loads_scenario(text), seed)


# ---------------------------------------------------------------------------------------- empty groups
@handles("scenario (empty groups)", "nobody can hold a package (budgets.ras_rate = 0, alone or with "
         "eligibility_threshold = 100)", "runs; every figure over people with a package (shares, means, gaps, "
         "concentration indices, cost per person) is missing (NaN), never 0 or the whole spend; the equity table "
         "counts the people with need")
@pytest.mark.parametrize("override", [{"budgets.ras_rate": 0.0},
                                      {"budgets.ras_rate": 0.0, "budgets.eligibility_threshold": 100.0,
                                       "budgets.threshold_max": 100.0}],
                         ids=["ras_rate_0", "and_threshold_100"])
def test_nobody_with_a_package_leaves_figures_missing(override):
    from model.metrics.recorder import MonthRecorder
    from model.run.simulation import run_recorded

    scenario = BASE.with_overrides(override)
    model = CareEconomy(scenario, seed=2)
    rec = MonthRecorder(model)
    run_recorded(model, rec)
    row = rec.rows[-1]
    assert row["with_package"] == 0 and row["council_spend"] >= 0
    undefined = ["cost_per_person", "met_need", "wellbeing", "unmet_need", "equity_gap",
                 *(f"share_option{j}" for j in (1, 2, 3, 4)),
                 *(f"{kind}_{name}" for kind in ("gap", "ci") for name in ("met_need", "wellbeing", "option1"))]
    missing = [name for name in undefined if not np.isnan(row[name])]
    assert not missing, f"made-up figures with nobody behind them: {missing}"
    equity = rec.equity.query("month == 24").set_index(["outcome", "dimension", "group", "measure"])
    dp = equity.loc["direct_payment"]
    assert (dp["people"] == 0).all() and dp["value"].isna().all()
    has = equity.loc[("has_package", "all", "all", "mean")]
    if has["people"]:  # at threshold 100, perhaps nobody with need either
        assert has["value"] == 0.0
    else:
        assert np.isnan(has["value"])


@handles("scenario (empty groups)", "an empty deprivation quintile (councils.0.deprivation = [0, 0.25, 0.25, 0.25, "
         "0.25])", "runs; the Q5 - Q1 gaps are missing (NaN), not a gap against 0; concentration indices are over "
         "the quintiles with people; the equity table's Q1 rows count 0 people and are missing")
def test_an_empty_quintile_leaves_gaps_missing():
    from model.metrics.recorder import MonthRecorder
    from model.run.simulation import run_recorded

    scenario = BASE.with_overrides({"councils.0.deprivation": [0.0, 0.25, 0.25, 0.25, 0.25]})
    model = CareEconomy(scenario, seed=4)
    rec = MonthRecorder(model)
    run_recorded(model, rec)
    row = rec.rows[-1]
    assert row["with_package"] > 0 and np.isfinite(row["cost_per_person"])
    for name in ("equity_gap", "gap_met_need", "gap_wellbeing", "gap_control", "gap_satisfaction", "gap_option1"):
        assert np.isnan(row[name]), name
    assert np.isfinite(row["ci_met_need"])
    equity = rec.equity
    q1 = equity[(equity["dimension"] == "quintile") & (equity["group"] == "Q1")]
    assert (q1["people"] == 0).all() and q1["value"].isna().all()
    assert equity.query("dimension == 'all' and measure == 'concentration'")["value"].notna().any()


@handles("study (empty groups)", "an output undefined (NaN: nobody behind it) in some of a study's runs",
         "that output is not analysed: its indices are missing and one line names it with the count of runs; the "
         "other outputs are analysed")
def test_a_study_output_undefined_in_some_runs_is_named_not_analysed():
    from model.experiments.sensitivity import analyse, undefined_message, undefined_runs

    space = loads_space('[parameters]\n"budgets.ras_rate" = { low = 10, high = 60 }\n'
                        '"budgets.eligibility_threshold" = { low = 10, high = 40 }')
    X = sample(space, "morris", 6, 3)
    rng = np.random.default_rng(0)
    gap = X[:, 0] * 0.01 + rng.normal(0, 0.01, len(X))
    gap[[2, 5]] = np.nan  # two runs with an empty quintile
    Y = pd.DataFrame({"gap_met_need": gap, "council_spend": X[:, 1] * 3.0 + X[:, 0]})
    assert undefined_runs(Y) == {"gap_met_need": 2}
    message = undefined_message("gap_met_need", 2, len(X))
    assert "\n" not in message and "2 of 18 runs" in message
    indices = analyse(space, "morris", X, Y, seed=1)
    assert indices.query("output == 'gap_met_need'")["value"].isna().all()
    assert indices.query("output == 'council_spend' and index == 'mu_star'")["value"].notna().all()
