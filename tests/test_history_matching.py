"""History matching on simulators whose not-ruled-out space is known analytically."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model.experiments import history_matching as hm


def noisy_identity(noise: float):
    """f_j(x) = x_j plus Gaussian noise of sd ``noise``: the NROY set of target j is known."""
    def simulate(points: np.ndarray, reps: int) -> np.ndarray:
        rng = np.random.default_rng(len(points))
        return points[:, None, :] + noise * rng.standard_normal((len(points), reps, points.shape[1]))
    return simulate


def test_one_target_rules_out_what_it_should():
    """f(x) = x0 + N(0, 0.01^2), observed 0.5 with sd 0.05: |x0 - 0.5| <= 3 sqrt(0.05^2 + 0.01^2 / 4)
    (emulator variance near 0) is 0.3 of the unit square, whatever x1."""
    target = [hm.Observation("x0", 0.5, 0.05)]

    def simulate(points, reps):
        return noisy_identity(0.01)(points, reps)[:, :, :1]

    wave = hm.run_wave(simulate, target, [], n=30, dims=2, replications=4, seed=1)
    expected = 2 * 3 * math.sqrt(0.05 ** 2 + 0.01 ** 2 / 4)
    assert wave.nroy_fraction == pytest.approx(expected, abs=0.02)
    assert (wave.loo_within_3sd >= 0.9).all()
    x = np.array([[0.5, 0.1], [0.5, 0.9], [0.1, 0.5], [0.95, 0.5]])
    assert hm.not_ruled_out([wave], target, x, 4, 3.0).tolist() == [True, True, False, False]


def test_two_waves_shrink_to_the_product_of_two_intervals():
    targets = [hm.Observation("x0", 0.3, 0.04), hm.Observation("x1", 0.7, 0.04, discrepancy_sd=0.02)]
    simulate = noisy_identity(0.01)
    first = hm.run_wave(simulate, targets, [], n=40, dims=2, replications=3, seed=2)
    second = hm.run_wave(simulate, targets, [first], n=20, dims=2, replications=3, seed=3)
    w0 = 2 * 3 * math.sqrt(0.04 ** 2 + 0.01 ** 2 / 3)
    w1 = 2 * 3 * math.sqrt(0.04 ** 2 + 0.02 ** 2 + 0.01 ** 2 / 3)
    assert second.nroy_fraction <= first.nroy_fraction + 0.01
    assert second.nroy_fraction == pytest.approx(w0 * w1, abs=0.02)
    # the second wave's design lies in the first wave's NROY space
    assert hm.not_ruled_out([first], targets, second.design, 3, 3.0).all()


def test_a_target_no_point_can_reach_leaves_nothing_for_another_wave():
    target = [hm.Observation("x0", 2.0, 0.01)]  # f(x) = x0 is at most 1

    def simulate(points, reps):
        return noisy_identity(0.001)(points, reps)[:, :, :1]

    wave = hm.run_wave(simulate, target, [], n=20, dims=1, replications=2, seed=4)
    assert wave.nroy_fraction == 0.0
    with pytest.raises(ValueError, match="too few for another wave"):
        hm.run_wave(simulate, target, [wave], n=20, dims=1, replications=2, seed=5)
