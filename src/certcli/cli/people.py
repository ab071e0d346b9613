"""`certcli people ...`: the agency's members."""

from typing import Annotated, Optional

import typer

from certcli.cli.common import FormatOption, LimitOption, QuietIfEmptyOption, handles_errors, settings
from certcli.errors import ExitCode
from certcli.output import DEFAULT_TABLE_LIMIT

app = typer.Typer(help="Add, list, edit and deactivate the agency's members.", no_args_is_help=True, rich_markup_mode=None)

PEOPLE_COLUMNS = ["id", "employee_id", "last_name", "first_name", "email", "nems_id", "groups", "active"]


@app.command("add")
@handles_errors
def add_person(
    ctx: typer.Context,
    first_name: Annotated[str, typer.Argument(metavar="FIRST", help="First name.")],
    last_name: Annotated[str, typer.Argument(metavar="LAST", help="Last name.")],
    email: Annotated[Optional[str], typer.Option("--email", help="Email address (unique).")] = None,
    employee_id: Annotated[Optional[str], typer.Option("--employee-id", help="Agency employee id (unique).")] = None,
    nems_id: Annotated[Optional[str], typer.Option("--nems-id", help="National EMS ID, 12 digits (unique).")] = None,
    group: Annotated[Optional[list[str]], typer.Option("--group", "-g", metavar="GROUP", help="Group (station, shift, role); repeatable.")] = None,
) -> None:
    """Add a person; print the new id on stdout."""
    from certcli.db import write_transaction
    from certcli.people import PersonInput, add_person as add

    run = settings(ctx)
    conn = run.connect(create=True)
    with write_transaction(conn):
        person_id = add(conn, run.actor, PersonInput(first_name, last_name, email, employee_id, nems_id), group)
    run.output.message(f"Added {first_name.strip()} {last_name.strip()} as #{person_id}")
    run.output.line(str(person_id))


@app.command("list")
@handles_errors
def list_people(
    ctx: typer.Context,
    group: Annotated[Optional[list[str]], typer.Option("--group", "-g", metavar="GROUP", help="Only members of this group; repeatable.")] = None,
    include_inactive: Annotated[bool, typer.Option("--include-inactive", help="Include deactivated people.")] = False,
    output_format: FormatOption = None,
    limit: LimitOption = DEFAULT_TABLE_LIMIT,
    quiet_if_empty: QuietIfEmptyOption = False,
) -> None:
    """List people, active ones by default."""
    from certcli.people import GROUPS_SQL

    run = settings(ctx)
    conn = run.connect()
    clauses, parameters = [], []
    if not include_inactive:
        clauses.append("p.active = 1")
    if group:
        clauses.append(f"p.id IN (SELECT person_id FROM person_groups WHERE group_name IN ({', '.join('?' for _ in group)}))")
        parameters += group
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = conn.execute(
        f"SELECT p.id, p.employee_id, p.last_name, p.first_name, p.email, p.nems_id, {GROUPS_SQL} AS groups,"
        f" CASE p.active WHEN 1 THEN 'yes' ELSE 'no' END AS active FROM people p {where}"
        " ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, p.id",
        parameters,
    )
    run.output.rows(
        PEOPLE_COLUMNS, (dict(row) for row in rows), output_format, limit=limit,
        quiet_if_empty=quiet_if_empty, empty_message="No people match.",
    )


@app.command("edit")
@handles_errors
def edit_person(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="Id, employee id, email or name of the person.")],
    first_name: Annotated[Optional[str], typer.Option("--first", metavar="NAME", help="First name.")] = None,
    last_name: Annotated[Optional[str], typer.Option("--last", metavar="NAME", help="Last name.")] = None,
    email: Annotated[Optional[str], typer.Option("--email", help="Email; empty to clear.")] = None,
    employee_id: Annotated[Optional[str], typer.Option("--employee-id", help="Employee id; empty to clear.")] = None,
    nems_id: Annotated[Optional[str], typer.Option("--nems-id", help="National EMS ID; empty to clear.")] = None,
    add_group: Annotated[Optional[list[str]], typer.Option("--add-group", help="Add to a group; repeatable.")] = None,
    remove_group: Annotated[Optional[list[str]], typer.Option("--remove-group", metavar="GROUP", help="Remove from a group; repeatable.")] = None,
) -> None:
    """Change a person's details or groups."""
    from certcli.db import write_transaction
    from certcli.people import PersonInput, edit_person as edit, resolve_person

    run = settings(ctx)
    conn = run.connect()
    with write_transaction(conn):
        row = resolve_person(conn, person)
        changed = edit(conn, run.actor, row["id"], PersonInput(first_name, last_name, email, employee_id, nems_id),
                       add_group, remove_group)
    run.output.message(f"Person #{row['id']} updated" if changed else f"Person #{row['id']} unchanged")


def _set_active(ctx: typer.Context, person: str, active: bool) -> None:
    from certcli.db import write_transaction
    from certcli.people import PersonInput, describe, edit_person as edit, resolve_person

    run = settings(ctx)
    conn = run.connect()
    with write_transaction(conn):
        row = resolve_person(conn, person)
        changed = edit(conn, run.actor, row["id"], PersonInput(), active=active)
    state = "active" if active else "inactive"
    run.output.message(f"{describe(row).replace(' [inactive]', '')} is {'now' if changed else 'already'} {state}")


@app.command("deactivate")
@handles_errors
def deactivate(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="Id, employee id, email or name of the person.")],
) -> None:
    """Mark a person inactive: their records stay in history; they leave `missing` and lists."""
    _set_active(ctx, person, False)


@app.command("activate")
@handles_errors
def activate(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="Id, employee id, email or name of the person.")],
) -> None:
    """Mark a deactivated person active again."""
    _set_active(ctx, person, True)


@app.command("delete")
@handles_errors
def delete_person(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="Id, employee id, email or name of the person.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
) -> None:
    """Delete a person entered by mistake; refused when they have records (deactivate instead)."""
    from certcli.db import write_transaction
    from certcli.people import delete_person as delete, describe, resolve_person

    run = settings(ctx)
    conn = run.connect()
    if not yes:
        run.output.error("not deleting without confirmation. Pass --yes to delete")
        raise typer.Exit(ExitCode.USAGE)
    with write_transaction(conn):
        row = resolve_person(conn, person)
        delete(conn, run.actor, row["id"])
    run.output.message(f"Deleted {describe(row)}")
