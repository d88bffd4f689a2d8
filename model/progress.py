"""A small text progress bar with an ETA, written to stderr (no dependency)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``Progress(total, "runs")``; call ``update(done)``; ``close()`` ends the line.

    The ETA uses the pace since the first update, so work done before it (runs kept from an
    interrupted study being resumed) does not make the estimate optimistic."""

    def __init__(self, total: int, label: str = "runs", stream: TextIO | None = None, min_interval: float = 0.2,
                 enabled: bool = True) -> None:
        self.total, self.label = max(total, 1), label
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.min_interval = min_interval
        self._last = 0.0
        self.enabled = enabled
        self._base: tuple[int, float] | None = None  # (done, time) at the first update

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.total = max(total, 1)
        now = time.perf_counter()
        if self._base is None:
            self._base = (done, now)
        if not self.enabled or (now - self._last < self.min_interval and done < self.total):
            return
        self._last = now
        elapsed = now - self.start
        frac = done / self.total
        base_done, base_time = self._base
        pace = (now - base_time) / (done - base_done) if done > base_done else float("nan")
        eta = pace * (self.total - done)
        bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
        self.stream.write(f"\r[{bar}] {done}/{self.total} {self.label}  {elapsed:6.1f}s elapsed  ETA {eta:6.1f}s ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
