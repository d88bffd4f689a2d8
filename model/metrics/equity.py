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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

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
    mean: float  # weighted mean of y
    cov: float  # cov_w(y, R)
    var_rank: float  # var_w(R)
    ranked: bool  # at least two tie blocks carry weight, so there is a ranking to measure along


def _moments(y: np.ndarray, rank_by: np.ndarray, weights: np.ndarray | None) -> _Moments:
    """Weighted moments of y and its fractional rank R, with weights normalised to sum to one."""
    y, rank_by = _as_outcome(y, rank_by)
    w = _as_weights(weights, y.size)
    if w.sum() <= 0:
        return _Moments(NAN, NAN, NAN, False)
    r, levels = _ranks(rank_by, w)
    p = w / w.sum()  # sums of products, not BLAS dot: no thread start-up on every bootstrap replicate
    mu = float((p * y).sum())
    centred = r - 0.5
    return _Moments(mu, float((p * (y - mu) * centred).sum()), float((p * centred**2).sum()), levels >= 2)


def _check_bounds(y: np.ndarray, lower: float, upper: float) -> None:
    if not upper > lower:
        raise ValueError(f"bounds: upper ({upper}) must exceed lower ({lower})")
    y = np.asarray(y, dtype=float)
    slack = 1e-9 * (upper - lower)  # a complement a + b - y computed in floating point may round past a bound
    if y.size and (y.min() < lower - slack or y.max() > upper + slack):
        raise ValueError(f"y: values must lie within the bounds [{lower}, {upper}], got [{y.min()}, {y.max()}]")


def _concentration(m: _Moments) -> float:
    return 2.0 * m.cov / m.mean if m.ranked and m.mean != 0 else NAN


def _erreygers(m: _Moments, lower: float, upper: float) -> float:
    return 8.0 * m.cov / (upper - lower) if m.ranked else NAN


def _wagstaff(m: _Moments, lower: float, upper: float) -> float:
    spread = (upper - m.mean) * (m.mean - lower)
    return (upper - lower) * 2.0 * m.cov / spread if m.ranked and spread > 0 else NAN


def _slope(m: _Moments) -> float:
    return m.cov / m.var_rank if m.ranked else NAN


def _relative(m: _Moments) -> float:
    return _slope(m) / m.mean if m.mean != 0 else NAN


def concentration_index(y: np.ndarray, rank_by: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Concentration index C = 2 cov_w(y, R) / mu (O'Donnell et al. 2008, ch. 8, "convenient covariance").

    Lies in [-1, 1] for a non-negative outcome; NaN when mu = 0 or everyone is tied on ``rank_by``.
    """
    return _concentration(_moments(y, rank_by, weights))


def erreygers_index(y: np.ndarray, rank_by: np.ndarray, lower: float = 0.0, upper: float = 1.0,
                    weights: np.ndarray | None = None) -> float:
    """Erreygers' corrected concentration index E = 8 cov_w(y, R) / (b - a) for y in [a, b].

    Erreygers (2009), J Health Econ 28:504-515; equal to 4 mu C / (b - a). It lies in [-1, 1] and
    E(a + b - y) = -E(y) (the mirror property). NaN when everyone is tied on ``rank_by``.
    """
    _check_bounds(y, lower, upper)
    return _erreygers(_moments(y, rank_by, weights), lower, upper)


def wagstaff_index(y: np.ndarray, rank_by: np.ndarray, lower: float = 0.0, upper: float = 1.0,
                   weights: np.ndarray | None = None) -> float:
    """Wagstaff's normalised concentration index W = (b - a) mu C / ((b - mu)(mu - a)) for y in [a, b].

    Wagstaff (2005), Health Econ 14:429-432: for a binary outcome C lies in [mu - 1, 1 - mu], so
    W = C / (1 - mu) lies in [-1, 1]; the form for any bounds [a, b] is the one ``conindex`` computes
    (O'Donnell, O'Neill, Van Ourti and Walsh 2016, Stata J 16:112-138). W(a + b - y) = -W(y).
    NaN when mu is at a bound or everyone is tied on ``rank_by``.
    """
    _check_bounds(y, lower, upper)
    return _wagstaff(_moments(y, rank_by, weights), lower, upper)


def slope_index(y: np.ndarray, rank_by: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Slope index of inequality: the WLS slope of y on the fractional rank R, cov_w(y, R) / var_w(R).

    The fitted difference in y between the top (R = 1) and the bottom (R = 0) of the ranking, in the
    outcome's own units (Mackenbach and Kunst 1997). NaN when everyone is tied on ``rank_by``.
    """
    return _slope(_moments(y, rank_by, weights))


def relative_index(y: np.ndarray, rank_by: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Relative index of inequality RII = SII / mu (Pamuk 1985; Mackenbach and Kunst 1997).

    The fitted gap between the top and the bottom of the ranking as a share of the mean; related to
    the concentration index by C = 2 var_w(R) RII. NaN when mu = 0 or everyone is tied.
    """
    return _relative(_moments(y, rank_by, weights))


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
    return np.array([m.mean, _concentration(m), _slope(m), _relative(m), *bounded])


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
