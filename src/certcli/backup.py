"""Online backup of the database with SQLite's backup API.

A file copy of a live WAL database can miss committed pages that are still in the -wal file,
or catch a page half-written. So the backup always goes through `sqlite3.Connection.backup`,
which reads one consistent snapshot while other processes keep writing.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from certcli.errors import Conflict, DatabaseError, InvalidValue

# SQLite files that belong to a database file of the same name plus this suffix.
SIDE_FILE_SUFFIXES = ("-wal", "-shm", "-journal")


@dataclass
class BackupResult:
    path: Path
    size: int
    records: int


def backup_database(source: Path, target: Path, *, force: bool = False) -> BackupResult:
    """Write a consistent, self-contained copy of the database `source` to `target`.

    The copy is written under a temporary name in the target's folder (mode 0600), switched
    to journal_mode DELETE so that it is one file with no -wal beside it, checked with
    PRAGMA integrity_check, and only then renamed to `target`.
    """
    _check_paths(source, target, force)

    from certcli.db import connect

    conn = connect(source, migrate=False)
    try:
        temporary, records = _write_copy(conn, target)
    finally:
        conn.close()

    try:
        _sync_file(temporary)
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise DatabaseError(f'cannot write the backup "{target}": {error.strerror}',
                            "Check the folder's permissions and free space") from None
    _sync_directory(target.parent)
    return BackupResult(target, target.stat().st_size, records)


def _check_paths(source: Path, target: Path, force: bool) -> None:
    if not source.is_file():
        raise DatabaseError(f'no database at "{source}"', "Give the database file with --db or CERTCLI_DB")
    if target.is_dir():
        raise InvalidValue(f'cannot back up to "{target}": it is a directory', "Give a file name")
    if not target.parent.is_dir():
        raise InvalidValue(f'cannot back up to "{target}": the folder "{target.parent}" does not exist',
                           "Create it first")

    database = source.resolve()
    live = [database] + [database.with_name(database.name + suffix) for suffix in SIDE_FILE_SUFFIXES]
    if target.resolve() in live or (target.exists() and os.path.samefile(source, target)):
        raise Conflict(f'"{target}" is the live database itself', "Give a backup file name of its own")

    # SQLite applies a -wal file it finds beside a database even when the header says
    # rollback journal (tested with SQLite 3.40.1), and it rolls back a hot -journal file.
    # A leftover one from another database would change or corrupt the new backup.
    for suffix in ("-wal", "-journal"):
        side_file = target.with_name(target.name + suffix)
        if side_file.exists():
            raise Conflict(f'"{side_file}" exists beside the backup target',
                           "Remove it if no program has that database open, or choose another backup name")
    if target.exists() and not force:
        raise Conflict(f'"{target}" exists', "Pass --force to replace it, or choose another name")


def _write_copy(conn: sqlite3.Connection, target: Path) -> tuple[Path, int]:
    """Copy the database into a new 0600 file beside `target`; return its path and record count."""
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise DatabaseError(f'cannot write the backup "{target}": {error.strerror}',
                            "Check the folder's permissions") from None
    os.close(handle)
    temporary = Path(name)

    try:
        copy = sqlite3.connect(temporary, isolation_level=None)
        try:
            # One step (pages=-1) copies a single snapshot under one read transaction. In WAL
            # mode writers continue meanwhile; a step-by-step copy would restart whenever
            # another process commits and might never finish on a busy database.
            conn.backup(copy, pages=-1)
            # The copied header still says WAL; DELETE makes the backup one self-contained file.
            copy.execute("PRAGMA journal_mode = DELETE")
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            records = _count_records(copy)
        finally:
            copy.close()
        if problems != ["ok"]:
            raise DatabaseError("the backup copy failed PRAGMA integrity_check: " + "; ".join(problems[:5]),
                                "Nothing was written; run `certcli check --integrity` on the database")
    except sqlite3.Error as error:
        _remove_with_side_files(temporary)
        raise DatabaseError(f'cannot write the backup "{target}": {error}',
                            "Check the free space in its folder") from None
    except BaseException:
        _remove_with_side_files(temporary)
        raise
    return temporary, records


def _remove_with_side_files(path: Path) -> None:
    for suffix in ("",) + SIDE_FILE_SUFFIXES:
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _sync_file(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _sync_directory(directory: Path) -> None:
    """Make the rename durable; some platforms cannot open or fsync a directory."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _count_records(conn: sqlite3.Connection) -> int:
    try:
        return conn.execute("SELECT count(*) FROM certifications").fetchone()[0]
    except sqlite3.OperationalError:
        # A database file that no command has used yet has no tables.
        return 0
