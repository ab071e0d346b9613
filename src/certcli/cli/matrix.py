"""`certcli matrix` and `certcli required ...`: compliance with required types."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from certcli.cli.common import FormatOption, LimitOption, QuietIfEmptyOption, handles_errors, settings
from certcli.cli.reports import split_values
from certcli.output import DEFAULT_TABLE_LIMIT

# `matrix`, a top-level command listed in certcli.cli.COMMANDS. `required_app` contains `required ...`.
app = typer.Typer()

required_app = typer.Typer(help="Set which types each group must hold (used by matrix and show).", no_args_is_help=True, rich_markup_mode=None)


@required_app.command("add")
@handles_errors
def required_add(
    ctx: typer.Context,
    group: Annotated[str, typer.Argument(help='Group name, or "everyone" for every member.')],
    types: Annotated[list[str], typer.Argument(metavar="TYPE...", help="Type codes the group must hold.")],
) -> None:
    """Require types of every member of a group, e.g. `certcli required add Paramedic ACLS PALS`."""
    from certcli.db import write_transaction
    from certcli.matrix import require_types

    run = settings(ctx)
    conn = run.connect(create=True)
    with write_transaction(conn):
        changed = require_types(conn, run.actor, group, split_values(types))
    run.output.message(f"{changed} requirement(s) added")


@required_app.command("remove")
@handles_errors
def required_remove(
    ctx: typer.Context,
    group: Annotated[str, typer.Argument(help='Group name, or "everyone".')],
    types: Annotated[list[str], typer.Argument(metavar="TYPE...", help="Type codes to stop requiring.")],
) -> None:
    """Stop requiring types of a group."""
    from certcli.db import write_transaction
    from certcli.matrix import require_types

    run = settings(ctx)
    conn = run.connect()
    with write_transaction(conn):
        changed = require_types(conn, run.actor, group, split_values(types), remove=True)
    run.output.message(f"{changed} requirement(s) removed")


@required_app.command("list")
@handles_errors
def required_list(ctx: typer.Context, output_format: FormatOption = None) -> None:
    """List the required types of each group."""
    from certcli.matrix import required_rows

    run = settings(ctx)
    run.output.rows(["group", "type"], (dict(row) for row in required_rows(run.connect())), output_format,
                    quiet_key="type", empty_message="No required types set.")


@app.command()
@handles_errors
def matrix(
    ctx: typer.Context,
    group: Annotated[Optional[list[str]], typer.Option("--group", "-g", metavar="GROUP", help="Only members of this group; repeatable.")] = None,
    cert_type: Annotated[Optional[list[str]], typer.Option("--type", "-t", metavar="TYPE", help="Columns to show (default: every required type).")] = None,
    include_inactive: Annotated[bool, typer.Option("--include-inactive", help="Include deactivated people.")] = False,
    output_path: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write .xlsx (coloured cells) or .csv instead of printing.")] = None,
    output_format: FormatOption = None,
    limit: LimitOption = DEFAULT_TABLE_LIMIT,
    quiet_if_empty: QuietIfEmptyOption = False,
) -> None:
    """Show the compliance grid: people by required types, each cell valid, expiring, expired or missing.

    A cell is "missing" when the type is required of the person and they hold no record;
    empty when it is neither required nor held. Set requirements with `certcli required add`.
    """
    from certcli.matrix import compliance_matrix

    run = settings(ctx)
    result = compliance_matrix(run.connect(), run.today, split_values(group), split_values(cert_type), include_inactive)
    if output_path is not None:
        from certcli.export import export_matrix

        export_matrix(result, output_path, run.today)
        run.output.message(f"Wrote {len(result.rows)} people to {output_path}")
        return
    columns = ["id", "employee_id", "last_name", "first_name", "groups"] + result.types
    rows = ({**row, "person": f"{row['last_name']}, {row['first_name']}"} for row in result.rows)
    run.output.rows(
        columns, rows, output_format, limit=limit, quiet_if_empty=quiet_if_empty, status_columns=result.types,
        table_columns=[("person", "Person"), ("groups", "Groups")] + [(code, code) for code in result.types],
        empty_message="No people match.",
    )
    if run.output.resolve_format(output_format) == "table" and result.rows:
        counts = ", ".join(f"{result.counts[key]} {key}" for key in ("valid", "expiring", "expired", "missing")
                           if key in result.counts)
        run.output.line(f"{len(result.rows)} people: {counts}")
