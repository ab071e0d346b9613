"""Commands that change certification records: add, renew, edit, delete, restore, verify."""

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from certcli.cli.common import handles_errors, settings
from certcli.errors import ExitCode

# This module's top-level commands. Each is also listed in certcli.cli.COMMANDS, which builds it when used.
app = typer.Typer()

DATE_HELP = "YYYY-MM-DD or M/D/YYYY"
DateFormatOption = Annotated[
    Optional[str],
    typer.Option("--date-format", metavar="FORMAT", help="strptime pattern for dates in another order, e.g. %d/%m/%Y (ISO still works)."),
]
AllowNumberOption = Annotated[
    bool, typer.Option("--allow-number", help="Store a number that does not match the type's pattern, with a warning."),
]
AllowIncompleteOption = Annotated[
    bool, typer.Option("--allow-incomplete", help="Store a record that lacks a field its type requires, with a warning."),
]


def _input(type_code=None, level=None, number=None, state=None, city=None, issued=None, expires=None, notes=None):
    from certcli.records import CertificationInput

    return CertificationInput(type_code, level, number, state, city, issued, expires, notes)


@app.command()
@handles_errors
def add(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="Id, employee id, email or name of the person.")],
    cert_type: Annotated[str, typer.Argument(metavar="TYPE", help="Certification type code, e.g. BLS or NREMT.")],
    issued: Annotated[str, typer.Option("--issued", metavar="DATE", help=f"Issued date: {DATE_HELP}.")],
    expires: Annotated[Optional[str], typer.Option("--expires", metavar="DATE", help=f"Expiration date: {DATE_HELP}, a month (03/2027 = through March 31), or 'never'. Default: computed from the type's rule.")] = None,
    level: Annotated[Optional[str], typer.Option("--level", metavar="LEVEL", help="Level, e.g. EMT or Paramedic.")] = None,
    number: Annotated[Optional[str], typer.Option("--number", metavar="NUMBER", help="Certification number, kept as text.")] = None,
    state: Annotated[Optional[str], typer.Option("--state", metavar="STATE", help="State, e.g. OH.")] = None,
    city: Annotated[Optional[str], typer.Option("--city", metavar="CITY", help="City.")] = None,
    notes: Annotated[Optional[str], typer.Option("--notes", metavar="TEXT", help="Free-text notes.")] = None,
    image: Annotated[Optional[list[Path]], typer.Option("--image", metavar="FILE", help="Card image to attach (JPEG, PNG, GIF, WebP, HEIC/HEIF or PDF); repeat for front and back.")] = None,
    date_format: DateFormatOption = None,
    allow_number: AllowNumberOption = False,
    allow_incomplete: AllowIncompleteOption = False,
) -> None:
    """Add a certification record; print its id on stdout.

    A renewed card is a new record: the previous one stays as history.

    Example: certcli add "Ana Test" BLS --issued 2026-02-14 --number 0123456
    """
    from certcli import records
    from certcli.db import write_transaction
    from certcli.people import display_name, resolve_person

    run = settings(ctx)
    conn = run.connect()
    image_files, image_ids = [], []
    if image:
        from certcli.cli.images import read_files

        image_files = read_files(conn, image)
    with write_transaction(conn):
        person_row = resolve_person(conn, person)
        certification_id, messages = records.add_certification(
            conn, run.actor, person_row["id"],
            _input(cert_type, level, number, state, city, issued, expires, notes),
            records.Options(date_format, allow_number, allow_incomplete, today=run.today),
        )
        if image_files:
            from certcli.images import add_images

            image_ids, image_messages = add_images(conn, run.actor, certification_id, image_files)
            messages += image_messages
        record = records.get_record(conn, certification_id)
    run.output.messages(messages)
    attached = f", {len(image_ids)} image(s)" if image_ids else ""
    run.output.message(
        f"Added {record['type_code']} record #{certification_id} for {display_name(person_row)}"
        f" (expires {record['expires'] or 'never'}{attached})"
    )
    run.output.line(str(certification_id))


@app.command()
@handles_errors
def renew(
    ctx: typer.Context,
    certification_id: Annotated[int, typer.Argument(metavar="ID", help="Id of the record to renew.")],
    issued: Annotated[str, typer.Option("--issued", metavar="DATE", help=f"Issued date of the new card: {DATE_HELP}.")],
    expires: Annotated[Optional[str], typer.Option("--expires", metavar="DATE", help="Expiration of the new card. Default: from the type's rule.")] = None,
    level: Annotated[Optional[str], typer.Option("--level", metavar="LEVEL", help="New level (default: the old one).")] = None,
    number: Annotated[Optional[str], typer.Option("--number", metavar="NUMBER", help="New number (default: the old one).")] = None,
    state: Annotated[Optional[str], typer.Option("--state", metavar="STATE", help="New state (default: the old one).")] = None,
    city: Annotated[Optional[str], typer.Option("--city", metavar="CITY", help="New city (default: the old one).")] = None,
    notes: Annotated[Optional[str], typer.Option("--notes", metavar="TEXT", help="Notes for the new record.")] = None,
    date_format: DateFormatOption = None,
    allow_number: AllowNumberOption = False,
    allow_incomplete: AllowIncompleteOption = False,
) -> None:
    """Add the successor of record ID, prefilled from it; print the new id.

    The old record, its images and its verification stay as they were, as history.
    """
    from certcli import records
    from certcli.db import write_transaction

    run = settings(ctx)
    conn = run.connect()
    with write_transaction(conn):
        new_id, messages = records.renew_certification(
            conn, run.actor, certification_id,
            _input(None, level, number, state, city, issued, expires, notes),
            records.Options(date_format, allow_number, allow_incomplete, today=run.today),
        )
        record = records.get_record(conn, new_id)
    run.output.messages(messages)
    run.output.message(
        f"Renewed #{certification_id} as #{new_id} ({record['type_code']}, expires {record['expires'] or 'never'})"
    )
    run.output.line(str(new_id))


@app.command()
@handles_errors
def edit(
    ctx: typer.Context,
    certification_id: Annotated[int, typer.Argument(metavar="ID", help="Id of the record to correct.")],
    person: Annotated[Optional[str], typer.Option("--person", metavar="PERSON", help="Move the record to another person.")] = None,
    cert_type: Annotated[Optional[str], typer.Option("--type", metavar="TYPE", help="Correct the type.")] = None,
    issued: Annotated[Optional[str], typer.Option("--issued", metavar="DATE", help=f"Issued date: {DATE_HELP}.")] = None,
    expires: Annotated[Optional[str], typer.Option("--expires", metavar="DATE", help=f"Expiration: {DATE_HELP}, a month, or 'never'; empty to recompute from the type's rule.")] = None,
    level: Annotated[Optional[str], typer.Option("--level", metavar="LEVEL", help="Level; empty to clear.")] = None,
    number: Annotated[Optional[str], typer.Option("--number", metavar="NUMBER", help="Number; empty to clear.")] = None,
    state: Annotated[Optional[str], typer.Option("--state", metavar="STATE", help="State; empty to clear.")] = None,
    city: Annotated[Optional[str], typer.Option("--city", metavar="CITY", help="City; empty to clear.")] = None,
    notes: Annotated[Optional[str], typer.Option("--notes", metavar="TEXT", help="Notes; empty to clear.")] = None,
    date_format: DateFormatOption = None,
    allow_number: AllowNumberOption = False,
    allow_incomplete: AllowIncompleteOption = False,
) -> None:
    """Correct a mistake in record ID; a change to a verified field clears the verification.

    Use `renew` for a new card, not `edit`: edit changes the record in place.
    """
    from certcli import records
    from certcli.db import write_transaction
    from certcli.people import resolve_person

    run = settings(ctx)
    conn = run.connect()
    with write_transaction(conn):
        person_id = resolve_person(conn, person)["id"] if person is not None else None
        changed, messages = records.edit_certification(
            conn, run.actor, certification_id,
            _input(cert_type, level, number, state, city, issued, expires, notes),
            records.Options(date_format, allow_number, allow_incomplete, today=run.today), person_id=person_id,
        )
    run.output.messages(messages)
    run.output.message(f"Record #{certification_id} updated" if changed else f"Record #{certification_id} unchanged")


@app.command()
@handles_errors
def delete(
    ctx: typer.Context,
    certification_id: Annotated[int, typer.Argument(metavar="ID", help="Id of the record to delete.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking (required when not at a terminal).")] = False,
) -> None:
    """Delete record ID; a copy stays in the audit log and `certcli restore ID` brings it back."""
    from certcli import records
    from certcli.db import write_transaction

    run = settings(ctx)
    conn = run.connect()
    record = records.get_record(conn, certification_id)
    summary = f"#{certification_id} {record['type_code']} {record['number'] or ''} issued {record['issued']}"
    if not yes:
        # sys.stdin is None when the caller closed it (`certcli delete 5 <&-`).
        if sys.stdin is None or not sys.stdin.isatty():
            run.output.error(f"not deleting record {summary} without confirmation. Pass --yes to delete it")
            raise typer.Exit(ExitCode.USAGE)
        if not typer.confirm(f"Delete record {summary}?", default=False, err=True):
            run.output.message("Nothing deleted")
            raise typer.Exit(ExitCode.ERROR)
    with write_transaction(conn):
        records.delete_certification(conn, run.actor, certification_id)
    run.output.message(f"Deleted record {summary}; `certcli restore {certification_id}` brings it back")


@app.command()
@handles_errors
def restore(
    ctx: typer.Context,
    certification_id: Annotated[int, typer.Argument(metavar="ID", help="Id of the deleted record.")],
) -> None:
    """Bring back deleted record ID from its copy in the audit log."""
    from certcli import records
    from certcli.db import write_transaction

    run = settings(ctx)
    conn = run.connect()
    with write_transaction(conn):
        records.restore_certification(conn, run.actor, certification_id)
    run.output.message(f"Restored record #{certification_id}")


@app.command()
@handles_errors
def verify(
    ctx: typer.Context,
    certification_ids: Annotated[list[int], typer.Argument(metavar="ID...", help="Ids of the records checked against their cards.")],
    undo: Annotated[bool, typer.Option("--undo", help="Remove the verification instead.")] = False,
) -> None:
    """Mark records verified: they match the card and its image.

    The verification remembers who, when, and a fingerprint of the verified fields and
    images; any later change to them makes the record unverified again.
    """
    from certcli import records
    from certcli.db import write_transaction

    run = settings(ctx)
    conn = run.connect()
    with write_transaction(conn):
        messages = []
        for certification_id in certification_ids:
            messages += records.verify_certification(conn, run.actor, certification_id, undo=undo)
    run.output.messages(messages)
