"""The documentation stays true: the tutorial's commands run, links resolve, examples load, and the
docs hold no development diary (commit hashes, timings in µs, "sessions" or rounds of work).

Conventions the pages follow so that these checks can read them:

* every ```bash block of ``docs/tutorial.md`` is run, in order, in an empty directory; commands a
  reader runs once by hand (setting up) are in ```sh blocks, sample output in ```text blocks;
* every ```toml block of the how-to pages that ``extends`` a scenario is a complete scenario file;
* every ```python block is valid Python whose ``from model... import ...`` lines resolve.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from model import scenario
from model.scenario import loads_scenario

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TUTORIAL = DOCS / "tutorial.md"
PAGES = sorted([ROOT / "README.md", *DOCS.rglob("*.md")])

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
INLINE_CODE = re.compile(r"`[^`\n]+`")
#: A commit hash: 7-40 lowercase hex digits with at least one letter and one digit (so that
#: numbers such as seeds and words such as "decade" are not taken for one).
COMMIT = re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}\b")
MICROSECONDS = re.compile(r"µs|\d\s*us\b")
DIARY = re.compile(r"\bsessions?\b|\brounds? of work\b|\btried and dropped\b", re.I)


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def blocks(path: Path, language: str) -> list[str]:
    """The fenced code blocks of one language in a Markdown page, in order."""
    return [body for lang, body in FENCE.findall(path.read_text(encoding="utf-8")) if lang == language]


def prose(path: Path) -> str:
    """A page without its fenced code blocks (links inside code are not links)."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------- links
@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in LINK.findall(INLINE_CODE.sub("", prose(page))):
        if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a web address, mailto:, or an anchor on the same page
        path = target.split("#", 1)[0]
        if not (page.parent / path).exists():
            broken.append(target)
    assert not broken, f"{rel(page)}: links to missing files: {broken}"


def test_link_check_sees_a_broken_link(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("See [the ODD](explanation/ODD.md), [web](https://example.org) and `[x](no.md)`.\n"
                    "```text\n[in code](missing.md)\n```\n", encoding="utf-8")
    targets = LINK.findall(INLINE_CODE.sub("", prose(page)))
    assert targets == ["explanation/ODD.md", "https://example.org"]


#: A repository path in inline code, e.g. `model/rules/choice.py` (placeholders such as
#: `tests/test_<submodel>.py` are left out).
REPO_PATH = re.compile(r"`((?:model|tests|scenarios|spaces|dashboard|benchmarks|notebooks)/[^`\s<>*:]*)(?=`|::)")


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_repository_path_named_exists(page: Path) -> None:
    missing = sorted({p for p in REPO_PATH.findall(page.read_text(encoding="utf-8")) if not (ROOT / p).exists()})
    assert not missing, f"{rel(page)}: names files that do not exist (moved?): {missing}"


def test_path_check_reads_paths() -> None:
    text = "see `model/rules/choice.py`, `tests/test_<submodel>.py` and `tests/test_economy.py::test_x`"
    assert REPO_PATH.findall(text) == ["model/rules/choice.py", "tests/test_economy.py"]


# ---------------------------------------------------------------------------------------- no diary
def diary_lines(text: str) -> list[str]:
    """Lines with a commit hash or a µs timing anywhere, or with a diary word in prose (code may name
    e.g. a study manifest's ``sessions`` key)."""
    lines = [line for line in text.splitlines() if COMMIT.search(line) or MICROSECONDS.search(line)]
    lines += [line for line in FENCE.sub("", text).splitlines() if DIARY.search(INLINE_CODE.sub("", line))]
    return [line.strip() for line in lines]


@pytest.mark.parametrize("page", [p for p in PAGES if p.name != "CHANGELOG.md"], ids=rel)
def test_docs_hold_no_diary(page: Path) -> None:
    found = diary_lines(page.read_text(encoding="utf-8"))
    assert not found, f"{rel(page)}: history belongs in git and CHANGELOG.md, not here: {found}"


@pytest.mark.parametrize("line", ["as measured at commit `c38ebb8`", "about 250 µs for 4,000 items",
                                  "took 20 us a call", "In the eleventh session", "a round of work",
                                  "Tried and dropped:"])
def test_diary_check_catches(line: str) -> None:
    assert diary_lines(line)


@pytest.mark.parametrize("line", ["seed 20261122", "a decade of data", "N = 1,024 runs", "Morris µ* and σ",
                                  "bus routes", "sensitivity_sds_rollout_sobol_n1024.png",
                                  "the manifest's `sessions` key", "```text\nsession 1: local x2\n```\n"])
def test_diary_check_passes(line: str) -> None:
    assert not diary_lines(line)


def docstrings(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of every docstring line of a module."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                first = node.body[0].lineno
                out += [(first + i, line) for i, line in enumerate(doc.splitlines())]
    return out


def test_docstrings_hold_no_timings_or_commit_hashes() -> None:
    found = [f"{rel(path)}:{n}: {line.strip()}" for path in sorted((ROOT / "model").rglob("*.py"))
             for n, line in docstrings(path) if COMMIT.search(line) or MICROSECONDS.search(line)]
    assert not found, "timings and commit hashes in docstrings:\n" + "\n".join(found)


# ---------------------------------------------------------------------------------------- examples
def test_parameter_reference_is_generated_from_the_schema() -> None:
    page = DOCS / "reference" / "parameters.md"
    assert page.read_text(encoding="utf-8") == scenario._markdown_table(), "run `make docs`"


SCENARIO_EXAMPLES = [(page, text) for page in sorted((DOCS / "how-to").glob("*.md"))
                     for text in blocks(page, "toml") if "extends" in text]


def test_how_to_pages_have_scenario_examples() -> None:
    assert any(page.name == "write-a-scenario.md" for page, _ in SCENARIO_EXAMPLES)


@pytest.mark.parametrize(("page", "text"), SCENARIO_EXAMPLES, ids=lambda x: rel(x) if isinstance(x, Path) else "")
def test_scenario_examples_load(page: Path, text: str) -> None:
    loads_scenario(text, origin=rel(page))


PYTHON_EXAMPLES = [(page, text) for page in PAGES for text in blocks(page, "python")]


@pytest.mark.parametrize(("page", "text"), PYTHON_EXAMPLES, ids=lambda x: rel(x) if isinstance(x, Path) else "")
def test_python_examples_import_what_exists(page: Path, text: str) -> None:
    tree = ast.parse(text)
    missing = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "model":
            module = importlib.import_module(node.module)
            missing += [f"{node.module}.{a.name}" for a in node.names if not hasattr(module, a.name)]
    assert not missing, f"{rel(page)}: examples import names that do not exist: {missing}"


# ---------------------------------------------------------------------------------------- tutorial
def tutorial_commands() -> list[str]:
    return blocks(TUTORIAL, "bash")


def test_tutorial_goes_from_first_run_to_first_comparison() -> None:
    commands = "\n".join(tutorial_commands())
    for step in ("carecon list", "carecon run sds_rollout", "summary.csv", "carecon compare sds_rollout baseline"):
        assert step in commands, f"the tutorial's bash blocks no longer include {step!r}"
    assert re.search(r"--people \d{1,4}\b", commands), "the tutorial should run at small sizes"


@pytest.mark.slow
def test_tutorial_commands_run(tmp_path: Path) -> None:
    """Run the tutorial's bash blocks as a reader would, then check the files it tells them to open."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for block in tutorial_commands():
        proc = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=1200)
        assert proc.returncode == 0, f"tutorial block failed:\n{block}\n{proc.stderr[-2000:]}"
    named = set(re.findall(r"`(outputs/[^`\s]+)`", TUTORIAL.read_text(encoding="utf-8")))
    assert named, "the tutorial names the files it writes"
    missing = sorted(p for p in named if not (tmp_path / p).exists())
    assert not missing, f"the tutorial names files its commands did not write: {missing}"
