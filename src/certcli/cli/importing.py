"""`certcli import` and `certcli people import`: bulk loading from CSV and XLSX."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from certcli.cli.common import handles_errors, settings
from certcli.cli.people import app as people_app
from certcli.errors import ExitCode, InvalidValue

# `import`, a top-level command listed in certcli.cli.COMMANDS. `people import` goes on `people_app`.
app = typer.Typer()

EncodingOption = Annotated[Optional[str], typer.Option("--encoding", help="CSV encoding (default UTF-8, with or without BOM), e.g. cp1252.")]
DelimiterOption = Annotated[Optional[str], typer.Option("--delimiter", help="CSV delimiter: ',', ';' or '\\t' (default: sniffed from the header).")]
SheetOption = Annotated[Optional[str], typer.Option("--sheet", help="XLSX sheet to read (default: the first).")]
MapOption = Annotated[Optional[list[str]], typer.Option("--map", metavar="COLUMN=FIELD", help='Map a header to a field: --map "Cert Expires=expires"; repeatable.')]
SkipInvalidOption = Annotated[bool, typer.Option("--skip-invalid", help="Write the valid rows, put invalid ones in the reject file, exit 4.")]
RejectsOption = Annotated[Optional[Path], typer.Option("--rejects", help="Reject file for --skip-invalid (default: FILE.rejects.csv).")]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Check every row and report, but write nothing.")]


def _options(encoding, delimiter, sheet, mapping, date_format=None, dayfirst=False, allow_number=False,
             create_people=False, skip_invalid=False, dry_run=False, allow_incomplete=False):
    from certcli.dates import DAYFIRST_FORMAT
    from certcli.importer import ImportOptions, parse_mappings
    from certcli.tabular import ReadOptions

    if dayfirst and date_format:
        raise typer.BadParameter("give --dayfirst or --date-format, not both", param_hint="--dayfirst")
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            raise typer.BadParameter(f'unknown encoding "{encoding}"; use utf-8, cp1252 or latin-1, for example',
                                     param_hint="--encoding") from None
    if delimiter is not None and delimiter not in ("\\t", "\t") and len(delimiter) != 1:
        raise typer.BadParameter(f'"{delimiter}" is not one character', param_hint="--delimiter")
    return ImportOptions(
        read=ReadOptions(encoding, delimiter, sheet), mappings=parse_mappings(mapping or []),
        date_format=DAYFIRST_FORMAT if dayfirst else date_format, allow_number=allow_number,
        allow_incomplete=allow_incomplete,
        create_people=create_people, skip_invalid=skip_invalid, dry_run=dry_run,
    )


def _report(run, result, source: str, skip_invalid: bool, dry_run: bool, rejects: Optional[Path]) -> None:
    from certcli.importer import write_rejects

    for warning in result.warnings:
        run.output.warning(warning)
    for problem in result.rejected:
        run.output.message(f"Error: {problem.describe(result.location)}")
    if result.rejected and not skip_invalid and not dry_run:
        run.output.message(f"{len(result.rejected)} invalid row(s) in {source}: nothing was imported. "
                           "Fix them, or pass --skip-invalid to import the valid rows")
        raise typer.Exit(ExitCode.ERROR)
    prefix = "Dry run, nothing written: " if dry_run else ""
    run.output.message(prefix + result.summary(dry_run))
    if result.rejected and skip_invalid:
        target = _rejects_path(source, rejects)
        if not dry_run:
            try:
                write_rejects(target, result)
            except OSError as error:
                run.output.error(f'the valid rows were imported, but the reject file "{target}" could not be '
                                 f"written: {error.strerror}")
                raise typer.Exit(ExitCode.PARTIAL) from None
            run.output.message(f"Rejected rows written to {target}")
        raise typer.Exit(ExitCode.PARTIAL)
    if result.rejected:
        raise typer.Exit(ExitCode.ERROR)


def _rejects_path(source: str, rejects: Optional[Path]) -> Path:
    return rejects or Path((source if source != "-" else "stdin") + ".rejects.csv")


def _check_rejects_path(source: str, rejects: Optional[Path], skip_invalid: bool, dry_run: bool) -> None:
    """Reject an unusable reject file path before importing, because the valid rows commit before it is written."""
    if not skip_invalid or dry_run:
        return
    target = _rejects_path(source, rejects)
    if target.is_dir():
        raise InvalidValue(f'cannot write the reject file "{target}": it is a directory', "Give a file name with --rejects")
    if not target.parent.is_dir():
        raise InvalidValue(f'cannot write the reject file "{target}": the folder "{target.parent}" does not exist',
                           "Create it first, or give another path with --rejects")


@app.command("import")
@handles_errors
def import_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="FILE", help="CSV or XLSX file, or - for CSV on stdin.")],
    create_people: Annotated[bool, typer.Option("--create-people", help="Add people the file names who are not in the database yet.")] = False,
    date_format: Annotated[Optional[str], typer.Option("--date-format", metavar="FORMAT", help="strptime pattern for the file's dates, e.g. %d/%m/%Y (ISO dates still work).")] = None,
    dayfirst: Annotated[bool, typer.Option("--dayfirst", help="Dates are day/month/year (same as --date-format %d/%m/%Y).")] = False,
    allow_number: Annotated[bool, typer.Option("--allow-number", help="Store numbers that do not match their type's pattern, with a warning.")] = False,
    allow_incomplete: Annotated[bool, typer.Option("--allow-incomplete", help="Store records that lack a field their type requires (legacy data), with a warning.")] = False,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    sheet: SheetOption = None,
    mapping: MapOption = None,
    skip_invalid: SkipInvalidOption = False,
    rejects: RejectsOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Import certification records from a CSV or XLSX file, all or nothing.

    Columns are matched by header (case and spaces ignored; aliases such as "Cert #" and
    "Expiration Date" work). Re-running the same file adds nothing: a row whose person,
    type, number and issued date are stored already only updates values that differ. Empty
    cells never clear stored values. Exit codes: 0 imported, 1 nothing imported, 4 partly
    imported (--skip-invalid).

    Example: certcli import roster.csv --create-people
    """
    from certcli.importer import import_records

    run = settings(ctx)
    options = _options(encoding, delimiter, sheet, mapping, date_format, dayfirst, allow_number,
                       create_people, skip_invalid, dry_run, allow_incomplete)
    options.today = run.today
    _check_rejects_path(source, rejects, skip_invalid, dry_run)
    progress = None
    if run.output.stderr_is_terminal:
        def progress(count: int) -> None:
            run.output.stderr.write(f"\r  {count:,} rows read")
            run.output.stderr.flush()
    result = import_records(run.connect(create=True), run.actor, source, options, progress)
    if progress:
        run.output.stderr.write("\r")
    _report(run, result, source, skip_invalid, dry_run, rejects)


@people_app.command("import")
@handles_errors
def import_people_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="FILE", help="CSV or XLSX roster, or - for CSV on stdin.")],
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    sheet: SheetOption = None,
    mapping: MapOption = None,
    skip_invalid: SkipInvalidOption = False,
    rejects: RejectsOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Load a roster of people: first_name, last_name, email, employee_id, nems_id, groups, active.

    People already stored (same employee id, email or National EMS ID) are updated; groups
    are added (separate several with ";").
    """
    from certcli.importer import import_people

    run = settings(ctx)
    options = _options(encoding, delimiter, sheet, mapping, skip_invalid=skip_invalid, dry_run=dry_run)
    _check_rejects_path(source, rejects, skip_invalid, dry_run)
    result = import_people(run.connect(create=True), run.actor, source, options)
    _report(run, result, source, skip_invalid, dry_run, rejects)
