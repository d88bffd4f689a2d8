"""Random streams for the compiled passes: xoshiro256** seeded from the model's generator.

Each compiled pass of the default engine (:mod:`model.engines.vector`) draws its random numbers from a
stream of its own, a 256-bit xoshiro256** state (Blackman & Vigna 2021, "Scrambled linear
pseudorandom number generators", ACM TOMS 47(4)) taken from ``model.rng`` when the pass is called
(:func:`seed`). So a run is still determined by its seed alone, and each draw costs a few
arithmetic instructions in the pass (a numpy ``Generator`` passed into compiled code is unboxed at
every call and costs a function-pointer call a draw).

A pass threads the stream's four words through its draws as a tuple (``words =
load(state)``, ``u, words = next_uniform(words)``, ..., ``store(state, words)``), so that the
compiled code keeps them in registers (:func:`next_bits`); ``uniform(state)`` and the other
array forms draw the same numbers, for code that draws rarely.

Normal draws use the ziggurat method on the stream's uniforms (:func:`next_normal`).
"""

from __future__ import annotations

import numba
import numpy as np
from numba.extending import overload

_U53 = 1.0 / 9007199254740992.0  # 2**-53
_ZERO_STATE = bytes(32)


def seed(rng: np.random.Generator) -> np.ndarray:
    """A fresh stream state: the next four 64-bit words of the model's generator."""
    state = rng.bit_generator.random_raw(4)
    if state.tobytes() == _ZERO_STATE:  # the one state xoshiro cannot leave (chance 2**-256)
        state[0] = 1
    return state


@numba.njit(inline="always", cache=True)
def _rotl(x: np.uint64, k: int) -> np.uint64:
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@numba.njit(inline="always", cache=True)
def load(state: np.ndarray) -> tuple:
    """The stream's four words as a tuple of scalars, for a pass to thread through its draws."""
    return (state[0], state[1], state[2], state[3])


@numba.njit(inline="always", cache=True)
def store(state: np.ndarray, words: tuple) -> None:
    """Write the words a pass has drawn up to back into the stream's array."""
    state[0], state[1], state[2], state[3] = words


@numba.njit(inline="always", cache=True)
def next_bits(words: tuple) -> tuple:
    """The next 64 random bits (xoshiro256**) and the stream's next words.

    The draws take the stream as a tuple of four words and return it advanced, so a compiled
    pass keeps the words in registers. Kept in an array, the words might share memory with the
    columns the pass writes, so the compiled code would load and store them at every draw."""
    s0, s1, s2, s3 = words
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return result, (s0, s1, s2, s3)


@numba.njit(inline="always", cache=True)
def _next_uniform(words: tuple) -> tuple:
    bits, words = next_bits(words)
    return np.float64(np.int64(bits >> np.uint64(11))) * _U53, words


def _words(words: tuple) -> tuple:
    """The words as unsigned 64-bit scalars (compiled code hands them back to Python as ints)."""
    return tuple(np.uint64(w) for w in words)


def next_uniform(words: tuple) -> tuple:
    """A uniform draw on [0, 1) with 53 random bits, and the stream's next words.

    Callable from compiled code (where it is the compiled draw, inlined) and from plain Python
    (the per-agent engine's rules), with the same numbers."""
    return _next_uniform(_words(words))


@overload(next_uniform, inline="always")
def _next_uniform_compiled(words):
    return lambda words: _next_uniform(words)


@numba.njit(inline="always", cache=True)
def next_u64(state: np.ndarray) -> np.uint64:
    """The next 64 random bits of the stream ``state`` (an array of four words)."""
    bits, words = next_bits(load(state))
    store(state, words)
    return bits


@numba.njit(inline="always", cache=True)
def uniform(state: np.ndarray) -> float:
    """A uniform draw on [0, 1) from the stream ``state`` (an array of four words)."""
    u, words = _next_uniform(load(state))
    store(state, words)
    return u


@numba.njit(cache=True)
def uniforms(state: np.ndarray, n: int) -> np.ndarray:
    """``n`` uniform draws (for tests and for replaying a pass's draws)."""
    out = np.empty(n)
    for i in range(n):
        out[i] = uniform(state)
    return out


# Ziggurat tables for standard-normal draws (128 layers; Marsaglia & Tsang 2000, in the ZIGNOR
# form of Doornik 2005, "An improved ziggurat method to generate normal random samples").
ZIG_R = 3.442619855899  # start of the tail
_ZIG_V = 9.91256303526217e-3  # area of each layer


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray]:
    x = np.zeros(129)
    f = np.exp(-0.5 * ZIG_R * ZIG_R)
    x[0], x[1] = _ZIG_V / f, ZIG_R
    for i in range(2, 128):
        x[i] = np.sqrt(-2.0 * np.log(_ZIG_V / x[i - 1] + f))
        f = np.exp(-0.5 * x[i] * x[i])
    return x, x[1:] / x[:-1]


_ZIG_X, _ZIG_RATIO = _ziggurat_tables()


def next_normal(words: tuple) -> tuple:
    """One standard-normal draw by the ziggurat method, and the stream's next words: 64 random
    bits (7 choose the layer, 53 the point) are accepted at once in about 99 % of draws (tested
    against the normal distribution in ``tests/test_stream.py``). Callable from compiled code and
    from plain Python, with the same numbers."""
    return _next_normal(_words(words))


@overload(next_normal, inline="always")
def _next_normal_compiled(words):
    return lambda words: _next_normal(words)


@numba.njit(inline="always", cache=True)
def _next_normal(words: tuple) -> tuple:
    while True:
        bits, words = next_bits(words)
        i = np.int64(bits & np.uint64(127))
        u = np.float64(np.int64(bits >> np.uint64(11))) * (2.0 * _U53) - 1.0  # uniform on [-1, 1), 2**53 steps
        if abs(u) < _ZIG_RATIO[i]:
            return u * _ZIG_X[i], words
        if i == 0:  # the tail beyond R (Marsaglia 1964)
            while True:
                a, words = _next_uniform(words)
                b, words = _next_uniform(words)
                x = np.log(a) / ZIG_R
                if -2.0 * np.log(b) >= x * x:
                    return (x - ZIG_R if u < 0 else ZIG_R - x), words
        x = u * _ZIG_X[i]  # the wedge under the density
        f0 = np.exp(-0.5 * (_ZIG_X[i] * _ZIG_X[i] - x * x))
        f1 = np.exp(-0.5 * (_ZIG_X[i + 1] * _ZIG_X[i + 1] - x * x))
        a, words = _next_uniform(words)
        if f1 + a * (f0 - f1) < 1.0:
            return x, words


@numba.njit(inline="always", cache=True)
def standard_normal(state: np.ndarray) -> float:
    """A standard-normal draw (:func:`next_normal`) from the stream ``state`` (an array of four words)."""
    z, words = _next_normal(load(state))
    store(state, words)
    return z


@numba.njit(cache=True)
def gamma(state: np.ndarray, shape: float) -> float:
    """One Gamma(``shape``, 1) draw (multiply by the scale), ``shape`` > 0.

    For shape >= 1, the squeeze-and-reject method of Marsaglia & Tsang (2000), "A simple method
    for generating gamma variables", ACM TOMS 26(3): a cubed normal ``d (1 + c z)**3``, accepted
    at once by a quick squeeze in most draws. For shape < 1, their boost: a Gamma(shape + 1) draw
    times ``u**(1 / shape)`` (tested against the gamma distribution in ``tests/test_stream.py``)."""
    boost = 1.0
    if shape < 1.0:
        boost = (1.0 - uniform(state)) ** (1.0 / shape)  # u on (0, 1]
        shape += 1.0
    d = shape - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    while True:
        z = standard_normal(state)
        v = 1.0 + c * z
        if v <= 0.0:
            continue
        v = v * v * v
        u = uniform(state)
        if u < 1.0 - 0.0331 * (z * z) * (z * z) or np.log(u) < 0.5 * z * z + d * (1.0 - v + np.log(v)):
            return d * v * boost
