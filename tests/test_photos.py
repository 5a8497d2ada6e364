"""Uploaded photos are re-encoded so no metadata survives: JPEG, PNG, WebP and HEIC (stored as
JPEG), turned upright by their EXIF orientation first; what is not an image is 415, a
decompression bomb is refused before it is decoded. Each test uploads to an issue of its own on
the worker's shared copy."""

import io
import struct
import uuid
import zlib

import pillow_heif
import pytest
from fastapi.testclient import TestClient
from PIL import Image, PngImagePlugin
from sqlalchemy.orm import Session

from tests import issue_helpers
from tests.issue_flow_helpers import pin

pillow_heif.register_heif_opener()
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def _exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif[GPS_IFD] = {1: "N", 2: (40.0, 49.0, 30.0), 3: "E", 4: (114.0, 52.0, 10.0)}
    return exif


def _image(fmt: str, orientation: int = 1) -> bytes:
    """A 40 x 20 picture, left half red, carrying EXIF with a GPS position (and PNG text)."""
    img = Image.new("RGB", (40, 20), "blue")
    img.paste("red", (0, 0, 20, 20))
    buf = io.BytesIO()
    extra: dict = {"exif": _exif(orientation).tobytes()}
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "home address")
        extra["pnginfo"] = info
    img.save(buf, fmt, **extra)
    return buf.getvalue()


def _upload(client: TestClient, issue: int, data: bytes, name: str = "p.jpg"):
    return client.post(
        f"/api/issues/{issue}/photos", files={"file": (name, data, "application/octet-stream")}
    )


@pytest.fixture
def issue(worker_client: TestClient, db: Session) -> int:
    return pin(worker_client, issue_helpers.point_in_building(db, nth=2)[0])["id"]


@pytest.mark.parametrize(
    ("fmt", "stored_type", "stored_fmt"),
    [
        ("JPEG", "image/jpeg", "JPEG"),
        ("PNG", "image/png", "PNG"),
        ("WEBP", "image/webp", "WEBP"),
        ("HEIF", "image/jpeg", "JPEG"),
    ],
)
def test_no_metadata_survives(
    worker_client: TestClient, issue: int, fmt: str, stored_type: str, stored_fmt: str
) -> None:
    sent = _image(fmt)
    assert Image.open(io.BytesIO(sent)).getexif().get(0x010F) == "PhoneMaker"
    r = _upload(worker_client, issue, sent)
    assert r.status_code == 201, r.text
    assert r.json()["content_type"] == stored_type
    stored = worker_client.get(r.json()["url"])
    assert stored.headers["content-type"] == stored_type
    img = Image.open(io.BytesIO(stored.content))
    assert img.format == stored_fmt
    assert dict(img.getexif()) == {}
    assert not {"exif", "xmp", "Comment", "icc_profile"} & set(img.info)
    assert b"PhoneMaker" not in stored.content and b"home address" not in stored.content
    assert img.size == (40, 20)


def test_orientation_is_applied_before_it_is_dropped(worker_client: TestClient, issue: int) -> None:
    r = _upload(worker_client, issue, _image("JPEG", orientation=6))  # rotate 90 degrees on show
    assert r.status_code == 201, r.text
    img = Image.open(io.BytesIO(worker_client.get(r.json()["url"]).content)).convert("RGB")
    assert img.size == (20, 40)
    assert dict(img.getexif()) == {}
    top, bottom = img.getpixel((10, 2)), img.getpixel((10, 37))
    assert top[0] > 200 and top[2] < 60  # the red half is on top once upright
    assert bottom[2] > 200 and bottom[0] < 60


@pytest.mark.parametrize(
    "data",
    [
        b"just some text, not a picture",
        b"\xff\xd8\xff\xe0 a JPEG start and nothing else",
        b"GIF89a" + b"\0" * 40,
        b"",
    ],
)
def test_what_is_not_a_photo_is_415(worker_client: TestClient, issue: int, data: bytes) -> None:
    r = _upload(worker_client, issue, data)
    assert r.status_code == 415, r.text
    assert r.json()["where"] == "body.file"


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims a huge size: the header alone, a few bytes of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_decompression_bombs_are_refused(worker_client: TestClient, issue: int) -> None:
    r = _upload(worker_client, issue, _png_header(30_000, 30_000))
    assert r.status_code == 413, r.text
    assert r.json()["where"] == "body.file" and "pixels" in r.json()["detail"]


def test_a_photo_key_names_one_issue(
    worker_client: TestClient, worker_settings, db: Session, issue: int
) -> None:
    """The same Idempotency-Key and picture sent to another issue is another request: 422
    naming the header, and no photo stored there."""
    other = pin(worker_client, issue_helpers.point_in_building(db, nth=2)[0])["id"]
    data = _image("PNG")
    # Anonymous keys are the client address's: one of this test's own on the shared copy.
    key = {"Idempotency-Key": f"photo-once-{uuid.uuid4().hex}"}
    files = {"file": ("p.png", data, "image/png")}
    first = worker_client.post(f"/api/issues/{issue}/photos", files=files, headers=key)
    again = worker_client.post(f"/api/issues/{issue}/photos", files=files, headers=key)
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json()["id"] == first.json()["id"]
    elsewhere = worker_client.post(f"/api/issues/{other}/photos", files=files, headers=key)
    assert elsewhere.status_code == 422 and elsewhere.json()["where"] == "header.Idempotency-Key"
    count = "SELECT count(*) FROM issue_photo WHERE issue_id = :id"
    assert issue_helpers.scalar(worker_settings, count, id=other) == 0
