"""Bounds and choices used by the rules, one definition for every engine.

Each rule function is written once and runs on numpy arrays (the default engine), on Python
numbers (the per-agent reference engine) and inside the compiled sweeps of :mod:`model.engines.vector.common`.
These helpers are the rules' only non-arithmetic operations: here they are numpy's elementwise
``minimum``, ``maximum`` and ``where``; :mod:`model.engines.vector.common` gives them plain scalar
versions in compiled code
(numba's scalar ``np.minimum`` is several times slower than ``min``).
"""

from __future__ import annotations

import numpy as np


def clip(x: np.ndarray | float, lo: float, hi: float) -> np.ndarray:
    """``x`` limited to [lo, hi]."""
    return np.minimum(np.maximum(x, lo), hi)


def at_least(x: np.ndarray | float, lo: np.ndarray | float) -> np.ndarray:
    """The larger of ``x`` and ``lo``, elementwise."""
    return np.maximum(x, lo)


def at_most(x: np.ndarray | float, hi: np.ndarray | float) -> np.ndarray:
    """The smaller of ``x`` and ``hi``, elementwise."""
    return np.minimum(x, hi)


def where(condition: np.ndarray | bool, x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
    """``x`` where ``condition`` holds, else ``y``, elementwise."""
    return np.where(condition, x, y)
