"""Running the model: one run, or replications with independent seeds, as tidy tables.

Seeds: a replication's generator is ``SeedSequence(root).spawn(R)[i]``, so replication ``i``
of a scenario is the same run whoever asks for it (CLI, dashboard, experiments).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.economy import CareEconomy
from model.metrics import COUNCIL_COLUMNS, TOTALLED, HorizonRecorder
from model.scenario import PROVIDER_TYPES, Scenario

#: Outputs summarised at the horizon by :meth:`RunResult.headline` (the experiments' outcomes).
HEADLINE = ("share_option1", "share_option2", "share_option3", "share_option4", "equity_gap", "gap_control",
            "gap_met_need", "ci_wellbeing", "unmet_need", "wellbeing", "dc_open", "dc_attendance",
            "providers_active", "providers_in_deficit", "hhi", "cost_per_person", "council_spend",
            "society_cost")
#: Totals over the run added by :meth:`RunResult.headline`.
TOTALS = ("provider_exits", "dc_closures", "displaced", "total_council_spend")


@dataclass
class RunResult:
    """Tidy outputs of one or more runs (column ``replication`` identifies the run)."""

    monthly: pd.DataFrame      # one row per month (per replication): every headline figure
    breakdown: pd.DataFrame    # month, dimension, level, metric, value (per replication)
    daycentres: pd.DataFrame   # month, council, provider, attendance, occupancy, breakeven, capacity
    councils: pd.DataFrame = field(default_factory=pd.DataFrame)  # per council and month: COUNCIL_COLUMNS

    def per_replication(self) -> pd.DataFrame:
        """Figures at the horizon (``HEADLINE``) and totals over the run (``TOTALS``), one row per
        replication (index ``replication``)."""
        monthly = self.monthly
        return replication_figures(monthly[monthly["month"] == monthly["month"].max()], monthly)

    def headline(self) -> dict[str, float]:
        """Figures at the horizon plus totals over the run (means over replications)."""
        return mean_figures(self.per_replication())


def replication_figures(horizon: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    """Figures at the horizon (``HEADLINE``) and totals over the run (``TOTALS``), one row per
    replication (index ``replication``), from each replication's row of the horizon month
    (``horizon``) and its monthly rows (``monthly``: at least the columns ``metrics.TOTALLED``)."""
    sums = monthly.groupby("replication")[list(TOTALLED)].sum()  # one grouped sum, column by column
    totals = pd.DataFrame({"provider_exits": sum(sums[f"exits_{t}"] for t in PROVIDER_TYPES),
                           "dc_closures": sums["exits_day_centre"], "displaced": sums["displaced"],
                           "total_council_spend": sums["council_spend"]})
    return horizon.set_index("replication")[list(HEADLINE)].join(totals).astype(float)


def mean_figures(per_replication: pd.DataFrame) -> dict[str, float]:
    """Each figure's mean over replications (rows)."""
    return {k: float(v) for k, v in per_replication.mean().items()}


def seeds_for(root: int, replications: int) -> list[np.random.SeedSequence]:
    """Independent child seeds of ``root``, one per replication."""
    return np.random.SeedSequence(root).spawn(replications)


def simulate(scenario: Scenario, seed: int | np.random.SeedSequence | None = None, engine: str = "vector",
             replication: int = 0, months: int | None = None) -> RunResult:
    """Run one model to the scenario's horizon and return its tables."""
    model = CareEconomy(scenario, seed=seed, engine=engine)
    model.run(months)
    rec = model.recorder
    monthly = pd.DataFrame(rec.rows)
    monthly.insert(0, "replication", replication)
    breakdown = pd.DataFrame(rec.breakdown_long())
    breakdown.insert(0, "replication", replication)
    dc = pd.DataFrame(np.concatenate(rec.daycentres) if rec.daycentres else np.empty((0, 7)),
                      columns=["month", "council", "provider", "attendance", "occupancy", "breakeven_occupancy",
                               "capacity"])
    dc = dc.astype({"month": int, "council": int, "provider": int, "capacity": int})
    dc["council"] = [scenario.councils[i].name for i in dc["council"]]
    dc.insert(0, "replication", replication)
    councils = pd.DataFrame(np.concatenate(rec.councils), columns=list(COUNCIL_COLUMNS))
    councils = councils.astype({"month": int, "council": int})
    councils["council"] = [scenario.councils[i].name for i in councils["council"]]
    councils.insert(0, "replication", replication)
    return RunResult(monthly, breakdown, dc, councils)


def simulate_headline(scenario: Scenario, seeds: Sequence[np.random.SeedSequence],
                      engine: str = "vector") -> dict[str, float]:
    """The headline figures of replications ``r`` seeded by ``seeds[r]``, run to the scenario's horizon:
    ``combine([simulate(scenario, ss, engine, replication=r) for r, ss in enumerate(seeds)]).headline()``
    bit for bit, but recording only what it reads (a :class:`~model.metrics.HorizonRecorder`). The
    figures go through the same :func:`replication_figures` and :func:`mean_figures`, as pandas'
    grouped sums and means fix the order in which they add up (it differs between pandas versions)."""
    horizon, totals = [], []
    for r, ss in enumerate(seeds):
        model = CareEconomy(scenario, seed=ss, engine=engine, record=False)
        model.recorder = rec = HorizonRecorder(model, scenario.run.months)
        model.run()
        row = rec.row
        horizon.append({"replication": r, **{k: row[k] for k in HEADLINE}})
        totals.append(rec.totals)
    monthly = pd.DataFrame({"replication": np.repeat(np.arange(len(totals)), scenario.run.months),
                            **{c: np.concatenate([t[c] for t in totals]) for c in TOTALLED}})
    return mean_figures(replication_figures(pd.DataFrame(horizon), monthly))


def combine(results: list[RunResult]) -> RunResult:
    return RunResult(*(pd.concat([getattr(r, f) for r in results], ignore_index=True)
                       for f in ("monthly", "breakdown", "daycentres", "councils")))


def simulate_replications(scenario: Scenario, replications: int | None = None, seed: int | None = None,
                          engine: str = "vector",
                          progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Run ``replications`` independent replications in this process (experiments parallelise)."""
    reps = scenario.run.replications if replications is None else replications
    children = seeds_for(scenario.run.seed if seed is None else seed, reps)
    out = []
    for i, ss in enumerate(children):
        out.append(simulate(scenario, ss, engine, replication=i))
        if progress is not None:
            progress(i + 1, reps)
    return combine(out)
