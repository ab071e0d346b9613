"""Everything certcli writes: data on stdout, messages on stderr.

Human output (rich tables with colour) only goes to a terminal. The machine formats csv,
tsv, json, ndjson and quiet (one id per line) are never coloured, wrapped or truncated.
`make_output` builds the Output once per command, and tests pretend to be a terminal by
replacing `_is_terminal`.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import sqlite3
import sys
from dataclasses import dataclass, field
from typing import Iterable, Mapping, TextIO

FORMATS = ("table", "csv", "tsv", "json", "ndjson", "quiet")
# A rich table of 100,000 rows takes a minute and most of a gigabyte; a person reads a page.
DEFAULT_TABLE_LIMIT = 500
BLOCK_SIZE = 64 * 1024
# Ids, codes and dates are unreadable when split over two lines; names and notes wrap instead.
NO_WRAP_COLUMNS = {"id", "person_id", "record_id", "number", "issued", "expires", "status", "employee_id",
                   "last_expired"}
STATUS_STYLES = {"valid": "green", "expiring": "yellow", "expired": "red", "missing": "bold red"}
STATUS_SYMBOLS = {"valid": "✓", "expiring": "!", "expired": "✗", "missing": "—"}

# C0 and C1 control characters except tab and newline: raw escape sequences from user data
# must never reach a terminal as control sequences.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class OutputClosed(Exception):
    """The reader closed stdout (`certcli list | head -1`); stop quietly."""


def visible(text: str) -> str:
    """Replace control characters with visible \\xNN escapes, for terminal output."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


@dataclass
class Output:
    stdout: TextIO
    stderr: TextIO
    stdout_is_terminal: bool
    stderr_is_terminal: bool
    color: bool
    width: int | None = None
    # Data waiting to be written to stdout: one write per row costs more than the csv
    # formatting itself, so rows are written in blocks of about BLOCK_SIZE characters.
    _pending: list[str] = field(default_factory=list)
    _pending_size: int = 0

    # -- messages (stderr) -------------------------------------------------------------

    def message(self, text: str) -> None:
        self._write(self.stderr, (visible(text) if self.stderr_is_terminal else text) + "\n")

    def warning(self, text: str) -> None:
        self.message(text if text.startswith("Warning:") else f"Warning: {text}")

    def error(self, text: str) -> None:
        self.message(f"Error: {text}")

    def messages(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.message(text)

    # -- data (stdout) -----------------------------------------------------------------

    def line(self, text: str) -> None:
        self._data(text + "\n")

    def flush(self) -> None:
        self._write_pending()
        try:
            self.stdout.flush()
        except BrokenPipeError:
            self._stdout_closed()

    def resolve_format(self, requested: str | None) -> str:
        """Return the format to use: a table on a terminal, csv when piped, unless requested."""
        if requested:
            return requested
        return "table" if self.stdout_is_terminal else "csv"

    def rows(
        self,
        columns: list[str],
        rows: Iterable[Mapping],
        fmt: str | None,
        *,
        table_columns: list[tuple[str, str]] | None = None,
        title: str | None = None,
        limit: int | None = DEFAULT_TABLE_LIMIT,
        quiet_key: str = "id",
        quiet_if_empty: bool = False,
        empty_message: str = "Nothing matches.",
        summary_key: str | None = None,
        status_columns: list[str] | None = None,
        optional_columns: list[tuple[str, int]] | None = None,
    ) -> int:
        """Write `rows` in `fmt`; return how many rows there were.

        Machine formats stream row by row. `quiet_if_empty` prints nothing at all (not even
        a header) for an empty result, so cron sends no mail.
        """
        fmt = self.resolve_format(fmt)
        # Start the query before writing anything: an invalid filter that a lazy query raises
        # (an unknown type, say) then fails with stdout still empty, not after a CSV header.
        rows = iter(rows)
        first = next(rows, None)
        rows = itertools.chain([first] if first is not None else [], rows)
        if fmt == "table":
            if optional_columns and self.stdout_is_terminal:
                # On a narrow terminal, drop the columns a person needs least rather than
                # squeezing every column until ids and dates break over two lines.
                width = self.width or shutil.get_terminal_size().columns
                dropped = {key for key, minimum in optional_columns if width < minimum}
                table_columns = [column for column in table_columns or [] if column[0] not in dropped]
            count = self._table(columns, rows, table_columns, title, limit, summary_key, status_columns or [])
        elif fmt in ("csv", "tsv"):
            count = self._delimited(columns, rows, "," if fmt == "csv" else "\t", quiet_if_empty)
        elif fmt == "json":
            count = self._json(columns, rows, quiet_if_empty)
        elif fmt == "ndjson":
            import json

            count = self._each(rows, lambda row: json.dumps({c: row[c] for c in columns}, ensure_ascii=False))
        else:
            count = self._each(rows, lambda row: str(row[quiet_key]))
        if count == 0 and not quiet_if_empty:
            self.message(empty_message)
        self.flush()
        return count

    def _each(self, rows: Iterable[Mapping], render) -> int:
        count = 0
        for row in rows:
            self.line(render(row))
            count += 1
        return count

    def _delimited(self, columns: list[str], rows: Iterable[Mapping], delimiter: str, quiet_if_empty: bool) -> int:
        import csv

        writer = csv.writer(_Sink(self), delimiter=delimiter, lineterminator="\n")
        if not quiet_if_empty:
            writer.writerow(columns)
        count = 0
        keys: list = columns
        for row in rows:
            if count == 0:
                if quiet_if_empty:
                    writer.writerow(columns)
                # sqlite3.Row reads faster by position than by name.
                if isinstance(row, sqlite3.Row):
                    names = row.keys()
                    keys = [names.index(column) for column in columns]
            writer.writerow(["" if row[key] is None else row[key] for key in keys])
            count += 1
        return count

    def _json(self, columns: list[str], rows: Iterable[Mapping], quiet_if_empty: bool) -> int:
        import json

        count = 0
        for row in rows:
            text = json.dumps({c: row[c] for c in columns}, ensure_ascii=False)
            self._data(("[\n  " if count == 0 else ",\n  ") + text)
            count += 1
        if count:
            self._data("\n]\n")
        elif not quiet_if_empty:
            self._data("[]\n")
        return count

    def _table(self, columns, rows, table_columns, title, limit, summary_key, status_columns) -> int:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table_columns = table_columns or [(c, c) for c in columns]
        table = Table(title=title, header_style="bold", show_lines=False)
        for key, heading in table_columns:
            if key in NO_WRAP_COLUMNS:
                table.add_column(heading, no_wrap=True, overflow="ellipsis")
            else:
                table.add_column(heading, overflow="fold")
        count = 0
        counts: dict[str, int] = {}
        for row in rows:
            count += 1
            if summary_key:
                counts[row[summary_key]] = counts.get(row[summary_key], 0) + 1
            if limit and count > limit:
                continue
            style = STATUS_STYLES.get(row[summary_key]) if summary_key else None
            cells = []
            for key, _ in table_columns:
                value = row[key]
                text = Text(visible("" if value is None else str(value)))
                if key == summary_key and style:
                    text.stylize(style)
                elif key in status_columns and value in STATUS_STYLES:
                    text = Text(f"{STATUS_SYMBOLS[value]} {value}", style=STATUS_STYLES[value])
                cells.append(text)
            table.add_row(*cells)
        if count == 0:
            return 0

        console = Console(
            # Cells are already escaped with visible(); rich's own escape codes must pass through.
            file=_Sink(self, escape=False),
            force_terminal=self.stdout_is_terminal,
            no_color=not self.color,
            color_system="auto" if self.color else None,
            width=self.width if self.stdout_is_terminal else 10_000,
            highlight=False,
            markup=False,
            emoji=False,
        )
        console.print(table)
        if summary_key:
            parts = [f"{counts[key]} {key}" for key in ("valid", "expiring", "expired", "missing") if key in counts]
            parts += [f"{value} {key}" for key, value in counts.items() if key not in STATUS_STYLES]
            self.line(f"{count} record(s): " + ", ".join(parts) if parts else f"{count} record(s)")
        if limit and count > limit:
            self.message(
                f"Showing the first {limit} of {count} rows; use --limit 0 for all, "
                "or --format csv for a full machine-readable list"
            )
        return count

    # -- plumbing ----------------------------------------------------------------------

    def _data(self, text: str) -> None:
        self._raw(visible(text) if self.stdout_is_terminal else text)

    def _raw(self, text: str) -> None:
        self._pending.append(text)
        self._pending_size += len(text)
        if self._pending_size >= BLOCK_SIZE:
            self._write_pending()

    def _write_pending(self) -> None:
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self._pending_size = 0
            self._write(self.stdout, text)

    def write_bytes(self, data: bytes) -> None:
        """Write raw bytes (an image) to stdout after any pending text."""
        self.flush()
        try:
            self.stdout.buffer.write(data)
            self.stdout.buffer.flush()
        except BrokenPipeError:
            self._stdout_closed()

    def _write(self, stream: TextIO, text: str) -> None:
        try:
            stream.write(text)
        except BrokenPipeError:
            if stream is self.stdout:
                self._stdout_closed()
            raise OutputClosed() from None

    def _stdout_closed(self) -> None:
        # Point fd 1 at /dev/null so the interpreter's final flush cannot fail again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stdout.fileno())
        except (OSError, ValueError):
            pass
        raise OutputClosed()


class _Sink:
    """A file-like object that routes csv and rich writes through Output's pipe handling."""

    def __init__(self, output: Output, escape: bool = True):
        self.output = output
        self.escape = escape

    def write(self, text: str) -> int:
        if self.escape:
            self.output._data(text)
        else:
            self.output._raw(text)
        return len(text)

    def flush(self) -> None:
        self.output.flush()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def make_output() -> Output:
    """Build the Output for this run from the real streams and environment."""
    stdout, stderr = sys.stdout, sys.stderr
    stdout_tty, stderr_tty = _is_terminal(stdout), _is_terminal(stderr)
    if not stdout_tty and hasattr(stdout, "reconfigure"):
        # Data written for scripts is UTF-8 whatever the locale (cron often runs with LANG=C).
        try:
            stdout.reconfigure(encoding="utf-8", errors="surrogateescape")
        except (ValueError, OSError):
            pass
    if hasattr(stderr, "reconfigure"):
        try:
            stderr.reconfigure(errors="backslashreplace")
        except (ValueError, OSError):
            pass
    color = stdout_tty and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    return Output(stdout, stderr, stdout_tty, stderr_tty, color)
