"""Adding and changing certification types, with validation and audit events."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass

from certcli import audit
from certcli.certtypes import FIELDS_THAT_CAN_BE_REQUIRED, check_validity_rule, get_type, normalize_code
from certcli.db import utc_now
from certcli.errors import Conflict, InvalidValue


@dataclass
class TypeChanges:
    """Type fields to set; None leaves a field as it is."""

    name: str | None = None
    levels: list[str] | None = None
    required_fields: list[str] | None = None
    number_pattern: str | None = None
    validity: str | None = None
    warning_days: int | None = None


def _validated(changes: TypeChanges) -> dict:
    values: dict = {}
    if changes.name is not None:
        if not changes.name.strip():
            raise InvalidValue("type name is empty", "Give the type's full name")
        values["name"] = changes.name.strip()
    if changes.levels is not None:
        values["levels"] = json.dumps(changes.levels)
    if changes.required_fields is not None:
        unknown = [name for name in changes.required_fields if name.lower() not in FIELDS_THAT_CAN_BE_REQUIRED]
        if unknown:
            raise InvalidValue(f'"{unknown[0]}" cannot be a required field', f"Use {', '.join(FIELDS_THAT_CAN_BE_REQUIRED)}")
        values["required_fields"] = json.dumps([name.lower() for name in changes.required_fields])
    if changes.number_pattern is not None:
        pattern = changes.number_pattern.strip() or None
        if pattern:
            try:
                re.compile(pattern)
            except re.error as error:
                raise InvalidValue(f'invalid number pattern "{pattern}": {error}', "Give a Python regular expression") from None
        values["number_pattern"] = pattern
    if changes.validity is not None:
        rule = changes.validity.strip().lower()
        values["validity"] = check_validity_rule(None if rule in ("", "none") else rule)
    if changes.warning_days is not None:
        if changes.warning_days < 0:
            raise InvalidValue(f"--warning-days {changes.warning_days} is negative", "Give a number of days, 0 or more")
        values["warning_days"] = changes.warning_days
    return values


def add_type(conn: sqlite3.Connection, actor: str, code: str, name: str, changes: TypeChanges) -> str:
    code = normalize_code(code)
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9_\-]{0,31}", code):
        raise InvalidValue(f'invalid type code "{code}"', "Use letters, digits, - and _, at most 32 characters")
    if conn.execute("SELECT 1 FROM cert_types WHERE code = ?", (code,)).fetchone():
        raise Conflict(f'type "{code}" already exists', f"Change it with `certcli types edit {code}`")
    changes.name = name
    values = {"levels": "[]", "required_fields": "[]", "number_pattern": None, "validity": None, "warning_days": 60}
    values.update(_validated(changes))
    conn.execute(
        "INSERT INTO cert_types (code, name, levels, required_fields, number_pattern, validity, warning_days,"
        " created_at) VALUES (:code, :name, :levels, :required_fields, :number_pattern, :validity,"
        " :warning_days, :now)",
        {**values, "code": code, "now": utc_now()},
    )
    audit.record(conn, actor, "type-add", type_code=code, after={"code": code, **values})
    return code


def edit_type(conn: sqlite3.Connection, actor: str, code: str, changes: TypeChanges) -> bool:
    cert_type = get_type(conn, code)
    before = dict(conn.execute("SELECT * FROM cert_types WHERE code = ?", (cert_type.code,)).fetchone())
    values = {key: value for key, value in _validated(changes).items() if before[key] != value}
    if not values:
        return False
    conn.execute(
        f"UPDATE cert_types SET {', '.join(f'{key} = :{key}' for key in values)} WHERE code = :code",
        {**values, "code": cert_type.code},
    )
    after = dict(conn.execute("SELECT * FROM cert_types WHERE code = ?", (cert_type.code,)).fetchone())
    audit.record(conn, actor, "type-edit", type_code=cert_type.code, before=before, after=after)
    return True
