"""Per-row commands start fast: they import nothing they do not use (checked with -X importtime)."""

import pkgutil
import subprocess
import sys

import pytest

import certcli.cli

HEAVY = ("openpyxl", "rich", "sqlite_utils", "dateutil")


def imported_modules(*args: str, env_db) -> set[str]:
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "certcli", *args],
        capture_output=True, text=True, timeout=60, env={"CERTCLI_DB": str(env_db), "CERTCLI_TODAY": "2026-12-04",
                                                         "CERTCLI_ACTOR": "tester", "PATH": "/usr/bin:/bin"},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return {line.rsplit("|", 1)[1].strip() for line in completed.stderr.splitlines() if line.startswith("import time:")}


@pytest.fixture
def person_db(tmp_path, ok):
    ok("people", "add", "Ana", "Test", "--employee-id", "E1")
    return tmp_path / "certcli.db"


@pytest.mark.parametrize("args", [
    ("add", "E1", "BLS", "--issued", "2026-02-14"),
    ("add", "E1", "ICS-100", "--issued", "3/5/2025", "--notes", "class at Station 2"),
    ("--help",),
    ("list", "--format", "csv"),
    ("missing", "BLS", "--format", "csv"),
])
def test_command_imports_no_heavy_module(person_db, args):
    modules = imported_modules(*args, env_db=person_db)
    heavy = sorted(module for module in modules if module.split(".")[0] in HEAVY)
    assert heavy == []


def test_export_xlsx_imports_openpyxl(person_db, tmp_path):
    modules = imported_modules("export", "-o", str(tmp_path / "x.xlsx"), env_db=person_db)
    assert "openpyxl" in modules


# Every module of certcli.cli except the shared helpers defines commands.
COMMAND_MODULES = {f"certcli.cli.{module.name}" for module in pkgutil.iter_modules(certcli.cli.__path__)
                   if module.name not in ("common", "lazy")}


def test_help_imports_no_command_module(tmp_path):
    modules = imported_modules("--help", env_db=tmp_path / "certcli.db")

    assert "certcli.cli" in modules
    assert sorted(modules & COMMAND_MODULES) == []


def test_add_help_imports_only_records_module(tmp_path):
    modules = imported_modules("add", "--help", env_db=tmp_path / "certcli.db")

    assert "certcli.cli.records" in modules
    assert sorted(modules & COMMAND_MODULES - {"certcli.cli.records"}) == []
