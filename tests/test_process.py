"""The installed `certcli` as a real process: pipes, terminals, locales and time zones.

CliRunner replaces the standard streams with in-memory buffers, so only a real process
shows what cron and shell pipelines see: TTY detection, the encoding of a C locale, and
SIGPIPE when the reader of stdout goes away.
"""

import csv
import io
import os
import pty
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import certcli

TODAY = "2026-12-04"
ROWS = 20_000


def certcli_path() -> str:
    found = shutil.which("certcli", path=str(Path(sys.executable).parent)) or shutil.which("certcli")
    assert found, "the certcli console script is not installed; run pip install -e '.[test]'"
    return found


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def big_database(tmp_path_factory) -> Path:
    """Return a database of ROWS current BLS records (one per person), loaded by one `certcli import`.

    Built once for the module because the import takes seconds; the tests only read it.
    """
    folder = tmp_path_factory.mktemp("big")
    source = folder / "big.csv"
    with open(source, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["employee_id", "first_name", "last_name", "type", "number", "issued", "expires"])
        for index in range(ROWS):
            writer.writerow([f"E{index:05d}", "Member", f"Number{index:05d}", "BLS", f"{index:07d}",
                             "2025-01-15", "2027-01-31"])
    database = folder / "big.db"
    environment = {**os.environ, "HOME": str(folder), "CERTCLI_DB": str(database), "CERTCLI_ACTOR": "tester"}
    completed = subprocess.run([certcli_path(), "--db", database, "--today", TODAY, "import", source,
                                "--create-people"], env=environment, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return database


def list_piped_to_head(database: Path) -> tuple[bytes, str, int]:
    """Run `certcli list --format csv | head -1`; return head's output, certcli's stderr and exit status."""
    producer = subprocess.Popen([certcli_path(), "--db", database, "--today", TODAY, "list", "--format", "csv"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    consumer = subprocess.Popen(["head", "-1"], stdin=producer.stdout, stdout=subprocess.PIPE)
    producer.stdout.close()  # head now has the only read end, so its exit closes the pipe

    head_output, _ = consumer.communicate(timeout=60)
    errors = producer.stderr.read().decode("utf-8", "replace")
    producer.stderr.close()
    return head_output, errors, producer.wait(timeout=60)


def test_list_piped_to_head_prints_one_line(big_database):
    head_output, _, _ = list_piped_to_head(big_database)

    assert head_output.decode("utf-8").splitlines() == [
        "id,employee_id,last_name,first_name,email,type,level,number,state,city,issued,expires,status,"
        "verified_by,verified_at,images,notes"]


def test_list_piped_to_head_ends_quietly(big_database):
    _, errors, status = list_piped_to_head(big_database)

    assert errors == ""
    assert status in (0, 141)


def test_list_piped_to_head_leaves_no_lock(big_database):
    list_piped_to_head(big_database)

    connection = sqlite3.connect(big_database, timeout=0)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def test_python_m_certcli_version():
    completed = subprocess.run([sys.executable, "-m", "certcli", "--version"], capture_output=True, text=True,
                               timeout=60)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == f"certcli {certcli.__version__}\n"


def minimal_environment(tmp_path) -> dict:
    """The environment of a bare cron job: C locale, short PATH, no terminal, no Python settings."""
    return {
        "PATH": "/usr/bin:/bin", "LC_ALL": "C", "LANG": "C", "HOME": str(tmp_path / "home"),
        "CERTCLI_DB": str(tmp_path / "certcli.db"), "CERTCLI_TODAY": TODAY, "CERTCLI_ACTOR": "cron",
    }


def test_c_locale_csv_keeps_accented_name(tmp_path):
    environment = minimal_environment(tmp_path)
    subprocess.run([certcli_path(), "people", "add", "Zoë", "Ñúñez", "--employee-id", "E100"], env=environment,
                   capture_output=True, timeout=60, check=True)
    subprocess.run([certcli_path(), "add", "E100", "BLS", "--issued", "2025-06-01"], env=environment,
                   capture_output=True, timeout=60, check=True)

    completed = subprocess.run([certcli_path(), "list", "--format", "csv"], env=environment,
                               capture_output=True, timeout=60)

    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == b""
    row = csv_rows(completed.stdout.decode("utf-8"))[0]
    assert (row["first_name"], row["last_name"]) == ("Zoë", "Ñúñez")


def colour_terminal_environment() -> dict:
    """The test environment as a colour terminal would set it, minus the terminal itself."""
    environment = {name: value for name, value in os.environ.items() if name != "NO_COLOR"}
    environment["TERM"] = "xterm-256color"
    return environment


def test_piped_stdout_defaults_to_csv(ok):
    ok("people", "add", "Ana", "Test", "--employee-id", "E100")
    ok("--today", TODAY, "add", "E100", "BLS", "--issued", "2025-06-01")

    completed = subprocess.run([certcli_path(), "--today", TODAY, "list"], env=colour_terminal_environment(),
                               capture_output=True, text=True, timeout=60)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("id,employee_id,last_name,first_name,")
    assert "\x1b" not in completed.stdout


def test_piped_table_has_no_escapes(ok):
    ok("people", "add", "Ana", "Test", "--employee-id", "E100")
    ok("--today", TODAY, "add", "E100", "BLS", "--issued", "2023-06-01", "--expires", "2026-06-30")

    completed = subprocess.run([certcli_path(), "--today", TODAY, "list", "--format", "table"],
                               env=colour_terminal_environment(), capture_output=True, text=True, timeout=60)

    assert completed.returncode == 0, completed.stderr
    assert "expired" in completed.stdout
    assert "\x1b" not in completed.stdout


def test_los_angeles_expiration_day_valid(ok, run_certcli):
    # In Los Angeles at 23:30 on March 31 it is already April 1 in UTC; the day given is what counts.
    ok("people", "add", "Ana", "Test", "--employee-id", "E100")
    ok("--today", TODAY, "add", "E100", "BLS", "--issued", "2025-03-10", "--expires", "2027-03-31")

    completed = run_certcli("--today", "2027-03-31", "list", "--expiring-within", "0", "--format", "csv",
                            env={"TZ": "America/Los_Angeles"})

    assert completed.returncode == 0, completed.stderr
    rows = csv_rows(completed.stdout)
    assert [(row["expires"], row["status"]) for row in rows] == [("2027-03-31", "expiring")]


def delete_at_terminal(record_id: int, answer: str) -> subprocess.CompletedProcess:
    """Run `certcli delete ID` with stdin a pseudo-terminal, and type `answer` at the prompt."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen([certcli_path(), "delete", str(record_id)], stdin=terminal,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.write(controller, f"{answer}\n".encode())
        stdout, stderr = process.communicate(timeout=60)
    finally:
        os.close(terminal)
        os.close(controller)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.fixture
def record_id(ok) -> int:
    ok("people", "add", "Ana", "Test", "--employee-id", "E100")
    return int(ok("--today", TODAY, "add", "E100", "BLS", "--issued", "2025-06-01").stdout)


def test_delete_at_terminal_no_keeps_record(ok, record_id):
    completed = delete_at_terminal(record_id, "n")

    assert completed.returncode == 1, completed.stderr
    assert f"Delete record #{record_id} BLS" in completed.stderr
    assert "Nothing deleted" in completed.stderr
    rows = csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout)
    assert [row["id"] for row in rows] == [str(record_id)]


def test_delete_at_terminal_yes_deletes(ok, record_id):
    completed = delete_at_terminal(record_id, "y")

    assert completed.returncode == 0, completed.stderr
    assert f"certcli restore {record_id}" in completed.stderr
    assert csv_rows(ok("--today", TODAY, "list", "--history", "--format", "csv").stdout) == []


def test_delete_with_stdin_closed_is_usage_error(ok, record_id):
    # A daemon or `cmd <&-` runs certcli with no stdin at all, which Python shows as sys.stdin = None.
    completed = subprocess.run(["sh", "-c", 'exec "$0" delete "$1" <&-', certcli_path(), str(record_id)],
                               capture_output=True, text=True, timeout=60)

    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.startswith(f"Error: not deleting record #{record_id}")
    assert "Traceback" not in completed.stderr
    rows = csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout)
    assert [row["id"] for row in rows] == [str(record_id)]


def test_import_from_closed_stdin_is_error():
    completed = subprocess.run(["sh", "-c", 'exec "$0" import - <&-', certcli_path()], capture_output=True,
                               text=True, timeout=60)

    assert completed.returncode == 1, completed.stderr
    assert completed.stderr.startswith('Error: cannot read "-": standard input is closed.')
    assert len(completed.stderr.splitlines()) == 1
