"""Smoke tests of the benchmark harness in bench/: the generator's data and one quick run.

Nothing here asserts on timings; the benchmark's numbers live in docs/benchmarks.md.
"""

import csv
import json
import sqlite3
import subprocess
import sys

from conftest import REPO, TODAY

sys.path.insert(0, str(REPO / "bench"))

import generate  # noqa: E402  (bench/ is not a package)


def _rows(path, sql):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_generator_same_seed_same_rows(tmp_path):
    first = generate.generate_database(tmp_path / "a.db", 40, 400)
    second = generate.generate_database(tmp_path / "b.db", 40, 400)

    assert first["records"] == 400
    assert second["records"] == 400
    for sql in ("SELECT * FROM people ORDER BY id", "SELECT * FROM person_groups ORDER BY 1, 2",
                "SELECT * FROM certifications ORDER BY id"):
        assert _rows(tmp_path / "a.db", sql) == _rows(tmp_path / "b.db", sql), sql


def test_generator_current_and_history(tmp_path):
    generate.generate_database(tmp_path / "agency.db", 60, 600)

    pairs = _rows(tmp_path / "agency.db", "SELECT count(DISTINCT person_id || type_code) FROM certifications")[0][0]
    current = _rows(tmp_path / "agency.db", "SELECT count(*) FROM current_records")[0][0]
    linked = _rows(tmp_path / "agency.db", "SELECT count(*) FROM certifications WHERE previous_id IS NOT NULL")[0][0]
    expired = _rows(tmp_path / "agency.db",
                    f"SELECT count(*) FROM current_records WHERE expires < '{TODAY}'")[0][0]
    assert current == pairs
    assert linked == 600 - pairs
    assert expired > 0


def test_generator_without_history(tmp_path):
    summary = generate.generate_database(tmp_path / "flat.db", 20, 100, history=False)

    current = _rows(tmp_path / "flat.db", "SELECT count(*) FROM current_records")[0][0]
    assert summary["records"] == 100
    assert current == 100


def test_import_file_rows_all_import(ok, db_path, tmp_path):
    generate.generate_database(db_path, 50, 300)
    source = tmp_path / "renewals.csv"
    generate.write_import_csv(source, 50, 200)

    result = ok("import", source)

    assert "200 added, 0 updated, 0 unchanged, 0 rejected" in result.stderr
    with open(source, newline="", encoding="utf-8") as stream:
        assert next(csv.reader(stream)) == generate.IMPORT_HEADER


def test_quick_run_list_and_missing(tmp_path):
    page = tmp_path / "benchmarks.md"
    command = [sys.executable, str(REPO / "bench" / "run.py"), "--quick", "--scenarios", "list,missing",
               "--repeat", "1", "--workdir", str(tmp_path / "work"), "--output", str(page)]

    completed = subprocess.run(command, capture_output=True, text=True, timeout=120)

    assert completed.returncode == 0, completed.stderr
    text = page.read_text(encoding="utf-8")
    assert "<!-- results:begin" in text
    assert "`certcli list --expiring-within 60 --format csv`" in text
    assert "`certcli missing BLS --format csv`" in text
    results = json.loads((tmp_path / "work" / "results.json").read_text(encoding="utf-8"))
    assert [result["scenario"] for result in results] == ["list", "missing"]
    assert all(result["ratio"] > 0 for result in results)
    assert all("byte-identical" in result["notes"][0] for result in results)
