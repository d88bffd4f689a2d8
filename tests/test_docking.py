"""Docking: the vectorised engine and the per-agent reference produce the same distributions.

Reduced sizes for CI (150 people, 36 months, 8 seeds per engine, every scenario); the full
report (30 seeds, 120 months) is ``make docking``. Seeds are fixed, so the test is deterministic.
CI uses a family-wise alpha of 0.01 (Holm) per scenario, stricter about false alarms than the
full report's 0.05 over all scenarios.
"""

import numpy as np
import pandas as pd
import pytest

from model.experiments import docking
from model.scenario import list_scenarios


@pytest.mark.parametrize("scenario", list_scenarios())
def test_engines_dock(scenario):
    runs, table = docking.dock([scenario], seeds=8, people=150, months=36, workers=1, progress=False, alpha=0.01)
    assert set(runs.engine) == {"vector", "agents"}
    assert len(runs) == 2 * 8 * 2  # both engines, 8 seeds, months 12 and 36
    bad = table[~table.docks]
    assert bad.empty, f"outputs that do not dock:\n{bad.to_string()}"


def test_docking_detects_a_real_difference():
    """The test has power: shifting one engine's outputs by two standard deviations is caught."""
    rng = np.random.default_rng(1)
    rows = []
    for engine, shift in (("vector", 0.0), ("agents", 2.0)):
        for seed in range(30):
            row = {"scenario": "x", "engine": engine, "seed": seed, "month": 12}
            row.update({out: rng.normal(shift if out == "equity_gap" else 0.0, 1.0) for out in docking.OUTPUTS})
            rows.append(row)
    table = docking.compare(pd.DataFrame(rows))
    assert not table.set_index("output").loc["equity_gap", "docks"]
    assert table.drop(table.index[table.output == "equity_gap"]).docks.all()


def test_holm_adjustment():
    adj = docking.holm(np.array([0.01, 0.04, 0.03, 0.5]))
    np.testing.assert_allclose(adj, [0.04, 0.09, 0.09, 0.5])
