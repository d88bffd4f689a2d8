"""Per-centre forecasts across replications: what a council analyst reads of each day centre.

From a run's day-centre table (one row per replication, month and open centre), for each centre
(its name when the scenario names it, else its provider number): attendance with 5-95 % bands,
occupancy against break-even, the probability of being below break-even now and of having crossed
it by each month, the probability of having closed, the distribution of the closure month, and
what keeping the centre open costs (an in-house centre: the council's net cost; an independent one:
the subsidy it would need). Columns are documented in :mod:`model.metrics.columns` (``centres``,
``centre_closures``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.metrics.columns import CENTRE_COLUMNS, CLOSURE_COLUMNS

KEY = ["council", "centre", "ownership"]


def labelled(daycentres: pd.DataFrame) -> pd.DataFrame:
    """The day-centre table with every centre labelled (its name, or ``centre N`` by provider number)
    and what keeping it open costs each month (in-house: minus its result; independent: its loss)."""
    name = daycentres["centre"].where(daycentres["centre"] != "", "centre " + daycentres["provider"].astype(str))
    cost = np.where(daycentres["ownership"] == "in_house", -daycentres["result"],
                    np.maximum(-daycentres["result"], 0.0))
    return daycentres.assign(centre=name, cost_to_keep_open=cost,
                             below=daycentres["occupancy"] < daycentres["breakeven_occupancy"])


def _grid(frame: pd.DataFrame, replications: int, months: int) -> pd.DataFrame:
    """Every (centre, replication, month) of the run, the months a centre is closed (or not yet open)
    with ``open`` false and attendance 0."""
    centres = frame[KEY].drop_duplicates()
    grid = centres.merge(pd.DataFrame({"replication": np.repeat(np.arange(replications), months),
                                       "month": np.tile(np.arange(1, months + 1), replications)}), how="cross")
    out = grid.merge(frame.assign(open=True), on=[*KEY, "replication", "month"], how="left")
    out["open"] = out["open"].astype("boolean").fillna(False).astype(bool)
    out["attendance"] = out["attendance"].fillna(0.0)
    out["below"] = out["below"].astype("boolean").fillna(False).astype(bool)
    seen = out.groupby([*KEY, "replication"])["open"].transform("cummax")  # opened by now
    out["closed"] = seen.groupby([out[k] for k in [*KEY, "replication"]]).shift(1, fill_value=False) & ~out["open"]
    out["closed"] = out.groupby([*KEY, "replication"])["closed"].cummax()
    out["crossed"] = out.groupby([*KEY, "replication"])["below"].cummax() | out["closed"]
    return out


def centre_forecast(daycentres: pd.DataFrame, replications: int, months: int) -> pd.DataFrame:
    """Per centre and month, across ``replications`` replications of ``months`` months: the columns
    of :data:`~model.metrics.columns.CENTRE_COLUMNS` (``date`` from the table's own dates)."""
    frame = labelled(daycentres)
    grid = _grid(frame, replications, months)
    by = grid.groupby([*KEY, "month"])
    out = by.agg(attendance=("attendance", "mean"), open_share=("open", "mean"), closed_share=("closed", "mean"),
                 crossed_share=("crossed", "mean"))
    out["attendance_low"] = by["attendance"].quantile(0.05)
    out["attendance_high"] = by["attendance"].quantile(0.95)
    out["below_breakeven_share"] = (grid["open"] & grid["below"]).groupby([grid[k] for k in [*KEY, "month"]]).mean()
    opened = frame.groupby([*KEY, "month"])
    out = out.join(opened[["occupancy", "breakeven_occupancy", "cost_to_keep_open"]].mean())
    out = out.reset_index()
    out["date"] = np.datetime64("NaT", "ns")
    if len(daycentres):  # month 1's calendar month, from any row's month and date
        row = daycentres.iloc[0]
        first = np.datetime64(row["date"], "M") - np.timedelta64(int(row["month"]) - 1, "M")
        after = (out["month"].to_numpy(dtype=np.int64) - 1).astype("timedelta64[M]")
        out["date"] = (first + after).astype("datetime64[ns]")
    return out[list(CENTRE_COLUMNS)]


def closure_table(daycentres: pd.DataFrame, replications: int, months: int) -> pd.DataFrame:
    """Per centre: the share of ``replications`` in which it closed within ``months`` months, the
    5th, 50th and 95th percentiles of its closure month, the median first month below break-even and
    the cost of keeping it open (:data:`~model.metrics.columns.CLOSURE_COLUMNS`)."""
    frame = labelled(daycentres)
    grid = _grid(frame, replications, months)
    per_run = grid.groupby([*KEY, "replication"]).agg(
        closed=("closed", "any"), total=("cost_to_keep_open", "sum"))
    per_run["closure_month"] = grid[grid["closed"]].groupby([*KEY, "replication"])["month"].min()
    per_run["first_below"] = grid[grid["open"] & grid["below"]].groupby([*KEY, "replication"])["month"].min()
    by = per_run.groupby(level=KEY)
    out = by.agg(closed_share=("closed", "mean"), first_below_breakeven=("first_below", "median"),
                 total_cost_to_keep_open=("total", "mean"))
    out["replications"] = replications
    out["closure_month_low"] = by["closure_month"].quantile(0.05)
    out["closure_month"] = by["closure_month"].median()
    out["closure_month_high"] = by["closure_month"].quantile(0.95)
    out["monthly_cost_to_keep_open"] = frame.groupby(KEY)["cost_to_keep_open"].mean()
    return out.reset_index()[list(CLOSURE_COLUMNS)]
