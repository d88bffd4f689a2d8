"""ABC-SMC posterior (pyabc) on a simulator whose posterior is known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.experiments.history_matching import Observation
from model.experiments.posterior import Posterior, abc_smc, central_values, weighted_sample

BOUNDS = pd.DataFrame([{"parameter": "theta", "low": 0.0, "high": 1.0}])


def noisy(parameters, seed):
    """y = theta + N(0, 0.05^2): with a flat prior on [0, 1] and y observed at 0.4, the posterior is
    N(0.4, 0.05^2) (as the tolerance goes to 0)."""
    return {"y": parameters["theta"] + 0.05 * np.random.default_rng(seed).standard_normal()}


def test_abc_smc_recovers_a_known_posterior_and_is_reproducible(tmp_path):
    post = abc_smc(noisy, BOUNDS, [Observation("y", 0.4, 0.05)], population_size=300, generations=6,
                   database=tmp_path / "a.db", seed=7)
    x, w = post.particles["theta"].to_numpy(), post.weights
    mean = float(np.sum(w * x))
    sd = float(np.sqrt(np.sum(w * (x - mean) ** 2)))
    assert mean == pytest.approx(0.4, abs=0.01) and sd == pytest.approx(0.05, abs=0.01)  # the analytic posterior
    assert (mean, sd) == pytest.approx((0.39454796515155766, 0.058063652595529446), rel=1e-9)  # pinned
    assert post.epsilons == sorted(post.epsilons, reverse=True)  # tolerances shrink
    again = abc_smc(noisy, BOUNDS, [Observation("y", 0.4, 0.05)], population_size=300, generations=6,
                    database=tmp_path / "b.db", seed=7)
    pd.testing.assert_frame_equal(again.particles, post.particles)
    interval = post.interval(0.9).iloc[0]
    assert interval["low"] < 0.4 < interval["high"]


def test_a_stored_run_is_continued_not_repeated(tmp_path):
    first = abc_smc(noisy, BOUNDS, [Observation("y", 0.4, 0.05)], population_size=50, generations=2,
                    database=tmp_path / "a.db", seed=3)
    more = abc_smc(noisy, BOUNDS, [Observation("y", 0.4, 0.05)], population_size=50, generations=3,
                   database=tmp_path / "a.db", seed=3)
    assert len(first.epsilons) == 2 and len(more.epsilons) == 3
    assert more.epsilons[:2] == first.epsilons


def test_weighted_sample_follows_the_weights():
    table = pd.DataFrame({"theta": [0.0, 1.0], "weight": [0.25, 0.75]})
    draws = weighted_sample(table, 4000, np.random.default_rng(0))
    assert list(draws.columns) == ["theta"]
    assert draws["theta"].mean() == pytest.approx(0.75, abs=0.03)


def test_central_values_and_effective_sample_of_hand_made_weights():
    """Values 1-4 with weights 0.1-0.4: cumulative 0.1, 0.3, 0.6, 1.0, so the median is 3, the 5 %
    quantile 1 and the 95 % quantile 4; the weighted mean is 3.0; the weights are worth
    1 / (0.01 + 0.04 + 0.09 + 0.16) = 3.33 equally weighted particles."""
    table = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "weight": [0.1, 0.2, 0.3, 0.4]})
    row = central_values(table).iloc[0]
    assert (row["parameter"], row["median"], row["low"], row["high"]) == ("a", 3.0, 1.0, 4.0)
    assert row["mean"] == pytest.approx(3.0)
    posterior = Posterior(table[["a"]], table["weight"].to_numpy(), [1.0], Path("x.db"))
    assert posterior.ess == pytest.approx(1 / 0.3)
    assert posterior.interval()["low"].iloc[0] == 1.0


def test_a_stored_run_that_reached_its_tolerance_floor_is_complete(tmp_path):
    """A run that stopped because its tolerance reached ``minimum_epsilon`` runs nothing more when the same
    request is made again (``carecon calibrate --resume``), whatever the number of generations asked."""
    floor = 1.5  # in units of the observation sd: reached within a few generations
    first = abc_smc(noisy, BOUNDS, [Observation("y", 0.4, 0.05)], population_size=50, generations=10,
                    database=tmp_path / "a.db", seed=3, minimum_epsilon=floor)
    assert len(first.epsilons) < 10 and first.epsilons[-1] <= floor
    again = abc_smc(noisy, BOUNDS, [Observation("y", 0.4, 0.05)], population_size=50, generations=10,
                    database=tmp_path / "a.db", seed=3, minimum_epsilon=floor)
    assert again.epsilons == first.epsilons
    pd.testing.assert_frame_equal(again.particles, first.particles)
