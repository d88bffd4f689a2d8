"""The progress bar (tqdm): the time left is the pace since the start, or since the first report when the
work done before it is unknown (a resumed study), times what is left."""

from __future__ import annotations

import io
import re

import pytest
import tqdm.std

from model.cli.progress import ProgressBar


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(tqdm.std, "time", fake)
    return fake


def time_left(stream: io.StringIO) -> list[str]:
    """The "left" field of every state the bar drew ("[elapsed<left, rate]")."""
    return re.findall(r"<([^,]+),", stream.getvalue())


def test_time_left_from_the_start_when_nothing_was_done_before(clock: Clock) -> None:
    out = io.StringIO()
    bar = ProgressBar("replications", total=5, start=0, stream=out)
    clock.now += 2.0
    bar(1)                    # 2 s a replication, 4 left
    clock.now += 2.0
    bar(2)
    bar.close()
    assert time_left(out)[1:] == ["00:08", "00:06", "00:06"]  # drawn at 0, 1, 2 and on closing
    assert "2/5" in out.getvalue()


def test_time_left_from_the_first_report_when_earlier_work_is_unknown(clock: Clock) -> None:
    out = io.StringIO()
    with ProgressBar("runs", stream=out) as bar:
        clock.now += 50.0
        bar(60, 100)          # 60 kept from an interrupted study: no pace yet
        clock.now += 4.0
        bar(62, 100)          # 2 s a run since the first report, 38 left
    assert time_left(out)[-1] == "01:16"
    assert "62/100" in out.getvalue() and "nan" not in out.getvalue()


def test_a_quiet_bar_draws_nothing(clock: Clock) -> None:
    out = io.StringIO()
    with ProgressBar("runs", total=3, start=0, enabled=False, stream=out) as bar:
        bar(3)
    assert out.getvalue() == ""


def test_a_new_stage_starts_a_new_bar_with_its_own_pace(clock: Clock) -> None:
    """A calibration reports its screening, then each wave, to one callback: a wave's first report (less
    done, another total) must not count backwards in the screening's bar (a negative pace)."""
    out = io.StringIO()
    with ProgressBar("runs", stream=out) as bar:
        bar(0, 340)
        clock.now += 34.0
        bar(340, 340)         # the screening: 0.1 s a run
        clock.now += 5.0
        bar(4, 50)            # a wave: 4 kept, no pace yet
        clock.now += 4.0
        bar(6, 50)            # 2 s a run since the wave's first report, 44 left
    assert time_left(out)[-1] == "01:28"
    assert "6/50" in out.getvalue() and "-" not in "".join(time_left(out))
