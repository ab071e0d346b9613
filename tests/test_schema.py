"""The SQLite schema and connection: declared column types, foreign keys and pragmas."""

import sqlite3
import stat
from contextlib import closing

import pytest
from openpyxl import Workbook

from certcli import db
from certcli.schema import APPLICATION_ID, SCHEMA_VERSION

TODAY = "2026-12-04"

# Columns that hold codes or numbers typed by people: each must be declared exactly TEXT, so
# SQLite never gives them numeric affinity and "0123456" never becomes 123456.
TEXT_COLUMNS = [
    ("certifications", "number"), ("certifications", "type_code"), ("certifications", "level"),
    ("certifications", "state"), ("certifications", "city"), ("certifications", "issued"),
    ("certifications", "expires"), ("people", "employee_id"), ("people", "nems_id"), ("people", "email"),
    ("cert_types", "code"), ("events", "type_code"), ("required_types", "type_code"),
]


@pytest.fixture
def conn(db_path):
    connection = db.connect(db_path)
    yield connection
    connection.close()


def declared_type(connection, table: str, column: str) -> str:
    types = {row["name"]: row["type"] for row in connection.execute(f"PRAGMA table_info({table})")}
    return types[column]


def insert_person(connection) -> int:
    return connection.execute(
        "INSERT INTO people (first_name, last_name, created_at, updated_at) VALUES ('Ana', 'Test', 'now', 'now')"
    ).lastrowid


def insert_certification(connection, person_id: int, number) -> int:
    return connection.execute(
        "INSERT INTO certifications (person_id, type_code, number, issued, expires, entered_by, entered_at,"
        " updated_by, updated_at) VALUES (?, 'BLS', ?, '2025-01-10', '2027-01-31', 't', 'now', 't', 'now')",
        (person_id, number),
    ).lastrowid


# -- declared types ------------------------------------------------------------------------


@pytest.mark.parametrize(("table", "column"), TEXT_COLUMNS)
def test_schema_code_column_declared_text(conn, table, column):
    assert declared_type(conn, table, column) == "TEXT"


@pytest.mark.parametrize("table", ["people", "cert_types", "certifications", "images", "events"])
def test_schema_table_is_strict(conn, table):
    sql = conn.execute("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", (table,)).fetchone()[0]

    assert sql.rstrip().upper().endswith("STRICT")


def test_schema_integer_number_stored_as_text(conn):
    person_id = insert_person(conn)

    record_id = insert_certification(conn, person_id, 123456)

    row = conn.execute("SELECT number, typeof(number) FROM certifications WHERE id = ?", (record_id,)).fetchone()
    assert tuple(row) == ("123456", "text")


def test_schema_rejects_time_in_expiration(conn):
    person_id = insert_person(conn)

    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO certifications (person_id, type_code, issued, expires, entered_by, entered_at, updated_by,"
            " updated_at) VALUES (?, 'BLS', '2025-01-10', '2027-03-31 00:00:00', 't', 'now', 't', 'now')",
            (person_id,),
        )


# -- numbers entered through certcli stay text ------------------------------------------------


@pytest.fixture
def three_numbers(ok, tmp_path):
    """BLS numbers 123456 (a numeric xlsx cell), "0123456" and "M0123456" (typed with `add`)."""
    ok("people", "add", "Ana", "Test", "--employee-id", "E100")
    source = tmp_path / "numeric.xlsx"
    workbook = Workbook()
    workbook.active.append(["employee_id", "type", "issued", "number"])
    workbook.active.append(["E100", "BLS", "2025-01-10", 123456])
    workbook.save(source)
    ok("--today", TODAY, "import", source)
    ok("--today", TODAY, "add", "E100", "BLS", "--issued", "2025-01-11", "--number", "0123456")
    ok("--today", TODAY, "add", "E100", "BLS", "--issued", "2025-01-12", "--number", "M0123456")


def test_numbers_from_import_and_add_text(three_numbers, db_path):
    with closing(sqlite3.connect(db_path)) as connection:
        types = [row[0] for row in connection.execute("SELECT typeof(number) FROM certifications")]

    assert types == ["text", "text", "text"]


def test_numbers_from_import_and_add_distinct(three_numbers, db_path):
    with closing(sqlite3.connect(db_path)) as connection:
        numbers = sorted(row[0] for row in connection.execute("SELECT number FROM certifications"))

    assert numbers == ["0123456", "123456", "M0123456"]


# -- foreign keys and pragmas on every connection ------------------------------------------------


def test_connect_enables_foreign_keys(conn):
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_connect_enables_foreign_keys_on_existing_file(db_path):
    db.connect(db_path).close()

    reopened = db.connect(db_path)
    try:
        assert reopened.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    finally:
        reopened.close()


def test_orphan_certification_insert_fails(conn):
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        insert_certification(conn, 999, "0123456")


def test_orphan_certification_insert_leaves_no_row(conn):
    with pytest.raises(sqlite3.IntegrityError):
        insert_certification(conn, 999, "0123456")

    assert conn.execute("SELECT count(*) FROM certifications").fetchone()[0] == 0


def test_delete_referenced_person_fails(conn):
    person_id = insert_person(conn)
    insert_certification(conn, person_id, "0123456")

    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        conn.execute("DELETE FROM people WHERE id = ?", (person_id,))


def test_add_for_unknown_person_id_is_error(cli, db_dump):
    cli("types", "add", "CPR", "Heartsaver CPR")  # creates the database, so the dump has something to compare
    before = db_dump()

    result = cli("--today", TODAY, "add", "999", "BLS", "--issued", "2025-01-10")

    assert result.exit_code == 1, result.output
    assert result.stderr.startswith('Error: no person matches "999"')
    assert db_dump() == before


def test_connect_busy_timeout_five_seconds(conn):
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_connect_uses_wal(conn):
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_connect_sets_version_and_application(conn):
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_new_database_owner_only(conn, db_path):
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_audit_log_is_append_only(conn):
    conn.execute("INSERT INTO events (at, actor, action) VALUES ('now', 't', 'add')")

    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM events")
