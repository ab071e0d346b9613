"""Exported spreadsheets: cell types, formulas, control characters, layout, and LibreOffice."""

import csv
import io
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from conftest import REPO

SOFFICE = shutil.which("soffice")


def load_sheet(path: Path, title: str = "Certifications"):
    workbook = openpyxl.load_workbook(path)
    return workbook, workbook[title]


def rows_of(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_export_header_is_bold_frozen_and_filterable(ok, agency, tmp_path):
    target = tmp_path / "out.xlsx"
    ok("export", "-o", target)
    _, sheet = load_sheet(target)
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:Q4"


def test_export_dates_are_date_cells_without_time(ok, agency, tmp_path):
    target = tmp_path / "out.xlsx"
    ok("export", "-o", target)
    _, sheet = load_sheet(target)
    header = [cell.value for cell in sheet[1]]
    expires = [row[header.index("expires")] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.is_date for cell in expires)
    assert all("h" not in cell.number_format for cell in expires)
    assert {cell.value for cell in expires} == {datetime(2027, 3, 31), datetime(2027, 1, 31), datetime(2026, 11, 30)}


def test_export_numbers_are_text_cells(ok, agency, tmp_path):
    target = tmp_path / "out.xlsx"
    ok("export", "-o", target, "--sort", "id")
    _, sheet = load_sheet(target)
    header = [cell.value for cell in sheet[1]]
    numbers = [row[header.index("number")] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in numbers[:2]] == ["M0123456", "0123456"]
    assert all(cell.data_type == "s" and cell.number_format == "@" for cell in numbers[:2])


def test_export_number_cells_keep_each_value(ok, tmp_path):
    """Numbers that look like a formula or hold a control character stay text, row after row."""
    ok("people", "add", "Ana", "Test", "--employee-id", "E1")
    ok("add", "E1", "BLS", "--issued", "2025-06-01", "--number", "=1+1")
    ok("add", "E1", "ACLS", "--issued", "2025-06-01", "--number", "12\x0734")
    ok("add", "E1", "PALS", "--issued", "2025-06-01", "--number", "000001")
    target = tmp_path / "out.xlsx"
    ok("export", "-o", target, "--sort", "id")
    _, sheet = load_sheet(target)
    header = [cell.value for cell in sheet[1]]
    numbers = [row[header.index("number")] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in numbers] == ["=1+1", "12\ufffd34", "000001"]
    assert [cell.data_type for cell in numbers] == ["s", "s", "s"]
    assert [cell.number_format for cell in numbers] == ["@", "@", "@"]


def test_export_never_writes_a_formula(ok, tmp_path):
    """F1: text that starts with "=" stays text, in data and in the About sheet."""
    ok("people", "add", "Eve", '=HYPERLINK("http://x.invalid","open")', "--employee-id", "E9")
    ok("add", "E9", "BLS", "--issued", "2026-01-05", "--notes", "==== renewal pending ====")
    target = tmp_path / "out.xlsx"
    ok("export", "-o", target, "--group", "=1+1")
    workbook = openpyxl.load_workbook(target)
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    ok("export", "-o", target)
    _, sheet = load_sheet(target)
    values = [value for row in rows_of(sheet) for value in row]
    assert '=HYPERLINK("http://x.invalid","open")' in values
    assert "==== renewal pending ====" in values


def test_export_replaces_control_characters_and_warns(ok, cli, db_path, tmp_path):
    """F4: one stray control character must not cost the whole export."""
    ok("people", "add", "Ann\x07", "Example", "--employee-id", "E1")
    for day in range(1, 51):
        ok("add", "E1", "BLS", "--issued", f"2024-01-{day:02d}" if day <= 31 else f"2024-02-{day - 31:02d}",
           "--notes", "card\x0bscanned" if day == 7 else "ok", "--expires", "2026-12-31" if day < 50 else "2027-01-31")
    target = tmp_path / "out.xlsx"
    result = cli("export", "-o", target, "--history")
    assert result.exit_code == 0, result.stderr
    assert "control characters" in result.stderr
    _, sheet = load_sheet(target)
    values = [value for row in rows_of(sheet) for value in row]
    assert "card\ufffdscanned" in values
    assert "Ann\ufffd" in values
    csv_out = ok("list", "--history", "--format", "csv").stdout
    assert "card\x0bscanned" in csv_out


def test_export_title_is_valid_whatever_the_filter(ok, tmp_path):
    """F5: filters with / : ? * [ ] never reach a sheet title."""
    ok("types", "add", "CPR-AHA", "CPR: BLS/AHA [card]?*", "--validity", "months:24:eom")
    target = tmp_path / "x.xlsx"
    ok("export", "--type", "CPR-AHA", "--expiring-within", "60", "--out", target)
    workbook = openpyxl.load_workbook(target)
    for title in workbook.sheetnames:
        assert len(title) <= 31
        assert not set(title) & set("/\\:?*[]")
    about = dict(rows_of(workbook["About"]))
    assert about["Filter: types"] == "CPR-AHA"
    assert about["Filter: expiring-within"] == "60"


def test_export_status_colours_are_conditional_formats(ok, agency, tmp_path):
    """The status column is coloured by one conditional format per status, not by a fill per cell."""
    target = tmp_path / "out.xlsx"
    ok("export", "-o", target)
    _, sheet = load_sheet(target)
    header = [cell.value for cell in sheet[1]]
    column = openpyxl.utils.get_column_letter(header.index("status") + 1)
    rules = {rule.formula[0]: (str(formatting.sqref), rule)
             for formatting in sheet.conditional_formatting for rule in formatting.rules}
    assert sorted(rules) == ['"expired"', '"expiring"', '"valid"']
    for status, color in (("valid", "C6EFCE"), ("expiring", "FFEB9C"), ("expired", "FFC7CE")):
        cell_range, rule = rules[f'"{status}"']
        assert cell_range == f"{column}2:{column}4", status
        assert (rule.type, rule.operator) == ("cellIs", "equal"), status
        assert rule.dxf.fill.fill_type == "solid", status
        assert rule.dxf.fill.bgColor.rgb.endswith(color), status
    statuses = {row[header.index("status")].value for row in sheet.iter_rows(min_row=2)}
    assert statuses == {"valid", "expiring", "expired"}


def test_export_column_widths_fit_and_are_capped(ok, agency, tmp_path):
    """F6: dates never show as ####, and a 5,000-character note does not make a huge column."""
    ok("edit", agency["bo_bls"], "--notes", "x" * 5000)
    target = tmp_path / "out.xlsx"
    ok("export", "-o", target)
    _, sheet = load_sheet(target)
    header = [cell.value for cell in sheet[1]]
    width = {name: sheet.column_dimensions[openpyxl.utils.get_column_letter(index + 1)].width
             for index, name in enumerate(header)}
    assert width["issued"] >= 11
    assert width["expires"] >= 11
    assert width["number"] >= len("M0123456")
    assert max(width.values()) <= 60


def test_export_about_sheet_states_filters_day_and_counts(ok, agency, tmp_path):
    target = tmp_path / "out.xlsx"
    ok("export", "-o", target, "--type", "BLS", "--status", "expired")
    about = dict(rows_of(openpyxl.load_workbook(target)["About"]))
    assert about["Status computed for"] == "2026-12-04"
    assert about["Rows"] == "1"
    assert about["Filter: statuses"] == "expired"
    assert "Exported at (UTC)" in about


def test_export_csv_and_json_match_list(ok, agency, tmp_path):
    ok("export", "-o", tmp_path / "out.csv")
    ok("export", "-o", tmp_path / "out.json")
    listed = ok("list", "--format", "csv").stdout
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == listed
    assert (tmp_path / "out.json").read_text(encoding="utf-8") == ok("list", "--format", "json").stdout


def test_export_unknown_extension_is_rejected(cli, agency, tmp_path):
    result = cli("export", "-o", tmp_path / "out.pdf")
    assert result.exit_code == 1, result.stderr
    assert 'unknown extension ".pdf"' in result.stderr
    assert not (tmp_path / "out.pdf").exists()


def test_matrix_xlsx_colours_cells(ok, agency, tmp_path):
    ok("required", "add", "everyone", "BLS")
    ok("required", "add", "Paramedic", "ACLS")
    target = tmp_path / "matrix.xlsx"
    ok("matrix", "-o", target)
    _, sheet = load_sheet(target, "Compliance")
    header = [cell.value for cell in sheet[1]]
    cells = {row[header.index("last_name")].value: row for row in sheet.iter_rows(min_row=2)}
    ana_acls = cells["Test"][header.index("ACLS")]
    bo_bls = cells["Demo"][header.index("BLS")]
    assert ana_acls.value == "missing"
    assert ana_acls.fill.fgColor.rgb.endswith("FFC7CE")
    assert bo_bls.value == "expired"
    assert cells["Sample"][header.index("BLS")].value == "missing"


def libreoffice_csv(workbook: Path, out_dir: Path) -> Path:
    """Convert the first sheet of `workbook` to UTF-8 CSV with headless LibreOffice."""
    profile = out_dir / "lo-profile"
    subprocess.run(
        [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,1",
         "--outdir", str(out_dir), str(workbook)],
        check=True, capture_output=True, timeout=180,
    )
    produced = sorted(out_dir.glob(workbook.stem + "*.csv"))
    assert produced, f"LibreOffice wrote no CSV into {out_dir}"
    return produced[0]


def load_example_agency(ok):
    examples = REPO / "examples"
    ok("people", "import", examples / "people.csv")
    ok("import", examples / "certifications.csv")
    ok("import", examples / "legacy-records.csv", "--allow-incomplete")


@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_export_of_example_agency(ok, tmp_path):
    load_example_agency(ok)
    target = tmp_path / "agency.xlsx"
    ok("export", "-o", target, "--history")
    converted = libreoffice_csv(target, tmp_path / "lo")

    from_libreoffice = list(csv.reader(io.StringIO(converted.read_text(encoding="utf-8"))))
    from_certcli = list(csv.reader(io.StringIO(ok("list", "--history", "--format", "csv").stdout)))
    assert len(from_libreoffice) == len(from_certcli)
    assert len(from_certcli) > 500
    assert from_libreoffice == from_certcli


def test_export_about_sheet_counts_statuses(ok, agency, tmp_path):
    target = tmp_path / "out.xlsx"
    ok("export", "-o", target)
    about = dict(rows_of(openpyxl.load_workbook(target)["About"]))
    assert (about["Rows"], about["Rows valid"], about["Rows expiring"], about["Rows expired"]) == ("3", "1", "1", "1")
