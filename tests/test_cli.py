"""The command line: validate, list and run; every bad input is one line on stderr, exit status 2."""

from __future__ import annotations

import contextlib
import copy
import io
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings

from model.cli.main import main
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
    (["--set", "councils.0.finance.annual_budget_per_person=-100"], "councils.0.finance.annual_budget_per_person"),
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
                       (["run", "sds_rollout", "--months", "abc"], "--months")):
        proc = subprocess.run([sys.executable, "-m", "model.cli", *argv], capture_output=True, text=True, cwd=ROOT,
                              timeout=120)
        assert proc.returncode == 2
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.startswith("error: ") and word in proc.stderr


def test_python_dash_m_knows_the_experiment_commands():
    """``python -m model.cli.main`` runs as ``__main__``; the experiment commands register themselves with
    the importable ``model.cli.main``, so ``__main__`` must hand over to it (it once said "invalid choice:
    'sensitivity'")."""
    for command in ("compare", "sweep", "sensitivity"):
        proc = subprocess.run([sys.executable, "-m", "model.cli", command, "--help"], capture_output=True, text=True,
                              cwd=ROOT, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith(f"usage: carecon {command}")
