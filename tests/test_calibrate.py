"""carecon calibrate: history matching of the model against the calibration targets, stored wave by
wave and resumable."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from model.experiments.calibrate import Screening, behavioural, noise_floor, published
from model.experiments.sensitivity import Parameter, Space, load_space
from tests.conftest import ROOT
from tests.test_cli import assert_refused, invoke

SPACE = ('name = "two"\n[parameters]\n"choice.beta_peer" = { low = 0.5, high = 3.0 }\n'
         '"demography.over65_share_other_groups" = { low = 0.2, high = 0.6 }\n')


def _calibrate(tmp_path, *extra):
    (tmp_path / "space.toml").write_text(SPACE)
    return invoke(["calibrate", "--space", str(tmp_path / "space.toml"), "--waves", "2", "--points", "5",
                   "--replications", "2", "--people", "300", "--executor", "serial", "--quiet",
                   "--store", str(tmp_path / "studies"), "--out", str(tmp_path / "out"), *extra])


def test_two_waves_are_stored_and_a_resume_reruns_nothing(tmp_path):
    code, out, err = _calibrate(tmp_path)
    assert code == 0, err
    assert "wave 2:" in out and "parameter ranges not ruled out" in out
    waves = pd.read_csv(tmp_path / "out" / "waves.csv")
    assert list(waves["wave"]) == [1, 2] and (waves["points"] == 5).all()
    assert ((waves["nroy_fraction"] >= 0) & (waves["nroy_fraction"] <= 1)).all()
    assert {c for c in waves if c.startswith("loo_")} == {"loo_option1_2014", "loo_option2_2014", "loo_option3_2014",
                                                          "loo_aged65_2016"}  # calibration targets only
    bounds = pd.read_csv(tmp_path / "out" / "nroy_bounds.csv")
    assert list(bounds["parameter"]) == ["choice.beta_peer", "demography.over65_share_other_groups"]
    sample = pd.read_csv(tmp_path / "out" / "nroy_sample.csv")
    assert sample["choice.beta_peer"].between(0.5, 3.0).all()
    space = load_space(tmp_path / "out" / "nroy_space.toml")  # a space sensitivity can take: the ranges left
    for p, row in zip(space.parameters, bounds.itertuples(), strict=True):
        assert p.name == row.parameter and row.low <= p.low < p.high <= row.high
        if row.nroy_high > row.nroy_low:
            assert (p.low, p.high) == pytest.approx((row.nroy_low, row.nroy_high))
    studies = sorted((tmp_path / "studies").iterdir())
    assert len(studies) == 2
    results = [pd.read_parquet(s / "results") for s in studies]

    code, _, err = _calibrate(tmp_path, "--resume")
    assert code == 0, err
    assert sorted((tmp_path / "studies").iterdir()) == studies  # the same two studies, found again
    for s, before in zip(studies, results, strict=True):
        pd.testing.assert_frame_equal(pd.read_parquet(s / "results"), before)  # no run repeated
    again = pd.read_csv(tmp_path / "out" / "waves.csv")
    pd.testing.assert_frame_equal(again.drop(columns="seconds"), waves.drop(columns="seconds"))


@pytest.mark.parametrize(("flags", "field"), [
    (["--points", "3"], "--points"), (["--waves", "11"], "--waves"), (["--max-runs", "10"], "--max-runs"),
    (["--screen", "3"], "--screen"), (["--screen", "101"], "--screen"),
    (["--screen", "4", "--replications", "1"], "--replications"),
])
def test_a_bad_calibration_request_is_refused_in_one_line(tmp_path, flags, field):
    (tmp_path / "space.toml").write_text(SPACE)
    assert_refused(["calibrate", "--space", str(tmp_path / "space.toml"), "--executor", "serial", *flags], field)


def test_a_posterior_inside_the_ranges_not_ruled_out(tmp_path):
    """Two of the committed calibration targets, read within three years (so runs are short)."""
    (tmp_path / "space.toml").write_text(SPACE)
    committed = (ROOT / "model" / "data" / "targets.toml").read_text()
    blocks = committed.split("[[target]]")
    keep = [b for b in blocks[1:] if 'id = "option3_2014"' in b or 'id = "aged65_2016"' in b]
    (tmp_path / "targets.toml").write_text(blocks[0] + "".join("[[target]]" + b for b in keep))
    code, out, err = invoke(["calibrate", "--space", str(tmp_path / "space.toml"), "--targets",
                             str(tmp_path / "targets.toml"), "--months", "36", "--waves", "1", "--points", "6",
                             "--replications", "2", "--people", "200", "--executor", "serial", "--quiet",
                             "--store", str(tmp_path / "studies"), "--out", str(tmp_path / "out"),
                             "--posterior", "20", "--generations", "1"])
    assert code == 0, err
    posterior = pd.read_csv(tmp_path / "out" / "posterior.csv")
    bounds = pd.read_csv(tmp_path / "out" / "nroy_bounds.csv").set_index("parameter")
    assert len(posterior) == 20 and posterior["weight"].sum() == pytest.approx(1.0)
    for name in bounds.index:
        assert posterior[name].between(bounds.loc[name, "nroy_low"], bounds.loc[name, "nroy_high"]).all()
    assert "ABC-SMC posterior (20 particles" in out
    assert len(list((tmp_path / "studies").glob("abc-calibration-*.db"))) == 1


def test_the_noise_floor_is_the_mean_absolute_elementary_effect_of_pure_noise():
    """Two means of 3 runs with variance 0.04 each, differenced and divided by Morris's step 2/3 (4
    levels): the mean absolute value of 100,000 such effects is the floor within 1 %."""
    rng = np.random.default_rng(5)
    means = rng.normal(0.0, math.sqrt(0.04 / 3), size=(2, 100_000))
    effects = np.abs(means[0] - means[1]) / (2 / 3)
    assert effects.mean() == pytest.approx(noise_floor(0.04, 3, 4), rel=0.01)
    assert noise_floor(0.04, 3, 4) == pytest.approx(math.sqrt(2 / math.pi) * math.sqrt(0.08 / 3) * 1.5)


def test_a_calibration_never_fits_a_councils_policy_and_holds_published_values():
    space = Space("s", (Parameter("choice.beta_control", 0.8, 2.4),
                        Parameter("councils.*.support.capacity", 0.0, 12.0),
                        Parameter("demography.need_prevalence_ratio", 1.0, 2.8)))
    kept, policy = behavioural(space)
    assert kept.names == ["choice.beta_control", "demography.need_prevalence_ratio"]
    assert policy == ["councils.*.support.capacity"]
    assert not published("choice.beta_control")  # an assumption
    assert not published("choice.asc.0")  # set by hand earlier: refitted
    assert published("demography.need_prevalence_ratio")  # from sco_homecare_simd_2022


def test_a_screening_fits_the_active_assumptions_and_holds_the_active_published_values(tmp_path):
    space = Space("s", (Parameter("choice.beta_control", 0.8, 2.4), Parameter("choice.inertia", 0.4, 1.2),
                        Parameter("demography.need_prevalence_ratio", 1.0, 2.8)))
    names = ["choice.beta_control", "choice.inertia", "demography.need_prevalence_ratio"]
    table = pd.DataFrame({"parameter": names * 2,
                          "target": ["a"] * 3 + ["b"] * 3,
                          "mu_star": [0.10, 0.01, 0.001, 0.02, 0.015, 0.10], "conf": 0.0,
                          "floor": [0.02] * 3 + [0.03] * 3})
    screening = Screening(space, table, tmp_path, 1.0)
    d = screening.decisions().set_index("parameter")
    assert d.loc["choice.beta_control", "decision"] == "fit"  # 5 times the floor on a
    assert d.loc["choice.beta_control", "largest_effect_over_noise"] == pytest.approx(5.0)
    assert d.loc["choice.inertia", "decision"] == "inactive"  # 0.5 of the floor on a, 0.5 on b
    assert d.loc["demography.need_prevalence_ratio", ["decision", "on_target"]].tolist() == ["held", "b"]
    assert screening.fitted_space().names == ["choice.beta_control"]
    weak = Screening(space, table.assign(mu_star=table["floor"] * 2), tmp_path, 1.0).decisions()
    assert (weak["decision"] == "weak").all() and not Screening(space, table.assign(mu_star=table["floor"] * 2),
                                                                 tmp_path, 1.0).fitted_space().parameters


def test_a_calibration_with_a_screening_fits_only_what_the_screening_keeps(tmp_path):
    (tmp_path / "space.toml").write_text('[parameters]\n"choice.asc.1" = { low = -1.5, high = 0.5 }\n'
                                         '"demography.over65_share_other_groups" = { low = 0.2, high = 0.6 }\n'
                                         '"providers.block_bonus" = { low = 1.0, high = 3.0 }\n'
                                         '"councils.*.support.capacity" = { low = 0.0, high = 12.0 }\n')
    code, _, err = invoke(["calibrate", "--space", str(tmp_path / "space.toml"), "--screen", "4", "--waves", "1",
                             "--points", "5", "--replications", "2", "--people", "600", "--executor", "serial",
                             "--quiet", "--store", str(tmp_path / "studies"), "--out", str(tmp_path / "out")])
    assert code == 0, err
    assert "not fitted (a council's policy, set by each scenario): councils.*.support.capacity" in err
    screening = pd.read_csv(tmp_path / "out" / "screening.csv").set_index("parameter")
    assert set(screening.index) == {"choice.asc.1", "demography.over65_share_other_groups", "providers.block_bonus"}
    assert screening.loc["demography.over65_share_other_groups", "decision"] == "fit"  # the age mix of referrals
    # the block bonus only acts where a block contract is left to prefer: nothing at the targets' dates
    assert screening.loc["providers.block_bonus", "decision"] == "inactive"
    fitted = load_space(tmp_path / "out" / "fitted_space.toml")
    assert set(fitted.names) == set(screening.query("decision == 'fit'").index)
    bounds = pd.read_csv(tmp_path / "out" / "nroy_bounds.csv")
    assert list(bounds["parameter"]) == fitted.names
    stages = pd.read_csv(tmp_path / "out" / "stages.csv")
    assert list(stages["stage"]) == ["screening", "wave 1"] and (stages["seconds"] > 0).all()


def test_the_defaults_are_the_committed_posteriors_central_values():
    """Every parameter of the committed posterior has, as its default, the posterior's weighted median
    (3 significant figures), and says so in its source; a parameter the posterior does not hold does
    not claim it."""
    from model import load_scenario
    from model.experiments.posterior import central_values
    from model.run.ensemble import committed_posterior
    from model.scenario import CALIBRATED, parameter_table

    path = committed_posterior()
    assert path is not None and path.name in CALIBRATED
    central = central_values(pd.read_csv(path)).set_index("parameter")["median"]
    defaults = load_scenario("sds_rollout")
    for name, median in central.items():
        section, field, *index = name.split(".")
        value = getattr(getattr(defaults, section), field)
        value = value[int(index[0])] if index else value
        assert value == float(f"{median:.3g}"), name
    claimed = {r["name"] for r in parameter_table() if CALIBRATED in str(r["source"])}
    assert claimed == {n.rsplit(".", 1)[0] if n.split(".")[-1].isdigit() else n for n in central.index}


def test_the_noise_distance_is_the_distance_noise_alone_gives_one_run():
    """Two targets whose replicate variance equals sd^2 + discrepancy_sd^2 (0.3^2 + 0.4^2 = 0.25):
    each adds 1 to the squared distance, so noise alone puts a run sqrt(2) from the data."""
    from model.experiments import history_matching as hm
    from model.experiments.calibrate import Calibration, noise_distance

    observations = [hm.Observation("a", 0.0, 0.3, 0.4), hm.Observation("b", 1.0, 0.3, 0.4)]
    wave = hm.Wave(np.zeros((2, 1)), np.zeros((2, 2)), np.array([[0.2, 0.25], [0.3, 0.25]]), [], 1.0,
                   np.ones(2))
    space = Space("s", (Parameter("choice.beta_control", 0.8, 2.4),))
    assert noise_distance(Calibration(space, observations, [wave], [], [], 3.0, 3)) == pytest.approx(math.sqrt(2))
    wave.variances = None  # one replication: no replicate variance, no floor
    assert noise_distance(Calibration(space, observations, [wave], [], [], 3.0, 1)) == 0.0


def test_a_store_inside_the_output_directory_is_refused_before_any_run(tmp_path):
    """The outputs replace their directory whole, so a store inside it would lose every stored run: refused
    in one line before the first run (once found only when the outputs were written, after the runs)."""
    (tmp_path / "space.toml").write_text(SPACE)
    assert_refused(["calibrate", "--space", str(tmp_path / "space.toml"), "--executor", "serial",
                    "--out", str(tmp_path / "out"), "--store", str(tmp_path / "out" / "store")], "--store")
    assert not (tmp_path / "out").exists()
