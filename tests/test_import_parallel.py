"""A large CSV import checks its rows in a second process; the result must not depend on it.

Each test imports the same file into two copies of one database: once with every row checked
in the importing process, and once with the checking process. It then compares everything the
import leaves behind: records, current records, people, the audit log's import event, the
summary, the rejected rows and the warnings.
"""

import csv
import pickle
import random
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import date

import pytest

from conftest import REPO, TODAY

sys.path.insert(0, str(REPO / "bench"))

import generate  # noqa: E402  (bench/ is not a package)

from certcli import import_checking, importer  # noqa: E402
from certcli.certtypes import all_types  # noqa: E402
from certcli.db import connect  # noqa: E402
from certcli.errors import CertcliError, InvalidValue  # noqa: E402
from certcli.records import Options  # noqa: E402
from certcli.tabular import ReadOptions  # noqa: E402

PEOPLE = 300
# Timestamps differ between two runs; everything else must be equal.
CLOCK = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
TABLES = {
    "certifications": "SELECT * FROM certifications ORDER BY id",
    "current_records": "SELECT * FROM current_records ORDER BY person_id, type_code",
    "people": "SELECT id, first_name, last_name, email, employee_id, nems_id, active FROM people ORDER BY id",
    "events": "SELECT actor, action, person_id, certification_id, type_code, after FROM events ORDER BY id",
}


@pytest.fixture(scope="module")
def agency(tmp_path_factory):
    """A generated agency, and a file that exercises every path of a row."""
    folder = tmp_path_factory.mktemp("parallel")
    database = folder / "agency.db"
    generate.generate_database(database, PEOPLE, 2500)
    with sqlite3.connect(database) as conn:
        stored = conn.execute(
            "SELECT p.employee_id, p.last_name, p.first_name, p.email, c.type_code, c.level, c.number, c.state,"
            " c.city, c.issued, c.expires, c.notes FROM certifications c JOIN people p ON p.id = c.person_id"
            " ORDER BY c.id LIMIT 800").fetchall()
    conn.close()

    rng = random.Random(11)
    renewals = list(generate.import_rows(PEOPLE, 1500))
    rows = [list(row) for row in renewals]
    for row in stored:  # cards already stored: unchanged, or a changed expiration or note
        row = ["" if value is None else value for value in row]
        draw = rng.random()
        if draw < 0.2 and row[10]:
            row[10] = "2031-01-31"
        elif draw < 0.3:
            row[11] = "checked again"
        rows.append(row)
    rows += [list(row) for row in rng.sample(renewals, 100)]  # the same card twice in one file

    for index in range(60):
        row = list(rng.choice(renewals))
        if index % 6 == 0:
            row[9] = "2026-13-45"
        elif index % 6 == 1:
            row[0], row[3] = f"NEW{index}", f"new.member.{index}@example.org"  # not stored yet
        elif index % 6 == 2:
            row[4] = "NOPE"
        elif index % 6 == 3:
            row[0] = row[3] = ""  # a name only: this process looks the person up
        elif index % 6 == 4:
            row[5] = "Astronaut"
        else:
            row[10] = "1999-01-01"
        rows.append(row)
    rng.shuffle(rows)

    source = folder / "cards.csv"
    with open(source, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(generate.IMPORT_HEADER)
        writer.writerows(rows)
    return database, source


def _import(template, folder, name, source, parallel, monkeypatch, **options):
    database = folder / f"{name}.db"
    shutil.copyfile(template, database)
    monkeypatch.setattr(import_checking, "PARALLEL_CHARS", 0 if parallel else 10**12)
    conn = connect(database)
    try:
        result = importer.import_records(conn, "tester", str(source),
                                         importer.ImportOptions(today=date.fromisoformat(TODAY), **options))
    except CertcliError as error:
        result = error
    finally:
        conn.close()
    return database, result


def _state(database):
    with sqlite3.connect(database) as conn:
        state = {name: [tuple(CLOCK.sub("T", value) if isinstance(value, str) else value for value in row)
                        for row in conn.execute(sql)] for name, sql in TABLES.items()}
    conn.close()
    return state


def _outcome(result):
    return (result.summary(), [(problem.number, problem.column, problem.message, problem.values)
                               for problem in result.rejected], [CLOCK.sub("T", text) for text in result.warnings])


@pytest.mark.parametrize("options", [{"skip_invalid": True}, {"skip_invalid": True, "create_people": True}, {}],
                         ids=["skip-invalid", "create-people", "all-or-nothing"])
def test_parallel_checks_give_the_serial_result(agency, tmp_path, monkeypatch, options):
    template, source = agency

    serial_db, serial = _import(template, tmp_path, "serial", source, False, monkeypatch, **options)
    parallel_db, parallel = _import(template, tmp_path, "parallel", source, True, monkeypatch, **options)

    assert _outcome(parallel) == _outcome(serial)
    assert serial.rejected  # the file's bad rows were seen
    if options.get("skip_invalid"):
        assert serial.added > 1000
        assert serial.updated > 0
        assert serial.unchanged > 0
    assert _state(parallel_db) == _state(serial_db)


def test_parallel_checks_report_an_unreadable_line_like_serial(agency, tmp_path, monkeypatch):
    template, source = agency
    broken = tmp_path / "broken.csv"
    broken.write_text(source.read_text(encoding="utf-8") + 'E000001,"Doe,Jane\n', encoding="utf-8")

    serial_db, serial = _import(template, tmp_path, "serial", broken, False, monkeypatch)
    parallel_db, parallel = _import(template, tmp_path, "parallel", broken, True, monkeypatch)

    assert isinstance(serial, InvalidValue), serial
    assert str(parallel) == str(serial)
    assert "Check the quotes on that line" in str(serial)
    assert _state(parallel_db) == _state(template)


def test_checking_process_refuses_a_file_that_changed(agency, tmp_path):
    """The checking process reads the file again; a different file must not be mixed in."""
    template, source = agency
    conn = connect(template)
    record_options = Options(types={cert_type.code: cert_type for cert_type in all_types(conn)}, expires_optional=True,
                             defer_incomplete=True)
    conn.close()
    job = import_checking.CheckingJob(str(template), str(source), ReadOptions(), {}, record_options, False,
                                      "the digest of another file")
    completed = subprocess.run(
        [sys.executable, "-c", "from certcli.import_checking import main; main()"],
        input=pickle.dumps(job), capture_output=True, timeout=60)

    assert completed.returncode == 0, completed.stderr
    length = import_checking._LENGTH
    size = length.unpack(completed.stdout[:length.size])[0]
    kind, error, _ = pickle.loads(completed.stdout[length.size:length.size + size])
    assert kind == "error"
    assert str(error) == f'"{source}" changed while it was being imported. Import it again'


@pytest.mark.parametrize("executable", ["/nonexistent/python", "/bin/false"], ids=["cannot-start", "ends-at-once"])
def test_import_checks_in_process_without_second_process(agency, tmp_path, monkeypatch, executable):
    """A checking process that cannot start, or ends before its first batch, changes nothing."""
    template, source = agency
    serial_db, serial = _import(template, tmp_path, "serial", source, False, monkeypatch, skip_invalid=True)
    monkeypatch.setattr(sys, "executable", executable)

    fallback_db, fallback = _import(template, tmp_path, "fallback", source, True, monkeypatch, skip_invalid=True)

    assert _outcome(fallback) == _outcome(serial)
    assert _state(fallback_db) == _state(serial_db)


def test_checking_process_failure_rolls_back(agency, tmp_path, monkeypatch):
    """A checking process that fails after its first batch stops the import with a clear error."""
    template, source = agency
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "broken"))
    broken = tmp_path / "broken" / "certcli"
    shutil.copytree(REPO / "src" / "certcli", broken)
    # The copy sends its first batch, then fails.
    checking = broken / "import_checking.py"
    checking.write_text(checking.read_text(encoding="utf-8").replace(
        "                send_batch(rows)\n",
        "                send_batch(rows)\n                if size == FIRST_BATCH_ROWS:\n"
        "                    raise ValueError('planted fault')\n"), encoding="utf-8")

    database, result = _import(template, tmp_path, "failed", source, True, monkeypatch, skip_invalid=True)

    assert isinstance(result, CertcliError)
    assert str(result).startswith("the second process checking the rows failed: ValueError: planted fault")
    assert "Nothing was imported" in str(result)
    assert _state(database) == _state(template)


@pytest.mark.parametrize("parallel", [False, True], ids=["in-process", "second-process"])
def test_name_only_row_after_namesake_added(agency, tmp_path, monkeypatch, parallel):
    """A name that a row of the same file made ambiguous is rejected, not filed on the old person."""
    template, _ = agency
    with sqlite3.connect(template) as conn:
        first, last, person_id = conn.execute(
            "SELECT first_name, last_name, min(id) FROM people GROUP BY first_name, last_name HAVING count(*) = 1"
        ).fetchone()
    conn.close()
    source = tmp_path / "namesake.csv"
    source.write_text("employee_id,first_name,last_name,type,issued,expires\n"
                      f"NEW1,{first},{last},BLS,2026-11-01,2028-11-30\n"
                      f",{first},{last},ACLS,2026-11-02,2028-11-30\n", encoding="utf-8")

    database, result = _import(template, tmp_path, "namesake", source, parallel, monkeypatch,
                               skip_invalid=True, create_people=True)

    assert result.people_added == 1
    assert result.added == 1
    assert [(problem.number, problem.column) for problem in result.rejected] == [(3, "name")]
    assert f'"{first} {last}" matches 2 people' in result.rejected[0].message
    with sqlite3.connect(database) as conn:
        acls = conn.execute("SELECT count(*) FROM certifications WHERE person_id = ? AND type_code = 'ACLS'"
                            " AND issued = '2026-11-02'", (person_id,)).fetchone()[0]
    conn.close()
    assert acls == 0
