"""The experiment commands of ``carecon``: compare, sweep, sensitivity, targets, calibrate, report and studies.

    carecon compare S1 S2 [...] [--replications R] [--seed S] [--people N] [--months M] [--set k=v ...]
    carecon sweep SCENARIO --space SPACE.toml --design grid|lhs --n N
    carecon sensitivity SCENARIO|ishigami [--space SPACE.toml] --method morris|sobol --n N [--second-order]
    carecon targets [--targets FILE] [--replications R] [--people N]
    carecon calibrate --space SPACE.toml [--waves K] [--points N] [--replications R]
    carecon report [--posterior FILE] [--points N] [--replications R] [--out DIR]
    carecon studies list [--store DIR]
    carecon studies show STUDY_DIR

Common options: ``--executor local|dask|dask-local|serial``, ``--workers N``, ``--scheduler tcp://HOST:PORT``;
studies: ``--store DIR`` (default ``studies``), ``--resume``, ``--chunk N``, ``--quiet``.
Every argument is checked before the executor starts its workers. The experiment layer is imported
when a command runs, so that a fault in it is reported by that command (see :func:`model.cli.main.main`)
and the parser, ``run``, ``validate`` and ``list`` do not depend on it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from model.cli.args import (
    Parser,
    add_ensemble_arg,
    add_model_args,
    add_scenario_args,
    fail,
    integer,
    overrides_from,
    positive,
)
from model.cli.progress import ProgressBar
from model.experiments import MAX_RUNS
from model.metrics import labels
from model.run.ensemble import committed_posterior
from model.run.estimate import estimate
from model.run.outputs import check_target, safe_name, shown, staged
from model.scenario import Run, Scenario, ScenarioError, load_scenario

#: The parameter space of the calibration, for ``carecon report``.
CALIBRATION_SPACE = Path("spaces") / "calibration.toml"

EXECUTOR_HELP = ("where the runs execute: local (a process pool on this machine, the default), dask (a running "
                 "Dask cluster, see --scheduler), dask-local (a Dask cluster started on this machine) or serial "
                 "(in this process)")


def _add_run_args(p: argparse.ArgumentParser, replications_help: str) -> None:
    add_model_args(p, replications_help, positive)
    p.add_argument("--executor", default="local", metavar="KIND", help=EXECUTOR_HELP)
    p.add_argument("--workers", type=positive, metavar="N", help="worker processes (default: CPU count)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address for --executor dask, e.g. tcp://10.0.0.1:8786")


def _add_study_args(p: argparse.ArgumentParser, design: bool = True) -> None:
    """The study store's flags; with ``design``, those of a study whose design the user chooses."""
    p.add_argument("--store", default="studies", metavar="DIR", help="directory holding the studies (default studies)")
    p.add_argument("--resume", action="store_true", help="continue the matching study, running only missing runs")
    p.add_argument("--max-runs", type=positive, metavar="N", default=MAX_RUNS,
                   help=f"refuse a study of more runs than N (default {MAX_RUNS:,}); raise it deliberately")
    if not design:
        return
    p.add_argument("--chunk", type=positive, metavar="N", help="runs per task sent to a worker (default: automatic)")
    p.add_argument("--seed-policy", choices=("common", "independent"), default="common",
                   help="common random numbers at every design point (default) or independent seeds")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figure")
    p.add_argument("--targets", metavar="FILE", nargs="?", const="committed",
                   help="outputs are the published targets' window means (model/data/targets.toml, or FILE): "
                        "a screening or a design against the calibration targets")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add compare, sweep, sensitivity and studies to the ``carecon`` subparsers."""
    p = sub.add_parser("compare", help="compare scenarios with paired seeds; differences with 95%% CIs",
                       description="Run two or more scenarios on common random numbers and report the paired "
                                   "differences of the headline figures from the first, with 95%% confidence "
                                   "intervals.")
    p.add_argument("scenarios", nargs="+", help="two or more scenario names or TOML files; the first is the reference")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", default=[], help="override in every scenario")
    _add_run_args(p, "replications per scenario (default: the first scenario's run.replications)")
    add_ensemble_arg(p)
    p.add_argument("--out", metavar="DIR", help="output directory (default outputs/compare-A-vs-B)")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figure")
    p.set_defaults(handler=cmd_compare)

    p = sub.add_parser("sweep", help="run a grid or Latin-hypercube design over a parameter space",
                       description="Run a grid or Latin-hypercube design over a parameter space; the runs are "
                                   "stored as a study (see `carecon studies`).")
    add_scenario_args(p)
    p.add_argument("--space", required=True, metavar="FILE", help="parameter-space TOML file (see spaces/)")
    p.add_argument("--design", choices=("grid", "lhs"), default="lhs", help="grid (N levels each) or lhs (N points)")
    p.add_argument("--n", type=integer, required=True, metavar="N", help="grid levels per parameter, or LHS points")
    _add_run_args(p, "replications per design point (default 1)")
    _add_study_args(p)
    p.set_defaults(handler=cmd_sweep)

    p = sub.add_parser("sensitivity", help="global sensitivity analysis (SALib Morris or Sobol)",
                       description="Global sensitivity analysis of a scenario's headline figures (or of the "
                                   "Ishigami test function) with SALib's Morris or Sobol method; the runs are "
                                   "stored as a study (see `carecon studies`).")
    add_scenario_args(p)
    p.add_argument("--space", metavar="FILE",
                   help="parameter-space TOML file (default for ishigami: its built-in space)")
    p.add_argument("--method", choices=("morris", "sobol"), default="sobol", help="morris screening or sobol indices")
    p.add_argument("--n", type=integer, required=True, metavar="N",
                   help="Sobol base sample (power of 2) or Morris trajectories")
    p.add_argument("--second-order", action="store_true", help="Sobol: also second-order indices S2")
    p.add_argument("--levels", type=integer, default=4, metavar="L", help="Morris grid levels (even, default 4)")
    p.add_argument("--outputs", metavar="NAMES", help="comma-separated outputs to analyse (default: equity_gap, "
                                                      "dc_open, dc_closures, provider_exits, cost_per_person)")
    _add_run_args(p, "replications per design point (default 1)")
    _add_study_args(p)
    p.set_defaults(handler=cmd_sensitivity)

    p = sub.add_parser("targets", help="the calibration scenario against the published targets",
                       description="Run the calibration scenario named in the targets file and compare it with "
                                   "each published target over its calendar window: the model's mean and 5-95%% "
                                   "range over replications, the implausibility and whether the target is "
                                   "reproduced (docs/explanation/calibration.md).")
    p.add_argument("--targets", metavar="FILE", help="a targets TOML file (default: model/data/targets.toml)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", default=[], help="override a parameter")
    _add_run_args(p, "replications (default: the scenario's run.replications)")
    p.add_argument("--out", metavar="DIR", help="output directory (default outputs/targets)")
    p.set_defaults(handler=cmd_targets)

    p = sub.add_parser("calibrate", help="screening, history matching and a posterior against the published "
                                         "calibration targets",
                       description="Calibrate the calibration scenario against the calibration targets "
                                   "(model/data/targets.toml; never the validation targets), in stages, each a study "
                                   "in the store (--resume continues): with --screen, a Morris screening keeps the "
                                   "parameters that move the targets and have no published value; history matching "
                                   "in waves of design points in the space not ruled out yet (Gaussian-process "
                                   "emulators of each target, implausibility); with --posterior, ABC-SMC inside what "
                                   "is left. A council's policy parameters (councils.*) are never fitted. Writes "
                                   "screening.csv and fitted_space.toml (with --screen), waves.csv, nroy_bounds.csv, "
                                   "nroy_space.toml (the ranges not ruled out, as a space for carecon sensitivity "
                                   "--space), nroy_sample.csv, posterior.csv and central.csv (with --posterior) and "
                                   "stages.csv (each stage's time).")
    p.add_argument("--space", required=True, metavar="FILE",
                   help="parameter-space TOML file (spaces/calibration.toml; with --screen, spaces/screening.toml)")
    p.add_argument("--screen", type=positive, metavar="T", default=0,
                   help="first a Morris screening of T trajectories (4-100; 0, the default: fit the whole space)")
    p.add_argument("--targets", metavar="FILE", help="a targets TOML file (default: model/data/targets.toml)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", default=[], help="override a parameter")
    p.add_argument("--waves", type=positive, default=3, metavar="K", help="waves of history matching (1-10; default 3)")
    p.add_argument("--points", type=positive, default=40, metavar="N",
                   help="design points per wave (at least parameters + 2; default 40)")
    p.add_argument("--posterior", type=positive, metavar="N", default=0,
                   help="then an ABC-SMC posterior (pyabc) of N particles inside the ranges not ruled out "
                        "(0, the default: history matching only)")
    p.add_argument("--generations", type=positive, metavar="G", default=4,
                   help="ABC-SMC populations (1-20; default 4)")
    _add_run_args(p, "replications per design point (default 3)")
    _add_study_args(p, design=False)
    p.add_argument("--out", metavar="DIR", help="output directory (default outputs/calibrate)")
    p.set_defaults(handler=cmd_calibrate)

    p = sub.add_parser("report", help="the calibration report: each target against the model, three ways",
                       description="Write the calibration report (calibration.md, calibration.html and its "
                                   "figure): each published target against the model at its defaults, against "
                                   "runs with parameters drawn from a posterior (posterior predictive), and "
                                   "whether the other targets predict it (emulators of a design over the "
                                   "calibration space); what the model does not reproduce, and why.")
    p.add_argument("--targets", metavar="FILE", help="a targets TOML file (default: model/data/targets.toml)")
    p.add_argument("--space", default=str(CALIBRATION_SPACE), metavar="FILE",
                   help="parameter space of the held-out check (default spaces/calibration.toml)")
    committed = committed_posterior()
    p.add_argument("--posterior", metavar="FILE", default=str(committed) if committed else None,
                   help="posterior.csv of carecon calibrate --posterior (default: the committed one)")
    p.add_argument("--points", type=positive, default=40, metavar="N",
                   help="design points of the held-out check (parameters + 2 to 1000; default 40)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", default=[], help="override a parameter")
    _add_run_args(p, "replications of the defaults and of the posterior (even, 4 to 200; default 8)")
    p.add_argument("--store", default="studies", metavar="DIR", help="directory holding the design study")
    p.add_argument("--out", metavar="DIR", help="output directory (default outputs/report; make report: docs)")
    p.set_defaults(handler=cmd_report)

    p = sub.add_parser("studies", help="list stored studies or show one without recomputing",
                       description="List the studies in a store, or show one study's summary and indices.")
    studies = p.add_subparsers(dest="studies_command", required=True, parser_class=Parser, metavar="ACTION")
    q = studies.add_parser("list", help="list the studies in a store", description="List the studies in a store.")
    q.add_argument("--store", default="studies", metavar="DIR", help="directory holding the studies (default studies)")
    q = studies.add_parser("show", help="show a stored study's manifest summary and indices",
                           description="Show a stored study's manifest summary and indices without recomputing.")
    q.add_argument("path", help="a study directory (see `carecon studies list`)")
    q.add_argument("--plot", action="store_true", help="(re)draw indices.png in the study directory")
    p.set_defaults(handler=cmd_studies)


def pool_workers(args: argparse.Namespace) -> int:
    """The worker processes the runs will share: ``--workers``, or the default of the executor (this
    machine's cores for a local pool; one when serial or on a Dask cluster of unknown size)."""
    from model.experiments.runner import machine_cores

    if args.workers:
        return int(args.workers)
    return machine_cores() if args.executor in ("local", "dask-local") else 1


# ---------------------------------------------------------------------------------------- compare
def cmd_compare(args: argparse.Namespace) -> int:
    import pandas as pd

    from model.experiments.plots import plot_differences
    from model.experiments.runner import check_executor, compare, make_executor
    from model.run import ensemble

    overrides = overrides_from(args)
    scenarios = [load_scenario(name, overrides) for name in args.scenarios]
    if len(scenarios) < 2:
        return fail("compare: give at least two scenarios (the first is the reference)")
    check_executor(args.executor, args.workers, args.scheduler)
    reps, seed = scenarios[0].run.replications, scenarios[0].run.seed
    drawn = None
    if args.ensemble:
        table = ensemble.read_ensemble(args.ensemble, scenarios[0])
        drawn = ensemble.draws(table, reps, seed)
        ensemble.say_settings(scenarios, drawn[0])
    default = safe_name(f"compare-{'-vs-'.join(s.name for s in scenarios)}")
    out = Path(args.out) if args.out else Path("outputs") / default
    if check_target(out):
        print(f"warning: {out}/ holds earlier outputs; this comparison replaces them when it ends", file=sys.stderr)
    cost = estimate(scenarios[0], len(scenarios) * reps, pool_workers(args), args.engine)
    print(f"carecon compare: {len(scenarios)} scenarios x {reps} replications (paired seeds from {seed}), "
          f"executor {args.executor}; {cost.describe()}", file=sys.stderr)
    start = time.perf_counter()
    with (make_executor(args.executor, args.workers, args.scheduler) as pool,
          ProgressBar("runs", total=len(scenarios) * reps, start=0, enabled=not args.quiet) as bar):
        result = compare(scenarios, reps, seed, pool, bar, engine=args.engine, draws=drawn)
    with staged(out) as tmp:
        result.differences.to_csv(tmp / "differences.csv", index=False)
        if drawn:
            result.uncertainty.to_csv(tmp / "uncertainty.csv", index=False)
            pd.DataFrame(drawn).rename_axis("replication").reset_index().to_csv(tmp / "draws.csv", index=False)
        result.who_gains.to_csv(tmp / "who_gains.csv", index=False)
        pd.concat(result.headlines, names=["scenario"]).to_csv(tmp / "headlines.csv")
        if not args.no_figures:
            plot_differences(result.differences, tmp / "differences.png")
    share = ({(r.scenario, r.figure): r.parameter_share for r in result.uncertainty.itertuples()} if drawn else {})
    print(f"\n{len(scenarios) * reps} runs in {time.perf_counter() - start:.1f} s; differences from "
          f"{result.reference} (mean of paired differences, 95% CI"
          f"{'; parameters drawn from ' + args.ensemble + ', share of variance from parameters' if drawn else ''})")
    for row in result.differences.itertuples():
        tail = f"  {shown(share.get((row.scenario, row.figure)), '.0%')}" if drawn else ""
        label = labels.output(row.figure)
        print(f"  {row.scenario:<20} {label!s:<48} {label.difference(row.mean_difference):>12}  "
              f"{label.interval(row.ci_low, row.ci_high)}{tail}")
    extra = ", uncertainty.csv, draws.csv" if drawn else ""
    print(f"wrote {out}/differences.csv, who_gains.csv, headlines.csv{extra}"
          f"{'' if args.no_figures else ', differences.png'}")
    return 0


# ---------------------------------------------------------------------------------------- targets
def cmd_targets(args: argparse.Namespace) -> int:
    from model.experiments.runner import check_executor, make_executor, run_replications
    from model.experiments.targets import check_windows, fit, load_targets

    targets = load_targets(args.targets)
    scenario = load_scenario(targets.scenario, overrides_from(args))
    check_windows(targets, scenario)
    check_executor(args.executor, args.workers, args.scheduler)
    out = Path(args.out) if args.out else Path("outputs") / "targets"
    if check_target(out):
        print(f"warning: {out}/ holds earlier outputs; this run replaces them when it ends", file=sys.stderr)
    reps, seed = scenario.run.replications, scenario.run.seed
    cost = estimate(scenario, reps, pool_workers(args), args.engine)
    print(f"carecon targets: {scenario.name} x {reps} replications (seed {seed}) against {len(targets.target)} "
          f"targets; {cost.describe()}", file=sys.stderr)
    with (make_executor(args.executor, args.workers, args.scheduler) as pool,
          ProgressBar("runs", total=reps, start=0, enabled=not args.quiet) as bar):
        result = run_replications(scenario, reps, seed, pool, bar, engine=args.engine)
    table = fit(result, targets)
    with staged(out) as tmp:
        table.to_csv(tmp / "targets.csv", index=False)
    print(f"\n{scenario.name}, {scenario.run.people:,} people, {reps} replications: model mean [5-95%] against "
          f"observed ± tolerance (implausibility; reproduced if at most {targets.cutoff:g})")
    for row in table.itertuples():
        verdict = "reproduced" if row.reproduced else "NOT reproduced"
        print(f"  {row.role:<9} {row.target:<20} {row.window:<18} {shown(row.model, '.3f'):>7} "
              f"[{shown(row.p05, '.3f')}, {shown(row.p95, '.3f')}] vs {row.observed:.3f} ± {row.tolerance:.3f}"
              f"  I = {shown(row.implausibility, '.2f'):>5}  {verdict}")
    for role in ("calibrate", "validate"):
        part = table[table["role"] == role]
        print(f"{role}: {int(part['reproduced'].sum())} of {len(part)} targets reproduced")
    print(f"wrote {out}/targets.csv")
    return 0


# ---------------------------------------------------------------------------------------- calibrate
def _calibration_inputs(args: argparse.Namespace) -> tuple[Any, Scenario, Any]:
    """The targets, their calibration scenario (with ``--set`` and the size flags) and the parameter
    space, each checked against the others."""
    from model.experiments.sensitivity import load_space
    from model.experiments.targets import check_windows, load_targets

    targets = load_targets(args.targets)
    overrides = {k: v for k, v in overrides_from(args).items() if k not in ("run.seed", "run.replications")}
    scenario = load_scenario(targets.scenario, overrides)
    check_windows(targets, scenario)
    space = load_space(args.space)
    space.check_scenario(scenario)
    return targets, scenario, space


def store_problem(store: str, out: Path | None = None) -> str | None:
    """What is wrong with ``--store`` (one line), or None: a file, or (with ``out``, an output directory
    that the outputs replace whole) inside ``out``, where writing the outputs would remove the stored runs."""
    if Path(store).exists() and not Path(store).is_dir():
        return f"--store: {store} is a file; give a directory"
    if out is not None and Path(store).resolve().is_relative_to(out.resolve()):
        return (f"--store: {store} is inside the output directory {out}, which the outputs replace whole; "
                "it must be outside it")
    return None


def cmd_calibrate(args: argparse.Namespace) -> int:
    import pandas as pd

    from model.experiments.calibrate import behavioural, history_match, screen
    from model.experiments.runner import check_executor, make_executor
    from model.experiments.sensitivity import StudyInterruptedError, design_size
    from model.experiments.targets import CalibrationTarget

    targets, scenario, space = _calibration_inputs(args)
    space, policy = behavioural(space)
    if not space.parameters:
        return fail(f"--space: {args.space} holds only councils' policy parameters, which a calibration never fits")
    if args.screen and not 4 <= args.screen <= 100:
        return fail(f"--screen: must be 4 to 100 trajectories (got {args.screen})")
    if not 1 <= args.waves <= 10:
        return fail(f"--waves: must be 1 to 10 (got {args.waves})")
    low = 3 if args.screen else len(space.parameters) + 2
    if not low <= args.points <= 10_000:
        return fail(f"--points: must be {low} ({'at least 1 parameter' if args.screen else 'parameters'} + 2) to "
                    f"10000 (got {args.points})")
    if not 1 <= args.generations <= 20:
        return fail(f"--generations: must be 1 to 20 (got {args.generations})")
    if args.posterior and not 20 <= args.posterior <= 100_000:
        return fail(f"--posterior: must be 20 to 100000 particles (got {args.posterior})")
    replications = args.replications or 3
    if args.screen and replications < 2:
        return fail(f"--replications: must be 2 or more with --screen, to tell effects from noise "
                    f"(got {replications})")
    screening_runs = design_size("morris", args.screen, len(space.parameters)) * replications if args.screen else 0
    runs = screening_runs + args.waves * args.points * replications
    if runs > args.max_runs:
        return fail(f"--max-runs: this calibration has {runs:,} runs; at most {args.max_runs:,} are allowed "
                    "(raise --max-runs to run it deliberately)")
    check_executor(args.executor, args.workers, args.scheduler)
    out = Path(args.out) if args.out else Path("outputs") / "calibrate"
    if problem := store_problem(args.store, out):
        return fail(problem)
    if check_target(out):
        print(f"warning: {out}/ holds earlier outputs; this calibration replaces them when it ends", file=sys.stderr)
    seed = args.seed if args.seed is not None else scenario.run.seed
    if policy:
        print(f"not fitted (a council's policy, set by each scenario): {', '.join(policy)}", file=sys.stderr)
    stages = (f"a screening of {args.screen} trajectories, " if args.screen else "") + \
        f"{args.waves} waves x {args.points} points"
    print(f"carecon calibrate: {stages} x {replications} replications; "
          f"{estimate(scenario, runs, pool_workers(args), args.engine).describe()}", file=sys.stderr)
    target = CalibrationTarget(scenario, args.engine, targets=targets)
    screening, times = None, []
    try:
        with (make_executor(args.executor, args.workers, args.scheduler) as pool,
              ProgressBar("runs", enabled=not args.quiet) as bar):
            if args.screen:
                screening = screen(target, space, args.screen, replications, seed, pool, args.store, args.resume, bar,
                                   args.max_runs)
                times.append({"stage": "screening", "runs": screening_runs, "seconds": screening.seconds})
                space = screening.fitted_space()
                if not space.parameters:
                    return fail("the screening found no parameter without a published value that moves the "
                                f"calibration targets (see {screening.study}/indices.csv): nothing to fit")
                if args.points < len(space.parameters) + 2:
                    return fail(f"--points: the screening kept {len(space.parameters)} parameters; a wave needs at "
                                f"least {len(space.parameters) + 2} points (got {args.points})")
            result = history_match(target, space, args.waves, args.points, replications, seed, pool, args.store,
                                   args.resume, bar, args.max_runs)
    except StudyInterruptedError as err:
        return fail(str(err))
    times += [{"stage": f"wave {i + 1}", "runs": args.points * replications, "seconds": sec}
              for i, sec in enumerate(result.seconds)]
    summary, bounds = result.summary(), result.bounds()
    posterior = None
    if args.posterior:
        from model.experiments.calibrate import posterior_of

        start = time.perf_counter()
        posterior = posterior_of(target, result, args.posterior, args.generations, seed, args.store,
                                 pool_workers(args) if args.executor == "local" else 1)
        times.append({"stage": "posterior", "runs": None, "seconds": time.perf_counter() - start})
    with staged(out) as tmp:
        if screening is not None:
            screening.decisions().to_csv(tmp / "screening.csv", index=False)
            (tmp / "fitted_space.toml").write_text(space.to_toml())
        summary.to_csv(tmp / "waves.csv", index=False)
        bounds.to_csv(tmp / "nroy_bounds.csv", index=False)
        (tmp / "nroy_space.toml").write_text(result.nroy_space())
        result.nroy_sample().to_csv(tmp / "nroy_sample.csv", index=False)
        if posterior is not None:
            posterior.table().to_csv(tmp / "posterior.csv", index=False)
            posterior.central().to_csv(tmp / "central.csv", index=False)
        pd.DataFrame(times).to_csv(tmp / "stages.csv", index=False)
    if screening is not None:
        decisions = screening.decisions()
        print(f"\nscreening of {len(decisions)} parameters ({screening.seconds:.0f} s; stored in {screening.study}): "
              "largest effect on a calibration target over the effect of noise alone")
        for row in decisions.itertuples():
            print(f"  {row.parameter:<44} {row.largest_effect_over_noise:6.2f} ({row.on_target}) {row.decision}")
    print(f"\nhistory matching of {scenario.name} against {len(result.observations)} calibration targets")
    for row in summary.itertuples():
        print(f"  wave {row.wave}: {row.points} points, {row.seconds:.0f} s; not ruled out: "
              f"{100 * row.nroy_fraction:.1f}% of the space; emulators converged: {row.emulators_converged}")
    print("  parameter ranges not ruled out:")
    for row in bounds.itertuples():
        print(f"    {row.parameter:<44} {shown(row.nroy_low, '.4g')} to {shown(row.nroy_high, '.4g')} "
              f"(of {row.low:g} to {row.high:g})")
    if posterior is not None:
        print(f"  ABC-SMC posterior ({len(posterior.weights)} particles worth {posterior.ess:.0f} equally weighted; "
              f"tolerances {', '.join(f'{e:.3g}' for e in posterior.epsilons)}; {times[-1]['seconds']:.0f} s; "
              f"stored in {posterior.database}): weighted median [90% interval]")
        if posterior.ess < len(posterior.weights) / 10:
            print(f"warning: the posterior's weights are degenerate (an effective sample of {posterior.ess:.0f} of "
                  f"{len(posterior.weights)}): fit fewer parameters or draw more particles", file=sys.stderr)
        for row in posterior.central().itertuples():
            print(f"    {row.parameter:<44} {row.median:.4g} [{row.low:.4g}, {row.high:.4g}]")
    written = ["screening.csv", "fitted_space.toml"] if screening is not None else []
    written += ["waves.csv", "nroy_bounds.csv", "nroy_space.toml", "nroy_sample.csv"]
    written += ["posterior.csv", "central.csv"] if posterior is not None else []
    print(f"stages: {', '.join(f'{t['stage']} {t['seconds']:.0f} s' for t in times)}")
    print(f"wrote {out}/{', '.join([*written, 'stages.csv'])}")
    return 0


# ---------------------------------------------------------------------------------------- report
def cmd_report(args: argparse.Namespace) -> int:
    from model.experiments.report import make_report, plot_report
    from model.experiments.runner import check_executor, make_executor

    targets, scenario, space = _calibration_inputs(args)
    if args.posterior:
        from model.run.ensemble import read_ensemble

        read_ensemble(args.posterior, scenario)
    reps = args.replications or 8
    if not 4 <= reps <= 200 or reps % 2:
        return fail(f"--replications: must be an even number from 4 to 200 (got {reps})")
    if not len(space.parameters) + 2 <= args.points <= 1000:
        return fail(f"--points: must be {len(space.parameters) + 2} (parameters + 2) to 1000 (got {args.points})")
    check_executor(args.executor, args.workers, args.scheduler)
    if problem := store_problem(args.store):
        return fail(problem)
    out = Path(args.out) if args.out else Path("outputs") / "report"
    seed = args.seed if args.seed is not None else scenario.run.seed
    runs = reps * (2 if args.posterior else 1) + 2 * args.points
    print(f"carecon report: {runs} runs; {estimate(scenario, runs, pool_workers(args), args.engine).describe()}",
          file=sys.stderr)
    words = ["carecon report", *(f"--{k} {v}" for k, v in (("people", scenario.run.people), ("replications", reps),
                                                           ("points", args.points)))]
    with (make_executor(args.executor, args.workers, args.scheduler) as pool,
          ProgressBar("runs", enabled=not args.quiet) as bar):
        report = make_report(scenario, targets, space, args.posterior, reps, args.points, seed, pool, args.store, bar,
                             command=" ".join(words))
    out.mkdir(parents=True, exist_ok=True)
    (out / "img").mkdir(exist_ok=True)
    figure = out / "img" / "calibration_targets.png"
    plot_report(report, figure)
    (out / "calibration.md").write_text(report.markdown("img/calibration_targets.png"))
    (out / "calibration.html").write_text(report.html(figure.read_bytes()))
    for role, table in (("defaults", report.defaults), ("posterior predictive", report.predictive)):
        if table is not None:
            print(f"{role}: {int(table['reproduced'].sum())} of {len(table)} targets reproduced "
                  f"({', '.join(table.loc[~table['reproduced'], 'target']) or 'all'}"
                  f"{' not reproduced' if not table['reproduced'].all() else ''})")
    print(f"wrote {out}/calibration.md, calibration.html, img/calibration_targets.png")
    return 0


# ---------------------------------------------------------------------------------------- studies
def _target(args: argparse.Namespace) -> Scenario | str:
    """The scenario a study varies (its run.seed and run.replications are the study's own), or ``"ishigami"``."""
    from model.experiments import ishigami

    if args.scenario == ishigami.NAME:
        extra = [flag for flag in ("people", "months") if getattr(args, flag) is not None]
        if args.set or extra:
            raise ScenarioError(f"--{'set' if args.set else extra[0]}: not used with the ishigami test model")
        return ishigami.NAME
    overrides = {k: v for k, v in overrides_from(args).items() if k not in ("run.seed", "run.replications")}
    return load_scenario(args.scenario, overrides)


def _print_undefined(results: Any, outputs: Any) -> None:
    """One line per analysed output that some runs left undefined (so it has no indices)."""
    from model.experiments.sensitivity import undefined_message, undefined_runs

    for output, runs in undefined_runs(results[[o for o in outputs if o in results]]).items():
        print(f"  {undefined_message(output, runs, len(results))}")


def _print_indices(indices: Any) -> None:
    import numpy as np

    from model.experiments.sensitivity import noise_warnings

    main = [k for k in ("S1", "ST", "mu_star", "sigma") if k in set(indices["index"])]
    for output, rows in indices[indices["index"].isin(main)].groupby("output", sort=False):
        wide = rows.pivot(index="parameter", columns="index", values="value")[main]
        conf = rows.pivot(index="parameter", columns="index", values="conf")[main]
        wide = wide.sort_values(main[-1] if main[0] == "S1" else main[0], ascending=False)
        print(f"  {output + ':':<46}" + "".join(f"{k:>20}" for k in main))
        for name, values in wide.iterrows():
            cells = "".join(f"{values[k]:>11.3g} ± {conf.loc[name, k]:<6.2g}" if np.isfinite(conf.loc[name, k])
                            else f"{values[k]:>11.3g}{'':9}" for k in main)
            print(f"    {name:<44}{cells}")
    for line in noise_warnings(indices):
        print(f"warning: {line}; a larger --n or --replications narrows the intervals", file=sys.stderr)


def _run_study(args: argparse.Namespace, method: str, n: int) -> int:
    from model.experiments.plots import plot_indices
    from model.experiments.runner import check_executor, make_executor
    from model.experiments.sensitivity import StudyInterruptedError, as_target, check_study, load_space, run_study

    scenario = _target(args)
    seed = args.seed if args.seed is not None else (scenario.run.seed if isinstance(scenario, Scenario) else Run().seed)
    target = as_target(scenario, args.engine)
    if args.targets is not None:
        from model.experiments.targets import CalibrationTarget, check_windows, load_targets

        if not isinstance(scenario, Scenario):
            return fail("--targets: compares a scenario with published figures, not the ishigami test model")
        targets = load_targets(None if args.targets == "committed" else args.targets)
        check_windows(targets, scenario)
        target = CalibrationTarget(scenario, args.engine, targets=targets)
    space = load_space(args.space) if args.space else None
    options = {"second_order": getattr(args, "second_order", False), "levels": getattr(args, "levels", 4),
               "replications": args.replications or 1, "seed_policy": args.seed_policy,
               "outputs": tuple(o.strip() for o in args.outputs.split(",")) if getattr(args, "outputs", None) else None,
               "max_runs": args.max_runs}
    _, _, _, runs = check_study(target, space, method, n, seed, **options)  # every argument, before any worker starts
    check_executor(args.executor, args.workers, args.scheduler)
    if isinstance(scenario, Scenario):
        print(f"carecon {args.command}: {estimate(scenario, runs, pool_workers(args)).describe()}", file=sys.stderr)
    if problem := store_problem(args.store):
        return fail(problem)
    start = time.perf_counter()
    try:
        with (make_executor(args.executor, args.workers, args.scheduler) as pool,
              ProgressBar("runs", enabled=not args.quiet) as bar):
            study = run_study(target, space, method, n, seed, pool, args.store, args.resume, bar,
                              chunk_size=args.chunk, **options)
    except StudyInterruptedError as err:
        return fail(str(err))
    name = target.name
    print(f"\n{name}: {method} study, {len(study.results)} of {study.manifest['n_runs']} runs "
          f"({study.manifest['sessions'][-1]['runs_after'] - study.manifest['sessions'][-1]['runs_before']} "
          f"run now, {time.perf_counter() - start:.1f} s); stored in {study.path}")
    if not study.complete:
        return fail(f"study incomplete; continue it with --resume (stored in {study.path})")
    if len(study.indices):
        _print_indices(study.indices)
        _print_undefined(study.results, study.manifest.get("options", {}).get("outputs", ()))
        study.indices.to_csv(study.path / "indices.csv", index=False)
        if not args.no_figures:
            plot_indices(study.indices, study.path / "indices.png", title=f"{name}: {method}, N = {n}")
    else:
        study.table().to_csv(study.path / "table.csv", index=False)
        print(f"  design and outputs: {study.path / 'table.csv'}")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    return _run_study(args, args.design, args.n)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    return _run_study(args, args.method, args.n)


def cmd_studies(args: argparse.Namespace) -> int:
    from model.experiments.store import list_studies, load_study

    if args.studies_command == "list":
        table = list_studies(args.store)
        if table.empty:
            print(f"no studies in {args.store}/")
            return 0
        for row in table.itertuples():
            print(f"{row.path}  {row.target:<16} {row.method:<7} n={row.n:<6} {row.runs_done:>7}/{row.n_runs:<7} "
                  f"{row.status:<12} {row.created}  {row.code_version}{row.problem}")
        return 0
    study = load_study(args.path)
    m = study.manifest
    print(f"{study.path}: {m['target']['name']} {m['method']} n={m['n']} seed={m['seed']}, "
          f"{len(study.results)} of {m['n_runs']} runs, status {m['status']}, code {m['code_version']}")
    print(f"  parameters: {', '.join(m['space']['parameters'])}")
    for s in m["sessions"]:
        print(f"  session {s['started']} {s['executor']} x{s['workers']}: runs {s['runs_before']} -> "
              f"{s['runs_after']} ({s['status']})")
    if len(study.indices):
        _print_indices(study.indices)
        _print_undefined(study.results, m.get("options", {}).get("outputs", ()))
        if args.plot:
            from model.experiments.plots import plot_indices

            plot_indices(study.indices, study.path / "indices.png", title=f"{m['target']['name']}: {m['method']}")
    return 0

