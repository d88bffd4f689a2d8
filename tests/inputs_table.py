"""The table of input classes tried by the tests and how each is handled (``docs/reference/inputs.md``).

Tests register the input class they try with :func:`handles`; the table is generated from those
registrations, so it lists what the tests check and nothing else. ``tests/test_inputs.py`` fails
when the file differs from :func:`render`; regenerate it with ``python -m tests.inputs_table``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "docs" / "reference" / "inputs.md"
#: The test modules that register input classes (imported before rendering).
MODULES = ("tests.test_inputs", "tests.test_fuzz_inputs")

F = TypeVar("F", bound=Callable[..., object])


@dataclass(frozen=True)
class Row:
    surface: str    # where the input comes in: scenario file, upload, --set, parameter space, run, studies...
    input: str      # the class of input tried
    handling: str   # what happens: refused with which line, or accepted and run
    test: str       # the test that checks it


ROWS: list[Row] = []


def handles(surface: str, input_class: str, handling: str) -> Callable[[F], F]:
    """Register a test as trying ``input_class`` on ``surface`` and checking ``handling``."""

    def register(test: F) -> F:
        ROWS.append(Row(surface, input_class, handling, f"{test.__module__.rsplit('.', 1)[-1]}::{test.__name__}"))
        return test

    return register


def render() -> str:
    for module in MODULES:
        importlib.import_module(module)
    lines = ["# Inputs tried and how they are handled", "",
             "Generated from the tests' own registrations by `python -m tests.inputs_table` (checked by",
             "`tests/test_inputs.py`). Every refusal is one line naming the field or the file and what is",
             "allowed; nothing below ends in a traceback. Bounds: TOML text at most 256 kB, dotted keys at",
             "most 16 parts, arrays and tables nested at most 16 deep (`model/scenario.py`).", "",
             "| where | input | handling | test |", "|---|---|---|---|"]
    seen = set()
    for r in sorted(ROWS, key=lambda r: (r.surface, r.input)):
        if (r.surface, r.input) in seen:
            continue
        seen.add((r.surface, r.input))
        lines.append(f"| {r.surface} | {r.input} | {r.handling} | `{r.test}` |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # the tests register with the importable module, not with this __main__ copy
    from tests import inputs_table

    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text(inputs_table.render(), encoding="utf-8")
    print(f"wrote {TABLE.relative_to(ROOT)}")
