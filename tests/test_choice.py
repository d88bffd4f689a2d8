"""Option choice: the logit rule, its utilities, the draw, the peer signal and the option held."""

from __future__ import annotations

import numpy as np
import pytest

from model import stream
from model.rules import choice
from model.scenario import Choice

CH = Choice()
ALL = np.ones(4, dtype=bool)


def softmax(u):
    p = np.exp(u - u[np.isfinite(u)].max())
    return p / p.sum()


def person_utility(confidence=0.6, over65=False, group=1, supported=False, current=0, signal=None, available=ALL,
                   reduction=0.6, ch=CH):
    signal = np.zeros(4) if signal is None else signal
    return np.array([choice.utility(j, confidence, over65, group, supported, current, signal[j - 1], available[j - 1],
                                    reduction, ch) for j in (1, 2, 3, 4)])


def draws(util: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The options :func:`choice.logit_draw` picks with each of the uniforms ``u``."""
    return np.array([choice.logit_draw(util, x) for x in u])


def test_utilities_match_the_documented_formula():
    signal = np.array([0.5, 0.0, -0.5, 0.0])
    u = person_utility(confidence=0.4, over65=True, group=0, supported=True, current=3, signal=signal, reduction=0.5)
    expected = (CH.beta_control * np.array(CH.control)
                - CH.beta_burden * np.array(CH.burden) * (1 - 0.4) * (1 - 0.5)
                + CH.beta_peer * signal + CH.inertia * np.array([0, 0, 1, 0]) + np.array(CH.asc)
                + np.array(CH.asc_over65))
    expected[0] += CH.asc_group[0]
    np.testing.assert_allclose(u, expected)


def test_logit_frequencies_match_softmax_probabilities():
    u = person_utility(confidence=0.7, current=3, signal=np.array([0.3, 0.0, 0.1, -0.2]))
    p = softmax(u)
    n = 40_000
    freq = np.bincount(draws(u, np.random.default_rng(7).random(n)), minlength=5)[1:] / n
    # Four binomial proportions: 4.5 standard errors at most.
    np.testing.assert_allclose(freq, p, atol=4.5 * np.sqrt(p * (1 - p) / n).max())


def test_logit_draw_is_the_inverse_cdf():
    u = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    picks = draws(u, np.array([0.05, 0.15, 0.29, 0.31, 0.59, 0.61, 0.999]))
    assert picks.tolist() == [1, 2, 2, 3, 3, 4, 4]
    assert choice.logit_draw(tuple(u), 0.31) == 3  # a tuple of utilities (as the per-person rule passes them)


def test_unavailable_options_are_never_chosen():
    available = np.array([False, True, True, False])
    u = person_utility(confidence=1.0, available=available)
    assert np.isneginf(u[[0, 3]]).all()
    grid = np.linspace(0.0, 1.0, 2001, endpoint=False) + 0.00025
    assert set(np.unique(draws(u, grid))) <= {2, 3}


def test_a_zero_uniform_does_not_pick_an_unavailable_first_option():
    """rng.random() can return exactly 0.0; the draw must still respect availability."""
    u = np.array([-np.inf, 0.0, 0.0, -np.inf])
    assert choice.logit_draw(u, 0.0) == 2


def test_support_and_confidence_raise_direct_payment_take_up():
    p_alone = softmax(person_utility(confidence=0.3))[0]
    p_supported = softmax(person_utility(confidence=0.3, supported=True))[0]
    p_confident = softmax(person_utility(confidence=0.9))[0]
    assert p_alone < p_supported
    assert p_alone < p_confident


def test_older_people_favour_option3_and_inertia_keeps_people_where_they_are():
    young, old = softmax(person_utility(over65=False)), softmax(person_utility(over65=True))
    assert old[2] > young[2] and old[0] < young[0]
    stay = softmax(person_utility(current=3))[2]
    assert stay > softmax(person_utility(current=1))[2]


def test_felt_burden():
    assert choice.felt_burden(1.0, 0.25, False, 0.6) == pytest.approx(0.75)
    assert choice.felt_burden(1.0, 0.25, True, 0.6) == pytest.approx(0.75 * 0.4)
    assert choice.felt_burden(0.0, 0.0, False, 0.0) == 0.0


def test_peer_signal_counts_satisfied_minus_dissatisfied_per_peer():
    """Per peer slot (6): +1/6 on a satisfied peer's option, -1/6 on a dissatisfied one's; a slot
    with no peer with a package (option 0) counts as none, whatever its satisfaction."""
    peer_option = np.array([1, 1, 3, 3, 0, 4])
    satisfaction = np.array([0.9, 0.1, 0.5, 0.7, 0.0, 0.4])
    signal = choice.peer_signal(peer_option, satisfaction, 0.4)
    np.testing.assert_allclose(signal, np.array([0, 0, 2, 1]) / 6)
    assert choice.peer_signal(np.zeros(0, int), np.zeros(0), 0.4) == (0.0, 0.0, 0.0, 0.0)


def test_choose_option_is_the_logit_draw_of_the_utilities_with_the_streams_next_uniform():
    signal, available = (0.5, 0.0, -1 / 6, 0.0), np.array([True, True, True, False])
    words = stream.load(stream.seed(np.random.default_rng(5)))
    option, after = choice.choose_option(0.6, True, 2, True, 3, signal, available, 0.5, CH, words)
    u, expected_after = stream.next_uniform(words)
    util = person_utility(0.6, True, 2, True, 3, np.array(signal), available, 0.5)
    assert option == choice.logit_draw(util, u) and after == expected_after


def test_the_option_held_gives_its_control_and_felt_burden():
    assert choice.held(0, 0.3, True, 0.5, CH) == (0.0, 0.0)
    control, burden = choice.held(4, 0.3, True, 0.5, CH)
    assert control == CH.control[3] and burden == pytest.approx(choice.felt_burden(CH.burden[3], 0.3, True, 0.5))
