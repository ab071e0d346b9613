"""Measure certcli against the floor of its own stack and write docs/benchmarks.md.

Each scenario runs certcli and its floor (bench/floor_app.py, bench/floors.py) as separate
processes in the same run, alternating which goes first, and reports medians, the ratio
certcli / floor and each process's peak memory (maximum resident set size from wait4).
The data comes from bench/generate.py and is cached under --workdir between runs.

    python bench/run.py              # full size, about 20 minutes on 2 cores
    python bench/run.py --quick      # small sizes, about a minute
    python bench/run.py --scenarios list,missing --repeat 5

Run it with the Python of the virtualenv that has certcli installed: the `certcli` script
next to that interpreter is the one measured.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402  (bench/ is not a package)
from certcli.schema import SCHEMA_VERSION  # noqa: E402

TODAY = generate.TODAY.isoformat()
SCENARIOS = ("help", "add", "import", "list", "missing", "export")
DEFAULT_OUTPUT = REPO / "docs" / "benchmarks.md"
QUICK_OUTPUT = REPO / "bench" / "out" / "benchmarks-quick.md"
DEFAULT_WORKDIR = Path("/tmp/certcli-bench")
RESULTS_BEGIN = "<!-- results:begin (written by bench/run.py) -->"
RESULTS_END = "<!-- results:end -->"
PACKAGES = ("typer", "rich", "sqlite-utils", "openpyxl", "python-dateutil", "click", "pydantic", "lxml")
# Budgets: the largest accepted ratio certcli / floor of the medians.
BUDGETS = {"help": 1.25, "add": 1.25, "import": 3.0, "list": 2.0, "missing": 2.0, "export": 1.25}
GNU_TIME = "/usr/bin/time"
# Peak memory counts as flat when the larger export uses at most this much more than the smaller.
FLAT_MEMORY_GROWTH = 0.10


@dataclass(frozen=True)
class Sizes:
    people: int
    records: int
    import_rows: int
    export_rows: tuple[int, int]
    add_people: int
    add_rows: int
    add_blocks: int
    help_runs: int
    repeat: int


FULL = Sizes(people=100_000, records=1_000_000, import_rows=100_000, export_rows=(20_000, 100_000),
             add_people=150, add_rows=1_000, add_blocks=10, help_runs=20, repeat=3)
QUICK = Sizes(people=2_000, records=20_000, import_rows=2_000, export_rows=(1_000, 5_000),
              add_people=150, add_rows=40, add_blocks=4, help_runs=5, repeat=2)


class BenchmarkError(Exception):
    """A measured process failed or produced the wrong result, so its timing means nothing."""


@dataclass
class Sample:
    seconds: float
    max_rss_kib: int
    returncode: int
    stderr: str = field(repr=False, default="")


@dataclass
class Result:
    scenario: str
    command: str
    size: str
    unit: str  # "s" or "ms"
    certcli: list[Sample]
    floor: list[Sample]
    # None for a comparison reported for information only.
    budget: float | None
    notes: list[str] = field(default_factory=list)
    # Checks of certcli's result that failed: the timing is reported, but the result was wrong.
    failures: list[str] = field(default_factory=list)

    def median(self, side: str) -> float:
        return statistics.median(sample.seconds for sample in getattr(self, side))

    def peak_mib(self, side: str) -> float:
        return statistics.median(sample.max_rss_kib for sample in getattr(self, side)) / 1024

    @property
    def ratio(self) -> float:
        return self.median("certcli") / self.median("floor")


@dataclass
class Context:
    python: str
    certcli: str
    workdir: Path
    sizes: Sizes
    env: dict[str, str]

    def certcli_env(self, db: Path) -> dict[str, str]:
        return {**self.env, "CERTCLI_DB": str(db)}


# -- processes ---------------------------------------------------------------------------

def run_process(argv: list[str], env: dict[str, str], stdout: Path | None = None) -> Sample:
    """Run one process to completion; return its wall time and its own peak memory.

    The peak comes from GNU time, which forks from a process of under 2 MiB. Measured from
    this runner instead (wait4, RUSAGE_CHILDREN), a child's maximum RSS would include the
    runner's own, because Linux keeps the high-water mark of the forked memory across exec.
    """
    with open(stdout or os.devnull, "wb") as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as usage:
        start = time.perf_counter()
        returncode = subprocess.call([GNU_TIME, "-f", "%M", "-o", usage.name, *argv],
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        seconds = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode("utf-8", errors="replace")
        max_rss_kib = int(usage.read().split()[-1])
    if returncode != 0:
        raise BenchmarkError(f"{shlex.join(argv)} exited {returncode}:\n{stderr[-2000:]}")
    return Sample(seconds, max_rss_kib, returncode, stderr)


def compile_package(name: str) -> None:
    """Write the .pyc files of an installed package, as pip does on install."""
    package = importlib.import_module(name)
    compileall.compile_dir(Path(package.__file__).parent, quiet=1)


def alternate(index: int, first, second) -> list:
    """Return both sides, swapping their order on odd repetitions so neither always goes first."""
    return [first, second] if index % 2 == 0 else [second, first]


def rotate(index: int, sides: tuple[str, ...]) -> list[str]:
    """Return the sides starting from a different one on each repetition."""
    start = index % len(sides)
    return [*sides[start:], *sides[:start]]


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def copy_database(source: Path, target: Path) -> Path:
    """Copy a closed, checkpointed database file (a file copy is safe only for such a file)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def count_records(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM certifications").fetchone()[0]


def misattributed_rows(db: Path, first_new_id: int, expected: dict[str, str]) -> int:
    """Count imported records stored for another person than the file's employee id names.

    `expected` maps each row's certification number (unique in generated import files) to
    its employee id.
    """
    with sqlite3.connect(db) as conn:
        stored = conn.execute(
            "SELECT c.number, p.employee_id FROM certifications c JOIN people p ON p.id = c.person_id"
            " WHERE c.id >= ?", (first_new_id,),
        ).fetchall()
    return sum(1 for number, employee in stored if expected.get(number) != employee)


def csv_rows(path: Path) -> int:
    with open(path, newline="", encoding="utf-8") as stream:
        return sum(1 for _ in csv.reader(stream)) - 1


# -- data --------------------------------------------------------------------------------

def agency_database(context: Context, people: int, records: int, history: bool = True) -> Path:
    """Return a generated database, making it first unless this exact one is cached."""
    kind = "" if history else "-nohistory"
    name = f"agency-{people}p-{records}r{kind}-g{generate.GENERATOR_VERSION}-s{SCHEMA_VERSION}.db"
    path = context.workdir / name
    if not path.exists():
        progress(f"generating {path} ...")
        partial = path.with_suffix(".partial")
        remove_database(partial)
        summary = generate.generate_database(partial, people, records, history=history)
        os.replace(partial, path)
        progress(f"  {summary['records']:,} records in {summary['seconds']} s")
    return path


def import_file(context: Context, people: int, rows: int) -> Path:
    path = context.workdir / f"renewals-{people}p-{rows}rows-g{generate.GENERATOR_VERSION}.csv"
    if not path.exists():
        partial = path.with_suffix(".partial")
        generate.write_import_csv(partial, people, rows)
        os.replace(partial, path)
    return path


# -- scenarios ---------------------------------------------------------------------------

def bench_help(context: Context) -> list[Result]:
    sides = {"certcli": [context.certcli, "--help"],
             "floor": [context.python, str(BENCH / "floor_app.py"), "--help"]}
    samples: dict[str, list[Sample]] = {"certcli": [], "floor": []}
    for side, argv in sides.items():
        run_process(argv, context.env)
    for index in range(context.sizes.help_runs):
        for side in alternate(index, "certcli", "floor"):
            samples[side].append(run_process(sides[side], context.env))
    return [Result("help", "`certcli --help`", "-", "ms", samples["certcli"], samples["floor"], BUDGETS["help"],
                   ["floor: `bench/floor_app.py --help`, a Typer app with one command"])]


def bench_add(context: Context) -> list[Result]:
    """Add rows one process each, in blocks that alternate between certcli and the floor."""
    sizes = context.sizes
    base = agency_database(context, sizes.add_people, sizes.add_people * 10)
    per_block = sizes.add_rows // sizes.add_blocks
    samples: dict[str, list[Sample]] = {"certcli": [], "floor": []}
    for block in range(sizes.add_blocks):
        rows = range(block * per_block, (block + 1) * per_block)
        for side in alternate(block, "certcli", "floor"):
            db = copy_database(base, context.workdir / f"add-{side}.db")
            before = count_records(db)
            for row in rows:
                samples[side].append(run_process(_add_argv(context, side, row), context.certcli_env(db)))
            added = count_records(db) - before
            if added != len(rows):
                raise BenchmarkError(f"{side} add stored {added} of {len(rows)} rows in block {block}")
            remove_database(db)
        progress(f"  add: block {block + 1}/{sizes.add_blocks}")
    size = f"{sizes.add_rows:,} rows, {sizes.add_people} people"
    return [Result("add", "`certcli add`, one process per row", size, "ms", samples["certcli"], samples["floor"],
                   BUDGETS["add"], [f"{sizes.add_blocks} alternating blocks of {per_block} processes; "
                                    "the median is per process"])]


def _add_argv(context: Context, side: str, row: int) -> list[str]:
    person = generate.employee_id(row % context.sizes.add_people + 1)
    issued = (generate.TODAY - timedelta(days=1 + row % 700)).isoformat()
    arguments = ["--today", TODAY, "add", person, "BLS", "--issued", issued, "--number", f"BENCH{row:07d}"]
    if side == "certcli":
        return [context.certcli, *arguments]
    return [context.python, str(BENCH / "floor_app.py"), *arguments]


def bench_import(context: Context) -> list[Result]:
    """Import a CSV into a fresh copy of the big database each repetition, on both sides."""
    sizes = context.sizes
    base = agency_database(context, sizes.people, sizes.records)
    source = import_file(context, sizes.people, sizes.import_rows)
    base_count = count_records(base)

    with sqlite3.connect(base) as conn:
        first_new_id = conn.execute("SELECT max(id) FROM certifications").fetchone()[0] + 1
    with open(source, newline="", encoding="utf-8") as stream:
        expected = {row["number"]: row["employee_id"] for row in csv.DictReader(stream)}
    # The floor with foreign keys on is reported for information: certcli's connections always
    # check them, and Python's sqlite3 module leaves them off.
    sides = ("certcli", "floor", "floor with foreign keys")
    floor_commands = {"floor": "import", "floor with foreign keys": "import-fk"}
    wrong = {side: 0 for side in sides}
    rerun_seconds: list[float] = []

    samples: dict[str, list[Sample]] = {side: [] for side in sides}
    for index in range(sizes.repeat):
        for side in rotate(index, sides):
            db = copy_database(base, context.workdir / f"import-{side.replace(' ', '-')}.db")
            if side == "certcli":
                sample = run_process([context.certcli, "--today", TODAY, "import", str(source)],
                                     context.certcli_env(db))
            else:
                sample = run_process([context.python, str(BENCH / "floors.py"), floor_commands[side], str(db),
                                      str(source)], context.env)
            stored = count_records(db) - base_count
            if stored != sizes.import_rows:
                raise BenchmarkError(f"{side} import stored {stored} of {sizes.import_rows} rows")
            wrong[side] = max(wrong[side], misattributed_rows(db, first_new_id, expected))
            if side == "certcli":
                # Re-running the same file must add nothing: the natural key matches every row.
                rerun = run_process([context.certcli, "--today", TODAY, "import", str(source)],
                                    context.certcli_env(db))
                added = count_records(db) - base_count - sizes.import_rows
                if added or f"0 added, 0 updated, {sizes.import_rows} unchanged" not in rerun.stderr:
                    raise BenchmarkError(f"re-importing the same file added {added} rows: {rerun.stderr[-500:]}")
                rerun_seconds.append(rerun.seconds)
            remove_database(db)
            samples[side].append(sample)
            progress(f"  import: {side} {index + 1}/{sizes.repeat}: {sample.seconds:.1f} s")

    size = f"{sizes.import_rows:,} rows into {base_count:,} records"
    failures = [f"{side} stored {count:,} of {sizes.import_rows:,} rows for another person than the row's "
                "employee_id" for side, count in wrong.items() if count]
    return [Result("import", "`certcli import FILE.csv`", size, "s", samples["certcli"], samples["floor"],
                   BUDGETS["import"], ["floor: csv.reader, one SELECT of employee ids, executemany in one transaction",
                                       f"re-importing the same file added nothing, in {statistics.median(rerun_seconds):.2f} s "
                                       "(median)"],
                   failures),
            Result("import-fk", "`certcli import FILE.csv`, against a floor with foreign keys on", size, "s",
                   samples["certcli"], samples["floor with foreign keys"], None,
                   ["floor: the same, with `PRAGMA foreign_keys = ON` as on certcli's connections; for "
                    "information, the budget applies to the floor above"])]


def bench_report(context: Context, scenario: str) -> list[Result]:
    """Time `list --expiring-within 60` or `missing BLS` as CSV, and compare the rows."""
    sizes = context.sizes
    db = agency_database(context, sizes.people, sizes.records)
    if scenario == "list":
        certcli_arguments = ["list", "--expiring-within", "60", "--format", "csv"]
        floor_arguments = ["list", str(db), TODAY, "60"]
        command = "`certcli list --expiring-within 60 --format csv`"
    else:
        certcli_arguments = ["missing", "BLS", "--format", "csv"]
        floor_arguments = ["missing", str(db), TODAY, "BLS"]
        command = "`certcli missing BLS --format csv`"
    sides = {"certcli": [context.certcli, "--today", TODAY, *certcli_arguments],
             "floor": [context.python, str(BENCH / "floors.py"), *floor_arguments]}
    outputs = {side: context.workdir / f"{scenario}-{side}.csv" for side in sides}
    env = context.certcli_env(db)

    for side, argv in sides.items():
        run_process(argv, env, outputs[side])
    rows = {side: csv_rows(path) for side, path in outputs.items()}
    if rows["certcli"] != rows["floor"]:
        raise BenchmarkError(f"{scenario}: certcli wrote {rows['certcli']} rows, the floor {rows['floor']}")
    identical = outputs["certcli"].read_bytes() == outputs["floor"].read_bytes()

    samples: dict[str, list[Sample]] = {"certcli": [], "floor": []}
    for index in range(sizes.repeat * 2):
        for side in alternate(index, "certcli", "floor"):
            samples[side].append(run_process(sides[side], env, outputs[side]))
    size = f"{rows['certcli']:,} rows out of {sizes.people:,} people, {sizes.records:,} records"
    same = "byte-identical" if identical else "same row count, different bytes"
    return [Result(scenario, command, size, "s", samples["certcli"], samples["floor"], BUDGETS[scenario],
                   [f"outputs {same}"])]


def bench_export(context: Context) -> list[Result]:
    """Export every current record to .xlsx at two sizes, to see whether memory grows.

    certcli runs against two floors in turn: `export` writes the same cells with the same
    styles and sets the budget, and `export-plain` writes the values only, for information.
    """
    results = []
    sides = ("certcli", "floor", "plain floor")
    for rows in context.sizes.export_rows:
        db = agency_database(context, max(1, rows // 5), rows, history=False)
        outputs = {side: context.workdir / f"export-{side.replace(' ', '-')}.xlsx" for side in sides}
        floor = [context.python, str(BENCH / "floors.py")]
        argv = {"certcli": [context.certcli, "--today", TODAY, "export", "-o", str(outputs["certcli"]),
                            "--include-inactive"],
                "floor": [*floor, "export", str(db), TODAY, str(outputs["floor"])],
                "plain floor": [*floor, "export-plain", str(db), TODAY, str(outputs["plain floor"])]}
        env = context.certcli_env(db)
        samples: dict[str, list[Sample]] = {side: [] for side in sides}
        for index in range(context.sizes.repeat):
            for side in rotate(index, sides):
                samples[side].append(run_process(argv[side], env))
            progress(f"  export {rows:,}: {index + 1}/{context.sizes.repeat}")
        written = {"certcli": _export_count(samples["certcli"][-1].stderr)}
        for side in ("floor", "plain floor"):
            written[side] = int(samples[side][-1].stderr.split()[-1])
            if written[side] != written["certcli"]:
                raise BenchmarkError(f"export: certcli wrote {written['certcli']} rows, the {side} {written[side]}")
        size = f"{written['certcli']:,} rows"
        results.append(Result("export", "`certcli export -o FILE.xlsx`", size, "s",
                              samples["certcli"], samples["floor"], BUDGETS["export"],
                              ["floor: openpyxl write-only, the same cells with the same styles: a WriteOnlyCell "
                               'with the "@" format per employee_id and number, a bold header, and one conditional '
                               "format per status"]))
        results.append(Result("export-plain", "`certcli export -o FILE.xlsx`, against plain values", size, "s",
                              samples["certcli"], samples["plain floor"], None,
                              ["floor: openpyxl write-only, `sheet.append` of the same values without any style; "
                               "for information, the budget applies to the styled floor"]))
    return results


def _export_count(stderr: str) -> int:
    match = re.search(r"Wrote (\d+) record", stderr)
    if match is None:
        raise BenchmarkError(f"certcli export did not report a row count:\n{stderr[-2000:]}")
    return int(match.group(1))


def run_scenario(context: Context, scenario: str, digest: str) -> list[Result]:
    """Run one scenario; note it when certcli's source changed since the run started."""
    progress(f"[{scenario}]")
    now, now_digest = git_commit(), source_digest()
    if scenario == "help":
        results = bench_help(context)
    elif scenario == "add":
        results = bench_add(context)
    elif scenario == "import":
        results = bench_import(context)
    elif scenario == "export":
        results = bench_export(context)
    else:
        results = bench_report(context, scenario)
    after, after_digest = git_commit(), source_digest()
    if now_digest != after_digest:
        change = f"certcli's source changed during this scenario, from {now} to {after}"
    elif now_digest != digest:
        change = f"measured at {now}, not at the source the run started with"
    else:
        return results
    for result in results:
        result.notes.append(change)
    return results


# -- the page ----------------------------------------------------------------------------

def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    memory = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
    return {
        "cpus (nproc)": str(os.cpu_count()),
        "cpu model": model.group(1).strip() if model else "unknown",
        "memory": f"{int(memory.group(1)) / 1024 / 1024:.1f} GiB" if memory else "unknown",
        "system": f"{platform.system()} {platform.release()}",
    }


def versions() -> dict[str, str]:
    found = {"Python": platform.python_version(), "SQLite": sqlite3.sqlite_version}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    found["certcli"] = f"{importlib.metadata.version('certcli')}, commit {git_commit()}"
    return found


def git_commit() -> str:
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        changed = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
                                 capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    if changed:
        commit += " with uncommitted changes in src/"
    return f"{commit} (source digest {source_digest()})"


def source_digest() -> str:
    """Return a short SHA-256 of certcli's source files, to tell apart two uncommitted states."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "src" / "certcli").rglob("*.py")):
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:10]


def format_time(seconds: float, unit: str) -> str:
    return f"{seconds * 1000:.0f} ms" if unit == "ms" else f"{seconds:.2f} s"


def verdict(result: Result) -> str:
    if result.budget is None:
        timing = "for information"
    elif result.ratio <= result.budget:
        timing = "met"
    else:
        timing = f"**missed**, {result.ratio / result.budget - 1:.0%} over"
    return f"**wrong result**; {timing}" if result.failures else timing


def results_table(results: list[Result]) -> list[str]:
    lines = [
        "| scenario | size | certcli | floor | ratio | budget | verdict | certcli peak RSS | floor peak RSS | runs |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for result in results:
        budget = "-" if result.budget is None else f"≤ {result.budget:g}"
        lines.append(
            f"| {result.command} | {result.size} | {format_time(result.median('certcli'), result.unit)} "
            f"| {format_time(result.median('floor'), result.unit)} | {result.ratio:.2f} "
            f"| {budget} | {verdict(result)} | {result.peak_mib('certcli'):.0f} MiB "
            f"| {result.peak_mib('floor'):.0f} MiB | {len(result.certcli)} + {len(result.floor)} |"
        )
    return lines


def memory_lines(results: list[Result]) -> list[str]:
    exports = [result for result in results if result.scenario == "export"]
    if len(exports) < 2:
        return []
    small, large = exports[0], exports[-1]
    lines = ["", f"Export peak memory, {small.size} against {large.size}:", ""]
    for side in ("certcli", "floor"):
        growth = large.peak_mib(side) / small.peak_mib(side) - 1
        flat = "flat" if growth <= FLAT_MEMORY_GROWTH else "grows with the rows"
        lines.append(f"- {side}: {small.peak_mib(side):.0f} MiB, then {large.peak_mib(side):.0f} MiB "
                     f"({growth:+.0%}, {flat})")
    return lines


def results_section(results: list[Result], command: str, started: float, load: tuple[str, str],
                    components: dict[str, str], quick: bool) -> str:
    lines = [RESULTS_BEGIN, "", f"Command: `{command}`", ""]
    if quick:
        lines += ["Quick sizes: start-up dominates every bulk scenario here, so the budgets, which are "
                  "set for the full sizes, do not apply to these ratios.", ""]
    lines += [f"Run took {(time.time() - started) / 60:.1f} min; load average {load[0]} at the start, "
              f"{load[1]} at the end.", "", "| machine | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in machine().items()]
    lines += ["", "| component | version |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in components.items()]
    lines += ["", "Times are medians of whole-process wall times; ratio = certcli median / floor median; "
              "peak RSS is the median of each process's own maximum resident set size.", ""]
    lines += results_table(results)
    lines += memory_lines(results)
    notes = [f"- {result.command} ({result.size}): {note}" for result in results for note in result.notes]
    notes += [f"- **{result.command} ({result.size}): {failure}**" for result in results
              for failure in result.failures]
    if notes:
        lines += ["", "Notes:", ""] + notes
    lines += ["", RESULTS_END]
    return "\n".join(lines)


PAGE_TEMPLATE = """# Benchmarks

This page is written by `bench/run.py` between the results markers; the text around them is
kept from run to run.

{results}

## Findings

No analysis has been written for these results yet.
"""


def write_page(path: Path, section: str) -> None:
    """Replace the results section of `path`, or create the page around it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if RESULTS_BEGIN in text and RESULTS_END in text:
        before, rest = text.split(RESULTS_BEGIN, 1)
        after = rest.split(RESULTS_END, 1)[1]
        text = before + section + after
    else:
        text = PAGE_TEMPLATE.format(results=section)
    path.write_text(text, encoding="utf-8")


# -- main --------------------------------------------------------------------------------

def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark certcli against the floor of its stack.")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (2,000 people, 20,000 records), about a minute")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help=f"comma-separated subset of {','.join(SCENARIOS)} (default: all)")
    parser.add_argument("--repeat", type=int, help="repetitions of each bulk scenario (default: 3, quick: 2)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help=f"where generated databases and files are cached (default: {DEFAULT_WORKDIR})")
    parser.add_argument("--output", type=Path,
                        help=f"page to write (default: {DEFAULT_OUTPUT.relative_to(REPO)}, "
                             f"quick: {QUICK_OUTPUT.relative_to(REPO)})")
    arguments = parser.parse_args(argv)
    arguments.scenario_list = [name.strip() for name in arguments.scenarios.split(",") if name.strip()]
    unknown = [name for name in arguments.scenario_list if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {unknown[0]!r}; use {', '.join(SCENARIOS)}")
    if arguments.repeat is not None and arguments.repeat < 1:
        parser.error("--repeat must be 1 or more")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    sizes = QUICK if arguments.quick else FULL
    if arguments.repeat:
        sizes = Sizes(**{**asdict(sizes), "repeat": arguments.repeat})
    certcli = Path(sys.executable).parent / "certcli"
    if not Path(GNU_TIME).exists():
        print(f"Error: {GNU_TIME} is missing; it measures each process's peak memory. "
              "Install it with apt-get install time", file=sys.stderr)
        return 1
    if not certcli.exists():
        print(f"Error: no certcli script next to {sys.executable}. Run this file with the Python of the "
              "virtualenv where certcli is installed (pip install -e .)", file=sys.stderr)
        return 1
    arguments.workdir.mkdir(parents=True, exist_ok=True)
    # With PYTHONDONTWRITEBYTECODE set, every certcli module edited since its last .pyc was
    # written would be compiled again in every measured process. An installed certcli has its
    # .pyc files, so they are written once here, and the children may update them.
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("CERTCLI_") and name != "PYTHONDONTWRITEBYTECODE"}
    env.update({"CERTCLI_ACTOR": "bench", "COLUMNS": "100", "NO_COLOR": "1"})
    compile_package("certcli")
    context = Context(sys.executable, str(certcli), arguments.workdir, sizes, env)

    started = time.time()
    load_start = f"{os.getloadavg()[0]:.1f}"
    # Read at the start: the code measured is the code loaded by the first processes.
    components = versions()
    start_digest = source_digest()
    results: list[Result] = []
    try:
        for scenario in arguments.scenario_list:
            results += run_scenario(context, scenario, start_digest)
    except BenchmarkError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    load = (load_start, f"{os.getloadavg()[0]:.1f}")

    command = shlex.join([os.path.relpath(sys.executable, REPO) if sys.executable.startswith(str(REPO))
                          else sys.executable, "bench/run.py", *(argv if argv is not None else sys.argv[1:])])
    output = arguments.output or (QUICK_OUTPUT if arguments.quick else DEFAULT_OUTPUT)
    write_page(output, results_section(results, command, started, load, components, arguments.quick))
    (arguments.workdir / "results.json").write_text(json.dumps(
        [{**asdict(result), "ratio": result.ratio} for result in results], indent=1), encoding="utf-8")
    print("\n".join(results_table(results) + memory_lines(results)))
    progress(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
