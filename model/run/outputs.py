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
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from model.run import plots
from model.run.simulation import HEADLINE, RunResult
from model.scenario import Scenario


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
    """Write tables, summary, scenario and figures; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in ("monthly", "breakdown", "daycentres", "councils"):
        p = out / f"{name}.parquet"
        getattr(result, name).to_parquet(p, index=False)
        paths.append(p)
    p = out / "summary.csv"
    summary(result).to_csv(p, index=False)
    paths.append(p)
    p = out / "scenario.toml"
    p.write_text(scenario.to_toml(), encoding="utf-8")
    paths.append(p)
    if figures:
        paths += plots.all_figures(result.monthly, out / "figures")
    return paths
