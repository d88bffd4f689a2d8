"""The ``carecon`` command line.

    carecon run SCENARIO [--people N] [--months M] [--seed S] [--replications R]
                         [--set dotted.key=value ...] [--engine vector|agents] [--out DIR]
    carecon validate SCENARIO [--set ...]
    carecon list

Every bad input ends with one line on stderr, ``error: ...``, naming the field and what is
allowed, and exit status 2; nothing already computed is lost (an interrupted ``run`` writes the
replications that finished).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from model.scenario import ScenarioError, list_scenarios, load_scenario, parse_override

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message}\n")


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """Scenario overrides from ``--set`` and the shortcut flags (validated by the schema)."""
    out = dict(parse_override(s) for s in (getattr(args, "set", None) or []))
    for flag, key in (("people", "run.people"), ("months", "run.months"), ("seed", "run.seed"),
                      ("replications", "run.replications")):
        value = getattr(args, flag, None)
        if value is not None:
            out[key] = value
    return out


def integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def add_scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="a scenario name (see `carecon list`) or a path to a TOML file")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", default=[],
                   help="override a parameter, e.g. --set councils.0.support.capacity=10 (repeatable)")


# ---------------------------------------------------------------------------------------- run
def cmd_run(args: argparse.Namespace) -> int:
    from model.run import outputs
    from model.run.simulation import combine, seeds_for, simulate

    scenario = load_scenario(args.scenario, overrides_from(args))
    out = Path(args.out) if args.out else Path("outputs") / outputs.safe_name(scenario.name)
    if outputs.check_target(out):
        print(f"warning: {out}/ holds earlier outputs; this run replaces them when it ends", file=sys.stderr)
    from model.run.progress import Progress

    reps = scenario.run.replications
    print(f"carecon run {scenario.name}: {scenario.run.people} people, {scenario.run.months} months, "
          f"{reps} replications, engine {args.engine}", file=sys.stderr)
    bar = Progress(reps, "replications", enabled=not args.quiet, done_before=0)
    results = []
    start = time.perf_counter()
    try:
        for i, ss in enumerate(seeds_for(scenario.run.seed, reps)):
            results.append(simulate(scenario, ss, args.engine, replication=i))
            bar.update(i + 1)
    except KeyboardInterrupt:
        bar.close()
        if not results:
            return fail("interrupted before any replication finished; nothing written")
        print(f"interrupted: writing the {len(results)} replications that finished", file=sys.stderr)
    else:
        bar.close()
    result = combine(results)
    paths = outputs.write(result, scenario, out, figures=not args.no_figures)
    table = outputs.summary(result)
    print(f"\n{scenario.name}: {len(results)} replications in {time.perf_counter() - start:.1f} s; "
          f"figures at month {scenario.run.months} (mean [5%, 95%])")
    for row in table.itertuples():
        print(f"  {row.figure:<22} {row.mean:>12.3f}  [{row.p05:.3f}, {row.p95:.3f}]")
    print(f"wrote {len(paths)} files to {out}/")
    return 0


# ---------------------------------------------------------------------------------------- validate / list
def cmd_validate(args: argparse.Namespace) -> int:
    s = load_scenario(args.scenario, overrides_from(args))
    print(f"ok: scenario '{s.name}' is valid ({len(s.councils)} council(s), {s.run.people} people, "
          f"{s.run.months} months)")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    for name in list_scenarios():
        s = load_scenario(name)
        print(f"{name:<22} {s.description}")
    return 0


COMMANDS.update(run=cmd_run, validate=cmd_validate, list=cmd_list)


def add_model_args(p: argparse.ArgumentParser, replications_help: str = "replications (run.replications)",
                   replications_type: Callable[[str], int] = integer) -> None:
    """Flags of every command that runs the model: size, horizon, seed, replications, engine, quiet."""
    p.add_argument("--people", type=integer, help="initial people (run.people)")
    p.add_argument("--months", type=integer, help="horizon in months (run.months)")
    p.add_argument("--seed", type=integer, help="root seed (default: the scenario's run.seed)")
    p.add_argument("--replications", type=replications_type, help=replications_help)
    p.add_argument("--engine", choices=("vector", "agents"), default="vector",
                   help="vector (default, fast) or agents (per-agent reference)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser() -> Parser:
    parser = Parser(prog="carecon", description="Simulate personalised care economies (self-directed support).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    p = sub.add_parser("run", help="run a scenario and write tables and figures")
    add_scenario_args(p)
    add_model_args(p)
    p.add_argument("--out", help="output directory (default outputs/SCENARIO)")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p = sub.add_parser("validate", help="check a scenario file without running it")
    add_scenario_args(p)
    sub.add_parser("list", help="list the built-in scenarios")
    for extend in EXTENSIONS:
        extend(sub)
    return parser


#: Functions that add further subcommands (the experiment layer registers here).
EXTENSIONS: list[Callable[[Any], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    with contextlib.suppress(ImportError):
        from model.cli import experiments  # noqa: F401  (registers compare, sweep, sensitivity)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ScenarioError as err:
        return fail(str(err))
    except KeyboardInterrupt:
        return fail("interrupted")
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        sys.stderr.close()
        return 0
    except OSError as err:  # a file the command writes at the end (a full disk, a lost directory)
        return fail(f"{err.filename or 'output'}: {err.strerror or err}")


if __name__ == "__main__":  # python -m model.cli.main: run the importable module, where the experiment
    from model.cli.main import main as _main  # commands register themselves (not this __main__ copy)

    sys.exit(_main())
