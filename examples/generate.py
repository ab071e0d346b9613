"""Generate the example agency: people.csv, certifications.csv and legacy-records.csv.

Run `python examples/generate.py` (standard library only). The output depends only on SEED
and REFERENCE_DAY, never on the clock, so two runs write byte-identical files. Statuses in
the README ("expiring", "expired") are counted for REFERENCE_DAY, so load the data and run
reports with `certcli --today 2026-12-04`.

certifications.csv is clean: every row imports without warnings, expirations follow each
type's rule, and no person has two overlapping records of one type. legacy-records.csv
plants the data errors that `certcli check` is meant to find. `validate_clean` and
`validate_planted` enforce both properties before anything is written.
"""

from __future__ import annotations

import calendar
import csv
import random
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

SEED = 20261204
REFERENCE_DAY = date(2026, 12, 4)
EXPIRING_DAYS = 90
# Earliest issued date generated. Older cards would have been renewed several times since.
EARLIEST_ISSUED = date(2012, 1, 1)
OUTPUT_DIR = Path(__file__).resolve().parent

RECORD_HEADER = [
    "id", "employee_id", "last_name", "first_name", "email", "type", "level", "number", "state",
    "city", "issued", "expires", "status", "verified_by", "verified_at", "images", "notes",
]
PEOPLE_HEADER = ["first_name", "last_name", "email", "employee_id", "nems_id", "groups", "active"]

AGENCY_STATE = "CO"
# Fictional towns of the fictional fire district, one per station.
STATION_CITIES = {
    1: "Cedar Ridge",
    2: "Pine Hollow",
    3: "Elk Meadow",
    4: "Juniper Falls",
    5: "Granite Bluff",
}
SHIFTS = ["A Shift", "B Shift", "C Shift"]
# State EMS certification cycles in years. Most members are certified by the agency's state,
# and a few moved in from a neighbouring state. The cycles are illustrative, not the states' rules.
STATE_CYCLE_YEARS = {"CO": 3, "WY": 2, "UT": 4}
OUT_OF_STATE_CITIES = {"WY": ["Laramie", "Cheyenne"], "UT": ["Ogden", "Provo"]}

# Login names of the training officers who verify cards, with the roster entry of each.
VERIFIERS = {
    "lt.morales": ("Daniela", "Morales", 1),
    "capt.haddad": ("Nadia", "Haddad", 3),
    "lt.lindqvist": ("Erik", "Lindqvist", 5),
}

FIRST_NAMES = [
    "Aaliyah", "Abdullah", "Adaeze", "Adrián", "Aiko", "Alejandro", "Amara", "Amir", "Anahí", "Andrés",
    "Anneliese", "Arjun", "Astrid", "Aurelio", "Ayesha", "Bao", "Beatriz", "Bilal", "Bronwyn", "Caden",
    "Camille", "Catalina", "Chidi", "Chloé", "Colm", "Dalia", "Damien", "Darnell", "Deepa", "Dmitri",
    "Eamon", "Efua", "Elif", "Emeka", "Esperanza", "Farah", "Fatima", "Felipe", "Fiona", "Gideon",
    "Giulia", "Hamid", "Hana", "Hiroshi", "Ibrahim", "Imani", "Inés", "Isidro", "Ivana", "Jalen",
    "Jamal", "Jasmine", "Javier", "Jin", "José", "Kaveh", "Keanu", "Keiko", "Kenji", "Kiara",
    "Kofi", "Lachlan", "Laila", "Leilani", "Lena", "Liam", "Lucía", "Maeve", "Malik", "Mariam",
    "Marisol", "Mateo", "Mei", "Mirela", "Naveen", "Niamh", "Nikolai", "Noor", "Obinna", "Oksana",
    "Omar", "Paloma", "Pita", "Priya", "Quentin", "Rafael", "Rania", "Renée", "Rohan", "Rosalind",
    "Rustam", "Saanvi", "Salma", "Santiago", "Saoirse", "Selin", "Siddharth", "Sione", "Soo-ah", "Tadeo",
    "Tamar", "Tariq", "Teodora", "Thandiwe", "Tomasz", "Uma", "Valentina", "Vikram", "Wen", "Ximena",
    "Yara", "Yusuf", "Zainab", "Zoë", "Zuri", "Brandon", "Kayla", "Tyler", "Megan", "Cody",
    "Brianna", "Travis", "Courtney", "Dustin", "Heather", "Garrett", "Shelby", "Wyatt", "Kelsey", "Colton",
    "Danielle", "Trevor", "Amber", "Logan", "Jenna", "Hunter", "Rachel", "Austin", "Lindsey", "Cole",
    "Erin", "Derek", "Molly", "Grant", "Tessa", "Marcus", "Hollis", "Juniper", "Rowan", "Sawyer",
]
LAST_NAMES = [
    "Abernathy", "Adeyemi", "Alvarado", "Andersen", "Araya", "Ashby", "Balogun", "Barros", "Bautista",
    "Bergstrom", "Blackwood", "Brennan", "Calloway", "Castellanos", "Chaudhry", "Cho", "Cisneros",
    "Dalton", "Delgado", "Demir", "Dlamini", "Donnelly", "Dubois", "Eriksen", "Espinoza", "Fernández",
    "Gallagher", "Garza", "Gonzaga", "Halvorsen", "Hartley", "Hashemi", "Holloway", "Ibáñez", "Iwasaki",
    "Jablonski", "Jovanović", "Kaminski", "Kapoor", "Kealoha", "Keller", "Kowalczyk", "Kuznetsov",
    "Lachance", "Langford", "Lozano", "Mahlangu", "Marchetti", "McAllister", "Mendoza", "Mirza",
    "Mwangi", "Nakamura", "Navarro", "Ngata", "Nguyen", "Novak", "Núñez", "Obi", "Ochoa", "Okafor",
    "Olsen", "Ortega", "Pacheco", "Park", "Patel", "Peña", "Petrov", "Quintero", "Rahman", "Rasmussen",
    "Reyes", "Rinaldi", "Rosales", "Sadeghi", "Salazar", "Santos", "Sato", "Schneider", "Serrano",
    "Shapiro", "Sokolov", "Suárez", "Sundberg", "Takahashi", "Tanaka", "Thorne", "Torres", "Tran",
    "Trujillo", "Uddin", "Valdez", "Vance", "Varga", "Vasquez", "Villanueva", "Vu", "Whitfield",
    "Wojcik", "Yamamoto", "Yilmaz", "Zamora", "Zielinski", "Acosta", "Bianchi", "Carrington", "Dawson",
    "Ellery", "Forsythe", "Harlow", "Iverson", "Jennings", "Kincaid", "Lowell", "Mercer", "Nolan",
    "Oakley", "Prescott", "Quinlan", "Rhodes", "Sinclair", "Tillman", "Underwood", "Voss", "Winslow",
    "Abara", "Bello", "Chávez", "Duarte", "Estrada", "Figueroa", "Guerrero", "Herrera", "Ikeda",
    "Juárez", "Kamau", "Luna", "Medina", "Nair", "Osei", "Pham", "Qureshi", "Ríos", "Soto", "Trinh",
    "Umeh", "Vargas", "Wu", "Xiong", "Yoon", "Zhou", "O'Callaghan", "Van der Berg",
]

NOTES = [
    "Card photo on file at station",
    "Class taught in house",
    "Renewed through the regional training center",
    "Copy of eCard emailed to training",
    "Skills check signed off by field training officer",
    "Paper card; eCard not available",
]


@dataclass
class Person:
    first_name: str
    last_name: str
    email: str
    employee_id: str
    station: int
    shift: str
    roles: list[str]
    # EMS level the member works at (EMR, EMT, AEMT, Paramedic), or None for fire-only members.
    ems_level: str | None
    active: bool = True
    nems_id: str | None = None
    # certcli actor name of a training officer who verifies cards (see VERIFIERS).
    login: str | None = None

    @property
    def groups(self) -> str:
        return ";".join([f"Station {self.station}", self.shift, *self.roles])

    @property
    def city(self) -> str:
        return STATION_CITIES[self.station]


@dataclass
class Record:
    person: Person
    type_code: str
    issued: date
    expires: date | None
    level: str | None = None
    number: str | None = None
    state: str | None = None
    city: str | None = None
    verified_by: str | None = None
    verified_at: str | None = None
    notes: str | None = None

    def row(self) -> list[str]:
        values = {
            "employee_id": self.person.employee_id,
            "last_name": self.person.last_name,
            "first_name": self.person.first_name,
            "email": self.person.email,
            "type": self.type_code,
            "level": self.level,
            "number": self.number,
            "state": self.state,
            "city": self.city,
            "issued": self.issued.isoformat(),
            "expires": self.expires.isoformat() if self.expires else None,
            "verified_by": self.verified_by,
            "verified_at": self.verified_at,
            "notes": self.notes,
        }
        return ["" if values.get(column) is None else values[column] for column in RECORD_HEADER]


# ---------------------------------------------------------------------------------------------
# Expiration rules (the same rules as certcli's default type catalog)


def add_months(start: date, months: int, end_of_month: bool = False) -> date:
    """Add `months` to `start`. A missing day becomes the month's last day, as in certcli."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, last if end_of_month else min(start.day, last))


def nremt_first_expiration(level: str, issued: date) -> date:
    """Return the expiration of a first NREMT certification.

    It is March 31 (EMR: September 30), two years later when gained January to June and three
    years later when gained July to December.
    """
    years = 2 if issued.month <= 6 else 3
    return date(issued.year + years, 9, 30) if level == "EMR" else date(issued.year + years, 3, 31)


def state_expiration(state: str, issued: date) -> date:
    """Return the expiration of a state certification: the day before the cycle's anniversary."""
    return add_months(issued, 12 * STATE_CYCLE_YEARS[state]) - timedelta(days=1)


# Cycles of the card types, in months and whether the card is valid through the end of the
# last month. BLS, ACLS, PALS and ITLS follow certcli's default rules. PHTLS, HAZMAT-OPS and
# EVOC have no default rule, so the agency's own cycles are written as explicit expirations.
CARD_CYCLES = {
    "BLS": (24, True),
    "ACLS": (24, True),
    "PALS": (24, True),
    "ITLS": (36, False),
    "PHTLS": (48, True),
    "HAZMAT-OPS": (24, False),
    "EVOC": (36, False),
}
NEVER_EXPIRES = ("ICS-100", "ICS-200", "ICS-700", "ICS-800", "FF1", "FF2")


def card_expiration(type_code: str, issued: date) -> date:
    months, end_of_month = CARD_CYCLES[type_code]
    return add_months(issued, months, end_of_month)


# ---------------------------------------------------------------------------------------------
# Small helpers


def draw_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def ascii_fold(text: str) -> str:
    """Return `text` in lower-case ASCII letters only, for e-mail addresses (Núñez -> nunez)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z]", "", decomposed.encode("ascii", "ignore").decode().lower())


class NumberPool:
    """Certification numbers handed out so far, so that no two records share a number by chance."""

    def __init__(self):
        self.used: set[str] = set()

    def take(self, draw: Callable[[], str]) -> str:
        """Call `draw` until it returns an unused number, and return that number."""
        number = draw()
        while number in self.used:
            number = draw()
        self.used.add(number)
        return number


def new_nremt_number(rng: random.Random, level: str) -> str:
    prefix = {"EMR": "R", "EMT": "E", "AEMT": "A", "Paramedic": "M"}[level]
    # The second character is usually a digit, but a few older numbers carry a letter there.
    second = rng.choice("ABCDEFGH") if rng.random() < 0.1 else str(rng.randint(0, 9))
    return f"{prefix}{second}{rng.randint(0, 999999):06d}"


def new_state_number(rng: random.Random, state: str) -> str:
    if state == "CO":
        return f"{rng.randint(0, 2999999):07d}"  # leading zeros are part of the number
    return f"{state}-{rng.randint(1000, 99999)}"


def new_card_number(rng: random.Random, type_code: str) -> str:
    if type_code in ("BLS", "ACLS", "PALS"):
        if rng.random() < 0.5:
            return f"{rng.randint(10**11, 10**12 - 1)}"  # AHA eCard code
        return f"{rng.randint(0, 99999):07d}"  # older paper card, zero-padded
    if type_code in ("FF1", "FF2"):
        return f"{type_code}-{rng.randint(0, 99999):06d}"
    return f"{rng.randint(0, 999999):07d}"


def draw_verification(
    rng: random.Random, person: Person, issued: date, probability: float
) -> tuple[str | None, str | None]:
    """Return (verified_by, verified_at) for a record, or (None, None) when it stays unverified.

    A training officer never verifies their own card.
    """
    latest = REFERENCE_DAY - timedelta(days=1)
    if issued > latest or rng.random() >= probability:
        return None, None
    day = min(issued + timedelta(days=rng.randint(2, 90)), latest)
    moment = f"{day.isoformat()}T{rng.randint(13, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"
    return rng.choice([login for login in VERIFIERS if login != person.login]), moment


# ---------------------------------------------------------------------------------------------
# People


def build_people(rng: random.Random) -> list[Person]:
    """Build 150 members on 5 stations: 15 officers, paramedics, EMTs and firefighters."""
    first_names = list(FIRST_NAMES)
    last_names = [name for name in LAST_NAMES if name not in {last for _, last, _ in VERIFIERS.values()}]
    rng.shuffle(first_names)
    rng.shuffle(last_names)
    random_names = list(zip(first_names, last_names))

    # One officer per station and shift. The training officers hold three of those posts.
    slots = [(station, shift) for station in STATION_CITIES for shift in SHIFTS]
    members: list[tuple[str, str, str | None, list[str], str | None, int, str]] = []
    for login, (first, last, station) in VERIFIERS.items():
        shift = SHIFTS[len(members)]
        slots.remove((station, shift))
        members.append((first, last, login, ["Officer", "Paramedic"], "Paramedic", station, shift))
    for roles, level in [(["Officer", "Paramedic"], "Paramedic")] * 5 + [(["Officer", "EMT"], "EMT")] * 7:
        first, last = random_names.pop()
        station, shift = slots.pop(0)
        members.append((first, last, None, roles, level, station, shift))

    crews: list[tuple[list[str], str | None]] = []
    crews += [(["Paramedic"], "Paramedic")] * 30 + [(["Firefighter", "Paramedic"], "Paramedic")] * 12
    crews += [(["EMT"], "EMT")] * 26 + [(["EMT"], "AEMT")] * 5
    crews += [(["Firefighter", "EMT"], "EMT")] * 34 + [(["Firefighter"], "EMR")] * 10
    crews += [(["Firefighter"], None)] * (150 - len(members) - len(crews))
    for roles, level in crews:
        first, last = random_names.pop()
        members.append((first, last, None, roles, level, rng.randint(1, 5), rng.choice(SHIFTS)))

    # Shuffle, so that employee ids do not follow the roles.
    rng.shuffle(members)
    people: list[Person] = []
    emails: set[str] = set()
    for index, (first, last, login, roles, level, station, shift) in enumerate(members):
        local = f"{ascii_fold(first)}.{ascii_fold(last)}"
        suffix = 2
        email = f"{local}@example.org"
        while email in emails:
            email, suffix = f"{local}{suffix}@example.org", suffix + 1
        emails.add(email)
        people.append(Person(first, last, email, f"E{1001 + index}", station, shift, list(roles), level,
                             login=login))

    # Members who left stay in the database with their old records.
    for person in rng.sample([p for p in people if p.login is None], 4):
        person.active = False
    return people


def assign_nems_ids(rng: random.Random, people: list[Person], records: list[Record]) -> None:
    """Give a National EMS ID to every NREMT holder and to some other EMS members."""
    holders = {record.person.employee_id for record in records if record.type_code == "NREMT"}
    nems_ids: set[str] = set()
    for person in people:
        if person.employee_id in holders or (person.ems_level and rng.random() < 0.3):
            nems_id = f"{rng.randint(10**11, 10**12 - 1)}"
            while nems_id in nems_ids:
                nems_id = f"{rng.randint(10**11, 10**12 - 1)}"
            nems_ids.add(nems_id)
            person.nems_id = nems_id


# ---------------------------------------------------------------------------------------------
# Certification records


@dataclass
class Plan:
    """Choices about the whole agency, made before any record is drawn."""

    without_bls: list[Person] = field(default_factory=list)
    # (employee_id, type) -> issued date of the current record, for dates the README names.
    fixed_issued: dict[tuple[str, str], date] = field(default_factory=dict)
    # People whose NREMT certification is entered only by the legacy file.
    without_nremt: list[Person] = field(default_factory=list)


def pick_status(rng: random.Random, person: Person) -> str:
    if not person.active:
        return "expired"
    draw = rng.random()
    if draw < 0.10:
        return "expired"
    if draw < 0.26:
        return "expiring"
    return "valid"


def draw_issued_date(rng: random.Random, rule, months: int, status: str) -> date:
    """Draw an issued date (on or before REFERENCE_DAY) whose expiration has `status`."""
    horizon = REFERENCE_DAY + timedelta(days=EXPIRING_DAYS)
    nominal = add_months(REFERENCE_DAY, -months)
    if status == "expiring":
        first, last = nominal - timedelta(days=31), nominal + timedelta(days=EXPIRING_DAYS)
    elif status == "expired":
        first, last = nominal - timedelta(days=700), nominal
    else:
        first, last = nominal + timedelta(days=EXPIRING_DAYS - 31), REFERENCE_DAY
    while True:
        issued = draw_day(rng, first, last)
        expires = rule(issued)
        ok = {
            "expiring": REFERENCE_DAY <= expires <= horizon,
            "expired": expires < REFERENCE_DAY,
            "valid": expires > horizon,
        }[status]
        if ok and EARLIEST_ISSUED <= issued <= REFERENCE_DAY:
            return issued


def build_card_chain(rng: random.Random, pool: NumberPool, person: Person, type_code: str, plan: Plan) -> list[Record]:
    """Return a card's current record and up to two earlier cards, oldest first.

    Each earlier card expired before the next one was issued (a short lapse), so no two
    periods overlap and no issued date equals the previous expiration.
    """
    months = CARD_CYCLES[type_code][0]
    rule = lambda issued: card_expiration(type_code, issued)  # noqa: E731
    fixed = plan.fixed_issued.get((person.employee_id, type_code))
    issued = fixed or draw_issued_date(rng, rule, months, pick_status(rng, person))
    periods = [(issued, rule(issued))]
    for _ in range(rng.choices([0, 1, 2], weights=[50, 38, 12])[0]):
        later_issued = periods[0][0]
        gap = rng.randint(3, 45)
        earlier = add_months(later_issued, -months) - timedelta(days=gap)
        while rule(earlier) >= later_issued:
            earlier -= timedelta(days=gap)
        if earlier < EARLIEST_ISSUED:
            break
        periods.insert(0, (earlier, rule(earlier)))

    records = []
    for position, (issued, expires) in enumerate(periods):
        is_history = position < len(periods) - 1
        number = None
        if type_code not in ("HAZMAT-OPS", "EVOC") or rng.random() < 0.5:
            number = pool.take(lambda: new_card_number(rng, type_code))
        by, at = draw_verification(rng, person, issued, 0.8 if is_history else 0.55)
        notes = rng.choice(NOTES) if rng.random() < 0.12 else None
        records.append(Record(person, type_code, issued, expires, number=number,
                              verified_by=by, verified_at=at, notes=notes))
    return records


def build_nremt_chain(rng: random.Random, pool: NumberPool, person: Person) -> list[Record]:
    """Return a member's NREMT records, oldest first.

    A recertification starts the day after the previous expiration (April 1) and expires two
    years after it. A paramedic may first have held an EMT certification: the paramedic
    certification, with its own number, was gained between April and June of the year the
    EMT one expired, so the first-certification rule and the cycle give the same date.
    """
    level = person.ems_level
    if level == "EMR":
        issued = draw_day(rng, date(2024, 3, 1), REFERENCE_DAY - timedelta(days=30))
        periods = [("EMR", issued, nremt_first_expiration("EMR", issued))]
    else:
        upgraded = level == "Paramedic" and rng.random() < 0.3
        first_level = "EMT" if upgraded else level
        # An upgraded paramedic's EMT certification must have expired before REFERENCE_DAY.
        latest_first = date(2022, 12, 31) if upgraded else date(2025, 10, 31)
        issued = draw_day(rng, date(2013, 1, 1), latest_first)
        periods = [(first_level, issued, nremt_first_expiration(first_level, issued))]
        # A lapsed member stops recertifying at the first expiration in 2024 or later.
        lapse = rng.random() < 0.05 or not person.active
        while periods[-1][2] < REFERENCE_DAY:
            last_level, _, last_expires = periods[-1]
            if lapse and periods[-1][2] >= date(2024, 1, 1):
                break
            if upgraded and last_level == "EMT" and (rng.random() < 0.5 or last_expires.year >= 2024):
                new_issued = draw_day(rng, date(last_expires.year, 4, 1), date(last_expires.year, 6, 30))
                new_issued = min(new_issued, REFERENCE_DAY)
                periods.append(("Paramedic", new_issued, date(last_expires.year + 2, 3, 31)))
            else:
                periods.append((last_level, last_expires + timedelta(days=1), date(last_expires.year + 2, 3, 31)))
        # Keep at most three records: older cycles were never entered.
        periods = periods[-3:]

    numbers: dict[str, str] = {}
    records = []
    for position, (record_level, issued, expires) in enumerate(periods):
        if record_level not in numbers:
            numbers[record_level] = pool.take(lambda: new_nremt_number(rng, record_level))
        is_history = position < len(periods) - 1
        by, at = draw_verification(rng, person, issued, 0.85 if is_history else 0.6)
        records.append(Record(person, "NREMT", issued, expires, level=record_level,
                              number=numbers[record_level], state=AGENCY_STATE, city=person.city,
                              verified_by=by, verified_at=at))
    return records


def build_state_chain(rng: random.Random, pool: NumberPool, person: Person, state: str) -> list[Record]:
    """Return a member's state EMS records, oldest first. Each cycle starts the day after the last one."""
    status = pick_status(rng, person)
    rule = lambda issued: state_expiration(state, issued)  # noqa: E731
    issued = draw_issued_date(rng, rule, 12 * STATE_CYCLE_YEARS[state], status)
    periods = [(issued, rule(issued))]
    for _ in range(rng.choices([0, 1, 2], weights=[45, 40, 15])[0]):
        earlier = add_months(periods[0][0], -12 * STATE_CYCLE_YEARS[state])
        if earlier < EARLIEST_ISSUED:
            break
        periods.insert(0, (earlier, rule(earlier)))

    number = pool.take(lambda: new_state_number(rng, state))
    city = person.city if state == AGENCY_STATE else rng.choice(OUT_OF_STATE_CITIES[state])
    level = person.ems_level
    records = []
    for position, (issued, expires) in enumerate(periods):
        # A paramedic's oldest state records may still be at the EMT level.
        record_level = "EMT" if level == "Paramedic" and position == 0 and len(periods) == 3 else level
        is_history = position < len(periods) - 1
        by, at = draw_verification(rng, person, issued, 0.8 if is_history else 0.55)
        records.append(Record(person, "STATE_EMS", issued, expires, level=record_level, number=number,
                              state=state, city=city, verified_by=by, verified_at=at))
    return records


def build_lasting_record(
    rng: random.Random, pool: NumberPool, person: Person, type_code: str, earliest: date
) -> Record:
    """Return a record of a type that never expires (ICS courses, Firefighter I and II)."""
    issued = draw_day(rng, earliest, REFERENCE_DAY - timedelta(days=10))
    number = pool.take(lambda: new_card_number(rng, type_code)) if type_code in ("FF1", "FF2") else None
    by, at = draw_verification(rng, person, issued, 0.7)
    return Record(person, type_code, issued, None, number=number, verified_by=by, verified_at=at)


def build_plan(rng: random.Random, people: list[Person]) -> Plan:
    plan = Plan()
    active = [person for person in people if person.active and person.login is None]
    # Members with no BLS card on file: mostly firefighters, a few EMTs and one officer. One of
    # them gets the two legacy BLS records, so twelve remain without BLS after the full load.
    firefighters = [p for p in active if p.roles == ["Firefighter"]]
    emts = [p for p in active if p.roles == ["EMT"]]
    officers = [p for p in active if "Officer" in p.roles]
    plan.without_bls = rng.sample(firefighters, 9) + rng.sample(emts, 3) + rng.sample(officers, 1)

    # Paramedics whose ITLS cards expire on the README's dates: one on REFERENCE_DAY itself,
    # one on 2027-02-02 (ITLS lasts 36 months to the day).
    paramedics = [p for p in active if p.ems_level == "Paramedic"]
    for person, issued in zip(rng.sample(paramedics, 2), (date(2023, 12, 4), date(2024, 2, 2))):
        plan.fixed_issued[(person.employee_id, "ITLS")] = issued

    # EMTs with a state certification only. The first gets the legacy NREMT record without a city.
    candidates = [p for p in active if p.ems_level == "EMT" and p not in plan.without_bls]
    plan.without_nremt = rng.sample(candidates, 12)
    return plan


def build_records(rng: random.Random, people: list[Person], plan: Plan, pool: NumberPool) -> list[Record]:
    records: list[Record] = []
    for person in people:
        level = person.ems_level
        is_officer = "Officer" in person.roles
        is_firefighter = "Firefighter" in person.roles or is_officer
        hired = draw_day(rng, date(2012, 1, 1), date(2025, 6, 30))

        if level and level != "EMR":
            if person not in plan.without_nremt and (level != "EMT" or rng.random() < 0.7):
                records += build_nremt_chain(rng, pool, person)
            if rng.random() < 0.9 or person in plan.without_nremt:
                state = AGENCY_STATE if rng.random() < 0.9 else rng.choice(["WY", "UT"])
                records += build_state_chain(rng, pool, person, state)
        elif level == "EMR" and rng.random() < 0.8:
            records += build_nremt_chain(rng, pool, person)

        chosen = []
        if person not in plan.without_bls:
            chosen.append("BLS")
        if level == "Paramedic":
            chosen += [code for code, chance in (("ACLS", 0.95), ("PALS", 0.85)) if rng.random() < chance]
        if (person.employee_id, "ITLS") in plan.fixed_issued:
            chosen.append("ITLS")
        elif level == "Paramedic" and rng.random() < 0.75:
            chosen.append(rng.choice(["PHTLS", "ITLS"]))
        elif level in ("EMT", "AEMT") and rng.random() < 0.2:
            chosen.append("PHTLS")
        if is_firefighter and rng.random() < 0.85:
            chosen.append("HAZMAT-OPS")
        if is_officer or rng.random() < 0.45:
            chosen.append("EVOC")
        for type_code in chosen:
            records += build_card_chain(rng, pool, person, type_code, plan)

        courses = []
        if is_firefighter:
            courses.append("FF1")
            if is_officer or rng.random() < 0.6:
                courses.append("FF2")
        for course, chance in (("ICS-100", 0.85), ("ICS-700", 0.85), ("ICS-200", 0.45), ("ICS-800", 0.15)):
            if is_officer or rng.random() < chance:
                courses.append(course)
        for course in courses:
            earliest = hired
            if course == "FF2":
                earliest = min(hired + timedelta(days=365), REFERENCE_DAY - timedelta(days=30))
            records.append(build_lasting_record(rng, pool, person, course, earliest))

    # FF2 builds on FF1, so each person's FF1 must be issued no later than their FF2.
    firefighter_one = {r.person.employee_id: r for r in records if r.type_code == "FF1"}
    for record in records:
        if record.type_code == "FF2":
            first = firefighter_one[record.person.employee_id]
            if first.issued > record.issued:
                first.issued, record.issued = record.issued, first.issued
                first.verified_by = first.verified_at = record.verified_by = record.verified_at = None

    records.sort(key=lambda r: (r.person.employee_id, r.type_code, r.issued))
    return records


# ---------------------------------------------------------------------------------------------
# Planted errors


def build_legacy(rng: random.Random, plan: Plan, records: list[Record], pool: NumberPool) -> list[Record]:
    """Return the legacy rows, each carrying one planted data error (see README.md)."""
    note = "Entered from the old roster spreadsheet"
    legacy = []

    # (a) A BLS renewal entered with the previous card's expiration as its issued date.
    person = next(p for p in plan.without_bls if p.roles == ["Firefighter"])
    first = Record(person, "BLS", date(2023, 1, 19), card_expiration("BLS", date(2023, 1, 19)),
                   number=pool.take(lambda: new_card_number(rng, "BLS")), notes=note)
    wrong_issued = first.expires
    legacy.append(first)
    legacy.append(Record(person, "BLS", wrong_issued, card_expiration("BLS", wrong_issued),
                         number=pool.take(lambda: new_card_number(rng, "BLS")), notes=note))

    # (b) Another member's state certification number typed on an older record.
    state_records = [r for r in records if r.type_code == "STATE_EMS" and r.state == AGENCY_STATE
                     and r.person.active]
    owner_record = rng.choice(state_records)
    others = [r for r in state_records if r.person is not owner_record.person and r.person.ems_level == "EMT"]
    target = rng.choice(others)
    target_first = min(r.issued for r in state_records if r.person is target.person)
    expires = target_first - timedelta(days=rng.randint(150, 400))
    issued = add_months(expires + timedelta(days=1), -12 * STATE_CYCLE_YEARS[AGENCY_STATE])
    legacy.append(Record(target.person, "STATE_EMS", issued, expires, level="EMT", number=owner_record.number,
                         state=AGENCY_STATE, city=target.person.city, notes=note))

    # (c) An NREMT record without the city (loaded with --allow-incomplete).
    person = plan.without_nremt[0]
    issued = date(2024, 9, 16)
    legacy.append(Record(person, "NREMT", issued, nremt_first_expiration("EMT", issued), level="EMT",
                         number=pool.take(lambda: new_nremt_number(rng, "EMT")), state=AGENCY_STATE, notes=note))
    return legacy


# ---------------------------------------------------------------------------------------------
# Checks on the generated data


def expected_expiration(record: Record, previous: Record | None) -> date | None:
    """Return the expiration that this generator's rule for the type gives (None: never expires)."""
    if record.type_code in NEVER_EXPIRES:
        return None
    if record.type_code == "NREMT":
        if previous is not None and previous.level == record.level:
            return date(previous.expires.year + 2, previous.expires.month, previous.expires.day)
        return nremt_first_expiration(record.level, record.issued)
    if record.type_code == "STATE_EMS":
        return state_expiration(record.state, record.issued)
    return card_expiration(record.type_code, record.issued)


def group_chains(records: list[Record]) -> dict[tuple[str, str], list[Record]]:
    grouped: dict[tuple[str, str], list[Record]] = {}
    for record in records:
        grouped.setdefault((record.person.employee_id, record.type_code), []).append(record)
    for chain in grouped.values():
        chain.sort(key=lambda r: (r.expires or date.max, r.issued))
    return grouped


class InvalidExample(Exception):
    """The generated data breaks a property the README promises."""


def require(condition: object, message: str) -> None:
    # An explicit check rather than assert, so that `python -O` still validates.
    if not condition:
        raise InvalidExample(message)


def validate_clean(records: list[Record]) -> None:
    """Raise InvalidExample if the clean records break a type rule or contain a planted-error pattern."""
    owners: dict[tuple[str, str], str] = {}
    keys = set()
    for record in records:
        key = (record.person.employee_id, record.type_code, record.number or "", record.issued)
        require(key not in keys, f"duplicate natural key {key}")
        keys.add(key)
        require(record.issued <= REFERENCE_DAY, f"issued after the reference day: {key}")
        require(record.expires is None or record.expires >= record.issued, f"expires before issued: {key}")
        if record.type_code in ("NREMT", "STATE_EMS"):
            require(record.level and record.number and record.state and record.city, f"incomplete: {key}")
        if record.type_code == "NREMT":
            require(re.fullmatch(r"[A-Z][A-Z0-9][0-9]{6}", record.number), f"bad NREMT number: {key}")
        if record.number:
            owner = owners.setdefault((record.type_code, record.number), record.person.employee_id)
            require(owner == record.person.employee_id, f"number {record.number} held by {owner} and {key}")
    for chain in group_chains(records).values():
        for previous, record in zip([None, *chain], chain):
            key = (record.person.employee_id, record.type_code, record.issued)
            require(record.expires == expected_expiration(record, previous), f"expiration off the rule: {key}")
            if previous is not None:
                require(previous.expires is not None, f"two records of a type that never expires: {key}")
                require(record.issued != previous.expires, f"issued on the previous expiration: {key}")
                require(record.issued > previous.expires, f"overlaps the previous record: {key}")


def validate_planted(clean: list[Record], legacy: list[Record]) -> None:
    """Raise InvalidExample unless each planted error is present in the combined records."""
    combined = group_chains(clean + legacy)
    bls = [chain for (_, code), chain in combined.items() if code == "BLS"]
    require(any(b.issued == a.expires for chain in bls for a, b in zip(chain, chain[1:])),
            "no BLS renewal issued on the previous expiration")
    holders: dict[str, set[str]] = {}
    for record in clean + legacy:
        if record.type_code == "STATE_EMS":
            holders.setdefault(record.number, set()).add(record.person.employee_id)
    require(any(len(ids) > 1 for ids in holders.values()), "no state EMS number shared by two people")
    require(any(r.type_code == "NREMT" and not r.city for r in legacy), "no NREMT record without a city")


# ---------------------------------------------------------------------------------------------
# Output


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> int:
    rng = random.Random(SEED)
    people = build_people(rng)
    plan = build_plan(rng, people)
    pool = NumberPool()
    records = build_records(rng, people, plan, pool)
    legacy = build_legacy(rng, plan, records, pool)
    assign_nems_ids(rng, people, records + legacy)
    validate_clean(records)
    validate_planted(records, legacy)

    write_csv(OUTPUT_DIR / "people.csv", PEOPLE_HEADER, [
        [p.first_name, p.last_name, p.email, p.employee_id, p.nems_id or "", p.groups, "yes" if p.active else "no"]
        for p in people
    ])
    write_csv(OUTPUT_DIR / "certifications.csv", RECORD_HEADER, [record.row() for record in records])
    write_csv(OUTPUT_DIR / "legacy-records.csv", RECORD_HEADER, [record.row() for record in legacy])
    print(f"{len(people)} people, {len(records)} records, {len(legacy)} legacy records written to {OUTPUT_DIR}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
