"""Bulk import of certification records and people from CSV or XLSX.

Contract (the README documents it for users):
- All or nothing by default: the import is one transaction, so any invalid row means nothing
  is written. Every invalid row is reported with its line (CSV) or row (XLSX), column,
  value and fix.
- `skip_invalid` writes the valid rows and returns the invalid ones for a reject file.
- Re-runs are harmless: a row whose natural key (person, type, number, issued date) is
  already stored updates nothing unless a given value differs.
- A column absent from the file never changes a stored value, and an empty cell means
  "no value": it never clears a stored value (use `certcli edit` to clear a field).
"""

from __future__ import annotations

import csv
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from certcli import audit
from certcli.errors import Ambiguous, CertcliError, InvalidValue, NotFound
from certcli.people import PersonInput, add_person, describe
from certcli.records import (
    RECORD_FIELDS,
    CertificationInput,
    Options,
    build_record,
    edit_certification,
    fingerprint,
    update_current_bulk,
)
from certcli.tabular import ReadOptions, Table, cell_date, cell_text, open_table

# Header aliases, compared after lower-casing, trimming and turning "_" into spaces.
ALIASES = {
    "employee_id": ["employee id", "employee", "emp id", "employee #", "employee number", "badge", "badge #"],
    "email": ["email", "e-mail", "email address"],
    "first_name": ["first name", "first", "given name"],
    "last_name": ["last name", "last", "surname", "family name"],
    "name": ["name", "full name", "person", "member", "member name"],
    "nems_id": ["nems id", "national ems id"],
    "groups": ["groups", "group", "station"],
    "type": ["type", "cert type", "certification type", "certification", "cert", "type code"],
    "level": ["level", "cert level", "certification level"],
    "number": ["number", "cert #", "cert number", "cert no", "certification number", "certification #",
               "license number", "license #", "card number", "card #", "registry number"],
    "state": ["state"],
    "city": ["city"],
    "issued": ["issued", "issue date", "issued date", "date issued", "issued on", "certified", "certification date"],
    "expires": ["expires", "expiration", "expiration date", "exp", "exp date", "exp.", "expiry", "expiry date",
                "expires on", "valid through"],
    "notes": ["notes", "note", "comments", "comment"],
    "verified_by": ["verified by"],
    "verified_at": ["verified at"],
    "active": ["active"],
}
# Columns that `export` writes, and that a reject file adds, which `import` reads back
# without using them.
IGNORED = {"id", "status", "images", "line", "row", "error"}
PEOPLE_FIELDS = {"employee_id", "email", "first_name", "last_name", "name", "nems_id", "groups", "active"}
RECORD_FILE_FIELDS = PEOPLE_FIELDS - {"active"} | {
    "type", "level", "number", "state", "city", "issued", "expires", "notes", "verified_by", "verified_at"}
DATE_FIELDS = ("issued", "expires")
TEXT_CODE_FIELDS = ("number", "employee_id", "nems_id")


def normalize_header(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").replace("_", " ").strip().lower().split())


def map_headers(headers: list[str], mappings: dict[str, str], allowed: set[str]) -> list[str | None]:
    """Return the field of each column (None for ignored columns); reject unknown and duplicate headers."""
    lookup = {alias: name for name, aliases in ALIASES.items() for alias in aliases + [name.replace("_", " ")]}
    for header, name in mappings.items():
        if name not in allowed:
            raise InvalidValue(f'--map "{header}={name}" names an unknown field "{name}"',
                               "Use one of " + ", ".join(sorted(allowed)))
    explicit = {normalize_header(header): name for header, name in mappings.items()}
    fields: list[str | None] = []
    unknown, seen = [], {}
    for header in headers:
        key = normalize_header(header)
        name = explicit.get(key) or lookup.get(key)
        if not key:
            name = None
        elif name is None and key in IGNORED:
            name = None
        elif name is None or name not in allowed:
            unknown.append(header)
            name = None
        elif name in seen:
            raise InvalidValue(
                f'columns "{seen[name]}" and "{header}" both mean {name}',
                "Remove one of them, or map one elsewhere with --map",
            )
        else:
            seen[name] = header
        fields.append(name)
    if unknown:
        raise InvalidValue(
            "unknown column(s): " + ", ".join(f'"{header}"' for header in unknown),
            "Rename them, or map them with --map \"Header=field\" (fields: " + ", ".join(sorted(allowed)) + ")",
        )
    return fields


def parse_mappings(values: list[str]) -> dict[str, str]:
    mappings = {}
    for value in values:
        header, separator, name = value.partition("=")
        if not separator or not header.strip() or not name.strip():
            raise InvalidValue(f'invalid --map "{value}"', 'Write it as --map "Header in file=field"')
        mappings[header.strip()] = name.strip().lower().replace(" ", "_").replace("-", "_")
    return mappings


@dataclass
class ImportOptions:
    read: ReadOptions = field(default_factory=ReadOptions)
    mappings: dict[str, str] = field(default_factory=dict)
    date_format: str | None = None
    allow_number: bool = False
    allow_incomplete: bool = False
    today: date | None = None
    create_people: bool = False
    skip_invalid: bool = False
    dry_run: bool = False


@dataclass
class RowProblem:
    number: int
    column: str | None
    message: str
    values: list

    def describe(self, location: str) -> str:
        column = f", column {self.column}" if self.column else ""
        return f"{location} {self.number}{column}: {self.message}"


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    people_added: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    location: str = "line"

    def summary(self, dry_run: bool = False) -> str:
        verb = "would add" if dry_run else "added"
        text = (f"{self.added} {verb}, {self.updated} updated, {self.unchanged} unchanged, "
                f"{len(self.rejected)} rejected")
        if self.people_added:
            text += f"; {self.people_added} people {'would be ' if dry_run else ''}added"
        return text


def _row_dict(fields: list[str | None], values: list, headers: list[str], epoch) -> tuple[dict, dict, list[str]]:
    """Return (field values as text, field -> header, warnings) for one row."""
    data, columns, warnings = {}, {}, []
    for name, header, value in zip(fields, headers, values):
        if name is None:
            continue
        columns[name] = header
        if name in DATE_FIELDS:
            text = cell_date(value, epoch)
        else:
            if name in TEXT_CODE_FIELDS and isinstance(value, (int, float)) and not isinstance(value, bool):
                warnings.append(f'{header} is a numeric cell ({value}); leading zeros may already be lost '
                                "in the spreadsheet, so format the column as text")
            text = cell_text(value)
        if text is not None and not text.strip():
            text = None
        data[name] = text
    return data, columns, warnings


class _People:
    """Find (or create) the person of each row, caching lookups for the whole import."""

    def __init__(self, conn: sqlite3.Connection, actor: str, create: bool, result: ImportResult):
        self.conn, self.actor, self.create, self.result = conn, actor, create, result
        self.cache: dict[str, int] = {}

    def find(self, data: dict, create: bool = True) -> int | None:
        """Return the row's person id, creating the person with --create-people when `create`.

        With `create` False, a person that --create-people would add gives None instead.
        """
        first, last = data.get("first_name"), data.get("last_name")
        if not (first and last) and data.get("name"):
            name = data["name"]
            if "," in name:
                last, _, first = (part.strip() for part in name.partition(","))
            else:
                first, _, last = name.rpartition(" ")
        references = [(key, data[key]) for key in ("employee_id", "email", "nems_id") if data.get(key)]
        if first and last:
            references.append(("name", f"{first} {last}"))
        if not references:
            raise InvalidValue("the row names no person",
                               "Fill employee_id, email, or first and last name", field="person")
        signature = "|".join(f"{key}:{value.lower()}" for key, value in references)
        cached = self.cache.get(signature)
        if cached is not None:
            return cached
        key, reference = references[0]
        try:
            if key == "name":
                row = _find_by_full_name(self.conn, first, last)
            else:
                row = self.conn.execute(
                    f"SELECT * FROM people WHERE {key} = ?", (reference,)
                ).fetchone()
                if row is None:
                    raise LookupError
            person_id = row["id"]
            _check_same_person(row, key, reference, data, first, last)
        except (LookupError, CertcliError) as error:
            if isinstance(error, CertcliError) and not isinstance(error, NotFound):
                error.field = error.field or key
                raise
            if self.create and not create:
                return None
            if not self.create:
                raise InvalidValue(f'no person with {key.replace("_", " ")} "{reference}"',
                                   "Add them first, or pass --create-people", field=key) from None
            if not (first and last):
                raise InvalidValue(f'no person with {key.replace("_", " ")} "{reference}", and no name to '
                                   "create them with", "Fill first_name and last_name", field="name") from None
            groups = [part for part in re.split(r"[;,]", data.get("groups") or "") if part.strip()]
            person_id = add_person(self.conn, self.actor, PersonInput(first, last, data.get("email"),
                                   data.get("employee_id"), data.get("nems_id")), groups)
            self.result.people_added += 1
        self.cache[signature] = person_id
        return person_id


def _same_text(left: str | None, right: str | None) -> bool:
    return " ".join((left or "").split()).casefold() == " ".join((right or "").split()).casefold()


def _check_same_person(person: sqlite3.Row, key: str, reference: str, data: dict, first, last) -> None:
    """Reject a row whose other person columns describe someone else than the one `key` found.

    A mistyped employee id must not hand a card (or a roster row) to another member.
    """
    clashes = []
    for other in ("employee_id", "email", "nems_id"):
        if other != key and data.get(other) and person[other] and not _same_text(data[other], person[other]):
            clashes.append(f'{other.replace("_", " ")} "{data[other]}"')
    if first and last and not (_same_text(first, person["first_name"]) and _same_text(last, person["last_name"])):
        clashes.append(f'name "{first} {last}"')
    if clashes:
        label = "name" if key == "name" else key.replace("_", " ")
        raise InvalidValue(
            f'{label} "{reference}" belongs to {describe(person)}, but the row has {", ".join(clashes)}',
            "Correct the row, or the person with `certcli people edit`", field=key)


def _find_by_full_name(conn: sqlite3.Connection, first: str, last: str) -> sqlite3.Row:
    """Return the one person with exactly this first and last name, case ignored.

    Unlike `resolve_person`, part of a name never matches: in a bulk load "Ann Le" must not
    land on Ann Lee, and with --create-people it becomes a new person.
    """
    first, last = " ".join(first.split()), " ".join(last.split())
    rows = conn.execute(
        "SELECT * FROM people WHERE first_name = ? COLLATE NOCASE AND last_name = ? COLLATE NOCASE ORDER BY id",
        (first, last),
    ).fetchall()
    if not rows:
        raise LookupError(f"{first} {last}")
    if len(rows) > 1:
        candidates = [describe(row) for row in rows]
        raise Ambiguous(f'"{first} {last}" matches {len(rows)} people: {"; ".join(candidates)}',
                        "Add an employee_id or email column to tell them apart", candidates)
    return rows[0]


def import_records(
    conn: sqlite3.Connection,
    actor: str,
    source: str,
    options: ImportOptions,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import certification records from `source`; see the module docstring for the contract."""
    table = open_table(source, options.read)
    fields = map_headers(table.headers, options.mappings, RECORD_FILE_FIELDS)
    present = {name for name in fields if name}
    if "type" not in present or "issued" not in present:
        raise InvalidValue("the file needs a type and an issued column",
                           f"Found columns: {', '.join(table.headers)}")
    if not (present & {"employee_id", "email", "name", "nems_id"} or {"first_name", "last_name"} <= present):
        raise InvalidValue("the file has no column naming the person",
                           "Add employee_id, email, or first_name and last_name")

    result = ImportResult(headers=table.headers, location=table.location)
    people = _People(conn, actor, options.create_people, result)
    # The catalog is read once: looking each row's type up again costs a query per row.
    from certcli.certtypes import all_types
    from certcli.db import utc_now

    record_options = Options(options.date_format, options.allow_number, options.allow_incomplete,
                             types={cert_type.code: cert_type for cert_type in all_types(conn)},
                             expires_optional=True, today=options.today)
    touched: set[tuple[int, str]] = set()
    added_ids: list[int] = []
    now = utc_now()

    conn.execute("BEGIN IMMEDIATE")
    try:
        for count, (number, values) in enumerate(table.rows, start=1):
            if progress and count % 1000 == 0:
                progress(count)
            data, columns, warnings = _row_dict(fields, values, table.headers, table.epoch)
            try:
                outcome = _import_row(conn, actor, now, data, present, people, record_options, touched, added_ids)
            except CertcliError as error:
                column = columns.get(error.field or "", error.field)
                result.rejected.append(RowProblem(number, column, _row_message(error, column), values))
                continue
            result.warnings += [f"{table.location} {number}: {warning}" for warning in warnings + outcome[1]]
            setattr(result, outcome[0], getattr(result, outcome[0]) + 1)

        update_current_bulk(conn, touched)
        if added_ids:
            audit.record(conn, actor, "import", after={
                "source": source, "added_ids": added_ids, "rows_rejected": len(result.rejected)})
        if options.dry_run or (result.rejected and not options.skip_invalid):
            conn.execute("ROLLBACK")
        else:
            conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


def _row_message(error: CertcliError, column: str | None) -> str:
    """Return the error text for a rejected row; hints about command-line options name the column instead."""
    if error.hint and error.hint.startswith("Give it with --"):
        return f"{error.message}. Fill the {column or error.field} column"
    return str(error)


def _import_row(conn, actor, now, data, present, people, record_options, touched, added_ids) -> tuple[str, list[str]]:
    """Add or update the record of one row; raise CertcliError before any write if the row is invalid.

    Every check runs before the row's first write (a person created by --create-people, then
    the record), so a rejected row leaves nothing behind and needs no savepoint.
    """
    fields = CertificationInput(
        type_code=data.get("type"), level=data.get("level"), number=data.get("number"), state=data.get("state"),
        city=data.get("city"), issued=data.get("issued"), expires=data.get("expires"), notes=data.get("notes"),
    )
    if fields.type_code is None:
        raise InvalidValue("type is empty", "Fill the certification type, e.g. BLS", field="type")
    record, cert_type, messages = build_record(conn, fields, record_options)
    verified_by, verified_at = _verification(data, record["issued"])
    person_id = people.find(data, create=False)

    existing = None
    if person_id is not None:
        existing = conn.execute(
            "SELECT * FROM certifications WHERE person_id = ? AND type_code = ? AND coalesce(number, '') = ?"
            " AND issued = ?",
            (person_id, record["type_code"], record.get("number") or "", record["issued"]),
        ).fetchone()
    warnings = [message.removeprefix("Warning: ") for message in messages if message.startswith("Warning:")]
    if existing is not None:
        return _update_existing(conn, actor, existing, data, present, record_options, warnings)
    if record.pop("expires_missing", False):
        raise InvalidValue(f"{cert_type.code} has no validity rule, so the expiration date is needed",
                           "Fill the expires column (or write never)", field="expires")
    if person_id is None:
        person_id = people.find(data)
    record["person_id"] = person_id

    values = {name: record.get(name) for name in RECORD_FIELDS}
    certification_id = conn.execute(
        "INSERT INTO certifications (person_id, type_code, level, number, state, city, issued, expires, notes,"
        " entered_by, entered_at, updated_by, updated_at, verified_by, verified_at, verified_fingerprint)"
        " VALUES (:person_id, :type_code, :level, :number, :state, :city, :issued, :expires, :notes, :actor,"
        " :now, :actor, :now, :verified_by, :verified_at, :fingerprint)",
        {**values, "actor": actor, "now": now, "verified_by": verified_by,
         "verified_at": (verified_at or now) if verified_by else None,
         "fingerprint": fingerprint(values, []) if verified_by else None},
    ).lastrowid
    touched.add((person_id, record["type_code"]))
    added_ids.append(certification_id)
    return "added", warnings


def _verification(data: dict, issued: str) -> tuple[str | None, str | None]:
    """Return (verified_by, verified_at as UTC `YYYY-MM-DDTHH:MM:SSZ`) from a row, validated."""
    from datetime import datetime, timezone

    verified_by, verified_at = data.get("verified_by"), data.get("verified_at")
    if verified_at and not verified_by:
        raise InvalidValue(f'verified_at is "{verified_at}" but verified_by is empty',
                           "Fill verified_by too, or clear verified_at", field="verified_by")
    if not verified_at:
        return verified_by, None
    try:
        moment = datetime.fromisoformat(verified_at.strip())
    except ValueError:
        raise InvalidValue(f'invalid verified_at "{verified_at}"',
                           "Use an ISO time such as 2026-03-02T15:04:05Z, or a date", field="verified_at") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if stamp[:10] < issued:
        raise InvalidValue(f'verified_at "{verified_at}" is before the issued date {issued}',
                           "A card cannot be verified before it was issued; check both", field="verified_at")
    return verified_by, stamp


def _update_existing(conn, actor, existing, data, present, record_options, warnings) -> tuple[str, list[str]]:
    """Apply the row's non-empty values to a stored record with the same natural key."""
    given = {}
    for name in ("level", "state", "city", "expires", "notes"):
        if name in present and data.get(name) is not None:
            given[name] = data[name]
    if not given:
        return "unchanged", warnings
    changed, messages = edit_certification(conn, actor, existing["id"], CertificationInput(**given), record_options)
    warnings += [message for message in messages if message.startswith("Record #")]
    return ("updated" if changed else "unchanged"), warnings


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def write_rejects(path: Path, result: ImportResult) -> None:
    """Write the rejected rows with their original columns plus `error` and the line number.

    A new file is created readable by its owner only (0600), like exports, because it contains
    personal data.
    """
    with open(path, "w", newline="", encoding="utf-8", opener=_private_opener) as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(result.headers + [result.location, "error"])
        for problem in result.rejected:
            values = ["" if value is None else cell_text(value) for value in problem.values]
            writer.writerow(values + [problem.number, problem.describe(result.location)])


def import_people(
    conn: sqlite3.Connection, actor: str, source: str, options: ImportOptions
) -> ImportResult:
    """Load a roster: new people are added, known ones (same employee id or email) updated."""
    from certcli.people import edit_person

    table = open_table(source, options.read)
    fields = map_headers(table.headers, options.mappings, PEOPLE_FIELDS)
    present = {name for name in fields if name}
    if not present & {"first_name", "last_name", "name"}:
        raise InvalidValue("the roster needs first_name and last_name (or name) columns",
                           f"Found columns: {', '.join(table.headers)}")
    result = ImportResult(headers=table.headers, location=table.location)

    conn.execute("BEGIN IMMEDIATE")
    try:
        for number, values in table.rows:
            data, columns, warnings = _row_dict(fields, values, table.headers, table.epoch)
            conn.execute("SAVEPOINT import_row")
            try:
                outcome = _import_person(conn, actor, data, edit_person)
            except CertcliError as error:
                conn.execute("ROLLBACK TO import_row")
                conn.execute("RELEASE import_row")
                result.rejected.append(RowProblem(number, columns.get(error.field or "", error.field), str(error), values))
                continue
            conn.execute("RELEASE import_row")
            result.warnings += [f"{table.location} {number}: {warning}" for warning in warnings]
            setattr(result, outcome, getattr(result, outcome) + 1)
        if options.dry_run or (result.rejected and not options.skip_invalid):
            conn.execute("ROLLBACK")
        else:
            conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


def _import_person(conn, actor, data, edit_person) -> str:
    first, last = data.get("first_name"), data.get("last_name")
    if not (first and last) and data.get("name"):
        first, _, last = data["name"].rpartition(" ")
    groups = [part.strip() for part in re.split(r"[;,]", data.get("groups") or "") if part.strip()]
    active = None
    if data.get("active") is not None:
        value = data["active"].strip().lower()
        if value not in ("yes", "no", "true", "false", "1", "0", "y", "n"):
            raise InvalidValue(f'invalid active "{data["active"]}"', "Use yes or no", field="active")
        active = value in ("yes", "true", "1", "y")

    matches = {}
    for key in ("employee_id", "email", "nems_id"):
        if data.get(key):
            row = conn.execute(f"SELECT * FROM people WHERE {key} = ?", (data[key],)).fetchone()
            if row is not None:
                matches[key] = row
    people = {row["id"]: row for row in matches.values()}
    if len(people) > 1:
        found = "; ".join(f'{key.replace("_", " ")} "{data[key]}" is {describe(row)}' for key, row in matches.items())
        raise InvalidValue(f"the row names different people: {found}", "Correct the row", field=next(iter(matches)))
    existing = next(iter(people.values()), None)
    if existing is not None and data.get("employee_id") and existing["employee_id"] and not _same_text(
            data["employee_id"], existing["employee_id"]):
        key = next(iter(matches))
        raise InvalidValue(
            f'{key.replace("_", " ")} "{data[key]}" belongs to {describe(existing)}, but the row has employee id '
            f'"{data["employee_id"]}"', "Correct the row, or change the employee id with `certcli people edit`",
            field="employee_id")
    fields = PersonInput(first, last, data.get("email"), data.get("employee_id"), data.get("nems_id"))
    if existing is None:
        if not (first and last):
            raise InvalidValue("first and last name are needed for a new person", "Fill both", field="last_name")
        person_id = add_person(conn, actor, fields, groups)
        if active is False:
            edit_person(conn, actor, person_id, PersonInput(), active=False)
        return "added"
    changed = edit_person(conn, actor, existing["id"], fields, add_groups=groups, active=active)
    return "updated" if changed else "unchanged"
