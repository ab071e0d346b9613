"""list filters, sorting and output formats; missing with any-of groups; matrix."""

import csv
import io
import json
import shutil
import sqlite3

import pytest
from typer.testing import CliRunner

from certcli.cli import app


def build_station(ok) -> dict[str, int]:
    """Add four people (one inactive) and records around 2026-12-04, with a BLS chain that has a gap."""
    ok("people", "add", "Ana", "Test", "--employee-id", "E1", "-g", "Station 1", "-g", "Paramedic")
    ok("people", "add", "Bo", "Demo", "--employee-id", "E2", "-g", "Station 1")
    ok("people", "add", "Cy", "Sample", "--employee-id", "E3", "-g", "Station 2")
    ok("people", "add", "Di", "Gone", "--employee-id", "E4", "-g", "Station 2")
    ids = {}

    def add(name, *args):
        ids[name] = int(ok("add", *args).stdout)

    add("ana_nremt", "E1", "NREMT", "--level", "Paramedic", "--number", "M0123456", "--state", "OH",
        "--city", "Columbus", "--issued", "2025-05-10")
    add("ana_bls_1", "E1", "BLS", "--issued", "2022-01-10", "--expires", "2024-01-31")
    add("ana_bls_2", "E1", "BLS", "--issued", "2024-06-15", "--expires", "2026-06-30")
    add("ana_bls_3", "E1", "BLS", "--issued", "2026-07-20")
    add("bo_bls", "E2", "BLS", "--issued", "2024-12-10", "--expires", "2026-12-31")
    add("bo_acls", "E2", "ACLS", "--issued", "2024-11-02", "--expires", "2026-11-30")
    add("cy_pals", "E3", "PALS", "--issued", "2025-02-01")
    add("cy_state", "E3", "STATE_EMS", "--level", "EMT", "--number", "CA-778", "--state", "CA",
        "--city", "Fresno", "--issued", "2024-01-01", "--expires", "2028-01-01")
    add("di_bls", "E4", "BLS", "--issued", "2025-01-01")
    ok("verify", ids["bo_bls"])
    ok("people", "deactivate", "E4")
    return ids


@pytest.fixture(scope="module")
def station_template(tmp_path_factory):
    """Build the station database once per module; tests get a copy."""
    path = tmp_path_factory.mktemp("station") / "template.db"
    runner = CliRunner()
    environment = {"CERTCLI_DB": str(path), "CERTCLI_TODAY": "2026-12-04", "CERTCLI_ACTOR": "tester"}

    def ok(*args):
        result = runner.invoke(app, [str(arg) for arg in args], env=environment)
        assert result.exit_code == 0, result.stderr
        return result

    ids = build_station(ok)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return path, ids


@pytest.fixture
def station(station_template, db_path):
    template, ids = station_template
    shutil.copyfile(template, db_path)
    db_path.chmod(0o600)
    return ids


def listed_ids(ok, *args) -> list[int]:
    rows = csv.DictReader(io.StringIO(ok("list", "--format", "csv", *args).stdout))
    return [int(row["id"]) for row in rows]


def test_list_default_shows_current_records_of_active_people(ok, station):
    assert sorted(listed_ids(ok)) == sorted(
        station[name] for name in ("ana_nremt", "ana_bls_3", "bo_bls", "bo_acls", "cy_pals", "cy_state"))


@pytest.mark.parametrize("args, expected", [
    (("--person", "E2"), {"bo_bls", "bo_acls"}),
    (("--person", "Ana Test", "--person", "E3"), {"ana_nremt", "ana_bls_3", "cy_pals", "cy_state"}),
    (("--group", "Station 2"), {"cy_pals", "cy_state"}),
    (("--type", "BLS,ACLS"), {"ana_bls_3", "bo_bls", "bo_acls"}),
    (("--type", "bls", "--type", "PALS"), {"ana_bls_3", "bo_bls", "cy_pals"}),
    (("--level", "paramedic"), {"ana_nremt"}),
    (("--status", "expired,expiring"), {"bo_bls", "bo_acls"}),
    (("--status", "expired"), {"bo_acls"}),
    (("--expiring-within", "30"), {"bo_bls"}),
    (("--expiring-within", "90"), {"bo_bls", "cy_pals"}),
    (("--expires-before", "2027-01-01"), {"bo_bls", "bo_acls"}),
    # A month is the whole month: cy_state expires on 2028-01-01, which is not before January 2028.
    (("--expires-before", "2028-01"), {"ana_nremt", "bo_bls", "bo_acls", "cy_pals"}),
    (("--expires-before", "01/2028"), {"ana_nremt", "bo_bls", "bo_acls", "cy_pals"}),
    (("--expires-after", "2027-12"), {"ana_bls_3", "cy_state"}),
    (("--expires-after", "2027-12-31"), {"ana_bls_3", "cy_state"}),
    (("--issued-before", "2024-12-01"), {"bo_acls", "cy_state"}),
    (("--issued-after", "2025-05-10"), {"ana_bls_3"}),
    (("--state", "ca"), {"cy_state"}),
    (("--verified",), {"bo_bls"}),
    (("--unverified", "--type", "BLS"), {"ana_bls_3"}),
    (("--history", "--person", "E1", "--type", "BLS"), {"ana_bls_1", "ana_bls_2", "ana_bls_3"}),
    (("--include-inactive", "--type", "BLS"), {"ana_bls_3", "bo_bls", "di_bls"}),
])
def test_list_filter(ok, station, args, expected):
    assert sorted(listed_ids(ok, *args)) == sorted(station[name] for name in expected)


def test_list_as_of_uses_record_current_on_that_day(ok, station):
    rows = list(csv.DictReader(io.StringIO(
        ok("list", "--format", "csv", "--person", "E1", "--type", "BLS", "--as-of", "2024-03-01").stdout)))
    assert [int(row["id"]) for row in rows] == [station["ana_bls_1"]]
    assert rows[0]["status"] == "expired"


def test_list_as_of_after_gap_shows_second_card_valid(ok, station):
    rows = list(csv.DictReader(io.StringIO(
        ok("list", "--format", "csv", "--person", "E1", "--type", "BLS", "--as-of", "2025-01-01").stdout)))
    assert [int(row["id"]) for row in rows] == [station["ana_bls_2"]]
    assert rows[0]["status"] == "valid"


def test_list_as_of_answers_who_held_valid_bls(ok, station):
    held = listed_ids(ok, "--type", "BLS", "--as-of", "2024-03-01", "--status", "valid,expiring")
    assert held == []
    held = listed_ids(ok, "--type", "BLS", "--as-of", "2025-03-31", "--status", "valid,expiring")
    assert sorted(held) == sorted([station["ana_bls_2"], station["bo_bls"]])


def test_list_as_of_ignores_records_issued_later(ok, station):
    assert listed_ids(ok, "--type", "PALS", "--as-of", "2025-01-31") == []


@pytest.mark.parametrize("sort, first", [("expires", "bo_acls"), ("person", "bo_acls"), ("type", "bo_acls"), ("id", "ana_nremt")])
def test_list_sort(ok, station, sort, first):
    ids = listed_ids(ok, "--sort", sort)
    assert ids[0] == station[first]


def test_list_sort_person_orders_by_last_name(ok, station):
    rows = csv.DictReader(io.StringIO(ok("list", "--format", "csv", "--sort", "person").stdout))
    assert [row["last_name"] for row in rows] == ["Demo", "Demo", "Sample", "Sample", "Test", "Test"]


def test_list_unknown_sort_is_an_error(cli, station):
    result = cli("list", "--sort", "colour")
    assert result.exit_code == 2, result.stderr
    assert '"colour" is not one of expires, person, type, id' in result.stderr


def test_list_tsv(ok, station):
    lines = ok("list", "--format", "tsv", "--type", "ACLS").stdout.splitlines()
    assert lines[0].split("\t")[:3] == ["id", "employee_id", "last_name"]
    assert lines[1].split("\t")[5] == "ACLS"


def test_list_json(ok, station):
    rows = json.loads(ok("list", "--format", "json", "--type", "ACLS").stdout)
    assert rows == [dict(rows[0], id=station["bo_acls"], type="ACLS", status="expired", number=None)]


def test_list_ndjson(ok, station):
    lines = ok("list", "--format", "ndjson").stdout.splitlines()
    assert len(lines) == 6
    assert {json.loads(line)["type"] for line in lines} == {"NREMT", "BLS", "ACLS", "PALS", "STATE_EMS"}


def test_list_quiet_prints_ids(ok, station):
    output = ok("list", "--format", "quiet", "--type", "ACLS").stdout
    assert output == f"{station['bo_acls']}\n"


def test_list_table_summary_counts(ok, station):
    output = ok("list", "--format", "table").stdout
    assert "6 record(s): 4 valid, 1 expiring, 1 expired" in output
    assert "Demo, Bo" in output


def test_list_machine_formats_never_truncate(ok, station, monkeypatch):
    monkeypatch.setenv("COLUMNS", "20")
    ok("edit", station["bo_acls"], "--notes", "a long note " * 30)
    for output_format in ("csv", "tsv", "ndjson"):
        output = ok("list", "--format", output_format, "--type", "ACLS").stdout
        assert ("a long note " * 30).strip() in output


def test_list_quiet_if_empty_prints_nothing(ok, station):
    for output_format in ("csv", "tsv", "json", "ndjson", "quiet", "table"):
        result = ok("list", "--format", output_format, "--type", "ITLS", "--quiet-if-empty")
        assert result.stdout == ""


def test_list_empty_csv_has_header_without_option(ok, station):
    assert ok("list", "--format", "csv", "--type", "ITLS").stdout.startswith("id,employee_id")


def test_list_fail_if_found_exits_3(cli, station):
    result = cli("list", "--format", "csv", "--status", "expired", "--fail-if-found")
    assert result.exit_code == 3, result.stderr
    assert result.stdout.count("\n") == 2


def test_list_fail_if_found_exits_0_when_empty(cli, station):
    result = cli("list", "--format", "csv", "--type", "ITLS", "--fail-if-found", "--quiet-if-empty")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""


def test_list_invalid_format_is_usage_error(cli, station):
    result = cli("list", "--format", "xml")
    assert result.exit_code == 2
    assert "xml" in result.stderr


def missing_rows(ok, *args) -> list[dict]:
    return list(csv.DictReader(io.StringIO(ok("missing", "--format", "csv", *args).stdout)))


def test_missing_several_types(ok, station):
    rows = missing_rows(ok, "ACLS", "PALS")
    assert {(row["employee_id"], row["missing"]) for row in rows} == {
        ("E1", "ACLS"), ("E3", "ACLS"), ("E1", "PALS"), ("E2", "PALS")}


def test_missing_any_of_group(ok, station):
    rows = missing_rows(ok, "NREMT|STATE_EMS")
    assert [row["employee_id"] for row in rows] == ["E2"]
    assert rows[0]["missing"] == "NREMT|STATE_EMS"


def test_missing_any_of_with_levels(ok, station):
    rows = missing_rows(ok, "--type", "NREMT:Paramedic|STATE_EMS:Paramedic")
    assert sorted(row["employee_id"] for row in rows) == ["E2", "E3"]


def test_missing_by_group(ok, station):
    assert [row["employee_id"] for row in missing_rows(ok, "PALS", "--group", "Station 1")] == ["E2", "E1"]


def test_missing_include_expired_gives_last_expiration(ok, station):
    rows = missing_rows(ok, "ACLS", "--include-expired")
    assert {row["employee_id"]: row["last_expired"] for row in rows} == {"E1": "", "E2": "2026-11-30", "E3": ""}


def test_missing_as_of(ok, station):
    rows = missing_rows(ok, "BLS", "--include-expired", "--as-of", "2024-03-01")
    assert {row["employee_id"]: row["last_expired"] for row in rows} == {"E1": "2024-01-31", "E2": "", "E3": ""}


def test_missing_excludes_inactive_unless_asked(ok, station):
    assert "E4" not in {row["employee_id"] for row in missing_rows(ok, "ACLS")}
    assert "E4" in {row["employee_id"] for row in missing_rows(ok, "ACLS", "--include-inactive")}


def test_missing_quiet_prints_person_ids(ok, station):
    output = ok("missing", "NREMT|STATE_EMS", "--format", "quiet").stdout
    assert output == "2\n"


def test_missing_unknown_type_is_an_error(cli, station):
    result = cli("missing", "CPR")
    assert result.exit_code == 1
    assert 'unknown certification type "CPR"' in result.stderr


def test_matrix_cells(ok, station):
    ok("required", "add", "everyone", "BLS")
    ok("required", "add", "Paramedic", "ACLS,PALS")
    rows = {row["employee_id"]: row for row in csv.DictReader(io.StringIO(ok("matrix", "--format", "csv").stdout))}
    assert set(rows) == {"E1", "E2", "E3"}
    assert (rows["E1"]["BLS"], rows["E1"]["ACLS"], rows["E1"]["PALS"]) == ("valid", "missing", "missing")
    assert (rows["E2"]["BLS"], rows["E2"]["ACLS"], rows["E2"]["PALS"]) == ("expiring", "expired", "")
    assert (rows["E3"]["BLS"], rows["E3"]["PALS"]) == ("missing", "valid")


def test_matrix_table_shows_symbols(ok, station):
    ok("required", "add", "everyone", "BLS")
    output = ok("matrix", "--format", "table").stdout
    assert "✓ valid" in output
    assert "— missing" in output


def test_matrix_without_requirements_is_an_error(cli, station):
    result = cli("matrix")
    assert result.exit_code == 1
    assert "required add" in result.stderr


@pytest.mark.parametrize("command", [("people", "list"), ("log",), ("check",), ("types", "list")])
@pytest.mark.parametrize("output_format", ["csv", "tsv", "json", "ndjson", "quiet", "table"])
def test_listing_commands_share_formats(cli, station, command, output_format):
    result = cli(*command, "--format", output_format)
    assert result.exit_code in (0, 3), result.stderr
    assert "\x1b[" not in result.stdout
    if output_format == "json":
        assert isinstance(json.loads(result.stdout), list)
