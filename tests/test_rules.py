"""Type rules, renewals, check findings, verification details and the audit trail."""

import csv
import io
import json
from datetime import date

import pytest

from certcli.certtypes import CertType, nremt_expiration, suggest_expiration
from certcli.dates import add_months


def expires_of(ok, certification_id) -> str:
    rows = csv.DictReader(io.StringIO(ok("list", "--history", "--format", "csv").stdout))
    return next(row["expires"] for row in rows if row["id"] == str(certification_id))


@pytest.mark.parametrize("level, issued, expected", [
    ("EMT", date(2025, 5, 10), date(2027, 3, 31)),
    ("EMT", date(2025, 8, 10), date(2028, 3, 31)),
    ("EMR", date(2025, 8, 10), date(2028, 9, 30)),
    ("EMR", date(2025, 6, 30), date(2027, 9, 30)),
    ("Paramedic", date(2025, 7, 1), date(2028, 3, 31)),
    ("AEMT", date(2024, 1, 1), date(2026, 3, 31)),
])
def test_nremt_first_certification(level, issued, expected):
    assert nremt_expiration(level, issued) == expected


def test_nremt_recertification_continues_cycle():
    assert nremt_expiration("Paramedic", date(2027, 1, 15), previous_expires=date(2027, 3, 31)) == date(2029, 3, 31)


@pytest.mark.parametrize("issued, expected", [
    (date(2026, 2, 14), date(2028, 2, 29)),
    (date(2024, 2, 29), date(2026, 2, 28)),
    (date(2026, 1, 31), date(2028, 1, 31)),
    (date(2025, 12, 1), date(2027, 12, 31)),
])
def test_aha_cards_run_through_end_of_month(issued, expected):
    bls = CertType("BLS", "BLS", validity="months:24:eom")
    assert suggest_expiration(bls, None, issued) == (True, expected)


def test_itls_three_years_same_day():
    itls = CertType("ITLS", "ITLS", validity="months:36")
    assert suggest_expiration(itls, None, date(2024, 2, 29)) == (True, date(2027, 2, 28))


def test_never_rule_has_no_expiration():
    assert suggest_expiration(CertType("FF1", "FF1", validity="never"), None, date(2020, 1, 1)) == (True, None)


def test_month_arithmetic_from_original_date():
    """F12: a chain of four 6-month periods ends where 24 months from the start does."""
    start = date(2026, 8, 31)
    chain = [add_months(start, 6 * step) for step in range(1, 5)]
    assert chain == [date(2027, 2, 28), date(2027, 8, 31), date(2028, 2, 29), date(2028, 8, 31)]


def test_add_without_expires_uses_rule_and_says_so(ok, agency):
    result = ok("add", "E300", "BLS", "--issued", "2026-02-14")
    assert "Expiration 2028-02-29 computed from the BLS rule" in result.stderr
    assert expires_of(ok, result.stdout.strip()) == "2028-02-29"


def test_add_nremt_emr_rule(ok, agency):
    result = ok("add", "E300", "NREMT", "--issued", "2025-08-10", "--level", "EMR", "--number", "E7654321",
                "--state", "OH", "--city", "Dayton")
    assert expires_of(ok, result.stdout.strip()) == "2028-09-30"


def test_add_type_without_rule_needs_expires(cli, agency):
    result = cli("add", "E300", "STATE_EMS", "--issued", "2025-01-01", "--level", "EMT", "--number", "123",
                 "--state", "OH", "--city", "Akron")
    assert result.exit_code == 1
    assert "STATE_EMS has no validity rule" in result.stderr


def test_add_expires_never(ok, agency):
    result = ok("add", "E300", "PHTLS", "--issued", "2025-01-01", "--expires", "never")
    assert expires_of(ok, result.stdout.strip()) == ""


def test_number_is_stripped_and_uppercased_for_nremt(ok, agency):
    result = ok("add", "E200", "NREMT", "--issued", "2025-03-01", "--level", "EMT", "--number", "  e1234567 ",
                "--state", "OH", "--city", "Kent")
    rows = csv.DictReader(io.StringIO(ok("list", "--format", "csv", "--person", "E200", "--type", "NREMT").stdout))
    assert [row["number"] for row in rows] == ["E1234567"]
    assert result.stdout.strip()


def test_all_digit_nremt_number_hints_at_missing_letter(cli, agency):
    result = cli("add", "E200", "NREMT", "--issued", "2025-03-01", "--level", "EMT", "--number", "1234567",
                 "--state", "OH", "--city", "Kent")
    assert result.exit_code == 1
    assert "leading letter" in result.stderr
    assert "--allow-number" in result.stderr


def test_allow_number_stores_with_warning_and_check_reports(cli, ok, agency):
    result = ok("add", "E200", "NREMT", "--issued", "2025-03-01", "--level", "EMT", "--number", "1234567",
                "--state", "OH", "--city", "Kent", "--allow-number")
    assert "Warning:" in result.stderr
    findings = cli("check", "--format", "csv")
    assert findings.exit_code == 3
    assert "number off pattern" in findings.stdout


def test_card_number_keeps_leading_zeros(ok, agency):
    rows = csv.DictReader(io.StringIO(ok("list", "--format", "csv", "--person", "E100", "--type", "BLS").stdout))
    assert [row["number"] for row in rows] == ["0123456"]


def test_renew_prefills_and_links(ok, agency):
    new_id = ok("renew", agency["ana_nremt"], "--issued", "2027-01-15").stdout.strip()
    report = json.loads(ok("show", "E100", "--format", "json").stdout)
    chain = report["certifications"]["NREMT"]
    assert [entry["id"] for entry in chain] == [int(new_id), agency["ana_nremt"]]
    assert chain[0]["previous_id"] == agency["ana_nremt"]
    assert (chain[0]["number"], chain[0]["level"], chain[0]["state"], chain[0]["city"]) == (
        "M0123456", "Paramedic", "OH", "Columbus")
    assert chain[0]["expires"] == "2029-03-31"


def test_renew_keeps_old_record_and_its_verification(ok, agency):
    ok("verify", agency["ana_bls"])
    ok("renew", agency["ana_bls"], "--issued", "2026-12-01")
    report = json.loads(ok("show", "E100", "--format", "json").stdout)
    old = next(entry for entry in report["certifications"]["BLS"] if entry["id"] == agency["ana_bls"])
    assert old["verified_by"] == "tester"
    assert old["current"] is False
    assert old["expires"] == "2027-01-31"


def test_renew_requires_later_expiration(cli, agency):
    result = cli("renew", agency["ana_bls"], "--issued", "2025-02-01", "--expires", "2027-01-31")
    assert result.exit_code == 1
    assert "not after the record it renews" in result.stderr


def test_renew_needs_issued(cli, agency):
    result = cli("renew", agency["ana_bls"])
    assert result.exit_code == 2


def test_verify_undo_and_self_approval_warning(ok, cli, agency):
    result = ok("verify", agency["bo_bls"])
    assert "tester also entered record" in result.stderr
    ok("verify", "--undo", agency["bo_bls"])
    report = json.loads(ok("show", "E200", "--format", "json").stdout)
    entry = report["certifications"]["BLS"][0]
    assert entry["verified_by"] is None
    assert "undone by tester" in entry["unverified_reason"]


def test_verify_by_other_actor_has_no_self_warning(cli, agency):
    result = cli("--actor", "lt.morales", "verify", agency["bo_bls"])
    assert result.exit_code == 0
    assert "also entered" not in result.stderr


def test_edit_after_verify_shows_reason_in_show_and_log(ok, agency):
    ok("--actor", "lt.morales", "verify", agency["bo_bls"])
    ok("edit", agency["bo_bls"], "--expires", "2026-12-30")
    shown = ok("show", "E200").stdout
    assert "expires changed by tester" in shown
    log = ok("log", "--record", agency["bo_bls"], "--format", "csv").stdout
    assert "after verification by lt.morales" in log


def test_edit_notes_keeps_verification(ok, agency):
    ok("--actor", "lt.morales", "verify", agency["bo_bls"])
    ok("edit", agency["bo_bls"], "--notes", "card photo on file")
    assert ok("list", "--format", "quiet", "--verified").stdout.split() == [str(agency["bo_bls"])]


def test_delete_restore_gives_back_same_record(ok, agency):
    before = ok("list", "--format", "json", "--history").stdout
    ok("verify", agency["ana_bls"])
    before = ok("list", "--format", "json", "--history").stdout
    ok("delete", agency["ana_bls"], "--yes")
    assert str(agency["ana_bls"]) not in ok("list", "--format", "quiet").stdout.split()
    ok("restore", agency["ana_bls"])
    assert ok("list", "--format", "json", "--history").stdout == before
    actions = [row["action"] for row in csv.DictReader(io.StringIO(
        ok("log", "--record", agency["ana_bls"], "--format", "csv").stdout))]
    assert actions == ["add", "verify", "delete", "restore"]


def test_restore_of_existing_record_is_an_error(cli, agency):
    result = cli("restore", agency["ana_bls"])
    assert result.exit_code == 1
    assert "nothing to restore" in result.stderr


def test_restore_relinks_successor(ok, agency):
    new_id = int(ok("renew", agency["ana_bls"], "--issued", "2027-01-10").stdout)
    ok("delete", agency["ana_bls"], "--yes")
    ok("restore", agency["ana_bls"])
    report = json.loads(ok("show", "E100", "--format", "json").stdout)
    successor = next(entry for entry in report["certifications"]["BLS"] if entry["id"] == new_id)
    assert successor["previous_id"] == agency["ana_bls"]


def test_log_filters(ok, agency):
    ok("--actor", "lt.morales", "verify", agency["bo_bls"])
    by_actor = list(csv.DictReader(io.StringIO(ok("log", "--actor", "lt.morales", "--format", "csv").stdout)))
    assert [(row["action"], row["certification_id"]) for row in by_actor] == [("verify", str(agency["bo_bls"]))]
    by_person = {row["action"] for row in csv.DictReader(io.StringIO(
        ok("log", "--person", "E200", "--format", "csv").stdout))}
    assert by_person == {"person-add", "add", "verify"}
    since = ok("log", "--since", "2099-01-01", "--format", "csv", "--quiet-if-empty").stdout
    assert since == ""


def test_log_shows_before_and_after(ok, agency):
    ok("edit", agency["bo_bls"], "--number", "B-77")
    rows = list(csv.DictReader(io.StringIO(ok("log", "--record", agency["bo_bls"], "--action", "edit", "--format", "csv").stdout)))
    assert "number: None -> B-77" in rows[0]["changes"]


def test_audit_log_is_append_only(ok, agency, db_path):
    import sqlite3

    connection = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        connection.execute("DELETE FROM events")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        connection.execute("UPDATE events SET actor = 'x'")


def test_types_add_show_edit(ok, cli):
    ok("types", "add", "CPR", "Heartsaver CPR", "--validity", "months:24:eom", "--warning-days", "45",
       "--number-pattern", "[0-9]{7}", "--require", "number")
    shown = ok("types", "show", "cpr").stdout
    assert "24 months, through the end of the month" in shown
    assert "warning days: 45" in shown
    ok("types", "edit", "CPR", "--validity", "months:12", "--levels", "Adult,Child")
    assert "levels: Adult, Child" in ok("types", "show", "CPR").stdout
    bad = cli("types", "edit", "CPR", "--validity", "yearly")
    assert bad.exit_code == 1
    assert 'invalid validity rule "yearly"' in bad.stderr


def test_types_add_duplicate_is_an_error(cli):
    result = cli("types", "add", "BLS", "Again")
    assert result.exit_code == 1
    assert 'type "BLS" already exists' in result.stderr


def test_check_findings(ok, cli, agency):
    ok("add", "E100", "BLS", "--issued", "2027-01-31", "--number", "0123999")
    ok("add", "E200", "NREMT", "--issued", "2025-05-10", "--level", "EMT", "--number", "M0123456",
       "--state", "OH", "--allow-incomplete")
    ok("add", "E300", "ACLS", "--issued", "2025-03-03", "--expires", "2027-06-30")
    result = cli("check", "--format", "csv")
    assert result.exit_code == 3, result.stderr
    findings = {(row["record_id"], row["finding"]) for row in csv.DictReader(io.StringIO(result.stdout))}
    ids = [int(value) for value in ok("list", "--history", "--format", "quiet", "--sort", "id").stdout.split()]
    assert findings == {
        (str(ids[3]), "issued on the previous expiration"),
        (str(ids[3]), "issued in the future"),
        (str(ids[4]), "missing city"),
        (str(ids[4]), "number on two people"),
        (str(ids[5]), "cycle too long"),
    }


def test_check_clean_database_exits_0(cli, agency):
    result = cli("check", "--integrity")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "No findings" in result.stderr


def test_check_integrity_compares_current_records_with_a_ranking(ok, cli, agency, db_path):
    """current_records is derived from the records; --integrity reports a row that disagrees."""
    import sqlite3

    ids = [int(value) for value in ok("list", "--format", "quiet", "--sort", "id").stdout.split()]
    with sqlite3.connect(db_path) as conn:
        conn.execute("DELETE FROM current_records WHERE certification_id = ?", (ids[0],))
        conn.execute("UPDATE current_records SET expires = '2099-01-01' WHERE certification_id = ?", (ids[1],))
    conn.close()

    result = cli("check", "--integrity", "--format", "csv")

    assert result.exit_code == 3, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {(row["record_id"], row["finding"]) for row in rows} == {(str(ids[0]), "current record"),
                                                                     (str(ids[1]), "current record")}
    details = {row["record_id"]: row["detail"] for row in rows}
    assert "but the latest by expiration is" in details[str(ids[0])]
    assert "is current with expiration 2099-01-01 stored" in details[str(ids[1])]
    assert all(row["person"] for row in rows)


def test_check_on_example_agency_reports_planted_errors(ok, cli):
    from conftest import REPO

    ok("people", "import", REPO / "examples" / "people.csv")
    ok("import", REPO / "examples" / "certifications.csv")
    ok("import", REPO / "examples" / "legacy-records.csv", "--allow-incomplete")
    result = cli("check", "--integrity", "--format", "csv")
    assert result.exit_code == 3, result.stderr
    findings = [(row["person"].split(" (")[0], row["type"], row["finding"])
                for row in csv.DictReader(io.StringIO(result.stdout))]
    assert findings == [
        ("Underwood, Andrés", "BLS", "issued on the previous expiration"),
        ("Acosta, Gideon", "STATE_EMS", "number on two people"),
        ("Juárez, Rafael", "NREMT", "missing city"),
    ]


def test_log_of_person_and_record_includes_their_import(ok, agency, tmp_path):
    """A record added by `import` shows that import in `log --record` and `log --person`."""
    source = tmp_path / "cards.csv"
    source.write_text("employee_id,type,issued,expires\nE300,ACLS,2026-01-05,2028-01-31\n", encoding="utf-8")
    ok("import", source)
    imported = json.loads(ok("list", "--person", "E300", "--format", "json").stdout)
    record_id = next(row["id"] for row in imported if row["type"] == "ACLS")

    by_record = list(csv.DictReader(io.StringIO(ok("log", "--record", record_id, "--format", "csv").stdout)))
    assert [row["action"] for row in by_record] == ["import"]
    by_person = [row["action"] for row in csv.DictReader(io.StringIO(
        ok("log", "--person", "E300", "--format", "csv").stdout))]
    assert by_person == ["person-add", "import"]
    others = [row["action"] for row in csv.DictReader(io.StringIO(
        ok("log", "--person", "E200", "--format", "csv").stdout))]
    assert "import" not in others
