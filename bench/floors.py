"""The floors of certcli's bulk commands: the same work done with the bare stack.

Each subcommand runs as its own process, like certcli, and does only what the result needs.
The reports are one SQL query over certcli's schema, written out with the csv module or
openpyxl. `export` writes certcli's cells with their styles, and `export-plain` writes the
values only. The import inserts the rows of a CSV file with executemany in one transaction;
`import-fk` does the same with foreign keys on, as certcli's connections have them.
Nothing is validated and no audit event is written, so the time above a floor is what
certcli adds.

    python bench/floors.py list DB TODAY DAYS      > out.csv
    python bench/floors.py missing DB TODAY TYPE   > out.csv
    python bench/floors.py export DB TODAY OUT.xlsx
    python bench/floors.py export-plain DB TODAY OUT.xlsx
    python bench/floors.py import DB FILE.csv
    python bench/floors.py import-fk DB FILE.csv
"""

from __future__ import annotations

import csv
import sqlite3
import sys
from datetime import date, timedelta

LIST_COLUMNS = ["id", "employee_id", "last_name", "first_name", "email", "type", "level", "number", "state",
                "city", "issued", "expires", "status", "verified_by", "verified_at", "images", "notes"]
# The export's columns with the text format "@" (employee_id, number), and its status colours.
TEXT_INDEXES = (1, 7)
STATUS_COLORS = {"valid": "C6EFCE", "expiring": "FFEB9C", "expired": "FFC7CE"}
MISSING_COLUMNS = ["person_id", "employee_id", "last_name", "first_name", "email", "groups", "missing",
                   "last_expired"]

# The list view: each person's current record per type, in certcli's default order (by
# expiration, then name). A record is "expiring" within `{window}` days: the window the
# caller gives, or the type's warning window.
LIST_SQL = """
    SELECT c.id, p.employee_id, p.last_name, p.first_name, p.email, c.type_code, c.level, c.number,
           c.state, c.city, c.issued, c.expires,
           CASE WHEN c.expires IS NULL THEN 'valid' WHEN c.expires < :today THEN 'expired'
                WHEN c.expires <= date(:today, '+' || {window} || ' days') THEN 'expiring' ELSE 'valid' END,
           c.verified_by, c.verified_at,
           (SELECT count(*) FROM images i WHERE i.certification_id = c.id), c.notes
    FROM current_records cur
    JOIN certifications c ON c.id = cur.certification_id
    JOIN people p ON p.id = c.person_id
    JOIN cert_types t ON t.code = c.type_code
    WHERE {where}
    ORDER BY c.expires IS NULL, c.expires, p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE,
             c.type_code, c.id
"""

# The negative report: active people with no record of the type issued on or before today.
MISSING_SQL = """
    SELECT p.id, p.employee_id, p.last_name, p.first_name, p.email,
           (SELECT group_concat(group_name, '; ') FROM (SELECT group_name FROM person_groups g
            WHERE g.person_id = p.id ORDER BY group_name)),
           :type, NULL
    FROM people p
    WHERE p.active = 1 AND NOT EXISTS (
        SELECT 1 FROM certifications c WHERE c.person_id = p.id AND c.type_code = :type AND c.issued <= :today)
    ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, p.id
"""

INSERT_SQL = (
    "INSERT INTO certifications (person_id, type_code, level, number, state, city, issued, expires, notes,"
    " entered_by, entered_at, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'bench', ?, 'bench', ?)"
)


def write_csv(cursor: sqlite3.Cursor, columns: list[str]) -> int:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in cursor:
        writer.writerow(["" if value is None else value for value in row])
        count += 1
    return count


def list_expiring(db: str, today: str, days: str) -> int:
    """Write the current records of active people that expire from `today` through `today` + `days`."""
    window_end = (date.fromisoformat(today) + timedelta(days=int(days))).isoformat()
    sql = LIST_SQL.format(window=int(days), where="cur.expires BETWEEN :today AND :window_end AND p.active = 1")
    conn = sqlite3.connect(db)
    return write_csv(conn.execute(sql, {"today": today, "window_end": window_end}), LIST_COLUMNS)


def missing(db: str, today: str, type_code: str) -> int:
    conn = sqlite3.connect(db)
    return write_csv(conn.execute(MISSING_SQL, {"today": today, "type": type_code}), MISSING_COLUMNS)


def export_xlsx(db: str, today: str, path: str) -> int:
    """Write every current record (inactive people included) to a write-only workbook.

    The cells are certcli's: the same values, dates as date cells, a bold header, the text
    format "@" on employee_id and number, and one conditional format per status on the
    status column. Column widths, the frozen header, the filter and the About sheet are left
    out.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    sql = LIST_SQL.format(window="t.warning_days", where="1")
    conn = sqlite3.connect(db)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Certifications")
    header = []
    for column in LIST_COLUMNS:
        cell = WriteOnlyCell(sheet, value=column)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in conn.execute(sql, {"today": today}):
        values = list(row)
        values[10] = date.fromisoformat(values[10])
        if values[11] is not None:
            values[11] = date.fromisoformat(values[11])
        for index in TEXT_INDEXES:
            if values[index] is not None:
                cell = WriteOnlyCell(sheet, value=values[index])
                cell.number_format = "@"
                values[index] = cell
        sheet.append(values)
        count += 1
    if count:
        status_column = get_column_letter(LIST_COLUMNS.index("status") + 1)
        for status, color in STATUS_COLORS.items():
            fill = PatternFill("solid", start_color=color, end_color=color)
            sheet.conditional_formatting.add(f"{status_column}2:{status_column}{count + 1}",
                                             CellIsRule(operator="equal", formula=[f'"{status}"'], fill=fill))
    workbook.save(path)
    return count


def export_xlsx_plain(db: str, today: str, path: str) -> int:
    """Write the same values as `export_xlsx`, dates as date cells, with no style at all."""
    from openpyxl import Workbook

    sql = LIST_SQL.format(window="t.warning_days", where="1")
    conn = sqlite3.connect(db)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Certifications")
    sheet.append(LIST_COLUMNS)
    count = 0
    for row in conn.execute(sql, {"today": today}):
        values = list(row)
        values[10] = date.fromisoformat(values[10])
        if values[11] is not None:
            values[11] = date.fromisoformat(values[11])
        sheet.append(values)
        count += 1
    workbook.save(path)
    return count


def import_csv(db: str, path: str, foreign_keys: bool = False) -> int:
    """Insert the file's rows (IMPORT_HEADER layout) as new records, in one transaction."""
    conn = sqlite3.connect(db, isolation_level=None)
    if foreign_keys:
        conn.execute("PRAGMA foreign_keys = ON")
    people = dict(conn.execute("SELECT employee_id, id FROM people"))
    now = "2026-12-04T12:00:00Z"
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        next(reader)
        rows = [
            (people[row[0]], row[4], row[5] or None, row[6] or None, row[7] or None, row[8] or None,
             row[9], row[10] or None, row[11] or None, now, now)
            for row in reader
        ]
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(INSERT_SQL, rows)
    conn.execute("COMMIT")
    return len(rows)


def import_csv_foreign_keys(db: str, path: str) -> int:
    return import_csv(db, path, foreign_keys=True)


COMMANDS = {"list": list_expiring, "missing": missing, "export": export_xlsx, "export-plain": export_xlsx_plain,
            "import-fk": import_csv_foreign_keys,
            "import": import_csv}


if __name__ == "__main__":
    name, *arguments = sys.argv[1:]
    rows = COMMANDS[name](*arguments)
    print(rows, file=sys.stderr)
