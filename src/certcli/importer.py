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
import itertools
import operator
import os
import re
import sqlite3
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

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
    incomplete_warning,
    valid_links,
)
from certcli.tabular import ReadOptions, cell_date, cell_text, open_table

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
# The columns the identity check and its messages read, for the people read all at once.
_PERSON_LOOKUP = "id, first_name, last_name, email, employee_id, nems_id, active"
PERSON_COLUMNS = ("employee_id", "email", "nems_id", "first_name", "last_name", "name")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# Rows checked before their records are written together; bounds the memory of a large import.
BATCH_ROWS = 5000
IMPORT_CACHE_KIB = -64 * 1024  # negative: a size in KiB, not in pages
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
        would = "would be " if dry_run else ""
        text = (f"{self.added} {'would add' if dry_run else 'added'}, {self.updated} {would}updated, "
                f"{self.unchanged} unchanged, {len(self.rejected)} rejected")
        if self.people_added:
            text += f"; {self.people_added} people {would}added"
        return text


def _row_dict(fields: list[str | None], values: list, headers: list[str], epoch) -> tuple[dict, dict, list[str]]:
    """Return (field values as text, field -> header, warnings) for one row."""
    data, columns, warnings = {}, {}, []
    for name, header, value in zip(fields, headers, values):
        if name is None:
            continue
        columns[name] = header
        if type(value) is str:  # every CSV cell, and most XLSX text cells
            if name in PEOPLE_FIELDS:
                value = value.strip()  # " E100 " names E100
            data[name] = value if value and not value.isspace() else None
            continue
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

    # After this many lookups, read every person once instead of one query per person.
    PRELOAD_AFTER = 1000

    def __init__(self, conn: sqlite3.Connection, actor: str, create: bool, result: ImportResult):
        self.conn, self.actor, self.create, self.result = conn, actor, create, result
        self.cache: dict[tuple, int] = {}
        self.lookups = 0
        self.warnings: list[str] = []  # about people just created, for the row that created them
        self.created_names: set[tuple[str, str]] = set()  # `_name_key` of each person this import added
        self.index: dict[str, dict[str, sqlite3.Row]] | None = None

    def preload(self) -> None:
        """Read every person once; lookups by employee id, email and NEMS id then need no query."""
        if self.index is None:
            everyone = self.conn.execute(f"SELECT {_PERSON_LOOKUP} FROM people").fetchall()
            # Keys as _index_key makes them, without a call per person.
            self.index = {key: {row[key]: row for row in everyone if row[key] is not None}
                          for key in ("employee_id", "nems_id")}
            self.index["email"] = {row["email"].translate(_ASCII_LOWER): row for row in everyone
                                   if row["email"] is not None}

    def _lookup(self, key: str, reference: str) -> sqlite3.Row | None:
        """Return the person whose `key` column equals `reference`, as the column compares."""
        self.lookups += 1
        if self.index is None and self.lookups >= self.PRELOAD_AFTER:
            self.preload()
        if self.index is None:
            return self.conn.execute(f"SELECT {_PERSON_LOOKUP} FROM people WHERE {key} = ?", (reference,)).fetchone()
        return self.index[key].get(_index_key(key, reference))

    def _remember(self, row: sqlite3.Row) -> None:
        for key in ("employee_id", "email", "nems_id"):
            if row[key] is not None:
                self.index[key][_index_key(key, row[key])] = row

    def find(self, data: dict, create: bool = True) -> int | None:
        """Return the row's person id, creating the person with --create-people when `create`.

        With `create` False, a person that --create-people would add gives None instead.
        """
        # Rows that name a person with exactly the same text share one lookup.
        signature = tuple(map(data.get, PERSON_COLUMNS))
        cached = self.cache.get(signature)
        if cached is not None:
            return cached
        first, last = _names(data)
        references = [(key, data[key]) for key in ("employee_id", "email", "nems_id") if data.get(key)]
        if first and last:
            references.append(("name", f"{first} {last}"))
        if not references:
            raise InvalidValue("the row names no person",
                               "Fill employee_id, email, or first and last name", field="person")
        key, reference = references[0]
        try:
            if key == "name":
                row = _find_by_full_name(self.conn, first, last)
            else:
                row = self._lookup(key, reference)
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
            namesakes = _people_named(self.conn, first, last)
            groups = [part for part in re.split(r"[;,]", data.get("groups") or "") if part.strip()]
            person_id = add_person(self.conn, self.actor, PersonInput(first, last, data.get("email"),
                                   data.get("employee_id"), data.get("nems_id")), groups)
            self.result.people_added += 1
            self.created_names.add(_name_key(first, last))
            if namesakes:
                self.warnings.append(
                    f"added {first} {last} as a new person, but {'; '.join(map(describe, namesakes))} has the "
                    "same name: check the row's employee id and email")
            if self.index is not None:
                self._remember(self.conn.execute(f"SELECT {_PERSON_LOOKUP} FROM people WHERE id = ?",
                                                 (person_id,)).fetchone())
        self.cache[signature] = person_id
        return person_id



class _Chain:
    """The import's state of one (person, type) pair: its current record, and whether to rank it again."""

    __slots__ = ("latest", "expires", "rebuild", "changed")

    def __init__(self) -> None:
        self.latest: tuple[str, str, int] | None = None  # (expires, issued, id) of the current record
        self.expires: str | None = None  # the current record's expiration as stored
        self.rebuild = False
        self.changed = False  # the import added or edited a record of the pair


def _card_key(person_id: int, record: dict) -> tuple[int, str, str, str]:
    """Return a record's natural key as the import's dictionaries store it (no number as "")."""
    return person_id, record["type_code"], record.get("number") or "", record["issued"]


class _RecordReader:
    """Read the stored records of each (person, type) pair an import touches, once per pair."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.seen: set[tuple[int, str]] = set()
        # Natural key -> id of the stored records of the pairs read.
        self.ids: dict[tuple[int, str, str, str], int] = {}
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_pairs (person_id INTEGER, type_code TEXT,"
                     " PRIMARY KEY (person_id, type_code)) WITHOUT ROWID")

    def read(self, rows: list[_Row], known: Iterable[tuple[int, str]] = ()) -> dict[tuple[int, str], _Chain]:
        """Read the pairs of `rows` not read before and not in `known`, in two queries; return their chains."""
        touched = {(row.person_id, row.type_code) for row in rows if row.person_id is not None}
        pairs = sorted(touched.difference(self.seen, known))
        if not pairs:
            return {}
        self.seen.update(pairs)
        self.conn.executemany("INSERT INTO temp.import_pairs VALUES (?, ?)", pairs)
        cursor = self.conn.cursor()
        cursor.row_factory = None
        current = {(person_id, type_code): (record_id, expires) for person_id, type_code, record_id, expires
                   in cursor.execute("SELECT p.person_id, p.type_code, c.certification_id, c.expires"
                                     " FROM temp.import_pairs p CROSS JOIN current_records c USING (person_id, type_code)")}
        chains = {pair: _Chain() for pair in pairs}
        # The natural key index contains these columns, so the records table is not read.
        for person_id, type_code, record_id, number, issued in cursor.execute(
            "SELECT c.person_id, c.type_code, c.id, c.number, c.issued FROM temp.import_pairs p"
            " CROSS JOIN certifications c ON c.person_id = p.person_id AND c.type_code = p.type_code"
        ):
            self.ids[(person_id, type_code, number or "", issued)] = record_id
            latest = current.get((person_id, type_code))
            if latest is None:
                chains[(person_id, type_code)].rebuild = True  # records without a current one
            elif latest[0] == record_id:
                chain = chains[(person_id, type_code)]
                chain.latest, chain.expires = (latest[1] or "9999-12-31", issued, record_id), latest[1]
        self.conn.execute("DELETE FROM temp.import_pairs")
        return chains

    def find(self, person_id: int, record: dict) -> int | None:
        """Return the id of the stored record with the same natural key, if its pair was read."""
        return self.ids.get(_card_key(person_id, record))


class _RecordWriter:
    """Insert new records in batches, each placed in its (person, type) chain as it is added.

    A new record that is the latest of its pair (the usual case: a renewal) becomes current
    and links to the record that was current. A pair where the file adds a record before the
    latest one, or edits a stored record, is ranked once at the end (`_rank`). Either way the
    result is the same as ranking every record of the pair, without ranking the pairs the
    import does not touch.
    """

    def __init__(self, conn: sqlite3.Connection, actor: str, now: str):
        self.conn, self.actor, self.now = conn, actor, now
        self.chains: dict[tuple[int, str], _Chain] = {}
        # Natural key -> id of the records this import added (a file may name the same card twice).
        self.ids: dict[tuple[int, str, str, str], int] = {}
        self.pending: list[list] = []
        self.added_ids: list[int] = []
        self.next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM certifications").fetchone()[0]
        self.first_id = self.next_id  # the first id this import gives
        self.reader = _RecordReader(conn)

    def load(self, rows: list[_Row], loaded: list[tuple] | None = None) -> None:
        """Take in the chains of the pairs the batch's rows touch first.

        `loaded` is what the checking process read for these rows, as (pair, latest,
        expires, rebuild) tuples; without it they are read here.
        """
        if loaded is None:
            self.chains.update(self.reader.read(rows, self.chains))
            return
        for pair, latest, expires, rebuild in loaded:
            if pair not in self.chains:
                chain = self.chains[pair] = _Chain()
                chain.latest, chain.expires, chain.rebuild = latest, expires, rebuild


    def find(self, person_id: int, record: dict) -> int | None:
        """Return the id of the record with the same natural key, added by this import or stored."""
        return self.ids.get(_card_key(person_id, record)) or self.reader.find(person_id, record)

    def chain(self, person_id: int, type_code: str) -> _Chain:
        # `load` read the pairs of every stored person in the batch. So a pair it has not seen
        # belongs to a person this import created, who has no stored records.
        chain = self.chains.get((person_id, type_code))
        if chain is None:
            chain = self.chains[(person_id, type_code)] = _Chain()
        return chain

    def add(self, record: dict, verified_by: str | None, verified_at: str | None) -> int:
        """Queue a validated new record; return the id it will have."""
        person_id, type_code, issued, expires = (record["person_id"], record["type_code"], record["issued"],
                                                 record["expires"])
        chain = self.chain(person_id, type_code)
        chain.changed = True
        record_id, self.next_id = self.next_id, self.next_id + 1

        period = (expires or "9999-12-31", issued, record_id)
        previous_id = None
        if not chain.rebuild and chain.latest is not None and period < chain.latest:
            chain.rebuild = True
        if not chain.rebuild:
            # The new record is the latest of its pair: it takes over from the current one.
            if chain.latest is not None:
                previous_id = chain.latest[2]
            chain.latest, chain.expires = period, expires

        values = [record.get(name) for name in RECORD_FIELDS]
        verified_fingerprint = fingerprint(dict(zip(RECORD_FIELDS, values)), []) if verified_by else None
        self.pending.append([record_id, *values, previous_id, self.actor, self.now, self.actor, self.now,
                             verified_by, (verified_at or self.now) if verified_by else None, verified_fingerprint])
        self.ids[_card_key(person_id, record)] = record_id
        self.added_ids.append(record_id)
        return record_id

    def flush(self) -> None:
        """Insert the queued records."""
        if self.pending:
            self.conn.executemany(
                "INSERT INTO certifications (id, person_id, type_code, level, number, state, city, issued, expires,"
                " notes, previous_id, entered_by, entered_at, updated_by, updated_at, verified_by,"
                " verified_at, verified_fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self.pending,
            )
            self.pending = []

    def edited(self, person_id: int, type_code: str) -> None:
        """Note that a stored record of the pair changed, so the pair is ranked again at the end."""
        chain = self.chain(person_id, type_code)
        chain.rebuild = chain.changed = True

    def finish(self) -> None:
        """Insert what is queued, store each pair's new current record, and rank the pairs left."""
        self.flush()
        self.conn.executemany(
            _UPSERT_CURRENT,
            [(*pair, chain.latest[2], chain.expires) for pair, chain in sorted(self.chains.items())
             if chain.changed and not chain.rebuild])
        self._rank(sorted(pair for pair, chain in self.chains.items() if chain.rebuild and chain.changed))

    def _rank(self, pairs: list[tuple[int, str]]) -> None:
        """Make the latest record of each pair current and give each record a valid link.

        The result equals `update_current_bulk` after plain inserts: a stored link to an
        earlier record stays, and any other record links to the record before it in period
        order. This import's own links are made again, because a card older than the current
        one may now sit between. Only links that change are written.
        """
        if not pairs:
            return
        self.conn.executemany("INSERT INTO temp.import_pairs VALUES (?, ?)", pairs)
        rows = self.conn.execute(
            "SELECT c.person_id, c.type_code, c.id, c.previous_id, c.expires FROM temp.import_pairs p"
            " CROSS JOIN certifications c ON c.person_id = p.person_id AND c.type_code = p.type_code"
            " ORDER BY c.person_id, c.type_code, coalesce(c.expires, '9999-12-31'), c.issued, c.id"
        ).fetchall()
        self.conn.execute("DELETE FROM temp.import_pairs")
        changes, current = [], []
        for _, group in itertools.groupby(rows, key=_BY_PAIR_COLUMNS):
            chain = list(group)
            ids = [row[2] for row in chain]
            links = valid_links(ids, [row[3] if row[2] < self.first_id else None for row in chain])
            changes += [(link, row[2]) for row, link in zip(chain, links) if link != row[3]]
            person_id, type_code, record_id, _, expires = chain[-1]
            current.append((person_id, type_code, record_id, expires))
        self.conn.executemany("UPDATE certifications SET previous_id = ? WHERE id = ?", changes)
        self.conn.executemany(_UPSERT_CURRENT, current)


_BY_PAIR_COLUMNS = operator.itemgetter(0, 1)
_UPSERT_CURRENT = (
    "INSERT INTO current_records (person_id, type_code, certification_id, expires) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (person_id, type_code) DO UPDATE"
    " SET certification_id = excluded.certification_id, expires = excluded.expires"
)


def _index_key(key: str, value: str) -> str:
    """Return `value` as the `key` column compares it: email is COLLATE NOCASE, which folds ASCII only."""
    return value.translate(_ASCII_LOWER) if key == "email" else value


def _people_named(conn: sqlite3.Connection, first: str, last: str) -> list[sqlite3.Row]:
    """Return the people with exactly this first and last name, case and extra spaces ignored."""
    return conn.execute(
        f"SELECT {_PERSON_LOOKUP} FROM people WHERE first_name = ? COLLATE NOCASE AND last_name = ? COLLATE NOCASE"
        " ORDER BY id", (" ".join(first.split()), " ".join(last.split())),
    ).fetchall()


def _names(data: dict) -> tuple[str | None, str | None]:
    """Return (first, last) from the name columns; a full name may be "First Last" or "Last, First"."""
    first, last = data.get("first_name"), data.get("last_name")
    if not (first and last) and data.get("name"):
        name = data["name"].strip()
        if "," in name:
            last, _, first = (part.strip() for part in name.partition(","))
        else:
            first, _, last = name.rpartition(" ")
    return first, last


def _name_key(first: str, last: str) -> tuple[str, str]:
    """Return a name as `_people_named` compares it: spaces collapsed, ASCII case folded (NOCASE)."""
    return " ".join(first.split()).translate(_ASCII_LOWER), " ".join(last.split()).translate(_ASCII_LOWER)


def _person_after_additions(conn: sqlite3.Connection, data: dict, people: _People, person_id: int) -> int:
    """Look a row's person up again if the row names them only by name and this import has
    since added someone of that name.

    The row was checked before that person existed (in its batch, or by the checking
    process), so the name may have become ambiguous, and the row is then rejected.
    """
    if any(data.get(key) for key in ("employee_id", "email", "nems_id")):
        return person_id
    first, last = _names(data)
    if not (first and last) or _name_key(first, last) not in people.created_names:
        return person_id
    try:
        return _find_by_full_name(conn, first, last)["id"]
    except CertcliError as error:
        error.field = error.field or "name"
        raise


def _same_text(left: str | None, right: str | None) -> bool:
    if left == right:
        return True
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
    rows = _people_named(conn, first, last)
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
    from certcli.certtypes import all_types
    from certcli.db import utc_now

    now = utc_now()
    # New records land all over the indexes of a large table; with SQLite's default 2 MB page
    # cache most index writes re-read a page. 64 MiB halves the insert time of 100,000 rows
    # into 1,000,000 records (docs/benchmarks.md).
    cache_size = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = {IMPORT_CACHE_KIB}")
    try:
        conn.execute("BEGIN IMMEDIATE")
        # The catalog is read once, in the transaction: a query per row costs time.
        record_options = Options(options.date_format, options.allow_number, options.allow_incomplete,
                                 types={cert_type.code: cert_type for cert_type in all_types(conn)},
                                 expires_optional=True, today=options.today, defer_incomplete=True)
        writer = _RecordWriter(conn, actor, now)
        from certcli.import_checking import Checking

        checking = Checking(conn, source, table, fields, people, options, record_options, result, progress)
        try:
            for batch, loaded in checking.batches():
                _write_batch(conn, actor, batch, loaded, writer, people, present, record_options, result)
        finally:
            checking.close()
        writer.finish()
        result.rejected.sort(key=lambda problem: problem.number)
        if writer.added_ids:
            audit.record(conn, actor, "import", after={
                "source": source, "added_ids": writer.added_ids, "rows_rejected": len(result.rejected)})
        if options.dry_run or (result.rejected and not options.skip_invalid):
            conn.execute("ROLLBACK")
            # Nothing was written, so no verification was cleared either.
            result.warnings = [warning.replace(" is no longer verified", " would no longer be verified")
                               for warning in result.warnings]
        else:
            conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute(f"PRAGMA cache_size = {int(cache_size)}")
    return result


def _reject(result: ImportResult, number: int, values: list, columns: dict, error: CertcliError) -> None:
    result.rejected.append(_problem(number, values, columns, error))


def _problem(number: int, values: list, columns: dict, error: CertcliError) -> RowProblem:
    column = columns.get(error.field or "", error.field)
    return RowProblem(number, column, _row_message(error, column), values)


def _row_message(error: CertcliError, column: str | None) -> str:
    """Return the error text for a rejected row; hints about command-line options name the column instead."""
    if error.hint and error.hint.startswith("Give it with --"):
        return f"{error.message}. Fill the {column or error.field} column"
    return str(error)


class _Row:
    """A row that passed the checks that need no other row: its record, and its person if stored."""

    __slots__ = ("number", "values", "_data", "columns", "warnings", "record", "type_code", "person_id",
                 "verified_by", "verified_at", "_rebuild", "existing")

    def __init__(self, number: int, values: list, data: dict | None, columns: dict, warnings: list[str],
                 record: dict, type_code: str, person_id: int | None, verified_by: str | None,
                 verified_at: str | None, rebuild: Callable[[list], dict] | None = None, existing: int | None = None):
        self.number, self.values, self._data, self.columns, self.warnings = number, values, data, columns, warnings
        self.record, self.type_code, self.person_id = record, type_code, person_id
        self.verified_by, self.verified_at, self._rebuild = verified_by, verified_at, rebuild
        # The stored record with the row's natural key, when the checking process found one.
        self.existing = existing

    @property
    def data(self) -> dict:
        """The row's values by field. A row checked in the checking process builds them on first use."""
        if self._data is None:
            self._data = self._rebuild(self.values)
        return self._data


def _check_row(conn, number, values, data, columns, warnings, people, record_options) -> _Row:
    """Validate one row and find its person; raise CertcliError if it is invalid. Writes nothing."""
    fields = CertificationInput(
        type_code=data.get("type"), level=data.get("level"), number=data.get("number"), state=data.get("state"),
        city=data.get("city"), issued=data.get("issued"), expires=data.get("expires"), notes=data.get("notes"),
    )
    if fields.type_code is None:
        raise InvalidValue("type is empty", "Fill the certification type, e.g. BLS", field="type")
    record, cert_type, messages = build_record(conn, fields, record_options)
    verified_by, verified_at = _verification(data, record["issued"])
    person_id = people.find(data, create=False)
    warnings = warnings + [message.removeprefix("Warning: ") for message in messages
                           if message.startswith("Warning:")]
    return _Row(number, values, data, columns, warnings, record, cert_type.code, person_id, verified_by, verified_at)


def _write_batch(conn, actor, batch: list[_Row], loaded: tuple | None, writer: _RecordWriter, people, present,
                 record_options, result: ImportResult) -> None:
    """Add or update the record of each checked row, in file order.

    Every check runs before the row's first write (a person created by --create-people, then
    the record), so a rejected row leaves nothing behind and needs no savepoint.
    """
    writer.load(batch, loaded)
    for row in batch:
        try:
            outcome, warnings = _write_row(conn, actor, row, writer, people, present, record_options)
        except CertcliError as error:
            _reject(result, row.number, row.values, row.columns, error)
            continue
        result.warnings += [f"{result.location} {row.number}: {warning}" for warning in warnings]
        setattr(result, outcome, getattr(result, outcome) + 1)
    writer.flush()


def _write_row(conn, actor, row: _Row, writer: _RecordWriter, people, present, record_options) -> tuple[str, list[str]]:
    record, person_id = row.record, row.person_id
    if person_id is None:
        # An earlier row may have created the person.
        person_id = people.find(row.data, create=False)
    elif people.created_names:
        person_id = _person_after_additions(conn, row.data, people, person_id)
    existing = row.existing or (writer.find(person_id, record) if person_id is not None else None)
    if existing is not None:
        writer.flush()
        outcome = _update_existing(conn, actor, existing, row.data, present, record_options, row.warnings)
        if outcome[0] == "updated":
            writer.edited(person_id, row.type_code)
        return outcome
    if record.pop("expires_missing", False):
        raise InvalidValue(f"{row.type_code} has no validity rule, so the expiration date is needed",
                           "Fill the expires column (or write never)", field="expires")
    warnings = row.warnings
    for required in record.pop("incomplete", []):
        warning = incomplete_warning(record_options.types[row.type_code], required, record_options.allow_incomplete)
        warnings.append(warning.removeprefix("Warning: "))
    if person_id is None:
        person_id = people.find(row.data)
        warnings += people.warnings
        people.warnings = []
    record["person_id"] = person_id
    writer.add(record, row.verified_by, row.verified_at)
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
    changed, messages = edit_certification(conn, actor, existing, CertificationInput(**given), record_options)
    warnings += [message for message in messages if message.startswith("Record #")]
    return ("updated" if changed else "unchanged"), warnings


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def write_rejects(path: Path, result: ImportResult) -> None:
    """Write the rejected rows with their original columns plus `error` and the line number.

    A new file is created readable by its owner only (0600), like exports, because it contains
    personal data.
    """
    # The line and error columns of an earlier reject file are replaced, not repeated.
    data_columns = [index for index, header in enumerate(result.headers)
                    if normalize_header(header) not in ("line", "row", "error")]
    with open(path, "w", newline="", encoding="utf-8", opener=_private_opener) as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow([result.headers[index] for index in data_columns] + [result.location, "error"])
        for problem in result.rejected:
            values = ["" if value is None else cell_text(value) for value in problem.values]
            values += [""] * (len(result.headers) - len(values))
            writer.writerow([values[index] for index in data_columns] + [problem.number, problem.describe(result.location)])


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
    first, last = _names(data)
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
