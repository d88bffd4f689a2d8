"""Calibration and validation targets: published figures, each with a calendar window, an
observation variance and a role (``model/data/targets.toml``, docs/explanation/calibration.md).

A target compares a monthly output of the calibration scenario, averaged over the months of its
calendar window, with a published figure. Its **implausibility** (Vernon, Goldstein & Bower 2010;
Andrianakis et al. 2015 for stochastic models) is::

    I = |model mean - observed| / sqrt(sd^2 + discrepancy_sd^2 + replication variance / replications)

and the model reproduces the target when ``I <= cutoff``; the **tolerance** committed with the
target is ``cutoff * sqrt(sd^2 + discrepancy_sd^2)``. Targets with role ``"validate"`` are never
used to fit a parameter.

    python -m model.experiments.targets            # the table of targets (no runs)
    carecon targets [--replications R] [--people N]  # the calibration scenario against every target
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, field_validator, model_validator

from model.experiments.runner import ScenarioTarget
from model.metrics.columns import MONTHLY_COLUMNS
from model.run.simulation import RunResult, simulate_monthly
from model.scenario import Scenario, ScenarioError, Strict, read_toml_file

DATA = resources.files("model") / "data"
MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


#: What each field of a targets file allows, for the one-line message that refuses a bad one.
ALLOWED = {"id": "1-60 lower-case letters, digits and _", "figure": "an id of model/data/reference_figures.csv",
           "output": "a monthly output column", "window": "two months YYYY-MM, the first not after the last",
           "observed": "a finite number", "sd": "a finite number above 0",
           "discrepancy_sd": "a finite number, 0 or more",
           "role": "calibrate or validate", "scenario": "a scenario name or file", "cutoff": "above 0, at most 10",
           "target": "1 to 500 [[target]] tables"}


class Target(Strict):
    """One published figure compared with one monthly output over a calendar window."""

    id: str = Field(pattern=r"^[a-z0-9_]{1,60}$")
    figure: str = Field(min_length=1, max_length=80, description="row id in model/data/reference_figures.csv")
    output: str = Field(description="a column of monthly.parquet")
    window: list[str] = Field(min_length=2, max_length=2, description="first and last calendar month, YYYY-MM, "
                                                                        "inclusive")
    observed: float = Field(allow_inf_nan=False)
    sd: float = Field(gt=0, allow_inf_nan=False)
    discrepancy_sd: float = Field(ge=0, allow_inf_nan=False)
    role: Literal["calibrate", "validate"]
    note: str = ""

    @field_validator("output")
    @classmethod
    def _known_output(cls, value: str) -> str:
        if value not in MONTHLY_COLUMNS:
            raise ValueError(f"output {value!r} is not a monthly output (see docs/reference/outputs.md)")
        return value

    @field_validator("window")
    @classmethod
    def _months(cls, value: list[str]) -> list[str]:
        if not all(re.match(MONTH, m) for m in value) or value[1] < value[0]:
            raise ValueError(f"window {list(value)} must be two months YYYY-MM, the first not after the last")
        return value

    def tolerance(self, cutoff: float) -> float:
        """How far from the observed figure the model may be and still reproduce it (replication noise aside)."""
        return cutoff * math.hypot(self.sd, self.discrepancy_sd)


class Targets(Strict):
    """The committed targets: the scenario they are read from, the implausibility cutoff, the targets."""

    scenario: str = Field(min_length=1, max_length=200)
    cutoff: float = Field(gt=0, le=10, allow_inf_nan=False)
    target: list[Target] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _unique(self) -> Targets:
        ids = [t.id for t in self.target]
        if len(set(ids)) != len(ids):
            raise ValueError(f"target ids must be unique; repeated: {sorted({i for i in ids if ids.count(i) > 1})}")
        return self

    def table(self) -> pd.DataFrame:
        """One row per target: what it compares, the observed figure and its tolerance."""
        return pd.DataFrame([{"target": t.id, "role": t.role, "output": t.output, "window": f"{t.window[0]} to "
                              f"{t.window[1]}", "observed": t.observed, "sd": t.sd,
                              "discrepancy_sd": t.discrepancy_sd, "tolerance": t.tolerance(self.cutoff),
                              "figure": t.figure} for t in self.target])


def reference_ids() -> set[str]:
    """The ids of the published figures in ``model/data/reference_figures.csv``."""
    with (DATA / "reference_figures.csv").open(newline="", encoding="utf-8") as f:
        return {row["id"] for row in csv.DictReader(f)}


def load_targets(path: str | Path | None = None) -> Targets:
    """The targets of ``path`` (default: the committed ``model/data/targets.toml``); a file that cannot be
    used is a one-line :class:`ScenarioError` naming the field."""
    file = DATA / "targets.toml" if path is None else Path(path)
    origin = str(path) if path is not None else "model/data/targets.toml"
    data = read_toml_file(file, origin)
    try:
        targets = Targets.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "target"
        allowed = ALLOWED.get(str(first["loc"][-1]) if first["loc"] else "target", "see model/data/targets.toml")
        msg = first["msg"].removeprefix("Value error, ")
        raise ScenarioError(f"{origin}: {where}: {msg[0].lower()}{msg[1:]} (allowed: {allowed})") from None
    known = reference_ids()
    for t in targets.target:
        if t.figure not in known:
            raise ScenarioError(f"{origin}: target {t.id}: figure {t.figure!r} is not in "
                                "model/data/reference_figures.csv")
    return targets


def check_windows(targets: Targets, scenario: Scenario) -> None:
    """Every target's window lies within the scenario's run (a one-line ScenarioError if not)."""
    first = _month_number(scenario.run.start)
    last = first + scenario.run.months - 1
    for t in targets.target:
        lo, hi = (_month_number(m) for m in t.window)
        if lo < first or hi > last:
            raise ScenarioError(f"target {t.id}: window {t.window[0]} to {t.window[1]} is outside the run of "
                                f"{scenario.name} ({_month_text(first)} to {_month_text(last)})")


def _month_number(text: str) -> int:
    year, month = (int(x) for x in text.split("-"))
    return year * 12 + month - 1


def _month_text(number: int) -> str:
    return f"{number // 12}-{number % 12 + 1:02d}"


def window_means(monthly: pd.DataFrame, target: Target) -> pd.Series:
    """The target's output averaged over the months of its window, one value per replication (NaN
    months, a figure with nobody behind it, are left out; NaN if every month is)."""
    month = pd.to_datetime(monthly["date"])
    number = month.dt.year * 12 + month.dt.month - 1
    lo, hi = (_month_number(m) for m in target.window)
    inside = monthly[(number >= lo) & (number <= hi)]
    return inside.groupby("replication")[target.output].mean()


def fit(result: RunResult, targets: Targets, predictive: bool = False) -> pd.DataFrame:
    """Each target against the replications of a run: the model's mean and 5-95 % range over
    replications, the implausibility and whether the model reproduces the target. The
    implausibility counts the variance of the replications' mean (the model at fixed parameters);
    with ``predictive`` (replications with parameters drawn from a posterior) the replications'
    whole variance, so that it asks whether the observation lies within what the model predicts;
    then a target is reproduced only if, besides, the predictive 5-95 % range reaches the observation
    within its tolerance (a wide, vague posterior does not reproduce a target it places elsewhere)."""
    rows = []
    for t in targets.target:
        values = window_means(result.monthly, t).dropna()
        n = len(values)
        mean = float(values.mean()) if n else math.nan
        var = float(values.var(ddof=1)) / (1 if predictive else n) if n > 1 else 0.0
        implausibility = abs(mean - t.observed) / math.sqrt(t.sd ** 2 + t.discrepancy_sd ** 2 + var)
        tolerance = t.tolerance(targets.cutoff)
        p05 = float(np.quantile(values, 0.05)) if n else math.nan
        p95 = float(np.quantile(values, 0.95)) if n else math.nan
        reached = not predictive or (p05 <= t.observed + tolerance and p95 >= t.observed - tolerance)
        rows.append({"target": t.id, "role": t.role, "output": t.output, "window": f"{t.window[0]} to {t.window[1]}",
                     "observed": t.observed, "tolerance": tolerance, "model": mean, "p05": p05, "p95": p95,
                     "replications": n, "implausibility": implausibility,
                     "reproduced": bool(implausibility <= targets.cutoff and reached) if n else False})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class CalibrationTarget(ScenarioTarget):
    """The calibration scenario as an experiment target (for a sweep, a Morris screening or a
    history-matching wave): a design point's outputs are each target's window mean, averaged over
    the point's replications (output ``id``), and the variance of that mean across them
    (``id_var``, NaN with one replication). Studies analyse the calibration targets' means."""

    targets: Targets | None = None

    def __post_init__(self) -> None:
        if self.targets is None:
            raise ValueError("a CalibrationTarget needs its targets")
        ids = tuple(t.id for t in self.targets.target)
        object.__setattr__(self, "outputs", (*ids, *(f"{i}_var" for i in ids)))

    @property
    def analysed(self) -> tuple[str, ...]:
        """The outputs a study analyses by default: the calibration targets (never the validation ones)."""
        return tuple(t.id for t in self.targets.target if t.role == "calibrate")

    def evaluate(self, params: dict[str, Any], seeds: list) -> dict[str, float]:
        scenario = self.check(params)
        means = [[window_means(monthly, t).iloc[0] for t in self.targets.target]
                 for monthly in (simulate_monthly(scenario, ss, self.engine) for ss in seeds)]
        values = np.array(means, dtype=float)
        out = {t.id: float(values[:, j].mean()) for j, t in enumerate(self.targets.target)}
        out.update({f"{t.id}_var": float(values[:, j].var(ddof=1)) if len(seeds) > 1 else math.nan
                    for j, t in enumerate(self.targets.target)})
        return out

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "kind": "targets", "targets": self.targets.model_dump()}


if __name__ == "__main__":
    print(load_targets().table().to_string(index=False))
