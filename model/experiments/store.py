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

A part is written to a temporary name and renamed, so a study killed at any moment holds only
whole parts; ``--resume`` finds the study whose *key* (a hash of everything that determines its
runs) matches and runs only the run ids that no part holds. Nothing here runs a model.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

MANIFEST, DESIGN, RESULTS, INDICES = "manifest.json", "design.parquet", "results", "indices.parquet"


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
    write(tmp)
    os.replace(tmp, path)


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    _write_atomic(path / MANIFEST, lambda p: p.write_text(json.dumps(manifest, indent=2, default=str) + "\n"))


def read_manifest(path: Path) -> dict[str, Any]:
    return json.loads((Path(path) / MANIFEST).read_text(encoding="utf-8"))


def create_study(root: str | Path, spec: dict[str, Any], design: pd.DataFrame, label: str) -> Path:
    """Make a new study directory with its manifest and design; returns its path."""
    key = study_key(spec)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = Path(root) / f"{stamp}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', label)}-{key}"
    (path / RESULTS).mkdir(parents=True, exist_ok=False)
    _write_atomic(path / DESIGN, lambda p: design.to_parquet(p, index=False))
    manifest = {**spec, "key": key, "n_runs": len(design), "code_version": code_version(), "created": now(),
                "status": "created", "sessions": []}
    write_manifest(path, manifest)
    return path


def find_resumable(root: str | Path, spec: dict[str, Any]) -> Path | None:
    """The most recent study under ``root`` with the same key as ``spec``, or None."""
    key = study_key(spec)
    found = []
    for manifest_path in Path(root).glob(f"*-{key}/{MANIFEST}"):
        if read_manifest(manifest_path.parent).get("key") == key:
            found.append(manifest_path.parent)
    return max(found, default=None)


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
    """Reload a stored study without recomputing anything."""
    path = Path(path)
    if not (path / MANIFEST).is_file():
        from model.scenario import ScenarioError

        raise ScenarioError(f"study '{path}': no {MANIFEST} there (see `carecon studies list`)")
    indices = pd.read_parquet(path / INDICES) if (path / INDICES).is_file() else pd.DataFrame(
        columns=["output", "parameter", "parameter2", "index", "value", "conf"])
    return Study(path, read_manifest(path), pd.read_parquet(path / DESIGN), read_results(path), indices)


def list_studies(root: str | Path = "studies") -> pd.DataFrame:
    """One row per study under ``root``: path, target, method, n, runs done of total, status, times."""
    rows = []
    for manifest_path in sorted(Path(root).glob(f"*/{MANIFEST}")):
        m = read_manifest(manifest_path.parent)
        done = m["n_runs"] if m["status"] == "complete" else runs_done(manifest_path.parent)  # no part scan
        rows.append({"path": str(manifest_path.parent), "target": m["target"]["name"], "method": m["method"],
                     "n": m["n"], "parameters": len(m["space"]["parameters"]),
                     "runs_done": done, "n_runs": m["n_runs"], "status": m["status"],
                     "created": m["created"], "code_version": m["code_version"]})
    return pd.DataFrame(rows, columns=["path", "target", "method", "n", "parameters", "runs_done", "n_runs", "status",
                                       "created", "code_version"])
