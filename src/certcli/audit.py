"""The append-only audit log: who changed what, when, with the values before and after."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from certcli.db import utc_now

LOG_COLUMNS = ["id", "at", "actor", "action", "person_id", "certification_id", "type", "changes", "reason"]


def record(
    conn: sqlite3.Connection,
    actor: str,
    action: str,
    *,
    person_id: int | None = None,
    certification_id: int | None = None,
    type_code: str | None = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str | None = None,
) -> int:
    """Append one event inside the caller's transaction, so it commits with the change."""
    return conn.execute(
        "INSERT INTO events (at, actor, action, person_id, certification_id, type_code, before, after,"
        " reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            utc_now(), actor, action, person_id, certification_id, type_code,
            json.dumps(before, ensure_ascii=False, sort_keys=True) if before is not None else None,
            json.dumps(after, ensure_ascii=False, sort_keys=True) if after is not None else None,
            reason,
        ),
    ).lastrowid


def changed_fields(before: dict | None, after: dict | None) -> dict[str, tuple]:
    """Return {field: (old, new)} for the fields whose values differ."""
    before = before or {}
    after = after or {}
    return {
        key: (before.get(key), after.get(key))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _shown(value) -> str:
    return ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)


def describe_changes(before: dict | None, after: dict | None) -> str:
    """Summarize an event's values as `field: old -> new` pairs for one line of output."""
    if before is None and after is not None:
        return "; ".join(f"{key}={_shown(value)}" for key, value in after.items() if value not in (None, "", []))
    if after is None and before is not None:
        return "deleted: " + "; ".join(
            f"{key}={_shown(value)}" for key, value in before.items() if value not in (None, "", [])
        )
    return "; ".join(f"{key}: {_shown(old)} -> {_shown(new)}" for key, (old, new) in changed_fields(before, after).items())


@dataclass
class LogFilter:
    person_id: int | None = None
    certification_id: int | None = None
    actor: str | None = None
    action: str | None = None
    since: str | None = None  # YYYY-MM-DD, compared with the UTC timestamp's date
    limit: int | None = None


def query_events(conn: sqlite3.Connection, log_filter: LogFilter):
    """Yield events matching the filter, oldest first, as dicts with parsed before/after."""
    clauses, parameters = [], []
    # An import writes one event for all the records it adds, listing their ids in
    # after.added_ids, so a person's or a record's history includes the imports that added them.
    if log_filter.person_id is not None:
        clauses.append("(person_id = ? OR (action = 'import' AND EXISTS (SELECT 1 FROM json_each(events.after,"
                       " '$.added_ids') AS added JOIN certifications c ON c.id = added.value"
                       " WHERE c.person_id = ?)))")
        parameters += [log_filter.person_id, log_filter.person_id]
    if log_filter.certification_id is not None:
        clauses.append("(certification_id = ? OR (action = 'import' AND EXISTS (SELECT 1 FROM"
                       " json_each(events.after, '$.added_ids') AS added WHERE added.value = ?)))")
        parameters += [log_filter.certification_id, log_filter.certification_id]
    if log_filter.actor:
        clauses.append("actor = ?")
        parameters.append(log_filter.actor)
    if log_filter.action:
        clauses.append("action = ?")
        parameters.append(log_filter.action)
    if log_filter.since:
        clauses.append("at >= ?")
        parameters.append(log_filter.since)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = f"SELECT * FROM events {where} ORDER BY id"
    if log_filter.limit:
        sql = f"SELECT * FROM ({sql.replace('ORDER BY id', 'ORDER BY id DESC')} LIMIT {int(log_filter.limit)}) ORDER BY id"
    for row in conn.execute(sql, parameters):
        event = dict(row)
        event["before"] = json.loads(row["before"]) if row["before"] else None
        event["after"] = json.loads(row["after"]) if row["after"] else None
        yield event
