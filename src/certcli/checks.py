"""`certcli check`: a data lint over stored records, and SQLite's own integrity checks."""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from typing import Iterator

from certcli.certtypes import CertType, all_types, suggest_expiration
from certcli.records import fingerprint, image_hashes

CHECK_COLUMNS = ["record_id", "person", "type", "finding", "detail", "fix"]
# A renewal issued this long before the previous card expired is reported as an overlap;
# renewing a few weeks or months early is normal.
OVERLAP_DAYS = 365


def _finding(row, kind: str, detail: str, fix: str) -> dict:
    return {
        "record_id": row["id"],
        "person": f"{row['last_name']}, {row['first_name']} (#{row['person_id']})",
        "type": row["type_code"],
        "finding": kind,
        "detail": detail,
        "fix": fix,
    }


def _max_expiration(cert_type: CertType, level: str | None, issued: date, earlier) -> date | None:
    """Return the latest expiration the type's rule allows for a card issued on `issued`.

    For NREMT that is the later of a first certification's expiration and, for a renewal,
    two years after the previous card's expiration.
    """
    has_rule, expires = suggest_expiration(cert_type, level, issued)
    if not has_rule:
        return None
    if cert_type.validity == "nremt" and earlier is not None and earlier["expires"]:
        _, renewal = suggest_expiration(cert_type, level, issued, date.fromisoformat(earlier["expires"]))
        return max(expires, renewal)
    return expires


def check_records(conn: sqlite3.Connection, today: date | None = None) -> Iterator[dict]:
    """Yield one finding per problem in the stored records, in record order."""
    types = {cert_type.code: cert_type for cert_type in all_types(conn)}
    rows = conn.execute(
        "SELECT c.*, p.first_name, p.last_name FROM certifications c JOIN people p ON p.id = c.person_id"
        " ORDER BY c.person_id, c.type_code, coalesce(c.expires, '9999-12-31'), c.issued, c.id"
    ).fetchall()
    by_id = {row["id"]: row for row in rows}
    findings: list[tuple[int, dict]] = []

    previous = None
    for row in rows:
        cert_type = types[row["type_code"]]
        issued = date.fromisoformat(row["issued"])
        expires = date.fromisoformat(row["expires"]) if row["expires"] else None
        earlier = previous if previous is not None and (previous["person_id"], previous["type_code"]) == (
            row["person_id"], row["type_code"]) else None
        if row["previous_id"] in by_id:
            earlier = by_id[row["previous_id"]]
        previous = row

        def add(kind: str, detail: str, fix: str) -> None:
            findings.append((row["id"], _finding(row, kind, detail, fix)))

        if today is not None and issued > today:
            add("issued in the future", f"issued {row['issued']}, after {today.isoformat()}",
                f"Check the year and correct it with `certcli edit {row['id']} --issued ...`")

        if expires and expires < issued:
            add("issued after expiration", f"issued {row['issued']}, expires {row['expires']}",
                f"Correct the dates with `certcli edit {row['id']}`")

        if earlier is not None and earlier["expires"]:
            if row["issued"] == earlier["expires"]:
                add("issued on the previous expiration",
                    f"issued {row['issued']}, the day record #{earlier['id']} expired; often the old expiration "
                    "typed as the new issue date",
                    f"Check the card and correct --issued with `certcli edit {row['id']}`")
            elif row["issued"] <= earlier["issued"] or (
                date.fromisoformat(earlier["expires"]) - issued).days > OVERLAP_DAYS:
                add("overlapping records",
                    f"issued {row['issued']} while record #{earlier['id']} ({earlier['issued']} to "
                    f"{earlier['expires']}) was valid",
                    f"Check both cards; delete a duplicate with `certcli delete`")

        longest = _max_expiration(cert_type, row["level"], issued, earlier)
        if expires and longest and expires > longest:
            add("cycle too long",
                f"issued {row['issued']} and valid through {row['expires']}, longer than the {cert_type.code} rule "
                f"allows ({longest.isoformat()})",
                f"Check the issued and expiration dates with `certcli edit {row['id']}`")
        else:
            disagreement = _rule_disagreement(cert_type, row, issued, expires, earlier)
            if disagreement:
                add("disagrees with the type's rule", disagreement,
                    f"Check the card; correct with `certcli edit {row['id']}` or change the rule with "
                    f"`certcli types edit {cert_type.code}`")

        for required in cert_type.required_fields:
            if not row[required]:
                add(f"missing {required}", f"{cert_type.code} requires {required}",
                    f"Add it with `certcli edit {row['id']} --{required} ...`")
        if cert_type.number_pattern and row["number"] and not re.fullmatch(cert_type.number_pattern, row["number"]):
            add("number off pattern", f'"{row["number"]}" does not match {cert_type.number_pattern}',
                f"Correct it with `certcli edit {row['id']} --number ...`")
        if row["verified_fingerprint"] and row["verified_fingerprint"] != fingerprint(
            dict(row), image_hashes(conn, row["id"])
        ):
            add("verification out of date", "the record or its images changed outside certcli after verification",
                f"Check the card again and run `certcli verify {row['id']}`")

    findings += [(finding["record_id"], finding) for finding in _shared_numbers(rows)]
    findings.sort(key=lambda item: item[0])
    for _, finding in findings:
        yield finding


def _shared_numbers(rows) -> Iterator[dict]:
    """Report records carrying a number that belongs to another person, one finding per record.

    The holder of a (type, number) is the person with the most records carrying it (renewals
    reuse the number), then the one who had it first. Records of the holder are not reported.
    """
    holders: dict[tuple[str, str], list] = {}
    for row in rows:
        if row["number"]:
            holders.setdefault((row["type_code"], row["number"]), []).append(row)
    for (type_code, number), records in holders.items():
        if len({record["person_id"] for record in records}) < 2:
            continue
        counts: dict[int, int] = {}
        for record in records:
            counts[record["person_id"]] = counts.get(record["person_id"], 0) + 1
        first = min(records, key=lambda record: (-counts[record["person_id"]], record["issued"], record["id"]))
        for record in records:
            if record["person_id"] == first["person_id"]:
                continue
            yield _finding(
                record, "number on two people",
                f'{type_code} number "{number}" belongs to {first["first_name"]} {first["last_name"]} '
                f"(record #{first['id']}, issued {first['issued']})",
                f"Check the card and correct the number with `certcli edit {record['id']} --number ...`",
            )


def _rule_disagreement(cert_type: CertType, row, issued: date, expires: date | None, earlier) -> str | None:
    previous_expires = date.fromisoformat(earlier["expires"]) if earlier is not None and earlier["expires"] else None
    has_rule, expected = suggest_expiration(cert_type, row["level"], issued,
                                            previous_expires if cert_type.validity == "nremt" else None)
    if not has_rule or expected == expires:
        return None
    if cert_type.validity == "nremt" and previous_expires is not None and expires is not None:
        # A recertification may also be entered as a first certification of a new cycle.
        has_rule, first_cycle = suggest_expiration(cert_type, row["level"], issued)
        if first_cycle == expires:
            return None
    shown = expires.isoformat() if expires else "no expiration"
    wanted = expected.isoformat() if expected else "no expiration"
    return f"valid through {shown}, but the {cert_type.code} rule gives {wanted}"


def check_integrity(conn: sqlite3.Connection) -> Iterator[dict]:
    """Yield findings from SQLite's integrity_check and foreign_key_check (none when healthy)."""
    for (message,) in conn.execute("PRAGMA integrity_check"):
        if message != "ok":
            yield {"record_id": None, "person": "", "type": "", "finding": "integrity", "detail": message,
                   "fix": "Restore the latest backup (see the README)"}
    for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check"):
        yield {"record_id": rowid if table == "certifications" else None, "person": "", "type": "",
               "finding": "foreign key", "detail": f"{table} row {rowid} refers to a missing {parent} row",
               "fix": "Restore the latest backup, or re-add the missing row"}
    yield from _current_record_findings(conn)


# Each pair's latest record by period, against the current_records row of the pair.
_CURRENT_MISMATCHES = """
    WITH latest AS (
        SELECT person_id, type_code, id, expires FROM (
            SELECT id, person_id, type_code, expires, row_number() OVER (PARTITION BY person_id, type_code
                ORDER BY coalesce(expires, '9999-12-31') DESC, issued DESC, id DESC) AS rank
            FROM certifications)
        WHERE rank = 1),
    mismatches AS (
        SELECT l.id AS latest_id, cur.certification_id AS current_id, l.expires AS latest_expires,
               cur.expires AS current_expires, l.person_id, l.type_code
        FROM latest l LEFT JOIN current_records cur USING (person_id, type_code)
        WHERE cur.certification_id IS NOT l.id OR cur.expires IS NOT l.expires
        UNION ALL
        SELECT NULL, cur.certification_id, NULL, cur.expires, cur.person_id, cur.type_code FROM current_records cur
        WHERE NOT EXISTS (SELECT 1 FROM certifications c
                          WHERE c.person_id = cur.person_id AND c.type_code = cur.type_code))
    SELECT m.*, p.first_name, p.last_name FROM mismatches m LEFT JOIN people p ON p.id = m.person_id
"""


def _current_record_findings(conn: sqlite3.Connection) -> Iterator[dict]:
    """Report pairs whose stored current record is not their latest record by period."""
    for row in conn.execute(_CURRENT_MISMATCHES):
        if row["current_id"] is not None and row["current_id"] == row["latest_id"]:
            detail = (f"record #{row['current_id']} is current with expiration {row['current_expires'] or 'none'}"
                      f" stored, but it expires {row['latest_expires'] or 'never'}")
        else:
            current = f"#{row['current_id']}" if row["current_id"] is not None else "none"
            latest = f"#{row['latest_id']}" if row["latest_id"] is not None else "none (no records)"
            detail = f"the current {row['type_code']} record is {current}, but the latest by expiration is {latest}"
        person = f"{row['last_name']}, {row['first_name']} (#{row['person_id']})" if row["last_name"] else ""
        yield {"record_id": row["latest_id"], "person": person, "type": row["type_code"], "finding": "current record",
               "detail": detail, "fix": "Restore the latest backup (see the README)"}
