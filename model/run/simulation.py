"""Running the model: one run, or replications with independent seeds, as tidy tables.

A run steps the model month by month and a recorder (:mod:`model.metrics.recorder`) observes it
after each step, as a Mesa ``DataCollector`` is called (:func:`run_recorded`).

Seeds: a replication's generator is ``SeedSequence(root).spawn(R)[i]``, so replication ``i``
of a scenario is the same run whoever asks for it (CLI, dashboard, experiments).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.engines import CareEconomy
from model.metrics.columns import COUNCIL_COLUMNS, DAYCENTRE_COLUMNS
from model.metrics.definitions import TOTALLED, run_totals
from model.metrics.recorder import HorizonRecorder, MonthRecorder
from model.scenario import Scenario

#: Outputs summarised at the horizon by :meth:`RunResult.headline` (the experiments' outcomes).
HEADLINE = ("share_option1", "share_option2", "share_option3", "share_option4", "equity_gap", "gap_control",
            "gap_met_need", "ci_wellbeing", "unmet_need", "wellbeing", "dc_open", "dc_attendance",
            "providers_active", "providers_in_deficit", "hhi", "cost_per_person", "council_spend",
            "society_cost")
#: Totals over the run added by :meth:`RunResult.headline` (:data:`model.metrics.definitions.RUN_TOTALS`).
TOTALS = ("provider_exits", "dc_closures", "displaced", "total_council_spend")


@dataclass
class RunResult:
    """Tidy outputs of one or more runs (column ``replication`` identifies the run)."""

    monthly: pd.DataFrame      # one row per month (per replication): every headline figure
    breakdown: pd.DataFrame    # month, dimension, level, metric, value (per replication)
    daycentres: pd.DataFrame   # per open day centre and month: DAYCENTRE_COLUMNS
    councils: pd.DataFrame = field(default_factory=pd.DataFrame)  # per council and month: COUNCIL_COLUMNS
    equity: pd.DataFrame = field(default_factory=pd.DataFrame)    # the population with need: EQUITY_TABLE_COLUMNS

    def per_replication(self) -> pd.DataFrame:
        """Figures at the horizon (``HEADLINE``) and totals over the run (``TOTALS``), one row per
        replication (index ``replication``)."""
        monthly = self.monthly
        return replication_figures(monthly[monthly["month"] == monthly["month"].max()], monthly)

    def headline(self) -> dict[str, float]:
        """Figures at the horizon plus totals over the run (means over replications)."""
        return mean_figures(self.per_replication())


def replication_figures(horizon: pd.DataFrame, monthly: pd.DataFrame,
                        totals: Sequence[str] = TOTALS) -> pd.DataFrame:
    """Figures at the horizon (``HEADLINE``) and the run totals ``totals``, one row per replication
    (index ``replication``), from each replication's row of the horizon month (``horizon``) and
    its monthly rows (``monthly``: at least the columns :data:`~model.metrics.definitions.TOTALLED`)."""
    reps = horizon["replication"].to_numpy()
    table = figure_table(reps, {k: horizon[k].to_numpy() for k in HEADLINE}, monthly["replication"].to_numpy(),
                         {c: monthly[c].to_numpy() for c in TOTALLED}, totals)
    return pd.DataFrame(table, index=pd.Index(reps, name="replication"))


def figure_table(reps: np.ndarray, horizon: dict[str, np.ndarray], monthly_reps: np.ndarray,
                 monthly: dict[str, np.ndarray], totals: Sequence[str] = TOTALS) -> dict[str, np.ndarray]:
    """:func:`replication_figures` on arrays: per replication in ``reps`` (in that order), its
    ``HEADLINE`` figures (``horizon``, aligned with ``reps``) and the run totals ``totals`` of its
    months (``monthly``, the ``TOTALLED`` columns, rows of replication ``monthly_reps``), as float64
    (:func:`~model.metrics.definitions.run_totals`: a replication's months added in row order)."""
    position = np.searchsorted(np.sort(reps), monthly_reps)  # replication -> its place among sorted reps
    at = np.argsort(reps)[position]                            # -> its row in ``reps``
    return {**{k: np.asarray(horizon[k], dtype=np.float64) for k in HEADLINE},
            **run_totals(totals, at, monthly, reps.size)}


def mean_figures(per_replication: pd.DataFrame | dict[str, np.ndarray]) -> dict[str, float]:
    """Each figure's mean over replications (rows), leaving out replications where it is undefined
    (NaN; NaN if it is undefined in all)."""
    means = {}
    for k, v in per_replication.items():
        v = np.asarray(v, dtype=np.float64)
        v = v[~np.isnan(v)]
        means[k] = float(v.sum() / v.size) if v.size else float("nan")
    return means


def seeds_for(root: int, replications: int) -> list[np.random.SeedSequence]:
    """Independent child seeds of ``root``, one per replication."""
    return np.random.SeedSequence(root).spawn(replications)


def run_recorded(model: CareEconomy, recorder: MonthRecorder | HorizonRecorder, months: int | None = None) -> None:
    """Advance ``model`` by ``months`` months (default: its scenario's horizon), ``recorder``
    observing it after each ``model.step()``."""
    for _ in range(model.config.run.months if months is None else months):
        model.step()
        recorder.record()


def dates(scenario: Scenario, month: np.ndarray | pd.Series) -> np.ndarray:
    """The calendar month (its first day) of each recorded ``month`` (from 1): month 1 is
    ``run.start``, model month 0."""
    return (np.datetime64(scenario.run.start, "M") + (np.asarray(month, dtype=np.int64) - 1)).astype("datetime64[ns]")


def simulate(scenario: Scenario, seed: int | np.random.SeedSequence | None = None, engine: str = "vector",
             replication: int = 0, months: int | None = None) -> RunResult:
    """Run one model to the scenario's horizon (or for ``months`` months) and return its tables."""
    model = CareEconomy(scenario, seed=seed, engine=engine)
    rec = MonthRecorder(model)
    run_recorded(model, rec, months)
    monthly = pd.DataFrame(rec.rows)
    monthly.insert(1, "date", dates(scenario, monthly["month"]))
    monthly.insert(0, "replication", replication)
    breakdown = pd.DataFrame(rec.breakdown_long())
    breakdown.insert(0, "replication", replication)
    dc = pd.DataFrame(np.concatenate(rec.daycentres) if rec.daycentres else np.empty((0, len(DAYCENTRE_COLUMNS))),
                      columns=list(DAYCENTRE_COLUMNS))
    dc = dc.astype({"month": int, "council": int, "provider": int, "capacity": int, "centre": int,
                    "block_places": int})
    dc["centre"] = [scenario.councils[c].day_centres[i].name if i >= 0 else ""
                    for c, i in zip(dc["council"], dc["centre"], strict=True)]
    dc["ownership"] = np.where(dc["ownership"] > 0, "in_house", "independent")
    dc["council"] = [scenario.councils[i].name for i in dc["council"]]
    dc.insert(1, "date", dates(scenario, dc["month"]))
    dc.insert(0, "replication", replication)
    councils = pd.DataFrame(np.concatenate(rec.councils), columns=list(COUNCIL_COLUMNS))
    councils = councils.astype({"month": int, "council": int})
    councils["council"] = [scenario.councils[i].name for i in councils["council"]]
    councils.insert(1, "date", dates(scenario, councils["month"]))
    councils.insert(0, "replication", replication)
    equity = rec.equity
    equity.insert(0, "replication", replication)
    return RunResult(monthly, breakdown, dc, councils, equity)


def simulate_monthly(scenario: Scenario, seed: int | np.random.SeedSequence | None = None,
                     engine: str = "vector") -> pd.DataFrame:
    """The monthly table of one run (``simulate(...).monthly`` bit for bit), without the other tables
    (the equity table's bootstrap is most of a small run's recording)."""
    model = CareEconomy(scenario, seed=seed, engine=engine)
    rec = MonthRecorder(model, equity=False)
    run_recorded(model, rec)
    monthly = pd.DataFrame(rec.rows)
    monthly.insert(1, "date", dates(scenario, monthly["month"]))
    monthly.insert(0, "replication", 0)
    return monthly


def simulate_headline(scenario: Scenario, seeds: Sequence[np.random.SeedSequence],
                      engine: str = "vector") -> dict[str, float]:
    """The headline figures of replications ``r`` seeded by ``seeds[r]``, run to the scenario's horizon:
    ``combine([simulate(scenario, ss, engine, replication=r) for r, ss in enumerate(seeds)]).headline()``
    bit for bit, but recording only what it reads (a :class:`~model.metrics.recorder.HorizonRecorder`). The
    figures go through the same :func:`figure_table` and :func:`mean_figures` (so they add up in the
    same order), without building data frames."""
    rows, totals = [], []
    for ss in seeds:
        model = CareEconomy(scenario, seed=ss, engine=engine)
        rec = HorizonRecorder(model, scenario.run.months)
        run_recorded(model, rec)
        rows.append(rec.row)
        totals.append(rec.totals)
    reps = np.arange(len(seeds))
    table = figure_table(reps, {k: np.array([row[k] for row in rows]) for k in HEADLINE},
                         np.repeat(reps, scenario.run.months), {c: np.concatenate([t[c] for t in totals])
                                                                 for c in TOTALLED})
    return mean_figures(table)


def combine(results: list[RunResult]) -> RunResult:
    return RunResult(*(pd.concat([getattr(r, f) for r in results], ignore_index=True)
                       for f in ("monthly", "breakdown", "daycentres", "councils", "equity")))


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
