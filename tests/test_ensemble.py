"""Runs that carry parameter uncertainty: reading a posterior, drawing parameter sets in pairs, and the
split of each figure's variance into parameters and run-to-run noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import load_scenario
from model.run import ensemble
from model.scenario import ScenarioError
from tests.test_cli import SMALL_RUN, invoke


def test_the_variance_splits_by_the_law_of_total_variance():
    """Pairs (0, 2) and (10, 12): within-pair variance 2 (noise); pair means 1 and 11, whose variance
    50 less noise / 2 leaves 49 for the parameters: share 49 / 51."""
    table = pd.DataFrame({"mixed": [0.0, 2.0, 10.0, 12.0], "noise_only": [0.0, 2.0, 0.0, 2.0],
                          "parameters_only": [1.0, 1.0, 5.0, 5.0], "undefined": [1.0, np.nan, 1.0, 1.0]})
    shares = ensemble.uncertainty_shares(table).set_index("figure")
    assert shares.loc["mixed", "parameter_share"] == pytest.approx(49 / 51)
    assert shares.loc["mixed", "variance"] == pytest.approx(51)
    assert shares.loc["noise_only", "parameter_share"] == 0.0
    assert shares.loc["parameters_only", "parameter_share"] == 1.0
    assert np.isnan(shares.loc["undefined", "parameter_share"])


def test_draws_come_in_pairs_follow_the_weights_and_are_reproducible():
    table = pd.DataFrame({"choice.beta_peer": [0.5, 2.5], "weight": [0.0, 1.0]})
    d = ensemble.draws(table, 6, seed=3)
    assert [x["choice.beta_peer"] for x in d] == [2.5] * 6  # weight 0 is never drawn
    table = pd.DataFrame({"choice.beta_peer": np.linspace(0.5, 2.5, 50), "weight": 1.0})
    d = ensemble.draws(table, 40, seed=3)
    assert all(d[i] == d[i + 1] for i in range(0, 40, 2))
    assert len({x["choice.beta_peer"] for x in d}) > 5
    assert d == ensemble.draws(table, 40, seed=3)
    with pytest.raises(ScenarioError, match="replications: must be an even number of at least 4"):
        ensemble.draws(table, 5, seed=3)


@pytest.mark.parametrize(("text", "message"), [
    ("choice.beta_peer\n1.0\n", "weight column"),
    ("choice.beta_peer,weight\n1.0,nan\n", "finite"),
    ("choice.beta_peer,weight\n1.0,-1\n", "at least 0"),
    ("no.such.parameter,weight\n1.0,1\n", "row 0 is not a valid set of parameters"),
    ("choice.beta_peer,weight\n99.0,1\n", "row 0 is not a valid set of parameters"),
    ("choice.beta_peer,weight\n\x00\xff,1\n", "ensemble '"),
])
def test_a_bad_posterior_is_refused_in_one_line(tmp_path, text, message):
    path = tmp_path / "posterior.csv"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ScenarioError, match=message) as err:
        ensemble.read_ensemble(path, load_scenario("sds_rollout"))
    assert "\n" not in str(err.value)


def test_carecon_run_with_an_ensemble_writes_the_draws_and_the_split(tmp_path):
    posterior = tmp_path / "posterior.csv"
    posterior.write_text("choice.beta_peer,councils.*.support.capacity,weight\n0.6,2.0,0.5\n2.8,10.0,0.5\n")
    argv = ["run", "sds_rollout", *SMALL_RUN]
    argv[argv.index("--replications") + 1] = "4"
    code, out, err = invoke([*argv, "--ensemble", str(posterior), "--out", str(tmp_path / "o")])
    assert code == 0, err
    draws = pd.read_csv(tmp_path / "o" / "draws.csv")
    params = draws.drop(columns="replication")
    assert len(draws) == 4 and params.iloc[0].equals(params.iloc[1]) and params.iloc[2].equals(params.iloc[3])
    shares = pd.read_csv(tmp_path / "o" / "uncertainty.csv")
    assert set(shares.columns) == {"figure", "variance", "parameter_share"}
    assert "share of variance from parameters" in out


def test_a_draw_keeps_a_scenarios_own_setting_as_a_proportion():
    """The posterior is of the calibration scenario (support capacity 4 per 1,000 a month): baseline
    takes the drawn 8; targeted_support (6) keeps its policy as 6 x 8/4 = 12; austerity (2) gets 4;
    multi_council's councils (3, 10 and 4) scale alike."""
    draw = {"councils.*.support.capacity": 8.0, "choice.beta_peer": 2.0}

    def capacities(name: str) -> list[float]:
        s = ensemble.with_draw(load_scenario(name), draw)
        assert s.choice.beta_peer == 2.0
        return [c.support.capacity for c in s.councils]

    assert capacities("baseline") == [8.0]
    assert capacities("targeted_support") == [12.0]
    assert capacities("austerity") == [4.0]
    assert capacities("multi_council") == [6.0, 20.0, 8.0]
    assert ensemble.scenario_settings(load_scenario("targeted_support"), draw) == {
        "councils.0.support.capacity": (6.0, 4.0)}


def test_compare_with_an_ensemble_pairs_parameters_across_scenarios():
    """Replication r of both scenarios runs with draw r; a figure the parameters move has most of its
    difference's variance from them, and the table is one row per scenario and figure."""
    from model.experiments.runner import compare

    base = load_scenario("sds_rollout", {"run.people": 200, "run.months": 12, "councils.0.rollout.start_month": 0,
                                         "councils.0.rollout.duration_months": 6})
    other = base.with_overrides({"budgets.eligibility_threshold": 35.0}).model_copy(update={"name": "stricter"})
    draws = [{"choice.beta_burden": 0.5}] * 2 + [{"choice.beta_burden": 9.0}] * 2
    result = compare([base, other], 4, seed=5, draws=draws)
    shares = result.uncertainty.set_index("figure")
    assert set(result.uncertainty.scenario) == {"stricter"} and len(shares) == len(result.differences)
    plain = compare([base, other], 4, seed=5)
    assert not result.differences.mean_difference.equals(plain.differences.mean_difference)
    assert plain.uncertainty.empty


def test_the_runner_gives_each_replication_its_drawn_parameters_in_every_scenario():
    """run_replications and compare with an ensemble: replication i of every scenario is the scenario with
    draw i, on seed i (as carecon run --ensemble computes it), so a comparison stays paired."""
    from model.experiments.runner import compare, run_replications
    from model.run.simulation import seeds_for, simulate

    small = {"run.people": 60, "run.months": 6, "councils.0.rollout.start_month": 1,
             "councils.0.rollout.duration_months": 3}
    a, b = load_scenario("sds_rollout", small), load_scenario("baseline", small)
    table = pd.DataFrame({"choice.beta_peer": [0.5, 2.5], "councils.*.support.capacity": [0.0, 9.0],
                          "weight": [1.0, 1.0]})
    drawn = ensemble.draws(table, 4, a.run.seed)
    assert drawn[0] == drawn[1] and drawn[2] == drawn[3]
    got = run_replications(a, 4, a.run.seed, draws=drawn).monthly
    seeds = seeds_for(a.run.seed, 4)
    for i in (0, 3):
        alone = simulate(ensemble.with_draw(a, drawn[i]), seeds[i], replication=i).monthly
        pd.testing.assert_frame_equal(got[got["replication"] == i].reset_index(drop=True), alone,
                                      check_dtype=False)
    both = compare([b, a], 4, a.run.seed, draws=drawn)
    pd.testing.assert_frame_equal(both.results["sds_rollout"].monthly, got)
    with pytest.raises(ScenarioError, match="even number"):
        ensemble.draws(table, 3, a.run.seed)


def test_calibrated_names_the_committed_posterior(tmp_path):
    """``--ensemble calibrated`` reads the posterior the defaults come from."""
    scenario = load_scenario("sds_rollout")
    committed = ensemble.committed_posterior()
    assert committed is not None
    pd.testing.assert_frame_equal(ensemble.read_ensemble("calibrated", scenario),
                                  ensemble.read_ensemble(committed, scenario))
    argv = ["run", "sds_rollout", *SMALL_RUN]
    argv[argv.index("--replications") + 1] = "4"
    code, _, err = invoke([*argv, "--ensemble", "calibrated", "--out", str(tmp_path / "o")])
    assert code == 0, err
    drawn = pd.read_csv(tmp_path / "o" / "draws.csv").drop(columns="replication")
    assert set(drawn.columns) == set(pd.read_csv(committed).columns) - {"weight"}
