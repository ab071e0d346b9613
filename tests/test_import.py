"""`certcli import` and `certcli people import`: the bulk import contract.

The contract: all or nothing by default, `--skip-invalid` with a reject file, `--dry-run`,
harmless re-runs, and absent columns and empty cells that never clear stored values. People
are found by key or by exact name, or created. The input files are the kinds that break
importers: serial dates in 1900 and 1904 workbooks, phantom rows, wrong sheet dimensions,
byte-order marks, semicolons, legacy encodings, CRLF and quoted line breaks.

Most tests run in-process on a copy of one station database built once per module.
"""

import csv
import io
import re
import shutil
import sqlite3
import time
import zipfile

import pytest
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from typer.testing import CliRunner

from certcli.cli import app

TODAY = "2026-12-04"
SUMMARY = re.compile(r"(\d+) (?:added|would add), (\d+) (?:would be )?updated, (\d+) unchanged, (\d+) rejected")
# A note with a comma, quotes and a line break: the CSV writer must quote it, and the
# reader must keep it as one cell.
TRICKY_NOTE = 'Card scanned, "front" only\nback page missing'


def build_station(ok) -> dict[str, int]:
    """Add six people and records with history, verification, leading zeros, month ends and notes."""
    ok("people", "add", "Ana", "Test", "--email", "ana@example.org", "--employee-id", "E100", "-g", "Station 1")
    ok("people", "add", "Bo", "Demo", "--email", "bo@example.org", "--employee-id", "E200", "-g", "Station 2")
    ok("people", "add", "Cy", "Sample", "--employee-id", "E300")
    ok("people", "add", "John", "Smith", "--employee-id", "E401")
    ok("people", "add", "John", "Smith", "--employee-id", "E402")
    ok("people", "add", "Éloïse", "Exemple", "--employee-id", "E500")
    ids = {}

    def add(name, *args):
        ids[name] = int(ok(*args).stdout)

    add("ana_nremt_old", "add", "E100", "NREMT", "--level", "Paramedic", "--number", "M0123456", "--state", "OH",
        "--city", "Columbus", "--issued", "2023-04-01", "--expires", "2025-03-31")
    ok("verify", ids["ana_nremt_old"])
    add("ana_nremt", "renew", ids["ana_nremt_old"], "--issued", "2025-03-15", "--expires", "2027-03-31")
    add("ana_bls", "add", "E100", "BLS", "--number", "0012345", "--issued", "2025-01-10", "--expires", "2027-01-31",
        "--notes", TRICKY_NOTE)
    ok("verify", ids["ana_bls"])
    add("bo_bls_old", "add", "E200", "BLS", "--number", "000001", "--issued", "2024-02-29", "--expires", "2026-02-28")
    add("bo_bls", "renew", ids["bo_bls_old"], "--issued", "2026-02-10", "--expires", "2028-02-29")
    add("cy_acls", "add", "E300", "ACLS", "--issued", "2025-06-01", "--expires", "2027-06-30",
        "--notes", "=SUM(A1), see card")
    return ids


@pytest.fixture(scope="module")
def station_template(tmp_path_factory):
    """Build the station database once per module; tests get a copy."""
    path = tmp_path_factory.mktemp("station") / "template.db"
    runner = CliRunner()
    environment = {"CERTCLI_DB": str(path), "CERTCLI_TODAY": TODAY, "CERTCLI_ACTOR": "tester"}

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


def query(db_path, sql: str, *parameters) -> list[tuple]:
    connection = sqlite3.connect(db_path)
    try:
        return connection.execute(sql, parameters).fetchall()
    finally:
        connection.close()


def record_count(db_path) -> int:
    return query(db_path, "SELECT count(*) FROM certifications")[0][0]


def record_of(db_path, record_id: int) -> dict:
    connection = sqlite3.connect(db_path)
    connection.row_factory = sqlite3.Row
    try:
        return dict(connection.execute("SELECT * FROM certifications WHERE id = ?", (record_id,)).fetchone())
    finally:
        connection.close()


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def summary_of(result) -> tuple[int, int, int, int]:
    """Return (added, updated, unchanged, rejected) from the summary line on stderr."""
    found = SUMMARY.search(result.stderr)
    assert found, result.stderr
    return tuple(int(value) for value in found.groups())


def bls_expires(db_path, person: str) -> dict[str, str]:
    """Return {number: expires} of the person's BLS records."""
    rows = query(db_path, "SELECT c.number, c.expires FROM certifications c JOIN people p ON p.id = c.person_id"
                 " WHERE p.employee_id = ? AND c.type_code = 'BLS'", person)
    return dict(rows)


def holder_of(db_path, number: str) -> list[str]:
    """Return the employee id of each record with `number`."""
    return [row[0] for row in query(db_path, "SELECT p.employee_id FROM certifications c JOIN people p"
                                    " ON p.id = c.person_id WHERE c.number = ?", number)]


def write_lines(path, lines: list[str], newline: str = "\n") -> None:
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))


def write_workbook(path, rows: list[list], epoch=None) -> None:
    workbook = Workbook()
    if epoch is not None:
        workbook.epoch = epoch
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)


def with_dimension(source, target, reference: str) -> None:
    """Copy a workbook, rewriting the first sheet's stored dimension to `reference`."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for name in original.namelist():
            data = original.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data, count = re.subn(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{reference}"/>'.encode(), data)
                assert count == 1, "the sheet has no <dimension> element to rewrite"
            copy.writestr(name, data)


# -- serial dates use the workbook's own epoch ----------------------------------------------


@pytest.mark.parametrize("epoch, serial", [(None, 46477), (CALENDAR_MAC_1904, 45015)], ids=["1900", "1904"])
def test_xlsx_serial_date_uses_epoch(cli, station, db_path, tmp_path, epoch, serial):
    source = tmp_path / "serial.xlsx"
    write_workbook(source, [["employee_id", "type", "number", "issued", "expires"],
                            ["E300", "BLS", "S1", "2025-01-10", serial]], epoch)

    result = cli("import", source)

    assert result.exit_code == 0, result.stderr
    assert bls_expires(db_path, "E300")["S1"] == "2027-03-31"


# -- phantom rows and wrong sheet dimensions ------------------------------------------------


@pytest.fixture
def phantom_workbook(tmp_path):
    """Three data rows, a row of spaces, and a bold but empty cell at row 50,000."""
    path = tmp_path / "phantom.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["employee_id", "type", "number", "issued", "expires"])
    for index in range(3):
        sheet.append(["E300", "BLS", f"P{index}", "2025-01-10", "2027-03-31"])
    sheet.append(["   ", " ", None, "  ", ""])
    sheet.cell(row=50_000, column=2).font = Font(bold=True)
    workbook.save(path)
    return path


def test_xlsx_phantom_rows_skipped(cli, station, phantom_workbook):
    started = time.perf_counter()
    result = cli("import", phantom_workbook)
    elapsed = time.perf_counter() - started

    assert result.exit_code == 0, result.stderr
    assert "3 added, 0 updated, 0 unchanged, 0 rejected" in result.stderr
    # A loose bound, far above the usual time, so only a reader that stalls on the empty rows fails it.
    assert elapsed < 5, f"import took {elapsed:.1f} s"


def test_xlsx_wrong_dimension_reads_all_rows(cli, station, phantom_workbook, tmp_path):
    source = tmp_path / "dimension-a1.xlsx"
    with_dimension(phantom_workbook, source, "A1")

    result = cli("import", source)

    assert result.exit_code == 0, result.stderr
    assert "3 added, 0 updated, 0 unchanged, 0 rejected" in result.stderr


# -- one date order per import --------------------------------------------------------------

MIXED_DATES = ["employee_id,type,number,issued,expires",
               "E300,BLS,D1,2025-01-10,03/04/2027",
               "E300,BLS,D2,2025-01-10,13/04/2027",
               "E300,BLS,D3,2025-01-10,2027-04-03"]


def test_us_dates_skip_day_first_row(cli, station, db_path, tmp_path):
    source = tmp_path / "mixed.csv"
    write_lines(source, MIXED_DATES)

    result = cli("import", source, "--skip-invalid")

    assert result.exit_code == 4, result.stderr
    assert 'Error: line 3, column expires: invalid expiration date "13/04/2027"' in result.stderr
    assert "--date-format" in result.stderr
    assert bls_expires(db_path, "E300") == {"D1": "2027-03-04", "D3": "2027-04-03"}


def test_dayfirst_keeps_iso_dates(cli, station, db_path, tmp_path):
    source = tmp_path / "mixed.csv"
    write_lines(source, MIXED_DATES)

    result = cli("import", source, "--dayfirst")

    assert result.exit_code == 0, result.stderr
    assert bls_expires(db_path, "E300") == {"D1": "2027-04-03", "D2": "2027-04-13", "D3": "2027-04-03"}


# -- absent columns and empty cells keep stored values --------------------------------------

# Ana's BLS row as stored (0012345, issued 2025-01-10), in files that do not give its notes.
REIMPORTS = {
    "absent-column": ["employee_id,type,number,issued,expires",
                      "E100,BLS,0012345,2025-01-10,2027-01-31",
                      "E200,ACLS,,2025-05-01,2027-05-31"],
    # csv.reader returns a short list for a row that ends early; another row has the notes cell.
    "short-row": ["employee_id,type,number,issued,expires,notes",
                  "E100,BLS,0012345,2025-01-10,2027-01-31",
                  "E200,ACLS,,2025-05-01,2027-05-31,new card"],
    "empty-cell": ["employee_id,type,number,issued,expires,notes",
                   "E100,BLS,0012345,2025-01-10,2027-01-31,",
                   "E200,ACLS,,2025-05-01,2027-05-31,new card"],
}


@pytest.mark.parametrize("layout", list(REIMPORTS))
def test_reimport_keeps_notes_and_verification(cli, station, db_path, tmp_path, layout):
    before = record_of(db_path, station["ana_bls"])
    source = tmp_path / "reimport.csv"
    write_lines(source, REIMPORTS[layout])

    result = cli("import", source)

    after = record_of(db_path, station["ana_bls"])
    assert result.exit_code == 0, result.stderr
    assert summary_of(result) == (1, 0, 1, 0)
    assert after["notes"] == TRICKY_NOTE
    assert after["verified_by"] == before["verified_by"]
    assert after["verified_at"] == before["verified_at"]
    assert after["updated_at"] == before["updated_at"]


def test_reimport_other_row_gets_notes(cli, station, db_path, tmp_path):
    source = tmp_path / "reimport.csv"
    write_lines(source, REIMPORTS["short-row"])

    result = cli("import", source)

    assert result.exit_code == 0, result.stderr
    assert query(db_path, "SELECT notes FROM certifications WHERE type_code = 'ACLS' AND person_id ="
                 " (SELECT id FROM people WHERE employee_id = 'E200')") == [("new card",)]


def test_reimport_changed_notes_keep_verification(cli, station, db_path, tmp_path):
    before = record_of(db_path, station["ana_bls"])
    source = tmp_path / "reimport.csv"
    write_lines(source, ["employee_id,type,number,issued,notes", "E100,BLS,0012345,2025-01-10,seen again"])

    result = cli("import", source)

    after = record_of(db_path, station["ana_bls"])
    assert result.exit_code == 0, result.stderr
    assert summary_of(result) == (0, 1, 0, 0)
    assert after["notes"] == "seen again"
    assert after["verified_by"] == before["verified_by"]


# -- unknown and duplicate headers ----------------------------------------------------------


def certification_columns(db_path) -> list[tuple]:
    return query(db_path, "PRAGMA table_info(certifications)")


@pytest.fixture
def misspelled_header(tmp_path):
    source = tmp_path / "misspelled.csv"
    write_lines(source, ["employee_id,type,number,issued,Expiration Dt", "E300,BLS,H1,2025-01-10,2027-03-31"])
    return source


def test_unknown_header_rejected(cli, station, db_path, db_dump, misspelled_header):
    before, columns = db_dump(), certification_columns(db_path)

    result = cli("import", misspelled_header)

    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith('Error: unknown column(s): "Expiration Dt". Rename them, or map them with --map')
    assert certification_columns(db_path) == columns
    assert db_dump() == before


def test_map_option_reads_unknown_header(cli, station, db_path, misspelled_header):
    result = cli("import", misspelled_header, "--map", "Expiration Dt=expires")

    assert result.exit_code == 0, result.stderr
    assert bls_expires(db_path, "E300") == {"H1": "2027-03-31"}


def test_duplicate_headers_rejected(cli, station, db_dump, tmp_path):
    source = tmp_path / "duplicate.csv"
    write_lines(source, ["employee_id,type,number,issued,Expires,Expiration Date",
                         "E300,BLS,H1,2025-01-10,2027-03-31,2027-03-31"])
    before = db_dump()

    result = cli("import", source)

    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith('Error: columns "Expires" and "Expiration Date" both mean expires.')
    assert db_dump() == before


# -- all or nothing, --skip-invalid, --dry-run ----------------------------------------------


@pytest.fixture
def one_bad_row(tmp_path):
    source = tmp_path / "records.csv"
    write_lines(source, ["employee_id,type,number,issued,expires",
                         "E300,BLS,R1,2025-01-10,2027-01-31",
                         "E300,BLS,R2,2025-01-10,31/02/2027",
                         "E300,BLS,R3,2025-01-10,2027-03-31"])
    return source


def test_invalid_row_fails_whole_import(cli, station, db_dump, one_bad_row):
    before = db_dump()

    result = cli("import", one_bad_row)

    assert result.exit_code == 1, result.stderr
    assert 'Error: line 3, column expires: invalid expiration date "31/02/2027"' in result.stderr
    assert "nothing was imported" in result.stderr
    assert db_dump() == before


def test_skip_invalid_writes_valid_rows(cli, station, db_path, one_bad_row):
    result = cli("import", one_bad_row, "--skip-invalid")

    assert result.exit_code == 4, result.stderr
    assert sorted(bls_expires(db_path, "E300")) == ["R1", "R3"]


def test_skip_invalid_reject_file(cli, station, one_bad_row):
    result = cli("import", one_bad_row, "--skip-invalid")

    rejected = csv_rows((one_bad_row.parent / "records.csv.rejects.csv").read_text(encoding="utf-8"))
    assert result.exit_code == 4, result.stderr
    assert [row["number"] for row in rejected] == ["R2"]
    assert rejected[0]["line"] == "3"
    assert rejected[0]["error"].startswith('line 3, column expires: invalid expiration date "31/02/2027"')


def test_rejects_option_names_reject_file(cli, station, one_bad_row, tmp_path):
    target = tmp_path / "bad-rows.csv"

    result = cli("import", one_bad_row, "--skip-invalid", "--rejects", target)

    assert result.exit_code == 4, result.stderr
    assert [row["number"] for row in csv_rows(target.read_text(encoding="utf-8"))] == ["R2"]


def test_unknown_option_is_usage_error(cli, station, db_dump, one_bad_row):
    before = db_dump()

    result = cli("import", one_bad_row, "--skip-invalids")

    assert result.exit_code == 2, result.stderr
    assert db_dump() == before


def test_dry_run_writes_nothing(cli, station, db_dump, tmp_path):
    source = tmp_path / "records.csv"
    write_lines(source, ["employee_id,type,number,issued", "E300,BLS,R1,2025-01-10", "E200,ACLS,,2025-05-01"])
    before = db_dump()

    result = cli("import", source, "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert "Dry run, nothing written: 2 would add, 0 would be updated, 0 unchanged, 0 rejected" in result.stderr
    assert db_dump() == before


# -- 500 rows, three of them invalid --------------------------------------------------------

BAD_LINES = {101: "2027-02-30", 250: "TBD", 499: "13/31/2027"}


@pytest.fixture
def five_hundred_rows(tmp_path):
    """500 BLS records for three people; the rows on BAD_LINES have invalid expiration dates."""
    source = tmp_path / "five-hundred.csv"
    lines = ["employee_id,type,number,issued,expires"]
    for index in range(500):
        line = index + 2
        lines.append(f"E{(index % 3 + 1) * 100},BLS,B{index:04d},2025-01-10,{BAD_LINES.get(line, '2027-01-31')}")
    write_lines(source, lines)
    return source


def test_large_file_reports_all_rows(cli, station, db_dump, five_hundred_rows):
    before = db_dump()

    result = cli("import", five_hundred_rows)

    assert result.exit_code == 1, result.stderr
    for line, value in BAD_LINES.items():
        assert f'Error: line {line}, column expires: invalid expiration date "{value}"' in result.stderr
    assert "3 invalid row(s)" in result.stderr
    assert db_dump() == before


def test_large_file_skip_invalid(cli, station, db_path, five_hundred_rows):
    count = record_count(db_path)

    result = cli("import", five_hundred_rows, "--skip-invalid")

    rejected = csv_rows((five_hundred_rows.parent / "five-hundred.csv.rejects.csv").read_text(encoding="utf-8"))
    assert result.exit_code == 4, result.stderr
    assert summary_of(result) == (497, 0, 0, 3)
    assert record_count(db_path) == count + 497
    assert [int(row["line"]) for row in rejected] == list(BAD_LINES)


def test_rerun_adds_nothing(cli, station, db_path, tmp_path):
    source = tmp_path / "records.csv"
    write_lines(source, ["employee_id,type,number,issued,expires,notes",
                         "E300,BLS,R1,2025-01-10,2027-01-31,first",
                         "E300,BLS,R2,2024-01-10,2026-01-31,",
                         "E200,ACLS,,2025-05-01,2027-05-31,x"])
    first = cli("import", source)
    count = record_count(db_path)

    second = cli("import", source)

    assert first.exit_code == 0, first.stderr
    assert second.exit_code == 0, second.stderr
    assert "0 added, 0 updated, 3 unchanged, 0 rejected" in second.stderr
    assert record_count(db_path) == count


# -- export, then import into an empty database ---------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_import_round_trip(ok, station, tmp_path, suffix):
    exported = tmp_path / f"records{suffix}"
    roster = tmp_path / "people.csv"
    other_db = tmp_path / "other.db"
    ok("export", "--history", "-o", exported)
    roster.write_text(ok("people", "list", "--include-inactive", "--format", "csv").stdout, encoding="utf-8")

    ok("--db", other_db, "people", "import", roster)
    result = ok("--db", other_db, "import", exported, "--create-people")

    def listed(*database):
        rows = csv_rows(ok(*database, "list", "--history", "--format", "csv").stdout)
        return [{name: value for name, value in row.items() if name != "id"} for row in rows]

    original = listed()
    assert summary_of(result) == (len(original), 0, 0, 0)
    assert listed("--db", other_db) == original


def test_people_round_trip(ok, station, tmp_path):
    roster = tmp_path / "people.csv"
    other_db = tmp_path / "other.db"
    roster.write_text(ok("people", "list", "--include-inactive", "--format", "csv").stdout, encoding="utf-8")

    ok("--db", other_db, "people", "import", roster)

    def listed(*database):
        rows = csv_rows(ok(*database, "people", "list", "--include-inactive", "--format", "csv").stdout)
        return [{name: value for name, value in row.items() if name != "id"} for row in rows]

    assert listed("--db", other_db) == listed()


# -- file encodings and layouts -------------------------------------------------------------


def test_numeric_number_cell_stored_as_text(cli, station, db_path, tmp_path):
    source = tmp_path / "numeric.xlsx"
    write_workbook(source, [["employee_id", "type", "issued", "number"], ["E300", "BLS", "2025-01-10", 123456.0]])

    result = cli("import", source)

    assert result.exit_code == 0, result.stderr
    assert "row 2: number is a numeric cell (123456); leading zeros may already be lost" in result.stderr
    assert query(db_path, "SELECT number, typeof(number) FROM certifications WHERE number LIKE '123456%'") == [
        ("123456", "text")]


def test_bom_first_header_matched(cli, station, db_path, tmp_path):
    source = tmp_path / "excel-utf8.csv"
    source.write_bytes(b"\xef\xbb\xbf" + "Employee ID,Type,Number,Issued,Expires\r\n"
                       "E300,BLS,M0123456,2025-01-10,2027-03-31\r\n".encode("utf-8"))

    result = cli("import", source)

    assert result.exit_code == 0, result.stderr
    assert summary_of(result) == (1, 0, 0, 0)
    assert bls_expires(db_path, "E300") == {"M0123456": "2027-03-31"}


SEMICOLON_LINES = ["name;type;number;issued;expires", "Éloïse Exemple;BLS;0123456;10/01/2025;31/03/2027"]


@pytest.mark.parametrize("options", [[], ["--delimiter", ";"]], ids=["sniffed", "option"])
def test_semicolon_file_imported(cli, station, db_path, tmp_path, options):
    source = tmp_path / "semicolon.csv"
    write_lines(source, SEMICOLON_LINES, "\r\n")

    result = cli("import", source, "--dayfirst", *options)

    assert result.exit_code == 0, result.stderr
    assert bls_expires(db_path, "E500") == {"0123456": "2027-03-31"}


def test_semicolon_file_read_with_comma(cli, station, db_dump, tmp_path):
    source = tmp_path / "semicolon.csv"
    write_lines(source, SEMICOLON_LINES, "\r\n")
    before = db_dump()

    result = cli("import", source, "--delimiter", ",", "--dayfirst")

    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith(f'Error: "{source}" looks semicolon-delimited (header "name;type;')
    assert "--delimiter ';'" in result.stderr
    assert db_dump() == before


# Physical lines: 1 header, 2 good, 3 comma-only, 4 empty, 5-6 a quoted two-line note, 7 a bad date.
RAGGED_LINES = ["employee_id,type,number,issued,expires,notes",
                "E300,BLS,G1,2025-01-10,2027-01-31,good",
                ",,,,,",
                "",
                'E300,BLS,G2,2025-01-10,2027-01-31,"line1\r\nline2"',
                "E300,BLS,G3,2025-01-10,2027-02-30,bad date"]


def test_bad_date_cites_physical_line(cli, station, tmp_path):
    source = tmp_path / "ragged.csv"
    write_lines(source, RAGGED_LINES, "\r\n")

    result = cli("import", source)

    assert result.exit_code == 1, result.stderr
    assert 'Error: line 7, column expires: invalid expiration date "2027-02-30"' in result.stderr
    assert "1 invalid row(s)" in result.stderr


def test_quoted_line_break_kept(cli, station, db_path, tmp_path):
    source = tmp_path / "ragged.csv"
    write_lines(source, RAGGED_LINES, "\r\n")

    result = cli("import", source, "--skip-invalid")

    assert result.exit_code == 4, result.stderr
    assert summary_of(result) == (2, 0, 0, 1)
    assert query(db_path, "SELECT notes FROM certifications WHERE number = 'G2'") == [("line1\r\nline2",)]


CP1252_LINES = ["employee_id,type,number,issued,notes", "E300,BLS,C1,2025-01-10,café card – renewed"]


def test_cp1252_file_needs_encoding(cli, station, db_dump, tmp_path):
    source = tmp_path / "windows.csv"
    source.write_bytes("\r\n".join(CP1252_LINES).encode("cp1252"))
    before = db_dump()

    result = cli("import", source)

    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith(f'Error: cannot read "{source}" as UTF-8: invalid byte 0xe9 on line 2.')
    assert "--encoding cp1252" in result.stderr
    assert db_dump() == before


def test_cp1252_file_with_encoding(cli, station, db_path, tmp_path):
    source = tmp_path / "windows.csv"
    source.write_bytes("\r\n".join(CP1252_LINES).encode("cp1252"))

    result = cli("import", source, "--encoding", "cp1252")

    assert result.exit_code == 0, result.stderr
    assert query(db_path, "SELECT notes FROM certifications WHERE number = 'C1'") == [("café card – renewed",)]


def test_utf16_unicode_text_file(cli, station, db_path, tmp_path):
    """Excel's "Unicode Text": UTF-16 with a byte-order mark, tab-delimited."""
    source = tmp_path / "unicode.txt"
    source.write_bytes("\r\n".join(line.replace(",", "\t") for line in CP1252_LINES).encode("utf-16"))

    result = cli("import", source)

    assert result.exit_code == 0, result.stderr
    assert query(db_path, "SELECT notes FROM certifications WHERE number = 'C1'") == [("café card – renewed",)]


def test_utf16_without_mark_needs_encoding(cli, station, db_path, tmp_path):
    source = tmp_path / "unicode.csv"
    source.write_bytes("\r\n".join(CP1252_LINES).encode("utf-16-le"))

    rejected = cli("import", source)
    assert rejected.exit_code == 1
    assert "--encoding utf-16" in rejected.stderr

    result = cli("import", source, "--encoding", "utf-16-le")
    assert result.exit_code == 0, result.stderr
    assert query(db_path, "SELECT count(*) FROM certifications WHERE number = 'C1'") == [(1,)]


def test_import_from_stdin(cli, station, db_path):
    result = cli("import", "-", input="employee_id,type,number,issued\nE300,BLS,0000042,2025-01-10\n")

    assert result.exit_code == 0, result.stderr
    assert bls_expires(db_path, "E300") == {"0000042": "2027-01-31"}


# -- finding and creating people ------------------------------------------------------------

NEW_PERSON = ["employee_id,first_name,last_name,type,number,issued", "E777,Zoe,Newman,BLS,Z1,2025-01-10"]


def test_create_people_adds_person(cli, station, db_path, tmp_path):
    source = tmp_path / "new.csv"
    write_lines(source, NEW_PERSON)

    result = cli("import", source, "--create-people")

    assert result.exit_code == 0, result.stderr
    assert "1 added, 0 updated, 0 unchanged, 0 rejected; 1 people added" in result.stderr
    assert query(db_path, "SELECT first_name, last_name FROM people WHERE employee_id = 'E777'") == [("Zoe", "Newman")]
    assert list(bls_expires(db_path, "E777")) == ["Z1"]


def test_rejected_row_creates_no_person(cli, station, db_path, tmp_path):
    source = tmp_path / "new.csv"
    write_lines(source, NEW_PERSON + ["E888,Yan,Rejected,BLS,Y1,2025-13-01"])

    result = cli("import", source, "--create-people", "--skip-invalid")

    assert result.exit_code == 4, result.stderr
    assert "1 added, 0 updated, 0 unchanged, 1 rejected; 1 people added" in result.stderr
    assert query(db_path, "SELECT count(*) FROM people WHERE employee_id = 'E888'") == [(0,)]


def test_unknown_person_suggests_create_people(cli, station, db_dump, tmp_path):
    source = tmp_path / "new.csv"
    write_lines(source, NEW_PERSON)
    before = db_dump()

    result = cli("import", source)

    assert result.exit_code == 1, result.stderr
    assert ('Error: line 2, column employee_id: no person with employee id "E777". '
            "Add them first, or pass --create-people") in result.stderr
    assert db_dump() == before


def test_ambiguous_name_lists_candidates(cli, station, db_dump, tmp_path):
    source = tmp_path / "smith.csv"
    write_lines(source, ["name,type,number,issued", "John Smith,BLS,S1,2025-01-10"])
    before = db_dump()

    result = cli("import", source, "--create-people")

    assert result.exit_code == 1, result.stderr
    assert '"John Smith" matches 2 people' in result.stderr
    assert "John Smith (E401)" in result.stderr
    assert "John Smith (E402)" in result.stderr
    assert db_dump() == before


def test_name_found_by_comma_form(cli, station, db_path, tmp_path):
    source = tmp_path / "names.csv"
    write_lines(source, ["name,type,number,issued", '"Demo, Bo",BLS,N1,2025-01-10'])

    result = cli("import", source)

    assert result.exit_code == 0, result.stderr
    assert holder_of(db_path, "N1") == ["E200"]


@pytest.mark.parametrize("first, last", [("John", "Smit"), ("Ana", "Tes"), ("An", "Test")])
def test_name_matches_whole_name_only(cli, station, db_path, tmp_path, first, last):
    source = tmp_path / "names.csv"
    write_lines(source, ["first_name,last_name,type,number,issued", f"{first},{last},BLS,P1,2025-01-10"])

    result = cli("import", source, "--create-people")

    assert result.exit_code == 0, result.stderr
    assert query(db_path, "SELECT p.first_name, p.last_name FROM certifications c JOIN people p"
                 " ON p.id = c.person_id WHERE c.number = 'P1'") == [(first, last)]


# -- people import --------------------------------------------------------------------------

ROSTER = ["first_name,last_name,email,employee_id,groups,active",
          "Di,Roster,di@example.org,E600,Station 1;A Shift,yes",
          "Ed,Gone,ed@example.org,E700,Station 2,no"]


def people_rows(ok) -> dict[str, dict]:
    rows = csv_rows(ok("people", "list", "--include-inactive", "--format", "csv").stdout)
    return {row["employee_id"]: row for row in rows}


def test_people_import_roster(ok, station, tmp_path):
    source = tmp_path / "roster.csv"
    write_lines(source, ROSTER)

    result = ok("people", "import", source)

    people = people_rows(ok)
    assert summary_of(result) == (2, 0, 0, 0)
    assert people["E600"]["groups"] == "A Shift; Station 1"
    assert people["E600"]["active"] == "yes"
    assert people["E700"]["active"] == "no"


def test_people_import_rerun_unchanged(ok, station, db_dump, tmp_path):
    source = tmp_path / "roster.csv"
    write_lines(source, ROSTER)
    ok("people", "import", source)
    before = db_dump()

    result = ok("people", "import", source)

    assert summary_of(result) == (0, 0, 2, 0)
    assert db_dump() == before


def test_people_import_updates_email(ok, station, tmp_path):
    source = tmp_path / "roster.csv"
    write_lines(source, ["first_name,last_name,email,employee_id", "Ana,Test,ana.test@example.org,E100"])

    result = ok("people", "import", source)

    assert summary_of(result) == (0, 1, 0, 0)
    assert people_rows(ok)["E100"]["email"] == "ana.test@example.org"


# -- the installed command in a real process ------------------------------------------------


def test_process_summary_on_stderr(run_certcli, station, tmp_path):
    source = tmp_path / "records.csv"
    write_lines(source, ["employee_id,type,number,issued", "E300,BLS,R1,2025-01-10", "E200,ACLS,,2025-05-01"])

    completed = run_certcli("import", source)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == ""
    assert completed.stderr.splitlines()[-1] == "2 added, 0 updated, 0 unchanged, 0 rejected"


def test_process_exit_codes(run_certcli, station, one_bad_row):
    strict = run_certcli("import", one_bad_row)
    partial = run_certcli("import", one_bad_row, "--skip-invalid")

    assert strict.returncode == 1, strict.stderr
    assert partial.returncode == 4, partial.stderr
    assert strict.stdout == ""
    assert partial.stdout == ""


def test_round_trip_keeps_incomplete_legacy_record(cli, ok, station, tmp_path):
    """A stored NREMT record without a city (legacy data) exports and imports back unchanged."""
    ok("add", "E300", "NREMT", "--level", "EMT", "--number", "E7654321", "--state", "OH", "--issued", "2025-02-01",
       "--allow-incomplete")
    exported = tmp_path / "all.csv"
    ok("export", "--history", "--include-inactive", "-o", exported)

    result = cli("import", exported)
    assert result.exit_code == 0, result.stderr
    added, updated, unchanged, rejected = map(int, SUMMARY.search(result.stderr).groups())
    assert (added, updated, rejected) == (0, 0, 0)
    assert unchanged == len(csv_rows(exported.read_text(encoding="utf-8-sig")))
    assert "stored without it" not in result.stderr


def test_row_naming_stored_record_needs_no_required_columns(cli, station, db_path, tmp_path):
    """A file without level, state and city columns may still update a stored NREMT record."""
    source = tmp_path / "expires.csv"
    source.write_text("employee_id,type,number,issued,expires\nE100,NREMT,M0123456,2025-03-15,2027-06-30\n",
                      encoding="utf-8")
    result = cli("import", source)
    assert result.exit_code == 0, result.stderr
    assert SUMMARY.search(result.stderr).groups() == ("0", "1", "0", "0")
    assert query(db_path, "SELECT expires FROM certifications WHERE number = 'M0123456' AND issued = '2025-03-15'") \
        == [("2027-06-30",)]

    new_card = tmp_path / "new.csv"
    new_card.write_text("employee_id,type,number,issued\nE100,NREMT,M0999999,2026-04-01\n", encoding="utf-8")
    rejected = cli("import", new_card)
    assert rejected.exit_code == 1
    assert "column level: NREMT requires level" in rejected.stderr


def test_reimported_reject_file_keeps_one_error_column(cli, station, one_bad_row, tmp_path):
    """Importing a reject file again replaces its line and error columns instead of adding more."""
    cli("import", one_bad_row, "--skip-invalid")
    first_rejects = one_bad_row.parent / "records.csv.rejects.csv"
    second_rejects = tmp_path / "again.csv"

    result = cli("import", first_rejects, "--skip-invalid", "--rejects", second_rejects)

    assert result.exit_code == 4, result.stderr
    header = second_rejects.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header.count("line") == 1
    assert header.count("error") == 1
    assert header[-2:] == ["line", "error"]
    assert csv_rows(second_rejects.read_text(encoding="utf-8"))[0]["line"] == "2"


def test_spaces_around_person_columns_are_ignored(cli, station, db_path, tmp_path):
    source = tmp_path / "spaces.csv"
    source.write_text('employee_id,first_name,last_name,type,issued,expires\n" E100 ", Ana , Test ,ACLS,'
                      "2026-01-05,2028-01-31\n", encoding="utf-8")

    result = cli("import", source, "--create-people")

    assert result.exit_code == 0, result.stderr
    assert query(db_path, "SELECT p.employee_id FROM certifications c JOIN people p ON p.id = c.person_id"
                          " WHERE c.type_code = 'ACLS' AND c.issued = '2026-01-05'") == [("E100",)]


def test_people_import_reads_last_comma_first(ok, station, db_path, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text('name,employee_id\n"Doe, Jane",E900\n', encoding="utf-8")

    ok("people", "import", roster)

    assert query(db_path, "SELECT first_name, last_name FROM people WHERE employee_id = 'E900'") == [("Jane", "Doe")]


def test_dry_run_warnings_use_would(cli, station, tmp_path):
    """A dry run that changes a verified card's city reports that the verification would be cleared."""
    source = tmp_path / "level.csv"
    source.write_text("employee_id,type,number,issued,city\nE100,BLS,0012345,2025-01-10,Dayton\n",
                      encoding="utf-8")

    result = cli("import", source, "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert "0 would add, 1 would be updated" in result.stderr
    assert "would no longer be verified" in result.stderr
    assert "is no longer verified" not in result.stderr


def test_create_people_warns_about_namesake(cli, station, db_path, tmp_path):
    """A mistyped employee id with an existing member's name creates a person, with a warning."""
    source = tmp_path / "typo.csv"
    source.write_text("employee_id,first_name,last_name,type,issued,expires\n"
                      "E1000,Ana,Test,ACLS,2026-01-05,2028-01-31\n", encoding="utf-8")

    result = cli("import", source, "--create-people")

    assert result.exit_code == 0, result.stderr
    assert "line 2: added Ana Test as a new person, but #1 Ana Test (E100, ana@example.org) has the same name" \
        in result.stderr
    assert query(db_path, "SELECT count(*) FROM people WHERE first_name = 'Ana' AND last_name = 'Test'") == [(2,)]
