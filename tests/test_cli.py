"""The command line: validate, list and run; every bad input is one line on stderr, exit status 2, and is
refused before any worker starts; library errors are put in flag words here only."""

from __future__ import annotations

import contextlib
import copy
import io
import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings

from model.cli.args import in_flag_words
from model.cli.main import main
from model.cli.reference import render
from model.scenario import ScenarioError, parse_override
from tests.conftest import ROOT, bad_scenarios, check_one_line_error, write_toml

SMALL_RUN = ["--people", "60", "--months", "12", "--replications", "1", "--set", "councils.0.rollout.start_month=2",
             "--set", "councils.0.rollout.duration_months=6", "--quiet", "--no-figures"]


def invoke(argv):
    """Run ``carecon`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def assert_refused(argv, field):
    code, _, err = invoke(argv)
    assert code == 2, err
    assert err.startswith("error: "), err
    check_one_line_error(err, field)


def test_validate_and_list_succeed():
    code, out, _ = invoke(["validate", "multi_council"])
    assert code == 0 and out.startswith("ok: scenario 'multi_council' is valid (3 council(s)")
    code, out, _ = invoke(["list"])
    assert code == 0
    for name in ("baseline", "sds_rollout", "austerity", "protect_day_centres", "targeted_support", "multi_council"):
        assert name in out


def test_validate_a_file_that_extends_a_built_in(tmp_path):
    path = write_toml(tmp_path / "mine.toml", {"extends": "sds_rollout", "name": "mine", "run": {"people": 500}})
    code, out, _ = invoke(["validate", str(path)])
    assert code == 0 and "500 people" in out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=bad_scenarios())
def test_generated_bad_files_are_refused_by_validate_and_run(valid_dict, tmp_path_factory, bad):
    mutate, field = bad
    data = copy.deepcopy(valid_dict)
    mutate(data)
    folder = tmp_path_factory.mktemp("bad")
    path = write_toml(folder / "bad.toml", data)
    assert_refused(["validate", str(path)], field)
    assert_refused(["run", str(path), "--out", str(folder / "out"), "--quiet"], field)
    assert not (folder / "out").exists(), "nothing is written for a refused scenario"


@pytest.mark.parametrize(("argv", "field"), [
    (["--people", "-5"], "run.people"),
    (["--people", "5"], "run.people"),
    (["--months", "0"], "run.months"),
    (["--replications", "0"], "run.replications"),
    (["--seed", "-1"], "run.seed"),
    (["--months", "12"], "rollout"),  # the default rollout (6 + 36 months) is longer than 12 months
    (["--set", "carers.crisis_probability=1.5"], "carers.crisis_probability"),
    (["--set", "councils.0.finance.cash_per_head=-100"], "councils.0.finance.cash_per_head"),
    (["--set", "run.people=lots"], "run.people"),
    (["--set", "demography.colour=1"], "demography.colour"),
])
def test_bad_flags_and_overrides_are_refused(argv, field):
    assert_refused(["run", "sds_rollout", *argv, "--out", "/nonexistent/never-written", "--quiet"], field)
    if argv[0] == "--set":
        assert_refused(["validate", "sds_rollout", *argv], field)


@pytest.mark.parametrize(("argv", "words"), [
    (["run", "sds_rollout", "--months", "abc"], ["--months", "whole number", "abc"]),
    (["run", "sds_rollout", "--people", "1.5"], ["--people", "whole number"]),
    (["run", "sds_rollout", "--engine", "turbo"], ["--engine", "vector", "agents"]),
    (["validate", "sds_rollout", "--set", "run.months"], ["--set", "dotted.key=value"]),
    (["validate", "sds_rollout", "--set", "councils.7.name=x"], ["councils.7.name", "0 to 0"]),
    (["validate", "no_such_scenario"], ["not found", "sds_rollout"]),
    (["frobnicate"], ["frobnicate"]),
])
def test_usage_errors_are_one_line(argv, words):
    code, _, err = invoke(argv)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for w in words:
        assert w in err


def test_run_to_a_file_path_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    code, _, err = invoke(["run", "sds_rollout", *SMALL_RUN, "--out", str(target)])
    assert code == 2 and "output directory" in err and err.count("\n") == 1


def test_a_real_process_prints_one_line_and_no_traceback(tmp_path):
    path = write_toml(tmp_path / "bad.toml", {"extends": "sds_rollout", "carers": {"breakdown_probability": 7}})
    for argv, word in ((["validate", str(path)], "carers.breakdown_probability"),
                       (["run", "sds_rollout", "--months", "abc"], "--months"),
                       (["sensitivity", "ishigami", "--n", "3", "--store", str(tmp_path)], "--n: Sobol")):
        proc = subprocess.run([sys.executable, "-m", "model.cli", *argv], capture_output=True, text=True, cwd=ROOT,
                              timeout=120)
        assert proc.returncode == 2
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.startswith("error: ") and word in proc.stderr


@pytest.mark.parametrize("module", ["model.cli", "model.cli.main"])
def test_python_dash_m_knows_every_command(module):
    """Both ``python -m`` forms have every command (``-m model.cli`` once said "invalid choice: 'sensitivity'"):
    the top-level help lists each command (one process per form: each process costs an import of the model)."""
    proc = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    listed = {line.split()[0] for line in proc.stdout.split("COMMAND\n", 1)[1].split("\n\n", 1)[0].splitlines()
              if line.startswith("    ") and not line.startswith("     ")}
    assert listed == {"run", "validate", "list", "compare", "sweep", "sensitivity", "targets", "calibrate", "report",
                      "studies"}


@pytest.mark.parametrize("module", ["model.experiments.runner", "model.experiments.sensitivity"])
def test_an_experiment_module_that_fails_to_import_is_reported_in_one_line(monkeypatch, tmp_path, module):
    """The commands are registered explicitly and import the experiment layer when they run: a module that
    cannot be imported is named in one line by the command that needs it (it used to make compare, sweep,
    sensitivity and studies vanish as "invalid choice"), and the other commands still work."""
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now raises ImportError
    code, _, err = invoke(["sensitivity", "ishigami", "--n", "8", "--executor", "serial", "--store", str(tmp_path),
                           "--quiet", "--no-figures"])
    assert code == 1
    assert err.startswith("error: carecon sensitivity: cannot import ") and err.count("\n") == 1, err
    assert module in err and "invalid choice" not in err
    assert invoke(["sensitivity", "--help"])[0] == 0
    assert invoke(["validate", "sds_rollout"])[0] == 0


@pytest.mark.parametrize(("argv", "words"), [
    (["sensitivity", "ishigami", "--method", "sobol", "--n", "3"], ["--n: ", "power of two", "got 3"]),
    (["sensitivity", "ishigami", "--method", "morris", "--n", "4", "--levels", "3"], ["--levels: ", "even"]),
    (["sensitivity", "ishigami", "--n", "8", "--outputs", "nonsense"], ["--outputs: ", "nonsense"]),
    (["sensitivity", "ishigami", "--n", "8", "--seed", "-1"], ["--seed: ", "from 0 to"]),
    (["sweep", "sds_rollout", "--space", "spaces/support.toml", "--design", "grid", "--n", "1"], ["--n: ", "grid"]),
    (["sweep", "sds_rollout", "--space", "spaces/support.toml", "--n", "4", "--set", "run.months=0"], ["run.months"]),
    (["sensitivity", "sds_rollout", "--n", "8"], ["--space: ", "a parameter space is needed"]),
    (["sensitivity", "ishigami", "--n", "8", "--store", "pyproject.toml"], ["--store: ", "is a file"]),
])
def test_study_arguments_are_refused_before_any_worker_starts(monkeypatch, tmp_path, argv, words):
    """A bad --n (or any other argument) is refused before the executor is made, so before any worker
    process starts (a local pool's workers used to start, and warm up for many seconds, first)."""
    from model.experiments import runner

    made = []
    monkeypatch.setattr(runner, "make_executor", lambda *a, **k: made.append(a))
    store = [] if "--store" in argv else ["--store", str(tmp_path)]
    code, _, err = invoke([*argv, *store, "--executor", "local", "--quiet", "--no-figures"])
    assert code == 2 and err.count("\n") == 1, err
    assert made == [], "the executor was made before the arguments were checked"
    for word in words:
        assert word in err, err


@pytest.mark.parametrize(("argv", "message"), [
    (["--executor", "mpi"], "--executor: must be one of local, dask, dask-local, serial (got 'mpi')"),
    (["--executor", "dask"], "--scheduler: the dask executor needs the scheduler address, e.g. tcp://HOST:8786"),
    (["--scheduler", "tcp://h:1"], "--scheduler: only used with the dask executor"),
])
def test_compare_refuses_executor_arguments_in_one_line_before_starting(monkeypatch, argv, message):
    from model.experiments import runner

    made = []
    monkeypatch.setattr(runner, "make_executor", lambda *a, **k: made.append(a))
    code, _, err = invoke(["compare", "sds_rollout", "baseline", *argv])
    assert (code, err, made) == (2, f"error: {message}\n", [])


def test_library_errors_name_inputs_in_library_words_and_the_cli_in_flags():
    """The library (which the dashboard also shows) words an input as the library calls it; only the command
    line turns that into a flag."""
    from model.experiments.sensitivity import check_design

    with pytest.raises(ScenarioError) as info:
        check_design("sobol", 3, 2)
    assert str(info.value).startswith("n: Sobol needs a power of two") and info.value.argument == "n"
    assert in_flag_words(info.value).startswith("--n: Sobol needs a power of two")
    with pytest.raises(ScenarioError) as info:
        parse_override("run.months")
    assert str(info.value) == "override 'run.months': expected dotted.key=value"
    assert in_flag_words(info.value) == "--set run.months: expected dotted.key=value"
    flagged = [f"{path.relative_to(ROOT)}:{n}" for path in sorted((ROOT / "model").rglob("*.py"))
               if "cli" not in path.parts
               for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if re.search(r"Error\(f?[\"']--", line)]
    assert flagged == [], f"errors worded as flags outside model/cli: {flagged}"


def test_the_cli_reference_page_is_current():
    """docs/reference/cli.md is rendered from the parser (``make docs``); it must say what the parser says."""
    page = ROOT / "docs" / "reference" / "cli.md"
    assert page.read_text(encoding="utf-8") == render(), "docs/reference/cli.md is out of date: run `make docs`"
    for command in ("run", "validate", "list", "compare", "sweep", "sensitivity", "studies list", "studies show"):
        assert f"## `carecon {command}`" in page.read_text(encoding="utf-8")


def test_a_flag_is_taken_only_as_written_in_full():
    """``--out`` on a command without it is refused, not read as ``--outputs`` (an unknown output)."""
    code, _, err = invoke(["sensitivity", "baseline", "--space", str(ROOT / "spaces" / "default.toml"), "--method",
                           "morris", "--n", "4", "--out", "somewhere"])
    assert code == 2 and err.count("\n") == 1
    assert "unrecognized arguments: --out somewhere" in err
