"""When a council's levers move and who waits (the `demand_surge` page's table; ODD 7.10).

A scenario and its comparator run on common seeds; per replication, the first month each lever
moves (waiting list, review reduction, charging, eligibility, decommissioning), how long the
waiting list is in force, who waits, the year's net spend against the cash limit, charges and the
caseload; summarised as the mean and the 5-95 % range over replications (a lever that never moves in
a replication is left out of its month's range, and the table says in how many it moved).

    python -m model.experiments.levers [--scenario demand_surge] [--comparator sds_rollout]
        [--people 3000] [--replications 10] [--workers 2]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np
import pandas as pd

from model.experiments.runner import compare, make_executor
from model.run.outputs import markdown_table
from model.scenario import LEVERS as SCENARIO_LEVERS
from model.scenario import load_scenario

#: The levers' names on the page, by their names in the scenario (:data:`model.scenario.LEVERS`).
NAMES = {"waiting_list": "the waiting list", "review_reduction": "a review reduction", "charging": "charging",
         "eligibility": "the eligibility threshold", "decommissioning": "decommissioning"}
#: The lever codes of the councils table's ``lever_moved`` (ODD 7.10: a lever's place in
#: :data:`model.scenario.LEVERS`, from 1) and their names on the page.
LEVERS = {code: NAMES[lever] for code, lever in enumerate(SCENARIO_LEVERS, start=1)}


def per_replication(councils: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    """One row per replication (all councils together): the figures of :func:`table`."""
    rows = []
    for rep, c in councils.groupby("replication"):
        m = monthly[monthly["replication"] == rep]
        by_month = c.groupby("month")
        waiting = by_month["waiting_list"].sum()
        last = int(c["month"].max())
        row: dict[str, float] = {}
        for code, name in LEVERS.items():
            moved = c.loc[c["lever_moved"] == code, "month"]
            row[f"first month {name} moves"] = float(moved.min()) if len(moved) else np.nan
        row["months with a waiting list in force"] = float((by_month["waiting_list_on"].max() > 0).sum())
        for month in (36, last):
            row[f"people waiting, month {month}"] = float(waiting.get(month, np.nan))
        row[f"of them without a package, month {last}"] = float(by_month["waiting_new"].sum().get(last, np.nan))
        year_end = c[c["month"] % 12 == 0].groupby("month")[["year_spend", "cash_limit"]].sum()
        for year in (3, last // 12):
            if 12 * year in year_end.index:
                r = year_end.loc[12 * year]
                row[f"year's net spend / cash limit, year {year}"] = float(r.year_spend / r.cash_limit)
        row["overspend reported over the run (GBP)"] = float(c["overspend"].fillna(0).sum())
        row["charges over the run (GBP)"] = float(c["charges"].sum())
        for column, label in (("people", "people on the books"), ("with_package", "people with a package")):
            row[f"{label}, month {last}"] = float(m.loc[m["month"] == last, column].sum())
        for month in (60, last):
            row[f"met need, month {month}"] = float(m.loc[m["month"] == month, "met_need"].mean())
        rows.append(row)
    return pd.DataFrame(rows)


def _cell(values: pd.Series) -> str:
    """Mean [5-95 %] in the figure's own format (months and people whole, money in GBP millions)."""
    v = values.dropna()
    name = str(values.name)
    if v.empty:
        return "never" if name.startswith("first month") else "-"
    if "(GBP)" in name:
        def fmt(x: float) -> str:
            return f"£{x / 1e6:,.1f}m"
    elif name.startswith(("first month", "months", "people", "of them")):
        def fmt(x: float) -> str:
            return f"{x:,.0f}"
    else:
        def fmt(x: float) -> str:
            return f"{x:.2f}"
    lo, hi = np.quantile(v, [0.05, 0.95])
    text = f"{fmt(v.mean())} [{fmt(lo)}-{fmt(hi)}]"
    return text + (f" ({len(v)} of {len(values)} runs)" if len(v) < len(values) else "")


def table(scenario: str, comparator: str, people: int, replications: int, workers: int = 2) -> pd.DataFrame:
    """The page's table: one row per figure, one column per scenario (mean [5-95 %])."""
    s = [load_scenario(comparator, {"run.people": people}), load_scenario(scenario, {"run.people": people})]
    with make_executor("local", workers) as pool:
        result = compare(s, replications, s[1].run.seed, pool)
    columns = {}
    for name in (scenario, comparator):
        r = result.results[name]
        columns[name] = per_replication(r.councils, r.monthly).apply(_cell)
    return pd.DataFrame(columns).rename_axis("figure")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="demand_surge")
    ap.add_argument("--comparator", default="sds_rollout")
    ap.add_argument("--people", type=int, default=3000)
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    t = table(args.scenario, args.comparator, args.people, args.replications, args.workers)
    print(markdown_table([t.index.name, *t.columns], ([figure, *row] for figure, row in t.iterrows())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
