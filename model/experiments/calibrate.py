"""History matching of the care-economy model against the calibration targets (``carecon calibrate``).

Each wave is a study in the study store (:func:`model.experiments.sensitivity.run_study`, method
``design``): its design points are chosen in the space the earlier waves have not ruled out
(:func:`model.experiments.history_matching.next_design`), and its outputs are the calibration
targets' window means and their variances across replications
(:class:`model.experiments.targets.CalibrationTarget`). Designs are reproducible from the seed and
the earlier waves' stored results, so an interrupted calibration continues with ``resume=True``:
finished waves are read back from the store (their emulators refitted, deterministically) and only
missing runs are run.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model.experiments import history_matching as hm
from model.experiments.posterior import Posterior, abc_smc
from model.experiments.runner import ProgressFn
from model.experiments.sensitivity import MAX_RUNS, Space, derived_seed, run_study
from model.experiments.targets import CalibrationTarget
from model.scenario import ScenarioError


@dataclass
class Calibration:
    """The waves of a history matching, with where each is stored and how long it took."""

    space: Space
    observations: list[hm.Observation]
    waves: list[hm.Wave]
    studies: list[Path]
    seconds: list[float]
    cutoff: float
    replications: int

    def summary(self) -> pd.DataFrame:
        """One row per wave: runs, the share of the space not ruled out after it, and per target the
        share of design points whose left-out emulator prediction fell within 3 sd."""
        rows = []
        for i, (w, path, sec) in enumerate(zip(self.waves, self.studies, self.seconds, strict=True)):
            row = {"wave": i + 1, "points": len(w.design), "nroy_fraction": w.nroy_fraction, "seconds": sec,
                   "emulators_converged": all(w.converged), "study": str(path)}
            row.update({f"loo_{o.name}": v for o, v in zip(self.observations, w.loo_within_3sd, strict=True)})
            rows.append(row)
        return pd.DataFrame(rows)

    def nroy_sample(self, n: int = 20_000, seed: int = 0) -> pd.DataFrame:
        """Parameter values of uniform points of the space that no wave rules out."""
        rng = np.random.default_rng(seed)
        unit = rng.random((n, len(self.space.parameters)))
        keep = hm.not_ruled_out(self.waves, self.observations, unit, self.replications, self.cutoff)
        return pd.DataFrame(self.space.scale(unit[keep]), columns=self.space.names)

    def nroy_space(self) -> str:
        """A parameter-space TOML (``carecon sensitivity --space``) whose ranges are those not ruled out
        (:meth:`bounds`); a parameter with nothing left keeps its range."""
        import tomli_w

        params = {}
        for row in self.bounds().itertuples():
            ok = np.isfinite(row.nroy_low) and row.nroy_high > row.nroy_low
            params[row.parameter] = {"low": float(row.nroy_low if ok else row.low),
                                     "high": float(row.nroy_high if ok else row.high)}
        return tomli_w.dumps({"name": f"{self.space.name}_not_ruled_out",
                              "description": f"The ranges of {self.space.name} that {len(self.waves)} waves of "
                                             "history matching did not rule out", "parameters": params})

    def bounds(self) -> pd.DataFrame:
        """Per parameter: its range in the space and the range of the points not ruled out."""
        sample = self.nroy_sample()
        return pd.DataFrame([{"parameter": p.name, "low": p.low, "high": p.high,
                              "nroy_low": sample[p.name].min() if len(sample) else np.nan,
                              "nroy_high": sample[p.name].max() if len(sample) else np.nan}
                             for p in self.space.parameters])


def history_match(target: CalibrationTarget, space: Space, waves: int, points: int, replications: int, seed: int,
                  executor: cf.Executor | None = None, store_root: str | Path = "studies", resume: bool = False,
                  progress: ProgressFn | None = None, max_runs: int = MAX_RUNS) -> Calibration:
    """``waves`` waves of ``points`` design points with ``replications`` each, against the target's
    calibration targets (never its validation targets). Stops early, with a ScenarioError naming
    the wave, when too little of the space is left for another wave."""
    total = waves * points * replications
    if total > max_runs:
        raise ScenarioError(f"this calibration has {total:,} runs ({waves} waves x {points} points x {replications} "
                            f"replications), above the limit of {max_runs:,}; raise the limit to run it deliberately",
                            "max_runs")
    chosen = [t for t in target.targets.target if t.role == "calibrate"]
    observations = [hm.Observation(t.id, t.observed, t.sd, t.discrepancy_sd) for t in chosen]
    names = [t.id for t in chosen]
    cutoff = target.targets.cutoff
    done: list[hm.Wave] = []
    studies, seconds = [], []
    for w in range(waves):
        wave_seed = derived_seed(seed, 10 + w)
        try:
            design = hm.next_design(done, observations, points, len(space.parameters), replications, cutoff,
                                    wave_seed)
        except ValueError as err:
            raise ScenarioError(f"wave {w + 1}: {err}") from None
        start = time.perf_counter()
        study = run_study(target, space, "design", len(design), seed, executor, store_root, resume, progress,
                          replications=replications, outputs=tuple(names), design=design, max_runs=max_runs)
        if not study.complete:
            raise ScenarioError(f"wave {w + 1} is incomplete (stored in {study.path}); continue with --resume")
        results = study.results.set_index("run_id").loc[np.arange(len(design))]
        means = results[names].to_numpy(dtype=float)
        variances = results[[f"{n}_var" for n in names]].to_numpy(dtype=float) if replications > 1 else None
        if not np.isfinite(means).all():
            raise ScenarioError(f"wave {w + 1}: some runs left a target undefined (nobody behind it); a larger "
                                "--people makes the targets defined")
        done.append(hm.emulate(design, means, variances, done, observations, replications, cutoff, wave_seed))
        studies.append(study.path)
        seconds.append(time.perf_counter() - start)
    return Calibration(space, observations, done, studies, seconds, cutoff, replications)


def posterior_of(target: CalibrationTarget, calibration: Calibration, particles: int, generations: int, seed: int,
                 store_root: str | Path, workers: int = 1) -> Posterior:
    """An ABC-SMC posterior (:func:`model.experiments.posterior.abc_smc`) inside the ranges the
    calibration's waves did not rule out, against its calibration targets, one run per particle.
    The populations are stored beside the waves' studies (continued if the same request is made
    again)."""
    found = calibration.bounds().dropna()
    bounds = found[["parameter", "nroy_low", "nroy_high"]].rename(columns={"nroy_low": "low", "nroy_high": "high"})
    if len(bounds) < len(calibration.space.parameters):
        raise ScenarioError("no point of the space is left after history matching: no posterior to draw")
    names = [o.name for o in calibration.observations]
    key = hashlib.sha256(json.dumps({"studies": [p.name for p in calibration.studies], "particles": particles,
                                     "seed": seed}, sort_keys=True).encode()).hexdigest()[:12]
    database = Path(store_root) / f"abc-{target.name}-{key}.db"

    def simulate(parameters: dict[str, float], run_seed: int) -> dict[str, float]:
        outputs = target.evaluate(parameters, [np.random.SeedSequence(run_seed)])
        return {n: outputs[n] for n in names}

    return abc_smc(simulate, bounds, calibration.observations, particles, generations, database, seed, workers)
