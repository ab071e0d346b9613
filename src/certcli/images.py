"""Card images: photos and scans of a certification card, stored inside the database.

The bytes live in `blobs`, keyed by their SHA-256, so identical files are stored once however
many records they are attached to. Each attachment is a row in `images` with the media type
sniffed from the bytes, the original file name (metadata only, never used as a path), who
added it and when.

Blobs are never deleted, not even when no image row refers to them any more: a deleted record
is restored from the audit log together with its images, and that needs the bytes. Removing
an image from one record therefore never touches another record's images.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from certcli import audit, records
from certcli.certtypes import get_type
from certcli.db import utc_now
from certcli.errors import Conflict, InvalidValue, NotFound

# Megabytes here are decimal (1 MB = 1,000,000 bytes), as file managers on macOS and Linux show them.
BYTES_PER_MB = 1_000_000
DEFAULT_MAX_BYTES = 10 * BYTES_PER_MB
# SQLite rejects a BLOB over SQLITE_MAX_LENGTH (1,000,000,000 bytes by default), and each image
# is held in memory while it is checked, so the configurable limit stays well below that.
MAX_LIMIT_MB = 500
MIN_LIMIT_MB = 0.01
MAX_BYTES_SETTING = "image_max_bytes"

ACCEPTED_TYPES = "JPEG, PNG, GIF, WebP, HEIC/HEIF or PDF"
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heif",
    "application/pdf": "pdf",
}
# Major brands of the ISO base media file `ftyp` box (ISO/IEC 23008-12). Sequences (hevc,
# msf1) are stored under the still-image type, which viewers open.
HEIF_BRANDS = {b"heic": "image/heic", b"heix": "image/heic", b"hevc": "image/heic",
               b"mif1": "image/heif", b"msf1": "image/heif"}
OTHER_FTYP_BRANDS = {b"avif": "an AVIF image", b"avis": "an AVIF image", b"isom": "an MP4 video",
                     b"mp41": "an MP4 video", b"mp42": "an MP4 video", b"qt  ": "a QuickTime video",
                     b"M4A ": "an M4A audio file", b"crx ": "a Canon raw photo (CR3)"}
# Each part of an exported file name is cut to this many characters, so that the whole name
# stays far below the usual 255-byte limit of file systems.
NAME_PART_LENGTH = 40

LIST_COLUMNS = ["id", "certification_id", "media_type", "size", "original_name", "sha256", "added_by", "added_at"]


@dataclass
class ImageFile:
    """A checked image read from a file or standard input, ready to attach."""

    label: str  # name of the source in messages: the path as given, or "standard input"
    original_name: str | None
    data: bytes = field(repr=False)
    media_type: str
    sha256: str


@dataclass
class ExportFilter:
    """Filters that select the records whose images `export_images` writes; empty lists mean "any"."""

    person_ids: list[int] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    record_ids: list[int] = field(default_factory=list)
    # Without it only each person's current record per type is exported, as in `list`,
    # unless records are named by id.
    history: bool = False


# -- recognizing files -------------------------------------------------------------------


def sniff_media_type(data: bytes) -> str | None:
    """Return the media type that the file's magic number shows, or None if it is not accepted."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return HEIF_BRANDS.get(data[8:12])
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def describe_content(data: bytes) -> str:
    """Return what rejected bytes look like, for the error message ("text", "a ZIP archive")."""
    head = data[:512]
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive (or a .docx or .xlsx document)"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "a TIFF image"
    if head.startswith(b"BM"):
        return "a BMP image"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return OTHER_FTYP_BRANDS.get(brand, f"an ISO media file of brand {brand.decode('latin-1')!r}")
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if lowered.startswith((b"<?xml", b"<svg")):
        return "an XML or SVG file"
    if _looks_like_text(head):
        return "text"
    return "binary data starting with " + head[:8].hex(" ")


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    control = sum(1 for byte in head if byte < 0x20 and byte not in b"\t\n\r\f")
    return control <= len(head) // 100


def describe_size(size: int) -> str:
    if size < BYTES_PER_MB // 10:
        return f"{size:,} bytes"
    return f"{size / BYTES_PER_MB:.1f} MB ({size:,} bytes)"


def describe_limit(max_bytes: int) -> str:
    return f"{max_bytes / BYTES_PER_MB:g} MB"


def _too_large(label: str, size: int, max_bytes: int) -> InvalidValue:
    return InvalidValue(
        f'image "{label}" is {describe_size(size)}, over the limit of {describe_limit(max_bytes)}',
        "Attach a smaller photo or scan, or raise the limit with `certcli image limit MB`",
    )


def check_image(label: str, original_name: str | None, data: bytes, max_bytes: int) -> ImageFile:
    """Validate the bytes of one image: not empty, within the size limit, of an accepted type."""
    if not data:
        raise InvalidValue(f'image "{label}" is empty (0 bytes)', "Attach the photo or scan of the card")
    if len(data) > max_bytes:
        raise _too_large(label, len(data), max_bytes)
    media_type = sniff_media_type(data)
    if media_type is None:
        raise InvalidValue(
            f'image "{label}" is not a {ACCEPTED_TYPES} file: it looks like {describe_content(data)}',
            "Attach a photo or scan of the card in one of those formats",
        )
    return ImageFile(label, original_name, data, media_type, hashlib.sha256(data).hexdigest())


def read_image_file(path: str, max_bytes: int) -> ImageFile:
    """Read and check one image file, or standard input when `path` is `-`."""
    if path == "-":
        return check_image("standard input", None, sys.stdin.buffer.read(max_bytes + 1), max_bytes)

    try:
        with open(path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > max_bytes:
                raise _too_large(path, size, max_bytes)
            # Reading one byte past the limit catches a file that grew, or a pipe with no size.
            data = stream.read(max_bytes + 1)
    except OSError as error:
        raise InvalidValue(
            f'cannot read image "{path}": {error.strerror or error}', "Check the path and its permissions"
        ) from None
    return check_image(path, Path(path).name, data, max_bytes)


# -- the size limit setting --------------------------------------------------------------


def max_image_bytes(conn: sqlite3.Connection) -> int:
    """Return the largest image accepted, in bytes: the stored setting or 10 MB."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (MAX_BYTES_SETTING,)).fetchone()
    return int(row[0]) if row else DEFAULT_MAX_BYTES


def set_max_image_bytes(conn: sqlite3.Connection, actor: str, megabytes: float) -> int:
    """Store a new image size limit given in MB, with its audit event, and return it in bytes."""
    if not MIN_LIMIT_MB <= megabytes <= MAX_LIMIT_MB:
        raise InvalidValue(
            f"image size limit {megabytes:g} MB is out of range",
            f"Give a number of MB from {MIN_LIMIT_MB:g} to {MAX_LIMIT_MB}",
        )
    new = round(megabytes * BYTES_PER_MB)
    old = max_image_bytes(conn)
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (MAX_BYTES_SETTING, str(new)),
    )
    audit.record(conn, actor, "setting", before={MAX_BYTES_SETTING: old}, after={MAX_BYTES_SETTING: new})
    return new


# -- attaching and removing --------------------------------------------------------------


def list_images(conn: sqlite3.Connection, certification_id: int) -> list[dict]:
    """Return the images of one record, oldest first, without their bytes."""
    records.get_record(conn, certification_id)
    return [
        dict(row) for row in conn.execute(
            f"SELECT {', '.join(LIST_COLUMNS)} FROM images WHERE certification_id = ? ORDER BY id",
            (certification_id,),
        )
    ]


def _get_image(conn: sqlite3.Connection, certification_id: int, image_id: int) -> sqlite3.Row:
    row = conn.execute(
        "SELECT * FROM images WHERE id = ? AND certification_id = ?", (image_id, certification_id)
    ).fetchone()
    if row is None:
        records.get_record(conn, certification_id)
        raise NotFound(
            f"record #{certification_id} has no image #{image_id}",
            f"List its images with `certcli image list {certification_id}`",
        )
    return row


def _insert_image(conn: sqlite3.Connection, actor: str, certification_id: int, image: ImageFile) -> int:
    conn.execute(
        "INSERT INTO blobs (sha256, size, data) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
        (image.sha256, len(image.data), image.data),
    )
    return conn.execute(
        "INSERT INTO images (certification_id, sha256, media_type, original_name, size, added_by, added_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (certification_id, image.sha256, image.media_type, image.original_name, len(image.data), actor, utc_now()),
    ).lastrowid


def _record_change(conn: sqlite3.Connection, actor: str, action: str, before: dict, change: str) -> list[str]:
    """Mark the record updated, clear a verification that no longer matches, and log the event."""
    certification_id = before["id"]
    conn.execute(
        "UPDATE certifications SET updated_by = ?, updated_at = ? WHERE id = ?", (actor, utc_now(), certification_id)
    )
    reason = records.images_changed(conn, actor, certification_id, change)
    audit.record(conn, actor, action, person_id=before["person_id"], certification_id=certification_id,
                 type_code=before["type_code"], before=before, after=records.snapshot(conn, certification_id),
                 reason=reason)
    return [f"Record #{certification_id} is no longer verified: {reason}"] if reason else []


def _attached_as(conn: sqlite3.Connection, certification_id: int, sha256: str) -> int | None:
    row = conn.execute(
        "SELECT id FROM images WHERE certification_id = ? AND sha256 = ? ORDER BY id LIMIT 1",
        (certification_id, sha256),
    ).fetchone()
    return row[0] if row else None


def add_images(
    conn: sqlite3.Connection, actor: str, certification_id: int, files: list[ImageFile]
) -> tuple[list[int], list[str]]:
    """Attach checked images to a record with one audit event each, and return (new image ids, messages).

    A file whose bytes are already attached to the record is skipped with a message, so that
    running the same command twice attaches nothing twice.
    """
    records.get_record(conn, certification_id)
    added: list[int] = []
    messages: list[str] = []
    for image in files:
        existing = _attached_as(conn, certification_id, image.sha256)
        if existing is not None:
            messages.append(
                f'Image "{image.label}" is already attached to record #{certification_id} as image #{existing};'
                " not added again"
            )
            continue
        before = records.snapshot(conn, certification_id)
        image_id = _insert_image(conn, actor, certification_id, image)
        messages += _record_change(conn, actor, "image-add", before, f"images (added #{image_id})")
        added.append(image_id)
    return added, messages


def remove_image(conn: sqlite3.Connection, actor: str, certification_id: int, image_id: int) -> list[str]:
    """Detach one image from a record and log the event. The blob stays (see the module docstring)."""
    before = records.snapshot(conn, certification_id)
    _get_image(conn, certification_id, image_id)
    conn.execute("DELETE FROM images WHERE id = ?", (image_id,))
    return _record_change(conn, actor, "image-remove", before, f"images (removed #{image_id})")


def replace_image(
    conn: sqlite3.Connection, actor: str, certification_id: int, image_id: int, image: ImageFile
) -> tuple[int | None, list[str]]:
    """Replace one image of a record with a new file in one audit event, and return (new image id, messages).

    Returns (None, messages) when the new file is the same as the image it would replace.
    """
    before = records.snapshot(conn, certification_id)
    old = _get_image(conn, certification_id, image_id)
    if old["sha256"] == image.sha256:
        return None, [f'Image "{image.label}" is the same as image #{image_id}; nothing replaced']
    existing = _attached_as(conn, certification_id, image.sha256)
    if existing is not None:
        raise Conflict(
            f'image "{image.label}" is already attached to record #{certification_id} as image #{existing}',
            f"Remove image #{image_id} with `certcli image remove {certification_id} {image_id}` instead",
        )

    conn.execute("DELETE FROM images WHERE id = ?", (image_id,))
    new_id = _insert_image(conn, actor, certification_id, image)
    messages = _record_change(conn, actor, "image-replace", before, f"images (#{image_id} replaced by #{new_id})")
    return new_id, messages


# -- reading images back -----------------------------------------------------------------


def images_to_show(conn: sqlite3.Connection, certification_id: int, image_id: int | None) -> list[dict]:
    """Return one image of a record (or all of them, when `image_id` is None) with its bytes."""
    if image_id is not None:
        rows = [_get_image(conn, certification_id, image_id)]
    else:
        rows = conn.execute(
            "SELECT * FROM images WHERE certification_id = ? ORDER BY id", (certification_id,)
        ).fetchall()
        if not rows:
            records.get_record(conn, certification_id)
            raise NotFound(
                f"record #{certification_id} has no images",
                f"Attach one with `certcli image add {certification_id} FILE`",
            )
    return [{**dict(row), "data": _blob(conn, row["sha256"])} for row in rows]


def _blob(conn: sqlite3.Connection, sha256: str) -> bytes:
    return conn.execute("SELECT data FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()[0]


def write_new_file(directory: Path, name: str, data: bytes) -> tuple[Path, bool]:
    """Write `data` to a new file in `directory`, readable by its owner only, and return (path, written).

    An existing file is never overwritten. If it already contains the same bytes, nothing is
    written and written is False. Otherwise the name gets a suffix: card.jpg, card-2.jpg, ...
    """
    stem, dot, extension = name.rpartition(".")
    for attempt in range(1, 10_000):
        candidate = directory / (name if attempt == 1 else f"{stem}-{attempt}{dot}{extension}")
        if candidate.is_file() and candidate.stat().st_size == len(data) and candidate.read_bytes() == data:
            return candidate, False
        try:
            # O_EXCL also fails on a symbolic link, so a planted link cannot redirect the write.
            descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        except FileExistsError:
            continue
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        return candidate, True
    raise Conflict(f'too many files named like "{name}" in "{directory}"', "Export into an empty folder")


# -- export ------------------------------------------------------------------------------


def _name_part(text: str | None, fallback: str) -> str:
    """Reduce text to the characters [A-Za-z0-9._-], so that it cannot name a path or a hidden file."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_text)[:NAME_PART_LENGTH].strip("._-")
    return cleaned or fallback


def export_file_name(row) -> str:
    """Return `<last>_<first>_<TYPE>_<record id>_<image id>.<extension>` for an image row.

    The name is built only from the record, never from the stored original file name.
    """
    parts = [
        _name_part(row["last_name"], "person"),
        _name_part(row["first_name"], "person"),
        _name_part(row["type_code"], "type"),
        str(int(row["certification_id"])),
        str(int(row["image_id"])),
    ]
    return "_".join(parts) + "." + EXTENSIONS.get(row["media_type"], "bin")


def _export_query(conn: sqlite3.Connection, export_filter: ExportFilter) -> tuple[str, list]:
    clauses, parameters = [], []
    if export_filter.person_ids:
        clauses.append(f"c.person_id IN ({', '.join('?' * len(export_filter.person_ids))})")
        parameters += export_filter.person_ids
    if export_filter.types:
        codes = [get_type(conn, code).code for code in export_filter.types]
        clauses.append(f"c.type_code IN ({', '.join('?' * len(codes))})")
        parameters += codes
    if export_filter.record_ids:
        for certification_id in export_filter.record_ids:
            records.get_record(conn, certification_id)
        clauses.append(f"c.id IN ({', '.join('?' * len(export_filter.record_ids))})")
        parameters += export_filter.record_ids
    elif not export_filter.history:
        clauses.append("EXISTS (SELECT 1 FROM current_records cur WHERE cur.person_id = c.person_id"
                       " AND cur.type_code = c.type_code AND cur.certification_id = c.id)")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = (
        "SELECT i.id AS image_id, i.certification_id, i.sha256, i.media_type, c.type_code, p.first_name,"
        " p.last_name FROM images i JOIN certifications c ON c.id = i.certification_id"
        f" JOIN people p ON p.id = c.person_id {where}"
        " ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, c.type_code, c.id, i.id"
    )
    return sql, parameters


def export_images(conn: sqlite3.Connection, directory: Path, export_filter: ExportFilter) -> list[tuple[Path, bool]]:
    """Write the filtered records' images into `directory` (created if missing).

    Returns (path, written) per image; written is False for a file that was already there
    with the same bytes.
    """
    sql, parameters = _export_query(conn, export_filter)
    rows = conn.execute(sql, parameters).fetchall()
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise InvalidValue(
            f'cannot create the folder "{directory}": {error.strerror or error}', "Give another folder"
        ) from None
    if not directory.is_dir():
        raise InvalidValue(f'"{directory}" is not a folder', "Give a folder to write the images into")

    results = []
    for row in rows:
        try:
            results.append(write_new_file(directory, export_file_name(row), _blob(conn, row["sha256"])))
        except OSError as error:
            raise InvalidValue(
                f'cannot write image #{row["image_id"]} into "{directory}": {error.strerror or error}',
                "Check the folder's permissions and free space",
            ) from None
    return results
