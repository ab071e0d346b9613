"""The cron recipe, run the way cron runs it: no terminal, a minimal environment, LANG=C."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

SCRIPT = REPO / "examples" / "mail-expiring.sh"


@pytest.fixture
def cron_env(tmp_path, db_path):
    """A cron-like environment with a fake `mail` that records its arguments and message."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    outbox = tmp_path / "outbox"
    mail = bin_dir / "mail"
    mail.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{outbox}.args"\ncat >> "{outbox}"\n', encoding="utf-8")
    mail.chmod(0o755)
    environment = {
        "PATH": f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "LANG": "C",
        "LC_ALL": "C",
        "SHELL": "/bin/sh",
        "CERTCLI_DB": str(db_path),
        "CERTCLI_TODAY": "2026-12-04",
    }
    return environment, outbox


def run_like_cron(environment: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["/bin/sh", str(SCRIPT), *args], env=environment, stdin=subprocess.DEVNULL,
        capture_output=True, timeout=120, start_new_session=True,
    )


def test_cron_recipe_mails_expiring_list(ok, cron_env):
    environment, outbox = cron_env
    ok("people", "add", "Zoë", "Ñúñez", "--employee-id", "E1")
    ok("people", "add", "Ana", "[red]Test", "--employee-id", "E2")
    ok("add", "E1", "BLS", "--issued", "2024-12-10", "--expires", "2026-12-31")
    ok("add", "E2", "ACLS", "--issued", "2025-01-15", "--expires", "2027-01-31")

    result = run_like_cron(environment, "training@example.org", "60")

    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""
    message = outbox.read_bytes().decode("utf-8")
    assert "Ñúñez,Zoë" in message
    assert "[red]Test,Ana" in message
    assert "\x1b" not in message
    arguments = Path(f"{outbox}.args").read_text(encoding="utf-8")
    assert "Certifications expiring within 60 days training@example.org" in arguments


def test_cron_recipe_sends_nothing_when_nothing_expires(ok, cron_env):
    environment, outbox = cron_env
    ok("people", "add", "Zoë", "Ñúñez", "--employee-id", "E1")
    ok("add", "E1", "BLS", "--issued", "2026-01-10")

    result = run_like_cron(environment, "training@example.org")

    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b""
    assert not outbox.exists()


def test_cron_recipe_fails_loudly_on_bad_database(cron_env, tmp_path):
    environment, outbox = cron_env
    environment = {**environment, "CERTCLI_DB": str(tmp_path)}

    result = run_like_cron(environment, "training@example.org")

    assert result.returncode != 0
    assert b"Error:" in result.stderr
    assert not outbox.exists()
