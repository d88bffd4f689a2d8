"""The deprivation gaps taken apart by channel (ODD 7.1): how much of each gap each channel makes.

A scenario is run with every deprivation channel off, with each channel alone, and with all of them
on (``demography.deprivation_*``), on common random numbers (replication ``i`` has the same seed in
every configuration), and the gaps Q5 - Q1 at the horizon are summarised over the replications:
the direct-payment gap (``gap_option1``), the met-need gap (``gap_met_need``) and the quality-of-life
gap (``equity_gap``, in SCRQoL / 24), each as its mean and a 90 % Student-t interval of the mean.
These gaps are among people with a package (the monthly table's ``gap_*`` columns).

    python -m model.experiments.channels [--scenario sds_rollout] [--people 3000] [--months 120]
        [--replications 5] [--seed 1]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from model.experiments.runner import run_replications
from model.run.outputs import markdown_table
from model.scenario import Scenario, ScenarioError, load_scenario

#: The channels, in the order of the scenario's switches ``demography.deprivation_<channel>``.
CHANNELS = ("need", "onset", "carers", "mortality", "confidence")
#: The gaps reported: monthly-table column -> label.
GAPS = {"gap_option1": "direct-payment gap", "gap_met_need": "met-need gap", "equity_gap": "quality-of-life gap"}


def configurations() -> dict[str, tuple[str, ...]]:
    """The channels switched on in each configuration: none, each alone, all."""
    return {"all off": (), **{f"{c} alone": (c,) for c in CHANNELS}, "all on": CHANNELS}


def with_channels(scenario: Scenario, on: Sequence[str], people: int, months: int) -> Scenario:
    """``scenario`` at ``people`` and ``months`` with only the channels ``on`` switched on."""
    overrides: dict[str, object] = {f"demography.deprivation_{c}": c in on for c in CHANNELS}
    overrides.update({"run.people": people, "run.months": months})
    return scenario.with_overrides(overrides)


def interval(values: np.ndarray, level: float = 0.90) -> tuple[float, float, float]:
    """Mean and the two-sided Student-t interval of the mean at ``level`` (a point with one value)."""
    mean = float(np.mean(values))
    if values.size < 2:
        return mean, mean, mean
    half = stats.t.ppf(0.5 + level / 2, values.size - 1) * np.std(values, ddof=1) / np.sqrt(values.size)
    return mean, mean - half, mean + half


def decompose(scenario: Scenario | str, people: int = 3000, months: int = 120, replications: int = 5,
              seed: int = 1) -> pd.DataFrame:
    """One row per configuration (:func:`configurations`) and gap (:data:`GAPS`): the mean gap at the
    horizon over ``replications`` runs and its 90 % interval (columns ``low``, ``high``)."""
    base = load_scenario(scenario) if isinstance(scenario, str) else scenario
    rows = []
    for name, on in configurations().items():
        result = run_replications(with_channels(base, on, people, months), replications, seed)
        monthly = result.monthly
        horizon = monthly[monthly["month"] == monthly["month"].max()]
        for column, label in GAPS.items():
            mean, low, high = interval(horizon[column].to_numpy(dtype=float))
            rows.append({"scenario": base.name, "configuration": name, "gap": label, "mean": mean,
                         "low": low, "high": high})
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """The table as Markdown: one row per configuration, one column per gap ("mean (low to high)")."""
    cells = table.assign(cell=[f"{m:+.3f} ({lo:+.3f} to {hi:+.3f})"
                               for m, lo, hi in zip(table["mean"], table["low"], table["high"], strict=True)])
    wide = cells.pivot(index="configuration", columns="gap", values="cell")
    wide = wide.loc[list(configurations()), list(GAPS.values())]
    return markdown_table(["channels on", *wide.columns], ([name, *row] for name, row in wide.iterrows()))


def add_run_sizes(p: argparse.ArgumentParser, people: int, replications: int) -> None:
    """The options of a decomposition's runs: ``--people``, ``--months`` (120), ``--replications``
    and ``--seed`` (1), with the given defaults."""
    p.add_argument("--people", type=int, default=people)
    p.add_argument("--months", type=int, default=120)
    p.add_argument("--replications", type=int, default=replications)
    p.add_argument("--seed", type=int, default=1)


def checked(p: argparse.ArgumentParser, run: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """The table ``run`` makes, or the parser's one-line error naming the bad scenario field."""
    try:
        return run()
    except ScenarioError as err:
        p.error(str(err))


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m model.experiments.channels", description=__doc__.split("\n")[0])
    p.add_argument("--scenario", action="append", help="scenario name or file (repeatable; default: "
                                                       "sds_rollout and targeted_support)")
    add_run_sizes(p, 3000, 5)
    args = p.parse_args(argv)
    for name in args.scenario or ["sds_rollout", "targeted_support"]:
        table = checked(p, lambda name=name: decompose(name, args.people, args.months, args.replications, args.seed))
        print(f"\n{name}: gaps Q5 - Q1 at month {args.months}, {args.people:,} people, mean over "
              f"{args.replications} replications (90 % interval of the mean)\n")
        print(markdown(table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
