"""Docking the two engines (model alignment in the sense of Axtell, Axelrod, Epstein and Cohen 1996).

The per-agent reference (:mod:`model.engines.reference`) and the vectorised default (:mod:`model.engines.vector.engine`)
implement the same rules but draw random numbers in a different order, so single runs differ;
what must agree is the *distribution* of outputs. For each scenario, each engine is run over
``seeds`` independent seeds and the key outputs at months 12, 60 and 120 (or the horizon) are
compared with a two-sample Kolmogorov-Smirnov test.

Tolerance, stated once: the engines dock if no output differs at the family-wise 5% level after
Holm's correction over all outputs, months and scenarios tested (Holm 1979). Each comparison is
reported with its KS statistic, raw and adjusted p-value and the standardised mean difference.

    python -m model.experiments.docking --seeds 30 --out outputs/docking      (``make docking``)
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from model.scenario import Scenario, list_scenarios, load_scenario

#: Key outputs compared between engines.
OUTPUTS = ("share_option1", "share_option2", "share_option3", "share_option4", "equity_gap", "gap_control",
           "active_day_centre", "active_agency", "active_personal_assistant", "active_community_group",
           "dc_attendance", "cost_per_person", "council_spend")
MONTHS = (12, 60, 120)
ALPHA = 0.05


def _run(args: tuple[Scenario, str, int, tuple[int, ...]]) -> pd.DataFrame:
    from model.run.simulation import simulate

    scenario, engine, seed, months = args
    m = simulate(scenario, seed=seed, engine=engine).monthly
    m = m[m["month"].isin(months)]
    out = m[["month", *OUTPUTS]].copy()
    out.insert(0, "seed", seed)
    out.insert(0, "engine", engine)
    out.insert(0, "scenario", scenario.name)
    return out


def holm(p: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values."""
    p = np.asarray(p, dtype=float)
    order = np.argsort(p)
    m = p.size
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adj[i] = running
    return adj


def compare(runs: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """KS tests per scenario, month and output; Holm-adjusted over the whole table."""
    rows = []
    for (scenario, month), g in runs.groupby(["scenario", "month"]):
        a, b = g[g.engine == "vector"], g[g.engine == "agents"]
        for out in OUTPUTS:
            x, y = a[out].to_numpy(float), b[out].to_numpy(float)
            if np.allclose(x, x[0]) and np.allclose(y, y[0]) and np.isclose(x[0], y[0]):
                ks, p = 0.0, 1.0  # both engines constant and equal (e.g. no Option 1 in baseline)
            else:
                res = stats.ks_2samp(x, y)
                ks, p = float(res.statistic), float(res.pvalue)
            sd = np.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2) if x.size > 1 else 0.0
            smd = (x.mean() - y.mean()) / sd if sd > 0 else 0.0
            rows.append({"scenario": scenario, "month": month, "output": out, "vector_mean": x.mean(),
                         "agents_mean": y.mean(), "std_mean_diff": smd, "ks": ks, "p": p})
    table = pd.DataFrame(rows)
    table["p_holm"] = holm(table["p"].to_numpy())
    table["docks"] = table["p_holm"] >= alpha
    return table


def dock(scenarios: list[str], seeds: int, people: int | None = None, months: int | None = None,
         workers: int = 2, progress: bool = True, alpha: float = ALPHA) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run both engines over ``seeds`` seeds per scenario (``workers`` processes; 1 runs in this
    process); returns (runs, comparison table)."""
    jobs = []
    for name in scenarios:
        over = {}
        if people is not None:
            over["run.people"] = people
        if months is not None:
            over["run.months"] = months
        s = load_scenario(name)
        if months is not None:
            for i, c in enumerate(s.councils):  # keep rollouts inside a shortened horizon
                end = c.rollout.start_month + c.rollout.duration_months
                if end > months:
                    over[f"councils.{i}.rollout.duration_months"] = max(0, months - c.rollout.start_month)
        s = s.with_overrides(over)
        at = tuple(sorted({min(mo, s.run.months) for mo in MONTHS}))
        jobs += [(s, engine, 10_000 + k, at) for engine in ("vector", "agents") for k in range(seeds)]
    start = time.perf_counter()
    parts = []
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) if workers > 1 else None
    try:
        results = pool.map(_run, jobs, chunksize=1) if pool else map(_run, jobs)
        for i, part in enumerate(results, start=1):
            parts.append(part)
            if progress:
                print(f"\r{i}/{len(jobs)} runs, {time.perf_counter() - start:.0f} s", end="", file=sys.stderr)
    finally:
        if pool:
            pool.shutdown()
    if progress:
        print(file=sys.stderr)
    runs = pd.concat(parts, ignore_index=True)
    return runs, compare(runs, alpha)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m model.experiments.docking", description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=30)
    p.add_argument("--people", type=int, default=None, help="override run.people (default: each scenario's)")
    p.add_argument("--months", type=int, default=None)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--scenarios", nargs="*", default=None)
    p.add_argument("--out", default="outputs/docking")
    a = p.parse_args(argv)
    if a.seeds < 3:
        print("error: --seeds must be at least 3", file=sys.stderr)
        return 2
    runs, table = dock(a.scenarios or list_scenarios(), a.seeds, a.people, a.months, a.workers)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    runs.to_parquet(out / "runs.parquet", index=False)
    table.to_csv(out / "docking.csv", index=False)
    worst = table.sort_values("p").head(10)
    print(worst[["scenario", "month", "output", "vector_mean", "agents_mean", "std_mean_diff", "ks", "p",
                 "p_holm"]].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    n_bad = int((~table["docks"]).sum())
    print(f"\n{len(table)} comparisons, {a.seeds} seeds per engine: "
          f"{'all dock' if n_bad == 0 else f'{n_bad} do NOT dock'} (Holm-adjusted KS, family-wise alpha {ALPHA})")
    return 0 if n_bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
