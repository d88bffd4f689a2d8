"""The compiled passes' cache is dropped when any project module the compiled code uses changes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import numba
import pytest

from model.engines.vector import (
    bookkeeping,
    cache,
    common,
    demography,
    finance,
    matching,
    providers,
    purchasing,
    reviews,
    support_and_choice,
)

ROOT = Path(__file__).resolve().parent.parent


def _globals_used(fn: types.FunctionType) -> set[str]:
    """Names a function's code (and its nested code) reads from its module's globals."""
    names, todo = set(), [fn.__code__]
    while todo:
        code = todo.pop()
        names.update(code.co_names)
        todo.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return names


def _modules_reached(fn: types.FunctionType) -> set[str]:
    """Project modules whose objects a compiled function reaches, following the functions it calls
    (found from the live objects, not from import statements, so the check is independent)."""
    seen_fns, modules, todo = set(), set(), [fn]
    while todo:
        f = todo.pop()
        if f in seen_fns:
            continue
        seen_fns.add(f)
        modules.add(f.__module__)
        for name in _globals_used(f):
            obj = f.__globals__.get(name)
            if isinstance(obj, types.ModuleType):
                modules.add(obj.__name__)
                continue
            obj = getattr(obj, "py_func", obj)
            if isinstance(obj, types.FunctionType):
                todo.append(obj)
            elif getattr(obj, "__module__", None) is not None:
                modules.add(obj.__module__)
    return {m for m in modules if m == "model" or m.startswith("model.")}


#: The vector engine's compiled modules, one per phase, and what they share.
COMPILED = (common, demography, reviews, support_and_choice, matching, purchasing, providers, finance, bookkeeping)


def test_every_compiled_module_is_listed():
    """The check below covers every module of the vector engine that holds compiled passes."""
    package = Path(common.__file__).parent
    holding = {p.stem for p in package.glob("*.py") if "numba.njit" in p.read_text()}
    assert holding == {m.__name__.rpartition(".")[2] for m in COMPILED}


@pytest.mark.parametrize("module", COMPILED, ids=lambda m: m.__name__.rpartition(".")[2])
def test_the_digest_covers_every_module_the_compiled_code_uses(module):
    covered = set(cache.project_imports(module.__name__))
    dispatchers = [v for v in vars(module).values()
                   if isinstance(v, numba.core.registry.CPUDispatcher) and v.__module__ == module.__name__]
    assert dispatchers
    for d in dispatchers:
        missing = _modules_reached(d.py_func) - covered
        assert not missing, f"{d.__name__} uses {missing}, which the cache digest does not cover"
    # Every compiled module goes through the shared one, where the rules are registered with numba
    # and the rules' helpers get their compiled forms.
    assert {"model.engines.vector.common", "model.rules.arith", "model.codes"} <= covered


def test_the_digest_covers_the_rules_and_the_tables():
    covered = set(cache.project_imports(support_and_choice.__name__))
    # The modules the old hand-kept list left out are covered now.
    assert {"model.rules.support", "model.codes", "model.stream", "model.rules.arith"} <= covered
    # The passes read the tables' records by field: a change to the columns must recompile them.
    assert "model.core.state" in covered


def test_a_change_in_any_imported_module_drops_the_cache(tmp_path, monkeypatch):
    compiled = tmp_path / "support_and_choice.support_places-1.py312.nbi"
    name = support_and_choice.__name__
    cache.drop_stale_cache(tmp_path, "support_and_choice", name)
    compiled.write_text("old")
    cache.drop_stale_cache(tmp_path, "support_and_choice", name)  # nothing changed: the cache stays
    assert compiled.exists()
    edited = tmp_path / "support.py"
    edited.write_text(Path(cache._origin("model.rules.support")).read_text() + "\n# a rule changed\n")
    origin = cache._origin
    monkeypatch.setattr(cache, "_origin", lambda name: edited if name == "model.rules.support" else origin(name))
    cache.drop_stale_cache(tmp_path, "support_and_choice", name)
    assert not compiled.exists()


@pytest.mark.slow
def test_an_edited_rule_reaches_the_vector_engine(tmp_path):
    """Copy the package, compile a pass that calls ``support.places``, edit that rule (20 places
    for 10), and run again in a fresh process: the compiled pass follows the edit."""
    shutil.copytree(ROOT / "model", tmp_path / "model", ignore=shutil.ignore_patterns("__pycache__"))
    script = textwrap.dedent("""
        import numpy as np
        from model.core.state import Ledger, People
        from model.engines.vector import support_and_choice
        people, ledger = People(30), Ledger(1)
        people.append(30)
        support_and_choice.support_places(np.arange(30), people.record(30), np.array([2000]), np.array([5.0]),
                                          np.array([False]), np.array([1.0]), np.zeros(31), ledger.record())
        print(int(ledger.supported[0]))
    """)

    def places() -> int:
        out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                             check=True, timeout=600, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin"})
        return int(out.stdout.split()[-1])

    assert places() == 10  # 5 per 1,000 of 2,000 people
    rule = tmp_path / "model" / "rules" / "support.py"
    rule.write_text(rule.read_text().replace("exact = capacity * people_in_council / 1000.0",
                                             "exact = 2 * capacity * people_in_council / 1000.0"))
    assert places() == 20
