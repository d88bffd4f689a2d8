"""The Ishigami test model through the whole study path (sampling → executor → store → analysis)."""

from __future__ import annotations

import pandas as pd
import pytest

from model.experiments import ishigami
from model.experiments.runner import make_executor
from model.experiments.sensitivity import run_study

PUBLISHED = {"S1": (0.314, 0.442, 0.0), "ST": (0.558, 0.442, 0.244)}  # Saltelli et al. 2008, §4.7


def test_analytic_indices_match_the_published_values():
    exact = ishigami.analytic_indices()
    for index, values in PUBLISHED.items():
        assert exact[index] == pytest.approx(values, abs=1e-3)


def assert_recovers_analytic_indices(indices: pd.DataFrame) -> None:
    exact = ishigami.analytic_indices()
    for index in ("S1", "ST"):
        rows = indices[indices["index"] == index].set_index("parameter").loc[["x1", "x2", "x3"]]
        for (name, row), truth in zip(rows.iterrows(), exact[index], strict=True):
            assert abs(row["value"] - truth) <= row["conf"], f"{index} of {name}: {row['value']:.3f} ± " \
                                                              f"{row['conf']:.3f} misses {truth:.3f}"
            assert row["conf"] < 0.1  # the interval is informative, not a free pass


def test_sobol_with_the_local_pool_recovers_the_analytic_indices(tmp_path):
    with make_executor("local", workers=2) as pool:
        study = run_study("ishigami", None, "sobol", 1024, 11, pool, store_root=tmp_path)
    assert study.complete and len(study.results) == 1024 * 5
    assert_recovers_analytic_indices(study.indices)


@pytest.mark.xdist_group("dask")
def test_dask_local_cluster_recovers_the_indices_and_matches_the_serial_run_exactly(tmp_path):
    with make_executor("dask-local", workers=2) as pool:
        on_dask = run_study("ishigami", None, "sobol", 1024, 11, pool, store_root=tmp_path / "dask")
    serial = run_study("ishigami", None, "sobol", 1024, 11, None, store_root=tmp_path / "serial")
    assert_recovers_analytic_indices(on_dask.indices)
    assert on_dask.results["worker"].nunique() == 2  # both Dask workers took part
    pd.testing.assert_frame_equal(on_dask.results[["run_id", "y"]], serial.results[["run_id", "y"]])
    pd.testing.assert_frame_equal(on_dask.indices, serial.indices)


def test_morris_ranks_x1_first_and_finds_x3_acting_through_interaction(tmp_path):
    study = run_study("ishigami", None, "morris", 40, 5, store_root=tmp_path)
    mu_star = study.indices[study.indices["index"] == "mu_star"].set_index("parameter")["value"]
    sigma = study.indices[study.indices["index"] == "sigma"].set_index("parameter")["value"]
    mu = study.indices[study.indices["index"] == "mu"].set_index("parameter")["value"]
    assert mu_star.idxmax() == "x1"
    # x3 matters only through x3^4 sin(x1): its signed effects cancel (mu ~ 0) while |effects| do not
    assert abs(mu["x3"]) < 0.5 * mu_star["x3"] and sigma["x3"] > mu_star["x3"]
