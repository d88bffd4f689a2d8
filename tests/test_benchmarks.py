"""The engine benchmark's own logic: its one user input (``--repeat``) and the median over repeats
(the timings themselves are not tested: they belong to ``make bench``)."""

from __future__ import annotations

import argparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks import engines


@given(st.integers(1, 20))
def test_repeat_accepts_whole_numbers_from_1_to_20(k):
    assert engines.repeat_count(str(k)) == k


@given(st.one_of(st.integers(max_value=0), st.integers(min_value=21),
                 st.text().filter(lambda t: not (t.strip().isascii() and t.strip().isdigit()))))
def test_repeat_rejects_anything_else_naming_the_flag_and_range(value):
    with pytest.raises(argparse.ArgumentTypeError, match=r"--repeat must be a whole number from 1 to 20"):
        engines.repeat_count(str(value))


def test_run_children_gives_each_figures_median_and_the_range(monkeypatch):
    runs = iter([{"engine": "vector", "ns_per_person_month": 130.0, "build_s": 0.3, "total_s": 5.0},
                 {"engine": "vector", "ns_per_person_month": 90.0, "build_s": 0.1, "total_s": 4.0},
                 {"engine": "vector", "ns_per_person_month": 100.0, "build_s": 0.2, "total_s": 4.5}])
    calls = []
    monkeypatch.setattr(engines, "run_child", lambda *args: calls.append(args) or next(runs))
    med, spread = engines.run_children(3, "vector", 100_000, 12, 6, "sds_rollout")
    assert calls == [("vector", 100_000, 12, 6, "sds_rollout")] * 3  # three fresh processes, same measurement
    assert med == {"ns_per_person_month": 100.0, "build_s": 0.2, "total_s": 4.5}
    assert spread == "90-130"


def test_run_children_at_scotland_scale_gives_the_range_of_run_seconds(monkeypatch):
    runs = iter([{"ns_per_person_month": 120.0, "total_s": 4.21}, {"ns_per_person_month": 150.0, "total_s": 5.02}])
    monkeypatch.setattr(engines, "run_child", lambda *args: next(runs))
    med, spread = engines.run_children(2, "vector", 250_000, 120, 0, "scotland")
    assert med["total_s"] == pytest.approx(4.615)
    assert spread == "4.21-5.02"
    monkeypatch.setattr(engines, "run_child", lambda *args: {"ns_per_person_month": 99.0})
    assert engines.run_children(1, "vector", 1000, 12, 6, "sds_rollout") == ({"ns_per_person_month": 99.0}, "")
