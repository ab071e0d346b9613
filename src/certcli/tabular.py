"""Read rows from CSV and XLSX files for import, keeping each row's line or row number.

Rows come out as (number, {header: value}) where number is the physical line of a CSV
file (a quoted cell spanning lines counts its lines) or the sheet row of an XLSX file.
Blank rows, comma-only rows and whitespace-only rows are skipped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

from certcli.errors import InvalidValue

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass
class ReadOptions:
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None


@dataclass
class Table:
    """A file's header and an iterator over its data rows."""

    headers: list[str]
    rows: Iterator[tuple[int, list]]
    location: str  # "line" for CSV, "row" for XLSX
    epoch: datetime | None = None  # the XLSX workbook's date epoch (1900 or 1904)
    size: int = 0  # characters of CSV text, to tell a large import from a small one
    digest: str = ""  # of the CSV file's bytes, to notice a file that changed between two reads


def open_table(source: str, options: ReadOptions) -> Table:
    """Open a CSV or XLSX file (or `-` for CSV on stdin) and read its header."""
    if source == "-":
        # sys.stdin is None when the caller closed it (`certcli import - <&-`).
        if sys.stdin is None:
            raise InvalidValue('cannot read "-": standard input is closed', "Pipe the CSV in, or give a file name")
        return _csv_table(sys.stdin.buffer.read(), "standard input", options)
    path = Path(source)
    if path.is_dir():
        raise InvalidValue(f'cannot read "{source}": it is a folder', "Give the CSV or XLSX file inside it")
    if not path.is_file():
        raise InvalidValue(f'cannot read "{source}": no such file', "Check the path")
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04" or path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_table(path, data, options)
    if path.suffix.lower() in (".xls",):
        raise InvalidValue(f'cannot read "{source}": old .xls workbooks are not supported',
                           "Save it as .xlsx or CSV UTF-8 and import that")
    return _csv_table(data, source, options)


def _decode(data: bytes, source: str, encoding: str | None) -> str:
    if encoding is None and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding = "utf-16"  # Excel's "Unicode Text", with its byte-order mark
    if encoding is None and b"\x00" in data[:4096]:
        raise InvalidValue(f'cannot read "{source}": it is a binary file, not CSV',
                           "Import a .csv or .xlsx file; for UTF-16 text without a byte-order mark pass --encoding utf-16")
    try:
        return data.decode(encoding or "utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidValue(
            f'cannot read "{source}" as {encoding or "UTF-8"}: invalid byte 0x{data[error.start]:02x} on line {line}',
            "Give the file's encoding with --encoding, e.g. --encoding cp1252 for Excel on Windows",
        ) from None
    except LookupError:
        raise InvalidValue(f'unknown encoding "{encoding}"', "Use a name such as utf-8, cp1252 or latin-1") from None


def _sniff_delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _csv_table(data: bytes, source: str, options: ReadOptions) -> Table:
    text = _decode(data, source, options.encoding).lstrip("\ufeff")
    if not text.strip():
        raise InvalidValue(f'"{source}" is empty', "Import a file with a header row")
    first_line = text.splitlines()[0]
    delimiter = options.delimiter or _sniff_delimiter(first_line)
    if delimiter == "\\t":
        delimiter = "\t"
    if len(delimiter) != 1:
        raise InvalidValue(f'invalid delimiter "{delimiter}"', "Give one character, e.g. --delimiter ';'")

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        headers = next(reader)
    except csv.Error as error:
        raise InvalidValue(f'cannot read "{source}": {error} on line 1', "Check the header row") from None
    if len(headers) == 1 and ";" in headers[0] and delimiter != ";":
        raise InvalidValue(
            f'"{source}" looks semicolon-delimited (header "{headers[0]}")', "Pass --delimiter ';'"
        )

    def rows() -> Iterator[tuple[int, list]]:
        line = reader.line_num
        while True:
            start = line + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise InvalidValue(f'cannot read "{source}": {error} near line {start}',
                                   "Check the quotes on that line") from None
            line = reader.line_num
            if any(value.strip() for value in values):
                yield start, values

    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    return Table([header for header in headers], rows(), "line", size=len(text), digest=digest)


def _xlsx_table(path: Path, data: bytes, options: ReadOptions) -> Table:
    import warnings
    import zipfile
    import zlib
    from xml.etree.ElementTree import ParseError

    from openpyxl import load_workbook

    # What zipfile, zlib and openpyxl raise for a damaged workbook, when it is opened or later
    # while its rows are read: read-only mode decompresses and parses the sheet lazily.
    damaged = (zipfile.BadZipFile, zlib.error, ParseError, EOFError, NotImplementedError, KeyError, IndexError,
               OSError, ValueError, TypeError)

    def unreadable(error: Exception) -> InvalidValue:
        return InvalidValue(f'cannot read "{path}" as an .xlsx workbook: {str(error) or "it is damaged"}',
                            "Open it in Excel or LibreOffice and save it again as .xlsx, or export CSV")

    try:
        with warnings.catch_warnings():
            # openpyxl warns on stderr about parts it skips (styles, defined names); they do
            # not change the cell values an import reads.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except damaged as error:
        raise unreadable(error) from None
    if options.sheet:
        if options.sheet not in workbook.sheetnames:
            raise InvalidValue(f'no sheet "{options.sheet}" in "{path}"', f"Use one of {', '.join(workbook.sheetnames)}")
        sheet = workbook[options.sheet]
    elif workbook.worksheets:
        sheet = workbook.worksheets[0]
    else:
        raise InvalidValue(f'"{path}" has no worksheet', "Import a workbook with a sheet of records")
    # The stored dimension can be wrong (some writers record A1), so read what is really there.
    sheet.reset_dimensions()
    iterator = sheet.iter_rows(values_only=True)
    headers = None
    header_row = 0
    try:
        for header_row, values in enumerate(iterator, start=1):
            if any(_blank(value) is False for value in values):
                headers = ["" if value is None else str(value) for value in values]
                break
    except damaged as error:
        raise unreadable(error) from None
    if headers is None:
        raise InvalidValue(f'"{path}" has no rows in sheet "{sheet.title}"', "Import a sheet with a header row")
    while headers and not headers[-1].strip():
        headers.pop()
    width = len(headers)

    def rows() -> Iterator[tuple[int, list]]:
        try:
            for number, values in enumerate(iterator, start=header_row + 1):
                values = list(values[:width]) + [None] * (width - len(values))
                if any(_blank(value) is False for value in values):
                    yield number, values
        except damaged as error:
            raise unreadable(error) from None

    return Table(headers, rows(), "row", epoch=workbook.epoch)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value) -> str | None:
    """Return a cell as text for a text field; numbers lose a spurious `.0`."""
    if type(value) is str:
        return value
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def cell_date(value, epoch: datetime | None) -> str | None:
    """Return a date cell as ISO text; numeric serials use the workbook's own epoch."""
    if type(value) is str:
        return value
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if epoch is None:
            return cell_text(value)
        from openpyxl.utils.datetime import from_excel

        try:
            converted = from_excel(value, epoch=epoch)
        except (ValueError, OverflowError):
            return cell_text(value)
        return (converted.date() if isinstance(converted, datetime) else converted).isoformat()
    return cell_text(value)
