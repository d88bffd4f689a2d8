"""Tidy outputs on disk: Parquet tables with documented columns, the resolved scenario, figures.

Files written by :func:`write` into the output directory:

* ``monthly.parquet``: one row per month per replication: the headline figures.
* ``breakdown.parquet``: replication, month, dimension (council, client_group, age_band,
  quintile), level, metric, value.
* ``daycentres.parquet``: one row per open day centre per month per replication.
* ``centres.csv`` and ``centre_closures.csv``: per centre (and month), across replications:
  attendance, occupancy against break-even, the probability of being below break-even and of
  having closed, the closure month's distribution and the cost of keeping it open
  (:mod:`model.run.centres`).
* ``councils.parquet``: one row per council per month per replication.
* ``equity.parquet``: equity indices of the population with need, each year and at the end, per
  replication (with bootstrap intervals within the run).
* ``summary.csv``: the headline figures at the horizon and the run totals (mean and 5-95% across
  replications).
* ``scenario.toml``: the fully resolved scenario that was run (with overrides).
* ``figures/*.png``: uptake, day centres, providers, cost, equity.

Every column is named and described in :mod:`model.metrics.columns`; :func:`reference_page` writes
them out as ``docs/reference/outputs.md`` (``python -m model.run.outputs``, run by ``make docs``).

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
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from model.metrics.columns import (
    BREAKDOWN_METRICS,
    DIMENSIONS,
    EQUITY_DIMENSIONS,
    EQUITY_MEASURES,
    EQUITY_TABLE_OUTCOMES,
    RUN_TOTAL_COLUMNS,
    TABLES,
    WHO_GAINS_COLUMNS,
    Column,
)
from model.run import centres, plots
from model.run.simulation import HEADLINE, RunResult, replication_figures
from model.scenario import Scenario, ScenarioError

#: What ``carecon run`` and ``carecon compare`` write into an output directory.
OUTPUT_NAMES = frozenset({"monthly.parquet", "breakdown.parquet", "daycentres.parquet", "councils.parquet",
                          "centres.csv", "centre_closures.csv",
                          "equity.parquet", "summary.csv", "scenario.toml", "figures", "differences.csv",
                          "headlines.csv", "differences.png", "who_gains.csv", "targets.csv", "waves.csv",
                          "nroy_bounds.csv", "nroy_space.toml", "nroy_sample.csv", "posterior.csv", "uncertainty.csv",
                          "draws.csv", "screening.csv", "fitted_space.toml", "central.csv", "stages.csv"})


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

def shown(value: float, spec: str = ".3f") -> str:
    """A figure as printed: ``missing`` for one with nobody behind it (NaN), never a made-up 0."""
    return "missing" if pd.isna(value) else format(value, spec)


#: Run totals in the summary, after the headline figures (:data:`model.metrics.definitions.RUN_TOTALS`).
SUMMARY_TOTALS = ("dc_closures", "displaced", "provider_entries", "provider_exits")


def per_replication(result: RunResult) -> pd.DataFrame:
    """Headline figures at the horizon and run totals, one row per replication."""
    monthly = result.monthly
    return replication_figures(monthly[monthly["month"] == monthly["month"].max()], monthly, SUMMARY_TOTALS)


def summary(result: RunResult) -> pd.DataFrame:
    """Headline figures at the horizon and run totals: mean and 5-95% range across replications."""
    figures = per_replication(result)
    rows = [(k, figures[k].mean(), figures[k].quantile(0.05), figures[k].quantile(0.95)) for k in figures]
    return pd.DataFrame(rows, columns=list(TABLES["summary"]))


#: The tables a run writes: file name and what one row is.
FILES = {"monthly": ("monthly.parquet", "One row per replication and month: the headline figures, over all councils."),
         "breakdown": ("breakdown.parquet", "One row per replication, month, dimension, level and metric: figures "
                       "over the people with a package in each group (long format)."),
         "councils": ("councils.parquet", "One row per replication, month and council: the council's figures."),
         "daycentres": ("daycentres.parquet", "One row per replication, month and open day centre."),
         "centres": ("centres.csv", "One row per day centre and month, across replications: what a council analyst "
                     "reads of each centre."),
         "centre_closures": ("centre_closures.csv", "One row per day centre, across replications: its closure "
                             "month's distribution and the cost of keeping it open."),
         "equity": ("equity.parquet", "One row per replication, month (each year's last and the run's last), "
                    "outcome, dimension, group and measure: means and socioeconomic inequality indices over the "
                    "population with need (everyone living whose assessed need is at or above the scenario's "
                    "starting eligibility threshold, budgets.eligibility_threshold, with or without a package), "
                    "with 95% bootstrap intervals within the run (long format)."),
         "summary": ("summary.csv", "One row per figure: the headline figures at the horizon and the run totals, "
                     "across replications.")}


def write(result: RunResult, scenario: Scenario, out: Path, figures: bool = True,
          extra: dict[str, pd.DataFrame] | None = None) -> list[Path]:
    """Write tables, summary, scenario, figures and any ``extra`` CSV tables (by file name) into
    ``out``, replacing what it held as a whole (:func:`staged`); returns the paths written."""
    with staged(out) as tmp:
        for name in ("monthly", "breakdown", "daycentres", "councils", "equity"):
            getattr(result, name).to_parquet(tmp / f"{name}.parquet", index=False)
        summary(result).to_csv(tmp / "summary.csv", index=False)
        reps, months = result.monthly["replication"].nunique(), int(result.monthly["month"].max())
        centres.centre_forecast(result.daycentres, reps, months).to_csv(tmp / "centres.csv", index=False)
        centres.closure_table(result.daycentres, reps, months).to_csv(tmp / "centre_closures.csv", index=False)
        for name, table in (extra or {}).items():
            table.to_csv(tmp / name, index=False)
        (tmp / "scenario.toml").write_text(scenario.to_toml(), encoding="utf-8")
        if figures:
            plots.all_figures(result.monthly, tmp / "figures")
    return sorted(p for p in out.rglob("*") if p.is_file())


def markdown_table(header: Sequence[str], rows: Iterable[Iterable[object]]) -> str:
    """A Markdown table: the ``header`` row, its rule, then one line per row (each value as ``str``)."""
    def line(cells: Iterable[object]) -> str:
        return "| " + " | ".join(str(cell) for cell in cells) + " |"

    return "\n".join([line(header), "|" + "---|" * len(header), *(line(row) for row in rows)])


def _table(rows: list[Column], first: str = "column") -> list[str]:
    return [markdown_table([first, "label", "unit", "meaning"],
                           ([f"`{c.name}`", c.label, c.unit, c.meaning] for c in rows))]


def reference_page() -> str:
    """``docs/reference/outputs.md``: every output column with its label, unit and meaning."""
    lines = ["# Output columns", "",
             "Generated by `python -m model.run.outputs` (`make docs`) from `model/metrics/columns.py`; do not edit "
             "by hand. `carecon run` writes these tables into its output directory, with `scenario.toml` (the "
             "resolved scenario) and `figures/`. Money is in GBP; a month's stocks are counted at its end and its "
             "flows during it. Figures are defined in `model/metrics/definitions.py`."]
    for name, columns in TABLES.items():
        file, row = FILES[name]
        lines += ["", f"## `{file}`", "", row, "", *_table(list(columns.values()))]
        if name == "breakdown":
            lines += ["", "Values of `metric`:", "", *_table(list(BREAKDOWN_METRICS.values()), "metric"), "",
                      "Values of `dimension` and their levels:", "",
                      markdown_table(["dimension", "label", "levels"],
                                     ([f"`{dim}`", label, ", ".join(levels) if levels else "the councils' names"]
                                      for dim, (label, levels) in DIMENSIONS.items()))]
        if name == "equity":
            lines += ["", "Values of `outcome`:", "", *_table(list(EQUITY_TABLE_OUTCOMES.values()), "outcome"), "",
                      "Values of `measure` (by deprivation quintile, Q1 most deprived first):", "",
                      *_table(list(EQUITY_MEASURES.values()), "measure"), "",
                      "Values of `dimension` and their groups:", "",
                      markdown_table(["dimension", "label", "groups"],
                                     ([f"`{dim}`", label, ", ".join(groups)]
                                      for dim, (label, groups) in EQUITY_DIMENSIONS.items())),
                      "", "## `who_gains.csv` (written by `carecon compare`)", "",
                      "One row per scenario, month, outcome, dimension and group: who gains and who loses, the paired "
                      "difference from the comparator (the first scenario) of the group's mean outcome among its "
                      "people with need (`model.metrics.equity.who_gains`).", "",
                      *_table(list(WHO_GAINS_COLUMNS.values()))]
        if name == "summary":
            monthly = TABLES["monthly"]
            lines += ["", "Values of `figure`: headline figures (the monthly column in the last month)", "",
                      *_table([monthly[k] for k in HEADLINE], "figure"), "", "and run totals:", "",
                      *_table([RUN_TOTAL_COLUMNS[k] for k in SUMMARY_TOTALS], "figure")]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(reference_page(), end="")
