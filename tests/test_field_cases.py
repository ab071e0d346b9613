"""Inputs that broke other certification trackers: spreadsheets, month-only dates and garbage dates.

Each test builds its data through the CLI and reads the result back with the same tools a
user would: openpyxl for .xlsx files and the csv module for `list --format csv`.
"""

import csv
import io
import re
import zipfile
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook

TODAY = "2026-12-04"
HYPERLINK = '=HYPERLINK("http://x.invalid","open")'
BANNER_NOTE = "==== renewal pending ===="


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def sheet_rows(path, sheet: str = "Certifications") -> list[dict]:
    """Return the data rows of an exported sheet as {header: cell}."""
    rows = list(load_workbook(path)[sheet].iter_rows())
    headers = [cell.value for cell in rows[0]]
    return [dict(zip(headers, row)) for row in rows[1:]]


def as_csv_text(value) -> str:
    """Render a cell value the way `list --format csv` writes the same field."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


@pytest.fixture
def nremt_agency(ok):
    """Three people with NREMT records (numbers with leading letters) and other cards."""
    for first, last, employee_id in [("Ana", "Test", "E100"), ("Bo", "Demo", "E200"), ("Cy", "Sample", "E300")]:
        ok("people", "add", first, last, "--employee-id", employee_id)
    for employee_id, level, number, issued in [("E100", "Paramedic", "M0123456", "2025-05-10"),
                                               ("E200", "EMT", "E1234567", "2025-09-01"),
                                               ("E300", "EMR", "R9876543", "2024-02-20")]:
        ok("--today", TODAY, "add", employee_id, "NREMT", "--issued", issued, "--level", level, "--number", number,
           "--state", "OH", "--city", "Columbus")
    ok("--today", TODAY, "add", "E100", "BLS", "--issued", "2025-01-20", "--number", "0123456")
    ok("--today", TODAY, "add", "E200", "ICS-100", "--issued", "2019-04-01")


# -- export to .xlsx is the same view as list ------------------------------------------------


def test_export_xlsx_rows_match_list_csv(ok, nremt_agency, tmp_path):
    target = tmp_path / "out.xlsx"
    listed = csv_rows(ok("--today", TODAY, "list", "--type", "NREMT", "--format", "csv").stdout)

    ok("--today", TODAY, "export", "-o", target, "--type", "NREMT")

    exported = [{name: as_csv_text(cell.value) for name, cell in row.items()} for row in sheet_rows(target)]
    assert exported == listed


def test_export_xlsx_expiration_cells_are_dates(ok, nremt_agency, tmp_path):
    target = tmp_path / "out.xlsx"

    ok("--today", TODAY, "export", "-o", target, "--type", "NREMT")

    for row in sheet_rows(target):
        cell = row["expires"]
        assert cell.is_date, cell.value
        assert cell.value.time() == datetime.min.time()
        assert "h" not in cell.number_format.lower(), cell.number_format


def test_export_xlsx_nremt_numbers_text(ok, nremt_agency, tmp_path):
    target = tmp_path / "out.xlsx"

    ok("--today", TODAY, "export", "-o", target, "--type", "NREMT")

    numbers = [row["number"] for row in sheet_rows(target)]
    assert sorted(cell.value for cell in numbers) == ["E1234567", "M0123456", "R9876543"]
    assert {cell.data_type for cell in numbers} == {"s"}


def test_export_xlsx_has_no_formula_cell(ok, nremt_agency, tmp_path):
    target = tmp_path / "out.xlsx"

    ok("--today", TODAY, "export", "-o", target)

    workbook = load_workbook(target)
    formulas = [cell.coordinate for sheet in workbook for row in sheet.iter_rows() for cell in row
                if cell.data_type == "f"]
    assert formulas == []


# -- text that starts with "=" stays text ------------------------------------------------


@pytest.fixture
def formula_text(ok):
    """A person whose last name is a HYPERLINK formula and a record whose notes start with '='."""
    ok("people", "add", "Eve", HYPERLINK, "--employee-id", "E900")
    ok("--today", TODAY, "add", "E900", "BLS", "--issued", "2025-06-01", "--notes", BANNER_NOTE)


def test_export_xlsx_formula_text_is_text(ok, formula_text, tmp_path):
    target = tmp_path / "out.xlsx"

    ok("--today", TODAY, "export", "-o", target)

    row = sheet_rows(target)[0]
    assert row["last_name"].data_type == "s"
    assert row["notes"].data_type == "s"


def test_export_xlsx_formula_text_verbatim(ok, formula_text, tmp_path):
    target = tmp_path / "out.xlsx"

    ok("--today", TODAY, "export", "-o", target)

    row = sheet_rows(target)[0]
    assert row["last_name"].value == HYPERLINK
    assert row["notes"].value == BANNER_NOTE


def test_export_xlsx_xml_has_no_formula(ok, formula_text, tmp_path):
    target = tmp_path / "out.xlsx"

    ok("--today", TODAY, "export", "--person", "E900", "-o", target)

    with zipfile.ZipFile(target) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        xml = "".join(archive.read(name).decode("utf-8") for name in sheets)
    assert sheets
    assert re.search(r"<f[ >]", xml) is None


def test_export_xlsx_about_sheet_text_only(ok, formula_text, tmp_path):
    target = tmp_path / "out.xlsx"

    # A filter value that looks like a formula is written to the About sheet as text.
    ok("--today", TODAY, "export", "--person", HYPERLINK, "-o", target)

    about = load_workbook(target)["About"]
    cells = [cell for row in about.iter_rows() for cell in row if cell.value is not None]
    assert {cell.data_type for cell in cells} == {"s"}


# -- certification numbers stay text -------------------------------------------------------


@pytest.fixture
def zero_numbers(ok):
    ok("people", "add", "Ana", "Test", "--employee-id", "E100")
    ok("--today", TODAY, "add", "E100", "BLS", "--issued", "2025-06-01", "--number", "0123456")
    ok("--today", TODAY, "add", "E100", "ACLS", "--issued", "2025-06-01", "--number", "000001")
    ok("--today", TODAY, "add", "E100", "NREMT", "--issued", "2025-05-10", "--level", "EMT", "--number", "M0123456",
       "--state", "OH", "--city", "Columbus")


def test_export_xlsx_numbers_keep_leading_zeros(ok, zero_numbers, tmp_path):
    target = tmp_path / "out.xlsx"

    ok("--today", TODAY, "export", "-o", target)

    assert sorted(row["number"].value for row in sheet_rows(target)) == ["000001", "0123456", "M0123456"]


def test_export_xlsx_number_format_text(ok, zero_numbers, tmp_path):
    target = tmp_path / "out.xlsx"

    ok("--today", TODAY, "export", "-o", target)

    for row in sheet_rows(target):
        assert row["number"].data_type == "s"
        assert row["number"].number_format == "@"


def test_export_csv_numbers_keep_leading_zeros(ok, zero_numbers, tmp_path):
    target = tmp_path / "out.csv"

    ok("--today", TODAY, "export", "-o", target)

    rows = csv_rows(target.read_text(encoding="utf-8"))
    assert sorted(row["number"] for row in rows) == ["000001", "0123456", "M0123456"]


def write_workbook(path, rows: list[list]) -> None:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)


def test_import_numeric_number_cell_warns(ok, tmp_path):
    ok("people", "add", "Ana", "Test", "--employee-id", "E100")
    source = tmp_path / "numeric.xlsx"
    write_workbook(source, [["employee_id", "type", "issued", "number"], ["E100", "BLS", "2025-06-01", 123456]])

    result = ok("--today", TODAY, "import", source)

    assert "row 2" in result.stderr
    assert "leading zeros may already be lost" in result.stderr


def test_import_float_number_no_decimal(ok, tmp_path):
    ok("people", "add", "Ana", "Test", "--employee-id", "E100")
    source = tmp_path / "numeric.xlsx"
    write_workbook(source, [["employee_id", "type", "issued", "number"], ["E100", "BLS", "2025-06-01", 123456.0]])

    ok("--today", TODAY, "import", source)

    rows = csv_rows(ok("--today", TODAY, "list", "--format", "csv").stdout)
    assert [row["number"] for row in rows] == ["123456"]


# -- dates come back as dates, never with a time --------------------------------------------


def test_export_import_export_round_trip(ok, nremt_agency, tmp_path):
    first = tmp_path / "first.xlsx"
    second = tmp_path / "second.xlsx"
    other_db = tmp_path / "other.db"
    ok("--today", TODAY, "export", "-o", first)

    ok("--db", other_db, "--today", TODAY, "import", first, "--create-people")
    ok("--db", other_db, "--today", TODAY, "export", "-o", second)

    def values(path):
        return [{name: cell.value for name, cell in row.items() if name != "id"} for row in sheet_rows(path)]

    assert values(second) == values(first)


def test_import_of_export_stores_iso_dates(ok, nremt_agency, tmp_path):
    exported = tmp_path / "first.xlsx"
    other_db = tmp_path / "other.db"
    ok("--today", TODAY, "export", "-o", exported)

    ok("--db", other_db, "--today", TODAY, "import", exported, "--create-people")

    original = csv_rows(ok("--today", TODAY, "list", "--history", "--format", "csv").stdout)
    copied = csv_rows(ok("--db", other_db, "--today", TODAY, "list", "--history", "--format", "csv").stdout)
    assert sorted(row["expires"] for row in copied) == sorted(row["expires"] for row in original)
    assert all(re.fullmatch(r"(\d{4}-\d{2}-\d{2})?", row[name]) for row in copied for name in ("issued", "expires"))


# -- month-only dates never take today's day ------------------------------------------------

MONTH_ONLY = [("03/2027", "2027-03-31"), ("2027-03", "2027-03-31"), ("March 2027", "2027-03-31"),
              ("Feb 2027", "2027-02-28")]


@pytest.mark.parametrize("today", ["2026-12-04", "2027-01-31"])
def test_add_month_only_same_any_day(ok, today):
    ok("people", "add", "Ana", "Test", "--employee-id", "E100")
    for index, (text, _) in enumerate(MONTH_ONLY):
        ok("--today", today, "add", "E100", "BLS", "--issued", "2025-01-10", "--number", f"N{index}", "--expires", text)

    rows = csv_rows(ok("--today", today, "list", "--history", "--sort", "id", "--format", "csv").stdout)

    assert [row["expires"] for row in rows] == [expected for _, expected in MONTH_ONLY]


@pytest.mark.parametrize("today", ["2026-12-04", "2027-01-31"])
def test_import_month_only_same_any_day(ok, tmp_path, today):
    ok("people", "add", "Ana", "Test", "--employee-id", "E100")
    source = tmp_path / "months.csv"
    lines = ["employee_id,type,issued,number,expires"]
    lines += [f'E100,BLS,2025-01-10,N{index},"{text}"' for index, (text, _) in enumerate(MONTH_ONLY)]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")

    ok("--today", today, "import", source)

    rows = csv_rows(ok("--today", today, "list", "--history", "--sort", "id", "--format", "csv").stdout)
    assert [row["expires"] for row in rows] == [expected for _, expected in MONTH_ONLY]


# -- one explicit date order per import ----------------------------------------------------


def test_import_dayfirst_keeps_iso_dates(ok, tmp_path):
    ok("people", "add", "Ana", "Test", "--employee-id", "E100")
    source = tmp_path / "dayfirst.csv"
    source.write_text("employee_id,type,issued,number,expires\n"
                      "E100,BLS,2025-01-10,N1,03/04/2027\n"
                      "E100,BLS,2025-01-10,N2,13/04/2027\n"
                      "E100,BLS,2025-01-10,N3,2027-04-03\n", encoding="utf-8")

    ok("--today", TODAY, "import", source, "--date-format", "%d/%m/%Y")

    rows = csv_rows(ok("--today", TODAY, "list", "--history", "--sort", "id", "--format", "csv").stdout)
    assert [row["expires"] for row in rows] == ["2027-04-03", "2027-04-13", "2027-04-03"]


def test_import_us_order_rejects_day_first(cli, ok, tmp_path, db_dump):
    ok("people", "add", "Ana", "Test", "--employee-id", "E100")
    source = tmp_path / "mixed.csv"
    source.write_text("employee_id,type,issued,number,expires\n"
                      "E100,BLS,2025-01-10,N1,03/04/2027\n"
                      "E100,BLS,2025-01-10,N2,13/04/2027\n"
                      "E100,BLS,2025-01-10,N3,2027-04-03\n", encoding="utf-8")
    before = db_dump()

    result = cli("--today", TODAY, "import", source)

    assert result.exit_code == 1, result.output
    assert 'line 3, column expires: invalid expiration date "13/04/2027"' in result.stderr
    assert "--date-format" in result.stderr
    assert db_dump() == before


# -- garbage is never a date ----------------------------------------------------------------

GARBAGE = ["TBD", "N/A", "pending", "1A2B", "22-23 Feb", "exp soon"]


@pytest.fixture
def garbage_import(cli, ok, tmp_path, db_dump):
    """Import a CSV whose expiration cells are placeholders; return (result, dumps before and after)."""
    ok("people", "add", "Ana", "Test", "--employee-id", "E100")
    source = tmp_path / "garbage.csv"
    lines = ["employee_id,type,issued,number,expires"]
    lines += [f"E100,BLS,2025-01-10,N{index},{text}" for index, text in enumerate(GARBAGE)]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = db_dump()
    result = cli("--today", TODAY, "import", source)
    return result, before, db_dump()


def test_import_garbage_dates_exit_code(garbage_import):
    result, _, _ = garbage_import

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("line", "text"), [(index + 2, text) for index, text in enumerate(GARBAGE)])
def test_import_garbage_date_line_reported(garbage_import, line, text):
    result, _, _ = garbage_import

    assert f'Error: line {line}, column expires: invalid expiration date "{text}"' in result.stderr


def test_import_garbage_dates_store_nothing(garbage_import):
    _, before, after = garbage_import

    assert after == before


@pytest.mark.parametrize("text", GARBAGE)
def test_add_garbage_expiration_rejected(cli, ok, text):
    ok("people", "add", "Ana", "Test", "--employee-id", "E100")

    result = cli("--today", TODAY, "add", "E100", "BLS", "--issued", "2025-01-10", "--expires", text)

    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f'Error: invalid expiration date "{text}"')
