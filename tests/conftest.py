"""Shared small fixtures: scenarios shrunk so that a whole run takes a fraction of a second."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psutil
import pytest
import tomli_w
from hypothesis import strategies as st
from pydantic import BaseModel

from model import scenario as scenario_module
from model.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent


def workers_of(pid: int) -> list[psutil.Process]:
    """The pool workers under a process: its descendants started by multiprocessing's spawn."""
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    out = []
    for child in children:
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                out.append(child)
        except psutil.NoSuchProcess:
            continue
    return out


def shrink(name: str, people: int, months: int, **extra: Any) -> Scenario:
    """A built-in scenario with fewer people and months; every council's rollout is squeezed into
    the shorter horizon (it starts by month/6 and ends by month/2), so the run still shows it."""
    base = load_scenario(name)
    overrides: dict[str, Any] = {"run.people": people, "run.months": months}
    for i, c in enumerate(base.councils):
        start = min(c.rollout.start_month, months // 6)
        overrides[f"councils.{i}.rollout.start_month"] = start
        overrides[f"councils.{i}.rollout.duration_months"] = min(c.rollout.duration_months, months // 2 - start)
    overrides.update(extra)
    return base.with_overrides(overrides)


def write_toml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def small_scenario() -> Scenario:
    """The default scenario (sds_rollout) with 300 people over 36 months."""
    return shrink("sds_rollout", 300, 36)


@pytest.fixture(scope="session")
def multi_scenario() -> Scenario:
    """Three councils that differ in size, deprivation and policy; 300 people, 36 months."""
    return shrink("multi_council", 300, 36)


@pytest.fixture(scope="session")
def tiny_scenario() -> Scenario:
    """Small enough for the per-agent engine (slow by design): 100 people, 24 months."""
    return shrink("sds_rollout", 100, 24)


@pytest.fixture(scope="session")
def valid_dict(small_scenario: Scenario) -> dict[str, Any]:
    """A complete, valid scenario as plain data (what a TOML file holds)."""
    return small_scenario.to_dict()


# ---------------------------------------------------------------------------------------- bad scenarios
# Each strategy yields (mutate, field): a change that makes a valid scenario dictionary invalid, and
# the dotted field the one-line error must name. Shared by test_scenario (validate) and test_cli (files).
SECTIONS = ("", "run", "demography", "budgets", "choice", "carers", "providers.agency", "councils.0",
            "councils.0.rollout", "councils.0.finance")
PROBABILITIES = ("carers.breakdown_probability", "carers.crisis_probability", "demography.carer_probability",
                 "providers.entry_probability", "demography.peer_homophily", "councils.0.commissioning.block_share")
NUMBERS = ("run.people", "run.months", "budgets.ras_rate", "demography.need_sd", "carers.recovery",
           "councils.0.support.capacity", "providers.day_centre.fixed_cost")
BUDGETS = ("councils.0.finance.cash_per_head", "budgets.ras_rate", "councils.0.finance.assessment_cost")


KNOWN_KEYS = {name for cls in vars(scenario_module).values()
              if isinstance(cls, type) and issubclass(cls, BaseModel) for name in cls.model_fields} | {"extends"}


def section(data: dict[str, Any], path: str) -> dict[str, Any]:
    node: Any = data
    for part in filter(None, path.split(".")):
        node = node[int(part)] if part.isdigit() else node[part]
    return node


def put(path: str, value: Any):
    def mutate(data: dict[str, Any]) -> None:
        head, _, key = path.rpartition(".")
        section(data, head)[key] = value
    return mutate


def bad_scenarios():
    unknown = st.tuples(st.sampled_from(SECTIONS), st.from_regex(r"[a-z][a-z_]{2,14}", fullmatch=True)).filter(
        lambda t: t[1] not in KNOWN_KEYS)
    wrong = st.tuples(st.sampled_from(NUMBERS), st.one_of(st.text(min_size=1, max_size=8), st.lists(st.integers(),
                                                                                                    max_size=3)))
    negative = st.tuples(st.sampled_from(BUDGETS), st.floats(-1e7, -0.01))
    probability = st.tuples(st.sampled_from(PROBABILITIES),
                            st.one_of(st.floats(1.0001, 1e3), st.floats(-1e3, -0.0001)))
    horizon = st.tuples(st.integers(1, 600), st.integers(1, 300))

    def too_long(months, extra):
        def mutate(data):
            data["run"]["months"] = months
            r = data["councils"][0]["rollout"]
            r["start_month"] = min(months, 600)
            r["duration_months"] = min(extra, 600)
        return mutate

    def no_councils(data):
        data.pop("councils")

    return st.one_of(
        unknown.map(lambda t: (put(f"{t[0]}.{t[1]}".lstrip("."), 1), f"{t[0]}.{t[1]}".lstrip("."))),
        wrong.map(lambda t: (put(*t), t[0])),
        negative.map(lambda t: (put(*t), t[0])),
        probability.map(lambda t: (put(*t), t[0])),
        horizon.map(lambda t: (too_long(*t), "rollout")),
        st.sampled_from([(no_councils, "councils"), (put("councils", []), "councils")]),
    )


def check_one_line_error(message: str, field: str) -> None:
    """One line, naming the field and saying what is allowed."""
    assert message.count("\n") <= 1 and message.strip(), repr(message)
    line = message.strip()
    assert "Traceback" not in line
    assert field in line, f"{field!r} not named in {line!r}"
    assert any(w in line for w in ("allowed", "must be")), f"nothing about what is allowed in {line!r}"
