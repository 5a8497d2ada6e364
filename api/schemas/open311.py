"""Open311 GeoReport v2 requests as the spec sends them, parsed into typed values.

Open311 clients send strings: comma-separated lists, W3C datetimes, numbers in form fields.
These models turn them into lists, aware datetimes and floats, or say which field is wrong
(400); geo.issues.open311 receives the typed values and keeps the domain rules (known
service codes, geocoding, filing). Messages name the field and the value sent.
"""

import math
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from geo.core.errors import InvalidParameter, Unprocessable
from geo.io.media import check_photo_link

MAX_DESCRIPTION = 4000
STATUSES = ("open", "closed")


def _text(value: Any) -> Any:
    """Blank means not sent; other strings lose their surrounding spaces."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def _csv(value: Any) -> list[str] | None:
    value = _text(value)
    if value is None:
        return None
    return [v.strip() for v in str(value).split(",") if v.strip()] or None


def _ids(value: Any) -> list[int] | None:
    texts = _csv(value)
    if texts is not None and not all(t.isascii() and t.isdigit() and len(t) < 10 for t in texts):
        raise ValueError("service_request_id must be a comma-separated list of request ids.")
    return None if texts is None else [int(t) for t in texts]


def _statuses(value: Any) -> list[str] | None:
    statuses = _csv(value)
    bad = [s for s in statuses or () if s not in STATUSES]
    if bad:
        raise ValueError(f"status must be open or closed (comma-separated), not {bad[0]!r}.")
    return statuses


def _w3c(value: Any) -> datetime | None:
    """A W3C datetime such as 2026-11-01T00:00:00+08:00 (a trailing Z is allowed)."""
    value = _text(value)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"must be a W3C datetime such as 2026-11-01T00:00:00+08:00, not {value!r}."
        ) from None
    if parsed.tzinfo is None:
        raise ValueError("needs a time zone offset.")
    return parsed


def _number(low: float, high: float) -> BeforeValidator:
    def parse(value: Any) -> float | None:
        value = _text(value)
        if value is None:
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or not low <= number <= high:
            raise ValueError(f"must be a number from {low} to {high}, not {value!r}.")
        return number

    return BeforeValidator(parse)


def _media_url(value: Any) -> str | None:
    """A photo link by the one rule for them (geo/io/media.check_photo_link)."""
    value = _text(value)
    if value is None:
        return None
    try:
        return check_photo_link(str(value), where="media_url")
    except Unprocessable as exc:
        raise ValueError(exc.detail) from None


Text = Annotated[str | None, BeforeValidator(_text)]
W3CDatetime = Annotated[datetime | None, BeforeValidator(_w3c)]


class RequestFilters(BaseModel):
    """GET requests: the spec's filters, all optional."""

    service_request_id: Annotated[list[int] | None, BeforeValidator(_ids)] = None
    service_code: Annotated[list[str] | None, BeforeValidator(_csv)] = None
    start_date: W3CDatetime = None
    end_date: W3CDatetime = None
    status: Annotated[list[str] | None, BeforeValidator(_statuses)] = None
    # an extension of the spec: one district's requests (GET /api/districts lists them)
    district_id: int | None = Field(None, ge=1, le=2**31 - 1)

    @model_validator(mode="before")
    @classmethod
    def ids_alone(cls, data: Any) -> Any:
        """With ids given, the spec ignores the other filters, so they are not checked."""
        if isinstance(data, dict) and _text(data.get("service_request_id")) is not None:
            return {"service_request_id": data["service_request_id"]}
        return data

    @model_validator(mode="after")
    def in_order(self) -> "RequestFilters":
        # A rule across fields: a domain error (not a ValueError) leaves pydantic as it is,
        # so it can name the field at fault.
        if self.start_date and self.end_date and self.start_date > self.end_date:
            raise InvalidParameter("start_date is after end_date.", where="start_date")
        return self


class NewRequest(BaseModel):
    """POST requests: a service code and a place (lat and long, or an address)."""

    model_config = ConfigDict(extra="ignore")  # api_key, email, device_id ... are not kept

    service_code: Annotated[str, BeforeValidator(_text)] = Field(description="one of GET services")
    lat: Annotated[float | None, _number(-90, 90)] = None
    long: Annotated[float | None, _number(-180, 180)] = None
    address_string: Text = Field(None, description="a courtyard address, compound or road")
    description: Text = Field(None, max_length=MAX_DESCRIPTION)
    media_url: Annotated[str | None, BeforeValidator(_media_url)] = None
    first_name: Text = None
    last_name: Text = None
    phone: Text = None

    @model_validator(mode="after")
    def a_place(self) -> "NewRequest":
        if (self.lat is None) != (self.long is None):
            missing = "long" if self.long is None else "lat"
            raise InvalidParameter(f"{missing} is required together with the other.", where=missing)
        if self.lat is None and self.address_string is None:
            raise InvalidParameter(
                "A location is required: lat and long, or address_string.", where="lat"
            )
        return self

    @property
    def reporter_name(self) -> str | None:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or None


Model = TypeVar("Model", bound=BaseModel)


def parse(model: type[Model], data: dict[str, Any], part: str) -> Model:
    """`model` from the strings sent in `part` (query or body); a 400 naming the field."""
    try:
        return model.model_validate(data)
    except InvalidParameter as exc:  # a rule across fields, naming one of them
        exc.where = f"{part}.{exc.where}"
        raise
    except ValidationError as exc:
        errors = [{**e, "loc": (part, *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


# --- The answers, as /openapi.json describes their JSON (XML holds the same fields) ----------


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Endpoint(Answer):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Discovery(Answer):
    """Where the service is and which specification it follows."""

    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class Service(Answer):
    """An issue category as an Open311 service."""

    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class ServiceDefinition(Answer):
    service_code: str
    attributes: list[dict[str, Any]] = Field(description="none: services carry no metadata")


class ServiceRequest(Answer):
    """A request (an issue) as the spec names its fields; public fields only."""

    service_request_id: str
    status: str = Field(description="open or closed")
    status_notes: str | None
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str
    requested_datetime: str
    updated_datetime: str | None
    expected_datetime: str | None
    address: str
    address_id: None
    zipcode: None
    lat: float
    long: float
    media_url: str | None


class FiledRequest(Answer):
    """The answer to POST requests: the new request's id and the token to look it up."""

    service_request_id: str
    service_notice: str | None
    account_id: None
    token: str


class TokenRequest(Answer):
    """The request filed with a token."""

    service_request_id: str
    token: str
