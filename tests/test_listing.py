"""The certification list and the negative report: windows, boundaries and status on a fixed day."""

import csv
import io
import json
import sqlite3
from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st
from rich.cells import cell_len

import certcli.output
from certcli.listing import status_sql
from certcli.records import status_of

TODAY = "2026-12-04"


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def add_person(ok, first: str, last: str, employee_id: str) -> int:
    return int(ok("people", "add", first, last, "--employee-id", employee_id).stdout)


def add_record(ok, person: str, cert_type: str, issued: str, expires: str, *extra: str) -> int:
    return int(ok("--today", TODAY, "add", person, cert_type, "--issued", issued, "--expires", expires, *extra).stdout)


# -- list --expiring-within ------------------------------------------------------------------


@pytest.fixture
def window_records(ok):
    """BLS records on both sides of the 60-day window from 2026-12-04 (which ends 2027-02-02)."""
    ids = {}
    for employee_id, expires in [("E1", "2026-12-03"), ("E2", "2026-12-04"), ("E3", "2027-02-02"),
                                 ("E4", "2027-02-03")]:
        add_person(ok, "Member", employee_id, employee_id)
        ids[expires] = add_record(ok, employee_id, "BLS", "2025-01-10", expires)
    add_person(ok, "Renewed", "Member", "E5")
    ids["history 2027-01-15"] = add_record(ok, "E5", "BLS", "2025-01-10", "2027-01-15")
    ids["renewal 2028-11-30"] = add_record(ok, "E5", "BLS", "2026-11-20", "2028-11-30")
    add_person(ok, "Lifetime", "Member", "E6")
    ids["never"] = add_record(ok, "E6", "FF1", "2010-05-01", "never")
    return ids


def test_list_expiring_within_window_ends(ok, window_records):
    result = ok("--today", TODAY, "list", "--expiring-within", "60", "--format", "csv")

    rows = csv_rows(result.stdout)
    assert [row["expires"] for row in rows] == ["2026-12-04", "2027-02-02"]
    assert [row["id"] for row in rows] == [str(window_records["2026-12-04"]), str(window_records["2027-02-02"])]


def test_list_expiring_within_excludes_expired(ok, window_records):
    result = ok("--today", TODAY, "list", "--expiring-within", "60", "--format", "csv")

    assert {row["status"] for row in csv_rows(result.stdout)} == {"expiring"}


def test_list_expiring_within_skips_history(ok, window_records):
    result = ok("--today", TODAY, "list", "--expiring-within", "60", "--format", "csv")

    ids = {row["id"] for row in csv_rows(result.stdout)}
    assert str(window_records["history 2027-01-15"]) not in ids


def test_list_expiring_within_zero_is_today_only(ok, window_records):
    result = ok("--today", TODAY, "list", "--expiring-within", "0", "--format", "csv")

    assert [row["expires"] for row in csv_rows(result.stdout)] == ["2026-12-04"]


def test_list_expiring_within_negative_is_error(cli, window_records):
    result = cli("--today", TODAY, "list", "--expiring-within", "-1", "--format", "csv")

    assert result.exit_code == 2, result.output
    assert "Invalid value for '--expiring-within'" in result.stderr


@pytest.mark.parametrize("days", ["3000000", "99999999999"])
def test_list_expiring_within_too_large(cli, window_records, days):
    result = cli("--today", TODAY, "list", "--expiring-within", days, "--format", "csv")

    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"Error: --expiring-within {days} is too large")
    assert "Traceback" not in result.output


def test_list_quiet_if_empty_prints_nothing(ok, window_records):
    result = ok("--today", "2030-01-01", "list", "--expiring-within", "10", "--format", "csv", "--quiet-if-empty")

    assert result.stdout == ""


def test_list_fail_if_found_exit_code(cli, window_records):
    result = cli("--today", TODAY, "list", "--expiring-within", "60", "--format", "csv", "--fail-if-found")

    assert result.exit_code == 3, result.output


# -- status boundaries (TODAY-1, TODAY, TODAY+30, TODAY+31) ---------------------------------


@pytest.fixture
def boundary_records(ok):
    """CPR cards (a 30-day warning window) expiring the day before, on, and 30 and 31 days after TODAY."""
    ok("types", "add", "CPR", "CPR card", "--warning-days", "30")
    ids = {}
    for offset, expires in [(-1, "2026-12-03"), (0, "2026-12-04"), (30, "2027-01-03"), (31, "2027-01-04")]:
        employee_id = f"B{offset + 1}"
        add_person(ok, "Boundary", f"Day{offset}", employee_id)
        ids[offset] = add_record(ok, employee_id, "CPR", "2025-01-01", expires)
    return ids


def test_status_on_window_boundaries(ok, boundary_records):
    rows = csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout)

    status = {int(row["id"]): row["status"] for row in rows}
    assert status[boundary_records[-1]] == "expired"
    assert status[boundary_records[0]] == "expiring"
    assert status[boundary_records[30]] == "expiring"
    assert status[boundary_records[31]] == "valid"


def test_list_expiring_within_30_boundaries(ok, boundary_records):
    rows = csv_rows(ok("--today", TODAY, "list", "--expiring-within", "30", "--format", "csv").stdout)

    assert [int(row["id"]) for row in rows] == [boundary_records[0], boundary_records[30]]


def test_export_csv_window_matches_list(ok, boundary_records, tmp_path):
    listed = ok("--today", TODAY, "list", "--expiring-within", "30", "--format", "csv").stdout
    target = tmp_path / "expiring.csv"

    ok("--today", TODAY, "export", "--expiring-within", "30", "-o", target)

    assert target.read_text(encoding="utf-8") == listed


def test_show_status_matches_list(ok, boundary_records):
    rows = csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout)
    listed = {int(row["id"]): row["status"] for row in rows}

    for offset in boundary_records:
        report = json.loads(ok("--today", TODAY, "show", f"B{offset + 1}", "--format", "json").stdout)
        record = report["certifications"]["CPR"][0]
        assert record["status"] == listed[record["id"]], offset


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(-400, 400), st.integers(0, 365))
def test_status_sql_matches_status_of(today, offset, window):
    """The SQL status of `list` and the Python status of `show` agree for any day and window."""
    expires = (today + timedelta(days=offset)).isoformat()
    connection = sqlite3.connect(":memory:")
    try:
        in_sql = connection.execute(f"SELECT {status_sql(window)} FROM (SELECT :expires AS expires) AS c",
                                    {"expires": expires, "today": today.isoformat()}).fetchone()[0]
    finally:
        connection.close()

    assert in_sql == status_of(expires, today, window)


def test_list_status_filter_matches_window(ok, boundary_records):
    rows = csv_rows(ok("--today", TODAY, "list", "--status", "expiring", "--format", "csv").stdout)

    assert [int(row["id"]) for row in rows] == [boundary_records[0], boundary_records[30]]


# -- month-only expirations and the expiration day --------------------------------------------


@pytest.fixture
def march_card(ok):
    """A BLS card entered with the month-only expiration 2027-03."""
    add_person(ok, "Ana", "Test", "E100")
    return add_record(ok, "E100", "BLS", "2025-03-10", "2027-03")


def test_month_only_stored_as_last_day(ok, march_card):
    rows = csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout)

    assert rows[0]["expires"] == "2027-03-31"


@pytest.mark.parametrize(("today", "status"), [("2027-03-01", "expiring"), ("2027-03-31", "expiring"),
                                               ("2027-04-01", "expired")])
def test_month_only_valid_through_month_end(ok, march_card, today, status):
    rows = csv_rows(ok("--today", today, "list", "--format", "csv").stdout)

    assert rows[0]["status"] == status


@pytest.mark.parametrize(("today", "listed"), [("2027-03-01", True), ("2027-03-31", True), ("2027-04-01", False)])
def test_month_only_in_30_day_list(ok, march_card, today, listed):
    rows = csv_rows(ok("--today", today, "list", "--expiring-within", "30", "--format", "csv").stdout)

    assert (len(rows) == 1) is listed


@pytest.mark.parametrize(("today", "status"), [("2027-03-30", "expiring"), ("2027-03-31", "expiring"),
                                               ("2027-04-01", "expired")])
def test_expiration_day_itself_is_valid(ok, today, status):
    add_person(ok, "Ana", "Test", "E100")
    add_record(ok, "E100", "BLS", "2025-03-10", "2027-03-31")

    rows = csv_rows(ok("--today", today, "list", "--format", "csv").stdout)

    assert rows[0]["status"] == status


def test_expiration_day_not_in_expired(ok):
    add_person(ok, "Ana", "Test", "E100")
    add_record(ok, "E100", "BLS", "2025-03-10", "2027-03-31")

    expired = ok("--today", "2027-03-31", "list", "--status", "expired", "--format", "csv").stdout

    assert csv_rows(expired) == []


# -- missing ----------------------------------------------------------------------------------


@pytest.fixture
def bls_crew(ok):
    """Add Ana with a valid BLS, Bo with only an expired one, Cy with none, and inactive Dee with none."""
    add_person(ok, "Ana", "Test", "E100")
    add_person(ok, "Bo", "Demo", "E200")
    add_person(ok, "Cy", "Sample", "E300")
    add_person(ok, "Dee", "Gone", "E400")
    ok("people", "deactivate", "E400")
    add_record(ok, "E100", "BLS", "2025-01-20", "2027-01-31")
    add_record(ok, "E200", "BLS", "2024-11-02", "2026-11-30")


def test_missing_lists_people_without_record(ok, bls_crew):
    rows = csv_rows(ok("--today", TODAY, "missing", "BLS", "--format", "csv").stdout)

    assert [row["employee_id"] for row in rows] == ["E300"]
    assert rows[0]["missing"] == "BLS"
    assert rows[0]["last_expired"] == ""


def test_missing_include_expired_adds_expired(ok, bls_crew):
    rows = csv_rows(ok("--today", TODAY, "missing", "BLS", "--include-expired", "--format", "csv").stdout)

    last_expired = {row["employee_id"]: row["last_expired"] for row in rows}
    assert last_expired == {"E200": "2026-11-30", "E300": ""}


def test_missing_include_inactive_adds_inactive(ok, bls_crew):
    rows = csv_rows(ok("--today", TODAY, "missing", "BLS", "--include-inactive", "--format", "csv").stdout)

    assert sorted(row["employee_id"] for row in rows) == ["E300", "E400"]


def test_missing_unknown_type_is_error(cli, bls_crew):
    result = cli("--today", TODAY, "missing", "CPRX", "--format", "csv")

    assert result.exit_code == 1, result.output
    assert result.stderr.startswith('Error: unknown certification type "CPRX"')


@pytest.fixture
def cpr_crew(ok):
    """Add CPR cards: A expired 2026-01-31, B valid to 2027-06-30, C with no expiration, D with none."""
    ok("types", "add", "CPR", "CPR card")
    for letter in "ABCD":
        add_person(ok, letter, "Member", letter)
    add_record(ok, "A", "CPR", "2024-01-31", "2026-01-31")
    add_record(ok, "B", "CPR", "2025-06-30", "2027-06-30")
    add_record(ok, "C", "CPR", "2015-03-01", "never")


def test_missing_cpr_include_expired(ok, cpr_crew):
    rows = csv_rows(ok("--today", TODAY, "missing", "CPR", "--include-expired", "--format", "csv").stdout)

    last_expired = {row["employee_id"]: row["last_expired"] for row in rows}
    assert last_expired == {"A": "2026-01-31", "D": ""}


def test_missing_cpr_lists_only_no_card(ok, cpr_crew):
    rows = csv_rows(ok("--today", TODAY, "missing", "CPR", "--format", "csv").stdout)

    assert [row["employee_id"] for row in rows] == ["D"]


def test_missing_cpr_table_notes_expiry_date(ok, cpr_crew):
    table = ok("--today", TODAY, "missing", "CPR", "--include-expired", "--format", "table").stdout

    assert "expired 2026-01-31" in table
    assert "no record" in table


def test_no_expiration_never_expired(ok, cpr_crew):
    rows = csv_rows(ok("--today", TODAY, "list", "--person", "C", "--format", "csv").stdout)
    expired = csv_rows(ok("--today", TODAY, "list", "--status", "expired", "--format", "csv").stdout)

    assert rows[0]["status"] == "valid"
    assert [row["employee_id"] for row in expired] == ["A"]


# -- names that look like markup, and the table width -------------------------------------------


MARKUP_NAMES = [("Ana", "[red]Test", "M1"), ("Bo", "[/b] Demo", "M2"), ("Cy", "[bold]Sample[/bold]", "M3")]


@pytest.fixture
def markup_people(ok):
    for first, last, employee_id in MARKUP_NAMES:
        add_person(ok, first, last, employee_id)
        add_record(ok, employee_id, "BLS", "2025-06-01", "2027-06-30")


def test_list_table_markup_names_verbatim(ok, markup_people):
    table = ok("--today", TODAY, "list", "--format", "table").stdout

    for first, last, _ in MARKUP_NAMES:
        assert f"{last}, {first}" in table


def test_list_csv_keeps_markup_like_names(ok, markup_people):
    rows = csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout)

    names = {(row["first_name"], row["last_name"]) for row in rows}
    assert names == {(first, last) for first, last, _ in MARKUP_NAMES}


@pytest.fixture
def pretend_terminal(monkeypatch):
    """Make certcli see its stdout and stderr as a terminal of 100 columns, colour off."""
    monkeypatch.setattr(certcli.output, "_is_terminal", lambda stream: True)
    monkeypatch.setenv("COLUMNS", "100")


def test_list_on_terminal_defaults_to_table(ok, markup_people, pretend_terminal):
    result = ok("--today", TODAY, "list")

    assert "┃ ID ┃" in result.stdout
    assert "3 record(s): 3 valid" in result.stdout


def test_list_table_fits_terminal_width(ok, markup_people, pretend_terminal):
    # A long name makes the natural table wider than the terminal, so the width must come from it.
    add_person(ok, "Maximilian", "Wolfeschlegelsteinhausenbergerdorff-Vandermeulen", "M4")
    add_record(ok, "M4", "BLS", "2025-06-01", "2027-06-30")

    table = ok("--today", TODAY, "list").stdout

    widths = [cell_len(line) for line in table.splitlines()]
    assert max(widths) <= 100
    assert "\x1b[" not in table


def test_list_table_piped_never_wrapped(ok, markup_people):
    long_name = "Wolfeschlegelsteinhausenbergerdorff-Vandermeulen-" + "y" * 150
    add_person(ok, "Max", long_name, "M4")
    add_record(ok, "M4", "BLS", "2025-06-01", "2027-06-30")

    table = ok("--today", TODAY, "list", "--format", "table").stdout

    assert f"{long_name}, Max" in table


def test_list_colour_on_terminal_keeps_escape_codes(ok, markup_people, pretend_terminal, monkeypatch):
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("COLUMNS", "200")
    add_person(ok, "Eve\x1b[31m", "Escape", "M5")
    add_record(ok, "M5", "BLS", "2024-12-01", "2026-12-31")

    table = ok("--today", TODAY, "list").stdout

    assert "\x1b[33mexpiring\x1b[0m" in table
    assert "Escape, Eve\\x1b[31m" in table
    assert "Eve\x1b[31m" not in table


def test_negative_limit_is_usage_error(cli):
    result = cli("list", "--limit", "-5")
    assert result.exit_code == 2
    assert "--limit" in result.stderr
