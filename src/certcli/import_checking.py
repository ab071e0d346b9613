"""Checking the rows of a large import in a second process while the first one writes.

`Checking` hands `import_records` its rows in batches. For a large CSV file it starts
`main` in a new Python interpreter, which checks the rows and reads the stored records each
batch touches, and sends both back on a pipe. Otherwise it checks the rows in-process.
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from typing import Callable, Iterator

from certcli import importer
from certcli.errors import CertcliError, InvalidValue
from certcli.importer import (
    RECORD_FILE_FIELDS,
    ImportOptions,
    ImportResult,
    RowProblem,
    _check_row,
    _People,
    _problem,
    _RecordReader,
    _Row,
    _row_dict,
    map_headers,
)
from certcli.records import Options
from certcli.tabular import ReadOptions, Table, open_table

# The two kinds of row the checking process sends.
_CHECKED, _REJECTED = range(2)
# The keys of a checked record, in the order the checking process sends its values.
_RECORD_KEYS = ("type_code", "level", "number", "state", "city", "issued", "expires", "notes", "incomplete",
                "expires_missing")
# A CSV file at least this long (about 10,000 rows) is checked in a second process, which
# sends a small first batch so that the writing starts early.
PARALLEL_CHARS = 1_000_000
FIRST_BATCH_ROWS = 500


@dataclass
class CheckingJob:
    """The inputs the checking process needs to check a file as the importing process would."""

    database: str
    source: str
    read: ReadOptions
    mappings: dict[str, str]
    record_options: Options
    create_people: bool  # a person not found is then left to this process to add
    digest: str  # of the file as the importing process read it, to notice a file changed meanwhile


class Checking:
    """Check the file's rows and hand them over in batches of up to BATCH_ROWS checked rows.

    A large CSV file is checked in a second process while this one writes, so on two cores
    the checks overlap the writes. That process is a new Python interpreter (not a fork:
    an SQLite connection must not cross fork), started after this one has taken the write
    lock, so its own connection reads the database as the import found it. For each batch it
    also reads the stored records that `_RecordWriter.load` would read here. Elsewhere (small
    files, XLSX, standard input, a frozen executable) the rows are checked here, between the
    writes, and so they are when the second process cannot start or ends before its first
    batch.
    """

    def __init__(self, conn, source: str, table: Table, fields, people: _People, options: ImportOptions,
                 record_options: Options, result: ImportResult, progress: Callable[[int], None] | None):
        self.conn, self.table, self.fields, self.people = conn, table, fields, people
        self.record_options, self.result, self.progress = record_options, result, progress
        self.process = self.errors = None
        database = conn.execute("PRAGMA database_list").fetchone()[2]
        # Without WAL (a file system that refuses it), the second process's read lock would
        # block this process's writes.
        wal = conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        if (table.size >= PARALLEL_CHARS and source != "-" and database and wal and sys.executable
                and not getattr(sys, "frozen", False)):
            # The same working directory, so paths as given name the same files (and errors
            # quote them as the user typed them).
            job = CheckingJob(database, source, options.read, options.mappings, record_options,
                              options.create_people, table.digest)
            self._start(job)

    def _start(self, job: CheckingJob) -> None:
        # Its stderr goes to a file: a traceback there would only confuse the user, and the
        # last line of it goes into the error if the process fails.
        self.errors = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from certcli.import_checking import main; main()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors)
            _widen_pipe(self.process.stdout.fileno())
            self.process.stdin.write(pickle.dumps(job, pickle.HIGHEST_PROTOCOL))
            self.process.stdin.close()
        except OSError:
            self.close()  # no second process: the rows are checked here

    def batches(self) -> Iterator[tuple[list[_Row], tuple | None]]:
        """Yield (rows, what the checking process read for them, or None)."""
        if self.process:
            try:
                yield from self._received()
                return
            except _NotStarted:
                self.close()
        batch, count = [], 0
        for number, values in self.table.rows:
            count += 1
            if self.progress and count % 1000 == 0:
                self.progress(count)
            row = _checked_row(self.conn, number, values, self.fields, self.table, self.people,
                               self.record_options)
            if isinstance(row, RowProblem):
                self.result.rejected.append(row)
                continue
            batch.append(row)
            if len(batch) == importer.BATCH_ROWS:
                yield batch, None
                batch = []
        yield batch, None

    def _received(self) -> Iterator[tuple[list[_Row], tuple]]:
        columns = {name: header for name, header in zip(self.fields, self.table.headers) if name}
        # This process parses the file too (cheaper than receiving every value), row for row.
        own_rows = iter(self.table.rows)
        count = 0
        stream = self.process.stdout
        while True:
            header = stream.read(_LENGTH.size)
            data = stream.read(_LENGTH.unpack(header)[0]) if len(header) == _LENGTH.size else b""
            if not data:
                if count == 0:
                    raise _NotStarted
                raise self._failure(f"it stopped with exit status {self.process.wait()}")
            kind, payload, loaded = pickle.loads(data)
            if kind == "done":
                return
            if kind == "error":
                raise payload
            if kind == "crash":
                raise self._failure(payload.strip().splitlines()[-1])
            rows = []
            for item in payload:
                count += 1
                if self.progress and count % 1000 == 0:
                    self.progress(count)
                number, values = next(own_rows, (None, None))
                if number != item[1]:
                    raise self._failure(f"it sent {self.table.location} {item[1]} where {number} was expected")
                if item[0] == _REJECTED:
                    _, number, column, message = item
                    self.result.rejected.append(RowProblem(number, column, message, values))
                    continue
                _, number, warnings, record_values, person_id, verified_by, verified_at, existing = item
                record = dict(zip(_RECORD_KEYS, record_values))
                if record["incomplete"] is None:
                    del record["incomplete"]
                if record["expires_missing"] is None:
                    del record["expires_missing"]
                rows.append(_Row(number, values, None, columns, warnings, record, record["type_code"], person_id,
                                 verified_by, verified_at, self._data, existing))
            yield rows, loaded

    def _data(self, values: list) -> dict:
        return _row_dict(self.fields, values, self.table.headers, self.table.epoch)[0]

    def _failure(self, reason: str) -> CertcliError:
        """Return the error for a checking process that failed after its first batch."""
        self.errors.seek(0)
        lines = self.errors.read().decode("utf-8", "replace").strip().splitlines()
        detail = f" ({lines[-1]})" if lines else ""
        return CertcliError(f"the second process checking the rows failed: {reason}{detail}",
                            "Nothing was imported. Run the import again, and report the problem if it repeats")

    def close(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()  # the import stopped early; its checks are not needed
            for stream in (self.process.stdin, self.process.stdout):
                if stream is not None:
                    stream.close()
            self.process.wait()
            self.process = None
        if self.errors is not None:
            self.errors.close()
            self.errors = None


class _NotStarted(Exception):
    """The checking process ended before its first batch, so nothing depends on it yet."""


def _checked_row(conn, number: int, values: list, fields: list[str | None], table: Table, people: _People,
                 record_options: Options) -> _Row | RowProblem:
    data, columns, warnings = _row_dict(fields, values, table.headers, table.epoch)
    try:
        return _check_row(conn, number, values, data, columns, warnings, people, record_options)
    except CertcliError as error:
        return _problem(number, values, columns, error)


def _widen_pipe(fd: int) -> None:
    """Let the pipe hold about three batches (Linux).

    This process reads the pipe only between writes, and writing a batch takes longer than
    checking one. With the default 64 KiB the checking process would wait for each write to
    end, and the two processes would take turns instead of working at once.
    """
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass  # another system, or a lower limit: slower, not wrong


# The length of each message from the checking process, ahead of the pickled message.
_LENGTH = struct.Struct("<Q")


def main() -> None:
    """Run the checking process: read a job on stdin, and send each batch of checked rows on stdout.

    See `Checking`. Only `Checking` starts it, with a job it pickled itself.
    """
    from certcli.db import connect

    job: CheckingJob = pickle.loads(sys.stdin.buffer.read())
    output = sys.stdout.buffer

    def send(message: tuple) -> None:
        data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
        output.write(_LENGTH.pack(len(data)))
        output.write(data)
        output.flush()

    try:
        conn = connect(job.database, migrate=False)
        conn.execute("BEGIN")  # one snapshot: the database as the import found it
        table = open_table(job.source, job.read)
        if table.digest != job.digest:
            raise InvalidValue(f'"{job.source}" changed while it was being imported', "Import it again")
        fields = map_headers(table.headers, job.mappings, RECORD_FILE_FIELDS)
        # People are looked up one by one until the first 1,000, then read at once (as here):
        # the first batch then reaches the importing process sooner.
        people = _People(conn, "", job.create_people, ImportResult())
        reader = _RecordReader(conn)

        def send_batch(rows: list) -> None:
            checked = [row for row in rows if isinstance(row, _Row)]
            chains = reader.read(checked)
            items = []
            for row in rows:
                if isinstance(row, RowProblem):
                    items.append((_REJECTED, row.number, row.column, row.message))
                    continue
                existing = reader.find(row.person_id, row.record) if row.person_id is not None else None
                items.append((_CHECKED, row.number, row.warnings, tuple(map(row.record.get, _RECORD_KEYS)),
                              row.person_id, row.verified_by, row.verified_at, existing))
            send(("rows", items, [(pair, chain.latest, chain.expires, chain.rebuild)
                                   for pair, chain in chains.items()]))

        rows, count, size = [], 0, FIRST_BATCH_ROWS
        for number, values in table.rows:
            row = _checked_row(conn, number, values, fields, table, people, job.record_options)
            rows.append(row)
            count += isinstance(row, _Row)
            if count == size:
                send_batch(rows)
                rows, count, size = [], 0, importer.BATCH_ROWS
        send_batch(rows)
        message = ("done", None, None)
    except CertcliError as error:  # the file itself cannot be read further
        message = ("error", error, None)
    except BaseException:  # a fault in certcli: the importing process reports it
        message = ("crash", traceback.format_exc(), None)
    try:
        send(message)
    except OSError:
        pass  # the importing process has stopped reading
    os._exit(0)  # nothing to clean up; skip flushing a pipe that may be closed
