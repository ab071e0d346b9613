"""A Typer group that imports a command's module and builds the command only when it is used.

Typer 0.29 builds every command and its parameters on each run (`typer.main.get_command`),
which for certcli's 36 commands took about 10 ms in a fresh process (docs/benchmarks.md).
`LazyGroup` lists its top-level commands from a table, writes the command list of `--help`
from that table, and builds a command with Typer only when click looks it up by name.
"""

import copy
import sys
from collections.abc import Iterator, Mapping
from gettext import gettext as _
from typing import Any, NamedTuple, Optional, Union

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

Command = Union[TyperCommand, TyperGroup]


class LazyCommand(NamedTuple):
    """One top-level command of a `LazyGroup`, described without importing its module."""

    name: str
    # The command's help up to the end of its first sentence, which is all that click's
    # shortening for the command list reads (`make_default_short_help`).
    help: str
    module: str
    # For a group of subcommands, the name of the module's Typer app that contains them. For a
    # single command, None: the command is looked up by name in the module's `app`.
    sub_app: Optional[str] = None
    # Modules that add subcommands to `sub_app` and must be imported before it is built.
    extra_modules: tuple[str, ...] = ()


def build_command(entry: LazyCommand, typer_settings: dict[str, Any]) -> Command:
    """Import the module of `entry` and build its command or group with Typer.

    The command goes into a throwaway `typer.Typer` created with `typer_settings`, the
    top-level app's settings, so `typer.main.get_command` builds it as it would inside the
    whole tree.
    """
    # __import__ rather than importlib.import_module, whose imports `python -X importtime`
    # does not report (CPython 3.11), and tests/test_startup.py reads that report.
    for name in (entry.module, *entry.extra_modules):
        __import__(name)
    module = sys.modules[entry.module]
    builder = typer.Typer(**typer_settings)

    if entry.sub_app is not None:
        builder.add_typer(getattr(module, entry.sub_app), name=entry.name)
        return typer.main.get_command(builder).commands[entry.name]

    for info in module.app.registered_commands:
        if (info.name or typer.main.get_command_name(info.callback.__name__)) == entry.name:
            # A copy, because get_command stores the builder's context_settings in a lone command's info.
            builder.registered_commands.append(copy.copy(info))
            return typer.main.get_command(builder)
    raise LookupError(f"no command {entry.name!r} in {entry.module}.app. Correct its entry in the command table")


class LazyCommands(Mapping):
    """The commands of a `LazyGroup` by name, each built on first access and then kept."""

    def __init__(self, entries: tuple[LazyCommand, ...], typer_settings: dict[str, Any]) -> None:
        self._entries = {entry.name: entry for entry in entries}
        self._typer_settings = typer_settings
        self._built: dict[str, Command] = {}

    def __getitem__(self, name: str) -> Command:
        if name not in self._built:
            self._built[name] = build_command(self._entries[name], self._typer_settings)
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


class LazyGroup(TyperGroup):
    """A `TyperGroup` whose top-level commands are the entries of `lazy_commands`.

    A subclass sets `lazy_commands` and `typer_settings` (the `typer.Typer` keyword
    arguments of the top-level app), and is passed to `typer.Typer` with `cls=`. Its
    `commands` mapping lists every name but builds a command only when it is looked up.
    TyperGroup's "Did you mean" suggestions for a mistyped name read that mapping's names
    (Typer 0.29), so they work unchanged and build nothing.
    """

    lazy_commands: tuple[LazyCommand, ...] = ()
    typer_settings: dict[str, Any] = {}

    def __init__(self, *, commands: Optional[Mapping] = None, **attrs: Any) -> None:
        if commands:
            raise TypeError(f"{type(self).__name__} builds only the commands in lazy_commands, but its Typer app "
                            f"registered {', '.join(commands)}. Add them to lazy_commands instead")
        super().__init__(**attrs)
        self.commands = LazyCommands(self.lazy_commands, self.typer_settings)

    def list_commands(self, ctx: typer.Context) -> list[str]:
        """Return the command names in table order, without building any command."""
        return [entry.name for entry in self.lazy_commands]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Optional[Command]:
        """Import the module of `cmd_name` and build that one command, or return None for an unknown name."""
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: typer.Context, formatter) -> None:
        """Write the command list as TyperGroup.format_commands does, but from the table alone."""
        if not self.lazy_commands:
            return
        # TyperGroup's width limit for the help column: three times the default spacing.
        limit = formatter.width - 6 - max(len(entry.name) for entry in self.lazy_commands)
        rows = []
        for entry in self.lazy_commands:
            # A bare command with the table's help shortens it the way the real command does.
            stand_in = TyperCommand(name=entry.name, help=entry.help)
            rows.append((entry.name, stand_in.get_short_help_str(limit)))
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)
