"""Where the dashboard's runs and studies execute, and how much one page may ask of the machine.

Both are **deployment settings**, read from the environment of whoever starts the server
(``make dashboard``, ``streamlit run``); no page input can change them (the Settings panel only
shows them). ``docs/dashboard.md`` lists and explains them; :data:`DEFAULTS` holds their defaults.

The server has **one** pool of workers (:class:`Compute`), started when the app loads and shared
by every session's runs and studies, so the dashboard never has more worker processes than
``CARECON_WORKERS``, itself at most the machine's cores. Each run or study submits its chunks
through its own :class:`JobExecutor`, which keeps its futures: Cancel (:meth:`JobExecutor.stop`)
submits nothing more and, if the job has chunks queued or running, ends the pool's worker processes
at once (the next page load starts a fresh pool). Another session's job whose chunks were in that
pool stops with a message; a study keeps its finished runs and continues when started again. The
pool is replaced when the settings change and ended when the server exits.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from model.experiments.runner import EXECUTORS, Pool, end_processes, make_executor
from model.scenario import Scenario, ScenarioError

#: Where work executes, as the Settings panel names it.
EXECUTOR_LABELS = {"local": "a process pool on this machine", "serial": "the dashboard's own process",
                   "dask": "a Dask scheduler", "dask-local": "a Dask cluster on this machine"}
#: Executors whose workers are processes on this machine (their number is capped at the cores).
LOCAL_KINDS = ("local", "dask-local")
#: Defaults of the deployment settings (``CARECON_WORKERS`` defaults to the cores; docs/dashboard.md explains each).
DEFAULTS: dict[str, Any] = {"CARECON_EXECUTOR": "local", "CARECON_MAX_PEOPLE": 200_000, "CARECON_MAX_REPLICATIONS": 100,
                            "CARECON_MAX_N": 1024, "CARECON_MAX_STUDY_RUNS": 5000}


def cores() -> int:
    """The machine's cores (what ``CARECON_WORKERS`` is capped at)."""
    return os.cpu_count() or 1


def _whole(name: str, environ: Mapping[str, str]) -> int:
    """A positive whole number from the environment, or the variable's default."""
    text = environ.get(name, "").strip()
    if not text:
        return DEFAULTS.get(name) or cores()
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ScenarioError(f"{name}: must be a whole number of at least 1 (got {text!r})")
    return value


@dataclass(frozen=True)
class Deployment:
    """The deployment settings in force: the executor, its workers and the limits on one request."""

    executor: str
    workers: int
    asked_workers: int
    scheduler: str | None
    max_people: int
    max_replications: int
    max_n: int
    max_study_runs: int

    @property
    def pool_args(self) -> tuple[str, int | None, str | None]:
        """``make_executor`` arguments (kind, workers, scheduler)."""
        return self.executor, self.workers if self.executor in LOCAL_KINDS else None, self.scheduler

    def run_errors(self, scenario: Scenario) -> dict[str, str]:
        """Why this server refuses to run ``scenario`` (keyed by the run setting at fault); empty if it may run."""
        limits = {"run.people": (scenario.run.people, self.max_people, "CARECON_MAX_PEOPLE"),
                  "run.replications": (scenario.run.replications, self.max_replications, "CARECON_MAX_REPLICATIONS")}
        return {key: f"{key}: {value:,} is above this dashboard's limit of {limit:,} (raise it with {var} where the "
                     "server is started)" for key, (value, limit, var) in limits.items() if value > limit}

    def check_run(self, scenario: Scenario) -> None:
        """Raise ScenarioError (one line) if ``scenario`` is above this server's limits."""
        errors = self.run_errors(scenario)
        if errors:
            raise ScenarioError(next(iter(errors.values())))

    def check_study(self, n: int, runs: int) -> None:
        """Raise ScenarioError (one line) if a study of size ``n`` and ``runs`` model runs is above the limits."""
        if n > self.max_n:
            raise ScenarioError(f"N: {n:,} is above this dashboard's limit of {self.max_n:,} (raise it with "
                                "CARECON_MAX_N where the server is started)")
        if runs > self.max_study_runs:
            raise ScenarioError(f"study: about {runs:,} runs is above this dashboard's limit of "
                                f"{self.max_study_runs:,} runs (choose a smaller N, fewer parameters or replications, "
                                "or raise CARECON_MAX_STUDY_RUNS where the server is started)")

    def describe(self) -> str:
        """One line for the Settings panel: where work executes and with how many workers."""
        where = EXECUTOR_LABELS[self.executor]
        if self.executor == "dask":
            return f"Runs and studies execute in {where} at {self.scheduler}."
        if self.executor == "serial":
            return f"Runs and studies execute in {where}, one run at a time."
        line = f"Runs and studies execute in {where}: {self.workers} worker processes; {cores()} cores."
        if self.asked_workers > self.workers:
            line += f" CARECON_WORKERS = {self.asked_workers:,} is capped at the cores."
        return line


def deployment(environ: Mapping[str, str] = os.environ) -> Deployment:
    """The deployment settings from the environment; a bad value is a ScenarioError naming the variable."""
    kind = environ.get("CARECON_EXECUTOR", "").strip() or DEFAULTS["CARECON_EXECUTOR"]
    if kind not in EXECUTORS:
        raise ScenarioError(f"CARECON_EXECUTOR: must be one of {', '.join(EXECUTORS)} (got {kind!r})")
    scheduler = environ.get("CARECON_SCHEDULER", "").strip() or None
    if (kind == "dask") != (scheduler is not None):
        raise ScenarioError("CARECON_SCHEDULER: set it (tls://HOST:8786) exactly when CARECON_EXECUTOR is dask")
    asked = _whole("CARECON_WORKERS", environ)
    return Deployment(kind, min(asked, cores()), asked, scheduler,
                      *(_whole(name, environ) for name in ("CARECON_MAX_PEOPLE", "CARECON_MAX_REPLICATIONS",
                                                           "CARECON_MAX_N", "CARECON_MAX_STUDY_RUNS")))


class _Held:
    """A pool held open by its own thread: ``make_executor`` is entered and left in that thread (a Dask
    client must be closed in the context that opened it), until :meth:`close`."""

    def __init__(self, args: tuple[str, int | None, str | None]) -> None:
        self.args = args
        self.pool: Pool | None = None
        self.error: BaseException | None = None
        self._ready, self._release = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._hold, name="carecon pool", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self.error is not None:
            raise self.error

    def _hold(self) -> None:
        try:
            with make_executor(*self.args) as pool:
                self.pool = pool
                self._ready.set()
                self._release.wait()
        except BaseException as err:  # handed to the caller while starting; at shutdown there is no caller
            self.error = err
        finally:
            self._ready.set()

    def close(self) -> None:
        """End the workers now (a local pool's processes are killed) and shut the pool down."""
        if self.pool is not None:
            end_processes(self.pool.inner)
        self._release.set()
        self._thread.join()


class Compute:
    """The server's one pool of workers, created on first use from :func:`deployment` and shared by every
    session; replaced when the settings change, ended by :meth:`end` and when the server exits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: _Held | None = None
        self._exit_hook = False

    def pool(self) -> Pool:
        """The pool for the current settings (waits while it starts: spawn, import, warm-up)."""
        args = deployment().pool_args
        with self._lock:
            if self._held is None or self._held.args != args:
                self._close()
                self._held = _Held(args)
                if not self._exit_hook:
                    # Before concurrent.futures' own exit hook, which waits for every chunk still queued.
                    threading._register_atexit(self.end)  # type: ignore[attr-defined]
                    self._exit_hook = True
            return self._held.pool  # type: ignore[return-value]

    def prepare(self, settings: Deployment) -> None:
        """Start the pool for ``settings`` in the background (when a page loads), so that the first run finds
        it ready; a pool of other settings is shut down first."""
        if (self._held is None or self._held.args != settings.pool_args) and not self._lock.locked():
            threading.Thread(target=self._prepare, name="carecon prepare", daemon=True).start()

    def _prepare(self) -> None:
        with contextlib.suppress(ScenarioError):  # the same message is shown when a run needs the pool
            self.pool()

    def end(self, pool: Pool | None = None) -> None:
        """End the pool's worker processes now (chunks running in them are lost) and shut it down; with
        ``pool``, only if that is still the current pool."""
        with self._lock:
            if pool is None or (self._held is not None and pool is self._held.pool):
                self._close()

    def worker_pids(self) -> list[int]:
        """Process ids of the current local pool's workers (none for other executors)."""
        pool = self._held.pool if self._held is not None else None
        return sorted((getattr(pool.inner, "_processes", None) or {}) if pool is not None else [])

    def _close(self) -> None:
        if self._held is not None:
            self._held.close()
        self._held = None


#: The server's pool (one per process: Streamlit serves every session from one process).
COMPUTE = Compute()


class JobExecutor(cf.Executor):
    """One run's or study's use of the server's pool. It keeps the job's futures, so that :meth:`stop`
    can end the worker processes holding its chunks. The pool is taken at the first use (in the job's
    thread, which waits while the pool starts)."""

    def __init__(self, compute: Compute = COMPUTE) -> None:
        self._compute = compute
        self._pool: Pool | None = None
        self._futures: list[cf.Future] = []
        self._lock = threading.Lock()
        self.stopped = False

    @property
    def inner(self) -> Pool:
        if self._pool is None:
            self._pool = self._compute.pool()
        return self._pool

    @property
    def kind(self) -> str:
        return self.inner.kind

    @property
    def workers(self) -> int:
        return self.inner.workers

    @property
    def max_in_flight(self) -> int:
        return getattr(self.inner.inner, "max_in_flight", None) or 2 * self.workers

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        if self.stopped:
            raise cf.CancelledError("cancelled")
        future = self.inner.submit(fn, *args, **kwargs)
        with self._lock:
            self._futures.append(future)
            late = self.stopped
        if late:  # stopped while submitting
            self._end([future])
        return future

    def stop(self) -> None:
        """Cancel: no further chunk is submitted; if some are queued or running, the pool's processes end."""
        with self._lock:
            self.stopped = True
            futures = list(self._futures)
        self._end(futures)

    def _end(self, futures: list[cf.Future]) -> None:
        if self._pool is not None and not all(f.done() for f in futures):
            self._compute.end(self._pool)  # every unfinished chunk, queued or running, fails at once
