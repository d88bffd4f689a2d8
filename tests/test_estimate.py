"""The cost of a run or a study, estimated before it starts (model.run.estimate)."""

from __future__ import annotations

import pytest

from model import load_scenario
from model.run.estimate import START_SECONDS, duration, estimate, ns_per_person_month


@pytest.fixture(scope="module")
def rollout():
    return load_scenario("sds_rollout").with_overrides({"run.people": 10_000})


def test_time_is_split_over_workers_and_grows_with_runs(rollout) -> None:
    one = estimate(rollout, 100, 1)
    two = estimate(rollout, 100, 2)
    assert two.seconds - START_SECONDS == pytest.approx((one.seconds - START_SECONDS) / 2)
    assert estimate(rollout, 200, 2).seconds - START_SECONDS == pytest.approx(2 * (two.seconds - START_SECONDS))
    assert estimate(rollout, 1, 8).workers == 1  # one run keeps one worker busy, whatever the pool


def test_an_odd_run_out_costs_a_whole_round(rollout) -> None:
    assert estimate(rollout, 3, 2).seconds == pytest.approx(estimate(rollout, 4, 2).seconds)


def test_small_models_cost_more_per_person_month_and_the_agent_engine_far_more() -> None:
    rates = [ns_per_person_month(n) for n in (100, 1_000, 10_000, 100_000, 1_000_000)]
    assert rates == sorted(rates, reverse=True)
    assert ns_per_person_month(10_000, "agents") > 100 * ns_per_person_month(10_000)


def test_memory_follows_the_largest_population(rollout) -> None:
    steady = rollout
    growing = rollout.with_overrides({"councils.0.adult_growth": 0.1})
    assert growing.expected_population() > steady.expected_population()
    assert estimate(growing).memory_bytes > estimate(steady).memory_bytes
    assert estimate(rollout.with_overrides({"run.people": 100_000})).memory_bytes > estimate(rollout).memory_bytes


@pytest.mark.parametrize(("seconds", "said"), [(0.4, "a second"), (42, "42 seconds"), (600, "10 minutes"),
                                               (9000, "2.5 hours")])
def test_durations_are_said_in_words(seconds: float, said: str) -> None:
    assert duration(seconds) == said


def test_the_line_names_runs_time_workers_and_memory(rollout) -> None:
    line = estimate(rollout, 1_200, 2).describe()
    assert line.startswith("about 1,200 runs, about ") and " on 2 workers, about " in line
    assert line.endswith(" MB per worker")
