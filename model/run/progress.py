"""A small text progress bar with an ETA, written to stderr (no dependency)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``Progress(total, "runs")``; call ``update(done)``; ``close()`` ends the line.

    The ETA uses the pace since the start when the caller says how much was done before it
    (``done_before``), otherwise since the first update, so work done before (runs kept from an
    interrupted study being resumed) does not make the estimate optimistic; until there is a pace
    it shows "--"."""

    def __init__(self, total: int, label: str = "runs", stream: TextIO | None = None, min_interval: float = 0.2,
                 enabled: bool = True, done_before: int | None = None) -> None:
        self.total, self.label = max(total, 1), label
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.min_interval = min_interval
        self._last = 0.0
        self.enabled = enabled
        # (done, time) the pace is measured from: the start, if the caller knows what was done
        # before it (``done_before``), else the first update.
        self._base: tuple[int, float] | None = None if done_before is None else (done_before, self.start)

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
        pace = (now - base_time) / max(done - base_done, 1)
        eta = f"{pace * (self.total - done):6.1f}s" if done > base_done else "     --"
        bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
        self.stream.write(f"\r[{bar}] {done}/{self.total} {self.label}  {elapsed:6.1f}s elapsed  ETA {eta} ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
