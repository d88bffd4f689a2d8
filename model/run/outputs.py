"""Tidy outputs on disk: Parquet tables with documented columns, the resolved scenario, figures.

Files written by :func:`write` into the output directory:

* ``monthly.parquet``: one row per month per replication; columns as in :mod:`model.metrics.recorder`.
* ``breakdown.parquet``: replication, month, dimension (client_group, age_band, quintile,
  council), level, metric, value.
* ``daycentres.parquet``: replication, month, council, provider, attendance, occupancy,
  breakeven_occupancy, capacity (open centres only).
* ``councils.parquet``: replication, month, council and, per council, people, spend by kind,
  cost per person, providers active / entering / exiting by type, day centres open and attendance,
  providers in deficit, people displaced and unmatched, eligibility threshold and RAS rate.
* ``summary.csv``: the headline figures at the horizon (mean and 5-95% across replications).
* ``scenario.toml``: the fully resolved scenario that was run (with overrides).
* ``figures/*.png``: uptake, day centres, providers, cost, equity.

Outputs never mix runs: they are written into a fresh directory beside the target
(``.NAME.PID.partial``) that then takes the target's place by renames (:func:`staged`); a failed
or killed write leaves the previous outputs as they were. A target that holds anything but
carecon's outputs is never replaced (:func:`check_target`, called before any computing).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from model.run import plots
from model.run.simulation import HEADLINE, RunResult
from model.scenario import Scenario, ScenarioError

#: What ``carecon run`` and ``carecon compare`` write into an output directory.
OUTPUT_NAMES = frozenset({"monthly.parquet", "breakdown.parquet", "daycentres.parquet", "councils.parquet",
                          "summary.csv", "scenario.toml", "figures", "differences.csv", "headlines.csv",
                          "differences.png"})


def safe_name(name: str) -> str:
    """A scenario name as one directory name: runs of characters other than letters, digits, ``_``,
    ``-`` and ``.`` become ``_``, leading and trailing dots go (``../../x`` -> ``_.._x``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip(".") or "unnamed"


def _aside(out: Path, kind: str) -> Path:
    return out.with_name(f".{out.name}.{os.getpid()}.{kind}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tidy(out: Path) -> None:
    """Undo what a killed write left beside ``out``: put back previous outputs moved aside (``.old``)
    if ``out`` is missing, and remove unfinished ``.partial`` directories of processes that are gone."""
    for path in sorted(out.parent.glob(f".{glob.escape(out.name)}.*.*")):
        pid, _, kind = path.name[len(out.name) + 2:].partition(".")
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        if kind == "old" and not out.exists():
            os.replace(path, out)
        elif kind in ("old", "partial"):
            shutil.rmtree(path, ignore_errors=True)


def check_target(out: Path) -> bool:
    """Check, before computing, that outputs can go to ``out``: not below a file, in a directory this
    process may write, and either new, empty or holding only carecon's outputs (:data:`OUTPUT_NAMES`).
    Returns whether ``out`` holds outputs that the write will replace. Raises ScenarioError (one line)."""
    where = f"output directory '{out}'"
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"{where}: is a file; give a directory")
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ScenarioError(f"{where}: '{parent}' is a file, so nothing can be written below it")
    try:  # can a directory be made there? (what the write will do; also true of root in a read-only place)
        os.rmdir(tempfile.mkdtemp(prefix=".carecon-probe-", dir=parent))
    except OSError as err:
        raise ScenarioError(f"{where}: '{parent}' is not writable ({err.strerror or err})") from None
    _tidy(out)
    if not out.is_dir():
        return False
    foreign = sorted(p.name for p in out.iterdir() if p.name not in OUTPUT_NAMES)
    if foreign:
        raise ScenarioError(f"{where}: holds '{foreign[0]}', which carecon did not write; give a new or empty "
                            "directory (outputs replace the whole directory)")
    return any(out.iterdir())


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A fresh directory beside ``out`` to write into; when the block ends, it replaces ``out`` (the old
    outputs are moved aside, the new ones renamed into place, the old ones removed). If the block or a
    write fails (a full disk), the fresh directory is removed, ``out`` keeps its previous outputs and a
    one-line ScenarioError says so."""
    check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp, old = _aside(out, "partial"), _aside(out, "old")
    try:
        tmp.mkdir()
        yield tmp
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not out.exists():
            os.replace(old, out)
        if isinstance(err, OSError):
            raise ScenarioError(f"output directory '{out}': writing failed ({err.strerror or err}); "
                                "its previous contents are kept") from None
        raise
    shutil.rmtree(old, ignore_errors=True)


def summary(result: RunResult) -> pd.DataFrame:
    """Headline figures at the horizon: mean and 5-95% range across replications."""
    last = result.monthly[result.monthly["month"] == result.monthly["month"].max()]
    reps = result.monthly.groupby("replication")
    totals = pd.DataFrame({"dc_closures": reps["exits_day_centre"].sum(), "displaced": reps["displaced"].sum(),
                           "provider_entries": sum(reps[c].sum() for c in result.monthly if c.startswith("entries_")),
                           "provider_exits": sum(reps[c].sum() for c in result.monthly if c.startswith("exits_"))})
    rows = [(k, last[k]) for k in HEADLINE] + [(k, totals[k]) for k in totals]
    return pd.DataFrame([{"figure": k, "mean": v.mean(), "p05": v.quantile(0.05), "p95": v.quantile(0.95)}
                         for k, v in rows])


def write(result: RunResult, scenario: Scenario, out: Path, figures: bool = True) -> list[Path]:
    """Write tables, summary, scenario and figures into ``out``, replacing what it held as a whole
    (:func:`staged`); returns the paths written."""
    with staged(out) as tmp:
        for name in ("monthly", "breakdown", "daycentres", "councils"):
            getattr(result, name).to_parquet(tmp / f"{name}.parquet", index=False)
        summary(result).to_csv(tmp / "summary.csv", index=False)
        (tmp / "scenario.toml").write_text(scenario.to_toml(), encoding="utf-8")
        if figures:
            plots.all_figures(result.monthly, tmp / "figures")
    return sorted(p for p in out.rglob("*") if p.is_file())
