"""Required types per group, and the compliance matrix of people by required types."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date

from certcli import audit
from certcli.certtypes import get_type
from certcli.errors import InvalidValue
from certcli.people import GROUPS_SQL
from certcli.records import status_of

# The group name that means "every member".
EVERYONE = "*"
EVERYONE_WORDS = ("*", "everyone", "all members")


def group_key(group: str) -> str:
    group = group.strip()
    if not group:
        raise InvalidValue("group is empty", 'Give a group name, or "everyone" for every member')
    return EVERYONE if group.lower() in EVERYONE_WORDS else group


def require_types(conn: sqlite3.Connection, actor: str, group: str, codes: list[str], *, remove: bool = False) -> int:
    """Add (or remove) required types of a group; return how many rows changed."""
    key = group_key(group)
    changed = 0
    for code in codes:
        type_code = get_type(conn, code).code
        if remove:
            cursor = conn.execute("DELETE FROM required_types WHERE group_name = ? AND type_code = ?", (key, type_code))
        else:
            cursor = conn.execute("INSERT OR IGNORE INTO required_types (group_name, type_code) VALUES (?, ?)",
                                  (key, type_code))
        if cursor.rowcount:
            changed += 1
            change = {"group": key, "type": type_code}
            audit.record(conn, actor, "require-remove" if remove else "require-add", type_code=type_code,
                         before=change if remove else None, after=None if remove else change)
    return changed


def required_rows(conn: sqlite3.Connection):
    return conn.execute(
        "SELECT CASE group_name WHEN '*' THEN 'everyone' ELSE group_name END AS \"group\", type_code AS type"
        " FROM required_types ORDER BY group_name = '*' DESC, group_name COLLATE NOCASE, type_code"
    )


@dataclass
class Matrix:
    types: list[str]
    rows: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def compliance_matrix(
    conn: sqlite3.Connection,
    today: date,
    groups: list[str] | None = None,
    types: list[str] | None = None,
    include_inactive: bool = False,
) -> Matrix:
    """Return one row per person with a cell per type: valid, expiring, expired, missing or "".

    "missing" means the type is required of the person, by the everyone group or one of
    theirs, and they have no record of it. "" means the type is neither required nor held.
    """
    clauses, parameters = [], []
    if not include_inactive:
        clauses.append("p.active = 1")
    if groups:
        clauses.append(f"p.id IN (SELECT person_id FROM person_groups WHERE group_name IN ({', '.join('?' for _ in groups)}))")
        parameters += groups
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    people = conn.execute(
        f"SELECT p.id, p.employee_id, p.last_name, p.first_name, {GROUPS_SQL} AS groups"
        f" FROM people p {where} ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, p.id",
        parameters,
    ).fetchall()

    required: dict[int, set[str]] = {row["id"]: set() for row in people}
    for person_id, type_code in conn.execute(
        "SELECT g.person_id, r.type_code FROM person_groups g JOIN required_types r ON r.group_name = g.group_name"
    ):
        if person_id in required:
            required[person_id].add(type_code)
    for (type_code,) in conn.execute("SELECT type_code FROM required_types WHERE group_name = '*'"):
        for needed in required.values():
            needed.add(type_code)

    if types:
        columns = [get_type(conn, code).code for code in types]
    else:
        columns = sorted(set().union(*required.values())) if required else []
    if not columns:
        raise InvalidValue("no required types are set and no --type was given",
                           'Set them with `certcli required add everyone BLS`, or pass --type')

    held: dict[tuple[int, str], str] = {}
    for row in conn.execute(
        f"SELECT c.person_id, c.type_code, c.expires, t.warning_days FROM current_records c"
        f" JOIN cert_types t ON t.code = c.type_code WHERE c.type_code IN"
        f" ({', '.join('?' for _ in columns)})", columns,
    ):
        held[(row["person_id"], row["type_code"])] = status_of(row["expires"], today, row["warning_days"])

    matrix = Matrix(columns)
    for person in people:
        row = dict(person)
        for type_code in columns:
            status = held.get((person["id"], type_code))
            if status is None:
                status = "missing" if type_code in required[person["id"]] else ""
            row[type_code] = status
            if status:
                matrix.counts[status] = matrix.counts.get(status, 0) + 1
        matrix.rows.append(row)
    return matrix
