"""Parameter spaces, study designs and global sensitivity analysis (SALib).

A **parameter space** is a TOML file naming the uncertain parameters of a scenario, their bounds
and distributions (the EMA workbench's "uncertainties")::

    name = "default"
    description = "Influential parameters of sds_rollout"
    [parameters]
    "choice.beta_burden" = { low = 1.5, high = 4.5 }
    "councils.*.support.capacity" = { low = 0, high = 12, distribution = "triangular", mode = 4 }
    "carers.breakdown_probability" = { low = 0.005, high = 0.05, distribution = "truncnorm", mean = 0.02, sd = 0.01 }

It is validated like a scenario: an unknown parameter, empty or inverted bounds, or bounds outside
the parameter's documented range (``docs/reference/parameters.md``) is a :class:`~model.scenario.ScenarioError`
with a one-line message. ``councils.*.x`` moves ``x`` of every council together; integer parameters
are rounded after sampling.

**Methods** (a *study*, run by :func:`run_study` through :mod:`model.experiments.runner` and stored by
:mod:`model.experiments.store`):

* ``morris``: elementary-effects screening, N trajectories of d + 1 runs (Morris 1991,
  *Technometrics* 33:161; µ* of Campolongo, Cariboni & Saltelli 2007, *Env. Modelling & Software*
  22:1509): µ* ranks influence, σ flags non-linearity or interaction; µ* has a bootstrap CI.
* ``sobol``: variance-based first-order S1 and total-order ST indices (and S2 on request), from
  Saltelli's scheme of N (d + 2) runs, or N (2d + 2) with S2 (Saltelli 2002, *Comput. Phys.
  Commun.* 145:280; estimators of Saltelli et al. 2010, *Comput. Phys. Commun.* 181:259), with
  bootstrap confidence intervals. N must be a power of two (Sobol' sequence balance).
* ``grid`` (N levels per parameter) and ``lhs`` (N Latin-hypercube points; McKay, Beckman &
  Conover 1979): sweeps, stored the same way, with no indices.

**Seeds**: everything derives from one root seed through :class:`numpy.random.SeedSequence` with
fixed spawn keys: ``(0,)`` the sampling seed, ``(1,)`` the bootstrap seed (SALib is always given a
non-zero integer: its ``seed=0`` means "unseeded"), and ``(2, r)`` the seed of replication ``r``
at every design point (common random numbers: the indices then measure the parameters' effect, not
the model's noise; ``seed_policy="independent"`` uses ``(2, run_id, r)`` instead).
"""

from __future__ import annotations

import concurrent.futures as cf
import difflib
import hashlib
import itertools
import re
import threading
import time
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from SALib.util import scale_samples
from scipy.stats import qmc

from model.experiments import MAX_RUNS, ishigami, store
from model.experiments.runner import (
    ProgressFn,
    ScenarioTarget,
    StudyCancelledError,
    map_chunks,
    run_chunk,
    workers_of,
)
from model.metrics import labels
from model.run.estimate import estimate
from model.scenario import Run, Scenario, ScenarioError, parameter_table, read_toml_file, read_toml_text

METHODS = ("morris", "sobol", "grid", "lhs", "design")
DISTRIBUTIONS = {"uniform": "unif", "triangular": "triang", "truncnorm": "truncnorm"}
#: Outputs analysed by default (the issue's equity, provider viability and cost figures).
ANALYSED = ("equity_gap", "dc_open", "dc_closures", "provider_exits", "cost_per_person")
#: Parameters that are not uncertainties of the modelled world.
NOT_PARAMETERS = ("run.seed", "run.replications")
_KEYS = {"low", "high", "distribution", "mode", "mean", "sd"}
_COUNCIL = re.compile(r"^councils\.(\*|\d+)\.(.+)$")


@dataclass(frozen=True)
class Parameter:
    """One uncertain parameter: bounds, distribution (uniform, triangular or truncated normal)."""

    name: str
    low: float
    high: float
    distribution: str = "uniform"
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None
    integer: bool = False

    def salib_bounds(self) -> list[float]:
        if self.distribution == "triangular":
            return [self.low, self.high, (self.mode - self.low) / (self.high - self.low)]
        if self.distribution == "truncnorm":
            return [self.low, self.high, self.mean, self.sd]
        return [self.low, self.high]


@dataclass(frozen=True)
class Space:
    """A validated parameter space for the care-economy model (``model="scenario"``) or the Ishigami test."""

    name: str
    parameters: tuple[Parameter, ...]
    description: str = ""
    model: str = "scenario"

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def problem(self) -> dict[str, Any]:
        """The SALib problem dictionary."""
        return {"num_vars": len(self.parameters), "names": self.names,
                "bounds": [p.salib_bounds() for p in self.parameters],
                "dists": [DISTRIBUTIONS[p.distribution] for p in self.parameters]}

    def scale(self, unit: np.ndarray) -> np.ndarray:
        """Map points of the unit cube to parameter values (quantiles of each distribution; integers rounded)."""
        x = scale_samples(np.array(unit, dtype=float), self.problem())
        return self.round(x)

    def round(self, x: np.ndarray) -> np.ndarray:
        for j, p in enumerate(self.parameters):
            if p.integer:
                x[:, j] = np.rint(x[:, j])
        return x

    def point(self, row: np.ndarray) -> dict[str, Any]:
        """A design row as parameter values (ints for integer parameters)."""
        return {p.name: int(v) if p.integer else float(v) for p, v in zip(self.parameters, row, strict=True)}

    def to_dict(self) -> dict[str, Any]:
        params = {p.name: {k: v for k, v in (("low", p.low), ("high", p.high), ("distribution", p.distribution),
                                               ("mode", p.mode), ("mean", p.mean), ("sd", p.sd)) if v is not None}
                  for p in self.parameters}
        return {"name": self.name, "description": self.description, "model": self.model, "parameters": params}

    def to_toml(self) -> str:
        """The space as a parameter-space file (``--space``)."""
        import tomli_w

        return tomli_w.dumps({k: v for k, v in self.to_dict().items() if k != "model" or v != "scenario"})

    def check_scenario(self, scenario: Scenario) -> None:
        """Council indices must exist in ``scenario``."""
        for name in self.names:
            m = _COUNCIL.match(name)
            if m and m.group(1) != "*" and int(m.group(1)) >= len(scenario.councils):
                raise ScenarioError(f"parameter space '{self.name}': parameters.{name}: scenario '{scenario.name}' "
                                    f"has councils 0 to {len(scenario.councils) - 1}")


# ---------------------------------------------------------------------------------------- loading
@cache
def _known_parameters(model: str) -> dict[str, dict[str, Any]]:
    """The parameters a space may name, by name (read-only: built once per model)."""
    if model == ishigami.NAME:
        rows = ishigami.PARAMETERS
    else:
        rows = []
        for r in parameter_table():
            if r["name"] in NOT_PARAMETERS or r["range"][0] is None:
                continue
            if isinstance(r["default"], int | float) and not isinstance(r["default"], bool):
                rows.append(r)
            elif isinstance(r["default"], list) and r.get("element") in ("float", "int"):
                # each element of a list of numbers is a parameter: choice.asc.3 (Option 4's constant)
                rows += [{**r, "name": f"{r['name']}.{i}", "default": v} for i, v in enumerate(r["default"])]
    return {r["name"]: r for r in rows}


def parameter_source(name: str) -> str:
    """The documented source of a space's parameter (``choice.asc.3``, ``councils.*.support.capacity``):
    a published figure's id, ``derived: ...``, ``calibrated ...`` or ``assumption ...``."""
    m = _COUNCIL.match(name)
    return str(_known_parameters("scenario")[f"councils.N.{m.group(2)}" if m else name]["source"])


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise ScenarioError(f"{where}: must be a finite number (got {value!r})")
    return float(value)


def _parameter(name: str, spec: Any, known: dict[str, dict[str, Any]], origin: str) -> Parameter:
    where = f"{origin}: parameters.{name}"
    m = _COUNCIL.match(name)
    row = known.get(f"councils.N.{m.group(2)}" if m else name)
    if row is None:
        close = difflib.get_close_matches(name, list(known), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else " (see docs/reference/parameters.md)"
        raise ScenarioError(f"{where}: unknown parameter{hint}")
    if not isinstance(spec, dict):
        raise ScenarioError(f"{where}: expected a table like {{ low = 0.1, high = 0.5 }}")
    extra = set(spec) - _KEYS
    if extra:
        raise ScenarioError(f"{where}: unknown key '{sorted(extra)[0]}' (allowed keys: {', '.join(sorted(_KEYS))})")
    if "low" not in spec or "high" not in spec:
        raise ScenarioError(f"{where}: needs both low and high")
    low, high = _number(spec["low"], f"{where}.low"), _number(spec["high"], f"{where}.high")
    lo, hi = row["range"]
    unit = "" if row["unit"] in ("-", "") else f" {row['unit']}"
    allowed = f"documented range {lo:g} to {hi:g}{unit}" if hi is not None else f"documented range ≥ {lo:g}{unit}"
    if low > high:
        raise ScenarioError(f"{where}: bounds are inverted (low = {low:g} > high = {high:g})")
    if low == high:
        raise ScenarioError(f"{where}: bounds are empty (low = high = {low:g}); remove the parameter to fix it")
    if low < lo or (hi is not None and high > hi):
        raise ScenarioError(f"{where}: bounds [{low:g}, {high:g}] leave the {allowed}")
    integer = isinstance(row["default"], int)
    if integer and np.floor(high) - np.ceil(low) < 1:
        raise ScenarioError(f"{where}: an integer parameter needs at least two whole numbers in [low, high]")
    dist = spec.get("distribution", "uniform")
    if dist not in DISTRIBUTIONS:
        raise ScenarioError(f"{where}.distribution: must be one of {', '.join(DISTRIBUTIONS)} (got {dist!r})")
    needs = {"uniform": set(), "triangular": {"mode"}, "truncnorm": {"mean", "sd"}}[dist]
    given = set(spec) & {"mode", "mean", "sd"}
    if given != needs:
        raise ScenarioError(f"{where}: a {dist} distribution takes "
                            f"{', '.join(sorted(needs)) or 'only low and high'} (got {', '.join(sorted(given))})")
    values = {k: _number(spec[k], f"{where}.{k}") for k in given}
    if "mode" in values and not low <= values["mode"] < high:
        raise ScenarioError(f"{where}.mode: must lie in [low, high) = [{low:g}, {high:g})")
    if "mean" in values and not low <= values["mean"] <= high:
        raise ScenarioError(f"{where}.mean: must lie in [low, high] = [{low:g}, {high:g}]")
    if "sd" in values and values["sd"] <= 0:
        raise ScenarioError(f"{where}.sd: must be positive")
    if dist == "triangular" and high <= 0:
        raise ScenarioError(f"{where}: a triangular distribution needs high > 0 (SALib)")
    return Parameter(name, low, high, dist, integer=integer, **values)


def parse_space(data: dict[str, Any], origin: str = "parameter space", default_name: str = "space") -> Space:
    """Validate a parameter-space dictionary (as read from TOML)."""
    extra = set(data) - {"name", "description", "model", "parameters"}
    if extra:
        raise ScenarioError(f"{origin}: unknown key '{sorted(extra)[0]}' "
                            "(allowed keys: name, description, model, parameters)")
    model = data.get("model", "scenario")
    if model not in ("scenario", ishigami.NAME):
        raise ScenarioError(f"{origin}: model: must be 'scenario' or '{ishigami.NAME}' (got {model!r})")
    params = data.get("parameters")
    if not isinstance(params, dict) or not params:
        raise ScenarioError(f"{origin}: parameters: name at least one parameter, e.g. "
                            "[parameters] \"choice.beta_burden\" = { low = 1, high = 5 }")
    known = _known_parameters(model)
    parsed = tuple(_parameter(str(name), spec, known, origin) for name, spec in params.items())
    every_council = {_COUNCIL.match(p.name).group(2) for p in parsed if p.name.startswith("councils.*.")}
    for p in parsed:
        m = _COUNCIL.match(p.name)
        if m and m.group(1) != "*" and m.group(2) in every_council:
            raise ScenarioError(f"{origin}: parameters.{p.name}: overlaps councils.*.{m.group(2)}; "
                                "name each council or all of them")
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name:
        raise ScenarioError(f"{origin}: name: must be a non-empty string")
    return Space(name, parsed, str(data.get("description", "")), model)


def loads_space(text: str, origin: str = "parameter space") -> Space:
    """Validate parameter-space TOML text."""
    return parse_space(read_toml_text(text, origin), origin)


def load_space(path: str | Path) -> Space:
    """Load and validate a parameter-space TOML file (``spaces/default.toml``)."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(f"file '{p}' not found (must be a parameter-space TOML file, e.g. "
                            "spaces/default.toml)", "space")
    origin = f"parameter space '{p.name}'"
    return parse_space(read_toml_file(p, origin), origin, default_name=p.stem)


# ---------------------------------------------------------------------------------------- designs
def derived_seed(root: int, purpose: int) -> int:
    """A non-zero 31-bit integer seed from ``SeedSequence(root, spawn_key=(purpose,))`` (0 sampling, 1 bootstrap)."""
    value = int(np.random.SeedSequence(root, spawn_key=(purpose,)).generate_state(1)[0] & 0x7FFFFFFF)
    return value or 1


def check_design(method: str, n: int, d: int, levels: int = 4) -> None:
    """Validate a design request (method, its size ``n`` for ``d`` parameters, Morris levels)."""
    if method not in METHODS:
        raise ScenarioError(f"must be one of {', '.join(METHODS)} (got {method!r})", "method")
    if method == "sobol":
        if not (2 <= n <= 2**20 and n & (n - 1) == 0):
            raise ScenarioError(f"Sobol needs a power of two from 2 to 1048576 (got {n})", "n")
    elif method == "grid":
        if not 2 <= n <= 100 or n**d > 1_000_000:
            raise ScenarioError(f"a grid takes 2 to 100 levels per parameter and at most 1,000,000 points "
                                f"(got {n} levels, {d} parameters)", "n")
    elif not 1 <= n <= 1_000_000 or (method == "morris" and n < 2):
        raise ScenarioError(f"{method} needs {2 if method == 'morris' else 1} to 1000000 (got {n})", "n")
    if method == "morris" and (not 2 <= levels <= 100 or levels % 2):
        raise ScenarioError(f"Morris needs an even number of levels from 2 to 100 (got {levels})", "levels")


def design_size(method: str, n: int, d: int, second_order: bool = False, levels: int = 4) -> int:
    """Number of runs a design has (validated as by :func:`check_design`), without building it:
    Morris n (d + 1), Sobol (Saltelli) n (d + 2) or n (2 d + 2) with second order, grid n^d, LHS n."""
    check_design(method, n, d, levels)
    if method == "morris":
        return n * (d + 1)
    if method == "sobol":
        return n * (2 * d + 2 if second_order else d + 2)
    return n**d if method == "grid" else n


def sample(space: Space, method: str, n: int, seed: int, second_order: bool = False, levels: int = 4) -> np.ndarray:
    """The design matrix (runs × parameters) of a study, reproducible from ``seed``."""
    check_design(method, n, len(space.parameters), levels)
    problem, s = space.problem(), derived_seed(seed, 0)
    if method == "morris":
        return space.round(morris_sample.sample(problem, n, num_levels=levels, seed=s))
    if method == "sobol":
        return space.round(sobol_sample.sample(problem, n, calc_second_order=second_order, seed=s))
    d = len(space.parameters)
    if method == "grid":
        unit = np.array(list(itertools.product(np.linspace(0, 1, n), repeat=d)))
    else:
        unit = qmc.LatinHypercube(d, rng=np.random.default_rng(s)).random(n)
    return space.scale(unit)


def undefined_runs(Y: pd.DataFrame) -> dict[str, int]:
    """The outputs undefined (NaN: a figure with nobody behind it, such as a gap with an empty
    quintile) in some runs of a study, and in how many runs each (outputs defined in every run left out)."""
    counts = Y.isna().sum()
    return {str(k): int(v) for k, v in counts[counts > 0].items()}


def undefined_message(output: str, runs: int, total: int) -> str:
    """One line saying an output is not analysed because some runs left it undefined."""
    return (f"{output}: not analysed: undefined (nobody behind the figure) in {runs} of {total} runs; SALib "
            "needs a value in every run")


def analyse(space: Space, method: str, X: np.ndarray, Y: pd.DataFrame, seed: int, second_order: bool = False,
            levels: int = 4) -> pd.DataFrame:
    """Sensitivity indices of each output column of ``Y`` (rows aligned with ``X``).

    Columns: output, parameter, parameter2 (S2 only), index (S1, ST, S2, mu, mu_star, sigma), value,
    conf (half-width of the 95% bootstrap interval; NaN where SALib gives none). An output that does
    not vary over the design has no indices (NaN); nor does one undefined in any run
    (:func:`undefined_runs`): SALib cannot analyse missing values, and filling them in would invent figures.
    """
    problem, s = space.problem(), derived_seed(seed, 1)
    rows: list[dict[str, Any]] = []

    def add(output: str, index: str, values: Any, confs: Any) -> None:
        for name, v, c in zip(space.names, np.atleast_1d(values), np.atleast_1d(confs), strict=True):
            rows.append({"output": output, "parameter": name, "parameter2": None, "index": index,
                         "value": float(v), "conf": float(c)})

    nan = np.full(len(space.names), np.nan)
    for output in Y.columns:
        y = Y[output].to_numpy(dtype=float)
        constant = not np.all(np.isfinite(y)) or np.ptp(y) == 0
        if method == "morris":
            r = {k: nan for k in ("mu", "mu_star", "sigma", "mu_star_conf")} if constant else morris_analyze.analyze(
                problem, X, y, num_levels=levels, seed=s)
            add(output, "mu", r["mu"], nan)
            add(output, "mu_star", r["mu_star"], r["mu_star_conf"])
            add(output, "sigma", r["sigma"], nan)
            continue
        r = {k: nan for k in ("S1", "S1_conf", "ST", "ST_conf")} if constant else sobol_analyze.analyze(
            problem, y, calc_second_order=second_order, seed=s)
        add(output, "S1", r["S1"], r["S1_conf"])
        add(output, "ST", r["ST"], r["ST_conf"])
        if second_order:
            for i, j in itertools.combinations(range(len(space.names)), 2):
                value, conf = (np.nan, np.nan) if constant else (r["S2"][i, j], r["S2_conf"][i, j])
                rows.append({"output": output, "parameter": space.names[i], "parameter2": space.names[j],
                             "index": "S2", "value": float(value), "conf": float(conf)})
    return pd.DataFrame(rows, columns=["output", "parameter", "parameter2", "index", "value", "conf"])


def noise_warnings(indices: pd.DataFrame) -> list[str]:
    """One line per output whose main indices (S1 and ST, or µ*) cannot be told from noise: the 95%
    interval is wider than the index itself, or a Sobol index lies outside [0, 1] by more than its
    interval. An index that is truly zero is among them; where the influential ones are, the study
    needs a larger N or more replications per design point."""
    main = indices[indices["index"].isin(("S1", "ST", "mu_star")) & indices["value"].notna()]
    lines = []
    for output, rows in main.groupby("output", sort=False):
        value, conf = rows["value"].to_numpy(), rows["conf"].to_numpy()
        wide = conf > np.abs(value)
        sobol = rows["index"].isin(("S1", "ST")).to_numpy()
        outside = sobol & ((value < -conf) | (value > 1 + conf))
        bad = int((wide | outside).sum())
        if bad:
            name = labels.output(output).text if labels.is_output(output) else output
            lines.append(f"{name}: {bad} of {len(rows)} indices cannot be told from noise (smaller than their "
                         "95% interval, or a Sobol index outside 0 to 1)")
    return lines


#: Smallest N of each method whose indices are worth reading (Morris trajectories; Sobol's base sample).
SMALLEST_N = {"morris": 4, "sobol": 16}


def n_for_time(method: str, scenario: Scenario, parameters: int, seconds: float, workers: int, max_n: int,
               max_runs: int) -> int:
    """The largest N (a power of two for Sobol) whose study of ``scenario`` (``scenario.run.replications`` per
    design point) is estimated to take at most ``seconds`` on ``workers`` (:func:`model.run.estimate.estimate`)
    and stays within ``max_n`` and ``max_runs``; never below the method's smallest useful N (:data:`SMALLEST_N`)."""
    n = SMALLEST_N[method]
    while True:
        bigger = 2 * n if method == "sobol" else n + 1
        runs = design_size(method, bigger, parameters) * scenario.run.replications
        if bigger > max_n or runs > max_runs or estimate(scenario, runs, workers).seconds > seconds:
            return n
        n = bigger


# ---------------------------------------------------------------------------------------- studies
class StudyInterruptedError(RuntimeError):
    """A study stopped by a failure or Ctrl-C; its finished runs are stored and ``resume=True`` continues it."""

    def __init__(self, path: Path, done: int, total: int, cause: BaseException) -> None:
        reason = "interrupted" if isinstance(cause, KeyboardInterrupt) else \
            f"{type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else 'no message'}"
        super().__init__(f"study stopped after {done} of {total} runs ({reason}); the finished runs are kept in "
                         f"{path}; continue it with --resume")
        self.path, self.done, self.total = path, done, total


def as_target(target: Scenario | str | Any, engine: str = "vector") -> Any:
    """A Scenario, ``"ishigami"``, or an object with ``evaluate``/``describe``/``outputs``/``name``."""
    if isinstance(target, Scenario):
        return ScenarioTarget(target, engine)
    if target == ishigami.NAME:
        return ishigami.Ishigami()
    if isinstance(target, str):
        raise ScenarioError(f"target: give a Scenario or '{ishigami.NAME}' (got {target!r})")
    return target


def run_seeds(seed: int, policy: str, run_id: int, replications: int) -> list[np.random.SeedSequence]:
    """The seeds of one design point (see the module docstring)."""
    prefix = (2,) if policy == "common" else (2, run_id)
    return [np.random.SeedSequence(seed, spawn_key=(*prefix, r)) for r in range(replications)]


def _run_session(tgt: Any, path: Path, X: np.ndarray, space: Space, seed: int, seed_policy: str, replications: int,
                 executor: cf.Executor | None, progress: ProgressFn | None, cancel: threading.Event | None,
                 chunk_size: int | None) -> None:
    """Run the design points of a stored study that it lacks, as one session of the study."""
    done = set(store.read_results(path)["run_id"].tolist())
    tasks = [(i, space.point(X[i]), run_seeds(seed, seed_policy, i, replications)) for i in range(len(X))
             if i not in done]
    kind = getattr(executor, "kind", "serial" if executor is None else type(executor).__name__)
    session = store.begin_session(path, kind, workers_of(executor) if executor else 1, len(done))
    start, status = time.perf_counter(), "interrupted"
    try:
        map_chunks(partial(run_chunk, tgt), tasks, executor,
                   lambda number, records: store.append_results(path, session, number, records),
                   chunk_size=chunk_size, progress=progress, cancel=cancel, done_before=len(done), total=len(X))
        status = "complete"
    except StudyCancelledError:
        status = "cancelled"
    except BaseException as err:  # a dead worker, a lost Dask worker, Ctrl-C, a full disk: keep what finished
        raise StudyInterruptedError(path, store.runs_done(path), len(X), err) from err
    finally:
        store.end_session(path, session, status, store.runs_done(path), time.perf_counter() - start)


def check_study(target: Scenario | str | Any, space: Space | None, method: str, n: int, seed: int, *,
                second_order: bool = False, levels: int = 4, replications: int = 1, seed_policy: str = "common",
                outputs: tuple[str, ...] | None = None,
                max_runs: int = MAX_RUNS) -> tuple[Any, Space, tuple[str, ...], int]:
    """Check a study request as :func:`run_study` takes it, cheaply and before anything is started (a
    caller can refuse a bad request before starting workers): the target and its space, the method and
    size, replications, the seed, the outputs, and the number of runs against ``max_runs``. Returns the
    target, the space (the built-in one of the ishigami target when ``space`` is None), the outputs
    analysed and the number of runs; raises ScenarioError (one line).

    Whether every design point makes a valid scenario is checked by :func:`run_study` after sampling."""
    tgt = as_target(target)
    if space is None and tgt.name == ishigami.NAME:
        space = loads_space(ishigami.SPACE_TOML, "built-in ishigami space")
    if space is None:
        raise ScenarioError("a parameter space is needed (e.g. spaces/default.toml)", "space")
    if (space.model == ishigami.NAME) != (tgt.name == ishigami.NAME):
        raise ScenarioError(f"parameter space '{space.name}' is for the {space.model} model, not for '{tgt.name}'",
                            "space")
    check_design(method, n, len(space.parameters), levels)
    top = Run.model_fields["seed"].json_schema_extra["range"][1]
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed <= top:
        raise ScenarioError(f"must be a whole number from 0 to {top} (got {seed!r})", "seed")
    if seed_policy not in ("common", "independent"):
        raise ScenarioError(f"must be common or independent (got {seed_policy!r})", "seed_policy")
    if not 1 <= replications <= 1000:
        raise ScenarioError(f"must be 1 to 1000 per design point (got {replications})", "replications")
    runs = design_size(method, n, len(space.parameters), second_order, levels) * replications
    if runs > max_runs:
        raise ScenarioError(f"this study has {runs:,} runs ({method}, n = {n}, {len(space.parameters)} parameters, "
                            f"{replications} replication(s)), above the limit of {max_runs:,}; raise the limit to "
                            "run it deliberately", "max_runs")
    analysed = tuple(outputs or getattr(tgt, "analysed", None)
                     or (ANALYSED if isinstance(tgt, ScenarioTarget) else tgt.outputs))
    unknown = [o for o in analysed if o not in tgt.outputs]
    if unknown:
        raise ScenarioError(f"unknown output '{unknown[0]}' (allowed: {', '.join(tgt.outputs)})", "outputs")
    if isinstance(tgt, ScenarioTarget):
        space.check_scenario(tgt.scenario)
    return tgt, space, analysed, runs


def run_study(target: Scenario | str | Any, space: Space | None, method: str, n: int, seed: int,
              executor: cf.Executor | None = None, store_root: str | Path = "studies", resume: bool = False,
              progress: ProgressFn | None = None, cancel: threading.Event | None = None, *,
              second_order: bool = False, levels: int = 4, replications: int = 1, seed_policy: str = "common",
              outputs: tuple[str, ...] | None = None, chunk_size: int | None = None,
              max_runs: int = MAX_RUNS, design: np.ndarray | None = None) -> store.Study:
    """Sample ``space``, run every design point through ``executor``, store the runs as they finish, analyse.

    ``target``: a Scenario, ``"ishigami"`` (``space`` may then be None) or a custom target.
    ``method``: morris (``n`` trajectories, ``levels`` grid levels), sobol (``n`` a power of two;
    ``second_order`` adds S2), grid (``n`` levels per parameter), lhs (``n`` points) or design (the
    ``n`` points of ``design``, given in the unit cube, as a history-matching wave chooses them).
    ``resume``: continue the latest study under ``store_root`` with the same key, running only the
    runs it lacks. ``cancel`` is checked between chunks (and while the design points are checked); a
    cancelled or interrupted study keeps what finished and is returned (or re-raised) incomplete, to be
    continued with ``resume=True``. A study of more than ``max_runs`` runs is refused before anything
    is sampled; one study runs in one process at a time (:func:`~model.experiments.store.running`).
    """
    tgt, space, analysed, _ = check_study(target, space, method, n, seed, second_order=second_order, levels=levels,
                                          replications=replications, seed_policy=seed_policy, outputs=outputs,
                                          max_runs=max_runs)
    if (method == "design") != (design is not None) or (design is not None and design.shape != (n, len(space.names))):
        raise ScenarioError(f"method design takes a unit-cube design of {n} x {len(space.names)} points, and only it "
                            "does", "design")
    X = space.scale(design) if design is not None else sample(space, method, n, seed, second_order, levels)
    if isinstance(tgt, ScenarioTarget):
        for i, row in enumerate(X):
            if cancel is not None and cancel.is_set():
                raise StudyCancelledError(f"cancelled while checking design point {i} of {len(X)}, before any run")
            try:
                tgt.check(space.point(row))
            except ScenarioError as err:
                raise ScenarioError(f"parameter space '{space.name}': design point {i} {space.point(row)} makes an "
                                    f"invalid scenario: {err}") from None
    spec = {"target": tgt.describe(), "space": space.to_dict(), "method": method, "n": n, "seed": seed,
            "options": {"second_order": second_order, "levels": levels, "replications": replications,
                        "seed_policy": seed_policy, "outputs": list(analysed)},
            "seeds": {"root": seed, "sampling": derived_seed(seed, 0), "bootstrap": derived_seed(seed, 1),
                      "runs": "SeedSequence(root, spawn_key=(2, r))" if seed_policy == "common"
                      else "SeedSequence(root, spawn_key=(2, run_id, r))"}}
    if design is not None:  # a study of a given design is the same study only with the same points
        spec["design_sha256"] = hashlib.sha256(np.ascontiguousarray(design, dtype=np.float64).tobytes()).hexdigest()
    design = pd.DataFrame(X, columns=space.names)
    design.insert(0, "run_id", np.arange(len(X)))
    path = (store.find_resumable(store_root, spec) if resume else None) or store.create_study(
        store_root, spec, design, f"{tgt.name}-{method}-n{n}")
    with store.running(path):
        _run_session(tgt, path, X, space, seed, seed_policy, replications, executor, progress, cancel, chunk_size)
    study = store.load_study(path)
    if study.complete and method in ("morris", "sobol"):
        Y = study.results.set_index("run_id").loc[np.arange(len(X)), list(analysed)]
        study.indices = analyse(space, method, X, Y, seed, second_order, levels)
        store.write_indices(path, study.indices)
    return study

