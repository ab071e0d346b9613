"""`certcli image ...`: attach, list, show, remove and export card images."""

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from certcli.cli.common import FormatOption, LimitOption, QuietIfEmptyOption, handles_errors, settings
from certcli.output import DEFAULT_TABLE_LIMIT

app = typer.Typer(
    help="Attach, list, show, remove and export card images (JPEG, PNG, GIF, WebP, HEIC/HEIF, PDF).",
    no_args_is_help=True,
)

RecordArgument = Annotated[int, typer.Argument(metavar="ID", help="Id of the certification record.")]
FilesArgument = Annotated[list[Path], typer.Argument(metavar="FILE...", help="Image files, or - for standard input.")]


def read_files(conn, paths: list[Path]) -> list:
    """Read and check every file before anything is written, so one bad file changes nothing."""
    from certcli import images

    max_bytes = images.max_image_bytes(conn)
    return [images.read_image_file(str(path), max_bytes) for path in paths]


@app.command("add")
@handles_errors
def add_images(ctx: typer.Context, certification_id: RecordArgument, files: FilesArgument) -> None:
    """Attach image files to record ID and print the new image ids.

    Attach the front and the back of the card as two files. A verified record becomes
    unverified. Files already attached to the record are skipped.

    Example: certcli image add 12 front.jpg back.jpg
    """
    from certcli import images
    from certcli.db import write_transaction

    run = settings(ctx)
    conn = run.connect()
    image_files = read_files(conn, files)
    with write_transaction(conn):
        added, messages = images.add_images(conn, run.actor, certification_id, image_files)
    run.output.messages(messages)
    run.output.message(f"Attached {len(added)} image(s) to record #{certification_id}")
    for image_id in added:
        run.output.line(str(image_id))


@app.command("remove")
@handles_errors
def remove_image(
    ctx: typer.Context,
    certification_id: RecordArgument,
    image_id: Annotated[int, typer.Argument(metavar="IMAGE_ID", help="Id of the image, from `certcli image list ID`.")],
) -> None:
    """Remove image IMAGE_ID from record ID. A verified record becomes unverified.

    The bytes stay in the database, so that a deleted record can be restored from the audit
    log with its images, and other records with the same file keep theirs.
    """
    from certcli import images
    from certcli.db import write_transaction

    run = settings(ctx)
    conn = run.connect()
    with write_transaction(conn):
        messages = images.remove_image(conn, run.actor, certification_id, image_id)
    run.output.messages(messages)
    run.output.message(f"Removed image #{image_id} from record #{certification_id}")


@app.command("replace")
@handles_errors
def replace_image(
    ctx: typer.Context,
    certification_id: RecordArgument,
    image_id: Annotated[int, typer.Argument(metavar="IMAGE_ID", help="Id of the image to replace.")],
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The new image file, or - for standard input.")],
) -> None:
    """Replace image IMAGE_ID of record ID with FILE and print the new image id.

    A verified record becomes unverified.
    """
    from certcli import images
    from certcli.db import write_transaction

    run = settings(ctx)
    conn = run.connect()
    (image_file,) = read_files(conn, [file])
    with write_transaction(conn):
        new_id, messages = images.replace_image(conn, run.actor, certification_id, image_id, image_file)
    run.output.messages(messages)
    if new_id is not None:
        run.output.message(f"Replaced image #{image_id} of record #{certification_id} with image #{new_id}")
        run.output.line(str(new_id))


@app.command("list")
@handles_errors
def list_images(
    ctx: typer.Context,
    certification_id: RecordArgument,
    output_format: FormatOption = None,
    limit: LimitOption = DEFAULT_TABLE_LIMIT,
    quiet_if_empty: QuietIfEmptyOption = False,
) -> None:
    """List the images of record ID: id, media type, size in bytes, original name, SHA-256."""
    from certcli import images

    run = settings(ctx)
    rows = images.list_images(run.connect(), certification_id)
    table_rows = ({**row, "short_sha256": row["sha256"][:12]} for row in rows)
    run.output.rows(
        images.LIST_COLUMNS, table_rows, output_format, limit=limit, quiet_if_empty=quiet_if_empty,
        table_columns=[("id", "ID"), ("media_type", "Media type"), ("size", "Bytes"),
                       ("original_name", "Original name"), ("short_sha256", "SHA-256"),
                       ("added_by", "Added by"), ("added_at", "Added at (UTC)")],
        empty_message=f"Record #{certification_id} has no images.",
    )


def find_viewer() -> Optional[list[str]]:
    """Return the command that opens a file in the desktop's viewer, or None without a display."""
    import shutil

    if sys.platform == "win32":
        return ["startfile"]
    if sys.platform == "darwin":
        return ["open"]
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return None
    opener = shutil.which("xdg-open")
    return [opener] if opener else None


def open_in_viewer(viewer: list[str], path: Path) -> None:
    """Start the viewer on `path` and return without waiting for it to close."""
    import subprocess

    if viewer == ["startfile"]:
        os.startfile(path)  # type: ignore[attr-defined]  # Windows only
        return
    subprocess.Popen(
        [*viewer, str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def write_file(path: Path, data: bytes, *, overwrite: bool) -> None:
    """Write an image to `path`, readable by its owner only, because it shows personal data."""
    from certcli.errors import Conflict, InvalidValue

    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0) | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        descriptor = os.open(path, flags, 0o600)
    except FileExistsError:
        raise Conflict(f'"{path}" exists', "Give another file name, or --force to overwrite it") from None
    except OSError as error:
        raise InvalidValue(f'cannot write "{path}": {error.strerror or error}', "Check the path and its permissions") from None
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
    except OSError as error:
        raise InvalidValue(f'cannot write "{path}": {error.strerror or error}', "Check the free space") from None


def _open_images(run, chosen: list[dict], viewer: list[str]) -> None:
    import tempfile

    from certcli import images

    # NOTE: the copies stay in a private temporary folder (mode 0700) after certcli exits,
    # because the viewer may read the file after this process is gone. Only the system's
    # clean-up of temporary folders removes them.
    folder = Path(tempfile.mkdtemp(prefix="certcli-image-"))
    for image in chosen:
        name = f"record{image['certification_id']}_image{image['id']}.{images.EXTENSIONS[image['media_type']]}"
        path, _ = images.write_new_file(folder, name, image["data"])
        open_in_viewer(viewer, path)
        run.output.message(f"Opened image #{image['id']} of record #{image['certification_id']} ({image['media_type']})")


@app.command("show")
@handles_errors
def show_image(
    ctx: typer.Context,
    certification_id: RecordArgument,
    image_id: Annotated[Optional[int], typer.Argument(metavar="IMAGE_ID", help="Id of the image. Default: every image of the record (one image when writing).", show_default=False)] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", metavar="FILE", help="Write the image to this file (- for stdout) instead of opening a viewer.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the --output file if it exists.")] = False,
) -> None:
    """Open the images of record ID in the desktop's viewer, or write one out.

    At a terminal with a graphical display the images open in the viewer. With stdout
    piped, or with --output, the bytes are written exactly as they were attached.

    Example: certcli image show 12 3 --output card.jpg
    """
    from certcli import images
    from certcli.errors import InvalidValue

    run = settings(ctx)
    chosen = images.images_to_show(run.connect(), certification_id, image_id)
    if output is None and run.output.stdout_is_terminal:
        viewer = find_viewer()
        if viewer is None:
            raise InvalidValue("no image viewer is available (no graphical display)",
                               "Write the image with --output FILE")
        _open_images(run, chosen, viewer)
        return

    if len(chosen) > 1:
        ids = ", ".join(f"#{image['id']}" for image in chosen)
        raise InvalidValue(f"record #{certification_id} has {len(chosen)} images ({ids})",
                           f"Give the IMAGE_ID to write, e.g. certcli image show {certification_id} {chosen[0]['id']} -o FILE")
    image = chosen[0]
    if output is None or output == "-":
        if run.output.stdout_is_terminal:
            raise InvalidValue("not writing image bytes to the terminal", "Redirect stdout or give --output FILE")
        run.output.write_bytes(image["data"])
        return

    path = Path(output)
    write_file(path, image["data"], overwrite=force)
    run.output.message(f"Wrote image #{image['id']} ({image['media_type']}, {len(image['data']):,} bytes) to {path}")


@app.command("export")
@handles_errors
def export_images(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Folder to write into; created if missing.")],
    person: Annotated[Optional[list[str]], typer.Option("--person", "-p", metavar="PERSON", help="Only this person (id, employee id, email or name); repeatable.")] = None,
    cert_type: Annotated[Optional[list[str]], typer.Option("--type", "-t", metavar="TYPE", help="Only these types; repeatable or comma-separated.")] = None,
    record: Annotated[Optional[list[int]], typer.Option("--record", "-r", metavar="ID", help="Only this record id (current or history); repeatable.")] = None,
    history: Annotated[bool, typer.Option("--history", help="Include earlier records (renewed cards), not only each person's current one.")] = False,
) -> None:
    """Write the card images of the filtered records into DIR and print each file's path.

    Files are named <last>_<first>_<TYPE>_<record id>_<image id>.<extension>, built from
    the record, never from the uploaded file's name. An existing file is never overwritten:
    one with the same bytes is kept, and a different one gets a -2, -3, ... suffix.

    Example: certcli image export cards/ --person "Ana Test" --type NREMT
    """
    from certcli import images
    from certcli.cli.reports import split_values
    from certcli.people import resolve_person

    run = settings(ctx)
    conn = run.connect()
    export_filter = images.ExportFilter(
        person_ids=[resolve_person(conn, reference)["id"] for reference in person or []],
        types=split_values(cert_type),
        record_ids=list(record or []),
        history=history,
    )
    results = images.export_images(conn, directory, export_filter)
    for path, _ in results:
        run.output.line(str(path))
    run.output.flush()
    unchanged = sum(1 for _, written in results if not written)
    note = f" ({unchanged} already there with the same bytes)" if unchanged else ""
    run.output.message(f"Exported {len(results)} image(s) to {directory}{note}")


@app.command("limit")
@handles_errors
def size_limit(
    ctx: typer.Context,
    megabytes: Annotated[Optional[float], typer.Argument(metavar="MB", help="New limit in MB (1 MB = 1,000,000 bytes).", show_default=False)] = None,
) -> None:
    """Show the largest image accepted, in MB, or set it (default 10 MB)."""
    from certcli import images
    from certcli.db import write_transaction

    run = settings(ctx)
    conn = run.connect()
    if megabytes is None:
        run.output.line(f"{images.max_image_bytes(conn) / images.BYTES_PER_MB:g}")
        run.output.flush()
        return
    with write_transaction(conn):
        new = images.set_max_image_bytes(conn, run.actor, megabytes)
    run.output.message(f"Images up to {images.describe_limit(new)} ({new:,} bytes) are accepted")
