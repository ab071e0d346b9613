"""Certification records end to end: add, renew, verify, edit, delete and restore through the CLI."""

import csv
import io
import sqlite3

import pytest

TODAY = "2026-12-04"


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def assert_one_error_line(result, *quoted: str) -> str:
    """Assert a failed command's contract: exit 1, one `Error:` line quoting each value, no traceback."""
    assert result.exit_code == 1, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), result.stderr
    for value in quoted:
        assert value in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return lines[0]


@pytest.fixture
def crew(ok):
    """Add Ana Test (E100), John and Jane Smith (E200, E300) and Cy Sample (E400)."""
    ok("people", "add", "Ana", "Test", "--employee-id", "E100", "--email", "ana@example.org")
    ok("people", "add", "John", "Smith", "--employee-id", "E200")
    ok("people", "add", "Jane", "Smith", "--employee-id", "E300")
    ok("people", "add", "Cy", "Sample", "--employee-id", "E400")


def add_nremt(ok, *extra: str) -> int:
    result = ok("--today", TODAY, "add", "E100", "NREMT", "--issued", "2025-05-10", "--level", "Paramedic",
                "--number", "M0123456", "--state", "OH", "--city", "Columbus", *extra)
    return int(result.stdout)


# -- add ---------------------------------------------------------------------------------


def test_add_prints_new_id_only(ok, crew):
    result = ok("--today", TODAY, "add", "E100", "BLS", "--issued", "2025-01-20")

    assert result.stdout.strip().isdigit()
    assert "Added BLS record" in result.stderr


def test_add_nremt_upper_cases_number_and_state(ok, crew):
    ok("--today", TODAY, "add", "E100", "NREMT", "--issued", "2025-05-10", "--level", "paramedic",
       "--number", " m0123456 ", "--state", "oh", "--city", "Columbus")

    row = csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout)[0]

    assert row["number"] == "M0123456"
    assert row["state"] == "OH"
    assert row["level"] == "Paramedic"


def test_add_nremt_computes_march_31_expiration(ok, crew):
    add_nremt(ok)

    row = csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout)[0]

    # A first certification gained January to June expires March 31 two years later.
    assert row["expires"] == "2027-03-31"


def test_add_expires_never_stores_no_expiration(ok, crew):
    ok("--today", TODAY, "add", "E100", "FF1", "--issued", "2010-06-01", "--expires", "never")

    row = csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout)[0]

    assert row["expires"] == ""
    assert row["status"] == "valid"


# -- bad input: exit 1, one line, nothing written ----------------------------------------


def test_add_impossible_date_changes_nothing(cli, crew, db_dump):
    before = db_dump()

    result = cli("--today", TODAY, "add", "E100", "BLS", "--issued", "2025-02-01", "--expires", "2027-02-30")

    assert_one_error_line(result, '"2027-02-30"')
    assert db_dump() == before


def test_add_impossible_issued_date_changes_nothing(cli, crew, db_dump):
    before = db_dump()

    result = cli("--today", TODAY, "add", "E100", "BLS", "--issued", "2/30/2025")

    assert_one_error_line(result, '"2/30/2025"')
    assert db_dump() == before


def test_add_unknown_person_changes_nothing(cli, crew, db_dump):
    before = db_dump()

    result = cli("--today", TODAY, "add", "Nobody Here", "BLS", "--issued", "2025-02-01")

    line = assert_one_error_line(result, '"Nobody Here"')
    assert "certcli people list" in line
    assert db_dump() == before


def test_add_unknown_type_changes_nothing(cli, crew, db_dump):
    before = db_dump()

    result = cli("--today", TODAY, "add", "E100", "CPRX", "--issued", "2025-02-01")

    line = assert_one_error_line(result, '"CPRX"')
    assert "certcli types add" in line
    assert db_dump() == before


def test_add_nremt_without_state_changes_nothing(cli, crew, db_dump):
    before = db_dump()

    result = cli("--today", TODAY, "add", "E100", "NREMT", "--issued", "2025-05-10", "--level", "EMT",
                 "--number", "M0123456", "--city", "Columbus")

    assert_one_error_line(result, "NREMT", "state", "--state")
    assert db_dump() == before


def test_add_ambiguous_name_lists_candidates(cli, crew, db_dump):
    before = db_dump()

    result = cli("--today", TODAY, "add", "Smith", "BLS", "--issued", "2025-02-01")

    line = assert_one_error_line(result, '"Smith"')
    assert "John Smith" in line
    assert "Jane Smith" in line
    assert db_dump() == before


def test_add_nremt_number_without_letter(cli, crew, db_dump):
    before = db_dump()

    result = cli("--today", TODAY, "add", "E100", "NREMT", "--issued", "2025-05-10", "--level", "EMT",
                 "--number", "0123456", "--state", "OH", "--city", "Columbus")

    assert_one_error_line(result, '"0123456"', "leading letter")
    assert db_dump() == before


def test_add_expiration_before_issue(cli, crew, db_dump):
    before = db_dump()

    result = cli("--today", TODAY, "add", "E100", "BLS", "--issued", "2025-02-01", "--expires", "2025-01-31")

    assert_one_error_line(result, "2025-01-31", "2025-02-01")
    assert db_dump() == before


def test_add_invalid_today_option_is_usage_error(cli, crew, db_dump):
    before = db_dump()

    result = cli("--today", "12/04/26", "add", "E100", "BLS", "--issued", "2025-02-01")

    assert result.exit_code == 2, result.output
    assert "12/04/26" in result.stderr
    assert db_dump() == before


# -- verification ------------------------------------------------------------------------


def test_verify_marks_record_verified(ok, crew):
    record_id = add_nremt(ok)

    ok("--actor", "lt.jones", "verify", record_id)

    rows = csv_rows(ok("--today", TODAY, "list", "--verified", "--format", "csv").stdout)
    assert [row["id"] for row in rows] == [str(record_id)]
    assert rows[0]["verified_by"] == "lt.jones"


def test_edit_after_verify_clears_verification(ok, crew):
    record_id = add_nremt(ok)
    ok("--actor", "lt.jones", "verify", record_id)

    edited = ok("--actor", "clerk", "--today", TODAY, "edit", record_id, "--expires", "2027-03-30")

    assert f"Record #{record_id} is no longer verified" in edited.stderr
    unverified = csv_rows(ok("--today", TODAY, "list", "--unverified", "--format", "csv").stdout)
    assert [row["id"] for row in unverified] == [str(record_id)]
    verified = csv_rows(ok("--today", TODAY, "list", "--verified", "--format", "csv").stdout)
    assert verified == []


def test_edit_after_verify_reason_in_show(ok, crew):
    record_id = add_nremt(ok)
    ok("--actor", "lt.jones", "verify", record_id)
    ok("--actor", "clerk", "--today", TODAY, "edit", record_id, "--expires", "2027-03-30")

    person_page = ok("--today", TODAY, "show", "E100").stdout

    assert "unverified: expires changed by clerk" in person_page
    assert "after verification by lt.jones" in person_page


def test_edit_after_verify_reason_in_log(ok, crew):
    record_id = add_nremt(ok)
    ok("--actor", "lt.jones", "verify", record_id)
    ok("--actor", "clerk", "--today", TODAY, "edit", record_id, "--expires", "2027-03-30")

    events = csv_rows(ok("log", "--record", record_id, "--format", "csv").stdout)

    assert [event["action"] for event in events] == ["add", "verify", "edit"]
    assert events[2]["actor"] == "clerk"
    assert "expires changed by clerk" in events[2]["reason"]
    assert "expires: 2027-03-31 -> 2027-03-30" in events[2]["changes"]


def test_edit_notes_keeps_verification(ok, crew):
    record_id = add_nremt(ok)
    ok("--actor", "lt.jones", "verify", record_id)

    ok("--actor", "clerk", "--today", TODAY, "edit", record_id, "--notes", "card photo on file")

    rows = csv_rows(ok("--today", TODAY, "list", "--verified", "--format", "csv").stdout)
    assert [row["id"] for row in rows] == [str(record_id)]


# -- renewals keep history ------------------------------------------------------------------


def test_add_renewed_card_keeps_old_as_history(ok, crew):
    old_id = int(ok("--today", TODAY, "add", "E100", "BLS", "--issued", "2023-01-10", "--expires", "2025-01-31",
                    "--number", "0123456").stdout)
    new_id = int(ok("--today", TODAY, "add", "E100", "BLS", "--issued", "2025-01-20", "--expires", "2027-01-31",
                    "--number", "0123456").stdout)

    current = csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout)
    history = csv_rows(ok("--today", TODAY, "list", "--history", "--format", "csv").stdout)

    assert [row["id"] for row in current] == [str(new_id)]
    assert sorted(row["id"] for row in history) == sorted([str(old_id), str(new_id)])


def test_add_older_card_later_stays_history(ok, crew):
    # Cards are often typed in out of order. The latest period is current, not the last one entered.
    new_id = int(ok("--today", TODAY, "add", "E100", "BLS", "--issued", "2025-01-20", "--expires", "2027-01-31").stdout)
    ok("--today", TODAY, "add", "E100", "BLS", "--issued", "2023-01-10", "--expires", "2025-01-31")

    current = csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout)

    assert [row["id"] for row in current] == [str(new_id)]


def test_renew_same_number_keeps_old_record(ok, crew):
    # A verified EMT card renewed with the same number: uniqueness is never on the number alone.
    old_id = int(ok("--today", TODAY, "add", "E100", "STATE_EMS", "--level", "EMT", "--number", "E12345",
                    "--state", "OH", "--city", "Columbus", "--issued", "2023-04-01", "--expires", "2025-03-31").stdout)
    ok("--actor", "lt.jones", "verify", old_id)

    new_id = int(ok("--today", TODAY, "renew", old_id, "--issued", "2025-03-15", "--expires", "2027-03-31").stdout)

    history = {row["id"]: row for row in csv_rows(ok("--today", TODAY, "list", "--history", "--format", "csv").stdout)}
    assert history[str(old_id)]["issued"] == "2023-04-01"
    assert history[str(old_id)]["expires"] == "2025-03-31"
    assert history[str(old_id)]["verified_by"] == "lt.jones"
    assert history[str(new_id)]["number"] == "E12345"
    assert history[str(new_id)]["expires"] == "2027-03-31"


def test_renew_current_view_shows_new_period(ok, crew):
    old_id = int(ok("--today", TODAY, "add", "E100", "STATE_EMS", "--level", "EMT", "--number", "E12345",
                    "--state", "OH", "--city", "Columbus", "--issued", "2023-04-01", "--expires", "2025-03-31").stdout)
    new_id = int(ok("--today", TODAY, "renew", old_id, "--issued", "2025-03-15", "--expires", "2027-03-31").stdout)

    current = csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout)

    assert [(row["id"], row["expires"]) for row in current] == [(str(new_id), "2027-03-31")]


def test_renew_links_to_previous_record_in_show(ok, crew):
    old_id = int(ok("--today", TODAY, "add", "E100", "BLS", "--issued", "2023-01-10", "--expires", "2025-01-31").stdout)
    new_id = int(ok("--today", TODAY, "renew", old_id, "--issued", "2025-01-20").stdout)

    person_page = ok("--today", TODAY, "show", "E100").stdout

    assert f"#{new_id} current" in person_page
    assert f"#{old_id} history" in person_page
    assert f"renews #{old_id}" in person_page


def test_add_same_card_twice_is_conflict(cli, ok, crew, db_dump):
    ok("--today", TODAY, "add", "E100", "BLS", "--issued", "2025-01-20", "--number", "0123456")
    before = db_dump()

    result = cli("--today", TODAY, "add", "E100", "BLS", "--issued", "2025-01-20", "--number", "0123456")

    assert_one_error_line(result, '"0123456"', "2025-01-20")
    assert db_dump() == before


# -- delete and restore -------------------------------------------------------------------


def test_delete_without_yes_not_terminal(cli, ok, crew):
    record_id = add_nremt(ok)

    # CliRunner's stdin is not a terminal, as in cron or a script.
    result = cli("delete", record_id)

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ")
    assert "--yes" in result.stderr
    rows = csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout)
    assert [row["id"] for row in rows] == [str(record_id)]


def test_delete_with_yes_removes_record(ok, crew):
    record_id = add_nremt(ok)

    ok("delete", record_id, "--yes")

    assert csv_rows(ok("--today", TODAY, "list", "--history", "--format", "csv").stdout) == []


def test_restore_brings_back_deleted_record(ok, crew):
    record_id = add_nremt(ok)
    ok("--actor", "lt.jones", "verify", record_id)
    before = csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout)
    ok("delete", record_id, "--yes")

    ok("restore", record_id)

    assert csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout) == before


def test_restore_after_predecessor_changed_type(ok, crew, db_path):
    """A restored renewal does not keep a link to a card that has since become another type."""
    older = int(ok("--today", TODAY, "add", "E100", "BLS", "--issued", "2023-01-10").stdout)
    newer = int(ok("--today", TODAY, "add", "E100", "BLS", "--issued", "2025-01-10").stdout)
    ok("delete", newer, "--yes")
    ok("--today", TODAY, "edit", older, "--type", "ACLS")

    ok("restore", newer)

    with sqlite3.connect(db_path) as conn:
        links = dict(conn.execute("SELECT id, previous_id FROM certifications"))
    conn.close()
    assert links == {older: None, newer: None}


def test_delete_and_restore_are_logged(ok, crew):
    record_id = add_nremt(ok)
    ok("--actor", "clerk", "delete", record_id, "--yes")
    ok("--actor", "lt.jones", "restore", record_id)

    events = csv_rows(ok("log", "--record", record_id, "--format", "csv").stdout)

    assert [(event["action"], event["actor"]) for event in events] == [
        ("add", "tester"), ("delete", "clerk"), ("restore", "lt.jones")]


def test_delete_unknown_id_is_error(cli, crew, db_dump):
    before = db_dump()

    result = cli("delete", "999", "--yes")

    assert_one_error_line(result, "999")
    assert db_dump() == before


def test_restore_of_existing_record_is_error(cli, ok, crew, db_dump):
    record_id = add_nremt(ok)
    before = db_dump()

    result = cli("restore", record_id)

    assert_one_error_line(result, f"#{record_id}")
    assert db_dump() == before


def test_edit_moving_expiration_never_makes_a_cycle(ok, crew, db_path):
    """Two BLS cards; extending the older one past the newer, then back, keeps one direction of renewal."""
    import sqlite3

    first = int(ok("add", "E100", "BLS", "--issued", "2016-05-12", "--expires", "2018-05-31").stdout)
    second = int(ok("renew", first, "--issued", "2018-04-15", "--expires", "2020-04-30").stdout)

    def links():
        with sqlite3.connect(db_path) as conn:
            return dict(conn.execute("SELECT id, previous_id FROM certifications ORDER BY id"))

    assert links() == {first: None, second: first}
    ok("edit", first, "--expires", "2021-05-31")
    assert links() == {first: second, second: None}
    ok("edit", first, "--expires", "2018-05-31")
    assert links() == {first: None, second: first}
    report = ok("show", "E100").stdout
    assert f"renews #{second}" not in report
