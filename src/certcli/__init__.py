"""certcli: certification records for EMS and fire agencies, kept in one SQLite file."""

__version__ = "0.1.0"
