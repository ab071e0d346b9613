"""People: finding a person by any reference, deleting, and names that look like markup."""

import csv
import io

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
    return lines[0]


@pytest.fixture
def smiths(ok):
    """Add two people named Smith with different employee ids and emails, and return their ids."""
    john = int(ok("people", "add", "John", "Smith", "--employee-id", "E200", "--email", "john@example.org").stdout)
    jane = int(ok("people", "add", "Jane", "Smith", "--employee-id", "E300", "--email", "jane@example.org").stdout)
    return {"john": john, "jane": jane}


def person_of_new_record(ok, reference: str) -> str:
    """Add a BLS record for `reference` and return the first name the list shows for it."""
    ok("--today", TODAY, "add", reference, "BLS", "--issued", "2025-06-01")
    return csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout)[0]["first_name"]


# -- references ---------------------------------------------------------------------------


@pytest.mark.parametrize("reference", ["E300", "jane@example.org", "JANE@example.org", "Jane Smith",
                                       "Smith, Jane", "jane smith"])
def test_resolve_person_by_reference(ok, smiths, reference):
    assert person_of_new_record(ok, reference) == "Jane"


def test_resolve_person_by_hash_id(ok, smiths):
    assert person_of_new_record(ok, f"#{smiths['john']}") == "John"


def test_resolve_person_ambiguous_last_name(cli, smiths):
    result = cli("--today", TODAY, "show", "Smith")

    line = assert_one_error_line(result, '"Smith"', "matches 2 people")
    assert f"#{smiths['john']} John Smith (E200, john@example.org)" in line
    assert f"#{smiths['jane']} Jane Smith (E300, jane@example.org)" in line


def test_resolve_person_unknown_name(cli, smiths):
    result = cli("--today", TODAY, "show", "Nobody Here")

    assert_one_error_line(result, 'no person matches "Nobody Here"')


# -- people add checks ----------------------------------------------------------------------


def test_people_add_duplicate_employee_id(cli, smiths, db_dump):
    before = db_dump()

    result = cli("people", "add", "Bo", "Demo", "--employee-id", "E200")

    assert_one_error_line(result, '"E200"', "John Smith")
    assert db_dump() == before


def test_people_add_invalid_nems_id(cli, smiths, db_dump):
    before = db_dump()

    result = cli("people", "add", "Bo", "Demo", "--nems-id", "12345")

    assert_one_error_line(result, '"12345"', "12 digits")
    assert db_dump() == before


# -- people delete (foreign keys kept) ---------------------------------------------------------


def test_people_delete_with_records_rejected(cli, ok, smiths, db_dump):
    ok("--today", TODAY, "add", "E200", "BLS", "--issued", "2025-06-01")
    before = db_dump()

    result = cli("people", "delete", "E200", "--yes")

    assert_one_error_line(result, "John Smith", "people deactivate")
    assert db_dump() == before


def test_people_delete_without_records(ok, smiths):
    ok("people", "delete", "E300", "--yes")

    people = csv_rows(ok("people", "list", "--format", "csv").stdout)

    assert [person["employee_id"] for person in people] == ["E200"]


def test_people_delete_without_yes(cli, ok, smiths):
    result = cli("people", "delete", "E300")

    assert result.exit_code == 2, result.output
    people = csv_rows(ok("people", "list", "--format", "csv").stdout)
    assert len(people) == 2


def test_people_deactivate_keeps_history(ok, smiths):
    ok("--today", TODAY, "add", "E200", "BLS", "--issued", "2025-06-01")

    ok("people", "deactivate", "E200")

    assert csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout) == []
    inactive = csv_rows(ok("--today", TODAY, "list", "--include-inactive", "--format", "csv").stdout)
    assert [row["employee_id"] for row in inactive] == ["E200"]


# -- names that look like Rich markup ------------------------------------------------------------


MARKUP_NAMES = [("Ana", "[red]Test"), ("Bo", "[/b] Demo"), ("Cy", "[bold]Sample[/bold]")]


@pytest.mark.parametrize(("first", "last"), MARKUP_NAMES)
def test_show_markup_name_verbatim(ok, first, last):
    ok("people", "add", first, last)

    person_page = ok("--today", TODAY, "show", last).stdout

    assert person_page.splitlines()[0] == f"{first} {last} (#1)"


@pytest.mark.parametrize(("first", "last"), MARKUP_NAMES)
def test_people_add_message_markup_name(ok, first, last):
    result = ok("people", "add", first, last)

    assert result.stderr == f"Added {first} {last} as #1\n"


def test_show_missing_markup_reference(cli, ok):
    ok("people", "add", "Ana", "[red]Test")

    result = cli("--today", TODAY, "show", "[/x]")

    line = assert_one_error_line(result, '"[/x]"')
    assert "MarkupError" not in result.output
    assert line.startswith('Error: no person matches "[/x]".')


def test_add_missing_markup_reference(cli, ok, db_dump):
    ok("people", "add", "Ana", "[red]Test")
    before = db_dump()

    result = cli("--today", TODAY, "add", "[/x]", "BLS", "--issued", "2025-06-01")

    assert_one_error_line(result, '"[/x]"')
    assert db_dump() == before


def test_list_of_inactive_person_says_why_empty(ok, smiths):
    ok("--today", TODAY, "add", "E200", "BLS", "--issued", "2025-06-01")
    ok("people", "deactivate", "E200")

    result = ok("--today", TODAY, "list", "--person", "E200", "--format", "table")

    assert "No certification records match." in result.output
    assert "is inactive: add --include-inactive to list them." in result.output
