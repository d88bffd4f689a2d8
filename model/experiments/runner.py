"""Running many models: executors, replications, scenario comparison and study designs.

Every experiment is a list of independent runs sent through a :class:`concurrent.futures.Executor`
in *chunks* (several runs per task, so that scheduling costs little next to the runs):

* ``local`` (default): a process pool with the ``spawn`` start method, one pool per study;
* ``dask``: an existing Dask cluster (``scheduler="tcp://HOST:PORT"``), through
  :meth:`distributed.Client.get_executor`; a lost worker's tasks are rescheduled by Dask;
* ``dask-local``: a Dask ``LocalCluster`` on loopback started for the study;
* ``serial``: in this process, one run after another (what ``executor=None`` means).

Seeds are explicit :class:`numpy.random.SeedSequence` objects made in the calling process, so a
run's result depends only on its seed and parameters, never on which worker ran it: the same
seeds give identical results whichever executor (tested with a local pool against a Dask
LocalCluster).

Scenario comparison uses *common random numbers*: replication ``i`` of every scenario uses the
same seed, ``SeedSequence(seed).spawn(R)[i]`` (as ``carecon run`` does), so the paired
differences cancel the noise the scenarios share (Law 2015, *Simulation Modeling and Analysis*,
§11.2). Confidence intervals of the mean paired difference use Student's t over replications.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import multiprocessing
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from model.engines import CareEconomy
from model.metrics.columns import WHO_GAINS_COLUMNS
from model.metrics.equity import paired_interval, who_gains
from model.run.ensemble import draws, expand_councils, with_draw
from model.run.simulation import HEADLINE, TOTALS, RunResult, combine, seeds_for, simulate, simulate_headline
from model.scenario import Scenario, ScenarioError, load_scenario

EXECUTORS = ("local", "dask", "dask-local", "serial")

#: Every output a scenario run reports to a study: the headline figures at the horizon and the totals.
OUTPUTS = (*HEADLINE, *TOTALS)

ProgressFn = Callable[[int, int], None]


# ---------------------------------------------------------------------------------------- executors
class InlineExecutor(cf.Executor):
    """Runs each submitted call at once, in this process (the ``serial`` executor)."""

    workers = 1
    max_in_flight = 1  # a chunk submitted is a chunk run: submit one at a time so cancel acts at once

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:  # handed to the caller through the future, as a pool would
            future.set_exception(err)
        return future


def warm_up() -> None:
    """Prepare a worker of a long-lived pool: import the simulator and run a tiny model once, so
    first-use costs (lazy imports, validators, compiled kernels) are paid before the first real run;
    then its busiest provider closes and half of its people leave, so that displacing clients and
    the table's compaction are loaded too."""
    scenario = load_scenario("sds_rollout", {"run.people": 200, "run.months": 2, "councils.0.rollout.start_month": 0,
                                             "councils.0.rollout.duration_months": 1})
    simulate(scenario, seed=0)
    model = CareEconomy(scenario, seed=0)
    model.close_providers(np.array([np.argmax(model.providers.view("clients"))]))
    model.depart(np.arange(100))
    model.compact()


class Pool(cf.Executor):
    """An executor and what the chunking needs to know about it: its kind and its number of workers."""

    def __init__(self, inner: cf.Executor, kind: str, workers: Callable[[], int]) -> None:
        self.inner, self.kind, self._workers = inner, kind, workers

    @property
    def workers(self) -> int:
        return max(1, self._workers())

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        return self.inner.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait)


def machine_cores() -> int:
    """CPU cores this process may use."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def check_executor(kind: str = "local", workers: int | None = None, scheduler: str | None = None) -> None:
    """Check :func:`make_executor`'s arguments without starting anything. Worker processes started on
    this machine are at most its cores (more only queue and hold memory)."""
    if kind not in EXECUTORS:
        raise ScenarioError(f"must be one of {', '.join(EXECUTORS)} (got {kind!r})", "executor")
    if workers is not None:
        cores = machine_cores() if kind in ("local", "dask-local") else None
        if workers < 1 or (cores is not None and workers > cores):
            limit = f"between 1 and {cores} (this machine's cores)" if cores else "at least 1"
            raise ScenarioError(f"must be {limit} (got {workers})", "workers")
    if kind == "dask" and not scheduler:
        raise ScenarioError("the dask executor needs the scheduler address, e.g. tcp://HOST:8786", "scheduler")
    if scheduler and kind != "dask":
        raise ScenarioError("only used with the dask executor", "scheduler")


def _exit_with_parent(parent: int, interval: float = 0.5) -> None:
    """Exit this worker process once ``parent`` (the process whose pool started it) has gone: a killed
    study must not leave its workers running, each holding a model's memory. A daemon thread polls
    the parent's process id (reparented workers see another one)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="carecon-parent-watch", daemon=True).start()


def start_worker(parent: int) -> None:
    """Initializer of a local pool's worker: watch the parent (:func:`_exit_with_parent`), then :func:`warm_up`."""
    _exit_with_parent(parent)
    warm_up()


def end_processes(executor: cf.Executor) -> None:
    """Kill a process pool's workers now, and wait until the pool has failed every chunk it held
    (BrokenProcessPool); ``concurrent.futures`` has no public way to do this before Python 3.14."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for process in processes:
        process.kill()
    manager = getattr(executor, "_executor_manager_thread", None)
    if processes and manager is not None:
        manager.join()  # it fails the pending chunks, then ends; shutting down before that could leave some pending


def _end_if_interrupted(pool: cf.ProcessPoolExecutor, error: type[BaseException] | None, *_: object) -> bool:
    """Leaving a pool because of an exception (a failed run, Ctrl-C): its chunks under way are
    abandoned, so end the workers now instead of waiting for them (:func:`end_processes`)."""
    if error is not None:
        end_processes(pool)
    return False  # the exception goes on


@contextmanager
def make_executor(kind: str = "local", workers: int | None = None, scheduler: str | None = None) -> Iterator[Pool]:
    """An executor for one study, its workers started and warmed up (:func:`warm_up`); shut down on exit.

    ``kind``: ``local`` (spawn process pool, ``workers`` defaults to the CPU count; its workers exit if
    this process dies), ``dask``
    (connect to ``scheduler``, e.g. ``tcp://10.0.0.1:8786``), ``dask-local`` (start a LocalCluster
    of ``workers`` single-threaded worker processes on 127.0.0.1) or ``serial``.
    """
    check_executor(kind, workers, scheduler)
    with ExitStack() as stack:
        if kind == "serial":
            yield Pool(InlineExecutor(), kind, lambda: 1)
        elif kind == "local":
            n = workers or machine_cores()
            pool = cf.ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                                          initializer=start_worker, initargs=(os.getpid(),))
            stack.callback(pool.shutdown, wait=True, cancel_futures=True)
            stack.push(partial(_end_if_interrupted, pool))  # an exception or Ctrl-C: end the workers now
            # The pool starts a worker per waiting task; start them all now, so the workers' start-up
            # (spawn, import, warm_up) happens before the study's clock, not in its first chunks.
            cf.wait([pool.submit(os.getpid) for _ in range(n)])
            yield Pool(pool, kind, lambda: n)
        else:
            import logging

            from distributed import Client, LocalCluster

            if kind == "dask-local":
                # No dashboard; its HTTP server (which the scheduler starts anyway) on a free port of
                # loopback, not 8787, which may be taken.
                cluster = stack.enter_context(LocalCluster(
                    n_workers=workers or machine_cores(), threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                    silence_logs=logging.ERROR))
                client = stack.enter_context(Client(cluster))
            else:
                if not str(scheduler).startswith(("tcp://", "tls://", "ucx://", "inproc://")):
                    raise ScenarioError(f"expected an address like tcp://HOST:8786 (got {scheduler!r})", "scheduler")
                try:
                    client = stack.enter_context(Client(scheduler, timeout="10s"))
                except (OSError, TimeoutError) as err:
                    raise ScenarioError(f"cannot reach the Dask scheduler at {scheduler} ({err})",
                                        "scheduler") from None
            client.run(warm_up)  # every worker imports the model before the study's clock starts
            yield Pool(client.get_executor(pure=False), kind, lambda: sum(client.nthreads().values()))


def workers_of(executor: cf.Executor) -> int:
    """Workers an executor offers (a :class:`Pool` knows; a bare executor is assumed to use every CPU)."""
    return getattr(executor, "workers", None) or getattr(executor, "_max_workers", None) or os.cpu_count() or 1


class StudyCancelledError(Exception):
    """The caller's ``cancel`` event was set; finished chunks were kept."""


def make_chunks(items: Sequence[Any], workers: int, chunk_size: int | None = None) -> list[list[Any]]:
    """Consecutive chunks of ``items``: ``chunk_size`` each if given; otherwise about 16 per worker
    (at most 64 items each), the last ``2 x workers`` items in chunks of one, so that workers run out
    of work within one run of each other instead of one chunk (less idle tail)."""
    if chunk_size:
        return [list(items[i:i + chunk_size]) for i in range(0, len(items), chunk_size)]
    size = max(1, min(64, math.ceil(len(items) / (16 * workers))))
    head = max(0, len(items) - 2 * workers) if size > 1 else len(items)
    return [list(items[i:min(i + size, head)]) for i in range(0, head, size)] + [[x] for x in items[head:]]


def map_chunks(fn: Callable[[list[Any]], list[Any]], items: Sequence[Any], executor: cf.Executor | None,
               on_chunk: Callable[[int, list[Any]], None], *, chunk_size: int | None = None,
               progress: ProgressFn | None = None, cancel: threading.Event | None = None,
               done_before: int = 0, total: int | None = None) -> None:
    """Send ``items`` through ``executor`` as chunks ``fn(chunk) -> results`` and hand each finished chunk to
    ``on_chunk(chunk_number, results)`` (in this thread, as chunks finish).

    At most two chunks per worker are in flight, so ``cancel`` (checked between chunks) and Ctrl-C
    stop a study promptly; chunks already running are let finish and handed over, so nothing
    computed is lost. Raises :class:`StudyCancelledError` when ``cancel`` was set (also when chunks then failed:
    the canceller may end their workers), or the first failure of a chunk (a worker that died, a lost Dask
    worker) after handing over what finished.
    """
    executor = executor or InlineExecutor()
    workers = workers_of(executor)
    chunks = make_chunks(items, workers, chunk_size)
    total = total if total is not None else len(items)
    in_flight = getattr(executor, "max_in_flight", None) or getattr(getattr(executor, "inner", None),
                                                                    "max_in_flight", 2 * workers)
    pending: dict[cf.Future, int] = {}
    done = done_before
    nxt = 0
    failure: BaseException | None = None
    try:
        while nxt < len(chunks) or pending:
            while nxt < len(chunks) and len(pending) < in_flight and not (cancel and cancel.is_set()):
                pending[executor.submit(fn, chunks[nxt])] = nxt
                nxt += 1
            if not pending:
                break
            finished, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for future in finished:
                number = pending.pop(future)
                on_chunk(number, future.result())
                done += len(chunks[number])
                if progress is not None:
                    progress(done, total)
    except BaseException as err:
        failure = err
        running = [future for future in pending if not future.cancel()]  # a cancelled chunk never runs: no wait
        for future in cf.as_completed(running):  # keep whatever still finishes
            if future.exception() is None:
                on_chunk(pending[future], future.result())
    cancelled = cancel is not None and cancel.is_set()
    if failure is not None and not (cancelled and isinstance(failure, Exception)):
        raise failure
    if cancelled and (nxt < len(chunks) or failure is not None):  # a chunk lost to the cancel (its worker ended)
        raise StudyCancelledError(f"cancelled after {done} of {total} runs")


# ---------------------------------------------------------------------------------------- targets
@dataclass(frozen=True)
class ScenarioTarget:
    """The care-economy model as an experiment target: parameters are scenario overrides.

    ``councils.*.x`` in a parameter name sets ``councils.i.x`` for every council ``i``. A design
    point's outputs are the headline figures (:data:`OUTPUTS`), averaged over its replications.
    """

    scenario: Scenario
    engine: str = "vector"
    outputs: tuple[str, ...] = OUTPUTS

    @property
    def name(self) -> str:
        return self.scenario.name

    def overrides(self, params: dict[str, Any]) -> dict[str, Any]:
        return expand_councils(params, len(self.scenario.councils))

    def check(self, params: dict[str, Any]) -> Scenario:
        """The scenario at one design point (raises ScenarioError if the combination is invalid)."""
        return self.scenario.with_overrides(self.overrides(params))

    def evaluate(self, params: dict[str, Any], seeds: list[np.random.SeedSequence]) -> dict[str, float]:
        """The outputs at one design point: headline figures averaged over replications seeded by ``seeds``
        (:func:`~model.run.simulation.simulate_headline`, which records only what they need)."""
        return simulate_headline(self.check(params), seeds, self.engine)

    def describe(self) -> dict[str, Any]:
        return {"kind": "scenario", "name": self.name, "engine": self.engine, "scenario": self.scenario.to_toml()}


def run_chunk(target: Any, tasks: list[tuple[int, dict[str, Any], list[np.random.SeedSequence]]]) -> list[dict]:
    """Evaluate design points in a worker: one record per run (run_id, outputs, seconds and cpu_seconds the run
    took, worker)."""
    where = f"{socket.gethostname()}:{os.getpid()}"
    out = []
    for run_id, params, seeds in tasks:
        start, cpu = time.perf_counter(), time.process_time()
        record = {"run_id": run_id, **target.evaluate(params, seeds)}
        record.update(seconds=time.perf_counter() - start, cpu_seconds=time.process_time() - cpu, worker=where)
        out.append(record)
    return out


# ---------------------------------------------------------------------------------------- replications
def _simulate_chunk(engine: str, tasks: list[tuple[str, Scenario, int, np.random.SeedSequence]]
                    ) -> list[tuple[str, int, RunResult]]:
    return [(key, rep, simulate(scenario, ss, engine, replication=rep)) for key, scenario, rep, ss in tasks]


def _run_many(scenarios: dict[str, Scenario], replications: int, seed: int, executor: cf.Executor | None,
              progress: ProgressFn | None, engine: str, ensemble: pd.DataFrame | None = None) -> dict[str, RunResult]:
    """Replications ``0..R-1`` of every scenario with common seeds; one RunResult per scenario. With an
    ``ensemble`` (a posterior table, :func:`model.run.ensemble.read_ensemble`), replication ``i`` of every
    scenario takes the same drawn parameter set (:func:`model.run.ensemble.draws`; pairs share one)."""
    if not 1 <= replications <= 10_000:
        raise ScenarioError(f"must be 1 to 10000 (got {replications})", "replications")
    children = seeds_for(seed, replications)
    drawn = draws(ensemble, replications, seed) if ensemble is not None else None
    tasks = [(key, with_draw(s, drawn[rep]) if drawn else s, rep, children[rep])
             for key, s in scenarios.items() for rep in range(replications)]
    runs: dict[str, dict[int, RunResult]] = {key: {} for key in scenarios}

    def keep(_: int, results: list[tuple[str, int, RunResult]]) -> None:
        for key, rep, result in results:
            runs[key][rep] = result

    map_chunks(partial(_simulate_chunk, engine), tasks, executor, keep, progress=progress)
    return {key: combine([reps[r] for r in sorted(reps)]) for key, reps in runs.items()}


def run_replications(scenario: Scenario, replications: int, seed: int, executor: cf.Executor | None = None,
                     progress: ProgressFn | None = None, engine: str = "vector",
                     ensemble: pd.DataFrame | None = None) -> RunResult:
    """``replications`` runs of one scenario, replication ``i`` seeded by ``SeedSequence(seed).spawn(R)[i]``
    (the same runs as ``carecon run`` and :func:`model.run.simulation.simulate_replications`; with an
    ``ensemble``, as ``carecon run --ensemble``)."""
    return _run_many({scenario.name: scenario}, replications, seed, executor, progress, engine,
                     ensemble)[scenario.name]


def paired_differences(values: pd.DataFrame, reference: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean of paired differences ``values - reference`` (rows = replications) with Student-t intervals
    (:func:`model.metrics.equity.paired_interval`: over the pairs where the figure is defined)."""
    diff = values - reference
    mean, low, high, _ = paired_interval(diff.to_numpy(), level)
    return pd.DataFrame({"figure": diff.columns, "mean_difference": mean, "ci_low": low, "ci_high": high,
                         "reference_mean": reference.mean().values, "scenario_mean": values.mean().values})


@dataclass
class ComparisonResult:
    """Scenarios run with common random numbers and their paired differences from the reference (the first).

    ``differences`` columns: scenario, reference, figure, mean_difference, ci_low, ci_high (95%),
    reference_mean, scenario_mean. ``headlines``: each scenario's headline figures per replication.
    ``who_gains``: each scenario against the reference, group by group among the population with
    need (:func:`model.metrics.equity.who_gains`; columns ``WHO_GAINS_COLUMNS``).
    """

    results: dict[str, RunResult]
    differences: pd.DataFrame
    headlines: dict[str, pd.DataFrame] = field(default_factory=dict)
    reference: str = ""
    who_gains: pd.DataFrame = field(default_factory=pd.DataFrame)


def compare(scenarios: Sequence[Scenario | str], replications: int, seed: int, executor: cf.Executor | None = None,
            progress: ProgressFn | None = None, engine: str = "vector", level: float = 0.95,
            ensemble: pd.DataFrame | None = None) -> ComparisonResult:
    """Run each scenario ``replications`` times with paired seeds and difference them from the first (with an
    ``ensemble``, replication ``i`` of every scenario also shares its drawn parameter set)."""
    if len(scenarios) < 2:
        raise ScenarioError("compare: give at least two scenarios (the first is the reference)")
    named: dict[str, Scenario] = {}
    for item in scenarios:
        s = load_scenario(item) if isinstance(item, str) else item
        key, k = s.name, 2
        while key in named:
            key, k = f"{s.name}#{k}", k + 1
        named[key] = s
    results = _run_many(named, replications, seed, executor, progress, engine, ensemble)
    heads = {key: r.per_replication() for key, r in results.items()}
    ref = next(iter(named))
    frames = [paired_differences(heads[key], heads[ref], level).assign(scenario=key, reference=ref)
              for key in list(named)[1:]]
    cols = ["scenario", "reference", "figure", "mean_difference", "ci_low", "ci_high", "reference_mean",
            "scenario_mean"]
    gains = pd.concat([who_gains(results[key].equity, results[ref].equity, level).assign(scenario=key, comparator=ref)
                       for key in list(named)[1:]], ignore_index=True)[list(WHO_GAINS_COLUMNS)]
    return ComparisonResult(results, pd.concat(frames, ignore_index=True)[cols], heads, ref, gains)
