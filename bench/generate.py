"""Generate synthetic agencies for the benchmarks: a certcli database, or CSV files to import.

Everything is derived from a fixed seed and a fixed day (TODAY), never from the clock, so the
same arguments always give the same people, records and files. A database is written the
fast way. certcli.db.connect creates the schema and seeds the default types. The rows go in
with executemany in one transaction while the certification indexes are dropped. Then
certcli's own update_current_bulk marks the current records and links the renewal chains.

Examples:
    python bench/generate.py db /tmp/certcli-bench/agency.db --people 100000 --records 1000000
    python bench/generate.py csv /tmp/certcli-bench/renewals.csv --people 100000 --rows 100000
"""

from __future__ import annotations

import argparse
import csv
import random
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from certcli.certtypes import nremt_expiration
from certcli.dates import add_months
from certcli.db import connect
from certcli.records import fingerprint, update_current_bulk

# The day every benchmark computes status for; generated dates are spread around it.
TODAY = date(2026, 12, 4)
# Audit timestamps of generated rows: fixed, so two runs write identical files.
STAMP = "2026-12-04T12:00:00Z"
ACTOR = "bench-generator"
VERIFIER = "training.officer"
DEFAULT_SEED = 20261204
# Bump when the generated data changes, so run.py does not reuse files of an older layout.
GENERATOR_VERSION = 1

IMPORT_HEADER = ["employee_id", "last_name", "first_name", "email", "type", "level", "number",
                 "state", "city", "issued", "expires", "notes"]

FIRST_NAMES = """Ana Bo Cy Dana Eli Fay Gus Hana Ivan Jo Kai Lena Milo Nia Omar Pia Quinn Rosa Sam Tia
Uma Vic Wes Xena Yuri Zoe Aaron Beth Carlos Dmitri Erin Felix Grace Hugo Iris Jamal Kira Luis Maya
Noah Olga Pedro Rina Sofia Theo Ursula Vera Will Yara Zane Amir Bianca Chen Diego Elena Farah Gina
Hector Ines Jonas""".split()
LAST_NAMES = """Adams Baker Clark Davis Evans Flores Garcia Harris Ito Jones King Lopez Miller
Nguyen Ortiz Patel Quinn Reyes Smith Turner Ueda Vargas Walker Xu Young Zhang Allen Brooks Cruz
Diaz Ellis Fisher Gomez Hughes Irwin Jensen Kim Lewis Moore Nelson Owens Price Ramos Scott Torres
Underwood Vance White Yates Zimmer O'Brien Da-Silva McKay Novak Olsen Park Quintero Rossi Sato
Tanaka""".split()
CITIES = ["Columbus", "Dayton", "Akron", "Toledo", "Canton", "Lorain", "Parma", "Kettering",
          "Elyria", "Lakewood", "Cuyahoga Falls", "Middletown"]
# The agency's state, then neighbouring states that some members are certified in, with the
# length of each state's EMS certification cycle in years (cycles differ by state).
STATE_CYCLES = {"OH": 3, "PA": 2, "IN": 2, "MI": 3, "KY": 2, "WV": 2}
HOME_STATE = "OH"
NOTES = ["Card copy on file", 'Renewed at "Station 3" class, instructor J. Doe',
         "Refresher, 16 hours", "Number checked on the registry site"]

# The types of each role, most common first. A person with N records gets the first types,
# then renewals. BLS is skipped for some people so that `missing BLS` has people to report.
ROLE_TYPES = {
    "Paramedic": ["NREMT", "STATE_EMS", "BLS", "ACLS", "PALS", "ICS-100", "ICS-700", "PHTLS",
                  "ICS-200", "EVOC", "ITLS", "ICS-800"],
    "EMT": ["NREMT", "STATE_EMS", "BLS", "ICS-100", "ICS-700", "EVOC", "ICS-200", "HAZMAT-OPS",
            "ICS-800", "ITLS"],
    "Firefighter": ["FF1", "BLS", "NREMT", "STATE_EMS", "FF2", "ICS-100", "ICS-700", "HAZMAT-OPS",
                    "ICS-200", "EVOC", "ICS-800"],
    "EMR": ["NREMT", "BLS", "ICS-100", "ICS-700", "FF1", "EVOC", "ICS-200", "HAZMAT-OPS"],
}
ROLE_WEIGHTS = {"Paramedic": 30, "EMT": 40, "Firefighter": 25, "EMR": 5}
ROLE_LEVEL = {"Paramedic": "Paramedic", "EMT": "EMT", "Firefighter": "EMT", "EMR": "EMR"}
# First letter of generated NREMT numbers by level (the pattern is [A-Z][A-Z0-9][0-9]{6}).
LEVEL_LETTER = {"EMR": "R", "EMT": "E", "AEMT": "A", "Paramedic": "M"}
NEVER_EXPIRES = {"ICS-100", "ICS-200", "ICS-700", "ICS-800", "FF1", "FF2"}
# Types without a validity rule in certcli's catalog: records carry an explicit expiration
# after this many years.
EXPLICIT_CYCLE_YEARS = {"PHTLS": 4, "HAZMAT-OPS": 1, "EVOC": 3}
CARD_TYPES = {"BLS", "ACLS", "PALS"}
MISSING_BLS_SHARE = 0.07
INACTIVE_SHARE = 0.02
VERIFIED_SHARE = 0.3
NOTES_SHARE = 0.05
# With history, this percentage of a person's records are distinct types, the rest renewals.
HELD_TYPES_SHARE = 60
# No generated record is issued before this year, however long its renewal chain.
OLDEST_ISSUED = date(1990, 1, 1)

INSERT_CERTIFICATION = (
    "INSERT INTO certifications (id, person_id, type_code, level, number, state, city, issued,"
    " expires, notes, entered_by, entered_at, updated_by, updated_at, verified_by, verified_at,"
    " verified_fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class Person:
    id: int
    employee_id: str
    first_name: str
    last_name: str
    email: str
    nems_id: str | None
    active: bool
    role: str
    state: str
    city: str
    station: str
    shift: str
    holds_bls: bool


@dataclass
class Record:
    type_code: str
    level: str | None
    number: str | None
    state: str | None
    city: str | None
    issued: date
    expires: date | None
    notes: str | None = None


def employee_id(person_id: int) -> str:
    return f"E{person_id:06d}"


def make_people(count: int, seed: int = DEFAULT_SEED) -> list[Person]:
    """Return `count` people; the same (count, seed) always gives the same people."""
    rng = random.Random(f"people-{seed}")
    stations = max(1, count // 40)
    roles, weights = list(ROLE_WEIGHTS), list(ROLE_WEIGHTS.values())
    people = []
    for person_id in range(1, count + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        state = HOME_STATE if rng.random() < 0.9 else rng.choice(list(STATE_CYCLES))
        people.append(Person(
            id=person_id,
            employee_id=employee_id(person_id),
            first_name=first,
            last_name=last,
            email=f"{first}.{last}.{person_id}@example.org".lower().replace("'", ""),
            nems_id=str(200_000_000_000 + person_id) if rng.random() < 0.6 else None,
            active=rng.random() >= INACTIVE_SHARE,
            role=rng.choices(roles, weights)[0],
            state=state,
            city=rng.choice(CITIES),
            station=f"Station {person_id % stations + 1}",
            shift=f"Shift {'ABC'[person_id % 3]}",
            holds_bls=rng.random() >= MISSING_BLS_SHARE,
        ))
    return people


def records_per_person(people: int, records: int) -> list[int]:
    """Split `records` over `people` as evenly as possible."""
    base, extra = divmod(records, people)
    return [base + (1 if index < extra else 0) for index in range(people)]


def chain_lengths(person: Person, target: int, history: bool) -> dict[str, int]:
    """Return {type: number of records} for one person, adding up to `target` when possible.

    With `history`, about 60 % of the records are distinct types and the rest renewals,
    given round-robin to the types that expire. Without it, a person has at most one
    record per type.
    """
    types = [code for code in ROLE_TYPES[person.role] if code != "BLS" or person.holds_bls]
    held = max(3, -(-target * HELD_TYPES_SHARE // 100)) if history else target
    lengths = {code: 1 for code in types[:min(held, target)]}
    remaining = target - len(lengths)
    renewable = [code for code in lengths if code not in NEVER_EXPIRES]
    while history and remaining > 0 and renewable:
        for code in renewable:
            if remaining == 0:
                break
            lengths[code] += 1
            remaining -= 1
    return lengths


def card_chain(rng: random.Random, type_code: str, length: int) -> list[tuple[date, date]]:
    """Return (issued, expires) periods, oldest first, of a two-year card renewed on time.

    The current card was issued up to 800 days before TODAY, so in a generated agency about
    8 % of current cards have expired and about 8 % expire within 60 days.
    """
    issued = TODAY - timedelta(days=rng.randint(0, 800))
    periods = []
    for _ in range(length):
        periods.append((issued, add_months(issued, 24, end_of_month=True)))
        issued -= timedelta(days=rng.randint(690, 740))
    return periods[::-1]


def months_chain(rng: random.Random, months: int, length: int) -> list[tuple[date, date]]:
    issued = TODAY - timedelta(days=rng.randint(0, months * 31 + 60))
    periods = []
    for _ in range(length):
        periods.append((issued, add_months(issued, months)))
        issued = add_months(issued, -months) - timedelta(days=rng.randint(0, 45))
    return periods[::-1]


def nremt_chain(rng: random.Random, level: str, length: int) -> list[tuple[date, date]]:
    """Return NREMT periods: a first certification, then recertifications every two years.

    The current cycle ends on March 31 (September 30 for EMR) of 2026 (one in five, now
    expired), 2027 or 2028. Each recertification is issued some weeks before the previous
    expiration.
    """
    month, day = (9, 30) if level == "EMR" else (3, 31)
    expires = date(rng.choice([2026, 2027, 2027, 2028, 2028]), month, day)
    periods = []
    for index in range(length):
        previous_expires = date(expires.year - 2, month, day)
        if index == length - 1:
            issued = date(previous_expires.year, rng.randint(1, 6), rng.randint(1, 28))
        else:
            issued = previous_expires - timedelta(days=rng.randint(10, 120))
        issued = min(issued, TODAY)
        periods.append((issued, expires))
        expires = previous_expires
    return periods[::-1]


def cycle_chain(rng: random.Random, years: int, length: int) -> list[tuple[date, date]]:
    """Return periods of a certification renewed every `years` with an explicit expiration."""
    expires = TODAY + timedelta(days=rng.randint(-60, years * 365 - 60))
    periods = []
    for _ in range(length):
        issued = min(add_months(expires, -12 * years) + timedelta(days=1), TODAY)
        periods.append((issued, expires))
        expires = issued + timedelta(days=rng.randint(0, 90))
    return periods[::-1]


def person_records(rng: random.Random, person: Person, target: int, history: bool) -> list[Record]:
    """Return one person's records, each renewal chain oldest first."""
    level = ROLE_LEVEL[person.role]
    records = []
    for type_code, length in chain_lengths(person, target, history).items():
        if type_code in NEVER_EXPIRES:
            periods = [(TODAY - timedelta(days=rng.randint(30, 15 * 365)), None)]
        elif type_code in CARD_TYPES:
            periods = card_chain(rng, type_code, length)
        elif type_code == "ITLS":
            periods = months_chain(rng, 36, length)
        elif type_code == "NREMT":
            periods = nremt_chain(rng, level, length)
        elif type_code == "STATE_EMS":
            periods = cycle_chain(rng, STATE_CYCLES[person.state], length)
        else:
            periods = cycle_chain(rng, EXPLICIT_CYCLE_YEARS[type_code], length)
        for issued, expires in periods:
            if issued < OLDEST_ISSUED:
                continue
            records.append(Record(type_code, *_card_fields(rng, person, type_code, level), issued, expires,
                                  rng.choice(NOTES) if rng.random() < NOTES_SHARE else None))
    return records


def _card_fields(rng: random.Random, person: Person, type_code: str, level: str):
    """Return (level, number, state, city) as the card of `type_code` would show them."""
    if type_code == "NREMT":
        # A registry number stays with the person across recertifications at one level; the
        # second character is a digit, which import files never use (see import_rows).
        number = f"{LEVEL_LETTER[level]}{person.id // 1_000_000 % 10}{person.id % 1_000_000:06d}"
        return level, number, person.state, person.city
    if type_code == "STATE_EMS":
        return level, f"{person.id:07d}", person.state, person.city
    if type_code in CARD_TYPES:
        return None, (str(rng.randrange(10**11, 10**12)) if rng.random() < 0.8 else None), None, None
    if type_code in ("FF1", "FF2"):
        return None, f"FF-{person.id:07d}", person.state, None
    return None, None, None, None


def generate_database(path: Path | str, people: int, records: int, *, seed: int = DEFAULT_SEED,
                      history: bool = True) -> dict[str, int | float]:
    """Write a new certcli database at `path`; return counts and the seconds it took.

    The file ends checkpointed and closed, so a plain file copy of it is a complete database.
    Fewer than `records` rows are written when people hold too few types to reach it
    (without `history`, at most one record per type per person).
    """
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists; remove it first")
    start = time.perf_counter()
    population = make_people(people, seed)
    rng = random.Random(f"records-{seed}")

    conn = connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'certifications'"
        " AND sql IS NOT NULL"
    ).fetchall()
    conn.execute("BEGIN IMMEDIATE")
    # Building the indexes once after the insert is several times faster than keeping six
    # indexes up to date row by row. The statements are certcli's own, read from the schema.
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    _insert_people(conn, population)
    pairs, written = _insert_records(conn, rng, population, records_per_person(people, records), history)
    for _, sql in indexes:
        conn.execute(sql)
    update_current_bulk(conn, pairs)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return {"people": people, "records": written, "seconds": round(time.perf_counter() - start, 1)}


def _insert_people(conn: sqlite3.Connection, population: list[Person]) -> None:
    conn.executemany(
        "INSERT INTO people (id, first_name, last_name, email, employee_id, nems_id, active, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ((p.id, p.first_name, p.last_name, p.email, p.employee_id, p.nems_id, int(p.active), STAMP, STAMP)
         for p in population),
    )
    conn.executemany(
        "INSERT INTO person_groups (person_id, group_name) VALUES (?, ?)",
        ((p.id, group) for p in population for group in (p.station, p.shift, p.role)),
    )


def _insert_records(conn, rng, population, targets, history) -> tuple[set[tuple[int, str]], int]:
    """Insert every person's records; return the (person, type) pairs and the row count."""
    pairs: set[tuple[int, str]] = set()
    rows = []
    next_id = 1
    for person, target in zip(population, targets):
        for record in person_records(rng, person, target, history):
            rows.append(_record_row(rng, next_id, person.id, record))
            pairs.add((person.id, record.type_code))
            next_id += 1
        if len(rows) >= 50_000:
            conn.executemany(INSERT_CERTIFICATION, rows)
            rows.clear()
    conn.executemany(INSERT_CERTIFICATION, rows)
    return pairs, next_id - 1


def _record_row(rng: random.Random, record_id: int, person_id: int, record: Record) -> tuple:
    issued = record.issued.isoformat()
    expires = record.expires.isoformat() if record.expires else None
    verified_by = verified_fingerprint = None
    if rng.random() < VERIFIED_SHARE:
        verified_by = VERIFIER
        values = {"person_id": person_id, "type_code": record.type_code, "level": record.level,
                  "number": record.number, "state": record.state, "city": record.city,
                  "issued": issued, "expires": expires}
        verified_fingerprint = fingerprint(values, [])
    return (record_id, person_id, record.type_code, record.level, record.number, record.state,
            record.city, issued, expires, record.notes, ACTOR, STAMP, ACTOR, STAMP, verified_by,
            STAMP if verified_by else None, verified_fingerprint)


def import_rows(people: int, rows: int, seed: int = DEFAULT_SEED):
    """Yield `rows` CSV rows (IMPORT_HEADER order) of new cards for people 1..`people`.

    Every row passes certcli's checks: NREMT rows have a level, a number matching
    [A-Z][A-Z0-9][0-9]{6}, a state and a city; STATE_EMS rows have those and an explicit
    expiration; card and ICS/FF rows carry the expiration certcli's rule gives. Each row has
    a number no other row and no generated database uses, so every row is a new record.
    """
    population = make_people(people, seed)
    rng = random.Random(f"import-{seed}-{rows}")
    kinds = ["BLS", "ACLS", "PALS", "NREMT", "STATE_EMS", "ICS-100", "ICS-700", "FF1"]
    weights = [35, 10, 10, 15, 15, 5, 5, 5]
    for index in range(rows):
        person = population[rng.randrange(people)]
        type_code = rng.choices(kinds, weights)[0]
        level = ROLE_LEVEL[person.role]
        issued = TODAY - timedelta(days=rng.randint(1, 120))
        state = city = row_level = expires = None
        if type_code == "NREMT":
            # Second character a letter: generated databases only use digits there.
            number = f"{LEVEL_LETTER[level]}{chr(ord('A') + index // 1_000_000 % 26)}{index % 1_000_000:06d}"
            row_level, state, city, expires = level, person.state, person.city, nremt_expiration(level, issued)
        elif type_code == "STATE_EMS":
            number = f"IMP{index:08d}"
            row_level, state, city = level, person.state, person.city
            expires = add_months(issued, 12 * STATE_CYCLES[person.state])
        elif type_code in CARD_TYPES:
            number, expires = f"IMP{index:09d}", add_months(issued, 24, end_of_month=True)
        else:
            number = f"IMP{index:07d}"
        yield [person.employee_id, person.last_name, person.first_name, person.email, type_code,
               row_level or "", number, state or "", city or "", issued.isoformat(),
               expires.isoformat() if expires else "", rng.choice(NOTES) if rng.random() < NOTES_SHARE else ""]


def write_import_csv(path: Path | str, people: int, rows: int, seed: int = DEFAULT_SEED) -> int:
    """Write an import file of `rows` new cards for a database made with the same people and seed."""
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(IMPORT_HEADER)
        for row in import_rows(people, rows, seed):
            writer.writerow(row)
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a synthetic agency for certcli benchmarks.")
    commands = parser.add_subparsers(dest="command", required=True)
    database = commands.add_parser("db", help="write a certcli database")
    database.add_argument("path", type=Path)
    database.add_argument("--people", type=int, required=True, help="number of people")
    database.add_argument("--records", type=int, required=True, help="number of certification records")
    database.add_argument("--no-history", action="store_true",
                          help="at most one record per person and type (every record is current)")
    database.add_argument("--seed", type=int, default=DEFAULT_SEED)
    table = commands.add_parser("csv", help="write a CSV file of new records to import")
    table.add_argument("path", type=Path)
    table.add_argument("--people", type=int, required=True, help="people in the target database")
    table.add_argument("--rows", type=int, required=True, help="number of rows")
    table.add_argument("--seed", type=int, default=DEFAULT_SEED)
    arguments = parser.parse_args(argv)

    if arguments.command == "db":
        summary = generate_database(arguments.path, arguments.people, arguments.records,
                                    seed=arguments.seed, history=not arguments.no_history)
        print(f"{arguments.path}: {summary['people']:,} people, {summary['records']:,} records "
              f"in {summary['seconds']} s", file=sys.stderr)
    else:
        count = write_import_csv(arguments.path, arguments.people, arguments.rows, arguments.seed)
        print(f"{arguments.path}: {count:,} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
