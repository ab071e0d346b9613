"""The `certcli` command: global options and the registration of every command."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from certcli import __version__
from certcli.cli.common import Settings, default_actor, parse_date_option

app = typer.Typer(
    name="certcli",
    help="Track the certifications of an EMS or fire agency's members in one SQLite file.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help and one-line usage errors: no rich panels, which also start faster.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
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
        typer.Option("--today", envvar="CERTCLI_TODAY", help="The day status is computed for (YYYY-MM-DD). Default: the local date."),
    ] = None,
    actor: Annotated[
        Optional[str],
        typer.Option("--actor", envvar="CERTCLI_ACTOR", help="Name recorded in the audit log. Default: the login name."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Track the certifications of an EMS or fire agency's members in one SQLite file."""
    from certcli.db import default_db_path

    parse_date_option(today, "--today")
    ctx.obj = Settings(db or default_db_path(), today, (actor or "").strip() or default_actor())


# Importing a module registers its commands; the order here is the order of `certcli --help`.
from certcli.cli import records, reports, matrix, check, importing, backup, people, types, images  # noqa: E402,I001

app.add_typer(people.app, name="people")
app.add_typer(types.app, name="types")
app.add_typer(images.app, name="image")
app.add_typer(matrix.required_app, name="required")


def main() -> None:
    app(prog_name="certcli")
