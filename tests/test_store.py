"""The study store: manifests, parts appended as runs finish, resume after a killed worker, reload."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading

import numpy as np
import pandas as pd
import pytest

from model.experiments import store
from model.experiments.runner import make_executor
from model.experiments.sensitivity import StudyInterruptedError, derived_seed, run_study


def test_resume_after_killing_a_worker_reruns_only_missing_runs_and_loses_nothing(tmp_path):
    killed = []

    def kill_a_worker(done: int, total: int) -> None:
        if not killed:
            victim = multiprocessing.active_children()[0]
            os.kill(victim.pid, signal.SIGKILL)
            killed.append(victim.pid)

    with make_executor("local", workers=2) as pool, pytest.raises(StudyInterruptedError) as info:
        run_study("ishigami", None, "sobol", 256, 3, pool, store_root=tmp_path, chunk_size=8, progress=kill_a_worker)
    err = info.value
    total = 256 * 5
    assert killed and 0 < err.done < total
    before = store.load_study(err.path)
    assert before.manifest["status"] == "interrupted" and len(before.results) == err.done

    resumed = run_study("ishigami", None, "sobol", 256, 3, None, store_root=tmp_path, resume=True)
    session = resumed.manifest["sessions"][-1]
    assert resumed.path == err.path
    assert (session["runs_before"], session["runs_after"]) == (err.done, total)
    assert resumed.complete and resumed.results["run_id"].tolist() == list(range(total))
    # the runs kept from before the kill are untouched, and the whole equals an uninterrupted study
    kept = resumed.results.set_index("run_id").loc[before.results["run_id"], "y"].to_numpy()
    np.testing.assert_array_equal(kept, before.results["y"].to_numpy())
    fresh = run_study("ishigami", None, "sobol", 256, 3, None, store_root=tmp_path / "fresh")
    np.testing.assert_array_equal(resumed.results["y"].to_numpy(), fresh.results["y"].to_numpy())
    pd.testing.assert_frame_equal(resumed.indices, fresh.indices)


def test_a_cancelled_study_keeps_its_chunks_and_resume_completes_it(tmp_path):
    cancel = threading.Event()

    def stop_after_first_chunk(done: int, total: int) -> None:
        cancel.set()

    part = run_study("ishigami", None, "morris", 20, 4, None, store_root=tmp_path, chunk_size=10,
                     progress=stop_after_first_chunk, cancel=cancel)
    assert not part.complete and len(part.results) == 10 and part.manifest["status"] == "cancelled"
    assert part.indices.empty
    done = run_study("ishigami", None, "morris", 20, 4, None, store_root=tmp_path, resume=True)
    assert done.path == part.path and done.complete and done.manifest["sessions"][-1]["runs_before"] == 10
    assert set(done.indices["index"]) == {"mu", "mu_star", "sigma"}


def test_ctrl_c_is_reported_with_the_study_path(tmp_path):
    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(StudyInterruptedError, match="continue it with --resume") as info:
        run_study("ishigami", None, "morris", 10, 4, None, store_root=tmp_path, chunk_size=5, progress=interrupt)
    assert store.runs_done(info.value.path) == 5


def test_manifest_records_what_was_asked_and_studies_reload_without_recomputing(tmp_path):
    study = run_study("ishigami", None, "sobol", 64, 9, None, store_root=tmp_path)
    m = json.loads((study.path / store.MANIFEST).read_text())
    assert m["method"] == "sobol" and m["n"] == 64 and m["n_runs"] == 64 * 5
    assert m["seeds"] == {"root": 9, "sampling": derived_seed(9, 0), "bootstrap": derived_seed(9, 1),
                          **{k: v for k, v in m["seeds"].items() if k not in ("root", "sampling", "bootstrap")}}
    assert m["seeds"]["sampling"] != m["seeds"]["bootstrap"]
    assert set(m["space"]["parameters"]) == {"x1", "x2", "x3"} and m["target"]["name"] == "ishigami"
    assert m["code_version"].startswith("0.1.0") and m["created"] <= m["finished"]
    assert m["status"] == "complete"

    again = store.load_study(study.path)
    pd.testing.assert_frame_equal(again.indices, study.indices)
    pd.testing.assert_frame_equal(again.table(), study.table())
    listing = store.list_studies(tmp_path)
    assert listing[["target", "method", "runs_done", "n_runs", "status"]].values.tolist() == [
        ["ishigami", "sobol", 320, 320, "complete"]]


def test_resume_does_not_mix_studies_that_differ(tmp_path):
    a = run_study("ishigami", None, "morris", 4, 1, None, store_root=tmp_path)
    b = run_study("ishigami", None, "morris", 4, 2, None, store_root=tmp_path, resume=True)
    c = run_study("ishigami", None, "morris", 4, 1, None, store_root=tmp_path, resume=True)
    assert a.path != b.path and c.path == a.path
    assert c.manifest["sessions"][-1]["runs_before"] == c.manifest["n_runs"]  # nothing rerun
    assert len(store.list_studies(tmp_path)) == 2


def test_load_study_of_a_missing_directory_is_a_one_line_error(tmp_path):
    with pytest.raises(ValueError, match=r"no manifest\.json") as info:
        store.load_study(tmp_path / "nope")
    assert "\n" not in str(info.value)
