"""The floor of certcli's per-row commands: a minimal Typer app that inserts one record.

It has certcli's shape, global options in a callback and then a command. It does the least
a working `add` must do: parse the options with Typer, open the database with the stdlib
sqlite3 module and insert one row in one transaction. It validates nothing and writes no
audit event, so the time above it is what certcli adds.

Example:
    CERTCLI_DB=agency.db python bench/floor_app.py --today 2026-12-04 add E000001 BLS --issued 2026-01-05
"""

import sqlite3
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer

# The same Typer settings as certcli's app: plain help (no rich panels) is Typer's cheapest.
app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Insert certification records (benchmark floor).")
state: dict = {}


@app.callback()
def main_callback(
    db: Annotated[Path, typer.Option("--db", envvar="CERTCLI_DB", help="Database file.")],
    today: Annotated[Optional[str], typer.Option("--today", help="Accepted for parity with certcli; unused.")] = None,
) -> None:
    """Insert certification records (benchmark floor)."""
    state["db"] = db


@app.command()
def add(
    person: Annotated[str, typer.Argument(help="Employee id of the person.")],
    cert_type: Annotated[str, typer.Argument(metavar="TYPE", help="Certification type code.")],
    issued: Annotated[str, typer.Option("--issued", help="Issued date, YYYY-MM-DD.")],
    expires: Annotated[Optional[str], typer.Option("--expires", help="Expiration date, YYYY-MM-DD.")] = None,
    number: Annotated[Optional[str], typer.Option("--number", help="Certification number.")] = None,
) -> None:
    """Insert one certification record and print its id."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    conn = sqlite3.connect(state["db"], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    record_id = conn.execute(
        "INSERT INTO certifications (person_id, type_code, number, issued, expires, entered_by, entered_at,"
        " updated_by, updated_at) SELECT id, ?, ?, ?, ?, 'bench', ?, 'bench', ? FROM people WHERE employee_id = ?",
        (cert_type, number, issued, expires, now, now, person),
    ).lastrowid
    conn.execute("COMMIT")
    conn.close()
    print(record_id)


if __name__ == "__main__":
    sys.exit(app())
