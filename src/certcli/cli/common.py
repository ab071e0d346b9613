"""Shared pieces of the command line: run settings, error handling and common options.

CLI modules do not use `from __future__ import annotations`: Typer reads the annotations
of the wrapped command functions at run time.
"""

import functools
import os
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer

from certcli.errors import CertcliError, DatabaseError, ExitCode, InvalidValue
from certcli.output import FORMATS, Output, OutputClosed, make_output


@dataclass
class Settings:
    """Global options of one run: which database, which day, which actor."""

    db_path: Path
    today_text: Optional[str]
    actor: str
    output: Output = field(default_factory=make_output)
    _conn: Optional[sqlite3.Connection] = None

    def connect(self, create: bool = False) -> sqlite3.Connection:
        """Open the database; only commands that add data (`create`) make a new file.

        A mistyped --db for `list` in a cron job must fail, not report on an empty new file.
        Folders are created only for the default location.
        """
        from certcli.db import connect, default_db_path

        if self._conn is None:
            if not create and not self.db_path.exists():
                raise DatabaseError(
                    f'no database at "{self.db_path}"',
                    "Check --db or CERTCLI_DB; certcli creates the file when you first add people, records or types",
                )
            self._conn = connect(self.db_path, make_parents=self.db_path == default_db_path())
        return self._conn

    @functools.cached_property
    def today(self) -> date:
        from certcli import dates

        if self.today_text:
            return dates.parse_date(self.today_text, field="--today")
        return dates.local_today()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def default_actor() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def settings(ctx: typer.Context) -> Settings:
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        from certcli.db import default_db_path

        root.obj = Settings(Path(os.environ.get("CERTCLI_DB") or default_db_path()),
                            os.environ.get("CERTCLI_TODAY"), os.environ.get("CERTCLI_ACTOR") or default_actor())
    return root.obj


def handles_errors(function: Callable) -> Callable:
    """Turn certcli's exceptions into one `Error:` line on stderr and a documented exit code."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        ctx = kwargs.get("ctx") or next((a for a in args if isinstance(a, typer.Context)), None)
        run = settings(ctx) if ctx is not None else None
        output = run.output if run else make_output()
        try:
            check_utf8([*kwargs.values(), run.actor if run else None])
            result = function(*args, **kwargs)
            output.flush()
            return result
        except typer.Exit:
            # A report that exits with a code (--fail-if-found) still delivers its rows.
            try:
                output.flush()
            except OutputClosed:
                raise typer.Exit(ExitCode.BROKEN_PIPE) from None
            raise
        except CertcliError as error:
            output.error(str(error))
            raise typer.Exit(error.exit_code) from None
        except OutputClosed:
            raise typer.Exit(ExitCode.BROKEN_PIPE) from None
        except sqlite3.OperationalError as error:
            output.error(f"database error: {error}. Nothing was changed; try again, or run `certcli check --integrity`")
            raise typer.Exit(ExitCode.ERROR) from None
        except OSError as error:
            # Files the user named (exports, reject files, images): unwritable, missing, too long.
            where = f' "{error.filename}"' if error.filename else ""
            output.error(f"cannot use{where}: {error.strerror or error}. Check the path and its permissions")
            raise typer.Exit(ExitCode.ERROR) from None
        except KeyboardInterrupt:
            output.error("interrupted; nothing was changed by the unfinished step")
            raise typer.Exit(130) from None
        finally:
            if run is not None:
                run.close()

    return wrapper


# Bytes of a command-line argument that are not UTF-8 reach Python as these lone surrogates.
_UNDECODABLE = re.compile("[\udc80-\udcff]")


def check_utf8(values: list) -> None:
    """Reject argument text that is not UTF-8 before the command runs.

    SQLite cannot store the lone surrogates that stand for such bytes, so without this check
    an insert would fail with a UnicodeEncodeError traceback.
    """
    for value in values:
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, str) and _UNDECODABLE.search(item):
                shown = item.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                raise InvalidValue(f'"{shown}" is not valid UTF-8 text',
                                   "Give the text in UTF-8, and check the terminal's encoding (locale)")


def parse_date_option(value: Optional[str], option: str, month_only: bool = False,
                      month_start: bool = False) -> Optional[date]:
    """Parse a date option; a month means its last day, or its first day with `month_start`.

    `--expires-before 2027-03` reads as "before March 2027", so it needs the first day.
    """
    if value is None:
        return None
    from certcli import dates

    try:
        parsed = dates.parse_date(value, field=option, month_only=month_only)
    except CertcliError as error:
        raise typer.BadParameter(str(error), param_hint=option) from None
    return parsed.replace(day=1) if month_start and dates.is_month(value) else parsed


def check_format(value: Optional[str]) -> Optional[str]:
    if value is not None and value not in FORMATS:
        raise typer.BadParameter(f'"{value}" is not one of {", ".join(FORMATS)}')
    return value


FormatOption = Annotated[
    Optional[str],
    typer.Option("--format", "-f", metavar="FORMAT", callback=check_format,
                 help="Output format: table, csv, tsv, json, ndjson, or quiet (one id per line). "
                      "Default: table on a terminal, csv otherwise."),
]
QuietIfEmptyOption = Annotated[
    bool,
    typer.Option("--quiet-if-empty", help="Print nothing at all (not even a header) when nothing matches."),
]
FailIfFoundOption = Annotated[
    bool,
    typer.Option("--fail-if-found", help="Exit with code 3 when the report has at least one row."),
]
LimitOption = Annotated[
    int,
    typer.Option("--limit", min=0, metavar="N", help="Rows shown in a table on a terminal (0 for all); machine formats are never cut."),
]


def finish_report(count: int, fail_if_found: bool) -> None:
    if fail_if_found and count:
        raise typer.Exit(ExitCode.FOUND)
