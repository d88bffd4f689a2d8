"""What the commands share: a parser whose errors are one line, argument types, the flags of every
command that runs the model, and the library's names for its inputs put in flag words."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from model.scenario import ScenarioError, parse_override

#: The library's names for the inputs it checks (:attr:`~model.scenario.ScenarioError.argument`) and the
#: flags that set them.
FLAGS = {"n": "--n", "seed": "--seed", "levels": "--levels", "method": "--method", "space": "--space",
         "outputs": "--outputs", "seed_policy": "--seed-policy", "replications": "--replications",
         "workers": "--workers", "executor": "--executor", "scheduler": "--scheduler", "override": "--set",
         "max_runs": "--max-runs", "ensemble": "--ensemble"}


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, and which takes flags only as written in full
    (``--out`` is not taken for ``--outputs``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "allow_abbrev": False})

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message}\n")


def fail(message: str, status: int = 2) -> int:
    """Print ``error: message`` on stderr; return the exit status (2: bad input)."""
    print(f"error: {message}", file=sys.stderr)
    return status


def in_flag_words(err: ScenarioError) -> str:
    """A library error's message with the input at fault named by its flag (``n: ...`` becomes ``--n: ...``,
    ``override 'run.months': ...`` becomes ``--set run.months: ...``)."""
    flag = FLAGS.get(err.argument or "")
    if flag is None:
        return str(err)
    return f"{flag} {err.item}: {err.problem}" if err.item else f"{flag}: {err.problem}"


def integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def positive(text: str) -> int:
    value = integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """Scenario overrides from ``--set`` and the shortcut flags (validated by the schema)."""
    out = dict(parse_override(s) for s in (getattr(args, "set", None) or []))
    for flag, key in (("people", "run.people"), ("months", "run.months"), ("seed", "run.seed"),
                      ("replications", "run.replications")):
        value = getattr(args, flag, None)
        if value is not None:
            out[key] = value
    return out


def add_scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="a scenario name (see `carecon list`) or a path to a TOML file")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", default=[],
                   help="override a parameter, e.g. --set councils.0.support.capacity=10 (repeatable)")


def add_model_args(p: argparse.ArgumentParser, replications_help: str = "replications (run.replications)",
                   replications_type: Callable[[str], int] = integer) -> None:
    """Flags of every command that runs the model: size, horizon, seed, replications, engine, quiet."""
    p.add_argument("--people", type=integer, metavar="N", help="initial people (run.people)")
    p.add_argument("--months", type=integer, metavar="M", help="horizon in months (run.months)")
    p.add_argument("--seed", type=integer, metavar="S", help="root seed (default: the scenario's run.seed)")
    p.add_argument("--replications", type=replications_type, metavar="R", help=replications_help)
    p.add_argument("--engine", choices=("vector", "agents"), default="vector",
                   help="vector (default, fast) or agents (per-agent reference)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def add_ensemble_arg(p: argparse.ArgumentParser) -> None:
    """``--ensemble FILE``: parameter sets drawn from a posterior, shared by pairs of replications."""
    p.add_argument("--ensemble", metavar="FILE",
                   help="a posterior (posterior.csv of carecon calibrate --posterior, or 'calibrated': the one the "
                        "defaults come from, model/data/calibration/): pairs of replications share "
                        "a parameter set drawn from it, so bands carry parameter uncertainty too (uncertainty.csv "
                        "says how much of each figure's variance is parameters, how much run-to-run noise); a "
                        "fitted parameter the scenario sets itself keeps its change as a proportion")
