"""Commands that read: list, export, missing, show and log."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from certcli.cli.common import (
    FailIfFoundOption,
    FormatOption,
    LimitOption,
    QuietIfEmptyOption,
    finish_report,
    handles_errors,
    parse_date_option,
    settings,
)
from certcli.output import DEFAULT_TABLE_LIMIT

# This module's top-level commands. Each is also listed in certcli.cli.COMMANDS, which builds it when used.
app = typer.Typer()

LIST_TABLE = [
    ("id", "ID"), ("person", "Person"), ("type", "Type"), ("level", "Level"), ("number", "Number"),
    ("issued", "Issued"), ("expires", "Valid through"), ("status", "Status"), ("verified", "Verified"),
    ("images", "Images"),
]


def split_values(values: Optional[list[str]]) -> list[str]:
    """Accept repeated options and comma-separated values alike: --type BLS,ACLS --type PALS."""
    result = []
    for value in values or []:
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if not parts:
            # An empty shell variable must not silently turn a filter off.
            raise typer.BadParameter(f'"{value}" names nothing; give a value or leave the option out')
        result += parts
    return result


PersonOption = Annotated[Optional[list[str]], typer.Option("--person", "-p", metavar="PERSON", help="Only this person (id, employee id, email or name); repeatable.")]
GroupOption = Annotated[Optional[list[str]], typer.Option("--group", "-g", metavar="GROUP", help="Only members of this group (station, shift, role); repeatable.")]
TypeOption = Annotated[Optional[list[str]], typer.Option("--type", "-t", metavar="TYPE", help="Only these types; repeatable or comma-separated.")]
IncludeInactiveOption = Annotated[bool, typer.Option("--include-inactive", help="Include people who were deactivated.")]
AsOfOption = Annotated[Optional[str], typer.Option("--as-of", metavar="DATE", help="Show the records and status as they were on this day (YYYY-MM-DD).")]


def build_list_filter(ctx, person, group, cert_type, level, status, state, expiring_within, expires_before,
                      expires_after, issued_before, issued_after, verified, history, include_inactive, as_of, sort):
    from certcli.listing import SORT_KEYS, STATUSES, ListFilter
    from certcli.people import resolve_person

    for value in split_values(status):
        if value.lower() not in STATUSES:
            raise typer.BadParameter(f'"{value}" is not one of {", ".join(STATUSES)}', param_hint="--status")
    if sort not in SORT_KEYS:
        raise typer.BadParameter(f'"{sort}" is not one of {", ".join(SORT_KEYS)}', param_hint="--sort")
    conn = settings(ctx).connect()
    return ListFilter(
        person_ids=[resolve_person(conn, reference)["id"] for reference in person or []],
        groups=split_values(group),
        types=split_values(cert_type),
        levels=split_values(level),
        statuses=[value.lower() for value in split_values(status)],
        states=split_values(state),
        expiring_within=expiring_within,
        expires_before=parse_date_option(expires_before, "--expires-before", month_only=True, month_start=True),
        expires_after=parse_date_option(expires_after, "--expires-after", month_only=True),
        issued_before=parse_date_option(issued_before, "--issued-before"),
        issued_after=parse_date_option(issued_after, "--issued-after"),
        verified=verified,
        history=history,
        include_inactive=include_inactive,
        as_of=parse_date_option(as_of, "--as-of"),
        sort=sort,
    )


def _inactive_hint(conn, list_filter) -> str:
    """Return a hint naming the requested people who are inactive, whom the list leaves out."""
    if list_filter.include_inactive or not list_filter.person_ids:
        return ""
    marks = ", ".join("?" * len(list_filter.person_ids))
    names = [f"{row[0]} {row[1]}" for row in conn.execute(
        f"SELECT first_name, last_name FROM people WHERE active = 0 AND id IN ({marks}) ORDER BY id",
        list_filter.person_ids)]
    if not names:
        return ""
    return f" {', '.join(names)} {'is' if len(names) == 1 else 'are'} inactive: add --include-inactive to list them."


def table_rows(rows):
    """Add the display-only columns of the terminal table to list rows."""
    for row in rows:
        data = dict(row)
        data["person"] = f"{row['last_name']}, {row['first_name']}"
        data["verified"] = row["verified_by"] or ""
        yield data


@app.command("list")
@handles_errors
def list_records(
    ctx: typer.Context,
    person: PersonOption = None,
    group: GroupOption = None,
    cert_type: TypeOption = None,
    level: Annotated[Optional[list[str]], typer.Option("--level", metavar="LEVEL", help="Only these levels; repeatable or comma-separated.")] = None,
    status: Annotated[Optional[list[str]], typer.Option("--status", "-s", metavar="STATUS", help="Only these statuses: valid, expiring, expired; repeatable or comma-separated.")] = None,
    state: Annotated[Optional[list[str]], typer.Option("--state", metavar="STATE", help="Only records of this state; repeatable.")] = None,
    expiring_within: Annotated[Optional[int], typer.Option("--expiring-within", min=0, help="Only records that expire from today through today + DAYS (inclusive); also the 'expiring' window.", metavar="DAYS")] = None,
    expires_before: Annotated[Optional[str], typer.Option("--expires-before", metavar="DATE", help="Only records that expire before this date; a month means before that month.")] = None,
    expires_after: Annotated[Optional[str], typer.Option("--expires-after", metavar="DATE", help="Only records that expire after this date (records that never expire included).")] = None,
    issued_before: Annotated[Optional[str], typer.Option("--issued-before", metavar="DATE", help="Only records issued before this date.")] = None,
    issued_after: Annotated[Optional[str], typer.Option("--issued-after", metavar="DATE", help="Only records issued after this date.")] = None,
    verified: Annotated[Optional[bool], typer.Option("--verified/--unverified", help="Only verified, or only unverified, records.", show_default=False)] = None,
    history: Annotated[bool, typer.Option("--history", help="Include earlier records (renewed cards), not only each person's current one.")] = False,
    include_inactive: IncludeInactiveOption = False,
    as_of: AsOfOption = None,
    sort: Annotated[str, typer.Option("--sort", metavar="KEY", help="Order by expires, person, type or id.")] = "expires",
    output_format: FormatOption = None,
    limit: LimitOption = DEFAULT_TABLE_LIMIT,
    quiet_if_empty: QuietIfEmptyOption = False,
    fail_if_found: FailIfFoundOption = False,
) -> None:
    """List certification records: each person's current record per type, filtered.

    Status is computed for --today: valid, expiring (within the type's warning window, or
    --expiring-within DAYS), or expired. A card is valid through its expiration day.

    Example (cron): certcli list --expiring-within 60 --format csv --quiet-if-empty
    """
    from certcli.listing import LIST_COLUMNS, query_records

    run = settings(ctx)
    list_filter = build_list_filter(ctx, person, group, cert_type, level, status, state, expiring_within,
                                    expires_before, expires_after, issued_before, issued_after, verified,
                                    history, include_inactive, as_of, sort)
    rows = query_records(run.connect(), list_filter, run.today)
    if run.output.resolve_format(output_format) == "table":
        rows = table_rows(rows)
    count = run.output.rows(
        LIST_COLUMNS, rows, output_format, table_columns=LIST_TABLE, limit=limit,
        optional_columns=[("images", 130), ("level", 120), ("issued", 110), ("verified", 100)],
        quiet_if_empty=quiet_if_empty, summary_key="status",
        empty_message="No certification records match." + _inactive_hint(run.connect(), list_filter),
    )
    finish_report(count, fail_if_found)


@app.command()
@handles_errors
def export(
    ctx: typer.Context,
    output_path: Annotated[Path, typer.Option("--output", "-o", "--out", help="File to write: .xlsx, .csv, .tsv, .json or .ndjson.")],
    person: PersonOption = None,
    group: GroupOption = None,
    cert_type: TypeOption = None,
    level: Annotated[Optional[list[str]], typer.Option("--level", metavar="LEVEL", help="Only these levels.")] = None,
    status: Annotated[Optional[list[str]], typer.Option("--status", "-s", metavar="STATUS", help="Only these statuses: valid, expiring, expired.")] = None,
    state: Annotated[Optional[list[str]], typer.Option("--state", metavar="STATE", help="Only records of this state.")] = None,
    expiring_within: Annotated[Optional[int], typer.Option("--expiring-within", min=0, metavar="DAYS", help="Only records that expire from today through today + DAYS.")] = None,
    expires_before: Annotated[Optional[str], typer.Option("--expires-before", metavar="DATE", help="Only records that expire before this date; a month means before that month.")] = None,
    expires_after: Annotated[Optional[str], typer.Option("--expires-after", metavar="DATE", help="Only records that expire after this date.")] = None,
    issued_before: Annotated[Optional[str], typer.Option("--issued-before", metavar="DATE", help="Only records issued before this date.")] = None,
    issued_after: Annotated[Optional[str], typer.Option("--issued-after", metavar="DATE", help="Only records issued after this date.")] = None,
    verified: Annotated[Optional[bool], typer.Option("--verified/--unverified", help="Only verified, or only unverified, records.", show_default=False)] = None,
    history: Annotated[bool, typer.Option("--history", help="Include earlier records.")] = False,
    include_inactive: IncludeInactiveOption = False,
    as_of: AsOfOption = None,
    sort: Annotated[str, typer.Option("--sort", metavar="KEY", help="Order by expires, person, type or id.")] = "expires",
) -> None:
    """Write the filtered list (the same view as `list`) to a spreadsheet or data file.

    In .xlsx files dates are date cells, certification numbers are text cells, and no cell
    is ever a formula. A second sheet records the filters and the day status was computed for.
    """
    from certcli.export import export_records

    run = settings(ctx)
    list_filter = build_list_filter(ctx, person, group, cert_type, level, status, state, expiring_within,
                                    expires_before, expires_after, issued_before, issued_after, verified,
                                    history, include_inactive, as_of, sort)
    count, warnings = export_records(run.connect(), list_filter, run.today, output_path,
                                     progress=run.output.message if run.output.stderr_is_terminal else None)
    run.output.messages(warnings)
    run.output.message(f"Wrote {count} record(s) to {output_path}")


@app.command()
@handles_errors
def missing(
    ctx: typer.Context,
    specs: Annotated[Optional[list[str]], typer.Argument(metavar="[TYPE]...", help='Types to check; "A|B" means either one counts, e.g. "NREMT|STATE_EMS" or "NREMT:Paramedic".', show_default=False)] = None,
    cert_type: Annotated[Optional[list[str]], typer.Option("--type", "-t", metavar="TYPE", help="Same as a TYPE argument; repeatable.")] = None,
    group: GroupOption = None,
    person: PersonOption = None,
    include_expired: Annotated[bool, typer.Option("--include-expired", "--expired", help="Also list people whose records of the type are all expired, with the date the last one expired.")] = False,
    include_inactive: IncludeInactiveOption = False,
    as_of: AsOfOption = None,
    output_format: FormatOption = None,
    limit: LimitOption = DEFAULT_TABLE_LIMIT,
    quiet_if_empty: QuietIfEmptyOption = False,
    fail_if_found: FailIfFoundOption = False,
) -> None:
    """List active people who have no record of a type (the negative report).

    With --include-expired, holding only expired records counts as missing too; a record
    with no expiration date never expires.

    Example: certcli missing BLS --include-expired --format csv
    """
    from certcli.listing import MISSING_COLUMNS, MissingFilter, query_missing
    from certcli.people import resolve_person

    run = settings(ctx)
    conn = run.connect()
    all_specs = list(specs or []) + list(cert_type or [])
    if not all_specs:
        raise typer.BadParameter("give at least one TYPE, e.g. certcli missing BLS", param_hint="TYPE")
    missing_filter = MissingFilter(
        specs=all_specs,
        groups=split_values(group),
        person_ids=[resolve_person(conn, reference)["id"] for reference in person or []],
        include_expired=include_expired,
        include_inactive=include_inactive,
        as_of=parse_date_option(as_of, "--as-of"),
    )
    rows = (
        {**row, "person": f"{row['last_name']}, {row['first_name']}",
         "note": f"expired {row['last_expired']}" if row["last_expired"] else "no record"}
        for row in query_missing(conn, missing_filter, run.today)
    )
    count = run.output.rows(
        MISSING_COLUMNS, rows, output_format,
        table_columns=[("person_id", "ID"), ("person", "Person"), ("employee_id", "Employee id"),
                       ("groups", "Groups"), ("missing", "Missing"), ("note", "Note")],
        limit=limit, quiet_key="person_id", quiet_if_empty=quiet_if_empty,
        empty_message="Nobody is missing " + ", ".join(all_specs) + ".",
    )
    finish_report(count, fail_if_found)


@app.command()
@handles_errors
def show(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="Id, employee id, email or name of the person.")],
    output_format: Annotated[Optional[str], typer.Option("--format", "-f", metavar="FORMAT", help="text (default) or json.")] = None,
) -> None:
    """Show one person: details, each type's chain of records (current first), and images."""
    import json

    from certcli.showing import person_report, render_person_report

    if output_format not in (None, "text", "json"):
        raise typer.BadParameter(f'"{output_format}" is not one of text, json', param_hint="--format")
    run = settings(ctx)
    report = person_report(run.connect(), person, run.today)
    if output_format == "json":
        run.output.line(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for line in render_person_report(report):
            run.output.line(line)
        run.output.flush()


@app.command("log")
@handles_errors
def audit_log(
    ctx: typer.Context,
    person: Annotated[Optional[str], typer.Option("--person", "-p", metavar="PERSON", help="Only events about this person.")] = None,
    record: Annotated[Optional[int], typer.Option("--record", "-r", metavar="ID", help="Only events about this record id.")] = None,
    actor: Annotated[Optional[str], typer.Option("--actor", metavar="NAME", help="Only changes made by this actor.")] = None,
    action: Annotated[Optional[str], typer.Option("--action", help="Only this action: add, renew, edit, delete, restore, verify, unverify, import, person-add, ...")] = None,
    since: Annotated[Optional[str], typer.Option("--since", metavar="DATE", help="Only events on or after this date (UTC).")] = None,
    last: Annotated[Optional[int], typer.Option("--last", metavar="N", min=1, help="Only the last N events.")] = None,
    output_format: FormatOption = None,
    limit: LimitOption = DEFAULT_TABLE_LIMIT,
    quiet_if_empty: QuietIfEmptyOption = False,
) -> None:
    """Show the audit trail: who changed what and when, with values before and after."""
    from certcli.audit import LOG_COLUMNS, LogFilter, describe_changes, query_events
    from certcli.people import resolve_person

    run = settings(ctx)
    conn = run.connect()
    since_day = parse_date_option(since, "--since")
    log_filter = LogFilter(
        person_id=resolve_person(conn, person)["id"] if person else None,
        certification_id=record, actor=actor, action=action,
        since=since_day.isoformat() if since_day else None, limit=last,
    )
    rows = (
        {**event, "type": event["type_code"], "changes": describe_changes(event["before"], event["after"])}
        for event in query_events(conn, log_filter)
    )
    run.output.rows(
        LOG_COLUMNS, rows, output_format,
        table_columns=[("id", "#"), ("at", "At (UTC)"), ("actor", "Actor"), ("action", "Action"),
                       ("certification_id", "Record"), ("type", "Type"), ("changes", "Changes"), ("reason", "Reason")],
        limit=limit, quiet_if_empty=quiet_if_empty, empty_message="No events match.",
    )
