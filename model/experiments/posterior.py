"""A posterior over the parameters by approximate Bayesian computation (pyabc's ABC-SMC;
Toni et al. 2009, Klinger et al. 2018), inside the space history matching did not rule out.

The prior is uniform on each parameter's range not ruled out (:meth:`Calibration.bounds
<model.experiments.calibrate.Calibration.bounds>`, or a space's own bounds); a particle is one run of the
model at a parameter set; its distance from the data is the standardised Euclidean distance over the
calibration targets, each difference divided by ``sqrt(sd^2 + discrepancy_sd^2)`` (so a distance of
about the square root of the number of targets is a fit within one standard deviation each). The
populations, with their weights, are stored in an SQLite database (pyabc's own history), from
which :func:`weighted_sample` reads the last population as the posterior.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model.experiments.history_matching import Observation

#: simulate(parameters, seed) -> outputs by target name
ParticleSimulator = Callable[[dict[str, float], int], dict[str, float]]


@dataclass(frozen=True)
class Posterior:
    """The last population of an ABC-SMC run: parameter sets and their normalised weights."""

    particles: pd.DataFrame
    weights: np.ndarray
    epsilons: list[float]
    database: Path

    @property
    def ess(self) -> float:
        """The effective sample size of the weighted particles, ``1 / sum(w^2)`` (Kish): how many
        equally weighted particles they are worth."""
        return float(1.0 / np.sum(self.weights ** 2))

    def mean(self) -> pd.Series:
        return (self.particles * self.weights[:, None]).sum()

    def interval(self, level: float = 0.9) -> pd.DataFrame:
        """Per parameter, the weighted central ``level`` interval."""
        c = central_values(self.table(), level)
        return c[["parameter", "low", "high"]]

    def central(self) -> pd.DataFrame:
        """Per parameter, the weighted median, mean and central 90 % interval (:func:`central_values`)."""
        return central_values(self.table())

    def table(self) -> pd.DataFrame:
        """The particles with their weights (the stored posterior)."""
        return self.particles.assign(weight=self.weights)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value whose cumulative normalised weight reaches ``q``."""
    order = np.argsort(values)
    cum = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][min(np.searchsorted(cum, q), len(values) - 1)])


def central_values(table: pd.DataFrame, level: float = 0.9) -> pd.DataFrame:
    """Per parameter of a posterior table (particles with a ``weight`` column): the weighted median,
    the weighted mean and the weighted central ``level`` interval (``low``, ``high``)."""
    w = table["weight"].to_numpy(dtype=float)
    rows = []
    for name in table.columns.drop("weight"):
        x = table[name].to_numpy(dtype=float)
        rows.append({"parameter": name, "median": weighted_quantile(x, w, 0.5),
                     "mean": float((x * w).sum() / w.sum()), "low": weighted_quantile(x, w, (1 - level) / 2),
                     "high": weighted_quantile(x, w, 1 - (1 - level) / 2)})
    return pd.DataFrame(rows)


def weighted_sample(table: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` parameter sets drawn (with replacement) from a stored posterior table (its ``weight`` column)."""
    w = table["weight"].to_numpy(dtype=float)
    rows = rng.choice(len(table), size=n, replace=True, p=w / w.sum())
    return table.drop(columns="weight").iloc[rows].reset_index(drop=True)


def abc_smc(simulate: ParticleSimulator, bounds: pd.DataFrame, observations: Sequence[Observation],
            population_size: int, generations: int, database: Path, seed: int, workers: int = 1,
            minimum_epsilon: float = 0.0) -> Posterior:
    """Run ABC-SMC: uniform priors on ``bounds`` (columns parameter, low, high), the standardised
    distance over ``observations``, ``generations`` populations of ``population_size`` particles (or
    until the tolerance reaches ``minimum_epsilon``), evaluated in ``workers`` processes (1: in this
    process, reproducible from ``seed``). An existing ``database`` is continued, not overwritten; one whose
    last tolerance reached ``minimum_epsilon`` is complete and runs nothing more."""
    import pyabc

    logging.getLogger("ABC").setLevel(logging.WARNING)
    logging.getLogger("Sampler").setLevel(logging.WARNING)
    names = list(bounds["parameter"])
    prior = pyabc.Distribution(**{row.parameter: pyabc.RV("uniform", row.low, row.high - row.low)
                                  for row in bounds.itertuples()})
    scale = {o.name: float(np.hypot(o.sd, o.discrepancy_sd)) for o in observations}
    observed = {o.name: o.observed for o in observations}
    counter = iter(range(1, 2**62))

    def model(parameters: dict) -> dict[str, float]:
        return simulate({k: float(parameters[k]) for k in names}, seed * 1_000_003 + next(counter))

    def distance(x: dict, x0: dict) -> float:
        return float(np.sqrt(sum(((x[k] - x0[k]) / scale[k]) ** 2 for k in scale)))

    sampler = (pyabc.sampler.SingleCoreSampler() if workers == 1
               else pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers))
    np.random.seed(seed % 2**32)  # pyabc draws from numpy's global generator
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        abc = pyabc.ABCSMC(model, prior, distance, population_size=population_size, sampler=sampler)
        url = f"sqlite:///{database}"
        history = abc.load(url, 1) if database.exists() else abc.new(url, observed)
        done = history.max_t + 1
        reached = history.get_all_populations()["epsilon"].iloc[-1] <= minimum_epsilon  # the stored run ended there
        if done < generations and not reached:
            history = abc.run(max_nr_populations=generations - done, minimum_epsilon=minimum_epsilon)
        frame, weights = history.get_distribution(m=0, t=history.max_t)
        epsilons = history.get_all_populations()["epsilon"].tolist()
    particles = frame[names].reset_index(drop=True)
    return Posterior(particles, np.asarray(weights, dtype=float) / np.sum(weights), epsilons[1:], database)
