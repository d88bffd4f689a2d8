"""Random streams of the compiled passes: xoshiro256** bits, uniforms, normals and gamma draws."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from scipy import stats

from model import stream


def test_xoshiro256starstar_known_answer():
    """The first outputs of the reference implementation (Blackman & Vigna) from state 1, 2, 3, 4."""
    state = np.array([1, 2, 3, 4], dtype=np.uint64)
    got = [int(stream.next_u64(state)) for _ in range(4)]
    assert got == [11520, 0, 1509978240, 1215971899390074240]


def test_seed_comes_from_the_models_generator():
    a, b = stream.seed(np.random.default_rng(5)), stream.seed(np.random.default_rng(5))
    assert a.dtype == np.uint64 and a.shape == (4,) and a.any()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, stream.seed(np.random.default_rng(6)))


def test_same_state_same_draws_and_the_state_moves_on():
    state = stream.seed(np.random.default_rng(1))
    copy = state.copy()
    first = stream.uniforms(state, 1000)
    np.testing.assert_array_equal(first, stream.uniforms(copy, 1000))
    np.testing.assert_array_equal(state, copy)
    assert not np.array_equal(first, stream.uniforms(state, 1000))



@numba.njit
def _mixed_threaded(state, n):
    """Normals and uniforms in turn, the stream's words threaded through the draws as a pass does."""
    out = np.empty(2 * n)
    words = stream.load(state)
    for i in range(n):
        out[2 * i], words = stream.next_normal(words)
        out[2 * i + 1], words = stream.next_uniform(words)
    stream.store(state, words)
    return out


def _mixed_in_python(state, n):
    """The same draws written out in plain Python (64-bit words as Python ints): xoshiro256** and
    the ziggurat with its tail and wedge, each uniform taken in the order the method needs it."""
    s = [int(w) for w in state]
    mask = (1 << 64) - 1

    def bits():
        result = (((s[1] * 5) << 7 | (s[1] * 5 & mask) >> 57) * 9) & mask
        t = (s[1] << 17) & mask
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = ((s[3] << 45) | (s[3] >> 19)) & mask
        return result

    def uniform():
        return (bits() >> 11) * 2.0**-53

    def normal():
        x_, ratio = stream._ZIG_X, stream._ZIG_RATIO
        while True:
            b = bits()
            i = b & 127
            u = (b >> 11) * 2.0**-52 - 1.0
            if abs(u) < ratio[i]:
                return u * x_[i]
            if i == 0:
                while True:
                    x = np.log(uniform()) / stream.ZIG_R
                    if -2.0 * np.log(uniform()) >= x * x:
                        return x - stream.ZIG_R if u < 0 else stream.ZIG_R - x
            x = u * x_[i]
            f0 = np.exp(-0.5 * (x_[i] * x_[i] - x * x))
            f1 = np.exp(-0.5 * (x_[i + 1] * x_[i + 1] - x * x))
            if f1 + uniform() * (f0 - f1) < 1.0:
                return x

    out = [v for _ in range(n) for v in (normal(), uniform())]
    return np.array(out), np.array(s, dtype=np.uint64)


def test_threaded_words_give_the_draws_of_a_plain_python_stream():
    """A pass threading the words (``load``, ``next_*``, ``store``) draws what a plain-Python
    xoshiro256** and ziggurat draw, tail and wedge included (100,000 normals reach both), and
    leaves the stream where they leave it."""
    state = stream.seed(np.random.default_rng(3))
    expected, end = _mixed_in_python(state.copy(), 100_000)
    np.testing.assert_array_equal(_mixed_threaded(state, 100_000), expected)
    np.testing.assert_array_equal(state, end)


def test_uniforms_lie_in_the_unit_interval_and_are_uniform():
    u = stream.uniforms(stream.seed(np.random.default_rng(2)), 1_000_000)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    # Successive draws are not correlated.
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 4.5 / np.sqrt(u.size)


@numba.njit
def _normals(state, n):
    out = np.empty(n)
    for i in range(n):
        out[i] = stream.standard_normal(state)
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_ziggurat_draws_are_standard_normal(seed):
    n = 1_000_000
    z = _normals(stream.seed(np.random.default_rng(seed)), n)
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert abs(z.mean()) < 4.5 / np.sqrt(n) and abs(z.var() - 1) < 4.5 * np.sqrt(2 / n)
    # The tail beyond the ziggurat's base (drawn by a separate algorithm) has the right mass.
    tail = np.mean(np.abs(z) > stream.ZIG_R)
    expect = 2 * stats.norm.sf(stream.ZIG_R)
    assert abs(tail - expect) < 4.5 * np.sqrt(expect / n)
    beyond = np.abs(z[np.abs(z) > stream.ZIG_R])
    assert stats.kstest(beyond, stats.truncnorm(stream.ZIG_R, np.inf).cdf).pvalue > 1e-3


@numba.njit
def _gammas(state, shape, n):
    out = np.empty(n)
    for i in range(n):
        out[i] = stream.gamma(state, shape)
    return out


@pytest.mark.parametrize("shape", [0.5, 1.0, 1.5, 7.0])
def test_gamma_draws_follow_the_gamma_distribution(shape):
    n = 400_000
    g = _gammas(stream.seed(np.random.default_rng(int(shape * 10))), shape, n)
    assert (g >= 0).all()
    assert stats.kstest(g, stats.gamma(shape).cdf).pvalue > 1e-3
    # Gamma(a, 1): mean a, variance a, fourth central moment 3a^2 + 6a.
    assert abs(g.mean() - shape) < 4.5 * np.sqrt(shape / n)
    assert abs(g.var() - shape) < 4.5 * np.sqrt((2 * shape**2 + 6 * shape) / n)
    # The upper tail (rare acceptances far from the squeeze) has the right mass.
    q = stats.gamma(shape).isf(0.001)
    assert abs(np.mean(g > q) - 0.001) < 4.5 * np.sqrt(0.001 / n)


def test_gamma_is_reproducible_from_the_state():
    a = _gammas(np.array([1, 2, 3, 4], dtype=np.uint64), 1.5, 100)
    b = _gammas(np.array([1, 2, 3, 4], dtype=np.uint64), 1.5, 100)
    np.testing.assert_array_equal(a, b)
