"""Commands that packages add to `fazhi`, through the `fazhi.commands` entry-point group.

An entry point names a `register(commands)` function in a module that is cheap to import. It declares
each command by name, one line of help and the `module:attribute` of a `typer.Typer` (a command with
subcommands) or a command function; that module is imported only when the command runs (or its own
`--help` is asked for), so `fazhi --help` and `fazhi sql` do not pay for it:

    [project.entry-points."fazhi.commands"]
    eval = "fazhi.evals:register"

    def register(commands: Commands) -> None:
        commands.add("eval", "fazhi.evals.cli:eval_app", "Score extraction against labelled fixtures.")
"""

import sys
from functools import cache, cached_property
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

GROUP = "fazhi.commands"
Click = Any  # typer's vendored click.Command (typer._click is private)


class LazyCommand(TyperCommand):
    """A command known by its name and help line; the real one is imported when a context is made for
    it, which click does to run it, to show its help, or to complete its arguments."""

    def __init__(self, name: str, target: str, help: str) -> None:
        super().__init__(name=name, help=help, short_help=help, add_help_option=False, rich_markup_mode=None)
        self.target = target

    @cached_property
    def loaded(self) -> Click:
        module, _, attribute = self.target.partition(":")
        found = getattr(import_module(module), attribute)
        command: Click
        if isinstance(found, typer.Typer):
            command = typer.main.get_group(found)
        else:
            single = typer.Typer()
            single.command(self.name)(found)
            command = typer.main.get_command(single)
        command.name = self.name
        return plain_help(command)

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        return self.loaded.make_context(info_name, args, parent=parent, **extra)


def plain_help(command: Click) -> Click:
    """Help as plain text, as the main command's (Rich markup would swallow "[default: ...]")."""
    if isinstance(command, TyperCommand | TyperGroup):
        command.rich_markup_mode = None
    for sub in getattr(command, "commands", {}).values():
        plain_help(sub)
    return command


class Commands:
    """What a `register` function is given: `add` declares one command."""

    def __init__(self) -> None:
        self.found: dict[str, LazyCommand] = {}

    def add(self, name: str, target: str, help: str) -> None:
        self.found[name] = LazyCommand(name, target, help)


@cache
def plugin_commands() -> tuple[LazyCommand, ...]:
    """Every command the installed packages declare, by name; a package whose `register` fails is
    named in a warning and left out."""
    commands = Commands()
    for point in sorted(entry_points(group=GROUP), key=lambda p: p.name):
        try:
            point.load()(commands)
        except Exception as exc:
            print(f"Warning: the {point.name!r} commands ({point.value}) cannot be loaded: {exc}", file=sys.stderr)
    return tuple(commands.found.values())


class WithPlugins(TyperGroup):
    """The main command: its own commands, then those the installed packages declare."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for command in plugin_commands():
            self.commands.setdefault(command.name or "", command)
