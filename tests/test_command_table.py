"""The command table in certcli.cli matches the commands that the lazy group builds from it.

`certcli --help` writes its command list from the table without importing any command, so
these tests build every command and compare: a command added, renamed, reordered or given a
new first sentence without a matching table change fails here.
"""

import importlib
import pkgutil

import pytest
import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

import certcli.cli
from certcli.cli import COMMANDS, app


@pytest.fixture(scope="module")
def group_and_context():
    group = typer.main.get_command(app)
    return group, typer.Context(group, info_name="certcli")


def test_group_lists_table_names_in_order(group_and_context):
    group, ctx = group_and_context

    assert group.list_commands(ctx) == [entry.name for entry in COMMANDS]
    assert len({entry.name for entry in COMMANDS}) == len(COMMANDS)


@pytest.mark.parametrize("entry", COMMANDS, ids=[entry.name for entry in COMMANDS])
def test_table_help_is_first_sentence(group_and_context, entry):
    group, ctx = group_and_context
    command = group.get_command(ctx, entry.name)
    stand_in = TyperCommand(name=entry.name, help=entry.help)

    assert command.name == entry.name
    assert not command.hidden
    assert command.get_short_help_str(10**6) == entry.help
    for limit in range(10, 120):
        assert command.get_short_help_str(limit) == stand_in.get_short_help_str(limit), limit


@pytest.mark.parametrize("width", [50, 80, 200])
def test_command_list_matches_built_commands(group_and_context, width):
    group, _ = group_and_context
    ctx = typer.Context(group, info_name="certcli", terminal_width=width, max_content_width=width)
    built = TyperGroup(name="certcli", commands={name: group.get_command(ctx, name) for name in group.list_commands(ctx)})

    lazy_formatter = ctx.make_formatter()
    group.format_commands(ctx, lazy_formatter)
    built_formatter = ctx.make_formatter()
    built.format_commands(ctx, built_formatter)

    assert lazy_formatter.getvalue() == built_formatter.getvalue()


def test_table_lists_each_module_command_in_order():
    """Every command defined in a certcli.cli module is in the table, in the module's order."""
    sub_apps = {id(getattr(importlib.import_module(entry.module), entry.sub_app)) for entry in COMMANDS if entry.sub_app}
    for module_info in pkgutil.iter_modules(certcli.cli.__path__):
        module = importlib.import_module(f"certcli.cli.{module_info.name}")
        apps = {name: value for name, value in vars(module).items()
                if isinstance(value, typer.Typer) and id(value) not in sub_apps and value is not app}
        assert set(apps) <= {"app"}, f"{module.__name__} has Typer apps that the table does not list: {sorted(apps)}"
        if not apps:
            continue

        defined = [info.name or typer.main.get_command_name(info.callback.__name__)
                   for info in apps["app"].registered_commands]
        listed = [entry.name for entry in COMMANDS if entry.module == module.__name__ and entry.sub_app is None]
        assert defined == listed, module.__name__
