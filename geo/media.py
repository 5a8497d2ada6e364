"""Photos and links to them: the one home of what a stored photo or a photo link may be.

Links (progress report photos, Open311 media_url) are shown to others as <a href> and <img src>,
so only two kinds pass: the service's own media paths (/api/photos/<id>, /media/<file>) and
absolute http(s) addresses with a host. A scheme-relative `//host/...` (or `/\\host`, which
browsers read the same way) would point anywhere while looking like a local path.
"""

import re
from urllib.parse import urlsplit

from geo.errors import Unprocessable

MAX_LINK_CHARS = 1000
_OWN_MEDIA = re.compile(r"/api/photos/[0-9]{1,10}|/media/[A-Za-z0-9_-][A-Za-z0-9._/-]*")
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
