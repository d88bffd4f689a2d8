"""The text progress bar: its ETA is the pace since the start (or the first update) times what is left."""

from __future__ import annotations

import io
import re

import pytest

from model.run import progress
from model.run.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(progress.time, "perf_counter", fake)
    return fake


def etas(stream: io.StringIO) -> list[str]:
    return re.findall(r"ETA +(\S+)", stream.getvalue())


def test_eta_from_the_start_when_nothing_was_done_before(clock: Clock) -> None:
    out = io.StringIO()
    bar = Progress(5, "replications", stream=out, min_interval=0, done_before=0)
    clock.now += 2.0
    bar.update(1)             # 2 s a replication, 4 left
    clock.now += 2.0
    bar.update(2)
    assert etas(out) == ["8.0s", "6.0s"]


def test_eta_from_the_first_update_when_earlier_work_is_unknown(clock: Clock) -> None:
    out = io.StringIO()
    bar = Progress(100, "runs", stream=out, min_interval=0)
    clock.now += 50.0
    bar.update(60)            # 60 kept from an interrupted study: no pace yet
    clock.now += 4.0
    bar.update(62)            # 2 s a run since the first update, 38 left
    assert etas(out) == ["--", "76.0s"]
    assert "nan" not in out.getvalue()
