"""What a user types cannot exhaust the machine, run away with its cores, or lose results (issue 26).

Bounded parsing of every TOML input, list parameters checked element by element, a population
that would outgrow memory refused, outputs that replace a directory as a whole (a kill or a full
disk leaves the previous ones), the study store's damaged, locked and stopped studies, workers
bounded by the machine's cores and ended with their parent. Each test registers the input class
it tries (:func:`tests.inputs_table.handles`); ``docs/reference/inputs.md`` is generated from them.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from model.experiments import store
from model.experiments.runner import StudyCancelledError, machine_cores, make_executor
from model.experiments.sensitivity import load_space, loads_space, run_study
from model.run import outputs
from model.scenario import (
    MAX_KEY_PARTS,
    MAX_NESTING,
    MAX_TOML_BYTES,
    ScenarioError,
    load_scenario,
    loads_scenario,
    parameter_table,
    parse_override,
)
from tests import inputs_table
from tests.conftest import ROOT, check_one_line_error, shrink, write_toml
from tests.inputs_table import handles
from tests.test_cli import invoke

SMALL = ["--people", "40", "--months", "6", "--replications", "1", "--set", "councils.0.rollout.start_month=1",
         "--set", "councils.0.rollout.duration_months=2", "--quiet", "--no-figures"]
LONG_KEY = "a" + ".a" * 60_000 + " = 1\n"             # 120 kB: tomllib alone needs gigabytes for it
DEEP = "x = " + "[" * 2_000 + "]" * 2_000 + "\n"       # 4 kB: tomllib alone ends in RecursionError
DEEP_TABLE = "x = " + "{a = " * 40 + "1" + "}" * 40 + "\n"


def refused(fn, *args, field: str = "", **kwargs) -> str:
    """Call ``fn(*args, **kwargs)``; it must raise ScenarioError whose message is one line (naming ``field``)."""
    with pytest.raises(ScenarioError) as info:
        fn(*args, **kwargs)
    message = str(info.value)
    assert message and "\n" not in message, repr(message)
    assert field in message, f"{field!r} not in {message!r}"
    return message


# ---------------------------------------------------------------------------------------- bounded parsing
@handles("scenario file, upload, --set, parameter space", "dotted key of 60,000 parts (120 kB)",
         "refused before parsing: 'a dotted key is too long (at most 16 parts)'")
@handles("scenario file, upload, --set, parameter space", "arrays or inline tables nested 2,000 or 40 deep",
         "refused before parsing: 'arrays and tables nest too deep (at most 16 levels)'")
@handles("scenario file, upload, parameter space", "text over 256 kB", "refused: 'too large'")
@pytest.mark.parametrize(("text", "value", "words"), [
    (LONG_KEY, "{ " + LONG_KEY.strip() + " }", "dotted key is too long"),
    (DEEP, DEEP.partition("=")[2], "nest too deep"), (DEEP_TABLE, DEEP_TABLE.partition("=")[2], "nest too deep"),
    ("# padding\n" * (MAX_TOML_BYTES // 10 + 1), "[" + "1," * (MAX_TOML_BYTES // 2) + "]", "too large")])
def test_text_beyond_the_bounds_is_refused_everywhere_in_one_line(tmp_path, text, value, words):
    start = time.perf_counter()
    assert words in refused(loads_scenario, text, field="uploaded scenario")
    assert words in refused(loads_space, text, field="parameter space")
    for loader, name in ((load_scenario, "s.toml"), (load_space, "space.toml")):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert words in refused(loader, path, field=name)
    assert words in refused(parse_override, f"demography.group_mix={value}", field="override 'demography.group_mix'")
    assert time.perf_counter() - start < 5  # refused before the parser, not after it gave up


@handles("--set", "key of more than 16 dotted parts", "refused: 'a key must have at most 16 dotted parts'")
def test_a_set_key_of_too_many_parts_is_refused():
    refused(parse_override, "a" + ".a" * 60_000 + "=1", field="at most 16 dotted parts")


@handles("scenario file, upload, --set", "keys of 16 parts, nesting 16 deep, dots in strings, comments and numbers",
         "parsed as TOML (then validated)")
def test_text_just_inside_the_bounds_is_parsed():
    from model.scenario import read_toml_text

    key = ".".join(["k"] * MAX_KEY_PARTS)
    nested = "[" * MAX_NESTING + "1" + "]" * MAX_NESTING
    data = read_toml_text(f'{key} = 1.5\nv = {nested}\ns = "{"a." * 40}"\n# {"b." * 40}\nt = 1979-05-27T07:32:00.5\n',
                          "t")
    node = data
    for _ in range(MAX_KEY_PARTS):
        node = node["k"]
    assert node == 1.5 and data["s"].count(".") == 40 and data["t"].microsecond == 500_000
    expected: object = 1
    for _ in range(MAX_NESTING):
        expected = [expected]
    assert data["v"] == expected and parse_override(f"x={nested}")[1] == expected


@handles("scenario file, parameter space", "file that is not UTF-8 text", "refused: 'not UTF-8 text (byte N is 0x..)'")
@handles("scenario file, parameter space", "file that cannot be read", "refused: 'cannot be read (Permission denied)'")
def test_non_utf8_and_unreadable_files_are_one_line_errors(tmp_path, monkeypatch):
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('name = "Caf\xe9"\n'.encode("latin-1"))
    for loader in (load_scenario, load_space):
        assert "not UTF-8 text (byte 11 is 0xe9)" in refused(loader, bad, field="latin1.toml")
    code, _, err = invoke(["validate", str(bad)])
    assert code == 2 and err.count("\n") == 1 and "not UTF-8" in err

    locked = write_toml(tmp_path / "locked.toml", {"extends": "sds_rollout"})
    if os.geteuid() == 0:  # root reads anything: make the open fail as it would for another user
        real_open = Path.open

        def deny(self, *args, **kwargs):
            if self == locked:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
            return real_open(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", deny)
    else:
        locked.chmod(0)
    for loader in (load_scenario, load_space):
        assert "cannot be read (Permission denied)" in refused(loader, locked, field="locked.toml")


MEMORY_PROBE = textwrap.dedent('''
    import resource, sys
    from model.scenario import MAX_TOML_BYTES, MAX_KEY_PARTS, MAX_NESTING, ScenarioError, load_scenario, loads_scenario
    from model.scenario import parse_override, read_toml_text

    def vm_bytes():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))

    cap = vm_bytes() + 200 * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    size = MAX_TOML_BYTES - 64
    key = ".".join(["k"] * MAX_KEY_PARTS)
    nested = "[" * MAX_NESTING + "1" + "]" * MAX_NESTING
    inputs = {
        "longest keys": "".join(f"{key}{i} = {i}\\n" for i in range(size // (len(key) + 12))),
        "deepest arrays": "".join(f"v{i} = {nested}\\n" for i in range(size // (len(nested) + 10))),
        "array tables": "[[t]]\\n" * (size // 6),
        "small inline tables": "v = [" + "{a = 1}," * (size // 8 - 1) + "]\\n",
        "empty arrays": "v = [" + "[]," * (size // 3 - 2) + "]\\n",
        "long string": 'v = "' + "x" * (size - 8) + '"\\n',
        "floats": "v = [" + "1.5," * (size // 4 - 2) + "]\\n",
        "dotted key, 60,000 parts": "a" + ".a" * 60_000 + " = 1\\n",
        "nested 2,000 deep": "x = " + "[" * 2_000 + "]" * 2_000 + "\\n",
    }
    for name, text in inputs.items():
        try:
            read_toml_text(text, name)
        except ScenarioError:
            assert name.startswith(("dotted", "nested")), name
        else:
            assert not name.startswith(("dotted", "nested")), name
    # the largest scenario the schema accepts: 64 councils, the longest description and question
    data = load_scenario("multi_council").to_dict()
    data.update(description="d" * 4000, question="q" * 4000)
    council = data["councils"][0]
    data["councils"] = [{**council, "name": f"council {i}", "population_share": 1 / 64} for i in range(64)]
    import tomli_w
    text = tomli_w.dumps(data)
    assert len(loads_scenario(text).councils) == 64
    assert parse_override("v=" + nested)[1]
    print("ok", len(text), cap - vm_bytes())
''')


@handles("scenario file, upload, --set, parameter space", "the largest and most nested text the bounds accept",
         "parsed within a 200 MB address-space cap (no MemoryError)")
def test_parsing_any_accepted_input_stays_under_200_mb():
    proc = subprocess.run([sys.executable, "-c", MEMORY_PROBE], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("ok"), proc.stdout


# ---------------------------------------------------------------------------------------- list parameters
LISTS = [r for r in parameter_table()
         if isinstance(r["default"], list) and all(isinstance(v, int | float) for v in r["default"])]


@handles("scenario file, upload, --set", "an unknown or repeated lever in budgets.lever_order",
         "refused: one line naming budgets.lever_order and the levers allowed")
@pytest.mark.parametrize("order", [["nonsense"], ["charging", "charging"]])
def test_a_bad_lever_order_is_refused_in_one_line(small_scenario, order):
    with pytest.raises(ScenarioError) as err:
        small_scenario.with_overrides({"budgets.lever_order": order})
    check_one_line_error(str(err.value), "budgets.lever_order")


@handles("scenario file, upload, --set", "NaN, inf or out-of-range element in a list parameter (every list field)",
         "refused: '<field>: element i is nan; each must be a finite number in the range (allowed: lo to hi unit)'")
@pytest.mark.parametrize("row", LISTS, ids=[r["name"] for r in LISTS])
def test_every_element_of_every_list_parameter_is_checked(small_scenario, row):
    name = row["name"].replace(".N.", ".0.")
    lo, hi = row["range"]
    assert lo is not None and hi is not None, f"{name} has no documented range"
    whole = row["element"] == "int"
    good = list(row["default"]) or [int(lo) if whole else float(lo)]  # an empty default: one valid element
    for bad in [lo - 1, hi + 1] + ([] if whole else [float("nan"), float("inf"), float("-inf")]):
        value = good.copy()
        value[-1] = bad
        message = refused(small_scenario.with_overrides, {name: value}, field=name)
        assert f"element {len(good) - 1} is" in message and "allowed:" in message
    if row["default"]:  # a list that is empty by default may need a partner list of the same length
        small_scenario.with_overrides({name: good})


@handles("scenario file", "choice.asc = [nan, 0, 0, 0] (everyone on Option 1 before)", "refused, naming choice.asc")
def test_the_reported_list_cases_are_refused_in_files(tmp_path):
    for key, value in (("choice.asc", "[nan, 0, 0, 0]"), ("choice.control", "[-5, 0.6, 0, 0.6]")):
        section, _, field = key.partition(".")
        path = tmp_path / "s.toml"
        path.write_text(f'extends = "sds_rollout"\n[{section}]\n{field} = {value}\n', encoding="utf-8")
        code, _, err = invoke(["validate", str(path)])
        assert code == 2
        check_one_line_error(err, key)


# ---------------------------------------------------------------------------------------- population
TOP_INCIDENCE = {"demography.referral_incidence": [1000.0] * 4, "demography.known_per_1000_adults": 0.1}


@handles("scenario, --set", "demography.referral_incidence at the top of its range against 0.1 known per 1,000 adults",
         "refused before running: the population would grow to about 9e8 (at most 10,000,000)")
def test_a_population_that_would_outgrow_memory_is_refused_before_running():
    message = refused(load_scenario, "sds_rollout", TOP_INCIDENCE, field="demography.referral_incidence")
    assert "10,000,000" in message and "month 120" in message


@handles("scenario", "five times the referral incidence over 24 months, 300 people",
         "accepted; the run stays under the estimate")
def test_the_population_estimate_bounds_a_real_run():
    from model.run.simulation import simulate

    scenario = shrink("sds_rollout", 300, 24, **{"demography.referral_incidence": [36.0, 4.5, 1.6, 1.5]})
    result = simulate(scenario, seed=1)
    assert 300 < result.monthly["people"].max() <= scenario.expected_population()


# ---------------------------------------------------------------------------------------- outputs of run
def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def previous(tmp_path) -> Path:
    """An output directory holding a finished run (seed 1, with figures)."""
    out = tmp_path / "out"
    code, _, err = invoke(["run", "sds_rollout", *SMALL[:-1], "--seed", "1", "--out", str(out)])
    assert code == 0, err
    return out


@handles("carecon run", "--out holding an earlier run", "one-line warning first; replaced as a whole at the end")
def test_a_second_run_warns_and_replaces_the_directory_as_a_whole(previous):
    assert (previous / "figures").is_dir()
    code, _, err = invoke(["run", "sds_rollout", *SMALL, "--seed", "2", "--out", str(previous)])
    assert code == 0
    assert err.count("warning:") == 1 and "replaces them" in err
    assert not (previous / "figures").exists()  # nothing of the earlier run is left beside the new one
    assert "seed = 2" in (previous / "scenario.toml").read_text()
    assert [p.name for p in previous.parent.iterdir() if p.name.startswith(".")] == []


@handles("carecon run", "--out a file, below a file, not writable, or holding other files",
         "refused before computing, one line")
@pytest.mark.parametrize("case", ["file", "below_file", "not_writable", "foreign"])
def test_a_bad_out_is_refused_before_computing(tmp_path, monkeypatch, case):
    (tmp_path / "file").write_text("x")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("x")
    out = {"file": tmp_path / "file", "below_file": tmp_path / "file" / "out", "foreign": tmp_path / "mine",
           "not_writable": Path("/proc/carecon-out")}[case]
    from model.run import simulation

    def never(*args, **kwargs):
        raise AssertionError("the model ran before --out was checked")

    monkeypatch.setattr(simulation, "simulate", never)
    code, _, err = invoke(["run", "sds_rollout", *SMALL, "--out", str(out)])
    assert code == 2 and err.startswith("error: output directory") and err.count("\n") == 1, err
    assert (tmp_path / "mine" / "thesis.docx").exists()


@handles("carecon run", "disk full (ENOSPC) while writing the outputs",
         "one line; the previous outputs intact, nothing partial left")
def test_a_full_disk_while_writing_keeps_the_previous_outputs(previous, monkeypatch):
    before = files(previous)
    real = pd.DataFrame.to_parquet
    calls = []

    def full_disk(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            real(self, path, *args, **kwargs)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full_disk)
    code, _, err = invoke(["run", "sds_rollout", *SMALL, "--seed", "2", "--out", str(previous)])
    lines = err.splitlines()
    assert code == 2 and "Traceback" not in err and any(line.startswith("warning:") for line in lines), err
    assert lines[-1].startswith("error: output directory") and "No space left on device" in lines[-1]
    assert "previous contents are kept" in lines[-1]
    assert files(previous) == before
    assert [p.name for p in previous.parent.iterdir()] == ["out"]


KILLED_RUN = textwrap.dedent('''
    import pathlib, sys, time
    import pandas as pd
    from model.cli.main import main
    real, calls = pd.DataFrame.to_parquet, []
    def slow(self, path, *args, **kwargs):
        calls.append(path)
        real(self, path, *args, **kwargs)
        if len(calls) == 2:
            pathlib.Path(sys.argv[1]).write_text("writing")
            time.sleep(60)
    pd.DataFrame.to_parquet = slow
    main(sys.argv[2:])
''')


@handles("carecon run", "killed (SIGKILL) in the middle of writing its outputs",
         "the previous outputs intact; the next run removes the unfinished copy")
def test_a_run_killed_while_writing_keeps_the_previous_outputs(previous, tmp_path):
    before = files(previous)
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(marker), "run", "sds_rollout", *SMALL,
                             "--seed", "2", "--out", str(previous)], cwd=ROOT, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 240
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()[-2000:]
            time.sleep(0.1)
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
    assert files(previous) == before
    partial = [p for p in previous.parent.iterdir() if p.name.startswith(".out.")]
    assert len(partial) == 1 and partial[0].name.endswith(".partial")
    code, _, err = invoke(["run", "sds_rollout", *SMALL, "--seed", "3", "--out", str(previous)])
    assert code == 0, err
    assert sorted(p.name for p in previous.parent.iterdir()) == ["marker", "out"]


@handles("carecon run", "killed between moving the previous outputs aside and renaming the new ones in",
         "the next run puts the previous outputs back first")
def test_outputs_moved_aside_by_a_killed_run_are_put_back(previous):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(gone.stdout)
    before = files(previous)
    previous.rename(previous.with_name(f".out.{pid}.old"))
    assert outputs.check_target(previous)  # the earlier outputs are back, to be replaced by this run
    assert files(previous) == before and sorted(p.name for p in previous.parent.iterdir()) == ["out"]


@handles("carecon run, compare", "scenario name '../../x' or an absolute path",
         "the default output directory stays below outputs/ (name made safe)")
@pytest.mark.parametrize("name", ["../../escaped", "/tmp/escaped-abs"])
def test_the_default_output_directory_stays_below_outputs(tmp_path, monkeypatch, name):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    path = write_toml(work / "s.toml", {"extends": "sds_rollout", "name": name})
    code, _, err = invoke(["run", str(path), *SMALL])
    assert code == 0, err
    code, _, err = invoke(["compare", str(path), "sds_rollout", *SMALL, "--executor", "serial"])
    assert code == 0, err
    made = sorted(p.name for p in (work / "outputs").iterdir())
    assert len(made) == 2 and all("/" not in m and not m.startswith(".") for m in made), made
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"] and sorted(os.listdir(work)) == ["outputs", "s.toml"]
    assert not Path("/tmp/escaped-abs").exists()


# ---------------------------------------------------------------------------------------- studies
def ishigami(root: Path, **kw):
    return run_study("ishigami", None, "morris", 4, 1, None, store_root=root, **kw)


@handles("carecon studies list", "a damaged manifest (not JSON, {}, missing)",
         "that study listed as damaged with the reason; the others as usual")
def test_a_damaged_manifest_is_reported_for_that_study_only(tmp_path):
    good = ishigami(tmp_path).path
    for name, text in (("x-broken", "{not json"), ("x-empty", "{}"), ("x-list", "[1]")):
        (tmp_path / name).mkdir()
        (tmp_path / name / store.MANIFEST).write_text(text)
    (tmp_path / "x-nothing").mkdir()
    table = store.list_studies(tmp_path).set_index("path")
    assert table.loc[str(good), "status"] == "complete" and table.loc[str(good), "problem"] == ""
    problems = table[table.status == "damaged"].problem
    assert len(problems) == 4 and all("manifest.json is damaged" in p for p in problems)
    assert "'key' is missing" in problems[str(tmp_path / "x-empty")]
    code, out, err = invoke(["studies", "list", "--store", str(tmp_path)])
    assert code == 0 and sum("manifest.json is damaged" in line for line in out.splitlines()) == 4, err
    assert "complete" in out


@handles("sensitivity --resume", "the study's manifest replaced by {}",
         "refused: 'manifest.json is damaged ...' (no silent new study)")
def test_resume_of_a_study_with_an_empty_manifest_is_refused_not_restarted(tmp_path):
    path = ishigami(tmp_path).path
    (path / store.MANIFEST).write_text("{}")
    refused(ishigami, tmp_path, resume=True, field="manifest.json is damaged")
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


@handles("sensitivity --resume", "the same study resumed twice at once", "the second refused: 'already running'")
def test_one_study_runs_in_one_process_at_a_time(tmp_path):
    cancel = threading.Event()
    cancel.set()
    path = ishigami(tmp_path, cancel=cancel, chunk_size=1).path
    with store.running(path):
        refused(ishigami, tmp_path, resume=True, field="already running")
        assert store.list_studies(tmp_path).status.tolist() == ["cancelled"]
    assert ishigami(tmp_path, resume=True).complete


KILLED_STUDY = textwrap.dedent('''
    import sys, time
    from model.experiments.sensitivity import run_study
    def slow(done, total):
        print(done, flush=True)
        time.sleep(60)
    run_study("ishigami", None, "morris", 4, 1, None, store_root=sys.argv[1], progress=slow, chunk_size=1)
''')


@handles("carecon studies list", "a study whose process was killed", "listed as stopped; --resume completes it")
def test_a_killed_study_is_shown_as_stopped(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", KILLED_STUDY, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"1"
        assert store.list_studies(tmp_path).status.tolist() == ["running"]
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    assert store.list_studies(tmp_path).status.tolist() == ["stopped"]
    assert ishigami(tmp_path, resume=True).manifest["sessions"][-1]["runs_before"] == 1


@handles("sensitivity", "two identical studies started in the same second", "two studies, the second with suffix -2")
def test_identical_studies_in_the_same_second_get_their_own_directories(tmp_path, monkeypatch):
    from datetime import datetime

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 1, 1, tzinfo=tz)

    monkeypatch.setattr(store, "datetime", Frozen)
    a, b = ishigami(tmp_path).path, ishigami(tmp_path).path
    assert b == a.with_name(a.name + "-2")
    assert ishigami(tmp_path, resume=True).path == b


@handles("sensitivity, studies list", "--store naming a file", "refused: \"study store '...': is a file\"")
@handles("sensitivity", "--seed -1 or 2**70", "refused as run refuses it: 'seed: must be a whole number from 0 to ...'")
@handles("sensitivity", "a study above --max-runs (Sobol N = 1,048,576)",
         "refused before any worker starts: 'above the limit of 100,000; raise the limit'")
@pytest.mark.parametrize(("argv", "words"), [
    (["--store", "FILE"], "is a file"), (["--seed", "-1"], "seed: must be a whole number from 0"),
    (["--seed", str(2**70)], "seed: must be a whole number from 0"),
    (["--n", "1048576"], "above the limit of 100,000"), (["--max-runs", "10"], "above the limit of 10;"),
])
def test_study_requests_that_were_tracebacks_are_one_line(tmp_path, monkeypatch, argv, words):
    from model.experiments import runner

    started = []
    monkeypatch.setattr(runner, "make_executor", lambda *args: started.append(args) or make_executor("serial"))
    (tmp_path / "FILE").write_text("x")
    argv = [a.replace("FILE", str(tmp_path / "FILE")) for a in argv]
    base = ["sensitivity", "ishigami", "--method", "sobol", "--n", "8", "--quiet", "--store", str(tmp_path / "studies")]
    code, _, err = invoke([*base, *argv])
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1 and words in err, err
    assert started == [] or "--store" in argv  # refused before any worker is started (the store: when it is made)
    if "--store" in argv:
        code, _, err = invoke(["studies", "list", *argv])
        assert code == 2 and words in err and err.count("\n") == 1, err


@handles("sensitivity", "disk full when the study stores its indices at the end",
         "one line; the runs are kept and --resume analyses them")
def test_a_full_disk_at_the_end_of_a_study_keeps_the_runs(tmp_path, monkeypatch):
    real = pd.DataFrame.to_parquet

    def full_for_indices(self, path, *args, **kwargs):
        if store.INDICES in str(path):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full_for_indices)
    argv = ["sensitivity", "ishigami", "--method", "morris", "--n", "4", "--executor", "serial", "--quiet",
            "--store", str(tmp_path), "--no-figures"]
    code, _, err = invoke(argv)
    assert code == 2 and err.count("\n") == 1 and "No space left on device" in err, err
    monkeypatch.setattr(pd.DataFrame, "to_parquet", real)
    code, out, err = invoke([*argv, "--resume"])
    assert code == 0 and "mu_star" in out, err
    (path,) = tmp_path.iterdir()
    study = store.load_study(path)
    assert study.complete and study.manifest["sessions"][-1]["runs_before"] == study.manifest["n_runs"]
    assert not study.indices.empty


@handles("sensitivity (library, dashboard)", "cancel while the design points are being checked",
         "stopped before any study is stored")
def test_cancel_acts_while_design_points_are_checked(tmp_path, small_scenario):
    cancel = threading.Event()
    cancel.set()
    space = load_space(ROOT / "spaces" / "support.toml")
    with pytest.raises(StudyCancelledError, match="before any run"):
        run_study(small_scenario, space, "lhs", 50, 1, None, store_root=tmp_path, cancel=cancel)
    assert not any(tmp_path.iterdir())


# ---------------------------------------------------------------------------------------- executors
@handles("compare, sweep, sensitivity", "--workers above this machine's cores (e.g. 5000)",
         "refused: 'workers: must be between 1 and N (this machine's cores)'")
def test_more_workers_than_cores_are_refused(tmp_path):
    refused(make_executor("local", machine_cores() + 1).__enter__, field="this machine's cores")
    code, _, err = invoke(["compare", "baseline", "sds_rollout", "--workers", "5000", "--quiet",
                           "--out", str(tmp_path / "out")])
    last = err.splitlines()[-1]
    assert code == 2 and "Traceback" not in err and last.startswith("error: --workers: must be between 1 and"), err


ORPHAN = textwrap.dedent('''
    import os, time
    from model.experiments.runner import make_executor
    with make_executor("local", 1) as pool:
        print(pool.submit(os.getpid).result(), flush=True)
        time.sleep(120)
''')


@handles("compare, sweep, sensitivity", "the study's process killed (SIGKILL) while its pool is up",
         "the pool's worker processes exit by themselves")
def test_local_workers_exit_when_their_parent_is_killed():
    proc = subprocess.Popen([sys.executable, "-c", ORPHAN], cwd=ROOT, stdout=subprocess.PIPE)
    try:
        worker = int(proc.stdout.readline())
        os.kill(worker, 0)  # alive while the parent is
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if not running(worker):
            return
        time.sleep(0.2)
    os.kill(worker, signal.SIGKILL)
    pytest.fail(f"worker {worker} outlived its parent by 15 s")


INTERRUPTED = textwrap.dedent('''
    import os, signal, time
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal (a test runner may ignore it)
    from model.experiments.runner import make_executor
    with make_executor("local", 1) as pool:
        print(pool.submit(os.getpid).result(), flush=True)
        pool.submit(time.sleep, 600).result()  # a chunk that would hold the pool for ten minutes
''')


@handles("compare, sweep, sensitivity", "Ctrl-C (SIGINT) while a chunk is under way",
         "the chunk is abandoned and the pool's workers end at once; the finished runs are kept")
def test_ctrl_c_ends_the_workers_without_waiting_for_the_chunk_under_way():
    proc = subprocess.Popen([sys.executable, "-c", INTERRUPTED], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        worker = int(proc.stdout.readline())
        time.sleep(1)  # let the long chunk reach the worker
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)  # far less than the chunk's ten minutes
    finally:
        proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    assert b"KeyboardInterrupt" in err
    assert not running(worker)


def running(pid: int) -> bool:
    """Whether process ``pid`` exists and has not exited (an exited one not yet reaped is a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return True


@handles("--executor dask-local", "port 8787 already taken", "the cluster starts; nothing binds a fixed port")
def test_a_dask_local_cluster_binds_no_fixed_port():
    with socket.socket() as taken:
        try:
            taken.bind(("127.0.0.1", 8787))
            taken.listen()
        except OSError:
            pass  # already taken by someone else: the case this tests
        with make_executor("dask-local", 1) as pool:
            assert pool.submit(sum, [1, 2]).result() == 3


# ---------------------------------------------------------------------------------------- the table
def test_the_inputs_table_in_docs_is_generated_from_the_tests():
    assert inputs_table.TABLE.read_text(encoding="utf-8") == inputs_table.render(), \
        "docs/reference/inputs.md is out of date: run python -m tests.inputs_table"
