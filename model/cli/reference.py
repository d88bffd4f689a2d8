"""The command-line reference page, ``docs/reference/cli.md``, rendered from the parser's own help
(``make docs`` runs ``python -m model.cli.reference``; a test checks the committed page is current)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from model.cli.main import build_parser

WIDTH = 100  # help text is wrapped at a fixed width, whatever the terminal, so the page is reproducible


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.HelpFormatter(prog, width=WIDTH)


def commands(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """The parser and, depth first, every subcommand's parser."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from commands(sub)


def render() -> str:
    """Every command's help as a Markdown page."""
    lines = ["# Command-line reference", "",
             "Generated from the parser by `make docs` (`python -m model.cli.reference`); do not edit by hand.",
             "Every bad input ends with one line on stderr, `error: ...`, and exit status 2.", ""]
    for parser in commands(build_parser()):
        parser.formatter_class = _formatter
        lines += [f"## `{parser.prog}`", "", "```text", parser.format_help().rstrip(), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
