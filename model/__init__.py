"""carecon: an agent-based simulator of personalised care economies under self-directed support.

Importing ``model`` is cheap; heavy modules load when first used::

    from model import load_scenario, simulate
    result = simulate(load_scenario("sds_rollout"), seed=1)
    result.monthly.tail()
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Scenario": "model.scenario", "ScenarioError": "model.scenario", "load_scenario": "model.scenario",
    "loads_scenario": "model.scenario", "list_scenarios": "model.scenario",
    "CareEconomy": "model.engines",
    "simulate": "model.run.simulation", "simulate_replications": "model.run.simulation",
    "RunResult": "model.run.simulation",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")
