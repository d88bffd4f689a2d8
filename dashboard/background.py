"""A sensitivity study running in a background thread, so that the page stays responsive.

The thread only calls the experiment layer and updates plain attributes; it never calls Streamlit.
The page polls the job from a fragment (``st.fragment(run_every=...)``) for progress and sets
:attr:`StudyJob.cancel` when the user presses Cancel; ``run_study`` checks it between chunks and
keeps every finished run in the store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from model.experiments.runner import ProgressFn
from model.experiments.store import Study

StudyWork = Callable[[ProgressFn, threading.Event], Study]


@dataclass
class StudyJob:
    """Progress, cancellation and outcome of one study run by :meth:`start`."""

    label: str
    cancel: threading.Event = field(default_factory=threading.Event)
    done: int = 0
    total: int = 0
    study: Study | None = None
    error: str | None = None
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the study thread is still working."""
        return self.thread is not None and self.thread.is_alive()

    @property
    def seconds(self) -> float:
        """Time since the start, or the study's duration once it has finished."""
        return (self.finished or time.perf_counter()) - self.started

    def progress(self, done: int, total: int) -> None:
        """Progress callback handed to ``run_study``."""
        self.done, self.total = done, total

    def start(self, work: StudyWork) -> None:
        """Run ``work(progress, cancel)`` in a daemon thread; its study or its error is kept here."""

        def target() -> None:
            try:
                self.study = work(self.progress, self.cancel)
            except Exception as err:  # shown in the page; the finished runs stay in the store
                self.error = str(err) or type(err).__name__
            finally:
                self.finished = time.perf_counter()

        self.thread = threading.Thread(target=target, name=f"study {self.label}", daemon=True)
        self.thread.start()
