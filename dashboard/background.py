"""A run or a study working in a background thread, so that the page stays responsive and can cancel it.

The thread only calls the experiment layer and updates plain attributes; it never calls Streamlit.
A page waits for a run while it updates a progress bar (:func:`shared.computed`), and polls a study
from a fragment (``st.fragment(run_every=...)``). :meth:`Job.stop` is Cancel: the job submits no
further chunk and its worker processes end (:class:`compute.JobExecutor`); a study keeps every run
that finished in the store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from compute import JobExecutor

from model.experiments.runner import ProgressFn
from model.experiments.sensitivity import StudyInterruptedError
from model.scenario import ScenarioError

Work = Callable[[ProgressFn, threading.Event, Executor], Any]


def reason(err: BaseException) -> str:
    """Why a job stopped, in one line."""
    if isinstance(err, StudyInterruptedError):
        return (f"stopped after {err.done:,} of {err.total:,} runs ({reason(err.__cause__ or err)}); the finished runs "
                "are kept: start the study again with the same settings to continue it")
    if isinstance(err, BrokenProcessPool):
        return "its worker processes ended (a Cancel elsewhere on this server, or a worker ran out of memory)"
    first = str(err).splitlines()[0] if str(err) else ""
    return first if isinstance(err, ScenarioError) else f"{type(err).__name__}: {first}".removesuffix(": ")


@dataclass
class Job:
    """Progress, cancellation and outcome of work run by :meth:`start`."""

    label: str
    executor: JobExecutor = field(default_factory=JobExecutor)
    cancel: threading.Event = field(default_factory=threading.Event)
    done: int = 0
    total: int = 0
    result: Any = None
    error: str | None = None
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the job's thread is still working."""
        return self.thread is not None and self.thread.is_alive()

    @property
    def seconds(self) -> float:
        """Time since the start, or the job's duration once it has finished."""
        return (self.finished or time.perf_counter()) - self.started

    def progress(self, done: int, total: int) -> None:
        """Progress callback handed to the experiment layer."""
        self.done, self.total = done, total

    def start(self, work: Work) -> None:
        """Run ``work(progress, cancel, executor)`` in a daemon thread; its result or its error is kept here."""

        def target() -> None:
            try:
                self.result = work(self.progress, self.cancel, self.executor)
            except Exception as err:  # shown in the page; a study's finished runs stay in the store
                self.error = reason(err)
            finally:
                self.finished = time.perf_counter()

        self.thread = threading.Thread(target=target, name=f"job {self.label}", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Cancel: no further chunk starts, and the worker processes running this job's chunks end."""
        self.cancel.set()
        self.executor.stop()
