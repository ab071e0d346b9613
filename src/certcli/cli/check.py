"""`certcli check`: report data errors, and with --integrity SQLite's own checks."""

from typing import Annotated

import typer

from certcli.cli.common import FormatOption, LimitOption, QuietIfEmptyOption, handles_errors, settings
from certcli.errors import ExitCode
from certcli.output import DEFAULT_TABLE_LIMIT

# This module's top-level commands. Each is also listed in certcli.cli.COMMANDS, which builds it when used.
app = typer.Typer()


@app.command()
@handles_errors
def check(
    ctx: typer.Context,
    integrity: Annotated[bool, typer.Option("--integrity", help="Also run SQLite's integrity and foreign-key checks, and compare each person's current records with a ranking of all their records.")] = False,
    output_format: FormatOption = None,
    limit: LimitOption = DEFAULT_TABLE_LIMIT,
    quiet_if_empty: QuietIfEmptyOption = False,
) -> None:
    """Report suspicious records; exit 3 when there are findings, 0 when there are none.

    Dates: issued in the future (after --today), after the expiration, or on the previous
    card's expiration (the old expiration typed as the new issue date); cycles longer than
    the type allows; overlapping records.

    Other fields: one number on two people, missing required fields (State and City for
    NREMT and STATE_EMS), numbers off their pattern, expirations that disagree with the
    type's rule, and verifications that no longer match the record.
    """
    from itertools import chain

    from certcli.checks import CHECK_COLUMNS, check_integrity, check_records

    run = settings(ctx)
    conn = run.connect()
    findings = chain(check_integrity(conn), check_records(conn, run.today)) if integrity else check_records(conn, run.today)
    count = run.output.rows(
        CHECK_COLUMNS, findings, output_format, quiet_key="record_id", limit=limit, quiet_if_empty=quiet_if_empty,
        table_columns=[("record_id", "Record"), ("person", "Person"), ("type", "Type"), ("finding", "Finding"),
                       ("detail", "Detail"), ("fix", "Fix")],
        empty_message="No findings." + (" Integrity, foreign keys and current records are ok." if integrity else ""),
    )
    if count:
        run.output.message(f"{count} finding(s)")
        raise typer.Exit(ExitCode.FOUND)
