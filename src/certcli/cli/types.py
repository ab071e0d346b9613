"""`certcli types ...`: the certification type catalog."""

from typing import Annotated, Optional

import typer

from certcli.cli.common import FormatOption, LimitOption, handles_errors, settings
from certcli.output import DEFAULT_TABLE_LIMIT

app = typer.Typer(help="List, add and change certification types.", no_args_is_help=True, rich_markup_mode=None)

TYPE_COLUMNS = ["code", "name", "levels", "required_fields", "number_pattern", "validity", "warning_days"]
VALIDITY_HELP = "Validity rule: never, nremt, months:N, months:N:eom (through the end of the month), or none (expiration always given)."


def _type_rows(types):
    from certcli.certtypes import describe_rule

    for cert_type in types:
        yield {
            "code": cert_type.code, "name": cert_type.name, "levels": ", ".join(cert_type.levels),
            "required_fields": ", ".join(cert_type.required_fields), "number_pattern": cert_type.number_pattern,
            "validity": cert_type.validity, "rule": describe_rule(cert_type.validity),
            "warning_days": cert_type.warning_days,
        }


@app.command("list")
@handles_errors
def list_types(ctx: typer.Context, output_format: FormatOption = None, limit: LimitOption = DEFAULT_TABLE_LIMIT) -> None:
    """List the certification types."""
    from certcli.certtypes import all_types

    run = settings(ctx)
    run.output.rows(
        TYPE_COLUMNS, _type_rows(all_types(run.connect())), output_format, quiet_key="code", limit=limit,
        table_columns=[("code", "Code"), ("name", "Name"), ("levels", "Levels"), ("required_fields", "Required"),
                       ("rule", "Validity"), ("warning_days", "Warn (days)")],
    )


@app.command("show")
@handles_errors
def show_type(ctx: typer.Context, code: Annotated[str, typer.Argument(help="Type code.")]) -> None:
    """Show one type's levels, required fields, number pattern, validity rule and warning window."""
    from certcli.certtypes import get_type

    run = settings(ctx)
    row = next(_type_rows([get_type(run.connect(), code)]))
    for key in ("code", "name", "levels", "required_fields", "number_pattern", "rule", "warning_days"):
        run.output.line(f"{key.replace('_', ' ')}: {row[key] if row[key] not in (None, '') else '-'}")
    run.output.flush()


def _split(value: Optional[str]) -> Optional[list[str]]:
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


@app.command("add")
@handles_errors
def add_type(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Short code, e.g. CPR or TECH-RESCUE (stored upper-case).")],
    name: Annotated[str, typer.Argument(help="Full name.")],
    levels: Annotated[Optional[str], typer.Option("--levels", help="Comma-separated levels, e.g. 'Basic,Advanced'.")] = None,
    required: Annotated[Optional[str], typer.Option("--require", help="Comma-separated required fields: level, number, state, city.")] = None,
    pattern: Annotated[Optional[str], typer.Option("--number-pattern", help="Regular expression a number must match (upper-cased first).")] = None,
    validity: Annotated[Optional[str], typer.Option("--validity", help=VALIDITY_HELP)] = None,
    warning_days: Annotated[int, typer.Option("--warning-days", metavar="DAYS", min=0, help="Days before expiry a record counts as expiring.")] = 60,
) -> None:
    """Add a certification type."""
    from certcli.catalog_edit import TypeChanges, add_type as add
    from certcli.db import write_transaction

    run = settings(ctx)
    conn = run.connect(create=True)
    with write_transaction(conn):
        stored = add(conn, run.actor, code, name, TypeChanges(None, _split(levels), _split(required), pattern, validity, warning_days))
    run.output.message(f"Added type {stored}")


@app.command("edit")
@handles_errors
def edit_type(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Type code.")],
    name: Annotated[Optional[str], typer.Option("--name", help="Full name.")] = None,
    levels: Annotated[Optional[str], typer.Option("--levels", help="Comma-separated levels (replaces the list).")] = None,
    required: Annotated[Optional[str], typer.Option("--require", help="Comma-separated required fields (replaces the list; empty for none).")] = None,
    pattern: Annotated[Optional[str], typer.Option("--number-pattern", help="Number pattern; empty to remove.")] = None,
    validity: Annotated[Optional[str], typer.Option("--validity", help=VALIDITY_HELP)] = None,
    warning_days: Annotated[Optional[int], typer.Option("--warning-days", metavar="DAYS", min=0, help="Days before expiry a record counts as expiring.")] = None,
) -> None:
    """Change a type's rules; existing records are kept as they are (run `certcli check`)."""
    from certcli.catalog_edit import TypeChanges, edit_type as edit
    from certcli.db import write_transaction

    run = settings(ctx)
    conn = run.connect()
    with write_transaction(conn):
        changed = edit(conn, run.actor, code, TypeChanges(name, _split(levels), _split(required), pattern, validity, warning_days))
    run.output.message(f"Type {code.upper()} updated" if changed else f"Type {code.upper()} unchanged")
