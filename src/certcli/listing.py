"""The certification list and the negative report (`missing`), as SQL over current records."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterator

from certcli.certtypes import get_type
from certcli.errors import InvalidValue
from certcli.people import GROUPS_SQL

STATUSES = ("valid", "expiring", "expired")
SORT_KEYS = ("expires", "person", "type", "id")

# Columns of `list`, `export` and the CSV layout `import` reads back.
LIST_COLUMNS = [
    "id", "employee_id", "last_name", "first_name", "email", "type", "level", "number", "state",
    "city", "issued", "expires", "status", "verified_by", "verified_at", "images", "notes",
]
MISSING_COLUMNS = ["person_id", "employee_id", "last_name", "first_name", "email", "groups", "missing", "last_expired"]

_ORDER = {
    "expires": "c.expires IS NULL, c.expires, p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, c.type_code, c.id",
    "person": "p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, p.id, c.type_code, c.expires, c.id",
    "type": "c.type_code, c.expires IS NULL, c.expires, p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, c.id",
    "id": "c.id",
}


@dataclass
class ListFilter:
    """The filters of the certification list; empty lists and None mean "any"."""

    person_ids: list[int] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    expiring_within: int | None = None
    expires_before: date | None = None
    expires_after: date | None = None
    issued_before: date | None = None
    issued_after: date | None = None
    verified: bool | None = None
    history: bool = False
    include_inactive: bool = False
    as_of: date | None = None
    sort: str = "expires"

    def describe(self) -> list[tuple[str, str]]:
        """Return (filter, value) pairs for the filters in use, for export metadata."""
        pairs = []
        for name, value in vars(self).items():
            if value in (None, [], False) or (name == "sort" and value == "expires"):
                continue
            if isinstance(value, list):
                value = ", ".join(str(item) for item in value)
            elif isinstance(value, date):
                value = value.isoformat()
            pairs.append((name.replace("_", "-"), str(value)))
        return pairs


def _placeholders(values: list) -> str:
    return ", ".join("?" for _ in values)


def status_sql(window: int | None) -> str:
    """Return the SQL expression of a record's status; `window` overrides the type's warning days."""
    days = str(int(window)) if window is not None else "t.warning_days"
    return (
        "CASE WHEN c.expires IS NULL THEN 'valid' WHEN c.expires < :today THEN 'expired'"
        f" WHEN c.expires <= date(:today, '+' || {days} || ' days') THEN 'expiring' ELSE 'valid' END"
    )


def list_query(conn: sqlite3.Connection, list_filter: ListFilter, today: date) -> tuple[str, dict]:
    """Build the SQL and parameters of the certification list for `today` (or --as-of)."""
    day = list_filter.as_of or today
    parameters: dict = {"today": day.isoformat()}
    clauses: list[str] = []
    # The current records' own table carries their person, type and expiration with indexes,
    # so filters on those columns read it rather than the table of every record.
    current = not list_filter.as_of and not list_filter.history
    key = "cur" if current else "c"

    def add_in(column: str, values: list, prefix: str, transform=lambda value: value) -> None:
        names = []
        for index, value in enumerate(values):
            parameters[f"{prefix}{index}"] = transform(value)
            names.append(f":{prefix}{index}")
        clauses.append(f"{column} IN ({', '.join(names)})")

    if list_filter.as_of and not list_filter.history:
        clauses.append(
            "c.id IN (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY person_id, type_code"
            " ORDER BY coalesce(expires, '9999-12-31') DESC, issued DESC, id DESC) AS rank"
            " FROM certifications WHERE issued <= :today) WHERE rank = 1)"
        )
    elif list_filter.as_of:
        clauses.append("c.issued <= :today")

    if list_filter.person_ids:
        add_in(f"{key}.person_id", list_filter.person_ids, "person")
    if list_filter.groups:
        names = []
        for index, group in enumerate(list_filter.groups):
            parameters[f"group{index}"] = group
            names.append(f":group{index}")
        clauses.append(
            f"{key}.person_id IN (SELECT person_id FROM person_groups WHERE group_name IN ({', '.join(names)}))"
        )
    if list_filter.types:
        add_in(f"{key}.type_code", [get_type(conn, code).code for code in list_filter.types], "type")
    if list_filter.levels:
        add_in("lower(c.level)", list_filter.levels, "level", str.lower)
    if list_filter.states:
        add_in("upper(c.state)", list_filter.states, "state", str.upper)
    if list_filter.expiring_within is not None:
        if list_filter.expiring_within < 0:
            raise InvalidValue(f"--expiring-within {list_filter.expiring_within} is negative", "Give a number of days, 0 or more")
        try:
            window_end = day + timedelta(days=list_filter.expiring_within)
        except OverflowError:
            raise InvalidValue(f"--expiring-within {list_filter.expiring_within} is too large",
                               "Give a number of days that ends before the year 9999") from None
        parameters["window_end"] = window_end.isoformat()
        clauses.append(f"{key}.expires BETWEEN :today AND :window_end")
    for name, operator, column in (
        ("expires_before", "<", f"{key}.expires"), ("expires_after", ">", f"{key}.expires"),
        ("issued_before", "<", "c.issued"), ("issued_after", ">", "c.issued"),
    ):
        value = getattr(list_filter, name)
        if value is not None:
            parameters[name] = value.isoformat()
            if name == "expires_after":
                # A record with no expiration date expires after any date.
                clauses.append(f"({column} IS NULL OR {column} {operator} :{name})")
            else:
                clauses.append(f"{column} {operator} :{name}")
    if list_filter.verified is not None:
        clauses.append("c.verified_by IS NOT NULL" if list_filter.verified else "c.verified_by IS NULL")
    if not list_filter.include_inactive:
        clauses.append("p.active = 1")

    status = status_sql(list_filter.expiring_within)
    if list_filter.statuses:
        unknown = [value for value in list_filter.statuses if value not in STATUSES]
        if unknown:
            raise InvalidValue(f'unknown status "{unknown[0]}"', f"Use {', '.join(STATUSES)}")
        add_in(status, list_filter.statuses, "status")
    if list_filter.sort not in SORT_KEYS:
        raise InvalidValue(f'unknown sort "{list_filter.sort}"', f"Use {', '.join(SORT_KEYS)}")

    where = " AND ".join(clauses) if clauses else "1"
    sql = f"""
        -- The first 17 columns are LIST_COLUMNS in order: export reads them by index.
        SELECT c.id, p.employee_id, p.last_name, p.first_name, p.email, c.type_code AS type, c.level,
               c.number, c.state, c.city, c.issued, c.expires, {status} AS status, c.verified_by,
               c.verified_at,
               (SELECT count(*) FROM images i WHERE i.certification_id = c.id) AS images,
               c.notes, c.person_id, c.previous_id, c.entered_by, c.unverified_reason
        FROM {"current_records cur JOIN certifications c ON c.id = cur.certification_id" if current
              else "certifications c"}
        JOIN people p ON p.id = c.person_id
        JOIN cert_types t ON t.code = c.type_code
        WHERE {where}
        ORDER BY {_ORDER[list_filter.sort]}
    """
    return sql, parameters


def query_records(conn: sqlite3.Connection, list_filter: ListFilter, today: date) -> sqlite3.Cursor:
    """Return a cursor over the rows of the certification list, streaming from SQLite.

    The query runs here, so an invalid filter raises before anything is written. A cursor
    rather than a generator: a generator closed after the CLI closed the connection (stdout
    closed early) prints an "Exception ignored" traceback at exit.
    """
    sql, parameters = list_query(conn, list_filter, today)
    return conn.execute(sql, parameters)


@dataclass
class MissingFilter:
    """The negative report: each spec is a list of alternatives ("NREMT|STATE_EMS")."""

    specs: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    person_ids: list[int] = field(default_factory=list)
    include_expired: bool = False
    include_inactive: bool = False
    as_of: date | None = None


def parse_spec(conn: sqlite3.Connection, text: str) -> list[tuple[str, str | None]]:
    """Parse "BLS" or "NREMT:EMT|STATE_EMS:EMT" into (type, level) alternatives."""
    alternatives = []
    for token in text.split("|"):
        code, _, level = token.strip().partition(":")
        if not code:
            raise InvalidValue(f'empty type in "{text}"', 'Separate types with "|", e.g. "NREMT|STATE_EMS"')
        cert_type = get_type(conn, code)
        if level:
            from certcli.certtypes import normalize_level

            level = normalize_level(cert_type, level)
        alternatives.append((cert_type.code, level or None))
    return alternatives


def query_missing(conn: sqlite3.Connection, missing_filter: MissingFilter, today: date) -> Iterator[dict]:
    """Yield one row per (person, spec) for people who lack every alternative of a spec.

    Without `include_expired`, any record issued on or before the day counts as holding the
    type. With it, only a record valid on that day counts, and the row gives the date the
    person's last record of the spec expired. A record with no expiration is always valid.
    """
    day = (missing_filter.as_of or today).isoformat()
    for spec_text in missing_filter.specs:
        alternatives = parse_spec(conn, spec_text)
        label = "|".join(code + (f":{level}" if level else "") for code, level in alternatives)
        parameters: list = []
        conditions = []
        for code, level in alternatives:
            if level:
                conditions.append("(c.type_code = ? AND c.level = ?)")
                parameters += [code, level]
            else:
                conditions.append("c.type_code = ?")
                parameters.append(code)
        matches = " OR ".join(conditions)
        held = "c.issued <= ?"
        if missing_filter.include_expired:
            held += " AND (c.expires IS NULL OR c.expires >= ?)"
        held_parameters = [day, day] if missing_filter.include_expired else [day]

        clauses = []
        people_parameters: list = []
        if not missing_filter.include_inactive:
            clauses.append("p.active = 1")
        if missing_filter.groups:
            clauses.append(
                f"p.id IN (SELECT person_id FROM person_groups WHERE group_name IN ({_placeholders(missing_filter.groups)}))"
            )
            people_parameters += missing_filter.groups
        if missing_filter.person_ids:
            clauses.append(f"p.id IN ({_placeholders(missing_filter.person_ids)})")
            people_parameters += missing_filter.person_ids
        where = " AND ".join(clauses + [
            f"NOT EXISTS (SELECT 1 FROM certifications c WHERE c.person_id = p.id AND ({matches}) AND {held})"
        ])
        sql = f"""
            SELECT p.id AS person_id, p.employee_id, p.last_name, p.first_name, p.email,
                   {GROUPS_SQL} AS groups,
                   (SELECT max(c.expires) FROM certifications c WHERE c.person_id = p.id AND ({matches})
                    AND c.issued <= ?) AS last_expired
            FROM people p
            WHERE {where}
            ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, p.id
        """
        for row in conn.execute(sql, parameters + [day] + people_parameters + parameters + held_parameters):
            result = dict(row)
            result["missing"] = label
            result = {name: result[name] for name in MISSING_COLUMNS}
            yield result
