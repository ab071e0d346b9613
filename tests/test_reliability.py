"""Reliability with real processes: parallel writers, lock waits, crashes, backups, schema versions, file modes.

Tests that are about processes start real subprocesses: the installed `certcli` console
script, or a small Python program that uses certcli's library. The others run in-process.
"""

import csv
import io
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from certcli.listing import LIST_COLUMNS
from certcli.schema import APPLICATION_ID, SCHEMA_VERSION
from conftest import certcli_executable

FIXTURES = Path(__file__).parent / "fixtures"
PROCESS_TIMEOUT = 120

# Takes the write lock (BEGIN IMMEDIATE plus one write) and prints "locked", keeps it until a
# line arrives on stdin, then commits and prints the commit time (time.time()).
LOCK_HOLDER = """
import sys, time
from certcli.db import connect, write_transaction
conn = connect(sys.argv[1])
with write_transaction(conn):
    conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('lock-test', 'held')")
    print("locked", flush=True)
    sys.stdin.readline()
print(repr(time.time()), flush=True)
"""

# Adds BLS records for person argv[2], one transaction each, until killed; prints "writing"
# after its first 20 commits.
RECORD_WRITER = """
import sys
from certcli.db import connect, write_transaction
from certcli.records import CertificationInput, Options, add_certification
conn = connect(sys.argv[1])
count = 0
while True:
    with write_transaction(conn):
        add_certification(conn, "writer", int(sys.argv[2]),
                          CertificationInput("BLS", number=f"B{count:06d}", issued="2025-01-15"), Options())
    count += 1
    if count == 20:
        print("writing", flush=True)
"""

# Opens the database through certcli, writes, prints "open" and keeps the connection (and so
# its -wal and -shm files) until stdin closes.
CONNECTION_HOLDER = """
import sys
from certcli.db import connect, write_transaction
conn = connect(sys.argv[1])
with write_transaction(conn):
    conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('mode-test', 'open')")
print("open", flush=True)
sys.stdin.read()
conn.close()
"""


def start_python(program: str, *args, **options) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", program, *[str(arg) for arg in args]],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **options)


def wait_for_line(process: subprocess.Popen, expected: str) -> None:
    line = process.stdout.readline().strip()
    assert line == expected, f"expected {expected!r}, got {line!r}; stderr:\n{process.stderr.read()}"


def query(db_path: Path, sql: str, parameters=()) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, parameters).fetchall()
    finally:
        conn.close()


def count(db_path: Path, table: str) -> int:
    return query(db_path, f"SELECT count(*) FROM {table}")[0][0]


def integrity(db_path: Path) -> list[str]:
    return [row[0] for row in query(db_path, "PRAGMA integrity_check")]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_records_csv(path: Path, prefix: str, rows: int, records_per_person: int = 10) -> Path:
    """Write an import file of `rows` BLS records for people with employee ids `prefix`-N."""
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["employee_id", "first_name", "last_name", "type", "number", "issued", "expires"])
        for row in range(rows):
            person = row // records_per_person
            writer.writerow([f"{prefix}-{person}", f"First{person}", f"{prefix}Last{person}", "BLS",
                             f"{prefix}-{row:06d}", "2025-01-15", "2027-01-31"])
    return path


def describe_failures(runs: list[subprocess.CompletedProcess]) -> str:
    return "\n".join(f"{' '.join(map(str, run.args[1:]))}: exit {run.returncode}\n{run.stderr}" for run in runs)


# -- parallel writers ---------------------------------------------------------------------

WRITERS = 8
ADDS_PER_WRITER = 100
IMPORT_ROWS = 2_000
READ_PAUSE_SECONDS = 1.0


@pytest.mark.slow
def test_parallel_writers_lose_nothing(ok, db_path, tmp_path):
    for writer in range(WRITERS):
        ok("people", "add", f"Writer{writer}", "Parallel", "--employee-id", f"W{writer}")
    import_files = [write_records_csv(tmp_path / f"import{n}.csv", f"I{n}", IMPORT_ROWS) for n in (1, 2)]
    executable = certcli_executable()
    runs: list[subprocess.CompletedProcess] = []
    reads: list[subprocess.CompletedProcess] = []
    writers_done = threading.Event()

    def run(arguments: list[str], into: list) -> None:
        into.append(subprocess.run([executable, *arguments], capture_output=True, text=True,
                                   timeout=PROCESS_TIMEOUT))

    def add_records(writer: int) -> None:
        for number in range(ADDS_PER_WRITER):
            run(["add", f"W{writer}", "BLS", "--issued", "2025-01-15", "--number", f"W{writer}-{number:03d}"], runs)

    def read_list() -> None:
        # A pause between reads leaves the two cores to the writers this test is about.
        while not writers_done.wait(READ_PAUSE_SECONDS):
            run(["list", "--history", "--format", "csv"], reads)

    writers = [threading.Thread(target=add_records, args=(writer,)) for writer in range(WRITERS)]
    writers += [threading.Thread(target=run, args=(["import", str(path), "--create-people"], runs))
                for path in import_files]
    reader = threading.Thread(target=read_list)
    reader.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    writers_done.set()
    reader.join()

    failed = [completed for completed in runs + reads if completed.returncode != 0]
    assert not failed, describe_failures(failed)
    locked = [completed for completed in runs + reads if "database is locked" in completed.stderr]
    assert not locked, describe_failures(locked)
    assert len(runs) == WRITERS * ADDS_PER_WRITER + 2
    assert count(db_path, "certifications") == WRITERS * ADDS_PER_WRITER + 2 * IMPORT_ROWS
    for writer in range(WRITERS):
        stored = query(db_path, "SELECT count(*) FROM certifications c JOIN people p ON p.id = c.person_id"
                                " WHERE p.employee_id = ?", (f"W{writer}",))[0][0]
        assert stored == ADDS_PER_WRITER, f"writer W{writer}"
    assert count(db_path, "people") == WRITERS + 2 * IMPORT_ROWS // 10
    assert query(db_path, "SELECT count(*) FROM events WHERE action = 'add'")[0][0] == WRITERS * ADDS_PER_WRITER
    assert integrity(db_path) == ["ok"]
    assert query(db_path, "PRAGMA foreign_key_check") == []

    # Each read saw one committed snapshot: a whole CSV, never fewer rows than the read before.
    assert reads, "the reader never ran"
    seen = []
    for completed in reads:
        rows = list(csv.reader(io.StringIO(completed.stdout)))
        assert rows[0] == LIST_COLUMNS
        assert all(len(row) == len(LIST_COLUMNS) for row in rows)
        seen.append(len(rows) - 1)
    assert seen == sorted(seen)


# -- lock waits ---------------------------------------------------------------------------


def test_verify_waits_for_another_writer(ok, agency, db_path):
    holder = start_python(LOCK_HOLDER, db_path)
    wait_for_line(holder, "locked")
    verify = subprocess.Popen([certcli_executable(), "verify", str(agency["bo_bls"])],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        verify.wait(timeout=2)
    except subprocess.TimeoutExpired:
        pass
    waiting = verify.poll() is None

    holder_output, holder_errors = holder.communicate("commit\n", timeout=PROCESS_TIMEOUT)
    verify_output, verify_errors = verify.communicate(timeout=PROCESS_TIMEOUT)
    verified_at = time.time()

    assert holder.returncode == 0, holder_errors
    assert waiting, f"verify ended while another process held the write lock: {verify_errors}"
    assert verify.returncode == 0, verify_errors
    assert "database is locked" not in verify_errors
    # verify could only commit after the holder released the lock.
    assert verified_at >= float(holder_output.strip())
    assert query(db_path, "SELECT verified_by FROM certifications WHERE id = ?", (agency["bo_bls"],)) == [("tester",)]


def test_reader_does_not_wait_for_writer(ok, agency, db_path, run_certcli):
    holder = start_python(LOCK_HOLDER, db_path)
    wait_for_line(holder, "locked")

    listing = run_certcli("list", "--format", "csv")
    still_holding = holder.poll() is None
    holder.communicate("commit\n", timeout=PROCESS_TIMEOUT)

    assert still_holding
    assert listing.returncode == 0, listing.stderr
    assert len(listing.stdout.splitlines()) == 4


# -- crash safety -------------------------------------------------------------------------

CRASH_ROWS = 50_000


def wal_size(db_path: Path) -> int:
    try:
        return db_path.with_name(db_path.name + "-wal").stat().st_size
    except FileNotFoundError:
        return 0


@pytest.mark.slow
def test_import_killed_midway_is_all_or_nothing(ok, db_path, tmp_path, run_certcli):
    ok("types", "add", "CRASH-TEST", "Crash test type")  # creates the database before the import
    source = write_records_csv(tmp_path / "large.csv", "K", CRASH_ROWS)
    importer = subprocess.Popen([certcli_executable(), "import", str(source), "--create-people"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + PROCESS_TIMEOUT
    # Uncommitted pages spill into the -wal file once the page cache is full.
    while wal_size(db_path) < 1_000_000 and importer.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    importer.send_signal(signal.SIGKILL)
    importer.wait(timeout=PROCESS_TIMEOUT)

    assert importer.returncode == -signal.SIGKILL, "the import finished before it could be killed"
    assert integrity(db_path) == ["ok"]
    assert count(db_path, "certifications") in (0, CRASH_ROWS)
    assert count(db_path, "people") in (0, CRASH_ROWS // 10)

    rerun = run_certcli("import", source, "--create-people", timeout=PROCESS_TIMEOUT)

    assert rerun.returncode == 0, rerun.stderr
    assert count(db_path, "certifications") == CRASH_ROWS
    assert count(db_path, "people") == CRASH_ROWS // 10
    assert integrity(db_path) == ["ok"]


# -- backup -------------------------------------------------------------------------------


def sqlite_header(path: Path) -> bytes:
    with open(path, "rb") as stream:
        return stream.read(100)


def side_files(path: Path) -> list[str]:
    return [path.name + suffix for suffix in ("-wal", "-shm", "-journal") if path.with_name(path.name + suffix).exists()]


def test_backup_during_writes_is_consistent(ok, agency, db_path, tmp_path, run_certcli):
    target_dir = tmp_path / "backups"
    target_dir.mkdir()
    target = target_dir / "certcli-backup.db"
    writer = start_python(RECORD_WRITER, db_path, 1)
    try:
        wait_for_line(writer, "writing")
        committed = count(db_path, "certifications")

        result = run_certcli("backup", target)
        writer_alive = writer.poll() is None
    finally:
        writer.kill()
        writer.communicate(timeout=PROCESS_TIMEOUT)

    assert result.returncode == 0, result.stderr
    assert writer_alive, "the writer stopped before the backup ran"
    assert result.stdout == ""
    assert "Backed up" in result.stderr
    assert sorted(os.listdir(target_dir)) == ["certcli-backup.db"]
    assert mode(target) == 0o600
    # Bytes 18 and 19 of the header are 2 in WAL mode and 1 with a rollback journal.
    assert sqlite_header(target)[18:20] == b"\x01\x01"
    copy = sqlite3.connect(f"{target.as_uri()}?mode=ro", uri=True)
    try:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert [row[0] for row in copy.execute("PRAGMA integrity_check")] == ["ok"]
        assert copy.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert copy.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert copy.execute("SELECT count(*) FROM certifications").fetchone()[0] >= committed
        assert copy.execute("SELECT count(*) FROM certifications WHERE id IN (?, ?, ?)",
                            tuple(agency.values())).fetchone()[0] == 3
    finally:
        copy.close()
    assert side_files(target) == []


def test_backup_opens_with_certcli(ok, agency, tmp_path):
    target = tmp_path / "copy.db"
    ok("backup", target)

    listed = ok("--db", target, "list", "--format", "csv").stdout
    checked = ok("--db", target, "check", "--integrity", "--format", "csv", "--quiet-if-empty")

    assert len(listed.splitlines()) == 4
    assert checked.stdout == ""


def test_backup_refuses_existing_target(ok, cli, agency, tmp_path):
    target = tmp_path / "copy.db"
    target.write_bytes(b"an older backup")

    result = cli("backup", target)

    assert result.exit_code == 1, result.stderr
    assert result.stderr == f'Error: "{target}" exists. Pass --force to replace it, or choose another name\n'
    assert target.read_bytes() == b"an older backup"


def test_backup_force_replaces_target(ok, agency, tmp_path):
    target = tmp_path / "copy.db"
    target.write_bytes(b"an older backup")

    ok("backup", target, "--force")

    assert sqlite_header(target).startswith(b"SQLite format 3\x00")
    assert mode(target) == 0o600


@pytest.mark.parametrize("spelling", ["same", "dotted", "symlink", "hardlink", "wal"])
def test_backup_refuses_live_database(cli, agency, db_path, tmp_path, spelling):
    before = db_path.read_bytes()
    if spelling == "same":
        target = db_path
    elif spelling == "dotted":
        (tmp_path / "sub").mkdir()
        target = tmp_path / "sub" / ".." / db_path.name
    elif spelling == "symlink":
        target = tmp_path / "link.db"
        target.symlink_to(db_path)
    elif spelling == "hardlink":
        target = tmp_path / "hard.db"
        os.link(db_path, target)
    else:
        target = db_path.with_name(db_path.name + "-wal")

    result = cli("backup", target, "--force")

    assert result.exit_code == 1, result.stderr
    assert "is the live database itself" in result.stderr
    assert db_path.read_bytes() == before


def test_backup_refuses_database_behind_symlink(cli, agency, db_path, tmp_path):
    link = tmp_path / "link.db"
    link.symlink_to(db_path)
    before = db_path.read_bytes()

    result = cli("--db", link, "backup", db_path, "--force")

    assert result.exit_code == 1, result.stderr
    assert "is the live database itself" in result.stderr
    assert db_path.read_bytes() == before


def test_backup_refuses_leftover_wal_beside_target(cli, agency, tmp_path):
    target = tmp_path / "copy.db"
    leftover = tmp_path / "copy.db-wal"
    leftover.write_bytes(b"frames of another database")

    result = cli("backup", target)

    assert result.exit_code == 1, result.stderr
    assert f'"{leftover}" exists beside the backup target' in result.stderr
    assert not target.exists()


def test_backup_without_database_fails(cli, tmp_path):
    result = cli("--db", tmp_path / "none.db", "backup", tmp_path / "copy.db")

    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith(f'Error: no database at "{tmp_path / "none.db"}"')
    assert sorted(os.listdir(tmp_path)) == ["home"]


@pytest.mark.parametrize("target", ["missing/copy.db", "folder"])
def test_backup_rejects_bad_target(cli, agency, tmp_path, target):
    (tmp_path / "folder").mkdir()
    before = sorted(os.listdir(tmp_path))

    result = cli("backup", tmp_path / target)

    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith(f'Error: cannot back up to "{tmp_path / target}"')
    assert sorted(os.listdir(tmp_path)) == before
    assert os.listdir(tmp_path / "folder") == []


def test_backup_of_damaged_database_writes_nothing(cli, agency, db_path, tmp_path):
    # Point an index's definition at another column, so its stored entries no longer match.
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_schema SET sql = 'CREATE INDEX people_last_name ON people (first_name)'"
                 " WHERE name = 'people_last_name'")
    conn.commit()
    conn.close()
    target_dir = tmp_path / "backups"
    target_dir.mkdir()

    result = cli("backup", target_dir / "copy.db")

    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("Error: the backup copy failed PRAGMA integrity_check: ")
    assert os.listdir(target_dir) == []


# -- schema versions ----------------------------------------------------------------------


def test_newer_schema_is_refused_unchanged(ok, agency, db_path, run_certcli):
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = db_path.read_bytes()

    result = run_certcli("list")

    assert result.returncode == 1, result.stderr
    assert result.stderr == (
        f'Error: the database "{db_path}" has schema version {SCHEMA_VERSION + 1}, newer than this certcli '
        f"knows ({SCHEMA_VERSION}). Upgrade certcli before using this file; it was not changed\n"
    )
    assert result.stdout == ""
    assert db_path.read_bytes() == before
    assert side_files(db_path) == []


def test_other_sqlite_file_is_refused_unchanged(db_path, run_certcli):
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('not certcli')")
    conn.commit()
    conn.close()
    before = db_path.read_bytes()

    result = run_certcli("list")

    assert result.returncode == 1, result.stderr
    assert result.stderr == (f'Error: "{db_path}" is an SQLite database but not a certcli one. '
                             "Give another file with --db or CERTCLI_DB\n")
    assert db_path.read_bytes() == before
    assert side_files(db_path) == []


def test_first_release_database_opens(db_path, run_certcli):
    fixture = FIXTURES / "certcli-v1.db"
    header = sqlite_header(fixture)
    # The header stores user_version at offset 60 and application_id at 68 (big-endian).
    assert int.from_bytes(header[60:64], "big") == 1
    assert int.from_bytes(header[68:72], "big") == APPLICATION_ID
    shutil.copyfile(fixture, db_path)

    result = run_certcli("list", "--history", "--format", "csv", "--sort", "id")

    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(row["employee_id"], row["type"], row["number"]) for row in rows] == [
        ("E100", "NREMT", "M0123456"), ("E100", "BLS", "0012345"), ("E200", "BLS", "B-777"), ("E200", "BLS", "B-778"),
    ]
    assert rows[0]["verified_by"] == "fixture"
    assert rows[0]["state"] == "OH"
    assert query(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert integrity(db_path) == ["ok"]
    # Version 2 keeps the current records in their own table, ranked from the records.
    assert query(db_path, "SELECT certification_id FROM current_records ORDER BY 1") == [(1,), (2,), (4,)]
    assert "is_current" not in [row[1] for row in query(db_path, "PRAGMA table_info(certifications)")]
    checked = run_certcli("check", "--integrity", "--format", "csv", "--today", "2026-12-04")
    assert "current record" not in checked.stdout, checked.stdout


# -- file modes ---------------------------------------------------------------------------


def test_database_and_side_files_are_private(db_path, tmp_path, run_certcli):
    # umask 0 proves that certcli sets the modes itself instead of relying on the user's umask.
    created = subprocess.run([certcli_executable(), "people", "add", "Ana", "Test"],
                             capture_output=True, text=True, umask=0, timeout=PROCESS_TIMEOUT)
    assert created.returncode == 0, created.stderr

    holder = start_python(CONNECTION_HOLDER, db_path, umask=0)
    try:
        wait_for_line(holder, "open")
        modes = {name: mode(tmp_path / name) for name in ("certcli.db", "certcli.db-wal", "certcli.db-shm")}
    finally:
        holder.communicate(timeout=PROCESS_TIMEOUT)

    assert modes == {"certcli.db": 0o600, "certcli.db-wal": 0o600, "certcli.db-shm": 0o600}


def test_new_database_folder_is_private(tmp_path):
    """The default location's folder is created 0700 by the first command that adds data."""
    environment = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    environment.pop("CERTCLI_DB", None)
    database = tmp_path / "data" / "certcli" / "certcli.db"

    created = subprocess.run([certcli_executable(), "people", "add", "Ana", "Test"], env=environment,
                             capture_output=True, text=True, umask=0, timeout=PROCESS_TIMEOUT)

    assert created.returncode == 0, created.stderr
    assert mode(database.parent) == 0o700
    assert mode(database) == 0o600


def test_reading_command_never_creates_database(tmp_path):
    database = tmp_path / "typo" / "certcli.db"

    result = subprocess.run([certcli_executable(), "--db", database, "list", "--format", "csv", "--quiet-if-empty"],
                            capture_output=True, text=True, timeout=PROCESS_TIMEOUT)

    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f'Error: no database at "{database}"')
    assert not database.parent.exists()


def test_explicit_database_folder_is_not_created(tmp_path):
    database = tmp_path / "typo" / "certcli.db"

    result = subprocess.run([certcli_executable(), "--db", database, "people", "add", "Ana", "Test"],
                            capture_output=True, text=True, timeout=PROCESS_TIMEOUT)

    assert result.returncode == 1, result.stderr
    assert "does not exist" in result.stderr
    assert not database.parent.exists()


@pytest.mark.parametrize("name", ["copy.db", "export.csv", "export.xlsx", "export.json"])
def test_backups_and_exports_are_private(ok, agency, tmp_path, name):
    command = ["backup"] if name.endswith(".db") else ["export", "-o"]

    created = subprocess.run([certcli_executable(), *command, tmp_path / name],
                             capture_output=True, text=True, umask=0, timeout=PROCESS_TIMEOUT)

    assert created.returncode == 0, created.stderr
    assert mode(tmp_path / name) == 0o600

