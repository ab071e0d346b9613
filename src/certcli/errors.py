"""Exceptions raised by certcli's core, and the exit codes the CLI maps them to.

The core never prints: it raises one of these, and the CLI turns it into a single
`Error: ...` line on stderr and the exit code named here.
"""

from __future__ import annotations

import enum
import re


class ExitCode(enum.IntEnum):
    """Exit statuses of the `certcli` command; the README documents each one."""

    OK = 0
    # The command failed: invalid value, unknown person or type, conflict, database problem.
    # Nothing was written.
    ERROR = 1
    # Wrong options or arguments on the command line (the click/Typer convention).
    USAGE = 2
    # A report found something and the caller asked for --fail-if-found; `check` findings.
    FOUND = 3
    # `import --skip-invalid` wrote the valid rows and rejected at least one row.
    PARTIAL = 4
    # stdout was closed by the reader (`certcli list | head -1`): 128 + SIGPIPE, as shells report.
    BROKEN_PIPE = 141


# A quoted value longer than this is cut in messages: a 1 MB cell must not become a 1 MB line.
MAX_QUOTED = 120
_LONG_QUOTE = re.compile('"([^"]{%d,})"' % (MAX_QUOTED + 1))


def _shorten_quote(match: re.Match) -> str:
    value = match.group(1)
    return f'"{value[:MAX_QUOTED - 20]}..." ({len(value):,} characters)'


class CertcliError(Exception):
    """Base class of every error a user can cause; `message` quotes the value, `hint` the fix."""

    exit_code = ExitCode.ERROR

    def __init__(self, message: str, hint: str | None = None, field: str | None = None):
        message = _LONG_QUOTE.sub(_shorten_quote, message)
        super().__init__(message)
        self.message = message
        self.hint = hint
        # The input field the error is about (e.g. "expires"), so import can name the column.
        self.field = field

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}. {self.hint}"
        return self.message


class InvalidValue(CertcliError):
    """A value given by the user cannot be used (bad date, bad number, missing field)."""


class NotFound(CertcliError):
    """A person, type, record or image named by the user does not exist."""


class Ambiguous(CertcliError):
    """A person reference matches more than one person."""

    def __init__(self, message: str, hint: str | None = None, candidates: list[str] | None = None):
        super().__init__(message, hint)
        self.candidates = candidates or []


class Conflict(CertcliError):
    """The change would break a rule of the stored data (duplicate, record still referenced)."""


class DatabaseError(CertcliError):
    """The database file cannot be opened, is from a newer certcli, or is damaged."""


class ImportFailed(CertcliError):
    """An import found invalid rows; `problems` lists every one of them."""

    def __init__(self, message: str, hint: str | None = None, problems: list[str] | None = None):
        super().__init__(message, hint)
        self.problems = problems or []
