"""The `certcli` command: global options and the table of every top-level command.

A command's module is imported, and the command built, only when click looks that command
up by name, to run it or show its help (see certcli.cli.lazy). `certcli --help` imports
none of the command modules.
"""

from pathlib import Path
from typing import Annotated, Optional

import typer

from certcli import __version__
from certcli.cli.common import Settings, default_actor, parse_date_option
from certcli.cli.lazy import LazyCommand, LazyGroup

# The top-level app's settings, which each lazily built command is built with too.
TYPER_SETTINGS = {
    "add_completion": False,
    "pretty_exceptions_enable": False,
    # Plain help and one-line usage errors: no rich panels, which also start faster.
    "rich_markup_mode": None,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}

# The order here is the order of `certcli --help`. Each help is the command's help up to
# its first sentence end. tests/test_command_table.py checks names, order and help against
# the built commands.
COMMANDS = (
    LazyCommand("add", "Add a certification record; print its id on stdout.", "certcli.cli.records"),
    LazyCommand("renew", "Add the successor of record ID, prefilled from it; print the new id.", "certcli.cli.records"),
    LazyCommand("edit", "Correct a mistake in record ID; a change to a verified field clears the verification.",
                "certcli.cli.records"),
    LazyCommand("delete", "Delete record ID; a copy stays in the audit log and `certcli restore ID` brings it back.",
                "certcli.cli.records"),
    LazyCommand("restore", "Bring back deleted record ID from its copy in the audit log.", "certcli.cli.records"),
    LazyCommand("verify", "Mark records verified: they match the card and its image.", "certcli.cli.records"),
    LazyCommand("list", "List certification records: each person's current record per type, filtered.",
                "certcli.cli.reports"),
    LazyCommand("export", "Write the filtered list (the same view as `list`) to a spreadsheet or data file.",
                "certcli.cli.reports"),
    LazyCommand("missing", "List active people who have no record of a type (the negative report).",
                "certcli.cli.reports"),
    LazyCommand("show", "Show one person: details, each type's chain of records (current first), and images.",
                "certcli.cli.reports"),
    LazyCommand("log", "Show the audit trail: who changed what and when, with values before and after.",
                "certcli.cli.reports"),
    LazyCommand("matrix", "Show the compliance grid: people by required types, each cell valid, expiring, expired or "
                "missing.", "certcli.cli.matrix"),
    LazyCommand("check", "Report suspicious records; exit 3 when there are findings, 0 when there are none.",
                "certcli.cli.check"),
    LazyCommand("import", "Import certification records from a CSV or XLSX file, all or nothing.",
                "certcli.cli.importing"),
    LazyCommand("backup", "Write a consistent copy of the database to FILE, safe while other commands write.",
                "certcli.cli.backup"),
    # `people import` is defined next to `import`, with which it shares its options.
    LazyCommand("people", "Add, list, edit and deactivate the agency's members.", "certcli.cli.people",
                sub_app="app", extra_modules=("certcli.cli.importing",)),
    LazyCommand("types", "List, add and change certification types.", "certcli.cli.types", sub_app="app"),
    LazyCommand("image", "Attach, list, show, remove and export card images (JPEG, PNG, GIF, WebP, HEIC/HEIF, PDF).",
                "certcli.cli.images", sub_app="app"),
    LazyCommand("required", "Set which types each group must hold (used by matrix and show).", "certcli.cli.matrix",
                sub_app="required_app"),
)


class CertcliGroup(LazyGroup):
    lazy_commands = COMMANDS
    typer_settings = TYPER_SETTINGS


app = typer.Typer(
    name="certcli",
    help="Track the certifications of an EMS or fire agency's members in one SQLite file.",
    no_args_is_help=True,
    cls=CertcliGroup,
    **TYPER_SETTINGS,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"certcli {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    db: Annotated[
        Optional[Path],
        typer.Option("--db", envvar="CERTCLI_DB", help="Database file. Default: certcli.db in the user's data directory."),
    ] = None,
    today: Annotated[
        Optional[str],
        typer.Option("--today", metavar="DATE", envvar="CERTCLI_TODAY", help="The day status is computed for (YYYY-MM-DD). Default: the local date."),
    ] = None,
    actor: Annotated[
        Optional[str],
        typer.Option("--actor", metavar="NAME", envvar="CERTCLI_ACTOR", help="Name recorded in the audit log. Default: the login name."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Track the certifications of an EMS or fire agency's members in one SQLite file."""
    from certcli.db import default_db_path

    parse_date_option(today, "--today")
    ctx.obj = Settings(db or default_db_path(), today, (actor or "").strip() or default_actor())


def main() -> None:
    app(prog_name="certcli")
