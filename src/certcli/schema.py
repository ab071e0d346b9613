"""The database schema as numbered migrations.

Each migration is a list of statements applied in one transaction together with the new
`PRAGMA user_version`, so a database is always at exactly one version. Never edit a
migration that has been released: add a new one. Tables are STRICT, so a certification
number such as "0123456" is stored as the text it is and never converted to an integer.
"""

from __future__ import annotations

# SQLite header field that marks the file as a certcli database ("CERT" in ASCII).
APPLICATION_ID = 0x43455254

_DATE_GLOB = "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'"

MIGRATION_1 = [
    """
    CREATE TABLE people (
        id INTEGER PRIMARY KEY,
        first_name TEXT NOT NULL,
        last_name TEXT NOT NULL,
        email TEXT COLLATE NOCASE UNIQUE,
        employee_id TEXT UNIQUE,
        nems_id TEXT UNIQUE,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    ) STRICT
    """,
    "CREATE INDEX people_last_name ON people (last_name COLLATE NOCASE)",
    """
    CREATE TABLE person_groups (
        person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
        group_name TEXT NOT NULL COLLATE NOCASE,
        PRIMARY KEY (person_id, group_name)
    ) STRICT, WITHOUT ROWID
    """,
    "CREATE INDEX person_groups_group ON person_groups (group_name, person_id)",
    """
    CREATE TABLE cert_types (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        levels TEXT NOT NULL DEFAULT '[]',
        required_fields TEXT NOT NULL DEFAULT '[]',
        number_pattern TEXT,
        validity TEXT,
        warning_days INTEGER NOT NULL DEFAULT 60 CHECK (warning_days >= 0),
        created_at TEXT NOT NULL
    ) STRICT
    """,
    f"""
    CREATE TABLE certifications (
        id INTEGER PRIMARY KEY,
        person_id INTEGER NOT NULL REFERENCES people (id),
        type_code TEXT NOT NULL REFERENCES cert_types (code) ON UPDATE CASCADE,
        level TEXT,
        number TEXT,
        state TEXT,
        city TEXT,
        issued TEXT NOT NULL CHECK (issued GLOB {_DATE_GLOB}),
        expires TEXT CHECK (expires IS NULL OR expires GLOB {_DATE_GLOB}),
        notes TEXT,
        previous_id INTEGER REFERENCES certifications (id) ON DELETE SET NULL,
        is_current INTEGER NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1)),
        entered_by TEXT NOT NULL,
        entered_at TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        verified_by TEXT,
        verified_at TEXT,
        verified_fingerprint TEXT,
        unverified_reason TEXT,
        CHECK (expires IS NULL OR expires >= issued)
    ) STRICT
    """,
    # The natural key: one person's card of one type with one number, issued on one day.
    # A renewal may reuse the number, so the number alone is never unique.
    """
    CREATE UNIQUE INDEX certifications_natural_key
        ON certifications (person_id, type_code, coalesce(number, ''), issued)
    """,
    "CREATE INDEX certifications_type_person ON certifications (type_code, person_id, expires)",
    "CREATE INDEX certifications_previous ON certifications (previous_id)",
    "CREATE INDEX certifications_number ON certifications (number)",
    # "Which record is current" is stored as records are written (is_current), so lists never
    # rank the whole table; these partial indexes serve the list filters on current records.
    "CREATE INDEX certifications_current_expires ON certifications (expires) WHERE is_current = 1",
    """
    CREATE INDEX certifications_current_type
        ON certifications (type_code, expires) WHERE is_current = 1
    """,
    """
    CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        data BLOB NOT NULL
    ) STRICT
    """,
    """
    CREATE TABLE images (
        id INTEGER PRIMARY KEY,
        certification_id INTEGER NOT NULL REFERENCES certifications (id) ON DELETE CASCADE,
        sha256 TEXT NOT NULL REFERENCES blobs (sha256),
        media_type TEXT NOT NULL,
        original_name TEXT,
        size INTEGER NOT NULL,
        added_by TEXT NOT NULL,
        added_at TEXT NOT NULL
    ) STRICT
    """,
    "CREATE INDEX images_certification ON images (certification_id)",
    "CREATE INDEX images_sha256 ON images (sha256)",
    """
    CREATE TABLE required_types (
        group_name TEXT NOT NULL COLLATE NOCASE,
        type_code TEXT NOT NULL REFERENCES cert_types (code) ON UPDATE CASCADE ON DELETE CASCADE,
        PRIMARY KEY (group_name, type_code)
    ) STRICT, WITHOUT ROWID
    """,
    """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT
    """,
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        person_id INTEGER,
        certification_id INTEGER,
        type_code TEXT,
        before TEXT,
        after TEXT,
        reason TEXT
    ) STRICT
    """,
    "CREATE INDEX events_certification ON events (certification_id)",
    "CREATE INDEX events_person ON events (person_id)",
    "CREATE INDEX events_at ON events (at)",
    # The audit log is append-only: nothing a user can run erases history silently.
    """
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
    """,
    """
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
    """,
]

# "Which record is current" moves from a flag on every record to a table with one row per
# (person, type). An import that renews 70,000 cards then rewrites 70,000 small rows that sit
# together, instead of 70,000 scattered pages of the records table and two partial indexes
# (docs/benchmarks.md). The current record's expiration is kept here too, so the expiring
# list reads one compact index.
#
# The table is derived data, like an index: every write of a record ranks its pair again
# (`records.update_current`), and `certcli check --integrity` compares the table with a
# ranking of every record. certification_id has neither a foreign key nor an index of its
# own: replacing a row would look up the replaced record, a random page of the records table,
# and move an entry in a second index, for each renewal. Queries find a record's row by its
# person and type.
#
# The natural key moves to plain columns, so that reading the cards a person has needs
# only the index (SQLite reads an expression index's table rows as well). Records without a
# number get their own unique index, because UNIQUE treats each NULL as distinct.
MIGRATION_2 = [
    """
    CREATE TABLE current_records (
        person_id INTEGER NOT NULL,
        type_code TEXT NOT NULL REFERENCES cert_types (code) ON UPDATE CASCADE,
        certification_id INTEGER NOT NULL,
        expires TEXT,
        PRIMARY KEY (person_id, type_code)
    ) STRICT, WITHOUT ROWID
    """,
    # Ranked again rather than copied from is_current, so the table is right even where
    # an old flag was not.
    """
    INSERT INTO current_records (person_id, type_code, certification_id, expires)
    SELECT person_id, type_code, id, expires FROM (
        SELECT id, person_id, type_code, expires, row_number() OVER (PARTITION BY person_id, type_code
            ORDER BY coalesce(expires, '9999-12-31') DESC, issued DESC, id DESC) AS rank
        FROM certifications)
    WHERE rank = 1
    ORDER BY person_id, type_code
    """,
    "CREATE INDEX current_records_expires ON current_records (expires)",
    "CREATE INDEX current_records_type ON current_records (type_code, expires)",
    "DROP INDEX certifications_current_expires",
    "DROP INDEX certifications_current_type",
    "ALTER TABLE certifications DROP COLUMN is_current",
    "DROP INDEX certifications_natural_key",
    "CREATE UNIQUE INDEX certifications_natural_key ON certifications (person_id, type_code, number, issued)",
    """
    CREATE UNIQUE INDEX certifications_natural_key_no_number
        ON certifications (person_id, type_code, issued) WHERE number IS NULL
    """,
]

MIGRATIONS: list[list[str]] = [MIGRATION_1, MIGRATION_2]
SCHEMA_VERSION = len(MIGRATIONS)
