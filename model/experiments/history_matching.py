"""History matching (Vernon, Goldstein & Bower 2010; Andrianakis et al. 2015 for stochastic models):
rule out the parts of a parameter space where the model cannot reproduce the targets.

One **wave**: a Latin-hypercube design inside the space not ruled out yet, several replications per
point; per target, a Gaussian-process emulator of the mean of the replications and one of the log
of their variance (scikit-learn's :class:`~sklearn.gaussian_process.GaussianProcessRegressor`);
then the **implausibility** of any point ``x`` for target ``j``::

    I_j(x) = |E[f_j(x)] - z_j| / sqrt(Var_emulator_j(x) + sd_j^2 + discrepancy_sd_j^2 + V_j(x) / replications)

(``V_j`` the emulated replicate variance). A point is **not ruled out yet** (NROY) when its largest
implausibility over the targets is at most the cutoff (3). The next wave samples its design from
the NROY space (rejection from a large uniform sample, each point tested against every earlier
wave's emulators). Leave-one-out diagnostics say whether an emulator can be trusted: the share of
design points whose left-out prediction lies within 3 standard deviations.

The module works on plain arrays and callables: :func:`run_wave` takes a ``simulate`` function
(design points and replications in, outputs out) so that the same code matches an analytic test
simulator (tests) and the care-economy model (``carecon calibrate``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import qmc
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

#: simulate(points (n, d), replications) -> outputs (n, replications, targets)
Simulator = Callable[[np.ndarray, int], np.ndarray]


@dataclass(frozen=True)
class Observation:
    """A target as history matching uses it: observed value, observation and discrepancy sd."""

    name: str
    observed: float
    sd: float
    discrepancy_sd: float = 0.0


def _gp(dims: int, seed: int) -> GaussianProcessRegressor:
    """A GP with a constant x anisotropic RBF kernel and a nugget, on inputs scaled to [0, 1]."""
    kernel = (ConstantKernel(1.0, (1e-3, 1e3)) * RBF(np.full(dims, 0.3), (1e-2, 1e2))
              + WhiteKernel(1e-3, (1e-8, 1.0)))
    return GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=1, random_state=seed)


def _fit(gp: GaussianProcessRegressor, x: np.ndarray, y: np.ndarray) -> bool:
    """Fit; True if the optimiser converged (a ConvergenceWarning is a diagnostic, not an error)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        gp.fit(x, y)
    return not any(issubclass(w.category, ConvergenceWarning) for w in caught)


@dataclass
class Emulator:
    """Emulators of one target's mean and log replicate variance over the unit cube."""

    mean: GaussianProcessRegressor
    log_var: GaussianProcessRegressor | None
    converged: bool

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Emulated mean, emulator variance and replicate variance at unit-cube points ``x``."""
        mu, sd = self.mean.predict(x, return_std=True)
        rep = np.exp(self.log_var.predict(x)) if self.log_var is not None else np.zeros(len(x))
        return mu, sd ** 2, rep


def fit_emulators(x: np.ndarray, means: np.ndarray, variances: np.ndarray | None, seed: int = 0) -> list[Emulator]:
    """One :class:`Emulator` per target from unit-cube points ``x`` (n, d), the replications' ``means``
    (n, targets) and their ``variances`` (n, targets; None with one replication: no variance emulator)."""
    out = []
    for j in range(means.shape[1]):
        mean_gp = _gp(x.shape[1], seed + j)
        ok = _fit(mean_gp, x, means[:, j])
        var_gp = None
        if variances is not None:
            var_gp = _gp(x.shape[1], seed + 1000 + j)
            ok &= _fit(var_gp, x, np.log(variances[:, j] + 1e-12))
        out.append(Emulator(mean_gp, var_gp, ok))
    return out


def implausibility(emulators: Sequence[Emulator], targets: Sequence[Observation], x: np.ndarray,
                   replications: int) -> np.ndarray:
    """Implausibility of unit-cube points ``x`` (n, d) for each target: an (n, targets) array."""
    out = np.empty((len(x), len(targets)))
    for j, (em, t) in enumerate(zip(emulators, targets, strict=True)):
        mu, em_var, rep_var = em.predict(x)
        out[:, j] = np.abs(mu - t.observed) / np.sqrt(em_var + t.sd ** 2 + t.discrepancy_sd ** 2
                                                       + rep_var / replications)
    return out


def leave_one_out(x: np.ndarray, means: np.ndarray, full: Sequence[Emulator]) -> np.ndarray:
    """Per target, the share of design points whose mean, predicted by an emulator fitted without
    them (kernel hyperparameters kept from the fit to every point, ``full``), lies within 3
    predictive sd of the replications' mean (``means``, n x targets)."""
    n, k = means.shape
    inside = np.zeros(k)
    for j in range(k):
        y = means[:, j]
        for i in range(n):
            keep = np.arange(n) != i
            gp = GaussianProcessRegressor(full[j].mean.kernel_, normalize_y=True, optimizer=None)
            gp.fit(x[keep], y[keep])
            mu, sd = gp.predict(x[i:i + 1], return_std=True)
            inside[j] += abs(mu[0] - y[i]) <= 3 * max(sd[0], 1e-12)
    return inside / n


@dataclass
class Wave:
    """One wave: its design (unit cube), the replications' means and variances at each point, the
    emulators and diagnostics."""

    design: np.ndarray
    means: np.ndarray
    variances: np.ndarray | None
    emulators: list[Emulator]
    nroy_fraction: float
    loo_within_3sd: np.ndarray
    converged: list[bool] = field(default_factory=list)


def emulate(design: np.ndarray, means: np.ndarray, variances: np.ndarray | None, waves: Sequence[Wave],
            targets: Sequence[Observation], replications: int, cutoff: float, seed: int,
            check_pool: int = 20_000) -> Wave:
    """A wave from its simulated design: emulators, leave-one-out diagnostics, and the share of the
    whole unit cube that no wave (this one included) rules out, estimated on ``check_pool`` uniform
    points."""
    emulators = fit_emulators(design, means, variances, seed)
    wave = Wave(design, means, variances, emulators, np.nan, leave_one_out(design, means, emulators),
                [e.converged for e in emulators])
    check = np.random.default_rng(seed + 1).random((check_pool, design.shape[1]))
    wave.nroy_fraction = float(not_ruled_out([*waves, wave], targets, check, replications, cutoff).mean())
    return wave


def not_ruled_out(waves: Sequence[Wave], targets: Sequence[Observation], x: np.ndarray, replications: int,
                  cutoff: float) -> np.ndarray:
    """Which unit-cube points ``x`` no wave rules out (largest implausibility at most ``cutoff``)."""
    keep = np.ones(len(x), dtype=bool)
    for w in waves:
        keep[keep] = implausibility(w.emulators, targets, x[keep], replications).max(axis=1) <= cutoff
    return keep


def sample_nroy(waves: Sequence[Wave], targets: Sequence[Observation], n: int, dims: int, replications: int,
                cutoff: float, rng: np.random.Generator, pool: int = 20_000) -> np.ndarray:
    """``n`` design points in the unit cube: a Latin hypercube before any wave; then a random choice
    of ``n`` of ``pool`` uniform candidates that no wave rules out (every such candidate if fewer)."""
    if not waves:
        return qmc.LatinHypercube(d=dims, seed=rng).random(n)
    candidates = rng.random((pool, dims))
    ok = candidates[not_ruled_out(waves, targets, candidates, replications, cutoff)]
    if len(ok) <= n:
        return ok
    return ok[rng.choice(len(ok), n, replace=False)]


def run_wave(simulate: Simulator, targets: Sequence[Observation], waves: Sequence[Wave], n: int, dims: int,
             replications: int, cutoff: float = 3.0, seed: int = 0) -> Wave:
    """Run one wave with a ``simulate`` function: design in the current NROY space, simulate,
    :func:`emulate`."""
    design = next_design(waves, targets, n, dims, replications, cutoff, seed)
    outputs = np.asarray(simulate(design, replications), dtype=float)
    variances = outputs.var(axis=1, ddof=1) if replications > 1 else None
    return emulate(design, outputs.mean(axis=1), variances, waves, targets, replications, cutoff, seed)


def next_design(waves: Sequence[Wave], targets: Sequence[Observation], n: int, dims: int, replications: int,
                cutoff: float, seed: int) -> np.ndarray:
    """The design of the next wave (:func:`sample_nroy`), reproducible from ``seed``; too few points
    not ruled out for a wave is a ValueError."""
    design = sample_nroy(waves, targets, n, dims, replications, cutoff, np.random.default_rng(seed))
    if len(design) < dims + 2:
        raise ValueError(f"only {len(design)} points of the space are not ruled out: too few for another wave")
    return design
