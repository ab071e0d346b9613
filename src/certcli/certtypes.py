"""The certification type catalog: defaults, validity rules and number checks.

A validity rule is stored as text in `cert_types.validity`:
- NULL: no rule; every record needs an explicit expiration (state EMS cycles differ by state).
- `never`: the certification does not expire (NIMS ICS courses, Firefighter I/II).
- `months:N`: expires N months after the issued date, on the same day of the month.
- `months:N:eom`: expires at the end of the month N months after issue ("valid through").
- `nremt`: the National Registry cycle (see `nremt_expiration`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date

from certcli.dates import add_months
from certcli.errors import InvalidValue, NotFound

FIELDS_THAT_CAN_BE_REQUIRED = ("level", "number", "state", "city")
EMS_LEVELS = ["EMR", "EMT", "AEMT", "Paramedic"]

# NEMSIS v3 NationalRegistryNumber: one letter, a letter or digit, then six digits.
NREMT_NUMBER_PATTERN = r"[A-Z][A-Z0-9][0-9]{6}"


@dataclass(frozen=True)
class CertType:
    code: str
    name: str
    levels: list[str] = field(default_factory=list)
    required_fields: list[str] = field(default_factory=list)
    number_pattern: str | None = None
    validity: str | None = None
    warning_days: int = 60

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> CertType:
        return cls(
            code=row["code"],
            name=row["name"],
            levels=json.loads(row["levels"]),
            required_fields=json.loads(row["required_fields"]),
            number_pattern=row["number_pattern"],
            validity=row["validity"],
            warning_days=row["warning_days"],
        )


DEFAULT_TYPES = [
    CertType("NREMT", "National Registry EMS certification", EMS_LEVELS,
             ["level", "number", "state", "city"], NREMT_NUMBER_PATTERN, "nremt", 90),
    CertType("STATE_EMS", "State EMS certification", EMS_LEVELS,
             ["level", "number", "state", "city"], None, None, 90),
    CertType("BLS", "AHA BLS Provider (CPR)", validity="months:24:eom", warning_days=60),
    CertType("ACLS", "AHA Advanced Cardiovascular Life Support", validity="months:24:eom", warning_days=60),
    CertType("PALS", "AHA Pediatric Advanced Life Support", validity="months:24:eom", warning_days=60),
    CertType("PHTLS", "Prehospital Trauma Life Support", validity=None, warning_days=60),
    CertType("ITLS", "International Trauma Life Support", validity="months:36", warning_days=60),
    CertType("ICS-100", "NIMS ICS-100 Introduction to ICS", validity="never", warning_days=0),
    CertType("ICS-200", "NIMS ICS-200 Basic ICS", validity="never", warning_days=0),
    CertType("ICS-700", "NIMS IS-700 Introduction to NIMS", validity="never", warning_days=0),
    CertType("ICS-800", "NIMS IS-800 National Response Framework", validity="never", warning_days=0),
    CertType("FF1", "Firefighter I", validity="never", warning_days=0),
    CertType("FF2", "Firefighter II", validity="never", warning_days=0),
    CertType("HAZMAT-OPS", "Hazardous Materials Operations", validity=None, warning_days=60),
    CertType("EVOC", "Emergency Vehicle Operations Course", validity=None, warning_days=60),
]


def seed_catalog(conn: sqlite3.Connection) -> None:
    """Insert the default types into a new database (inside the caller's transaction)."""
    from certcli.db import utc_now

    now = utc_now()
    conn.executemany(
        "INSERT INTO cert_types (code, name, levels, required_fields, number_pattern, validity,"
        " warning_days, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (t.code, t.name, json.dumps(t.levels), json.dumps(t.required_fields),
             t.number_pattern, t.validity, t.warning_days, now)
            for t in DEFAULT_TYPES
        ],
    )


def normalize_code(code: str) -> str:
    return code.strip().upper()


def get_type(conn: sqlite3.Connection, code: str) -> CertType:
    row = conn.execute("SELECT * FROM cert_types WHERE code = ?", (normalize_code(code),)).fetchone()
    if row is None:
        known = [r[0] for r in conn.execute("SELECT code FROM cert_types ORDER BY code")]
        raise NotFound(
            f'unknown certification type "{code}"',
            f"Use one of {', '.join(known)}, or add it with `certcli types add`",
        )
    return CertType.from_row(row)


def all_types(conn: sqlite3.Connection) -> list[CertType]:
    return [CertType.from_row(row) for row in conn.execute("SELECT * FROM cert_types ORDER BY code")]


def check_validity_rule(rule: str | None) -> str | None:
    """Return `rule` if it is a valid rule text, else raise InvalidValue naming it."""
    if rule is None or rule in ("never", "nremt"):
        return rule
    match = re.fullmatch(r"months:(\d{1,3})(:eom)?", rule)
    if match and int(match.group(1)) > 0:
        return rule
    raise InvalidValue(
        f'invalid validity rule "{rule}"',
        "Use never, nremt, months:N (e.g. months:36) or months:N:eom (end of month), or none",
    )


def nremt_expiration(level: str | None, issued: date, previous_expires: date | None = None) -> date:
    """Return the expiration of an NREMT certification issued on `issued`.

    National Registry rules: EMR certifications expire on September 30, EMT, AEMT and
    Paramedic on March 31, on a two-year cycle. A first certification gained January to
    June expires two years later, one gained July to December three years later. A
    recertification continues the cycle: two years after the previous expiration.
    """
    month = 9 if (level or "").upper() == "EMR" else 3
    if previous_expires is not None:
        return date(previous_expires.year + 2, month, 30 if month == 9 else 31)
    years = 2 if issued.month <= 6 else 3
    return date(issued.year + years, month, 30 if month == 9 else 31)


def suggest_expiration(
    cert_type: CertType, level: str | None, issued: date, previous_expires: date | None = None
) -> tuple[bool, date | None]:
    """Return (has_rule, expiration) from the type's validity rule.

    has_rule is False when the type carries no rule; expiration is None for `never`.
    """
    rule = cert_type.validity
    if rule is None:
        return False, None
    if rule == "never":
        return True, None
    if rule == "nremt":
        return True, nremt_expiration(level, issued, previous_expires)
    parts = rule.split(":")
    months = int(parts[1])
    return True, add_months(issued, months, end_of_month=len(parts) == 3)


def describe_rule(rule: str | None) -> str:
    if rule is None:
        return "no rule (expiration required)"
    if rule == "never":
        return "does not expire"
    if rule == "nremt":
        return "NREMT cycle, through March 31 (EMR: September 30)"
    parts = rule.split(":")
    text = f"{parts[1]} month{'s' if parts[1] != '1' else ''}"
    return text + ", through the end of the month" if len(parts) == 3 else text


def normalize_level(cert_type: CertType, level: str | None) -> str | None:
    """Match `level` case-insensitively against the type's levels and return the stored spelling."""
    if level is None or not level.strip():
        return None
    level = level.strip()
    if not cert_type.levels:
        return level
    for known in cert_type.levels:
        if known.lower() == level.lower():
            return known
    raise InvalidValue(
        f'invalid level "{level}" for {cert_type.code}',
        f"Use one of {', '.join(cert_type.levels)}",
    )


def normalize_number(cert_type: CertType, number: str | None, *, allow_pattern_mismatch: bool = False) -> tuple[str | None, list[str]]:
    """Strip and check a certification number; return (number, warnings).

    Numbers are text: leading letters and zeros are kept exactly. Types with a number
    pattern are registry codes, so their numbers are upper-cased before matching. A number
    that does not match the pattern is an error unless `allow_pattern_mismatch` is set, in
    which case it is stored with a warning.
    """
    if number is None:
        return None, []
    number = number.strip()
    if not number:
        return None, []
    if not cert_type.number_pattern:
        return number, []

    number = number.upper()
    if re.fullmatch(cert_type.number_pattern, number):
        return number, []

    problem = f'{cert_type.code} number "{number}" does not match the pattern {cert_type.number_pattern}'
    if cert_type.code == "NREMT" and number.isdigit():
        problem += " (an all-digit number probably lost its leading letter, e.g. M0123456)"
    if allow_pattern_mismatch:
        return number, [problem]
    raise InvalidValue(problem, "Correct the number, or pass --allow-number to store it anyway")
