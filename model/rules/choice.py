"""Option choice (ODD 7.4): a random-utility (multinomial logit) rule over SDS Options 1-4.

Utility of option j for a person:
    beta_control * control_j
  - beta_burden  * burden_j * (1 - confidence) * (1 - support reduction if supported)
  + beta_peer    * peer signal_j  (satisfied minus dissatisfied peers on j, per peer)
  + inertia      * [j is the current option]
  + constant_j + age-65+ constant_j + client-group constant (Option 1 only)
Options the council does not offer get zero probability. The seeds: direct payments need
"self-confidence, information, peer and professional advice"; older people chose Option 3 far more.
"""

from __future__ import annotations

import numpy as np

from model.codes import OPTION_CODES
from model.rules.arith import where
from model.scenario import Choice

_OPTS = np.array(OPTION_CODES)


def felt_burden(option_burden: np.ndarray | float, confidence: np.ndarray | float, supported: np.ndarray | bool,
                reduction: np.ndarray | float) -> np.ndarray:
    """Burden a person feels: the option's burden, scaled by lack of confidence and cut by support."""
    return option_burden * (1.0 - confidence) * (1.0 - reduction * supported)


def utility(j: int, confidence: np.ndarray | float, over65: np.ndarray | bool, group: np.ndarray | int,
            supported: np.ndarray | bool, current: np.ndarray | int, peer_signal: np.ndarray | float,
            available: np.ndarray | bool, reduction: np.ndarray | float, ch: Choice) -> np.ndarray:
    """Utility of Option ``j`` (1-4) by the formula above; -inf if the council does not offer it."""
    i = j - 1
    u = (ch.beta_control * ch.control[i]
         - ch.beta_burden * felt_burden(ch.burden[i], confidence, supported, reduction)
         + ch.beta_peer * peer_signal + ch.inertia * (current == j) + ch.asc[i] + ch.asc_over65[i] * over65
         + (j == 1) * np.asarray(ch.asc_group)[group])
    return where(available, u, -np.inf)


def utilities(confidence: np.ndarray | float, over65: np.ndarray | bool, group: np.ndarray | int,
              supported: np.ndarray | bool, current: np.ndarray | int, peer_signal: np.ndarray,
              available: np.ndarray, reduction: np.ndarray | float, ch: Choice) -> np.ndarray:
    """Utilities of Options 1-4, shape (..., 4); unavailable options get -inf."""
    return np.stack([utility(j, confidence, over65, group, supported, current, peer_signal[..., j - 1],
                             available[..., j - 1], reduction, ch) for j in (1, 2, 3, 4)], axis=-1)


def choose(util: np.ndarray, u: np.ndarray | float) -> np.ndarray:
    """Draw alternatives 1..K from logit probabilities with uniforms ``u`` (inverse CDF).

    The alternative picked is one plus the number of cumulative weights (over the first K - 1)
    at or below ``u`` x total, so alternatives of probability 0 are never picked. Written column
    by column: numpy reductions along a short last axis cost far more per row."""
    util = np.asarray(util)
    cols = [util[..., j] for j in range(util.shape[-1])]
    top = cols[0]
    for c in cols[1:]:
        top = np.maximum(top, c)
    cum = 0.0
    weights = [np.exp(c - top) for c in cols]
    target = np.asarray(u) * sum(weights)
    pick = np.zeros(np.shape(top), dtype=np.int64)
    for w in weights[:-1]:
        cum = cum + w
        pick += cum <= target
    return pick + 1


def peer_signal(peer_option: np.ndarray, peer_satisfied: np.ndarray, peer_valid: np.ndarray) -> np.ndarray:
    """Per option: (satisfied - dissatisfied peers on it) / number of peers; shape (..., 4)."""
    k = max(1, peer_option.shape[-1])
    score = (2.0 * peer_satisfied - 1.0) * peer_valid
    ones = np.ones(peer_option.shape[-1])  # sums over peers as a matrix-vector product (fast)
    return np.stack([((peer_option == j) * score) @ ones for j in _OPTS], axis=-1) / k
