"""One person's page: details, each type's chain of records, and missing required types."""

from __future__ import annotations

import sqlite3
from datetime import date

from certcli.certtypes import get_type
from certcli.people import display_name, groups_of, resolve_person
from certcli.records import status_of


def required_types_of(conn: sqlite3.Connection, person_id: int) -> list[str]:
    """Return the types required of a person: those of the `*` group and of each of their groups."""
    return [
        row[0] for row in conn.execute(
            "SELECT DISTINCT type_code FROM required_types WHERE group_name = '*' OR group_name IN"
            " (SELECT group_name FROM person_groups WHERE person_id = ?) ORDER BY type_code",
            (person_id,),
        )
    ]


def person_report(conn: sqlite3.Connection, reference: str, today: date) -> dict:
    person = resolve_person(conn, reference)
    records = conn.execute(
        "SELECT c.*, (SELECT count(*) FROM images i WHERE i.certification_id = c.id) AS images,"
        " EXISTS (SELECT 1 FROM current_records cur WHERE cur.person_id = c.person_id"
        " AND cur.type_code = c.type_code AND cur.certification_id = c.id) AS is_current"
        " FROM certifications c WHERE person_id = ?"
        " ORDER BY type_code, coalesce(expires, '9999-12-31') DESC, issued DESC, id DESC",
        (person["id"],),
    ).fetchall()
    chains: dict[str, list[dict]] = {}
    for row in records:
        window = get_type(conn, row["type_code"]).warning_days
        entry = {key: row[key] for key in row.keys() if key != "verified_fingerprint"}
        entry["status"] = status_of(row["expires"], today, window)
        entry["current"] = bool(row["is_current"])
        chains.setdefault(row["type_code"], []).append(entry)
    required = required_types_of(conn, person["id"])
    return {
        "person": {key: person[key] for key in person.keys()},
        "groups": groups_of(conn, person["id"]),
        "today": today.isoformat(),
        "certifications": chains,
        "missing_required": [code for code in required if code not in chains],
    }


def render_person_report(report: dict) -> list[str]:
    person = report["person"]
    lines = [f"{display_name(person)} (#{person['id']})" + ("" if person["active"] else " [inactive]")]
    for label, key in (("Employee id", "employee_id"), ("Email", "email"), ("National EMS ID", "nems_id")):
        if person[key]:
            lines.append(f"  {label}: {person[key]}")
    if report["groups"]:
        lines.append(f"  Groups: {', '.join(report['groups'])}")
    lines.append(f"  Status computed for {report['today']}")
    if not report["certifications"]:
        lines.append("  No certification records.")
    for code, chain in report["certifications"].items():
        lines.append("")
        lines.append(f"{code}:")
        for entry in chain:
            marker = "current" if entry["current"] else "history"
            parts = [f"  #{entry['id']} {marker} {entry['status']}",
                     f"issued {entry['issued']}", f"valid through {entry['expires'] or 'no expiration'}"]
            details = [value for value in (entry["level"], entry["number"], entry["state"], entry["city"]) if value]
            if details:
                parts.append(" ".join(details))
            lines.append(", ".join(parts))
            if entry["verified_by"]:
                note = f"      verified by {entry['verified_by']} at {entry['verified_at']}"
                if entry["verified_by"] == entry["entered_by"]:
                    note += " (also entered it)"
                lines.append(note)
            else:
                lines.append("      unverified" + (f": {entry['unverified_reason']}" if entry["unverified_reason"] else ""))
            if entry["images"]:
                lines.append(f"      {entry['images']} image(s)")
            if entry["previous_id"]:
                lines.append(f"      renews #{entry['previous_id']}")
    if report["missing_required"]:
        lines.append("")
        lines.append(f"Missing required types: {', '.join(report['missing_required'])}")
    return lines
