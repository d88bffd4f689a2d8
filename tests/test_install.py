"""The package installs: its wheel, installed into a fresh virtual environment outside the checkout, lists
the built-in scenarios and runs one there (the scenarios ship in the wheel and load through
importlib.resources, not from the source tree)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("install")]


def run(argv: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{' '.join(map(str, argv))}\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    assert not tmp_path.is_relative_to(ROOT)
    # Built from a copy of the working tree, links kept (setuptools writes build/ into the tree it builds).
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "outputs", "studies", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"))
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", tmp_path / "dist", source],
        cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("carecon-*.whl")

    # A fresh environment with the wheel alone; its dependencies are those of the running environment,
    # reached through a .pth file (a plain path entry: the editable install there is not activated).
    home = tmp_path / "venv"
    venv.create(home, with_pip=False)
    python = home / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path).stdout.strip())
    deps = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (site / "dependencies.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "--quiet", wheel],
        cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = run([python, "-c", "import model; print(model.__file__)"], elsewhere, env).stdout.strip()
    assert Path(where).is_relative_to(site), where

    listed = run([home / "bin" / "carecon", "list"], elsewhere, env).stdout
    built_in = sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))
    assert [line.split()[0] for line in listed.splitlines()] == built_in

    # The per-agent engine: a short run needs no compiled code, whose first compilation in a fresh
    # installation takes about a minute (the vector engine's passes are plain source in the wheel).
    run([home / "bin" / "carecon", "run", "sds_rollout", "--engine", "agents", "--people", "60", "--months", "12",
         "--replications", "1", "--set", "councils.0.rollout.start_month=2", "--set",
         "councils.0.rollout.duration_months=6", "--quiet", "--no-figures", "--out", "out"], elsewhere, env)
    run([python, "-c", "import model.engines.vector.engine"], elsewhere, env)
    assert (elsewhere / "out" / "summary.csv").is_file() and (elsewhere / "out" / "scenario.toml").is_file()
