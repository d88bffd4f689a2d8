"""The progress bar of the commands that run the model: a tqdm bar on stderr, fed by the runners'
``progress(done, total)`` callbacks."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO

from tqdm import tqdm


class ProgressBar:
    """A ``progress(done, total)`` callback drawing a tqdm bar; ``close()`` (or leaving a ``with`` block) ends it.

    With ``start`` (what is done when the bar is made) the bar starts at once; without it, it starts at
    the first report, so work done before that (the runs kept from an interrupted study being resumed)
    counts as done but not in the pace, and the time left is not underestimated. The rate is the
    average since the start (``smoothing=0``), steadier than tqdm's default moving average when runs
    finish in chunks. A report of less done than the bar shows, or of another total, is a new stage of the
    work (a calibration's screening, then each wave): the bar ends and a new one starts from that report.
    """

    def __init__(self, unit: str, total: int | None = None, start: int | None = None, *, enabled: bool = True,
                 stream: TextIO | None = None) -> None:
        self.unit, self.enabled, self.stream = unit, enabled, stream
        self.bar: tqdm | None = None
        if start is not None:
            self._open(start, total)

    def _open(self, done: int, total: int | None) -> None:
        self.bar = tqdm(total=total, initial=done, unit=self.unit, file=self.stream or sys.stderr,
                        disable=not self.enabled, smoothing=0, dynamic_ncols=True)

    def __call__(self, done: int, total: int | None = None) -> None:
        if self.bar is not None and (done < self.bar.n or (total is not None and total != self.bar.total)):
            self.bar.close()
            self.bar = None
        if self.bar is None:
            self._open(done, total)
            return
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
