"""Import places each new record in its renewal chain as it inserts it.

The import does not rank every record of a touched (person, type) pair again. It makes a new
record current and links it to the record that was current, and ranks a pair only when
that shortcut does not hold (a card older than the current one, stored flags that disagree,
an edited record). These tests compare the result with what ranking every touched pair gives
(`update_current_bulk` over plain inserts, the import's earlier algorithm), on random stored
chains and random files.
"""

import csv
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certcli.db import connect
from certcli.importer import ImportOptions, _People, import_records
from certcli.records import update_current_bulk

PEOPLE = ["E1", "E2", "E3"]
TYPES = ["BLS", "ACLS"]
BASE = date(2020, 1, 1)
STAMP = "2026-01-01T00:00:00Z"
CURRENT = ("EXISTS (SELECT 1 FROM current_records cur WHERE cur.person_id = certifications.person_id"
           " AND cur.type_code = certifications.type_code AND cur.certification_id = certifications.id)")
COLUMNS = f"id, person_id, type_code, number, issued, expires, {CURRENT}, previous_id"

# One card: person, type, number suffix and issued date (in steps of 10 days). The
# expiration follows from those, so a row that repeats a stored card changes nothing.
cards = st.tuples(st.sampled_from(PEOPLE), st.sampled_from(TYPES), st.integers(0, 3), st.integers(0, 60))


def _dates(suffix, issued_offset, valid_steps=None):
    """Return (issued, expires) as text; some cards never expire, and periods overlap often."""
    issued = BASE + timedelta(days=issued_offset * 10)
    if valid_steps is None:
        valid_steps = (issued_offset * 7 + suffix * 13) % 45
    if valid_steps == 44:
        return issued.isoformat(), None
    return issued.isoformat(), (issued + timedelta(days=valid_steps * 10)).isoformat()


def build_database(path, stored, scrambled):
    """Store `stored` cards ranked, then drop the current-record row of the `scrambled` records' pairs."""
    conn = connect(path)
    with conn:
        for number, employee_id in enumerate(PEOPLE, start=1):
            conn.execute(
                "INSERT INTO people (id, first_name, last_name, employee_id, created_at, updated_at)"
                " VALUES (?, 'Test', ?, ?, ?, ?)", (number, employee_id, employee_id, STAMP, STAMP))
        pairs = set()
        for employee_id, type_code, suffix, issued_offset, *valid_steps in stored:
            issued, expires = _dates(suffix, issued_offset, *valid_steps)
            person_id = PEOPLE.index(employee_id) + 1
            conn.execute(
                "INSERT OR IGNORE INTO certifications (person_id, type_code, number, issued, expires, entered_by,"
                " entered_at, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, 't', ?, 't', ?)",
                (person_id, type_code, f"N{suffix}", issued, expires, STAMP, STAMP))
            pairs.add((person_id, type_code))
        update_current_bulk(conn, pairs)
        for record_id in scrambled:
            conn.execute("DELETE FROM current_records WHERE certification_id = ?", (record_id,))
    return conn


def write_file(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["employee_id", "type", "number", "issued", "expires"])
        for employee_id, type_code, suffix, issued_offset, *valid_steps in rows:
            issued, expires = _dates(suffix, issued_offset, *valid_steps)
            writer.writerow([employee_id, type_code, f"N{suffix}", issued, expires or "never"])


def records(conn):
    return [tuple(row) for row in conn.execute(f"SELECT {COLUMNS} FROM certifications ORDER BY id")]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=st.lists(cards, max_size=12), rows=st.lists(cards, max_size=12),
       scrambled=st.lists(st.integers(1, 12), max_size=2), batch_rows=st.sampled_from([1, 3, 5000]),
       parallel=st.sampled_from([False, False, True]))
def test_import_matches_ranking_every_touched_pair(tmp_path_factory, monkeypatch, stored, rows, scrambled,
                                                   batch_rows, parallel):
    folder = tmp_path_factory.mktemp("chains")
    monkeypatch.setattr("certcli.importer.BATCH_ROWS", batch_rows)
    # The checking process reads stored chains itself (tests/test_import_parallel.py).
    monkeypatch.setattr("certcli.import_checking.PARALLEL_CHARS", 0 if parallel else 10**12)
    conn = build_database(folder / "imported.db", stored, scrambled)
    before = {row[0] for row in records(conn)}
    source = folder / "cards.csv"
    write_file(source, rows)

    result = import_records(conn, "tester", str(source), ImportOptions(today=date(2026, 12, 4)))
    assert not result.rejected
    imported = records(conn)
    added = [row for row in imported if row[0] not in before]
    assert len(added) == result.added

    # The earlier algorithm on the same stored data: plain inserts with the same ids, then
    # every touched pair ranked and linked in bulk. Rows that repeat a stored card touch
    # nothing (the file gives no value that differs), so only added records touch a pair.
    oracle = build_database(folder / "oracle.db", stored, scrambled)
    with oracle:
        for record_id, person_id, type_code, number, issued, expires, _, _ in added:
            oracle.execute(
                "INSERT INTO certifications (id, person_id, type_code, number, issued, expires, entered_by,"
                " entered_at, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, 't', ?, 't', ?)",
                (record_id, person_id, type_code, number, issued, expires, STAMP, STAMP))
        update_current_bulk(oracle, {(row[1], row[2]) for row in added})
    assert imported == records(oracle)


def test_edit_and_add_keep_one_current(tmp_path, monkeypatch):
    """A row that changes a stored card's expiration, next to renewals of the same pair."""
    monkeypatch.setattr("certcli.importer.BATCH_ROWS", 2)
    stored = [("E1", "BLS", 0, 0, 20), ("E1", "BLS", 1, 20, 20)]
    conn = build_database(tmp_path / "edited.db", stored, [])
    source = tmp_path / "cards.csv"
    # The second row extends the oldest card beyond all others; the other two add cards.
    write_file(source, [("E1", "BLS", 2, 50, 20), ("E1", "BLS", 0, 0, 90), ("E1", "BLS", 3, 60, 20)])

    result = import_records(conn, "tester", str(source), ImportOptions(today=date(2026, 12, 4)))
    assert (result.added, result.updated) == (2, 1)
    rows = [tuple(row) for row in conn.execute(
        f"SELECT number, {CURRENT} FROM certifications ORDER BY coalesce(expires, '9999-12-31') DESC, issued DESC")]
    assert rows[0] == ("N0", 1)  # issued 2020-01-01, expires 2022-06-19: the latest period now
    assert [current for _, current in rows[1:]] == [0, 0, 0]
    chain = dict(conn.execute("SELECT number, previous_id FROM certifications"))
    ids = dict(conn.execute("SELECT number, id FROM certifications"))
    assert chain["N3"] == ids["N2"]


def test_people_lookup_after_preload_matches_queries(tmp_path, monkeypatch):
    """Past PRELOAD_AFTER lookups the import reads every person once; the matches must not change."""
    conn = connect(tmp_path / "people.db")
    with conn:
        conn.execute("INSERT INTO people (first_name, last_name, email, employee_id, created_at, updated_at)"
                     " VALUES ('Ana', 'Test', 'Ana.Test@Example.org', 'E1', ?, ?)", (STAMP, STAMP))
        conn.execute("INSERT INTO people (first_name, last_name, email, employee_id, created_at, updated_at)"
                     " VALUES ('Éva', 'Ünal', 'éva@example.org', 'e1', ?, ?)", (STAMP, STAMP))
    monkeypatch.setattr(_People, "PRELOAD_AFTER", 1)
    source = tmp_path / "cards.csv"
    with open(source, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["email", "type", "issued", "expires"])
        writer.writerow(["ana.test@EXAMPLE.ORG", "BLS", "2026-01-05", "2028-01-31"])  # ASCII case folds
        writer.writerow(["éva@example.org", "ACLS", "2026-01-05", "2028-01-31"])
        writer.writerow(["ÉVA@example.org", "PALS", "2026-01-05", "2028-01-31"])  # NOCASE folds ASCII only

    result = import_records(conn, "tester", str(source), ImportOptions(today=date(2026, 12, 4), skip_invalid=True))
    assert result.added == 2
    assert [problem.number for problem in result.rejected] == [4]
    assert "ÉVA@example.org" in result.rejected[0].message
    stored = conn.execute(
        "SELECT p.employee_id, c.type_code FROM certifications c JOIN people p ON p.id = c.person_id ORDER BY 2"
    ).fetchall()
    assert [tuple(row) for row in stored] == [("e1", "ACLS"), ("E1", "BLS")]


def test_employee_id_case_is_significant(tmp_path):
    """Employee ids compare exactly in the database; the import's cache of lookups must agree."""
    conn = connect(tmp_path / "ids.db")
    with conn:
        for first, employee_id in (("Ana", "E1"), ("Bo", "e1")):
            conn.execute("INSERT INTO people (first_name, last_name, employee_id, created_at, updated_at)"
                         " VALUES (?, 'Test', ?, ?, ?)", (first, employee_id, STAMP, STAMP))
    source = tmp_path / "cards.csv"
    source.write_text("employee_id,type,issued,expires\nE1,BLS,2026-01-05,2028-01-31\n"
                      "e1,BLS,2026-01-05,2028-01-31\n", encoding="utf-8")

    result = import_records(conn, "tester", str(source), ImportOptions(today=date(2026, 12, 4)))
    assert result.added == 2
    owners = conn.execute("SELECT p.first_name FROM certifications c JOIN people p ON p.id = c.person_id"
                          " ORDER BY c.id").fetchall()
    assert [row[0] for row in owners] == ["Ana", "Bo"]


def test_identity_check_after_preload_names_the_person(tmp_path, monkeypatch):
    """A row whose employee id and email point at different people is rejected, preloaded or not."""
    conn = connect(tmp_path / "clash.db")
    with conn:
        conn.execute("INSERT INTO people (first_name, last_name, email, employee_id, created_at, updated_at)"
                     " VALUES ('Ana', 'Test', 'ana@example.org', 'E1', ?, ?)", (STAMP, STAMP))
    monkeypatch.setattr(_People, "PRELOAD_AFTER", 1)
    source = tmp_path / "cards.csv"
    source.write_text("employee_id,email,type,issued,expires\nE1,bo@example.org,BLS,2026-01-05,2028-01-31\n",
                      encoding="utf-8")

    result = import_records(conn, "tester", str(source), ImportOptions(today=date(2026, 12, 4)))
    assert result.added == 0
    assert len(result.rejected) == 1
    message = result.rejected[0].message
    assert 'employee id "E1" belongs to #1 Ana Test (E1, ana@example.org)' in message
    assert 'email "bo@example.org"' in message


def test_reimport_moving_expiration_never_makes_a_cycle(tmp_path):
    """Rows that extend an older card past a newer one and back leave links in one direction."""
    conn = build_database(tmp_path / "cycle.db", [], [])
    first_file, later_file, back_file = (tmp_path / name for name in ("a.csv", "b.csv", "c.csv"))
    header = "employee_id,type,number,issued,expires\n"
    first_file.write_text(header + "E1,BLS,0000001,2016-05-12,2018-05-31\nE1,BLS,0000002,2018-04-15,2020-04-30\n",
                          encoding="utf-8")
    later_file.write_text(header + "E1,BLS,0000001,2016-05-12,2021-05-31\n", encoding="utf-8")
    back_file.write_text(header + "E1,BLS,0000001,2016-05-12,2018-05-31\n", encoding="utf-8")
    options = ImportOptions(today=date(2026, 12, 4))

    def links():
        return [tuple(row) for row in conn.execute(f"SELECT number, previous_id, {CURRENT} FROM certifications"
                                                    " ORDER BY id")]

    import_records(conn, "tester", str(first_file), options)
    assert links() == [("0000001", None, 0), ("0000002", 1, 1)]
    assert import_records(conn, "tester", str(later_file), options).updated == 1
    assert links() == [("0000001", 2, 1), ("0000002", None, 0)]
    assert import_records(conn, "tester", str(back_file), options).updated == 1
    assert links() == [("0000001", None, 0), ("0000002", 1, 1)]
