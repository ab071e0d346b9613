"""Hostile input: SQL metacharacters, terminal escapes, huge values, path tricks and damaged files.

None of them may print a traceback, change the database, or write outside the paths the
user named. Most tests run in-process; one runs the installed `certcli` to pass bytes that
are not UTF-8 on a real command line.
"""

import csv
import io
import json
import os
import shutil
import subprocess
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import certcli.output
from certcli.cli import app
from conftest import TODAY, certcli_executable

METACHARACTERS = ["%", "_", "' OR 1=1 --", '"; DROP TABLE people; --', "\\", "*", "[a-z]", "%E1%", "_100"]

# Read-only commands with each text filter or person reference; VALUE is replaced by the hostile text.
FILTERED_COMMANDS = [
    ["list", "--format", "csv", "--person", "VALUE"],
    ["list", "--format", "csv", "--group", "VALUE"],
    ["list", "--format", "csv", "--type", "VALUE"],
    ["list", "--format", "csv", "--state", "VALUE"],
    ["list", "--format", "csv", "--level", "VALUE"],
    ["list", "--format", "csv", "--status", "VALUE"],
    ["list", "--format", "csv", "--sort", "VALUE"],
    ["missing", "BLS", "--format", "csv", "--group", "VALUE"],
    ["missing", "BLS", "--format", "csv", "--person", "VALUE"],
    ["missing", "VALUE", "--format", "csv"],
    ["show", "VALUE", "--format", "json"],
    ["log", "--format", "csv", "--person", "VALUE"],
    ["log", "--format", "csv", "--actor", "VALUE"],
    ["log", "--format", "csv", "--action", "VALUE"],
    ["matrix", "--format", "csv", "--group", "VALUE"],
    ["matrix", "--format", "csv", "--type", "VALUE"],
    ["people", "list", "--format", "csv", "--group", "VALUE"],
    ["types", "show", "VALUE"],
]

FIRST_NAME = "\x1b[31mRed\x1b[0m"
LAST_NAME = "[bold]Bo\x1b]0;title\x07"
NOTES = "note \x9b31m [red]x[/red] \x07 \x1b[2J =HYPERLINK(\"http://example.invalid\")"
RAW_CONTROLS = ("\x1b", "\x07", "\x9b")


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def assert_no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


def assert_one_error_line(result) -> str:
    """Assert a failed command's contract: exit 1, one `Error:` line, no traceback, nothing on stdout."""
    assert_no_traceback(result)
    assert result.exit_code == 1, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), result.stderr
    assert result.stdout == ""
    return lines[0]


def tree(path) -> dict[str, bytes | None]:
    """Return every file (with its bytes) and folder under `path`, except the database's own files."""
    found = {}
    for folder, folders, files in os.walk(path):
        for name in folders:
            found[os.path.relpath(os.path.join(folder, name), path)] = None
        for name in files:
            if not name.startswith("certcli.db"):
                with open(os.path.join(folder, name), "rb") as stream:
                    found[os.path.relpath(os.path.join(folder, name), path)] = stream.read()
    return found


@pytest.fixture(scope="module")
def agency_template(tmp_path_factory):
    """Build the `agency` database of conftest once per module; returns its path and record ids."""
    from typer.testing import CliRunner

    path = tmp_path_factory.mktemp("agency") / "certcli.db"
    runner = CliRunner()
    environment = {"CERTCLI_DB": str(path), "CERTCLI_TODAY": TODAY, "CERTCLI_ACTOR": "tester"}

    def run(*args) -> str:
        result = runner.invoke(app, list(args), env=environment)
        assert result.exit_code == 0, result.stderr
        return result.stdout.strip()

    run("people", "add", "Ana", "Test", "--email", "ana@example.org", "--employee-id", "E100", "-g", "Station 1",
        "-g", "Paramedic")
    run("people", "add", "Bo", "Demo", "--email", "bo@example.org", "--employee-id", "E200", "-g", "Station 1")
    run("people", "add", "Cy", "Sample", "--email", "cy@example.org", "--employee-id", "E300", "-g", "Station 2")
    ids = {
        "ana_nremt": run("add", "E100", "NREMT", "--issued", "2025-05-10", "--level", "Paramedic",
                         "--number", "M0123456", "--state", "OH", "--city", "Columbus"),
        "ana_bls": run("add", "E100", "BLS", "--issued", "2025-01-20", "--number", "0123456"),
        "bo_bls": run("add", "E200", "BLS", "--issued", "2024-11-02", "--expires", "2026-11-30"),
    }
    return path, {name: int(value) for name, value in ids.items()}


@pytest.fixture
def agency(agency_template, db_path):
    """The conftest `agency` (same people and records), copied from a database built once per module."""
    path, ids = agency_template
    shutil.copyfile(path, db_path)
    return ids


@pytest.fixture
def hostile_person(ok, agency):
    """Agency plus a person whose names, group and notes carry markup and raw terminal escapes."""
    ok("people", "add", FIRST_NAME, LAST_NAME, "--employee-id", "E900", "--group", "\x1b[5mBlink")
    ok("add", "E900", "BLS", "--issued", "2025-01-20", "--notes", NOTES)


# -- SQL metacharacters and wildcards -----------------------------------------------------


@pytest.mark.parametrize("command", FILTERED_COMMANDS, ids=lambda command: "-".join(command[:2] + command[-2:-1]))
def test_metacharacters_match_nothing(cli, agency, db_dump, command):
    before = db_dump()

    for value in METACHARACTERS:
        result = cli(*[value if part == "VALUE" else part for part in command])

        assert_no_traceback(result)
        if result.exit_code == 2:
            # Option values with a fixed set of choices (--status, --sort) are usage errors.
            assert "Invalid value" in result.stderr, repr(value)
        elif result.exit_code == 1:
            assert_one_error_line(result)
        else:
            assert result.exit_code == 0, f"{value!r}: {result.stderr}"
            assert csv_rows(result.stdout) == [], repr(value)
    assert db_dump() == before


@pytest.mark.parametrize("value", METACHARACTERS)
def test_metacharacters_in_export_filter(cli, agency, db_dump, tmp_path, value):
    before = db_dump()
    target = tmp_path / "out.csv"

    result = cli("export", "-o", target, "--group", value, "--state", value)

    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    assert csv_rows(target.read_text()) == []
    assert db_dump() == before


FILTER_TEXT = st.text(alphabet="%_'\";-=*[]\\() ,OR1E0", max_size=20)


@pytest.fixture
def everything(ok, agency) -> list[dict]:
    return csv_rows(ok("list", "--format", "csv").stdout)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(option=st.sampled_from(["--person", "--group", "--type", "--state", "--level"]), value=FILTER_TEXT)
def test_list_filter_never_widens(cli, everything, option, value):
    result = cli("list", "--format", "csv", f"{option}={value}")

    assert_no_traceback(result)
    assert result.exit_code in (0, 1, 2), result.stderr
    if result.exit_code == 2:
        # A value that names nothing (blank, or only commas) is a usage error, never "no filter".
        assert 'names nothing' in result.stderr
        return
    if result.exit_code == 1:
        assert_one_error_line(result)
        return
    rows = csv_rows(result.stdout)
    assert all(row in everything for row in rows)
    if option == "--person":
        assert len({row["employee_id"] for row in rows}) <= 1
    elif not [part for part in value.split(",") if part.strip()]:
        # Blank comma-separated values are no filter at all.
        assert rows == everything
    else:
        # No generated text spells a real group, state or level, and unknown types are errors.
        assert rows == []


# -- markup and terminal escapes ----------------------------------------------------------


def test_table_escapes_control_characters(ok, hostile_person):
    result = ok("list", "--format", "table", "--person", "E900")

    for character in RAW_CONTROLS:
        assert character not in result.stdout
    assert "\\x1b[31mRed\\x1b[0m" in result.stdout
    assert "[bold]Bo\\x1b]0;title\\x07" in result.stdout


@pytest.mark.parametrize("command", [
    ["list"], ["list", "--history", "--include-inactive"], ["people", "list"], ["show", "E900"], ["log"],
    ["missing", "ACLS"], ["check"],
])
def test_terminal_output_has_no_raw_controls(ok, hostile_person, monkeypatch, command):
    # Pretend stdout and stderr are a terminal, where escapes would act.
    monkeypatch.setattr(certcli.output, "_is_terminal", lambda stream: True)

    result = ok(*command)

    for character in RAW_CONTROLS:
        assert character not in result.stdout, f"{character!r} on stdout"
        assert character not in result.stderr, f"{character!r} on stderr"


def test_csv_keeps_hostile_text_exactly(ok, hostile_person):
    result = ok("list", "--format", "csv", "--person", "E900")

    row = csv_rows(result.stdout)[0]

    assert row["first_name"] == FIRST_NAME
    assert row["last_name"] == LAST_NAME
    assert row["notes"] == NOTES


def test_json_keeps_hostile_text_exactly(ok, hostile_person):
    result = ok("list", "--format", "json", "--person", "E900")

    row = json.loads(result.stdout)[0]

    assert row["first_name"] == FIRST_NAME
    assert row["last_name"] == LAST_NAME
    assert row["notes"] == NOTES


def test_people_csv_keeps_hostile_group(ok, hostile_person):
    result = ok("people", "list", "--format", "csv", "--group", "\x1b[5mBlink")

    assert [row["groups"] for row in csv_rows(result.stdout)] == ["\x1b[5mBlink"]


def test_undecodable_argument_rejected(cli, agency, db_dump):
    before = db_dump()

    # A byte that is not UTF-8 in argv reaches Python as a lone surrogate.
    result = cli("add", "E100", "BLS", "--issued", "2025-02-01", "--notes", "bad \udc9b byte")

    line = assert_one_error_line(result)
    assert line == ('Error: "bad \\x9b byte" is not valid UTF-8 text. Give the text in UTF-8, '
                    "and check the terminal's encoding (locale)")
    assert db_dump() == before


def test_undecodable_byte_on_real_command_line(agency, db_dump):
    before = db_dump()

    result = subprocess.run([certcli_executable().encode(), b"people", b"add", b"Bad\x9bByte", b"Name"],
                            capture_output=True, timeout=120)

    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(b'Error: "Bad\\x9bByte" is not valid UTF-8 text.')
    assert b"Traceback" not in result.stderr
    assert db_dump() == before


# -- very long values ---------------------------------------------------------------------

MEGABYTE_NOTE = "n" * 1_000_000
LONG_NAME = "N" * 10_000


@pytest.mark.parametrize("command, message", [
    (["add", "E100", "BLS", "--issued", "2025-02-01", "--notes", MEGABYTE_NOTE],
     "Error: notes is 1,000,000 characters long. Keep it under 10,000 characters"),
    (["edit", "RECORD", "--notes", MEGABYTE_NOTE],
     "Error: notes is 1,000,000 characters long. Keep it under 10,000 characters"),
    (["renew", "RECORD", "--issued", "2026-11-01", "--notes", MEGABYTE_NOTE],
     "Error: notes is 1,000,000 characters long. Keep it under 10,000 characters"),
    (["people", "add", LONG_NAME, "Test"],
     "Error: first name is 10,000 characters long. Keep it under 200 characters"),
    (["people", "add", "Ana", LONG_NAME],
     "Error: last name is 10,000 characters long. Keep it under 200 characters"),
    (["people", "edit", "E100", "--last", LONG_NAME],
     "Error: last name is 10,000 characters long. Keep it under 200 characters"),
], ids=["add-notes", "edit-notes", "renew-notes", "people-add-first", "people-add-last", "people-edit-last"])
def test_long_value_rejected(cli, agency, db_dump, command, message):
    before = db_dump()

    result = cli(*[str(agency["bo_bls"]) if part == "RECORD" else part for part in command])

    assert assert_one_error_line(result) == message
    assert db_dump() == before


def test_long_note_in_import_rejected(cli, agency, db_dump, tmp_path):
    before = db_dump()
    source = tmp_path / "long.csv"
    source.write_text(f"employee_id,type,issued,notes\nE100,ACLS,2025-02-01,{'n' * 20_000}\n", encoding="utf-8")

    result = cli("import", source)

    assert_no_traceback(result)
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith(
        "Error: line 2, column notes: notes is 20,000 characters long. Keep it under 10,000 characters\n")
    assert db_dump() == before


def test_megabyte_cell_in_import_rejected(cli, agency, db_dump, tmp_path):
    before = db_dump()
    source = tmp_path / "huge.csv"
    source.write_text(f"employee_id,type,issued,notes\nE100,ACLS,2025-02-01,{MEGABYTE_NOTE}\n", encoding="utf-8")

    result = cli("import", source)

    line = assert_one_error_line(result)
    assert line.startswith(f'Error: cannot read "{source}": field larger than field limit')
    assert db_dump() == before


# -- path tricks --------------------------------------------------------------------------


@pytest.mark.parametrize("target, message", [
    ("missing/out.csv", 'Error: cannot export to "{path}": the folder "{root}/missing" does not exist. Create it first'),
    ("folder.csv", 'Error: cannot export to "{path}": it is a directory. Give a file name'),
    ("folder", 'Error: cannot export to "{path}": unknown extension ""'),
])
def test_export_to_bad_path(cli, agency, db_dump, tmp_path, target, message):
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "folder").mkdir()
    before, files = db_dump(), tree(tmp_path)

    result = cli("export", "-o", tmp_path / target)

    line = assert_one_error_line(result)
    assert line.startswith(message.format(path=tmp_path / target, root=tmp_path))
    assert tree(tmp_path) == files
    assert db_dump() == before


def test_db_option_pointing_at_directory(cli, tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()

    result = cli("--db", folder, "list")

    line = assert_one_error_line(result)
    assert line == f'Error: database path "{folder}" is a directory. Give a file name with --db'
    assert os.listdir(folder) == []


def test_db_option_pointing_at_text_file(cli, tmp_path):
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database\n" * 100)
    files = tree(tmp_path)

    result = cli("--db", text_file, "list")

    line = assert_one_error_line(result)
    assert line.startswith(f'Error: cannot open the database "{text_file}": file is not a database')
    assert tree(tmp_path) == files


@pytest.mark.parametrize("rejects", ["missing/rejects.csv", "folder"])
def test_import_rejects_to_bad_path(cli, agency, db_dump, tmp_path, rejects):
    (tmp_path / "folder").mkdir()
    source = tmp_path / "records.csv"
    source.write_text("employee_id,type,issued\nE100,ACLS,2025-02-01\nE999,ACLS,2025-02-01\n")
    before, files = db_dump(), tree(tmp_path)

    result = cli("import", source, "--skip-invalid", "--rejects", tmp_path / rejects)

    line = assert_one_error_line(result)
    assert line.startswith(f'Error: cannot write the reject file "{tmp_path / rejects}"')
    assert tree(tmp_path) == files
    assert db_dump() == before


def test_import_rejects_file_is_private(cli, agency, tmp_path):
    source = tmp_path / "records.csv"
    source.write_text("employee_id,type,issued\nE100,ACLS,2025-02-01\nE999,ACLS,2025-02-01\n")
    previous = os.umask(0)
    try:
        result = cli("import", source, "--skip-invalid")
    finally:
        os.umask(previous)

    assert result.exit_code == 4, result.stderr
    assert oct(os.stat(f"{source}.rejects.csv").st_mode & 0o777) == "0o600"


# -- damaged import files -----------------------------------------------------------------


@pytest.fixture
def workbook_bytes(ok, agency, tmp_path) -> bytes:
    """An .xlsx export of the agency's records, as bytes."""
    path = tmp_path / "export" / "records.xlsx"
    path.parent.mkdir()
    ok("export", "-o", path)
    return path.read_bytes()


def stored_workbook(data: bytes, replace: dict[str, bytes]) -> bytes:
    """Return the workbook with some members replaced, every member stored uncompressed."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as target:
        for name in source.namelist():
            target.writestr(name, replace.get(name, source.read(name)))
    return buffer.getvalue()


# A header that each import command accepts, and a row for it whose last cell is free text.
IMPORT_LAYOUTS = {
    "records": ("employee_id,type,issued,notes", "E100,ACLS,2025-02-01,"),
    "people": ("first_name,last_name,employee_id", "Ana,Test,"),
}


def damaged_files(workbook: bytes, layout: str) -> dict[str, bytes]:
    header, row = IMPORT_LAYOUTS[layout]
    sheet = zipfile.ZipFile(io.BytesIO(workbook)).read("xl/worksheets/sheet1.xml")
    compressed_start = workbook.index(b"xl/worksheets/sheet1.xml") + 40
    flipped = bytearray(workbook)
    flipped[compressed_start:compressed_start + 8] = b"\xff" * 8
    return {
        "truncated.xlsx": workbook[: len(workbook) // 2],
        "junk.csv": bytes(range(128, 256)) * 40,
        "nul.csv": b"employee_id,type\x00,issued\n" + b"\x00\x01\x02" * 100,
        "text.xlsx": b"employee_id,type,issued\nE100,BLS,2025-01-01\n",
        "empty.csv": b"",
        "empty.xlsx": b"",
        "blank.csv": b"  \n\n \n",
        "unclosed-quote.csv": f'{header}\n{row}"never closed\n'.encode(),
        "bad-sheet-xml.xlsx": stored_workbook(workbook, {"xl/worksheets/sheet1.xml": sheet[: len(sheet) // 2]}),
        "bad-deflate.xlsx": bytes(flipped),
        "latin1.csv": f"{header}\n{row}caf\u00e9\n".encode("latin-1"),
    }


@pytest.mark.parametrize("name", [
    "truncated.xlsx", "junk.csv", "nul.csv", "text.xlsx", "empty.csv", "empty.xlsx", "blank.csv",
    "unclosed-quote.csv", "bad-sheet-xml.xlsx", "bad-deflate.xlsx", "latin1.csv",
])
@pytest.mark.parametrize("layout", ["records", "people"])
def test_damaged_import_file(cli, agency, db_dump, workbook_bytes, tmp_path, name, layout):
    command = ["import"] if layout == "records" else ["people", "import"]
    source = tmp_path / name
    source.write_bytes(damaged_files(workbook_bytes, layout)[name])
    before, files = db_dump(), tree(tmp_path)

    result = cli(*command, source)

    line = assert_one_error_line(result)
    assert f'"{source}"' in line
    assert db_dump() == before
    assert tree(tmp_path) == files


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_corrupted_workbook_never_crashes(cli, agency, workbook_bytes, tmp_path, data):
    damaged = bytearray(workbook_bytes)
    for _ in range(data.draw(st.integers(1, 4), label="flips")):
        damaged[data.draw(st.integers(0, len(damaged) - 1), label="offset")] = data.draw(st.integers(0, 255))
    source = tmp_path / "damaged.xlsx"
    source.write_bytes(bytes(damaged))

    result = cli("import", source)

    assert_no_traceback(result)
    # A flip in a part that import does not read can leave a workbook that still imports.
    assert result.exit_code in (0, 1), result.stderr
    if result.exit_code == 1:
        assert result.stderr.startswith("Error: "), result.stderr


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_random_bytes_import_never_crashes(cli, agency, db_dump, tmp_path, content, suffix):
    before = db_dump()
    source = tmp_path / f"random{suffix}"
    source.write_bytes(content)

    result = cli("import", source)

    assert_no_traceback(result)
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("Error: "), result.stderr
    assert db_dump() == before


def test_long_value_is_cut_in_error_message(ok, cli):
    """A 1 MB value in a bad cell or option gives a one-line error of readable length."""
    ok("people", "add", "Ana", "Test", "--employee-id", "E100")
    huge = "9" * 1_000_000
    result = cli("add", "E100", "BLS", "--issued", huge)
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert len(message) < 600
    assert "(1,000,000 characters)" in message
    assert '"' + "9" * 100 + '..."' in message
