"""Safety of numba's on-disk cache of the compiled passes.

numba checks a cached compiled function only against the file that defines it, not against the
modules whose functions it inlines. A change to a rule module would then leave the old rule in the
cache. So the cache is stamped with a digest of the source of *every* project module the compiled
code imports, directly or through other project modules, found by reading their import statements
(:func:`project_imports`); when the digest differs, the cached files are deleted and numba compiles
afresh.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from pathlib import Path

PACKAGE = "model"


def _origin(name: str) -> Path | None:
    """The source file of a project module, or None if ``name`` is not a project module."""
    if name != PACKAGE and not name.startswith(PACKAGE + "."):
        return None
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):  # e.g. a name imported from a module, not a module
        return None
    return Path(spec.origin) if spec is not None and spec.origin else None


def _imported(tree: ast.Module, package: str) -> set[str]:
    """Project modules named by the import statements of one module (``package`` resolves relative
    imports)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # kept if it is a module
    return names


def project_imports(*roots: str) -> dict[str, Path]:
    """Every project module that ``roots`` import, transitively, with its source file (the roots
    included)."""
    found: dict[str, Path] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        path = _origin(name)
        if path is None:
            continue
        found[name] = path
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        todo.extend(_imported(ast.parse(path.read_bytes()), package) - found.keys())
    return dict(sorted(found.items()))


def digest(*roots: str) -> str:
    """A digest of the sources of every project module ``roots`` import."""
    h = hashlib.sha256()
    for name, path in project_imports(*roots).items():
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def drop_stale_cache(cache: Path, stem: str, *roots: str) -> None:
    """Delete ``cache``'s compiled files of module ``stem`` if they were made from other sources of
    the modules ``roots`` import (the stamp file ``<stem>.rules-digest`` records the digest)."""
    stamp = cache / f"{stem}.rules-digest"
    current = digest(*roots)
    try:
        if stamp.exists() and stamp.read_text() == current:
            return
        for f in cache.glob(f"{stem}.*.nb[ic]"):
            f.unlink(missing_ok=True)
        cache.mkdir(exist_ok=True)
        stamp.write_text(current)
    except OSError:  # a read-only install: numba then compiles in memory
        pass


def guard(module: str, file: str) -> None:
    """Called by each compiled module at import (``guard(__name__, __file__)``): drop its cached
    compiled files if any project module it imports has changed since they were made."""
    path = Path(file)
    drop_stale_cache(path.parent / "__pycache__", path.stem, module)
