"""The headers of the issue routes' answers: the ETag from an issue's version, the version a
client last saw read back from If-Match (or the body), and Idempotent-Replayed on a retry."""

from fastapi import Response

from geo.core.errors import InvalidParameter, PreconditionRequired


def etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


def expected_version(if_match: str | None, body_version: int | None) -> int | None:
    """The version the client last saw: If-Match ("3", W/"3") or the body's `version`.

    None means "*" (any version). Neither given is 428: blind updates are refused.
    """
    if if_match is None:
        if body_version is None:
            raise PreconditionRequired(
                "Send If-Match with the ETag from GET /api/issues/{id}, or a `version` field.",
                where="If-Match",
            )
        return body_version
    value = if_match.strip()
    if value == "*":
        return None
    value = value.removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit()):  # isdigit() alone takes '²', int() not
        raise InvalidParameter(
            f"If-Match {if_match!r} is not an ETag of this API.", where="If-Match"
        )
    return int(value)


def mark_replayed(response: Response, status_code: int | None = None) -> None:
    """The answer is the first request's, given again for a retry with its Idempotency-Key; a
    create says so with 200 instead of 201 where `status_code` is given."""
    if status_code is not None:
        response.status_code = status_code
    response.headers["Idempotent-Replayed"] = "true"
