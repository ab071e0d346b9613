"""Certification records: add, edit, renew, delete, restore and verify, with the audit log.

Every function here runs inside the caller's write transaction and records its event in
that same transaction, so a change and its audit entry commit together or not at all.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, fields as dataclass_fields
from datetime import date

from certcli import audit
from certcli.certtypes import (
    CertType,
    describe_rule,
    get_type,
    normalize_level,
    normalize_number,
    suggest_expiration,
)
from certcli.dates import check_period, parse_date
from certcli.db import utc_now
from certcli.errors import CertcliError, Conflict, InvalidValue, NotFound

# The fields a training officer checks against the card; the verification fingerprint covers
# them and the hashes of the card images. Notes are not on the card, so editing them keeps
# the record verified.
VERIFIED_FIELDS = ("person_id", "type_code", "level", "number", "state", "city", "issued", "expires")
RECORD_FIELDS = VERIFIED_FIELDS + ("notes",)
NO_EXPIRATION_WORDS = ("never",)
MAX_LENGTHS = {"number": 50, "state": 50, "city": 100, "level": 50, "notes": 10_000}


@dataclass
class CertificationInput:
    """Record fields as the user typed them; None means "not given", "" means "clear"."""

    type_code: str | None = None
    level: str | None = None
    number: str | None = None
    state: str | None = None
    city: str | None = None
    issued: str | None = None
    expires: str | None = None
    notes: str | None = None


@dataclass
class Options:
    """How to read the input: date order, and whether a number off-pattern is accepted."""

    date_format: str | None = None
    allow_number: bool = False
    # Store a record that lacks a field its type requires (legacy data), with a warning;
    # `certcli check` keeps reporting it.
    allow_incomplete: bool = False
    # The type catalog by code, preloaded by bulk imports; None reads each type from the database.
    types: dict[str, CertType] | None = None
    # Leave a missing expiration of a type without a rule unset (record["expires_missing"])
    # instead of raising, because import can only decide after looking for a stored record.
    expires_optional: bool = False
    # The day status is computed for; an issued date after it gets a warning.
    today: date | None = None
    # List missing required fields in record["incomplete"] instead of raising or warning,
    # because import decides only after looking for a stored record with the same key.
    defer_incomplete: bool = False


def status_of(expires: str | None, today: date, window_days: int) -> str:
    """Return valid, expiring or expired for a record on `today`.

    Expiration is inclusive: a card that expires on 2027-03-31 is valid all of that day.
    `expiring` means valid and expiring within `window_days` (today + window included).
    """
    if expires is None:
        return "valid"
    expires_on = date.fromisoformat(expires)
    if expires_on < today:
        return "expired"
    if (expires_on - today).days <= window_days:
        return "expiring"
    return "valid"


def get_record(conn: sqlite3.Connection, certification_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM certifications WHERE id = ?", (certification_id,)).fetchone()
    if row is None:
        raise NotFound(
            f"no certification record with id {certification_id}",
            "Find ids with `certcli list` (or `certcli log` for deleted records)",
        )
    return row


def image_hashes(conn: sqlite3.Connection, certification_id: int) -> list[str]:
    return sorted(
        row[0] for row in conn.execute(
            "SELECT sha256 FROM images WHERE certification_id = ?", (certification_id,)
        )
    )


def fingerprint(record: dict, hashes: list[str]) -> str:
    """Return a SHA-256 over exactly what a verifier checks: the card fields and image hashes."""
    payload = {name: record.get(name) for name in VERIFIED_FIELDS}
    payload["images"] = sorted(hashes)
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def snapshot(conn: sqlite3.Connection, certification_id: int) -> dict:
    """Return the stored record and its image list, as kept in audit events."""
    row = get_record(conn, certification_id)
    data = dict(row)
    data["images"] = [
        dict(image) for image in conn.execute(
            "SELECT id, sha256, media_type, original_name, size, added_by, added_at FROM images"
            " WHERE certification_id = ? ORDER BY id", (certification_id,)
        )
    ]
    return data


def _with_field(name: str, function, *args, **kwargs):
    """Call `function`, tagging an error it raises with the input field `name`."""
    try:
        return function(*args, **kwargs)
    except CertcliError as error:
        error.field = error.field or name
        raise


def _clean_text(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > MAX_LENGTHS[name]:
        raise InvalidValue(
            f"{name} is {len(value):,} characters long", f"Keep it under {MAX_LENGTHS[name]:,} characters",
            field=name,
        )
    return value or None


def _parse_expires(text: str, options: Options) -> date | None | str:
    if text.strip().lower() in NO_EXPIRATION_WORDS:
        return None
    return parse_date(text, field="expiration date", month_only=True, date_format=options.date_format)


def build_record(
    conn: sqlite3.Connection,
    fields: CertificationInput,
    options: Options,
    base: dict | None = None,
    previous_expires: date | None = None,
) -> tuple[dict, CertType, list[str]]:
    """Validate input merged over `base` (an existing record, for edits); return the clean
    record, its type and the messages to show (warnings and computed values)."""
    messages: list[str] = []
    record = dict(base or {})

    type_code = fields.type_code if fields.type_code is not None else record.get("type_code")
    if not type_code:
        raise InvalidValue("certification type is missing", "Give a type such as BLS or NREMT", field="type")
    cert_type = options.types.get(type_code.strip().upper()) if options.types else None
    if cert_type is None:
        cert_type = _with_field("type", get_type, conn, type_code)
    record["type_code"] = cert_type.code

    for name in ("level", "number", "state", "city", "notes"):
        given = getattr(fields, name)
        if given is not None:
            record[name] = _clean_text(name, given)
    # One handler names the input field of an error from any of the checks below (an import
    # names the column), instead of a wrapper call per check on every row of a large import.
    field = "level"
    try:
        record["level"] = normalize_level(cert_type, record.get("level"))
        field = "number"
        number, warnings = normalize_number(cert_type, record.get("number"),
                                            allow_pattern_mismatch=options.allow_number)
        record["number"] = number
        messages += [f"Warning: {warning}" for warning in warnings]
        if record.get("state") and len(record["state"]) == 2:
            record["state"] = record["state"].upper()

        field = "issued"
        if fields.issued is not None and fields.issued.strip():
            issued = parse_date(fields.issued, field="issued date", date_format=options.date_format)
            record["issued"] = issued.isoformat()
        elif record.get("issued"):
            issued = date.fromisoformat(record["issued"])
        else:
            raise InvalidValue("issued date is missing", "Give it with --issued YYYY-MM-DD")
        field = "expires"
        expires_given = fields.expires is not None and fields.expires.strip()
        if expires_given:
            expires = _parse_expires(fields.expires, options)
            record["expires"] = expires.isoformat() if expires else None
    except CertcliError as error:
        error.field = error.field or field
        raise
    if options.today and issued > options.today and fields.issued is not None:
        messages.append(f"Warning: issued date {record['issued']} is after today ({options.today.isoformat()}); "
                        "check the year")

    # An expiration left out of an edit stays; a new record, or an expiration cleared, takes the rule's.
    if not expires_given and (base is None or fields.expires is not None):
        has_rule, suggested = suggest_expiration(cert_type, record.get("level"), issued, previous_expires)
        if not has_rule and options.expires_optional:
            record["expires"] = None
            record["expires_missing"] = True
            return record, cert_type, messages
        if not has_rule:
            raise InvalidValue(
                f"{cert_type.code} has no validity rule, so the expiration date is needed",
                "Give it with --expires YYYY-MM-DD (or --expires never)",
                field="expires",
            )
        record["expires"] = suggested.isoformat() if suggested else None
        shown = record["expires"] or "no expiration"
        messages.append(f"Expiration {shown} computed from the {cert_type.code} rule: {describe_rule(cert_type.validity)}")
    expires = date.fromisoformat(record["expires"]) if record.get("expires") else None
    _with_field("expires", check_period, issued, expires)

    for required in cert_type.required_fields:
        if record.get(required):
            continue
        if base is not None and not base.get(required):
            # Legacy data stored without it: an edit of another field is not blocked.
            messages.append(f"Warning: {cert_type.code} requires {required}; record still lacks it")
        elif options.defer_incomplete:
            record.setdefault("incomplete", []).append(required)
        else:
            messages.append(incomplete_warning(cert_type, required, options.allow_incomplete))
    return record, cert_type, messages


def incomplete_warning(cert_type: CertType, required: str, allow_incomplete: bool) -> str:
    """Return the warning for a new record stored without a required field, or raise InvalidValue."""
    if not allow_incomplete:
        labels = {"level": "--level", "number": "--number", "state": "--state", "city": "--city"}
        raise InvalidValue(
            f"{cert_type.code} requires {required}",
            f"Give it with {labels.get(required, required)}",
            field=required,
        )
    return f"Warning: {cert_type.code} requires {required}; stored without it (--allow-incomplete)"


def _check_natural_key(conn: sqlite3.Connection, record: dict, own_id: int | None = None) -> None:
    row = conn.execute(
        "SELECT id FROM certifications WHERE person_id = ? AND type_code = ? AND number IS ?"
        " AND issued = ? AND id IS NOT ?",
        (record["person_id"], record["type_code"], record.get("number") or None, record["issued"], own_id),
    ).fetchone()
    if row:
        number = f'number "{record["number"]}", ' if record.get("number") else "no number, "
        raise Conflict(
            f"record #{row[0]} already has this person, type {record['type_code']}, {number}"
            f"and issued date {record['issued']}",
            f"Edit #{row[0]} instead, or check the issued date",
        )


def update_current(conn: sqlite3.Connection, person_id: int, type_code: str) -> None:
    """Make the record with the latest period of (person, type) its current record.

    The latest period is the latest expiration (no expiration counts as latest), then the
    latest issued date, then the highest id.
    """
    latest = conn.execute(
        "SELECT id, expires FROM certifications WHERE person_id = ? AND type_code = ?"
        " ORDER BY coalesce(expires, '9999-12-31') DESC, issued DESC, id DESC LIMIT 1",
        (person_id, type_code),
    ).fetchone()
    # An edit that moves a record to another pair ranks both pairs, so a row that still
    # names the record under its old pair is replaced in the same transaction.
    conn.execute("DELETE FROM current_records WHERE person_id = ? AND type_code = ?", (person_id, type_code))
    if latest:
        conn.execute("INSERT INTO current_records (person_id, type_code, certification_id, expires)"
                     " VALUES (?, ?, ?, ?)", (person_id, type_code, *latest))
    link_chain(conn, person_id, type_code)


def update_current_bulk(conn: sqlite3.Connection, pairs: set[tuple[int, str]]) -> None:
    """Recompute current records and chain links for many (person, type) pairs in a few statements."""
    if not pairs:
        return
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS touched_pairs (person_id INTEGER, type_code TEXT,"
                 " PRIMARY KEY (person_id, type_code)) WITHOUT ROWID")
    conn.execute("DELETE FROM temp.touched_pairs")
    conn.executemany("INSERT OR IGNORE INTO temp.touched_pairs VALUES (?, ?)", sorted(pairs))
    conn.execute("DELETE FROM current_records WHERE (person_id, type_code) IN"
                 " (SELECT person_id, type_code FROM temp.touched_pairs)")
    conn.execute(
        """
        INSERT INTO current_records (person_id, type_code, certification_id, expires)
        SELECT person_id, type_code, id, expires FROM (
            SELECT c.id, c.person_id, c.type_code, c.expires, row_number() OVER (
                PARTITION BY c.person_id, c.type_code
                ORDER BY coalesce(c.expires, '9999-12-31') DESC, c.issued DESC, c.id DESC) AS rank
            FROM temp.touched_pairs t CROSS JOIN certifications c USING (person_id, type_code))
        WHERE rank = 1
        ORDER BY person_id, type_code
        """
    )
    # A link that is not to an earlier record of the same pair (an edit moved it, or it left
    # the pair) is dropped here and made again below, as `valid_links` does.
    conn.execute(
        """
        WITH ordered AS (
            SELECT c.id, c.person_id, c.type_code, c.previous_id, row_number() OVER (
                PARTITION BY c.person_id, c.type_code
                ORDER BY coalesce(c.expires, '9999-12-31'), c.issued, c.id) AS position
            FROM temp.touched_pairs t CROSS JOIN certifications c USING (person_id, type_code))
        UPDATE certifications SET previous_id = NULL
        FROM ordered AS later
        WHERE certifications.id = later.id AND later.previous_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM ordered AS earlier WHERE earlier.id = later.previous_id
                            AND earlier.person_id = later.person_id AND earlier.type_code = later.type_code
                            AND earlier.position < later.position)
        """
    )
    conn.execute(
        """
        WITH ordered AS (
            SELECT c.id, c.previous_id, lag(c.id) OVER (PARTITION BY c.person_id, c.type_code
                ORDER BY coalesce(c.expires, '9999-12-31'), c.issued, c.id) AS before_id
            FROM temp.touched_pairs t CROSS JOIN certifications c USING (person_id, type_code))
        UPDATE certifications SET previous_id = ordered.before_id
        FROM ordered WHERE certifications.id = ordered.id AND ordered.previous_id IS NULL
            AND ordered.before_id IS NOT NULL
        """
    )
    conn.execute("DELETE FROM temp.touched_pairs")


def link_chain(conn: sqlite3.Connection, person_id: int, type_code: str) -> None:
    """Give each record of (person, type) a valid link (see `valid_links`)."""
    rows = conn.execute(
        "SELECT id, previous_id FROM certifications WHERE person_id = ? AND type_code = ?"
        " ORDER BY coalesce(expires, '9999-12-31'), issued, id",
        (person_id, type_code),
    ).fetchall()
    ids = [row["id"] for row in rows]
    for row, link in zip(rows, valid_links(ids, [row["previous_id"] for row in rows])):
        if link != row["previous_id"]:
            conn.execute("UPDATE certifications SET previous_id = ? WHERE id = ?", (link, row["id"]))


def valid_links(ids: list[int], links: list[int | None]) -> list[int | None]:
    """Return the link of each record of one chain, given its ids in period order and its links.

    A link is valid when it points to an earlier record of the chain, and it stays: a renewal
    may skip records. Any other record links to the record before it, the first to none. A
    link to a record that an edit moved after this one would let two records renew each other,
    and a link out of the chain (a record restored after its predecessor changed type) would
    make a card renew a card of another type.
    """
    position = {record_id: index for index, record_id in enumerate(ids)}
    result = []
    for index, link in enumerate(links):
        if link is None or position.get(link, len(ids)) >= index:
            link = ids[index - 1] if index else None
        result.append(link)
    return result


def insert_record(conn: sqlite3.Connection, actor: str, record: dict, *, action: str = "add",
                  verified_by: str | None = None, verified_at: str | None = None,
                  update_current_record: bool = True) -> int:
    """Insert a validated record and its audit event; return the new id."""
    _check_natural_key(conn, record)
    now = utc_now()
    values = {name: record.get(name) for name in RECORD_FIELDS}
    verified_fingerprint = fingerprint(values, []) if verified_by else None
    certification_id = conn.execute(
        "INSERT INTO certifications (person_id, type_code, level, number, state, city, issued, expires,"
        " notes, previous_id, entered_by, entered_at, updated_by, updated_at, verified_by, verified_at,"
        " verified_fingerprint) VALUES (:person_id, :type_code, :level, :number, :state, :city, :issued,"
        " :expires, :notes, :previous_id, :actor, :now, :actor, :now, :verified_by, :verified_at,"
        " :verified_fingerprint)",
        {**values, "previous_id": record.get("previous_id"), "actor": actor, "now": now,
         "verified_by": verified_by, "verified_at": (verified_at or now) if verified_by else None,
         "verified_fingerprint": verified_fingerprint},
    ).lastrowid
    if update_current_record:
        update_current(conn, record["person_id"], record["type_code"])
    audit.record(conn, actor, action, person_id=record["person_id"], certification_id=certification_id,
                 type_code=record["type_code"], after=snapshot(conn, certification_id))
    return certification_id


def add_certification(
    conn: sqlite3.Connection, actor: str, person_id: int, fields: CertificationInput, options: Options
) -> tuple[int, list[str]]:
    """Validate and add one record for `person_id`; return (id, messages)."""
    record, _, messages = build_record(conn, fields, options)
    record["person_id"] = person_id
    return insert_record(conn, actor, record), messages


def renew_certification(
    conn: sqlite3.Connection, actor: str, certification_id: int, fields: CertificationInput, options: Options
) -> tuple[int, list[str]]:
    """Add the successor of a record, prefilled from it; the old record stays as it was."""
    old = dict(get_record(conn, certification_id))
    if old["expires"] is None:
        raise InvalidValue(
            f"record #{certification_id} ({old['type_code']}) does not expire, so it cannot be renewed",
            "Add a new record with `certcli add` if a new card was issued",
        )
    if fields.issued is None:
        raise InvalidValue("the renewal's issued date is missing", "Give it with --issued YYYY-MM-DD")
    successor = conn.execute(
        "SELECT id FROM certifications WHERE previous_id = ? ORDER BY id LIMIT 1", (certification_id,)
    ).fetchone()
    if successor is not None:
        raise Conflict(
            f"record #{certification_id} was already renewed by record #{successor[0]}",
            f"Renew #{successor[0]} instead, or correct it with `certcli edit {successor[0]}`",
        )
    if fields.type_code is not None and fields.type_code.strip().upper() != old["type_code"]:
        raise InvalidValue("a renewal keeps the type of the record it renews",
                           "Add a record of the other type with `certcli add`")

    prefilled = CertificationInput(
        type_code=old["type_code"],
        level=fields.level if fields.level is not None else old["level"],
        number=fields.number if fields.number is not None else old["number"],
        state=fields.state if fields.state is not None else old["state"],
        city=fields.city if fields.city is not None else old["city"],
        issued=fields.issued,
        expires=fields.expires,
        notes=fields.notes,
    )
    record, _, messages = build_record(
        conn, prefilled, options, previous_expires=date.fromisoformat(old["expires"])
    )
    if record["expires"] is not None and record["expires"] <= old["expires"]:
        raise InvalidValue(
            f"the renewal expires {record['expires']}, not after the record it renews "
            f"(#{certification_id}, expires {old['expires']})",
            "Give the new card's expiration with --expires",
        )
    record["person_id"] = old["person_id"]
    record["previous_id"] = certification_id
    return insert_record(conn, actor, record, action="renew"), messages


def edit_certification(
    conn: sqlite3.Connection,
    actor: str,
    certification_id: int,
    fields: CertificationInput,
    options: Options,
    person_id: int | None = None,
) -> tuple[bool, list[str]]:
    """Correct a record; a change to a verified field clears its verification.

    Returns (changed, messages).
    """
    before = snapshot(conn, certification_id)
    base = {name: before[name] for name in RECORD_FIELDS}
    record, _, messages = build_record(conn, fields, options, base=base)
    record["person_id"] = person_id if person_id is not None else before["person_id"]

    changes = {name: record.get(name) for name in RECORD_FIELDS if record.get(name) != before[name]}
    if not changes:
        return False, messages
    _check_natural_key(conn, record, certification_id)

    if "person_id" in changes or "type_code" in changes:
        # Renewal links belong to one person's chain of one type: unlink, and let
        # update_current relink both chains below.
        conn.execute("UPDATE certifications SET previous_id = NULL WHERE previous_id = ?", (certification_id,))
        changes["previous_id"] = None
    assignments = ", ".join(f"{name} = :{name}" for name in changes)
    conn.execute(
        f"UPDATE certifications SET {assignments}, updated_by = :actor, updated_at = :now WHERE id = :id",
        {**changes, "actor": actor, "now": utc_now(), "id": certification_id},
    )
    reason = _clear_changed_verification(conn, actor, certification_id, sorted(set(changes) - {"previous_id"}))
    for pair in {(before["person_id"], before["type_code"]), (record["person_id"], record["type_code"])}:
        update_current(conn, *pair)
    audit.record(conn, actor, "edit", person_id=record["person_id"], certification_id=certification_id,
                 type_code=record["type_code"], before=before, after=snapshot(conn, certification_id),
                 reason=reason)
    if reason:
        messages.append(f"Record #{certification_id} is no longer verified: {reason}")
    return True, messages


def _clear_changed_verification(
    conn: sqlite3.Connection, actor: str, certification_id: int, changed: list[str]
) -> str | None:
    """Clear the verification when the verified fields or images no longer match; return why."""
    row = get_record(conn, certification_id)
    if row["verified_fingerprint"] is None:
        return None
    current = fingerprint(dict(row), image_hashes(conn, certification_id))
    if current == row["verified_fingerprint"]:
        return None
    reason = f"{', '.join(changed)} changed by {actor} at {utc_now()} after verification by {row['verified_by']}"
    conn.execute(
        "UPDATE certifications SET verified_by = NULL, verified_at = NULL, verified_fingerprint = NULL,"
        " unverified_reason = ? WHERE id = ?",
        (reason, certification_id),
    )
    return reason


def images_changed(conn: sqlite3.Connection, actor: str, certification_id: int, what: str) -> str | None:
    """Clear the verification after an image change; return the reason, if it was verified."""
    return _clear_changed_verification(conn, actor, certification_id, [what])


def verify_certification(
    conn: sqlite3.Connection, actor: str, certification_id: int, *, undo: bool = False
) -> list[str]:
    """Mark a record verified by `actor` (or remove the mark); return messages to show."""
    before = snapshot(conn, certification_id)
    if undo:
        if before["verified_by"] is None:
            return [f"Record #{certification_id} is not verified; nothing to undo"]
        reason = f"verification by {before['verified_by']} undone by {actor} at {utc_now()}"
        conn.execute(
            "UPDATE certifications SET verified_by = NULL, verified_at = NULL, verified_fingerprint = NULL,"
            " unverified_reason = ? WHERE id = ?", (reason, certification_id),
        )
        action, messages = "unverify", [f"Record #{certification_id} is no longer verified"]
    else:
        current = fingerprint(before, [image["sha256"] for image in before["images"]])
        if before["verified_by"] and before["verified_fingerprint"] == current:
            return [f"Record #{certification_id} is already verified by {before['verified_by']} at {before['verified_at']}"]
        conn.execute(
            "UPDATE certifications SET verified_by = ?, verified_at = ?, verified_fingerprint = ?,"
            " unverified_reason = NULL WHERE id = ?",
            (actor, utc_now(), current, certification_id),
        )
        action, messages = "verify", [f"Record #{certification_id} verified by {actor}"]
        if before["entered_by"] == actor:
            messages.append(
                f"Warning: {actor} also entered record #{certification_id}; "
                "some registries require a second person to verify"
            )
        if not before["images"]:
            messages.append(f"Warning: record #{certification_id} has no card image")
        reason = None
    audit.record(conn, actor, action, person_id=before["person_id"], certification_id=certification_id,
                 type_code=before["type_code"], before=before, after=snapshot(conn, certification_id),
                 reason=reason)
    return messages


def delete_certification(conn: sqlite3.Connection, actor: str, certification_id: int) -> dict:
    """Delete a record, keeping a full copy (and its successors' links) in the audit log."""
    before = snapshot(conn, certification_id)
    before["successor_ids"] = [
        row[0] for row in conn.execute("SELECT id FROM certifications WHERE previous_id = ?", (certification_id,))
    ]
    conn.execute("DELETE FROM certifications WHERE id = ?", (certification_id,))
    update_current(conn, before["person_id"], before["type_code"])
    audit.record(conn, actor, "delete", person_id=before["person_id"], certification_id=certification_id,
                 type_code=before["type_code"], before=before)
    return before


def restore_certification(conn: sqlite3.Connection, actor: str, certification_id: int) -> dict:
    """Bring back a deleted record, with its id, images, verification and links, from its audit copy."""
    if conn.execute("SELECT 1 FROM certifications WHERE id = ?", (certification_id,)).fetchone():
        raise Conflict(f"record #{certification_id} exists; there is nothing to restore", "Check the id")
    event = conn.execute(
        "SELECT before FROM events WHERE certification_id = ? AND action = 'delete' ORDER BY id DESC LIMIT 1",
        (certification_id,),
    ).fetchone()
    if event is None:
        raise NotFound(f"no deleted record with id {certification_id}",
                       "Find deleted records with `certcli log --action delete`")
    copy = json.loads(event["before"])
    if conn.execute("SELECT 1 FROM people WHERE id = ?", (copy["person_id"],)).fetchone() is None:
        raise Conflict(f"the person of record #{certification_id} no longer exists", "Add the person first")
    get_type(conn, copy["type_code"])
    _check_natural_key(conn, copy)

    previous_id = copy.get("previous_id")
    if previous_id is not None and not conn.execute(
        "SELECT 1 FROM certifications WHERE id = ?", (previous_id,)
    ).fetchone():
        previous_id = None
    columns = [name for name in copy if name not in ("images", "successor_ids", "previous_id")]
    conn.execute(
        f"INSERT INTO certifications ({', '.join(columns)}, previous_id) "
        f"VALUES ({', '.join(':' + name for name in columns)}, :previous_id)",
        {**copy, "previous_id": previous_id},
    )
    for image in copy["images"]:
        if conn.execute("SELECT 1 FROM blobs WHERE sha256 = ?", (image["sha256"],)).fetchone():
            conn.execute(
                "INSERT INTO images (id, certification_id, sha256, media_type, original_name, size, added_by,"
                " added_at) VALUES (:id, :certification_id, :sha256, :media_type, :original_name, :size,"
                " :added_by, :added_at)",
                {**image, "certification_id": certification_id},
            )
    for successor in copy.get("successor_ids", []):
        conn.execute("UPDATE certifications SET previous_id = ? WHERE id = ?", (certification_id, successor))
    update_current(conn, copy["person_id"], copy["type_code"])
    audit.record(conn, actor, "restore", person_id=copy["person_id"], certification_id=certification_id,
                 type_code=copy["type_code"], after=snapshot(conn, certification_id))
    return copy


def input_fields() -> list[str]:
    return [item.name for item in dataclass_fields(CertificationInput)]
