"""Day-centre decline taken apart (issue 22): how much of ``sds_rollout``'s fall in day-centre
attendance the choice makes and how much the run-down of block contracts makes.

``sds_rollout`` is run with both (the scenario), with the choice only (block contracts kept:
``commissioning.block_retention`` 1), with the run-down only (the offer made, block contracts run
down, but Option 3 the only option: ``rollout.options`` [3]) and with neither; then with the
run-down as the council's commissioning decision instead of the schedule
(``commissioning.rundown`` = occupancy: block places given up only as they go unused), with the
choice and without it; and the choice and the run-down again with mixed packages
(``providers.top_up``), against ``baseline`` with mixed packages. ``baseline`` is
run as the comparator, all on common random numbers (replication ``i`` has the same seed in every
configuration, as in :mod:`model.experiments.channels`). For each replication: day-centre attendance
per 1,000 people, its mean over the last year (year ten) against the first, and the last year against
the baseline's last year in the same replication; summarised as the mean and the 5-95 % range over replications.

    python -m model.experiments.dc_decline [--people 2000] [--months 120] [--replications 8] [--seed 1]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np
import pandas as pd

from model.experiments.channels import add_run_sizes, checked
from model.experiments.runner import run_replications
from model.scenario import Scenario, load_scenario

#: The configurations: name -> overrides of ``sds_rollout`` (council 0 is its one council).
CONFIGURATIONS: dict[str, dict[str, object]] = {
    "choice and run-down (sds_rollout)": {},
    "choice only": {"councils.0.commissioning.block_retention": 1.0},
    "run-down only": {"councils.0.rollout.options": [3]},
    "neither": {"councils.0.commissioning.block_retention": 1.0, "councils.0.rollout.options": [3]},
    "choice, run-down by occupancy": {"councils.0.commissioning.rundown": "occupancy"},
    "run-down by occupancy only": {"councils.0.commissioning.rundown": "occupancy", "councils.0.rollout.options": [3]},
}
#: Mixed packages (``providers.top_up``): the main configurations again, and their comparator.
MIXED = {"providers.top_up": True}
CONFIGURATIONS |= {f"{name}, mixed packages": {**MIXED, **CONFIGURATIONS[name]}
                   for name in ("choice and run-down (sds_rollout)", "choice only", "run-down only")}


def yearly_attendance(scenario: Scenario, replications: int, seed: int) -> pd.DataFrame:
    """Day-centre attendance per 1,000 people, mean over the first and the last twelve months, one
    row per replication (columns ``first``, ``last``)."""
    m = run_replications(scenario, replications, seed).monthly
    m = m.assign(per_1000=1000 * m["dc_attendance"] / m["people"])
    last = m["month"].max()
    return pd.DataFrame({"first": m[m["month"] <= 12].groupby("replication")["per_1000"].mean(),
                         "last": m[m["month"] > last - 12].groupby("replication")["per_1000"].mean()})


def band(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and the 5 % and 95 % points of ``values`` (one per replication)."""
    return float(np.mean(values)), float(np.percentile(values, 5)), float(np.percentile(values, 95))


def decompose(people: int = 2000, months: int = 120, replications: int = 8, seed: int = 1) -> pd.DataFrame:
    """One row per configuration (baseline first): attendance per 1,000 in the first and the last
    year, the change from the first year to the last and the difference from the baseline's last
    year (per cent), each as mean, 5 % and 95 % over replications."""
    run = {"run.people": people, "run.months": months}
    bases = {mixed: yearly_attendance(load_scenario("baseline", {**run, **(MIXED if mixed else {})}), replications,
                                      seed) for mixed in (False, True)}
    rows = []
    configurations = {"baseline": None, **{k: v for k, v in CONFIGURATIONS.items() if not k.endswith("packages")},
                      "baseline, mixed packages": MIXED,
                      **{k: v for k, v in CONFIGURATIONS.items() if k.endswith("packages")}}
    for name, overrides in configurations.items():
        base = bases[bool(overrides and overrides.get("providers.top_up"))]  # against its own structure's baseline
        a = base if name.startswith("baseline") else yearly_attendance(
            load_scenario("sds_rollout", {**run, **overrides}), replications, seed)
        row: dict[str, object] = {"configuration": name}
        for label, values in (("first year", a["first"]), ("last year", a["last"]),
                              ("last year vs first, %", 100 * (a["last"] / a["first"] - 1)),
                              ("last year vs baseline, %", 100 * (a["last"] / base["last"] - 1))):
            row[label] = band(values.to_numpy(dtype=float))
        rows.append(row)
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """The table as Markdown, each cell "mean [5 %-95 %]"."""
    columns = [c for c in table.columns if c != "configuration"]
    lines = ["| configuration | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for _, row in table.iterrows():
        cells = [f"{row[c][0]:+.1f} [{row[c][1]:+.1f} to {row[c][2]:+.1f}]" if "%" in c
                 else f"{row[c][0]:.1f} [{row[c][1]:.1f}–{row[c][2]:.1f}]" for c in columns]
        lines.append(f"| {row['configuration']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m model.experiments.dc_decline", description=__doc__.split("\n")[0])
    add_run_sizes(p, 2000, 8)
    args = p.parse_args(argv)
    table = checked(p, lambda: decompose(args.people, args.months, args.replications, args.seed))
    print(f"\nDay-centre attendance per 1,000 people, {args.people:,} people, {args.replications} replications "
          f"(mean [5-95 %] over replications)\n")
    print(markdown(table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
