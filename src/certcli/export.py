"""Write the filtered certification list to .xlsx, .csv, .tsv, .json or .ndjson.

Files are written to a temporary name beside the target and renamed into place, so a
failed export never leaves half a file under the name the user gave.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

from certcli.errors import InvalidValue
from certcli.listing import LIST_COLUMNS, STATUSES, ListFilter, list_query

EXTENSIONS = (".xlsx", ".csv", ".tsv", ".json", ".ndjson")
DATE_COLUMNS = ("issued", "expires")
# Codes that look like numbers: their cells get the text format "@" so that editing them in
# Excel keeps leading zeros.
TEXT_COLUMNS = ("employee_id", "number")
MAX_COLUMN_WIDTH = 60
MIN_DATE_WIDTH = 12
SHEET_TITLE = "Certifications"
STATUS_FILLS = {"valid": "C6EFCE", "expiring": "FFEB9C", "expired": "FFC7CE", "missing": "FFC7CE"}
PROGRESS_EVERY = 10_000


def export_records(
    conn: sqlite3.Connection,
    list_filter: ListFilter,
    today: date,
    path: Path,
    progress: Callable[[str], None] | None = None,
) -> tuple[int, list[str]]:
    """Write the list view to `path` (format from its extension); return (rows, warnings)."""
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS:
        raise InvalidValue(f'cannot export to "{path}": unknown extension "{path.suffix}"',
                           f"Use a file name ending in {', '.join(EXTENSIONS)}")
    if path.is_dir():
        raise InvalidValue(f'cannot export to "{path}": it is a directory', "Give a file name")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InvalidValue(f'cannot export to "{path}": the folder "{directory}" does not exist', "Create it first")

    sql, parameters = list_query(conn, list_filter, today)
    writer = {".xlsx": _write_xlsx, ".csv": _write_delimited, ".tsv": _write_delimited,
              ".json": _write_json, ".ndjson": _write_json}[suffix]
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    os.close(handle)
    try:
        count, warnings = writer(conn, sql, parameters, Path(temporary), suffix,
                                 list_filter=list_filter, today=today, progress=progress)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count, warnings


def _rows(conn, sql, parameters, progress):
    for count, row in enumerate(conn.execute(sql, parameters), start=1):
        if progress and count % PROGRESS_EVERY == 0:
            progress(f"  {count:,} rows written")
        yield row


def _write_delimited(conn, sql, parameters, path, suffix, progress=None, **_) -> tuple[int, list[str]]:
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, delimiter="," if suffix == ".csv" else "\t", lineterminator="\n")
        writer.writerow(LIST_COLUMNS)
        for row in _rows(conn, sql, parameters, progress):
            writer.writerow(["" if row[column] is None else row[column] for column in LIST_COLUMNS])
            count += 1
    return count, []


def _write_json(conn, sql, parameters, path, suffix, progress=None, **_) -> tuple[int, list[str]]:
    count = 0
    with open(path, "w", encoding="utf-8") as stream:
        if suffix == ".json":
            stream.write("[")
        for row in _rows(conn, sql, parameters, progress):
            text = json.dumps({column: row[column] for column in LIST_COLUMNS}, ensure_ascii=False)
            if suffix == ".json":
                stream.write(("\n  " if count == 0 else ",\n  ") + text)
            else:
                stream.write(text + "\n")
            count += 1
        if suffix == ".json":
            stream.write("\n]\n" if count else "]\n")
    return count, []


def _column_widths(conn, sql, parameters) -> dict[str, int]:
    """Return each column's width from the longest value, in one pass over the same query."""
    lengths = ", ".join(f"max(length({column}))" for column in LIST_COLUMNS)
    row = conn.execute(f"SELECT {lengths} FROM ({sql})", parameters).fetchone()
    widths = {}
    for column, longest in zip(LIST_COLUMNS, row):
        width = max(len(column), longest or 0) + 2
        if column in DATE_COLUMNS:
            width = max(width, MIN_DATE_WIDTH)
        widths[column] = min(width, MAX_COLUMN_WIDTH)
    return widths


def _write_xlsx(conn, sql, parameters, path, suffix, list_filter, today, progress=None) -> tuple[int, list[str]]:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    widths = _column_widths(conn, sql, parameters)
    for index, column in enumerate(LIST_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths[column]
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    warnings: list[str] = []

    def replace_control_characters(value: str, record_id=None, column=None) -> str:
        cleaned = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        if cleaned != value:
            warnings.append(
                f"Warning: record #{record_id} {column} contains control characters; "
                "they were replaced with U+FFFD in the spreadsheet (the database is unchanged)"
            )
        return cleaned

    def text_cell(value: str, record_id=None, column=None) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=replace_control_characters(value, record_id, column))
        # Force text: openpyxl would store a string starting with "=" as a live formula.
        cell.data_type = "s"
        return cell

    header = []
    for column in LIST_COLUMNS:
        cell = text_cell(column)
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    # Each text column has one cell with the "@" format, given a new value on every row, so
    # openpyxl builds no cell and no style per row for these columns.
    # NOTE: this relies on openpyxl 3.1.5 (read in its source): a write-only worksheet writes
    # the whole row before `append` returns, and puts the value after a styled cell into a new
    # cell of its own. It would overwrite an unstyled cell with the next value of the row, so
    # the forced-text cells of `text_cell` are never reused. test_spreadsheets.py checks that
    # every row keeps its own number.
    text_format_cells = {}
    for column in TEXT_COLUMNS:
        cell = WriteOnlyCell(sheet)
        cell.number_format = "@"
        text_format_cells[column] = cell
    date_columns = set(DATE_COLUMNS)
    status_index = LIST_COLUMNS.index("status")
    id_index = LIST_COLUMNS.index("id")
    count = 0
    statuses: dict[str, int] = {}
    for row in _rows(conn, sql, parameters, progress):
        statuses[row[status_index]] = statuses.get(row[status_index], 0) + 1
        cells = []
        # zip stops after LIST_COLUMNS: the query returns more columns than the sheet has.
        for column, value in zip(LIST_COLUMNS, row):
            if value is None or not isinstance(value, str):
                cells.append(value)
            elif column in date_columns:
                # openpyxl gives date values the date-only format yyyy-mm-dd.
                cells.append(date.fromisoformat(value))
            elif column in text_format_cells:
                cell = text_format_cells[column]
                cell.value = replace_control_characters(value, row[id_index], column)
                cell.data_type = "s"
                cells.append(cell)
            elif value[:1] == "=" or ILLEGAL_CHARACTERS_RE.search(value):
                cells.append(text_cell(value, row[id_index], column))
            else:
                cells.append(value)
        sheet.append(cells)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(LIST_COLUMNS))}{count + 1}"
    if count:
        # One conditional format per status colours the status column. A fill on each cell
        # would give every row one more styled cell to build and write.
        status_column = get_column_letter(status_index + 1)
        status_range = f"{status_column}2:{status_column}{count + 1}"
        for status in STATUSES:
            fill = PatternFill("solid", start_color=STATUS_FILLS[status], end_color=STATUS_FILLS[status])
            sheet.conditional_formatting.add(status_range, CellIsRule(operator="equal", formula=[f'"{status}"'],
                                                                      fill=fill))

    about = workbook.create_sheet("About")
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = MAX_COLUMN_WIDTH
    about_rows = [
        ("Exported by", "certcli"),
        ("Exported at (UTC)", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")),
        ("Status computed for", (list_filter.as_of or today).isoformat()),
        ("Rows", str(count)),
    ]
    about_rows += [(f"Rows {status}", str(statuses[status])) for status in STATUSES
                   if status in statuses]
    about_rows += [(f"Filter: {name}", value) for name, value in list_filter.describe()] or []
    if not list_filter.describe():
        about_rows.append(("Filters", "none (current records of active people)"))
    for name, value in about_rows:
        name_cell = text_cell(name)
        name_cell.font = bold
        about.append([name_cell, text_cell(value)])
    workbook.save(path)
    return count, sorted(set(warnings))


def export_matrix(matrix, path: Path, today: date) -> None:
    """Write the compliance matrix to .xlsx (coloured cells) or .csv, by extension."""
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InvalidValue(f'cannot write the matrix to "{path}"', "Use a file name ending in .xlsx or .csv")
    columns = ["id", "employee_id", "last_name", "first_name", "groups"] + matrix.types
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InvalidValue(f'cannot write "{path}": the folder "{directory}" does not exist', "Create it first")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    os.close(handle)
    try:
        if suffix == ".csv":
            with open(temporary, "w", newline="", encoding="utf-8") as stream:
                writer = csv.writer(stream, lineterminator="\n")
                writer.writerow(columns)
                for row in matrix.rows:
                    writer.writerow(["" if row[column] is None else row[column] for column in columns])
        else:
            _write_matrix_xlsx(matrix, columns, Path(temporary), today)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_matrix_xlsx(matrix, columns: list[str], path: Path, today: date) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Compliance")
    for index, column in enumerate(columns, start=1):
        longest = max([len(str(row.get(column) or "")) for row in matrix.rows] + [len(column)])
        sheet.column_dimensions[get_column_letter(index)].width = min(longest + 2, MAX_COLUMN_WIDTH)
    sheet.freeze_panes = "F2"
    bold = Font(bold=True)
    fills = {status: PatternFill("solid", fgColor=color) for status, color in STATUS_FILLS.items()}

    def text(value) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value)))
        cell.data_type = "s"
        return cell

    header = [text(column) for column in columns]
    for cell in header:
        cell.font = bold
    sheet.append(header)
    for row in matrix.rows:
        cells = []
        for column in columns:
            value = row.get(column)
            if value is None or value == "":
                cells.append(WriteOnlyCell(sheet, value=None))
                continue
            cell = text(value) if column != "id" else WriteOnlyCell(sheet, value=value)
            if column in matrix.types and value in fills:
                cell.fill = fills[value]
            cells.append(cell)
        sheet.append(cells)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(matrix.rows) + 1}"
    about = workbook.create_sheet("About")
    for name, value in (("Status computed for", today.isoformat()),
                        ("Exported at (UTC)", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")),
                        ("People", str(len(matrix.rows)))):
        about.append([text(name), text(value)])
    workbook.save(path)
