"""Domain errors. Each carries its HTTP status so the API maps them in one place.

They read like RFC 9457 problem details: a short title, a detail sentence saying what was
wrong, and `where` naming the parameter or field at fault.
"""

from typing import Any


class YishitingError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, where: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.where = where
        self.extra = extra


class InvalidParameter(YishitingError):
    status = 400
    title = "Invalid parameter"


class Unauthorized(YishitingError):
    status = 401
    title = "Authentication required"


class Forbidden(YishitingError):
    status = 403
    title = "Forbidden"


class NotFound(YishitingError):
    status = 404
    title = "Not found"


class MethodNotAllowed(YishitingError):
    status = 405
    title = "Method not allowed"


class Conflict(YishitingError):
    status = 409
    title = "Conflict"


class PreconditionFailed(YishitingError):
    status = 412
    title = "Precondition failed"


class PayloadTooLarge(YishitingError):
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(YishitingError):
    status = 415
    title = "Unsupported media type"


class Unprocessable(YishitingError):
    status = 422
    title = "Unprocessable content"


class PreconditionRequired(YishitingError):
    status = 428
    title = "Precondition required"


class RateLimited(YishitingError):
    status = 429
    title = "Too many requests"


class DatabaseUnavailable(YishitingError):
    status = 503
    title = "Database unavailable"


class TooSlow(YishitingError):
    """A bounded query ran out of time: the server is fine, the request asked too much."""

    status = 503
    title = "Query took too long"
