"""The Ishigami function: a built-in test model with known sensitivity indices.

    y = sin(x1) + a sin²(x2) + b x3⁴ sin(x1),   x1, x2, x3 ~ U(-π, π),   a = 7, b = 0.1

(Ishigami & Homma 1990, "An importance quantification technique in uncertainty analysis for
computer models", ISUMA '90; the analytic variance decomposition is in Sobol' & Levitan 1999 and
Saltelli et al. 2008, *Global Sensitivity Analysis: The Primer*, §4.7). It is the standard check of
a Sobol' estimator: the first-order indices are S1 ≈ (0.314, 0.442, 0) and the total-order indices
ST ≈ (0.558, 0.442, 0.244); x3 acts only through its interaction with x1.

:class:`Ishigami` is a *target* like :class:`model.experiments.runner.ScenarioTarget`: the experiment
layer evaluates it through exactly the same sampling → executor → store → analysis path as the
care-economy model, so a study of ``ishigami`` tests that whole path against the analytic answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

#: The name that selects this model in place of a scenario (``carecon sensitivity ishigami``).
NAME = "ishigami"

#: Parameter table in the shape of :func:`model.scenario.parameter_table` (used to validate spaces).
PARAMETERS = [{"name": f"x{i}", "default": 0.0, "range": [-math.pi, math.pi], "unit": "-",
               "source": "Ishigami & Homma 1990", "doc": f"Input x{i} of the Ishigami function."} for i in (1, 2, 3)]

#: The default parameter space: each input uniform on [-π, π].
SPACE_TOML = f"""\
name = "ishigami"
model = "ishigami"
description = "The Ishigami test function, every input uniform on [-pi, pi]."

[parameters]
x1 = {{ low = {-math.pi!r}, high = {math.pi!r} }}
x2 = {{ low = {-math.pi!r}, high = {math.pi!r} }}
x3 = {{ low = {-math.pi!r}, high = {math.pi!r} }}
"""


def analytic_indices(a: float = 7.0, b: float = 0.1) -> dict[str, tuple[float, float, float]]:
    """The exact first-order (S1) and total-order (ST) indices of x1, x2, x3."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return {"S1": (v1 / total, v2 / total, 0.0), "ST": ((v1 + v13) / total, v2 / total, v13 / total)}


@dataclass(frozen=True)
class Ishigami:
    """The Ishigami function as an experiment target (deterministic: seeds are accepted and ignored)."""

    a: float = 7.0
    b: float = 0.1
    name: str = NAME
    outputs: tuple[str, ...] = ("y",)

    def evaluate(self, params: dict[str, float], seeds: list[np.random.SeedSequence]) -> dict[str, float]:
        x1, x2, x3 = params["x1"], params["x2"], params["x3"]
        return {"y": math.sin(x1) + self.a * math.sin(x2) ** 2 + self.b * x3**4 * math.sin(x1)}

    def describe(self) -> dict[str, Any]:
        return {"kind": NAME, "name": self.name, "a": self.a, "b": self.b}
