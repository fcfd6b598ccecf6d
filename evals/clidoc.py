"""The README's CLI reference, made from `fazhi --help` and each command's `--help` (80 columns).

    python evals/clidoc.py           # rewrite the section between the markers in README.md
    python evals/clidoc.py --check   # exit 1 when the README's section is not current
"""

import argparse
import sys
from pathlib import Path
from typing import Any

import typer
from fazhi.agent.cli import app
from fazhi.agent.commands import LazyCommand
from typer.testing import CliRunner

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- cli-reference:start (made by evals/clidoc.py) -->", "<!-- cli-reference:end -->"
COLUMNS = "80"


def command_paths(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand, depth first, in the order `--help` lists them."""
    if isinstance(command, LazyCommand):
        command = command.loaded
    found = [path]
    if isinstance(command, typer.core.TyperGroup):
        for name in command.list_commands(typer.Context(command)):
            found += command_paths(command.get_command(typer.Context(command), name), (*path, name))
    return found


def help_text(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": COLUMNS, "TERM": "dumb"},
                                prog_name="fazhi")
    assert result.exit_code == 0, result.output
    return result.stdout.rstrip()


def reference() -> str:
    """The section: each command's help as a text block under its own heading."""
    parts = []
    for path in command_paths(typer.main.get_command(app)):
        parts.append(f"### `{' '.join(('fazhi', *path))}`\n\n```text\n{help_text(path)}\n```")
    return "\n\n".join([START, *parts, END])


def current_section(readme: str) -> str:
    start, end = readme.index(START), readme.index(END) + len(END)
    return readme[start:end]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="Only check that the README is current.")
    args = parser.parse_args()
    readme = README.read_text(encoding="utf-8")
    made = reference()
    if args.check:
        sys.exit(0 if current_section(readme) == made else "README.md's CLI reference is stale: "
                 "run python evals/clidoc.py")
    README.write_text(readme.replace(current_section(readme), made), encoding="utf-8")


if __name__ == "__main__":
    main()
