"""Card images end to end: attach, list, show, remove, export, verification and restore."""

import hashlib
import json
import os
import sqlite3
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from certcli import images
from conftest import certcli_executable


def png_bytes(red: int = 255, green: int = 0, blue: int = 0) -> bytes:
    """Return a valid 1x1 RGB PNG of one colour; different colours give different bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes([0, red, green, blue]))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


# A JFIF header and the end-of-image marker: enough for the magic-number check.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def dump(db_path: Path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def query(db_path: Path, sql: str, *parameters) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, parameters).fetchall()
    finally:
        conn.close()


def image_list(ok, certification_id: int) -> list[dict]:
    return json.loads(ok("image", "list", certification_id, "--format", "json").stdout)


def assert_error(result, *quoted: str) -> str:
    """Assert exit 1 with one `Error:` line on stderr that quotes each value, and no traceback."""
    assert result.exit_code == 1, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), result.stderr
    for value in quoted:
        assert value in lines[0], result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def terminal(monkeypatch):
    """Make the run's Output believe stdout and stderr are a terminal."""
    import certcli.output

    monkeypatch.setattr(certcli.output, "_is_terminal", lambda stream: True)


# -- recognizing files -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (png_bytes(), "image/png"),
        (JPEG, "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
        (b"GIF87a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic"),
        (b"\x00\x00\x00\x18ftypheix\x00\x00\x00\x00mif1heix", "image/heic"),
        (b"\x00\x00\x00\x18ftyphevc\x00\x00\x00\x00msf1hevc", "image/heic"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "image/heif"),
        (b"\x00\x00\x00\x18ftypmsf1\x00\x00\x00\x00msf1", "image/heif"),
        (PDF, "application/pdf"),
    ],
)
def test_sniff_accepted_types(data, media_type):
    assert images.sniff_media_type(data) == media_type


@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (b"hello, this is not a photo\n", "text"),
        (b"PK\x03\x04\x14\x00\x00\x00", "a ZIP archive (or a .docx or .xlsx document)"),
        (b"II*\x00\x08\x00\x00\x00", "a TIFF image"),
        (b"<!DOCTYPE html><html></html>", "an HTML page"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "an XML or SVG file"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00", "an AVIF image"),
        (b"\x00\x00\x00\x1cftypisom\x00\x00\x00\x00", "an MP4 video"),
        (b"\x00\x01\x02\x03\x04\x05\x06\x07\x08", "binary data starting with 00 01 02 03 04 05 06 07"),
    ],
)
def test_sniff_rejected_types(data, looks_like):
    assert images.sniff_media_type(data) is None
    assert images.describe_content(data) == looks_like


# -- attaching ---------------------------------------------------------------------------


def test_add_with_png_and_pdf(ok, agency, tmp_path, db_path):
    front = write(tmp_path / "front.png", png_bytes())
    back = write(tmp_path / "back.pdf", PDF)

    result = ok("add", "E300", "ACLS", "--issued", "2025-03-01", "--image", front, "--image", back)
    certification_id = int(result.stdout)
    listed = image_list(ok, certification_id)

    assert [image["media_type"] for image in listed] == ["image/png", "application/pdf"]
    assert [image["original_name"] for image in listed] == ["front.png", "back.pdf"]
    assert [image["size"] for image in listed] == [len(png_bytes()), len(PDF)]
    assert [image["sha256"] for image in listed] == [sha256(png_bytes()), sha256(PDF)]
    assert {image["added_by"] for image in listed} == {"tester"}
    assert "2 image(s)" in result.stderr


def test_image_add_prints_new_ids(ok, agency, tmp_path):
    front = write(tmp_path / "front.jpg", JPEG)
    back = write(tmp_path / "back.png", png_bytes())

    result = ok("image", "add", agency["ana_bls"], front, back)
    ids = [int(line) for line in result.stdout.split()]

    assert ids == [image["id"] for image in image_list(ok, agency["ana_bls"])]
    assert ok("image", "list", agency["ana_bls"], "--format", "quiet").stdout.split() == [str(i) for i in ids]


def test_image_count_in_list_and_show(ok, agency, tmp_path):
    ok("image", "add", agency["ana_bls"], write(tmp_path / "a.png", png_bytes()), write(tmp_path / "b.pdf", PDF))

    listed = json.loads(ok("list", "--person", "E100", "--type", "BLS", "--format", "json").stdout)
    report = json.loads(ok("show", "E100", "--format", "json").stdout)

    assert listed[0]["images"] == 2
    assert report["certifications"]["BLS"][0]["images"] == 2
    assert "2 image(s)" in ok("show", "E100").stdout


def test_image_add_from_stdin(ok, agency):
    result = ok("image", "add", agency["ana_bls"], "-", input=png_bytes())

    listed = image_list(ok, agency["ana_bls"])
    assert result.stdout.split() == [str(listed[0]["id"])]
    assert listed[0]["sha256"] == sha256(png_bytes())
    assert listed[0]["original_name"] is None


def test_same_file_twice_attached_once(ok, agency, tmp_path):
    front = write(tmp_path / "front.png", png_bytes())
    ok("image", "add", agency["ana_bls"], front)

    result = ok("image", "add", agency["ana_bls"], front)

    assert result.stdout == ""
    assert "already attached" in result.stderr
    assert len(image_list(ok, agency["ana_bls"])) == 1


# -- rejecting ---------------------------------------------------------------------------


def test_text_renamed_jpg_rejected(cli, ok, agency, tmp_path, db_path):
    fake = write(tmp_path / "card.jpg", b"this is a note, not a photo\n")
    before = dump(db_path)

    result = cli("image", "add", agency["ana_bls"], fake)

    line = assert_error(result, f'image "{fake}"', "it looks like text", "JPEG, PNG, GIF, WebP, HEIC/HEIF or PDF")
    assert "Attach a photo or scan" in line
    assert dump(db_path) == before


def test_add_with_bad_image_writes_nothing(cli, ok, agency, tmp_path, db_path):
    good = write(tmp_path / "front.png", png_bytes())
    fake = write(tmp_path / "back.jpg", b"<html>not an image</html>")
    before = dump(db_path)

    result = cli("add", "E300", "ACLS", "--issued", "2025-03-01", "--image", good, "--image", fake)

    assert_error(result, f'image "{fake}"', "an HTML page")
    assert dump(db_path) == before


def test_oversize_file_rejected(cli, ok, agency, tmp_path, db_path):
    big = write(tmp_path / "scan.png", png_bytes() + b"\x00" * (10_000_001 - len(png_bytes())))
    before = dump(db_path)

    result = cli("image", "add", agency["ana_bls"], big)

    assert_error(result, f'image "{big}"', "10.0 MB (10,000,001 bytes)", "over the limit of 10 MB", "certcli image limit MB")
    assert dump(db_path) == before


def test_limit_setting_applies(cli, ok, agency, tmp_path):
    scan = write(tmp_path / "scan.png", png_bytes() + b"\x00" * 60_000)

    ok("image", "limit", "0.05")
    rejected = cli("image", "add", agency["ana_bls"], scan)
    ok("image", "limit", "1")
    accepted = ok("image", "add", agency["ana_bls"], scan)

    assert ok("image", "limit").stdout == "1\n"
    assert_error(rejected, "over the limit of 0.05 MB")
    assert accepted.stdout.strip().isdigit()
    assert json.loads(ok("log", "--action", "setting", "--format", "json").stdout)[0]["reason"] is None


def test_limit_out_of_range(cli, ok, agency):
    assert_error(cli("image", "limit", "0"), "0 MB is out of range")
    assert_error(cli("image", "limit", "501"), "501 MB is out of range")
    assert ok("image", "limit").stdout == "10\n"


def test_empty_file_rejected(cli, ok, agency, tmp_path, db_path):
    empty = write(tmp_path / "empty.jpg", b"")
    before = dump(db_path)

    assert_error(cli("image", "add", agency["ana_bls"], empty), f'image "{empty}" is empty (0 bytes)')
    assert dump(db_path) == before


def test_missing_file_rejected(cli, ok, agency, tmp_path):
    missing = tmp_path / "nowhere.jpg"

    assert_error(cli("image", "add", agency["ana_bls"], missing), f'cannot read image "{missing}"', "No such file")
    assert_error(cli("image", "add", agency["ana_bls"], tmp_path), f'cannot read image "{tmp_path}"')


def test_unknown_record_or_image(cli, ok, agency, tmp_path):
    front = write(tmp_path / "front.png", png_bytes())
    image_id = int(ok("image", "add", agency["ana_bls"], front).stdout)

    assert_error(cli("image", "add", 999, front), "no certification record with id 999")
    assert_error(cli("image", "remove", agency["bo_bls"], image_id), f"record #{agency['bo_bls']} has no image #{image_id}")
    assert_error(cli("image", "show", agency["bo_bls"], "-o", "-"), f"record #{agency['bo_bls']} has no images")
    assert_error(cli("image", "list", 999), "no certification record with id 999")
    assert_error(cli("image", "show", 999, image_id, "-o", "-"), "no certification record with id 999")


# -- storage -----------------------------------------------------------------------------


def test_same_file_name_on_two_people(ok, agency, tmp_path, db_path):
    (tmp_path / "ana").mkdir()
    (tmp_path / "bo").mkdir()
    ana_card = write(tmp_path / "ana" / "IMG_0001.jpg", png_bytes(255, 0, 0))
    bo_card = write(tmp_path / "bo" / "IMG_0001.jpg", png_bytes(0, 0, 255))

    ana_image = int(ok("image", "add", agency["ana_bls"], ana_card).stdout)
    bo_image = int(ok("image", "add", agency["bo_bls"], bo_card).stdout)
    ana_bytes = ok("image", "show", agency["ana_bls"], ana_image, "-o", "-").stdout_bytes
    bo_bytes = ok("image", "show", agency["bo_bls"], bo_image, "-o", "-").stdout_bytes

    assert ana_image != bo_image
    assert sha256(ana_bytes) == sha256(png_bytes(255, 0, 0))
    assert sha256(bo_bytes) == sha256(png_bytes(0, 0, 255))
    assert query(db_path, "SELECT count(*) FROM blobs") == [(2,)]


def test_identical_bytes_stored_once(ok, agency, tmp_path, db_path):
    card = write(tmp_path / "card.png", png_bytes())
    ana_image = int(ok("image", "add", agency["ana_bls"], card).stdout)
    bo_image = int(ok("image", "add", agency["bo_bls"], card).stdout)

    ok("image", "remove", agency["ana_bls"], ana_image)
    bo_bytes = ok("image", "show", agency["bo_bls"], bo_image, "-o", "-").stdout_bytes

    assert query(db_path, "SELECT count(*) FROM blobs") == [(1,)]
    assert image_list(ok, agency["ana_bls"]) == []
    assert [image["id"] for image in image_list(ok, agency["bo_bls"])] == [bo_image]
    assert bo_bytes == png_bytes()


def test_removed_image_blob_kept(ok, agency, tmp_path, db_path):
    image_id = int(ok("image", "add", agency["ana_bls"], write(tmp_path / "card.pdf", PDF)).stdout)

    ok("image", "remove", agency["ana_bls"], image_id)

    assert query(db_path, "SELECT count(*) FROM images") == [(0,)]
    assert query(db_path, "SELECT sha256 FROM blobs") == [(sha256(PDF),)]


# -- showing -----------------------------------------------------------------------------


def test_show_output_stdout_identical(ok, agency, tmp_path):
    image_id = int(ok("image", "add", agency["ana_bls"], write(tmp_path / "card.png", png_bytes())).stdout)

    result = ok("image", "show", agency["ana_bls"], image_id, "--output", "-")

    assert sha256(result.stdout_bytes) == sha256(png_bytes())


def test_show_output_file_identical(cli, ok, agency, tmp_path):
    image_id = int(ok("image", "add", agency["ana_bls"], write(tmp_path / "card.pdf", PDF)).stdout)
    target = tmp_path / "copy.pdf"

    ok("image", "show", agency["ana_bls"], image_id, "--output", target)
    again = cli("image", "show", agency["ana_bls"], image_id, "--output", target)
    ok("image", "show", agency["ana_bls"], image_id, "--output", target, "--force")

    assert sha256(target.read_bytes()) == sha256(PDF)
    assert target.stat().st_mode & 0o777 == 0o600
    assert_error(again, f'"{target}" exists', "--force")


def test_show_single_image_without_id(ok, agency, tmp_path):
    ok("image", "add", agency["ana_bls"], write(tmp_path / "card.png", png_bytes()))

    assert ok("image", "show", agency["ana_bls"]).stdout_bytes == png_bytes()


def test_show_several_images_needs_id(cli, ok, agency, tmp_path):
    ids = ok("image", "add", agency["ana_bls"], write(tmp_path / "a.png", png_bytes()), write(tmp_path / "b.pdf", PDF)).stdout.split()

    result = cli("image", "show", agency["ana_bls"], "-o", "-")

    assert_error(result, f"record #{agency['ana_bls']} has 2 images (#{ids[0]}, #{ids[1]})", "Give the IMAGE_ID")


def test_show_opens_viewer_at_terminal(ok, agency, tmp_path, monkeypatch, terminal):
    import certcli.cli.images

    ok("image", "add", agency["ana_bls"], write(tmp_path / "a.png", png_bytes()), write(tmp_path / "b.pdf", PDF))
    opened = []
    monkeypatch.setattr(certcli.cli.images, "find_viewer", lambda: ["viewer"])
    monkeypatch.setattr(certcli.cli.images, "open_in_viewer", lambda viewer, path: opened.append(path))

    result = ok("image", "show", agency["ana_bls"])

    assert [path.read_bytes() for path in opened] == [png_bytes(), PDF]
    assert [path.suffix for path in opened] == [".png", ".pdf"]
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in opened)
    assert result.stdout_bytes == b""


def test_show_without_display_at_terminal(cli, ok, agency, tmp_path, monkeypatch, terminal):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    ok("image", "add", agency["ana_bls"], write(tmp_path / "a.png", png_bytes()))

    no_viewer = cli("image", "show", agency["ana_bls"])
    to_terminal = cli("image", "show", agency["ana_bls"], "--output", "-")

    assert_error(no_viewer, "no image viewer is available", "--output FILE")
    assert_error(to_terminal, "not writing image bytes to the terminal")
    assert no_viewer.stdout_bytes == b""


def test_show_piped_process_writes_bytes(ok, agency, tmp_path):
    image_id = int(ok("image", "add", agency["ana_bls"], write(tmp_path / "card.jpg", JPEG)).stdout)

    completed = subprocess.run(
        [certcli_executable(), "image", "show", str(agency["ana_bls"]), str(image_id)],
        capture_output=True, env=dict(os.environ), timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == JPEG


# -- verification and the audit log ------------------------------------------------------


def test_image_add_clears_verification(ok, agency, tmp_path):
    ok("--actor", "bo", "verify", agency["ana_bls"])

    ok("image", "add", agency["ana_bls"], write(tmp_path / "card.png", png_bytes()))
    record = json.loads(ok("show", "E100", "--format", "json").stdout)["certifications"]["BLS"][0]

    assert record["verified_by"] is None
    assert "images (added #" in record["unverified_reason"]
    assert "after verification by bo" in record["unverified_reason"]
    assert "unverified: images (added #" in ok("show", "E100").stdout


def test_image_remove_clears_verification(ok, agency, tmp_path):
    image_id = int(ok("image", "add", agency["ana_bls"], write(tmp_path / "card.png", png_bytes())).stdout)
    ok("--actor", "bo", "verify", agency["ana_bls"])

    result = ok("image", "remove", agency["ana_bls"], image_id)
    text = ok("show", "E100").stdout

    assert f"Record #{agency['ana_bls']} is no longer verified" in result.stderr
    assert f"unverified: images (removed #{image_id}) changed by tester" in text


def test_image_replace_clears_verification(ok, agency, tmp_path):
    old_id = int(ok("image", "add", agency["ana_bls"], write(tmp_path / "old.png", png_bytes())).stdout)
    ok("--actor", "bo", "verify", agency["ana_bls"])

    new_id = int(ok("image", "replace", agency["ana_bls"], old_id, write(tmp_path / "new.pdf", PDF)).stdout)
    text = ok("show", "E100").stdout

    assert [image["id"] for image in image_list(ok, agency["ana_bls"])] == [new_id]
    assert f"unverified: images (#{old_id} replaced by #{new_id})" in text


def test_verify_covers_images(ok, agency, tmp_path):
    ok("image", "add", agency["ana_bls"], write(tmp_path / "card.png", png_bytes()))
    ok("--actor", "bo", "verify", agency["ana_bls"])

    record = json.loads(ok("show", "E100", "--format", "json").stdout)["certifications"]["BLS"][0]

    assert record["verified_by"] == "bo"


def test_image_events_logged(ok, agency, tmp_path):
    image_id = int(ok("image", "add", agency["ana_bls"], write(tmp_path / "card.png", png_bytes())).stdout)
    ok("image", "remove", agency["ana_bls"], image_id)

    added = json.loads(ok("log", "--action", "image-add", "--format", "json").stdout)
    removed = json.loads(ok("log", "--action", "image-remove", "--format", "json").stdout)

    assert [event["certification_id"] for event in added] == [agency["ana_bls"]]
    assert [event["certification_id"] for event in removed] == [agency["ana_bls"]]
    assert added[0]["actor"] == "tester"
    assert sha256(png_bytes()) in added[0]["changes"]


# -- export ------------------------------------------------------------------------------


def test_export_names_from_record(ok, agency, tmp_path, db_path):
    image_id = int(ok("image", "add", agency["ana_bls"], write(tmp_path / "card.png", png_bytes())).stdout)
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE images SET original_name = '../../x.jpg' WHERE id = ?", (image_id,))
    conn.close()
    target = tmp_path / "out" / "cards"

    result = ok("image", "export", target, "--person", "E100")

    expected = target / f"Test_Ana_BLS_{agency['ana_bls']}_{image_id}.png"
    assert result.stdout.splitlines() == [str(expected)]
    assert expected.read_bytes() == png_bytes()
    assert sorted(path.name for path in tmp_path.rglob("*.jpg")) == []
    assert [path.name for path in target.iterdir()] == [expected.name]


def test_export_name_sanitized(ok, tmp_path):
    ok("people", "add", "José María", "../O'Neil/..", "--employee-id", "E900")
    record_id = int(ok("add", "E900", "BLS", "--issued", "2025-01-20").stdout)
    image_id = int(ok("image", "add", record_id, write(tmp_path / "card.pdf", PDF)).stdout)
    target = tmp_path / "out"

    ok("image", "export", target, "--record", record_id)

    assert [path.name for path in target.iterdir()] == [f"O_Neil_Jose_Maria_BLS_{record_id}_{image_id}.pdf"]


def test_export_never_overwrites(ok, agency, tmp_path):
    image_id = int(ok("image", "add", agency["ana_bls"], write(tmp_path / "card.png", png_bytes())).stdout)
    target = tmp_path / "out"
    name = f"Test_Ana_BLS_{agency['ana_bls']}_{image_id}"

    ok("image", "export", target, "--person", "E100")
    rerun = ok("image", "export", target, "--person", "E100")
    (target / f"{name}.png").write_bytes(b"edited by hand")
    changed = ok("image", "export", target, "--person", "E100")

    assert rerun.stdout.splitlines() == [str(target / f"{name}.png")]
    assert "1 already there" in rerun.stderr
    assert changed.stdout.splitlines() == [str(target / f"{name}-2.png")]
    assert (target / f"{name}.png").read_bytes() == b"edited by hand"
    assert (target / f"{name}-2.png").read_bytes() == png_bytes()


def test_export_filters(ok, agency, tmp_path):
    ok("image", "add", agency["ana_bls"], write(tmp_path / "bls.png", png_bytes()))
    ok("image", "add", agency["ana_nremt"], write(tmp_path / "nremt.pdf", PDF))
    ok("image", "add", agency["bo_bls"], write(tmp_path / "bo.jpg", JPEG))

    by_type = ok("image", "export", tmp_path / "bls", "--type", "bls").stdout.splitlines()
    by_record = ok("image", "export", tmp_path / "nremt", "--record", agency["ana_nremt"]).stdout.splitlines()
    everything = ok("image", "export", tmp_path / "all").stdout.splitlines()

    assert [Path(path).name.split("_")[:3] for path in by_type] == [["Demo", "Bo", "BLS"], ["Test", "Ana", "BLS"]]
    assert [Path(path).suffix for path in by_record] == [".pdf"]
    assert len(everything) == 3


def test_export_skips_history_unless_asked(ok, agency, tmp_path):
    ok("image", "add", agency["bo_bls"], write(tmp_path / "old.png", png_bytes()))
    ok("renew", agency["bo_bls"], "--issued", "2026-11-01")

    current_only = ok("image", "export", tmp_path / "current", "--person", "E200").stdout
    with_history = ok("image", "export", tmp_path / "history", "--person", "E200", "--history").stdout

    assert current_only == ""
    assert len(with_history.splitlines()) == 1


def test_export_unknown_type(cli, ok, agency, tmp_path):
    assert_error(cli("image", "export", tmp_path / "out", "--type", "NOPE"), "NOPE")
    assert not (tmp_path / "out").exists()


# -- delete and restore ------------------------------------------------------------------


def test_delete_and_restore_keep_images(ok, agency, tmp_path, db_path):
    front = int(ok("image", "add", agency["ana_bls"], write(tmp_path / "front.png", png_bytes())).stdout)
    back = int(ok("image", "add", agency["ana_bls"], write(tmp_path / "back.pdf", PDF)).stdout)
    before = image_list(ok, agency["ana_bls"])

    ok("delete", agency["ana_bls"], "--yes")
    images_while_deleted = query(db_path, "SELECT count(*) FROM images")
    ok("restore", agency["ana_bls"])
    after = image_list(ok, agency["ana_bls"])

    assert images_while_deleted == [(0,)]
    assert after == before
    assert ok("image", "show", agency["ana_bls"], front, "-o", "-").stdout_bytes == png_bytes()
    assert ok("image", "show", agency["ana_bls"], back, "-o", "-").stdout_bytes == PDF


def test_restore_keeps_verification_with_images(ok, agency, tmp_path):
    ok("image", "add", agency["ana_bls"], write(tmp_path / "front.png", png_bytes()))
    ok("--actor", "bo", "verify", agency["ana_bls"])

    ok("delete", agency["ana_bls"], "--yes")
    ok("restore", agency["ana_bls"])
    record = json.loads(ok("show", "E100", "--format", "json").stdout)["certifications"]["BLS"][0]
    again = ok("--actor", "bo", "verify", agency["ana_bls"])

    assert record["verified_by"] == "bo"
    assert "already verified" in again.stderr


# -- start-up ----------------------------------------------------------------------------


def test_cli_import_skips_images_module():
    code = "import sys, certcli.cli; print('certcli.images' in sys.modules)"

    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)

    assert completed.stdout.split() == ["False"], completed.stderr
