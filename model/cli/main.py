"""The ``carecon`` command line; every command is registered in :func:`build_parser`.

    carecon run SCENARIO [--people N] [--months M] [--seed S] [--replications R]
                         [--set dotted.key=value ...] [--engine vector|agents] [--out DIR]
    carecon validate SCENARIO [--set ...]
    carecon list
    carecon compare | sweep | sensitivity | targets | calibrate | report | studies ...
        (see :mod:`model.cli.experiments`)

Every bad input ends with one line on stderr, ``error: ...``, naming the field and what is
allowed, and exit status 2; every argument is checked before a worker starts, and nothing already
computed is lost (an interrupted ``run`` writes the replications that finished). The library names
its inputs in its own words; :func:`model.cli.args.in_flag_words` puts them in flag words. A command
whose part of the library cannot be imported says so in one line, with exit status 1; the other
commands still work.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from model.cli import experiments
from model.cli.args import (
    Parser,
    add_ensemble_arg,
    add_model_args,
    add_scenario_args,
    fail,
    in_flag_words,
    overrides_from,
)
from model.cli.progress import ProgressBar
from model.scenario import ScenarioError, list_scenarios, load_scenario


# ---------------------------------------------------------------------------------------- run
def cmd_run(args: argparse.Namespace) -> int:
    import pandas as pd

    from model.metrics import labels
    from model.run import ensemble, outputs
    from model.run.simulation import combine, seeds_for, simulate

    scenario = load_scenario(args.scenario, overrides_from(args))
    out = Path(args.out) if args.out else Path("outputs") / outputs.safe_name(scenario.name)
    reps = scenario.run.replications
    drawn = None
    if args.ensemble:
        drawn = ensemble.draws(ensemble.read_ensemble(args.ensemble, scenario), reps, scenario.run.seed)
        ensemble.say_settings([scenario], drawn[0])
    each = [ensemble.with_draw(scenario, d) for d in drawn] if drawn else [scenario] * reps
    if outputs.check_target(out):
        print(f"warning: {out}/ holds earlier outputs; this run replaces them when it ends", file=sys.stderr)
    print(f"carecon run {scenario.name}: {scenario.run.people} people, {scenario.run.months} months, "
          f"{reps} replications, engine {args.engine}"
          f"{f', parameters drawn from {args.ensemble} (pairs share a set)' if drawn else ''}", file=sys.stderr)
    results = []
    start = time.perf_counter()
    try:
        with ProgressBar("replications", total=reps, start=0, enabled=not args.quiet) as bar:
            for i, ss in enumerate(seeds_for(scenario.run.seed, reps)):
                results.append(simulate(each[i], ss, args.engine, replication=i))
                bar(i + 1)
    except KeyboardInterrupt:
        if not results:
            return fail("interrupted before any replication finished; nothing written")
        print(f"interrupted: writing the {len(results)} replications that finished", file=sys.stderr)
    result = combine(results)
    extra = {}
    if drawn:
        pairs = len(results) - len(results) % ensemble.PER_DRAW
        shares = ensemble.uncertainty_shares(outputs.per_replication(result).iloc[:pairs])
        extra = {"uncertainty.csv": shares,
                 "draws.csv": pd.DataFrame(drawn[:len(results)]).rename_axis("replication").reset_index()}
    paths = outputs.write(result, scenario, out, figures=not args.no_figures, extra=extra)
    table = outputs.summary(result)
    share = dict(zip(extra["uncertainty.csv"]["figure"], extra["uncertainty.csv"]["parameter_share"],
                     strict=True)) if drawn else {}
    parts = "; share of variance from parameters" if drawn else ""
    print(f"\n{scenario.name}: {len(results)} replications in {time.perf_counter() - start:.1f} s; "
          f"figures at month {scenario.run.months} (mean [5%, 95%]{parts})")
    for row in table.itertuples():
        tail = f"  {outputs.shown(share.get(row.figure), '.0%')}" if drawn else ""
        label = labels.output(row.figure)
        print(f"  {label!s:<48} {label.format(row.mean):>12}  [{label.format(row.p05)}, {label.format(row.p95)}]{tail}")
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


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add run, validate and list to the ``carecon`` subparsers."""
    p = sub.add_parser("run", help="run a scenario and write tables and figures",
                       description="Run a scenario's replications and write tables and figures.")
    add_scenario_args(p)
    add_model_args(p)
    p.add_argument("--out", metavar="DIR", help="output directory (default outputs/SCENARIO)")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    add_ensemble_arg(p)
    p.set_defaults(handler=cmd_run)
    p = sub.add_parser("validate", help="check a scenario file without running it",
                       description="Check a scenario (and any --set overrides) against the schema without running it.")
    add_scenario_args(p)
    p.set_defaults(handler=cmd_validate)
    p = sub.add_parser("list", help="list the built-in scenarios", description="List the built-in scenarios.")
    p.set_defaults(handler=cmd_list)


def build_parser() -> Parser:
    """The ``carecon`` parser with every command."""
    parser = Parser(prog="carecon", description="Simulate personalised care economies (self-directed support).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="COMMAND")
    add_commands(sub)
    experiments.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ScenarioError as err:
        return fail(in_flag_words(err))
    except ImportError as err:  # a broken or missing part of the library: say which, not a traceback
        return fail(f"carecon {args.command}: cannot import {err.name or 'a module it needs'} ({err})", status=1)
    except KeyboardInterrupt:
        return fail("interrupted")
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        sys.stderr.close()
        return 0
    except OSError as err:  # a file the command writes at the end (a full disk, a lost directory)
        return fail(f"{err.filename or 'output'}: {err.strerror or err}")


if __name__ == "__main__":
    sys.exit(main())
