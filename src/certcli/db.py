"""Open certcli's SQLite file: location, pragmas, migrations and write transactions."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from certcli.errors import DatabaseError
from certcli.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION

# Parallel writers (cron, scripts, a person at a terminal) wait this long for the write lock.
BUSY_TIMEOUT_MS = 30_000


def default_db_path() -> Path:
    """Return the default database file in the user's data directory."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "certcli" / "certcli.db"


def utc_now() -> str:
    """Return the current UTC time for audit timestamps (not used by any date rule)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def connect(path: Path | str, *, migrate: bool = True, make_parents: bool = True) -> sqlite3.Connection:
    """Open (creating if needed) the database at `path` with certcli's pragmas set."""
    path = Path(path)
    if path.is_dir():
        raise DatabaseError(f'database path "{path}" is a directory', "Give a file name with --db")
    if not path.exists():
        if not make_parents and not path.parent.is_dir():
            raise DatabaseError(f'cannot create the database "{path}": the folder "{path.parent}" does not exist',
                                "Create it first, or check --db or CERTCLI_DB")
        _create_private_file(path)

    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        _check_application(conn, path)
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError as error:
        raise DatabaseError(
            f'cannot open the database "{path}": {error}', "Check that it is a certcli database file"
        ) from None

    if migrate:
        migrate_schema(conn, path)
    return conn


def _create_private_file(path: Path) -> None:
    """Create an empty database file readable and writable by its owner only (mode 0600)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as error:
        raise DatabaseError(
            f'cannot create the database "{path}": {error.strerror}', "Check the path and its permissions"
        ) from None
    os.close(fd)


def _check_application(conn: sqlite3.Connection, path: Path) -> None:
    application_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if application_id in (0, APPLICATION_ID):
        if application_id == 0 and conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]:
            raise DatabaseError(
                f'"{path}" is an SQLite database but not a certcli one',
                "Give another file with --db or CERTCLI_DB",
            )
        return
    raise DatabaseError(f'"{path}" is not a certcli database', "Give another file with --db or CERTCLI_DB")


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate_schema(conn: sqlite3.Connection, path: Path | str = "database") -> None:
    """Apply pending migrations, each in its own transaction; refuse a newer schema."""
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            f'the database "{path}" has schema version {version}, newer than this certcli '
            f"knows ({SCHEMA_VERSION})",
            "Upgrade certcli before using this file; it was not changed",
        )
    if version == SCHEMA_VERSION:
        return

    from certcli.certtypes import seed_catalog

    while True:
        with write_transaction(conn):
            # Re-read inside the write lock: another process may have migrated meanwhile.
            version = schema_version(conn)
            if version >= SCHEMA_VERSION:
                return
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            if version == 0:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                seed_catalog(conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")


@contextlib.contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block in one transaction that takes the write lock first (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes fails at once with "database is
    locked" when another process committed in between. Taking the lock up front makes
    parallel writers wait for the busy timeout instead.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextlib.contextmanager
def read_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block on one consistent snapshot of the database."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT" if conn.in_transaction else "SELECT 1")
