"""Members of the agency: add, edit, deactivate, and find them by any reference."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from certcli import audit
from certcli.db import utc_now
from certcli.errors import Ambiguous, Conflict, InvalidValue, NotFound

MAX_NAME_LENGTH = 200
# SQL for a person's groups as one "A; B" text, for queries over `people p`.
GROUPS_SQL = (
    "(SELECT group_concat(group_name, '; ') FROM (SELECT group_name FROM person_groups g"
    " WHERE g.person_id = p.id ORDER BY group_name))"
)
PERSON_FIELDS = ("first_name", "last_name", "email", "employee_id", "nems_id")


@dataclass
class PersonInput:
    """Person fields as the user typed them; None means "not given", "" means "clear"."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    employee_id: str | None = None
    nems_id: str | None = None


def display_name(row) -> str:
    return f"{row['first_name']} {row['last_name']}".strip()


def describe(row) -> str:
    """Return a one-line description that distinguishes two people of the same name."""
    parts = [f"#{row['id']} {display_name(row)}"]
    extra = [value for value in (row["employee_id"], row["email"]) if value]
    if extra:
        parts.append(f"({', '.join(extra)})")
    if not row["active"]:
        parts.append("[inactive]")
    return " ".join(parts)


def _clean(fields: PersonInput) -> dict[str, str | None]:
    """Strip and validate the given fields; blank optional fields become NULL."""
    clean: dict[str, str | None] = {}
    for name in PERSON_FIELDS:
        value = getattr(fields, name)
        if value is None:
            continue
        value = value.strip()
        if len(value) > MAX_NAME_LENGTH:
            raise InvalidValue(
                f"{name.replace('_', ' ')} is {len(value):,} characters long",
                f"Keep it under {MAX_NAME_LENGTH:,} characters",
            )
        clean[name] = value or None

    for name in ("first_name", "last_name"):
        if name in clean and clean[name] is None:
            raise InvalidValue(f"{name.replace('_', ' ')} is empty", "Give the person's name")
    email = clean.get("email")
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise InvalidValue(f'invalid email "{email}"', "Use an address such as ana@example.org")
    nems_id = clean.get("nems_id")
    if nems_id and not re.fullmatch(r"\d{12}", nems_id):
        raise InvalidValue(
            f'invalid National EMS ID "{nems_id}"', "It has exactly 12 digits, as issued by the NREMT"
        )
    if clean.get("employee_id") and clean["employee_id"].startswith("#"):
        raise InvalidValue(
            f'invalid employee id "{clean["employee_id"]}"', "Employee ids cannot start with #"
        )
    return clean


def _check_unique(conn: sqlite3.Connection, clean: dict, person_id: int | None = None) -> None:
    for name, label in (("email", "email"), ("employee_id", "employee id"), ("nems_id", "National EMS ID")):
        value = clean.get(name)
        if not value:
            continue
        row = conn.execute(
            f"SELECT * FROM people WHERE {name} = ? AND id IS NOT ?", (value, person_id)
        ).fetchone()
        if row:
            raise Conflict(f'{label} "{value}" already belongs to {describe(row)}', f"Use another {label}")


def add_person(
    conn: sqlite3.Connection, actor: str, fields: PersonInput, groups: list[str] | None = None
) -> int:
    """Insert a person inside the caller's write transaction; return the new id."""
    clean = _clean(fields)
    for name in ("first_name", "last_name"):
        if not clean.get(name):
            raise InvalidValue(f"{name.replace('_', ' ')} is missing", "Give the person's first and last name")
    _check_unique(conn, clean)

    now = utc_now()
    person_id = conn.execute(
        "INSERT INTO people (first_name, last_name, email, employee_id, nems_id, active,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
        (clean["first_name"], clean["last_name"], clean.get("email"), clean.get("employee_id"),
         clean.get("nems_id"), now, now),
    ).lastrowid
    set_groups(conn, person_id, groups or [])
    audit.record(conn, actor, "person-add", person_id=person_id, after=person_snapshot(conn, person_id))
    return person_id


def set_groups(conn: sqlite3.Connection, person_id: int, groups: list[str]) -> None:
    conn.execute("DELETE FROM person_groups WHERE person_id = ?", (person_id,))
    names = sorted({name.strip() for name in groups if name.strip()}, key=str.lower)
    conn.executemany(
        "INSERT OR IGNORE INTO person_groups (person_id, group_name) VALUES (?, ?)",
        [(person_id, name) for name in names],
    )


def groups_of(conn: sqlite3.Connection, person_id: int) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT group_name FROM person_groups WHERE person_id = ? ORDER BY group_name", (person_id,)
        )
    ]


def person_snapshot(conn: sqlite3.Connection, person_id: int) -> dict:
    row = conn.execute("SELECT * FROM people WHERE id = ?", (person_id,)).fetchone()
    snapshot = {key: row[key] for key in row.keys() if key not in ("created_at", "updated_at")}
    snapshot["groups"] = groups_of(conn, person_id)
    return snapshot


def edit_person(
    conn: sqlite3.Connection,
    actor: str,
    person_id: int,
    fields: PersonInput,
    add_groups: list[str] | None = None,
    remove_groups: list[str] | None = None,
    active: bool | None = None,
) -> bool:
    """Apply the given changes; return False when nothing changed."""
    before = person_snapshot(conn, person_id)
    clean = _clean(fields)
    _check_unique(conn, clean, person_id)

    changes = {name: value for name, value in clean.items() if before[name] != value}
    if active is not None and bool(before["active"]) != active:
        changes["active"] = int(active)
    groups = list(before["groups"])
    lowered = {name.lower() for name in groups}
    groups += [name for name in (add_groups or []) if name.strip().lower() not in lowered]
    removed = {name.strip().lower() for name in (remove_groups or [])}
    groups = [name for name in groups if name.lower() not in removed]

    if not changes and groups == before["groups"]:
        return False
    if changes:
        assignments = ", ".join(f"{name} = ?" for name in changes)
        conn.execute(
            f"UPDATE people SET {assignments}, updated_at = ? WHERE id = ?",
            (*changes.values(), utc_now(), person_id),
        )
    if groups != before["groups"]:
        set_groups(conn, person_id, groups)
    action = "person-edit"
    if set(changes) == {"active"}:
        action = "person-activate" if active else "person-deactivate"
    audit.record(conn, actor, action, person_id=person_id, before=before,
                 after=person_snapshot(conn, person_id))
    return True


def delete_person(conn: sqlite3.Connection, actor: str, person_id: int) -> None:
    """Delete a person who has no certification records; others must be deactivated."""
    count = conn.execute(
        "SELECT count(*) FROM certifications WHERE person_id = ?", (person_id,)
    ).fetchone()[0]
    row = get_person(conn, person_id)
    if count:
        raise Conflict(
            f"{describe(row)} has {count} certification record(s) and cannot be deleted",
            "Use `certcli people deactivate` to keep the history",
        )
    before = person_snapshot(conn, person_id)
    conn.execute("DELETE FROM people WHERE id = ?", (person_id,))
    audit.record(conn, actor, "person-delete", person_id=person_id, before=before)


def get_person(conn: sqlite3.Connection, person_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM people WHERE id = ?", (person_id,)).fetchone()
    if row is None:
        raise NotFound(f"no person with id {person_id}", "List people with `certcli people list`")
    return row


def resolve_person(conn: sqlite3.Connection, reference: str) -> sqlite3.Row:
    """Find the one person `reference` names: id, employee id, email, National EMS ID or name.

    `#12` always means the id 12. Otherwise every kind of key is tried first. Then come an
    exact full name ("Ana Test" or "Test, Ana"), a last name, and a part of a name, in that
    order. Two or more people at the first level that matches raise Ambiguous, listing them.
    """
    text = reference.strip()
    if not text:
        raise InvalidValue("person is empty", "Give an id, employee id, email or name")
    if re.fullmatch(r"#\d+", text):
        return get_person(conn, int(text[1:]))

    by_key: dict[int, sqlite3.Row] = {}
    if text.isdigit():
        for row in conn.execute("SELECT * FROM people WHERE id = ?", (int(text),)):
            by_key[row["id"]] = row
    for row in conn.execute(
        "SELECT * FROM people WHERE employee_id = ? OR email = ? OR nems_id = ?", (text, text, text)
    ):
        by_key[row["id"]] = row
    if by_key:
        return _single(reference, list(by_key.values()))

    name = " ".join(text.split())
    if "," in name:
        last, _, first = name.partition(",")
        first, last = first.strip(), last.strip()
    else:
        first, _, last = name.rpartition(" ")
    queries = [
        ("SELECT * FROM people WHERE first_name = ? COLLATE NOCASE AND last_name = ? COLLATE NOCASE"
         " ORDER BY id", (first, last)),
        ("SELECT * FROM people WHERE last_name = ? COLLATE NOCASE ORDER BY id", (name,)),
        ("SELECT * FROM people WHERE instr(lower(first_name || ' ' || last_name), lower(?)) > 0"
         " ORDER BY id", (name,)),
    ]
    for sql, parameters in queries:
        rows = conn.execute(sql, parameters).fetchall()
        if rows:
            return _single(reference, rows)

    raise NotFound(
        f'no person matches "{reference}"',
        "Use an id, employee id, email or name from `certcli people list`",
    )


def _single(reference: str, rows: list[sqlite3.Row]) -> sqlite3.Row:
    if len(rows) == 1:
        return rows[0]
    candidates = [describe(row) for row in rows]
    shown = "; ".join(candidates[:10]) + ("; ..." if len(candidates) > 10 else "")
    raise Ambiguous(
        f'"{reference}" matches {len(rows)} people: {shown}',
        "Name one of them by #id, employee id or email",
        candidates,
    )
