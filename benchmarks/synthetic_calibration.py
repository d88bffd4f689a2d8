"""Synthetic check of the calibration pipeline on carecon itself (issue 24; a recorded benchmark run,
not a test): the model run at known parameter values is treated as data, the pipeline (history
matching, then the ABC-SMC posterior) is run against it, and each parameter's 90 % posterior interval
is checked for the true value. Repeated ``--checks`` times with different true values, drawn
uniformly from the calibration space.

    python -m benchmarks.synthetic_calibration [--checks 10] [--people 2000] [--waves 2] [--points 30]
        [--replications 3] [--particles 100] [--generations 3] [--workers 2] [--out outputs/synthetic]

Each check's "observations" are the calibration targets' window means at the true values, averaged
over ``--data-replications`` runs on seeds the pipeline never uses; the targets keep their committed
observation sd and discrepancy, so the intervals are as wide as the real calibration's. Writes
``coverage.csv`` (per check and parameter: true value, posterior mean, 90 % interval, whether it
holds the truth, the interval's width as a share of the prior range) and prints per parameter how
many intervals held the true value.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from model.experiments.calibrate import history_match, posterior_of
from model.experiments.runner import make_executor
from model.experiments.sensitivity import load_space
from model.experiments.targets import CalibrationTarget, Targets, load_targets
from model.scenario import load_scenario


def synthetic_targets(target: CalibrationTarget, truth: dict[str, float], replications: int, seed: int) -> Targets:
    """The committed targets with each calibration target's observation replaced by the model's
    window mean at ``truth`` (over ``replications`` runs seeded from ``seed``)."""
    seeds = np.random.SeedSequence(seed).spawn(replications)
    outputs = target.evaluate(truth, seeds)
    targets = target.targets
    return targets.model_copy(update={"target": [
        t.model_copy(update={"observed": outputs[t.id]}) if t.role == "calibrate" else t for t in targets.target]})


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checks", type=int, default=10)
    ap.add_argument("--people", type=int, default=2000)
    ap.add_argument("--space", default="spaces/calibration.toml")
    ap.add_argument("--waves", type=int, default=2)
    ap.add_argument("--points", type=int, default=30)
    ap.add_argument("--replications", type=int, default=3)
    ap.add_argument("--data-replications", type=int, default=8)
    ap.add_argument("--particles", type=int, default=100)
    ap.add_argument("--generations", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--out", default="outputs/synthetic")
    args = ap.parse_args(argv)

    committed = load_targets()
    scenario = load_scenario(committed.scenario, {"run.people": args.people})
    space = load_space(args.space)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    unit = np.random.default_rng(args.seed).random((args.checks, len(space.parameters)))
    truths = pd.DataFrame(space.scale(unit), columns=space.names)
    rows = []
    with make_executor("local", args.workers) as pool:
        for i, truth in enumerate(truths.to_dict("records")):
            start = time.perf_counter()
            base = CalibrationTarget(scenario, targets=committed)
            target = CalibrationTarget(scenario, targets=synthetic_targets(base, truth, args.data_replications,
                                                                           args.seed + 1000 + i))
            store = out / f"check-{i}"
            calibration = history_match(target, space, args.waves, args.points, args.replications, args.seed + i,
                                        pool, store)
            posterior = posterior_of(target, calibration, args.particles, args.generations, args.seed + i, store,
                                     args.workers)
            interval = posterior.interval(0.9).set_index("parameter")
            mean = posterior.mean()
            for p in space.parameters:
                lo, hi = interval.loc[p.name, "low"], interval.loc[p.name, "high"]
                rows.append({"check": i, "parameter": p.name, "true": truth[p.name], "posterior_mean": mean[p.name],
                             "low": lo, "high": hi, "held": bool(lo <= truth[p.name] <= hi),
                             "width_share": (hi - lo) / (p.high - p.low), "seconds": time.perf_counter() - start})
            pd.DataFrame(rows).to_csv(out / "coverage.csv", index=False)
            print(f"check {i + 1}/{args.checks}: {time.perf_counter() - start:.0f} s", flush=True)
    table = pd.DataFrame(rows)
    summary = table.groupby("parameter", sort=False).agg(held=("held", "sum"), checks=("held", "size"),
                                                         mean_width_share=("width_share", "mean"))
    print("per parameter: 90 % intervals holding the true value, and their mean width as a share of the range")
    print(summary.to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
