"""Photos and links to them: the one home of what a stored photo or a photo link may be.

Photos are public, and a phone's EXIF (GPS included), XMP, IPTC, PNG text chunks or an ICC
profile can tell where a reporter lives. So every upload is decoded and re-encoded by Pillow
(pillow-heif registered for the HEIC that iPhones send): only pixels survive. JPEG and HEIC are
stored as JPEG, PNG as PNG, WebP as WebP; the EXIF orientation is applied first so the stored
picture stands as the phone showed it. Anything else is 415. A picture of more than
MAX_PIXELS pixels is refused from its header, before it is decoded (a decompression bomb: a
few KB of PNG can claim gigabytes of pixels).

Links (progress report photos, Open311 media_url) are shown to others as <a href> and <img src>,
so only two kinds pass: the service's own media paths (/api/photos/<id>,
/api/media/photos/<sha256>.<ext> from POST /api/media/photos, /media/<file>) and
absolute http(s) addresses with a host. A scheme-relative `//host/...` (or `/\\host`, which
browsers read the same way) would point anywhere while looking like a local path.
"""

import io
import re
import warnings
from urllib.parse import urlsplit

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from geo.core.errors import PayloadTooLarge, Unprocessable, UnsupportedMediaType

pillow_heif.register_heif_opener()

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel phone camera; more is refused undecoded
# Pillow format -> (stored format, content type)
STORED = {
    "JPEG": ("JPEG", "image/jpeg"),
    "MPO": ("JPEG", "image/jpeg"),  # phones' multi-picture JPEG
    "HEIF": ("JPEG", "image/jpeg"),
    "PNG": ("PNG", "image/png"),
    "WEBP": ("WEBP", "image/webp"),
}

MAX_LINK_CHARS = 1000
_OWN_MEDIA = re.compile(
    r"/api/photos/[0-9]{1,10}|/api/media/photos/[0-9a-f]{64}\.(jpg|png|webp)"
    r"|/media/[A-Za-z0-9_-][A-Za-z0-9._/-]*"
)
_NO_SPACE_OR_QUOTES = re.compile(r"[^\s<>\"'\\]+")


def check_photo_link(url: str, *, where: str) -> str:
    """The link unchanged when it is an own media path or an http(s) URL; else 422 at `where`."""
    if len(url) <= MAX_LINK_CHARS and _NO_SPACE_OR_QUOTES.fullmatch(url):
        if _OWN_MEDIA.fullmatch(url) and "/../" not in f"{url}/" and "//" not in url:
            return url
        parts = urlsplit(url)
        if (
            parts.scheme in ("http", "https")
            and parts.hostname
            and url.startswith(f"{parts.scheme}://")
        ):
            return url
    raise Unprocessable(
        "A photo link must be one of this service's media paths (/api/photos/<id>, "
        "/media/<file>) or an http(s) address with a host.",
        where=where,
    )


def clean_photo(data: bytes) -> tuple[bytes, str]:
    """The photo re-encoded without any metadata, upright, and its content type; 413/415."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PayloadTooLarge(
            f"Photos may be at most {MAX_PHOTO_BYTES // (1024 * 1024)} MB.", where="file"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))  # reads the header only
            if img.width * img.height > MAX_PIXELS:
                raise Image.DecompressionBombError("too many pixels")
            if img.format not in STORED:
                raise UnidentifiedImageError(img.format)
            img.load()
            upright = ImageOps.exif_transpose(img)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PayloadTooLarge(
                f"The picture has more than {MAX_PIXELS:,} pixels.", where="file"
            ) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            raise UnsupportedMediaType(
                "Photos must be JPEG, PNG, WebP or HEIC images.", where="file"
            ) from None
    fmt, content_type = STORED[img.format]
    return _encode(upright, fmt), content_type


def _encode(img: Image.Image, fmt: str) -> bytes:
    """Pixels only: a fresh image, so no info (EXIF, XMP, text, ICC) can ride along."""
    mode = "RGB" if fmt == "JPEG" else ("RGBA" if "A" in img.getbands() else "RGB")
    pixels = img.convert(mode)
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    buf = io.BytesIO()
    options = {"quality": 90} if fmt in ("JPEG", "WEBP") else {"optimize": True}
    clean.save(buf, fmt, **options)
    return buf.getvalue()
