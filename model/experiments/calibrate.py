"""Calibration of the care-economy model against the calibration targets (``carecon calibrate``), in
resumable stages: a Morris screening that keeps the parameters that move the targets
(:func:`screen`), history matching in waves (:func:`history_match`) and an ABC-SMC posterior
inside what is left (:func:`posterior_of`).

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
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model.experiments import history_matching as hm
from model.experiments.posterior import Posterior, abc_smc
from model.experiments.runner import ProgressFn
from model.experiments.sensitivity import MAX_RUNS, Parameter, Space, derived_seed, parameter_source, run_study
from model.experiments.targets import CalibrationTarget
from model.scenario import ScenarioError

#: Parameters a calibration never fits: what a council decides (its support, commissioning, finance
#: and rollout), as opposed to how people, carers and providers behave.
POLICY_PREFIX = "councils."


def behavioural(space: Space) -> tuple[Space, list[str]]:
    """The space without the councils' policy parameters (which are what a council decides, set by
    each scenario, not constants to fit), and the names of those left out."""
    kept = tuple(p for p in space.parameters if not p.name.startswith(POLICY_PREFIX))
    return (Space(space.name, kept, space.description, space.model),
            [p.name for p in space.parameters if p.name.startswith(POLICY_PREFIX)])


def published(name: str) -> bool:
    """Whether a parameter's value comes from a published figure (its source names one, or is derived
    from one) rather than being an assumption or an earlier hand calibration: such a value is held,
    not fitted to other figures."""
    return not parameter_source(name).lower().startswith(("assumption", "calibrated"))


#: A parameter is fitted when it moves some calibration target by at least this many times the effect
#: noise alone would give (:func:`noise_floor`). Parameters with weaker effects cannot be identified
#: by the targets, and each one fitted widens the space the posterior must cover: fitting every
#: parameter above 1x (13, without a floor on the ABC tolerance) leaves ABC-SMC weights worth 1 to 22
#: of 200 particles, the 8 above 3x leave 122 of 400 (docs/explanation/calibration.md). The value is
#: a choice made from those measurements, not a pre-stated rule.
ACTIVE_RATIO = 3.0


@dataclass
class Screening:
    """A Morris screening of a space against the calibration targets: per parameter and target the
    mean absolute elementary effect (``mu_star``, SALib) and the effect noise alone would give
    (``floor``). A parameter whose largest effect is at least :data:`ACTIVE_RATIO` times the floor is
    *active*: fitted if it has no published value, held at its published value if it has; one above
    the floor but below that is *weak* and one at or below it *inactive*, both kept at their
    defaults."""

    space: Space
    table: pd.DataFrame
    study: Path
    seconds: float

    def decisions(self) -> pd.DataFrame:
        """One row per parameter: its largest effect over the floor (and on which target), its source
        and the decision: ``fit``, ``held`` (a published value), ``weak`` or ``inactive``."""
        t = self.table.assign(ratio=self.table["mu_star"] / self.table["floor"])
        best = t.loc[t.groupby("parameter", sort=False)["ratio"].idxmax()]
        rows = []
        for row in best.itertuples():
            if row.ratio >= ACTIVE_RATIO:
                decision = "held" if published(row.parameter) else "fit"
            else:
                decision = "weak" if row.ratio > 1 else "inactive"
            rows.append({"parameter": row.parameter, "largest_effect_over_noise": float(row.ratio),
                         "on_target": row.target, "source": parameter_source(row.parameter), "decision": decision})
        return pd.DataFrame(rows).sort_values("largest_effect_over_noise", ascending=False, ignore_index=True)

    def fitted_space(self) -> Space:
        """The parameters to fit, with their screening ranges, as a space for :func:`history_match`."""
        fit = set(self.decisions().query("decision == 'fit'")["parameter"])
        kept = tuple(p for p in self.space.parameters if p.name in fit)
        return Space(f"{self.space.name}_fitted", kept, f"The parameters of {self.space.name} that move the "
                     "calibration targets and have no published value", self.space.model)


def noise_floor(replicate_variance: float, replications: int, levels: int) -> float:
    """The mean absolute elementary effect of a parameter that does nothing, when each design point's
    output is a mean of ``replications`` runs with variance ``replicate_variance`` across runs and
    independent noise: the difference of two such means divided by Morris's step
    ``levels / (2 (levels - 1))``, whose mean absolute value is ``sqrt(2 / pi)`` times its sd. Common
    random numbers make the true noise smaller, so the floor is high: it errs towards calling a
    parameter weak rather than fitting it."""
    step = levels / (2 * (levels - 1))
    return math.sqrt(2 / math.pi) * math.sqrt(2 * replicate_variance / replications) / step


def screen(target: CalibrationTarget, space: Space, trajectories: int, replications: int, seed: int,
           executor: cf.Executor | None = None, store_root: str | Path = "studies", resume: bool = False,
           progress: ProgressFn | None = None, max_runs: int = MAX_RUNS, levels: int = 4) -> Screening:
    """Morris screening (``trajectories`` trajectories, ``replications`` runs per point, common random
    numbers) of the behavioural parameters of ``space`` (:func:`behavioural`) against the target's
    calibration targets, stored as a study (continued with ``resume``)."""
    if replications < 2:
        raise ScenarioError("screening needs at least 2 replications per point, to tell effects from noise",
                            "replications")
    space, _ = behavioural(space)
    names = list(target.analysed)
    start = time.perf_counter()
    study = run_study(target, space, "morris", trajectories, seed, executor, store_root, resume, progress,
                      replications=replications, outputs=tuple(names), max_runs=max_runs, levels=levels)
    if not study.complete:
        raise ScenarioError(f"the screening is incomplete (stored in {study.path}); continue with --resume")
    mu = study.indices.query("index == 'mu_star'")
    rows = []
    for name in names:
        floor = noise_floor(float(study.results[f"{name}_var"].mean()), replications, levels)
        for row in mu[mu["output"] == name].itertuples():
            rows.append({"parameter": row.parameter, "target": name, "mu_star": row.value, "conf": row.conf,
                         "floor": floor})
    return Screening(space, pd.DataFrame(rows), study.path, time.perf_counter() - start)


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
        params = []
        for row in self.bounds().itertuples():
            ok = np.isfinite(row.nroy_low) and row.nroy_high > row.nroy_low
            params.append(Parameter(row.parameter, float(row.nroy_low if ok else row.low),
                                    float(row.nroy_high if ok else row.high)))
        return Space(f"{self.space.name}_not_ruled_out", tuple(params), f"The ranges of {self.space.name} that "
                     f"{len(self.waves)} waves of history matching did not rule out").to_toml()

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
    floor = noise_distance(calibration)
    key = hashlib.sha256(json.dumps({"studies": [p.name for p in calibration.studies], "particles": particles,
                                     "seed": seed, "minimum_epsilon": floor}, sort_keys=True).encode()).hexdigest()[:12]
    database = Path(store_root) / f"abc-{target.name}-{key}.db"

    def simulate(parameters: dict[str, float], run_seed: int) -> dict[str, float]:
        outputs = target.evaluate(parameters, [np.random.SeedSequence(run_seed)])
        return {n: outputs[n] for n in names}

    return abc_smc(simulate, bounds, calibration.observations, particles, generations, database, seed, workers,
                   minimum_epsilon=floor)


def noise_distance(calibration: Calibration) -> float:
    """The distance from the data that run-to-run noise alone gives a single run, on average over the
    last wave's design points: ``sqrt(sum_k mean replicate variance_k / (sd_k^2 + discrepancy_sd_k^2))``.
    ABC-SMC stops shrinking its tolerance there: below it a run is accepted for its luck, not for
    its parameters (0 without replicate variances)."""
    wave = calibration.waves[-1]
    if wave.variances is None:
        return 0.0
    scale2 = np.array([o.sd ** 2 + o.discrepancy_sd ** 2 for o in calibration.observations])
    return float(np.sqrt((np.nanmean(wave.variances, axis=0) / scale2).sum()))
