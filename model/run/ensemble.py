"""Runs that carry parameter uncertainty: replications whose parameters are drawn from a posterior
(``posterior.csv`` of ``carecon calibrate --posterior``: a column per parameter and a ``weight``).

Replications come in pairs that share one parameter set (drawn with the weights) and differ in
their random numbers. Across all of them the 5-95 % band combines parameter and run-to-run
uncertainty; within a pair the variance is run-to-run noise only, so the law of total variance
splits each figure's variance into the two (:func:`uncertainty_shares`).

A posterior is fitted on the ``calibration`` scenario. Where a scenario sets a fitted parameter to a
value of its own (a policy, such as ``targeted_support``'s support capacity, or one council's
difference from another), its change is kept as a proportion of the calibrated value: the drawn value
times the scenario's value over the calibration scenario's (:func:`scenario_settings`). A draw never
replaces a scenario's policy with the calibrated council's value.
"""

from __future__ import annotations

import functools
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.scenario import Scenario, ScenarioError, load_scenario

#: A posterior file larger than this is refused before it is read.
MAX_ENSEMBLE_BYTES = 20_000_000
#: Replications that share one parameter set.
PER_DRAW = 2


def committed_posterior() -> Path | None:
    """The latest posterior committed with the package (``model/data/calibration/posterior-*.csv``)."""
    return max((Path(__file__).resolve().parents[1] / "data" / "calibration").glob("posterior-*.csv"), default=None)


def expand_councils(overrides: dict[str, Any], councils: int) -> dict[str, Any]:
    """``councils.*.x`` means ``councils.i.x`` for every council ``i`` (as in a parameter space)."""
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        if key.startswith("councils.*."):
            out.update({key.replace("*", str(i), 1): value for i in range(councils)})
        else:
            out[key] = value
    return out


#: The name that stands for the committed posterior (:func:`committed_posterior`) wherever a posterior is given.
CALIBRATED_ENSEMBLE = "calibrated"


def read_ensemble(path: str | Path, scenario: Scenario) -> pd.DataFrame:
    """A posterior table checked against ``scenario``: a ``weight`` column (finite, at least 0, not all 0)
    and one column per parameter, each row a valid set of overrides; any fault is a one-line
    ScenarioError naming the file and what is allowed. ``calibrated`` is the committed posterior."""
    where: dict[str, Any] = {"argument": "ensemble", "item": str(path)}
    committed = committed_posterior() if str(path) == CALIBRATED_ENSEMBLE else None
    file = committed if committed is not None else Path(path)
    try:
        size = file.stat().st_size
    except OSError as err:
        raise ScenarioError(f"cannot be read ({err.strerror or err}); must be a posterior.csv of carecon calibrate "
                            f"or '{CALIBRATED_ENSEMBLE}'", **where) from None
    if size > MAX_ENSEMBLE_BYTES:
        raise ScenarioError(f"{size:,} bytes is too large (at most {MAX_ENSEMBLE_BYTES:,})", **where)
    try:
        table = pd.read_csv(file)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ScenarioError(f"not a CSV table of parameters and weights ({first})", **where) from None
    if "weight" not in table or len(table.columns) < 2 or table.empty:
        raise ScenarioError("must have a weight column and at least one parameter column, and a row", **where)
    numeric = table.apply(pd.to_numeric, errors="coerce")
    if not np.isfinite(numeric.to_numpy(dtype=float)).all():
        raise ScenarioError("every value must be a finite number", **where)
    w = numeric["weight"].to_numpy()
    if (w < 0).any() or w.sum() <= 0:
        raise ScenarioError("weights must be at least 0 and not all 0", **where)
    params = numeric.drop(columns="weight")
    # The first row and those with each parameter's extremes (the rows a run draws are all checked
    # again, before its first replication, by ``with_draw``).
    rows = {0, *params.to_numpy().argmin(axis=0).tolist(), *params.to_numpy().argmax(axis=0).tolist()}
    for i in sorted(rows):
        try:
            with_draw(scenario, params.iloc[i].to_dict())
        except ScenarioError as err:
            raise ScenarioError(f"row {i} is not a valid set of parameters: {err}", **where) from None
    return numeric


def with_draw(scenario: Scenario, draw: dict[str, float]) -> Scenario:
    """``scenario`` with one parameter set (whole numbers where the schema wants integers); a parameter
    the scenario sets to a value of its own keeps that change as a proportion (module docstring)."""
    current = scenario.model_dump()
    own = scenario_settings(scenario, draw)
    overrides = {}
    for key, value in expand_councils(draw, len(scenario.councils)).items():
        was = _value_at(current, key)
        if key in own:
            mine, calibrated = own[key]
            value = value * mine / calibrated if calibrated else mine
        overrides[key] = round(value) if isinstance(was, int) and not isinstance(was, bool) else float(value)
    return scenario.with_overrides(overrides)


@functools.cache
def _calibrated() -> dict[str, Any]:
    return load_scenario("calibration").model_dump()


def say_settings(scenarios: list[Scenario], draw: dict[str, float]) -> None:
    """Tell (on stderr) which fitted parameters each scenario sets itself, kept as proportions."""
    for s in scenarios:
        for key, (mine, cal) in scenario_settings(s, draw).items():
            print(f"note: {s.name} sets {key} = {mine:g} (calibration scenario: {cal:g}); each drawn value is "
                  f"scaled by {mine:g}/{cal:g}" if cal else f"note: {s.name} sets {key} = {mine:g}; kept",
                  file=sys.stderr)


def scenario_settings(scenario: Scenario, draw: dict[str, float]) -> dict[str, tuple[float, float]]:
    """The fitted parameters (keys of ``draw``, ``councils.*`` expanded) that ``scenario`` sets to a
    value other than the calibration scenario's (council ``i`` against its council 0): key to
    (scenario's value, calibrated value)."""
    current, calibrated = scenario.model_dump(), _calibrated()
    own = {}
    for key in expand_councils(dict.fromkeys(draw, 0.0), len(scenario.councils)):
        base = key if not key.startswith("councils.") else "councils.0." + key.split(".", 2)[2]
        mine, cal = _value_at(current, key), _value_at(calibrated, base)
        if isinstance(mine, int | float) and isinstance(cal, int | float) and mine != cal:
            own[key] = (float(mine), float(cal))
    return own


def _value_at(data: object, key: str) -> object:
    node = data
    for part in key.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def draws(table: pd.DataFrame, replications: int, seed: int) -> list[dict[str, float]]:
    """One parameter set per replication: ``replications // PER_DRAW`` sets drawn with the weights
    (with replacement, reproducibly from ``seed``), each used by ``PER_DRAW`` replications in turn."""
    if replications < 2 * PER_DRAW or replications % PER_DRAW:
        raise ScenarioError(f"must be an even number of at least {2 * PER_DRAW} with an ensemble (pairs "
                            f"share a parameter set; got {replications})", "replications")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    w = table["weight"].to_numpy(dtype=float)
    rows = rng.choice(len(table), size=replications // PER_DRAW, replace=True, p=w / w.sum())
    params = table.drop(columns="weight")
    return [params.iloc[rows[r // PER_DRAW]].to_dict() for r in range(replications)]


def uncertainty_shares(per_replication: pd.DataFrame) -> pd.DataFrame:
    """Per figure (columns of ``per_replication``, rows the replications in draw pairs): the total
    variance and the share of it due to the parameters, from the law of total variance
    (within-pair variance: run-to-run noise; variance of pair means less noise / 2: parameters).
    NaN where a figure is undefined in some replication or has no variance."""
    rows = []
    pairs = np.arange(len(per_replication)) // PER_DRAW
    for figure in per_replication:
        values = per_replication[figure].to_numpy(dtype=float)
        if not np.isfinite(values).all():
            rows.append({"figure": figure, "variance": math.nan, "parameter_share": math.nan})
            continue
        groups = pd.Series(values).groupby(pairs)
        noise = float(groups.var(ddof=1).mean())
        parameters = max(float(groups.mean().var(ddof=1)) - noise / PER_DRAW, 0.0)
        total = parameters + noise
        rows.append({"figure": figure, "variance": total,
                     "parameter_share": parameters / total if total > 0 else math.nan})
    return pd.DataFrame(rows)
