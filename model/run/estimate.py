"""How long a run or a study will take, and how much memory it needs, estimated before it starts.

The figures are the project's own measurements on a quiet 2-core machine: whole vector-engine runs
of ``sds_rollout`` as a study's worker makes them (building the population, the 3-month spin-up,
every month, the headline figures; ``time.process_time`` of
:func:`model.run.simulation.simulate_headline`, the median of three) cost about 510, 150 and 120 ns
per person-month at 1,000, 10,000 and 100,000 people (more per person-month for small models: fixed
costs; 150 is the mean of the 22,528 runs of the documented Sobol study). Runs that keep every
monthly figure (``carecon run``, the calibration targets) cost 15-75 % more, inside the
estimate's factor of two. The per-agent engine costs about 85,000 ns per person-month.
Memory: a worker process holds about 250 MB of code and libraries, plus about 525 bytes per person
at the run's largest (the Scotland-scale benchmark), doubled for the tables it keeps. Starting
the workers and loading the compiled code takes a few seconds, and no run takes less than about
20 ms (building the model, its figures, storing them).

An estimate is a guide, good to a factor of about two: a machine twice as busy takes twice as long.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.scenario import Scenario

#: Whole-run vector-engine cost, ns per person-month, by people simulated (interpolated in log people).
VECTOR_NS = ((1_000, 510.0), (10_000, 150.0), (100_000, 120.0))
#: The per-agent reference engine, ns per person-month.
AGENTS_NS = 85_000.0
#: Starting the worker processes and loading the compiled code in them, once per request.
START_SECONDS = 5.0
#: The least a run takes: building the model, its figures, storing them.
RUN_SECONDS = 0.02
#: A worker process before it builds a model (Python, numpy, pandas, numba and the compiled passes).
PROCESS_BYTES = 250e6
#: Memory per person at the run's largest population, with the tables kept.
BYTES_PER_PERSON = 1_050.0


@dataclass(frozen=True)
class Estimate:
    """What a request will cost: ``runs`` model runs taking about ``seconds`` on ``workers`` workers,
    each worker needing about ``memory_bytes`` at its peak."""

    runs: int
    seconds: float
    workers: int
    memory_bytes: float

    def describe(self) -> str:
        """One line for people: "about 1,200 runs, about 2 minutes on 2 workers, about 300 MB per worker"."""
        on = f" on {self.workers} workers" if self.workers > 1 else ""
        return (f"about {self.runs:,} run{'s' if self.runs != 1 else ''}, about {duration(self.seconds)}{on}, "
                f"about {self.memory_bytes / 1e6:,.0f} MB per worker")


def duration(seconds: float) -> str:
    """A duration in the unit people would say it in ("40 seconds", "3 minutes", "2.5 hours")."""
    if seconds < 1.5:
        return "a second"
    if seconds < 90:
        return f"{round(seconds)} seconds"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} minutes"
    return f"{seconds / 3600:.1f} hours"


def ns_per_person_month(people: int, engine: str = "vector") -> float:
    """Measured cost of one person-month for a model of ``people`` people (see the module's notes)."""
    if engine != "vector":
        return AGENTS_NS
    (p0, r0), *_ = VECTOR_NS
    if people <= p0:
        return r0 * math.sqrt(p0 / max(people, 1))  # fixed costs spread over fewer people
    sizes, rates = zip(*VECTOR_NS, strict=True)
    return float(np.interp(math.log(people), np.log(sizes), rates))


def estimate(scenario: Scenario, runs: int | None = None, workers: int = 1, engine: str = "vector") -> Estimate:
    """The cost of ``runs`` runs of ``scenario`` (default: its replications) spread over ``workers``
    worker processes. Times are per person-month of the starting population, as they were measured
    (people come and go over a run); memory is for the larger of the start and the horizon
    (:meth:`~model.scenario.Scenario.expected_population`)."""
    n = scenario.run.replications if runs is None else runs
    people = scenario.run.people
    peak = max(people, scenario.expected_population())
    per_run = max(RUN_SECONDS, people * scenario.run.months * ns_per_person_month(people, engine) * 1e-9)
    parallel = max(1, min(workers, n))
    return Estimate(n, START_SECONDS + per_run * math.ceil(n / parallel), parallel,
                    PROCESS_BYTES + BYTES_PER_PERSON * peak)
