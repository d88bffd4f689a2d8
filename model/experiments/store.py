"""The study store: one directory per study, results appended as runs finish.

Layout of a study directory ``STORE/<created>-<target>-<method>-n<N>-<key>/``::

    manifest.json        what was asked and what happened: target (scenario TOML or test model),
                         parameter space, method and options, seeds, code version, times, sessions
    design.parquet       run_id and the sampled parameter values, one row per run
    results/part-SSS-CCCCCC.parquet
                         run_id, one column per output, seconds (run time), worker; one file per
                         finished chunk of runs (session SSS, chunk CCCCCC), written atomically
    indices.parquet      sensitivity indices (output, parameter, parameter2, index, value, conf)
    indices.png          their bar chart

    .lock                held (``flock``) by the process running the study

A part is written to a temporary name and renamed, so a study killed at any moment holds only
whole parts; ``--resume`` finds the study whose *key* (a hash of everything that determines its
runs) matches and runs only the run ids that no part holds. A study whose manifest says
"running" but whose lock nobody holds was stopped (its process died). A damaged manifest is
reported for that study alone, and never makes ``--resume`` start a new study silently. A
failed write (a full disk) is a one-line :class:`~model.scenario.ScenarioError`; what was stored
before it stays. Nothing here runs a model.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from model.scenario import ScenarioError

MANIFEST, DESIGN, RESULTS, INDICES, LOCK = "manifest.json", "design.parquet", "results", "indices.parquet", ".lock"
#: What a manifest must hold to be read (the rest is informative).
_MANIFEST_KEYS = {"key": str, "n_runs": int, "status": str, "method": str, "n": int, "target": dict, "space": dict,
                  "created": str, "code_version": str, "sessions": list}


@dataclass
class Study:
    """A study as stored: its manifest, design, results so far and (once analysed) its indices."""

    path: Path
    manifest: dict[str, Any]
    design: pd.DataFrame
    results: pd.DataFrame
    indices: pd.DataFrame

    @property
    def complete(self) -> bool:
        return len(self.results) == self.manifest["n_runs"]

    def table(self) -> pd.DataFrame:
        """Design and results side by side, one row per finished run (a sweep's answer)."""
        return self.design.merge(self.results, on="run_id", how="inner")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def code_version() -> str:
    """``git describe --always --dirty`` of the source tree, or the package version outside git."""
    from model import __version__

    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--tags"], capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parent, timeout=10, check=True)
        return f"{__version__}+g{out.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        return __version__


def study_key(spec: dict[str, Any]) -> str:
    """A short hash of everything that determines a study's runs (its identity for ``--resume``)."""
    text = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _write_atomic(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise ScenarioError(f"study '{path.parent}': cannot write {path.name} ({err.strerror or err}); what was "
                            "stored before is kept") from None


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    _write_atomic(path / MANIFEST, lambda p: p.write_text(json.dumps(manifest, indent=2, default=str) + "\n"))


class DamagedStudyError(ScenarioError):
    """A study directory whose manifest cannot be read or lacks what a study needs (one-line message)."""


def read_manifest(path: Path) -> dict[str, Any]:
    """A study's manifest; :class:`DamagedStudyError` if it is missing, unreadable or incomplete."""
    where = f"study '{path}': {MANIFEST}"
    try:
        manifest = json.loads((Path(path) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        reason = err.strerror if isinstance(err, OSError) else f"not JSON: {str(err).splitlines()[0]}"
        raise DamagedStudyError(f"{where} is damaged ({reason})") from None
    if not isinstance(manifest, dict):
        raise DamagedStudyError(f"{where} is damaged (not a JSON object)")
    for name, kind in _MANIFEST_KEYS.items():
        if not isinstance(manifest.get(name), kind):
            raise DamagedStudyError(f"{where} is damaged ({name!r} is missing or not a {kind.__name__})")
    return manifest


def _check_root(root: str | Path) -> Path:
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise ScenarioError(f"study store '{root}': is a file, not a directory")
    return root


def create_study(root: str | Path, spec: dict[str, Any], design: pd.DataFrame, label: str) -> Path:
    """Make a new study directory with its manifest and design; returns its path (a study made in the
    same second with the same key gets a suffix ``-2``, ``-3``...)."""
    key = study_key(spec)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    base = _check_root(root) / f"{stamp}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', label)}-{key}"
    path, k = base, 1
    while True:
        try:
            path.mkdir(parents=True, exist_ok=False)
            break
        except FileExistsError:
            k += 1
            path = base.with_name(f"{base.name}-{k}")
        except OSError as err:
            raise ScenarioError(f"study store '{root}': cannot make a study there ({err.strerror or err})") from None
    (path / RESULTS).mkdir()
    _write_atomic(path / DESIGN, lambda p: design.to_parquet(p, index=False))
    manifest = {**spec, "key": key, "n_runs": len(design), "code_version": code_version(), "created": now(),
                "status": "created", "sessions": []}
    write_manifest(path, manifest)
    return path


def find_resumable(root: str | Path, spec: dict[str, Any]) -> Path | None:
    """The most recent study under ``root`` with the same key as ``spec``, or None. A study directory of
    that key whose manifest is damaged is a :class:`DamagedStudyError`: resuming must not silently start
    the study again beside the runs it holds."""
    key = study_key(spec)
    found = []
    for path in _check_root(root).glob(f"*-{key}*"):
        if path.is_dir() and read_manifest(path)["key"] == key:
            found.append(path)
    return max(found, default=None)


@contextmanager
def running(path: Path) -> Iterator[None]:
    """Hold the study's lock while it runs: a second process (or thread) resuming the same study is
    refused with one line. The lock goes with the process, so a killed study is not left locked."""
    fd = os.open(Path(path) / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ScenarioError(f"study '{path}': already running in another process; wait for it to end or stop "
                                "it first") from None
        yield
    finally:
        os.close(fd)


def is_running(path: Path) -> bool:
    """Whether some process holds the study's lock (see :func:`running`)."""
    try:
        fd = os.open(Path(path) / LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def status(path: Path, manifest: dict[str, Any]) -> str:
    """The manifest's status, except that a study "running" whose lock nobody holds is "stopped"."""
    return "stopped" if manifest["status"] == "running" and not is_running(path) else manifest["status"]


def _parts(path: Path) -> list[Path]:
    return sorted((Path(path) / RESULTS).glob("part-*.parquet"))


def append_results(path: Path, session: int, chunk: int, records: list[dict[str, Any]]) -> Path:
    """Write one finished chunk of runs as a new Parquet part (atomically)."""
    part = Path(path) / RESULTS / f"part-{session:03d}-{chunk:06d}.parquet"
    frame = pd.DataFrame.from_records(records)
    _write_atomic(part, lambda p: frame.to_parquet(p, index=False))
    return part


def read_results(path: Path) -> pd.DataFrame:
    """Every stored run (one row per run id, sorted)."""
    parts = _parts(path)
    if not parts:
        return pd.DataFrame({"run_id": pd.Series(dtype="int64")})
    frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    return frame.drop_duplicates("run_id").sort_values("run_id", ignore_index=True)


def runs_done(path: Path) -> int:
    """How many distinct runs are stored (reads only the parts' run ids)."""
    parts = _parts(path)
    if not parts:
        return 0
    return len(set().union(*(pq.read_table(p, columns=["run_id"]).column(0).to_pylist() for p in parts)))


def begin_session(path: Path, executor: str, workers: int, runs_before: int) -> int:
    """Record that a (new or resumed) session starts; returns its number."""
    manifest = read_manifest(path)
    manifest["sessions"].append({"started": now(), "executor": executor, "workers": workers,
                                 "runs_before": runs_before, "runs_after": runs_before, "status": "running"})
    manifest["status"] = "running"
    write_manifest(path, manifest)
    return len(manifest["sessions"]) - 1


def end_session(path: Path, session: int, status: str, runs_after: int, seconds: float) -> None:
    """Record how a session ended (``complete``, ``cancelled``, ``interrupted``)."""
    manifest = read_manifest(path)
    manifest["sessions"][session].update(finished=now(), status=status, runs_after=runs_after,
                                         seconds=round(seconds, 3))
    manifest["status"] = status
    if status == "complete":
        manifest["finished"] = now()
    write_manifest(path, manifest)


def write_indices(path: Path, indices: pd.DataFrame) -> None:
    _write_atomic(Path(path) / INDICES, lambda p: indices.to_parquet(p, index=False))


def load_study(path: str | Path) -> Study:
    """Reload a stored study without recomputing anything (its status as by :func:`status`)."""
    path = Path(path)
    if not (path / MANIFEST).is_file():
        raise ScenarioError(f"study '{path}': no {MANIFEST} there (see `carecon studies list`)")
    manifest = read_manifest(path)
    manifest["status"] = status(path, manifest)
    try:
        indices = pd.read_parquet(path / INDICES) if (path / INDICES).is_file() else pd.DataFrame(
            columns=["output", "parameter", "parameter2", "index", "value", "conf"])
        return Study(path, manifest, pd.read_parquet(path / DESIGN), read_results(path), indices)
    except (OSError, ValueError) as err:  # pyarrow's errors for a damaged file are among these
        raise DamagedStudyError(f"study '{path}': a stored table is damaged ({str(err).splitlines()[0]})") from None


COLUMNS = ["path", "target", "method", "n", "parameters", "runs_done", "n_runs", "status", "created", "code_version",
           "problem"]


def list_studies(root: str | Path = "studies") -> pd.DataFrame:
    """One row per study under ``root``: path, target, method, n, runs done of total, status (``stopped``
    for a study whose process died), times, and ``problem``: why a damaged study (status ``damaged``)
    cannot be read, empty otherwise."""
    rows = []
    for path in sorted(p for p in _check_root(root).glob("*") if p.is_dir() and not p.name.startswith(".")):
        try:
            m = read_manifest(path)
            done = m["n_runs"] if m["status"] == "complete" else runs_done(path)  # no part scan
            rows.append({"path": str(path), "target": m["target"].get("name", "?"), "method": m["method"],
                         "n": m["n"], "parameters": len(m["space"].get("parameters", ())), "runs_done": done,
                         "n_runs": m["n_runs"], "status": status(path, m), "created": m["created"],
                         "code_version": m["code_version"], "problem": ""})
        except (ScenarioError, OSError, ValueError) as err:
            rows.append({"path": str(path), "target": "?", "method": "?", "n": 0, "parameters": 0, "runs_done": 0,
                         "n_runs": 0, "status": "damaged", "created": "", "code_version": "",
                         "problem": str(err).splitlines()[0] if str(err) else type(err).__name__})
    return pd.DataFrame(rows, columns=COLUMNS)
