"""Test isolation: every test gets its own database, a fixed day and a fixed terminal.

No test reads the real clock for a date rule or touches a real user's database: CERTCLI_DB
points into the test's tmp_path, HOME and XDG_DATA_HOME too, and --today is pinned.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from certcli.cli import app

TODAY = "2026-12-04"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("CERTCLI_DB", str(tmp_path / "certcli.db"))
    monkeypatch.setenv("CERTCLI_TODAY", TODAY)
    monkeypatch.setenv("CERTCLI_ACTOR", "tester")
    # Pin the terminal so output never depends on the shell running the tests.
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("LINES", "50")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    yield


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "certcli.db"


@pytest.fixture
def cli():
    """Run certcli in-process; returns the Result (stdout and stderr kept apart)."""
    runner = CliRunner()

    def invoke(*args, input=None, env=None):
        return runner.invoke(app, [str(arg) for arg in args], input=input, env=env)

    return invoke


@pytest.fixture
def ok(cli):
    """Run certcli in-process and assert it succeeded; returns the Result."""

    def invoke(*args, input=None):
        result = cli(*args, input=input)
        assert result.exit_code == 0, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        return result

    return invoke


def certcli_executable() -> str:
    found = shutil.which("certcli", path=str(Path(sys.executable).parent)) or shutil.which("certcli")
    assert found, "the certcli console script is not installed; run pip install -e '.[test]'"
    return found


@pytest.fixture
def run_certcli(tmp_path):
    """Run the installed `certcli` as a real process with stdout as a pipe."""

    def run(*args, input=None, env=None, timeout=120, check=False):
        environment = dict(os.environ)
        environment.update(env or {})
        completed = subprocess.run(
            [certcli_executable(), *[str(arg) for arg in args]],
            input=input, capture_output=True, text=True, env=environment, timeout=timeout,
        )
        if check:
            assert completed.returncode == 0, f"exit {completed.returncode}\n{completed.stdout}\n{completed.stderr}"
        return completed

    return run


@pytest.fixture
def agency(ok):
    """A small agency: three people in two stations, and the ids of their records."""
    ok("people", "add", "Ana", "Test", "--email", "ana@example.org", "--employee-id", "E100", "-g", "Station 1", "-g", "Paramedic")
    ok("people", "add", "Bo", "Demo", "--email", "bo@example.org", "--employee-id", "E200", "-g", "Station 1")
    ok("people", "add", "Cy", "Sample", "--email", "cy@example.org", "--employee-id", "E300", "-g", "Station 2")
    ids = {
        "ana_nremt": ok("add", "E100", "NREMT", "--issued", "2025-05-10", "--level", "Paramedic", "--number", "M0123456",
                        "--state", "OH", "--city", "Columbus").stdout.strip(),
        "ana_bls": ok("add", "E100", "BLS", "--issued", "2025-01-20", "--number", "0123456").stdout.strip(),
        "bo_bls": ok("add", "E200", "BLS", "--issued", "2024-11-02", "--expires", "2026-11-30").stdout.strip(),
    }
    return {name: int(value) for name, value in ids.items()}


@pytest.fixture
def db_dump(db_path):
    """Return a function that dumps the test database as SQL text, to prove a command changed nothing."""
    import sqlite3

    def dump() -> list[str]:
        conn = sqlite3.connect(db_path)
        try:
            return list(conn.iterdump())
        finally:
            conn.close()

    return dump
