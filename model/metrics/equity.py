"""Socioeconomic inequality and inequity indices on individual-level data.

Every function takes one row per person: an outcome ``y``, a ranking variable ``rank_by`` (for
example the SIMD deprivation quintile, 1 = most deprived, with many ties) and optional survey or
frequency ``weights``. People are ranked in ascending order of ``rank_by``, so with quintile 1 the
most deprived, a positive index means the outcome is concentrated among the *less* deprived.

Definitions (O'Donnell, van Doorslaer, Wagstaff and Lindelow 2008, *Analyzing Health Equity Using
Household Survey Data*, World Bank; "O'Donnell et al." below):

* **Fractional rank** R: the weighted share of the population ranked below a person plus half
  their own share (ch. 7-8). People tied on ``rank_by`` share the mean of their fractional ranks,
  which is the mid-point of the tied block's share of the population (Lerman and Yitzhaki 1989).
* **Concentration index** C = 2 cov_w(y, R) / mu (O'Donnell et al., ch. 8, the "convenient
  covariance" formula; Kakwani, Wagstaff and van Doorslaer 1997).
* **Erreygers' corrected index** E = 8 cov_w(y, R) / (b - a) = 4 mu C / (b - a) for an outcome
  bounded in [a, b] (Erreygers 2009, "Correcting the concentration index", J Health Econ 28:504-515).
* **Wagstaff's normalised index** W = (b - a) mu C / ((b - mu)(mu - a)); for a binary outcome
  (a = 0, b = 1) W = C / (1 - mu) (Wagstaff 2005, "The bounds of the concentration index when the
  variable of interest is binary", Health Econ 14:429-432). E and W satisfy the mirror property:
  the index of the complement a + b - y is minus the index of y; C does not.
* **Slope and relative indices of inequality**: SII is the slope of y on R by weighted least squares
  (the difference in fitted y between the top, R = 1, and bottom, R = 0, of the ranking); RII =
  SII / mu (Pamuk 1985; Mackenbach and Kunst 1997, Soc Sci Med 44:757-771). C = 2 var_w(R) RII.
* **Horizontal inequity index** HI = C(y) - C(y_need), with y_need the use predicted from need by
  indirect standardisation: a weighted least squares regression of use on need (and optional
  non-need controls), the controls then held at their weighted means (O'Donnell et al., ch. 15,
  "Measuring and explaining inequity in health service delivery", and its Stata code AHE15.do).
  HI = 0 when use follows need exactly; HI > 0 means the less deprived use more than their need
  predicts.

Ranked by a five-valued quintile, each index sees only the five group means: C then equals the
grouped formula with mid-point ranks (Kakwani et al. 1997), the one ``recorder.concentration_index``
uses on quintile counts and means.

Where an index is undefined (zero mean, a mean at a bound, or everyone tied on ``rank_by``) the
functions return NaN rather than raise: a subgroup of a run can be empty or homogeneous.

A run's equity table (:func:`population_table`, called by :mod:`model.metrics.recorder` on the
population with need) computes the same indices from sums by group and quintile
(:func:`block_moments`), for every group and bootstrap resample at once; :func:`who_gains`
differences two runs' tables on common random numbers, group by group (:func:`paired_interval`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from model import stream

#: A statistic of individual-level arrays that takes ``weights=`` (the form :func:`bootstrap_interval` resamples).
Statistic = Callable[..., float]

#: The per-group measures of :func:`summarise_by_group`, in order; the last two need bounds.
MEASURES = ("mean", "concentration", "sii", "rii", "erreygers", "wagstaff")

NAN = float("nan")


class Interval(NamedTuple):
    """A point estimate with a percentile bootstrap interval."""

    estimate: float
    low: float
    high: float


def _as_weights(weights: np.ndarray | None, n: int) -> np.ndarray:
    """Weights as floats of length ``n`` (ones when None); negative or non-finite weights are an error."""
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise ValueError(f"weights: expected {n} values, one per person, got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights: must be finite and >= 0")
    return w


def _as_outcome(y: np.ndarray, rank_by: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y, rank_by = np.asarray(y, dtype=float), np.asarray(rank_by)
    if y.ndim != 1 or rank_by.shape != y.shape:
        raise ValueError(f"y, rank_by: expected two 1-D arrays of equal length, got {y.shape} and {rank_by.shape}")
    return y, rank_by


def _blocks(rank_by: np.ndarray) -> tuple[np.ndarray, int]:
    """Each person's tie block (0 = lowest ``rank_by``) and the number of blocks.

    Small-range integer codes (deprivation quintiles, age bands) are their own blocks, without a
    sort; empty blocks in the range carry no weight and do not change any rank.
    """
    if np.issubdtype(rank_by.dtype, np.integer) and rank_by.size:
        low, high = int(rank_by.min()), int(rank_by.max())
        if high - low < 4 * rank_by.size + 64:
            return rank_by.astype(np.int64) - low, high - low + 1
    values, block = np.unique(rank_by, return_inverse=True)
    return block.ravel(), values.size


def _ranks(rank_by: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, int]:
    """Fractional ranks (see :func:`fractional_rank`) and how many tie blocks carry positive weight."""
    block, size = _blocks(rank_by)
    block_weight = np.bincount(block, weights=w, minlength=size)
    below = np.cumsum(block_weight) - block_weight
    return (below + block_weight / 2.0)[block] / w.sum(), int(np.count_nonzero(block_weight > 0))


def fractional_rank(rank_by: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Weighted fractional rank in (0, 1) of each person, ties at the mid-point of their block.

    R_i = (W(rank_by < x_i) + W(rank_by = x_i) / 2) / W, with W(.) the total weight of the people
    meeting the condition (O'Donnell et al. 2008, ch. 8; Lerman and Yitzhaki 1989). With equal
    weights and no ties this is (i - 1/2) / n for the i-th lowest; a tied block gets the mean of the
    ranks its members would have in any order. The weighted mean of R is 1/2.
    """
    rank_by = np.asarray(rank_by)
    w = _as_weights(weights, rank_by.shape[0])
    if w.sum() <= 0:
        raise ValueError("weights: total weight must be positive")
    return _ranks(rank_by, w)[0]


class _Moments(NamedTuple):
    """Weighted moments of an outcome y and the fractional rank R (arrays over any leading axes)."""

    mean: np.ndarray  # weighted mean of y
    cov: np.ndarray  # cov_w(y, R)
    var_rank: np.ndarray  # var_w(R)
    ranked: np.ndarray  # at least two tie blocks carry weight, so there is a ranking to measure along


def block_moments(weight: np.ndarray, total: np.ndarray) -> _Moments:
    """Moments of y and R from sums over tie blocks along the last axis (lowest ``rank_by`` first):
    ``weight`` the blocks' total weights, ``total`` their weighted sums of y.

    Everyone in a block shares its mid-point rank R_q = P(below) + p_q / 2, so
    cov_w(y, R) = sum_q (R_q - 1/2)(S_q / W - mu p_q) and var_w(R) = sum_q p_q (R_q - 1/2)^2, with
    p_q = W_q / W: every rank-based index of individuals ranked by a few ordered groups is a function
    of the groups' weights and sums (Kakwani, Wagstaff and van Doorslaer 1997). NaN where the
    blocks carry no weight.
    """
    weight, total = np.asarray(weight, dtype=float), np.asarray(total, dtype=float)
    whole = weight.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = weight / whole
        centred = np.cumsum(p, axis=-1) - p / 2.0 - 0.5
        mu = total.sum(axis=-1) / whole[..., 0]
        cov = ((total / whole - mu[..., None] * p) * centred).sum(axis=-1)
        var_rank = (p * centred**2).sum(axis=-1)
    return _Moments(mu, cov, var_rank, np.count_nonzero(weight > 0, axis=-1) >= 2)


def _moments(y: np.ndarray, rank_by: np.ndarray, weights: np.ndarray | None) -> _Moments:
    """Weighted moments of y and its fractional rank R (:func:`block_moments` of the tie blocks)."""
    y, rank_by = _as_outcome(y, rank_by)
    w = _as_weights(weights, y.size)
    block, size = _blocks(rank_by)
    # bincount sums, not BLAS dot: no thread start-up on every bootstrap replicate
    return block_moments(np.bincount(block, weights=w, minlength=size),
                         np.bincount(block, weights=w * y, minlength=size))


def _check_bounds(y: np.ndarray, lower: float, upper: float) -> None:
    if not upper > lower:
        raise ValueError(f"bounds: upper ({upper}) must exceed lower ({lower})")
    y = np.asarray(y, dtype=float)
    slack = 1e-9 * (upper - lower)  # a complement a + b - y computed in floating point may round past a bound
    if y.size and (y.min() < lower - slack or y.max() > upper + slack):
        raise ValueError(f"y: values must lie within the bounds [{lower}, {upper}], got [{y.min()}, {y.max()}]")


# Each index of the moments, over whole arrays of them; NaN where it is undefined.
def concentration_of(m: _Moments) -> np.ndarray:
    """The concentration index of :func:`block_moments` (arrays of them): 2 cov / mean."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(m.ranked & (m.mean != 0), 2.0 * m.cov / m.mean, NAN)


def _erreygers(m: _Moments, lower: float, upper: float) -> np.ndarray:
    return np.where(m.ranked, 8.0 * m.cov / (upper - lower), NAN)


def _wagstaff(m: _Moments, lower: float, upper: float) -> np.ndarray:
    spread = (upper - m.mean) * (m.mean - lower)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(m.ranked & (spread > 0), (upper - lower) * 2.0 * m.cov / spread, NAN)


def _slope(m: _Moments) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(m.ranked, m.cov / m.var_rank, NAN)


def _relative(m: _Moments) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(m.mean != 0, _slope(m) / m.mean, NAN)


def concentration_index(y: np.ndarray, rank_by: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Concentration index C = 2 cov_w(y, R) / mu (O'Donnell et al. 2008, ch. 8, "convenient covariance").

    Lies in [-1, 1] for a non-negative outcome; NaN when mu = 0 or everyone is tied on ``rank_by``.
    """
    return float(concentration_of(_moments(y, rank_by, weights)))


def erreygers_index(y: np.ndarray, rank_by: np.ndarray, lower: float = 0.0, upper: float = 1.0,
                    weights: np.ndarray | None = None) -> float:
    """Erreygers' corrected concentration index E = 8 cov_w(y, R) / (b - a) for y in [a, b].

    Erreygers (2009), J Health Econ 28:504-515; equal to 4 mu C / (b - a). It lies in [-1, 1] and
    E(a + b - y) = -E(y) (the mirror property). NaN when everyone is tied on ``rank_by``.
    """
    _check_bounds(y, lower, upper)
    return float(_erreygers(_moments(y, rank_by, weights), lower, upper))


def wagstaff_index(y: np.ndarray, rank_by: np.ndarray, lower: float = 0.0, upper: float = 1.0,
                   weights: np.ndarray | None = None) -> float:
    """Wagstaff's normalised concentration index W = (b - a) mu C / ((b - mu)(mu - a)) for y in [a, b].

    Wagstaff (2005), Health Econ 14:429-432: for a binary outcome C lies in [mu - 1, 1 - mu], so
    W = C / (1 - mu) lies in [-1, 1]; the form for any bounds [a, b] is the one ``conindex`` computes
    (O'Donnell, O'Neill, Van Ourti and Walsh 2016, Stata J 16:112-138). W(a + b - y) = -W(y).
    NaN when mu is at a bound or everyone is tied on ``rank_by``.
    """
    _check_bounds(y, lower, upper)
    return float(_wagstaff(_moments(y, rank_by, weights), lower, upper))


def slope_index(y: np.ndarray, rank_by: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Slope index of inequality: the WLS slope of y on the fractional rank R, cov_w(y, R) / var_w(R).

    The fitted difference in y between the top (R = 1) and the bottom (R = 0) of the ranking, in the
    outcome's own units (Mackenbach and Kunst 1997). NaN when everyone is tied on ``rank_by``.
    """
    return float(_slope(_moments(y, rank_by, weights)))


def relative_index(y: np.ndarray, rank_by: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Relative index of inequality RII = SII / mu (Pamuk 1985; Mackenbach and Kunst 1997).

    The fitted gap between the top and the bottom of the ranking as a share of the mean; related to
    the concentration index by C = 2 var_w(R) RII. NaN when mu = 0 or everyone is tied.
    """
    return float(_relative(_moments(y, rank_by, weights)))


def _design(columns: np.ndarray | None, n: int, name: str) -> np.ndarray:
    if columns is None:
        return np.empty((n, 0))
    x = np.asarray(columns, dtype=float)
    x = x.reshape(n, -1) if x.ndim == 1 and x.size == n else x
    if x.ndim != 2 or x.shape[0] != n:
        raise ValueError(f"{name}: expected {n} rows, one per person, got shape {np.shape(columns)}")
    return x


def need_predicted(use: np.ndarray, need: np.ndarray, weights: np.ndarray | None = None,
                   controls: np.ndarray | None = None) -> np.ndarray:
    """Use expected from need alone, by indirect standardisation (O'Donnell et al. 2008, ch. 15).

    Fits use = alpha + need @ beta + controls @ gamma by weighted least squares, then predicts with
    the non-need ``controls`` held at their weighted means, so that only need moves the prediction.
    ``need`` and ``controls`` are (n,) or (n, k) arrays.
    """
    use = np.asarray(use, dtype=float)
    n = use.size
    w = _as_weights(weights, n)
    x_need, x_ctrl = _design(need, n, "need"), _design(controls, n, "controls")
    design = np.column_stack([np.ones(n), x_need, x_ctrl])
    root = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(design * root[:, None], use * root, rcond=None)
    held = design.copy()
    held[:, 1 + x_need.shape[1]:] = np.dot(w, x_ctrl) / w.sum()
    return np.dot(held, coef)


def horizontal_inequity_index(use: np.ndarray, rank_by: np.ndarray, need: np.ndarray,
                              weights: np.ndarray | None = None, controls: np.ndarray | None = None) -> float:
    """Horizontal inequity index HI = C(use) - C(need-predicted use) (O'Donnell et al. 2008, ch. 15).

    Equal to the concentration index of need-standardised use, use - need_predicted + mean(use)
    (the two have the same mean). Zero when use follows need exactly; positive when the less
    deprived (higher ``rank_by``) use more than their need predicts. NaN when mean use is zero or
    everyone is tied on ``rank_by``.
    """
    expected = need_predicted(use, need, weights, controls)
    return concentration_index(use, rank_by, weights) - concentration_index(expected, rank_by, weights)


def _bootstrap(statistic: Callable[..., float | np.ndarray], arrays: Sequence[np.ndarray], w: np.ndarray,
               n_boot: int, level: float, seed: int | np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimate and percentile bounds of a scalar- or vector-valued statistic (see :func:`bootstrap_interval`)."""
    if n_boot < 1:
        raise ValueError(f"n_boot: must be >= 1, got {n_boot}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level: must lie in (0, 1), got {level}")
    n = w.size
    rng = np.random.default_rng(seed)
    draws = np.array([statistic(*arrays, weights=w * np.bincount(rng.integers(0, n, n), minlength=n))
                      for _ in range(n_boot)], dtype=float)
    tail = 100.0 * (1.0 - level) / 2.0
    finite = np.isfinite(draws).any(axis=0)
    bounds = np.full((2, *draws.shape[1:]), np.nan)
    if finite.any():
        bounds[:, finite] = np.nanpercentile(draws[:, finite], [tail, 100.0 - tail], axis=0)
    return np.asarray(statistic(*arrays, weights=w), dtype=float), bounds[0], bounds[1]


def bootstrap_interval(statistic: Statistic, arrays: Sequence[np.ndarray], weights: np.ndarray | None = None,
                       n_boot: int = 999, level: float = 0.95,
                       seed: int | np.random.Generator = 0) -> Interval:
    """Percentile bootstrap interval of ``statistic(*arrays, weights=...)`` within one run.

    Each replicate resamples the n people with replacement (Efron and Tibshirani 1993, ch. 13;
    O'Donnell et al. 2008, ch. 8 on inference for the concentration index). A person drawn k times
    enters with k times their own weight, which is the same as stacking k copies, so ranks are
    recomputed within each replicate. Replicates where the statistic is undefined (NaN) are left
    out of the percentiles. ``seed`` makes the draws reproducible. Bind extra arguments (bounds,
    controls) with ``functools.partial``.
    """
    arrays = [np.asarray(a) for a in arrays]
    estimate, low, high = _bootstrap(statistic, arrays, _as_weights(weights, arrays[0].shape[0]), n_boot, level, seed)
    return Interval(float(estimate), float(low), float(high))


def _profile(y: np.ndarray, rank_by: np.ndarray, weights: np.ndarray,
             bounds: tuple[float, float] | None = None) -> np.ndarray:
    """The :data:`MEASURES` of one group from one pass over its moments (the last two NaN without bounds)."""
    m = _moments(y, rank_by, weights)
    bounded = (_erreygers(m, *bounds), _wagstaff(m, *bounds)) if bounds is not None else (NAN, NAN)
    return np.array([m.mean, concentration_of(m), _slope(m), _relative(m), *bounded])


def summarise_by_group(y: np.ndarray, rank_by: np.ndarray, groups: Mapping[str, np.ndarray],
                       weights: np.ndarray | None = None, bounds: tuple[float, float] | None = None,
                       n_boot: int = 0, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Tidy table of the outcome's mean and rank-based indices overall and within each group.

    ``groups`` maps a dimension name (for example ``"age_band"``, ``"client_group"``,
    ``"carer"``, or a crossed label such as ``"age_x_deprivation"``) to one label per person. Rows:
    ``dimension, group, measure, value, low, high, people, weight`` with ``measure`` in ``mean``,
    ``concentration``, ``sii``, ``rii`` and, when ``bounds = (a, b)`` is given, ``erreygers`` and
    ``wagstaff``. The whole population is the group ``"all"`` of dimension ``"all"``. Within a group
    whose members all share one ``rank_by`` value (one deprivation quintile, say) the rank-based
    indices are NaN. With ``n_boot > 0``, ``low`` and ``high`` are percentile bootstrap bounds
    within the run (:func:`bootstrap_interval`, the same ``seed`` for every group); otherwise NaN.
    """
    y, rank_by = _as_outcome(y, rank_by)
    w = _as_weights(weights, y.size)
    if bounds is not None:
        _check_bounds(y, *bounds)
    measures = MEASURES if bounds is not None else MEASURES[:4]
    cells = [("all", "all", np.ones(y.size, dtype=bool))]
    for dimension, labels in groups.items():
        labels = np.asarray(labels)
        if labels.shape != y.shape:
            raise ValueError(f"groups[{dimension!r}]: expected {y.size} labels, one per person, got {labels.shape}")
        cells += [(dimension, label.item() if isinstance(label, np.generic) else label, labels == label)
                  for label in np.unique(labels)]
    rows: list[dict[str, object]] = []
    for dimension, label, member in cells:
        ym, rm, wm = y[member], rank_by[member], w[member]
        if n_boot > 0:
            value, low, high = _bootstrap(lambda *a, weights: _profile(*a, weights, bounds), (ym, rm), wm,
                                          n_boot, level, seed)
        else:
            value = _profile(ym, rm, wm, bounds)
            low = high = np.full(value.shape, np.nan)
        rows += [{"dimension": dimension, "group": label, "measure": measure, "value": value[i], "low": low[i],
                  "high": high[i], "people": int(member.sum()), "weight": float(wm.sum())}
                 for i, measure in enumerate(measures)]
    return pd.DataFrame(rows, columns=["dimension", "group", "measure", "value", "low", "high", "people", "weight"])


# ------------------------------------------------------------------------------ a population's table
class Outcome(NamedTuple):
    """One outcome of :func:`population_table`: a value per person, who it is measured over
    (``among``, a mask; None for everyone) and its bounds for Erreygers' and Wagstaff's indices
    (None for an unbounded outcome)."""

    values: np.ndarray
    among: np.ndarray | None = None
    bounds: tuple[float, float] | None = None


#: Columns of :func:`population_table`, in order.
TABLE_COLUMNS = ("outcome", "dimension", "group", "measure", "value", "low", "high", "people")


def _replicate_sums(features: np.ndarray, cell: np.ndarray, cells: int, n_boot: int,
                    rng: np.random.Generator) -> np.ndarray:
    """Sums of each feature column by cell: row 0 over the people as they are, rows 1..n_boot over
    bootstrap resamples of them (each draws n people with replacement; a person drawn k times counts
    k times; :func:`model.metrics.snapshot.resample_sums`). Returns (1 + n_boot, cells, features)."""
    from model.metrics.snapshot import resample_sums  # compiled: loaded only where tables are made

    observed = np.stack([np.bincount(cell, weights=f, minlength=cells) for f in features.T], axis=1)
    if not n_boot:
        return observed[None]
    order = np.argsort(cell, kind="stable")  # people of a cell together: the resample's sums stay in cache
    resampled = resample_sums(cell[order], np.ascontiguousarray(features[order]), cells, n_boot, stream.seed(rng))
    return np.concatenate([observed[None], resampled])


def _need_predicted_sums(n: np.ndarray, s1: np.ndarray, s2: np.ndarray, t: np.ndarray, tn: np.ndarray,
                         z: np.ndarray) -> np.ndarray:
    """Sums by cell of use predicted from need (indirect standardisation, :func:`need_predicted`
    without controls), for every replicate, from the cells' sums: people ``n``, need ``s1``,
    need squared ``s2``, use ``t`` and need x use ``tn`` (replicates x cells). The design of a
    person is [1, need, dummies]; ``z`` holds each cell's [1, 0, dummies] (the dummies are
    constant within a cell), so X'WX and X'Wy are sums over cells of these sums."""
    k = z.shape[1]
    e = np.zeros(k)
    e[1] = 1.0
    xtx = (np.einsum("bj,jk,jl->bkl", n, z, z) + np.einsum("bj,jk,l->bkl", s1, z, e)
           + np.einsum("bj,k,jl->bkl", s1, e, z) + s2.sum(axis=1)[:, None, None] * np.outer(e, e))
    xty = np.einsum("bj,jk->bk", t, z) + tn.sum(axis=1)[:, None] * e
    beta = np.einsum("bkl,bl->bk", np.linalg.pinv(xtx), xty)
    return n * np.einsum("jk,bk->bj", z, beta) + s1 * beta[:, 1:2]


def _percentile_bounds(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The ``level`` percentile interval of each column of ``draws`` (resamples x figures) over its
    finite values, interpolated linearly as ``numpy.percentile``; NaN for a column with none."""
    finite = np.isfinite(draws)
    k = np.count_nonzero(finite, axis=0)
    if not draws.size:
        return np.full(draws.shape[1], NAN), np.full(draws.shape[1], NAN)
    ordered = np.sort(np.where(finite, draws, np.inf), axis=0)  # the undefined ones last
    column = np.arange(draws.shape[1])
    tail = (1.0 - level) / 2.0
    bounds = []
    for p in (tail, 1.0 - tail):
        position = np.maximum(k - 1, 0) * p
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, np.maximum(k - 1, 0))
        low, high = ordered[below, column], ordered[above, column]
        with np.errstate(invalid="ignore"):
            bounds.append(np.where(k > 0, low + (high - low) * (position - below), NAN))
    return bounds[0], bounds[1]


def population_table(rank: np.ndarray, rank_levels: Sequence[str],
                     strata: Mapping[str, tuple[np.ndarray, Sequence[str]]], outcomes: Mapping[str, Outcome],
                     need: np.ndarray, use: str, need_strata: Sequence[str], crossed: str,
                     n_boot: int = 199, level: float = 0.95,
                     seed: int | np.random.SeedSequence | np.random.Generator = 0) -> pd.DataFrame:
    """Means and socioeconomic inequality indices of several outcomes in a population and its groups,
    with percentile bootstrap intervals from the same resamples of people for every figure.

    ``rank`` codes each person's ordered socioeconomic group (0 = most deprived; names
    ``rank_levels``), ranked as in :func:`fractional_rank`; ``strata`` maps a dimension to each
    person's code in it and the codes' names (for example age band, client group, carer status).
    Rows (:data:`TABLE_COLUMNS`): for the whole population (dimension ``all``) and each stratum's
    groups, each outcome's ``mean``, ``concentration``, ``sii``, ``rii`` and, for a bounded
    outcome, ``erreygers`` and ``wagstaff``; for the outcome named ``use``, ``hi``: the horizontal
    inequity index of :func:`horizontal_inequity_index` with need standardised on ``need`` and the
    dummies of ``need_strata`` (one regression over the whole population, as O'Donnell et al. 2008,
    ch. 15, standardise before comparing groups); and each outcome's mean by ``rank`` group
    (dimension ``quintile``) and by ``crossed`` stratum x rank group (dimension ``<crossed>_x_deprivation``).
    ``people`` counts those the figure is over (an outcome's ``among``); a figure over nobody, or an
    index with nothing to rank along, is NaN. ``low``/``high``: the ``level`` percentile interval
    over ``n_boot`` resamples of the people (NaN with ``n_boot = 0``).

    Every index here is a function of the sums of people and outcomes by rank group
    (:func:`block_moments`), and so are its resamples: the people are summed into the cells of all
    strata crossed with ``rank`` once per resample, and each group's figures come from those sums.
    """
    rank = np.asarray(rank, dtype=np.int64)
    n, q = rank.size, len(rank_levels)
    names = list(strata)
    sizes = [len(strata[d][1]) for d in names]
    cell = np.zeros(n, dtype=np.int64)
    for d, size in zip(names, sizes, strict=True):
        cell = cell * size + np.asarray(strata[d][0], dtype=np.int64)
    cell = cell * q + rank
    cells = int(np.prod(sizes)) * q

    # Feature columns: people, then per outcome (people over, sum), then need, need^2, need x use.
    columns: list[np.ndarray] = [np.ones(n)]
    where: dict[str, tuple[int, int]] = {}
    for name, o in outcomes.items():
        y = np.asarray(o.values, dtype=float)
        if o.bounds is not None:
            _check_bounds(y, *o.bounds)
        if o.among is None:
            columns.append(y)
            where[name] = (0, len(columns) - 1)
        else:  # who it is over: a column of its own unless one already holds the same mask
            m = np.asarray(o.among, dtype=float)
            count = next((j for j, c in enumerate(columns) if np.array_equal(c, m)), None)
            if count is None:
                columns.append(m)
                count = len(columns) - 1
            columns.append(m * y)
            where[name] = (count, len(columns) - 1)
    need = np.asarray(need, dtype=float)
    used = np.asarray(outcomes[use].values, dtype=float)
    first = len(columns)
    columns += [need, need**2, need * used]
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    sums = _replicate_sums(np.column_stack(columns), cell, cells, n_boot, rng) if n else np.zeros(
        (1 + n_boot, cells, len(columns)))

    # Use predicted from need, by cell: each cell's need dummies (first level of each stratum left out).
    codes = np.indices((*sizes, q)).reshape(len(sizes) + 1, -1)
    dummies = [(codes[names.index(d)][:, None] == np.arange(1, len(strata[d][1]))).astype(float)
               for d in need_strata]
    z = np.column_stack([np.ones(cells), np.zeros(cells), *dummies])
    _, u = where[use]
    predicted = _need_predicted_sums(sums[..., 0], sums[..., first], sums[..., first + 1], sums[..., u],
                                     sums[..., first + 2], z)
    sums = np.concatenate([sums, predicted[..., None]], axis=2).reshape(1 + n_boot, *sizes, q, -1)
    pred = sums.shape[-1] - 1

    labels: list[tuple[str, str, str, str]] = []
    blocks: list[np.ndarray] = []
    counts: list[np.ndarray] = []

    def emit(outcome: str, dimension: str, groups: Sequence[str], measure: str, values: np.ndarray,
             people: np.ndarray) -> None:
        """Rows of one measure for ``groups`` from its replicates ``values`` (replicates x groups)."""
        labels.extend((outcome, dimension, g, measure) for g in groups)
        blocks.append(values.reshape(1 + n_boot, -1))
        counts.append(people.ravel())

    axes = {d: 1 + i for i, d in enumerate(names)}
    dimensions = {"all": (tuple(axes.values()), ("all",))}
    for d in names:
        dimensions[d] = (tuple(a for a in axes.values() if a != axes[d]), tuple(strata[d][1]))
    for dimension, (summed, groups) in dimensions.items():
        by = sums.sum(axis=summed)  # (replicates, [groups,] rank groups, features)
        by = by if by.ndim == 4 else by[:, None]
        for name, o in outcomes.items():
            count, total = where[name]
            m = block_moments(by[..., count], by[..., total])
            people = by[0, :, :, count].sum(axis=-1)
            measures = {"mean": m.mean, "concentration": concentration_of(m), "sii": _slope(m), "rii": _relative(m)}
            if o.bounds is not None:
                measures |= {"erreygers": _erreygers(m, *o.bounds), "wagstaff": _wagstaff(m, *o.bounds)}
            if name == use:
                measures["hi"] = measures["concentration"] - concentration_of(block_moments(by[..., 0], by[..., pred]))
            for measure, values in measures.items():
                emit(name, dimension, groups, measure, values, people)
    others = tuple(axes[d] for d in names if d != crossed)
    cross = sums.sum(axis=others)  # (replicates, crossed groups, rank groups, features)
    crossed_labels = [f"{a} {r}" for a in strata[crossed][1] for r in rank_levels]
    for name in outcomes:
        count, total = where[name]
        with np.errstate(divide="ignore", invalid="ignore"):
            by_rank = cross.sum(axis=1)
            emit(name, "quintile", rank_levels, "mean", by_rank[..., total] / by_rank[..., count],
                 by_rank[0, :, count])
            emit(name, f"{crossed}_x_deprivation", crossed_labels, "mean", cross[..., total] / cross[..., count],
                 cross[0, ..., count])
    values = np.concatenate(blocks, axis=1)
    low, high = _percentile_bounds(values[1:], level)
    table = pd.DataFrame(labels, columns=list(TABLE_COLUMNS[:4]))
    table["value"], table["low"], table["high"] = values[0], low, high
    table["people"] = np.concatenate(counts).astype(np.int64)
    return table


# ------------------------------------------------------------------------------ paired differences
def paired_interval(differences: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                            np.ndarray]:
    """Mean of paired differences (rows = replications, columns = figures) with a Student-t interval
    (Law 2015, *Simulation Modeling and Analysis*, section 10.2): per column, over the replications
    where the difference is defined (not NaN). Returns mean, low, high and that count; the mean is NaN
    with no defined pair, the interval with fewer than two."""
    from scipy import stats  # only needed here; keeps worker start-up light

    diff = np.asarray(differences, dtype=float)
    diff = diff.reshape(diff.shape[0], -1)
    n = np.count_nonzero(~np.isnan(diff), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, np.nansum(diff, axis=0) / n, NAN)
        sd = np.sqrt(np.where(n > 1, np.nansum((diff - mean) ** 2, axis=0) / (n - 1), NAN))
        half = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    return mean, mean - half, mean + half, n


#: Dimensions of the who-gains-who-loses table, in order.
WHO_GAINS_DIMENSIONS = ("all", "quintile", "age_band", "client_group", "carer")


def who_gains(scenario: pd.DataFrame, comparator: pd.DataFrame, level: float = 0.95,
              dimensions: Sequence[str] = WHO_GAINS_DIMENSIONS) -> pd.DataFrame:
    """Who gains and who loses: for each month, outcome and group, the mean over replications of the
    scenario's group mean minus the comparator's, with a Student-t interval (:func:`paired_interval`).

    ``scenario`` and ``comparator`` are equity tables (:func:`population_table` rows with columns
    ``replication`` and ``month``) of runs on common random numbers: replication i of both used the
    same seed, so each difference is paired and the noise the runs share cancels. Only the group
    means (measure ``mean``) of ``dimensions`` are differenced; a group with nobody in one run of a
    pair leaves that pair out (``replications`` counts those used). Columns: month, outcome,
    dimension, group, difference, low, high, comparator_mean, scenario_mean, replications.
    """
    keys = ["month", "outcome", "dimension", "group"]

    def wide(table: pd.DataFrame) -> pd.DataFrame:
        means = table[(table["measure"] == "mean") & table["dimension"].isin(dimensions)]
        return means.pivot_table(index="replication", columns=keys, values="value", dropna=False, sort=False)

    s, c = wide(scenario), wide(comparator)
    common = s.columns.intersection(c.columns, sort=False)
    reps = s.index.intersection(c.index)
    s, c = s.loc[reps, common], c.loc[reps, common]
    mean, low, high, n = paired_interval((s - c).to_numpy(), level)
    out = common.to_frame(index=False)
    out["difference"], out["low"], out["high"] = mean, low, high
    out["comparator_mean"], out["scenario_mean"] = c.mean().to_numpy(), s.mean().to_numpy()
    out["replications"] = n
    return out
