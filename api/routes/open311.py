"""Open311 GeoReport v2 under /open311/v2, in JSON and XML, with the spec's error format.

The format is the path's extension (.json or .xml). Errors on these routes answer as the spec
shows, `[{"code": 400, "description": "..."}]` or `<errors><error>...</error></errors>`, not as
problem+json: Open311 clients parse that shape. Statuses the spec does not use (422 for a
point outside the district, for one) become 400.
"""

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from api.auth import OptionalUser, ScopedIdempotencyKey
from api.deps import SessionDep, client_address
from api.errors import qualify
from api.ratelimit import limit_anonymous
from api.schemas.open311 import (
    Discovery,
    FiledRequest,
    NewRequest,
    RequestFilters,
    Service,
    ServiceDefinition,
    ServiceRequest,
    TokenRequest,
    parse,
)
from geo.core.errors import InvalidParameter, NotFound, YishitingError
from geo.core.idempotency import scoped_key
from geo.issues import open311, request_tokens

JSON_MEDIA = "application/json"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# Statuses an Open311 client knows; any other 4xx is reported as 400.
KEPT_STATUSES = (400, 401, 403, 404, 409, 412, 429)
# Element names of list items in XML.
ITEM_TAGS = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "services": "service",
    "service_requests": "request",
}


def _format(request: Request) -> str:
    return "xml" if request.url.path.endswith(".xml") else "json"


def _element(tag: str, value: Any) -> ET.Element:
    el = ET.Element(tag)
    if isinstance(value, dict):
        for k, v in value.items():
            el.append(_element(k, v))
    elif isinstance(value, list):
        for v in value:
            el.append(_element(ITEM_TAGS.get(tag, "item"), v))
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None:
        el.text = str(value)
    return el


def render(fmt: str, root: str, body: Any, status: int = 200) -> Response:
    """JSON as is; XML with `root` as the document element (lists become repeated items)."""
    if fmt == "xml":
        doc = ET.tostring(_element(root, body), encoding="unicode")
        content = '<?xml version="1.0" encoding="utf-8"?>' + doc
    else:
        content = json.dumps(body, ensure_ascii=False, default=str)
    return Response(content, status_code=status, media_type=FORMATS[fmt])


def error_response(request: Request, status: int, description: str) -> Response:
    status = status if status in KEPT_STATUSES or status >= 500 else 400
    errors = [{"code": status, "description": description}]
    if _format(request) == "xml":
        root = ET.Element("errors")
        error = ET.SubElement(root, "error")
        ET.SubElement(error, "code").text = str(status)
        ET.SubElement(error, "description").text = description
        doc = '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="unicode")
        return Response(doc, status_code=status, media_type=FORMATS["xml"])
    return Response(json.dumps(errors, ensure_ascii=False), status, media_type=FORMATS["json"])


class Open311Route(APIRoute):
    """Answers domain and validation errors in the Open311 error format."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except YishitingError as exc:
                where = qualify(request, exc.where)
                where = f" ({where})" if where else ""
                return error_response(request, exc.status, exc.detail + where)
            except RequestValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                return error_response(request, 400, f"{where}: {first['msg']}")

        return route


class Open311JSON(JSONResponse):
    """Names the JSON answer's media type in the API definition; XML is listed beside it."""

    media_type = FORMATS["json"]


# Each route answers in the format its extension names: the model's fields as JSON or XML.
XML: dict[str, Any] = {"content": {FORMATS["xml"]: {}}}
ANSWER: dict[int | str, dict[str, Any]] = {200: XML}
router = APIRouter(
    prefix="/open311/v2",
    tags=["open311"],
    route_class=Open311Route,
    default_response_class=Open311JSON,
)


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise NotFound(f"Unknown format {fmt!r}: use .json or .xml.", where="format")
    return fmt


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def form_fields(request: Request) -> dict[str, str]:
    """The POST body as the spec sends it (form-encoded or multipart), or a JSON object."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        try:
            data = await request.json()
        except ValueError:
            raise InvalidParameter("The JSON body cannot be parsed.", where="body") from None
        if not isinstance(data, dict):
            raise InvalidParameter("The JSON body must be an object.", where="body")
        return {k: str(v) for k, v in data.items() if v is not None}
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def new_request(form: Annotated[dict[str, str], Depends(form_fields)]) -> NewRequest:
    return parse(NewRequest, form, "body")


def request_filters(
    service_request_id: Annotated[str | None, Query(description="ids, comma-separated")] = None,
    service_code: Annotated[str | None, Query(description="codes, comma-separated")] = None,
    start_date: Annotated[str | None, Query(description="W3C datetime, with offset")] = None,
    end_date: Annotated[str | None, Query(description="W3C datetime, with offset")] = None,
    status: Annotated[str | None, Query(description="open, closed or both")] = None,
    district_id: Annotated[
        str | None, Query(description="one district's requests (an extension; /api/districts)")
    ] = None,
) -> RequestFilters:
    """The spec's filters as sent (comma-separated lists, W3C datetimes), parsed."""
    sent = {
        "service_request_id": service_request_id,
        "service_code": service_code,
        "start_date": start_date,
        "end_date": end_date,
        "status": status,
        "district_id": district_id,
    }
    return parse(RequestFilters, sent, "query")


NewRequestDep = Annotated[NewRequest, Depends(new_request)]
Filters = Annotated[RequestFilters, Depends(request_filters)]


@router.get("/discovery.{fmt}", response_model=Discovery, responses=ANSWER)
def discovery(fmt: str, request: Request) -> Response:
    return render(_fmt(fmt), "discovery", open311.discovery(_base(request)))


@router.get("/services.{fmt}", response_model=list[Service], responses=ANSWER)
def services(fmt: str, session: SessionDep) -> Response:
    """Our issue categories as services (metadata false, type realtime)."""
    return render(_fmt(fmt), "services", open311.services(session))


@router.get("/services/{code}.{fmt}", response_model=ServiceDefinition, responses=ANSWER)
def service_definition(code: str, fmt: str, session: SessionDep) -> Response:
    return render(_fmt(fmt), "service_definition", open311.service_definition(session, code))


@router.get("/requests.{fmt}", response_model=list[ServiceRequest], responses=ANSWER)
def list_requests(fmt: str, request: Request, session: SessionDep, filters: Filters) -> Response:
    """Requests newest first (at most 1000), filtered as the spec describes."""
    fmt = _fmt(fmt)
    query = open311.RequestQuery(**filters.model_dump())
    found = open311.find_requests(session, query, base_url=_base(request))
    return render(fmt, "service_requests", found)


FORM_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            media: {"schema": NewRequest.model_json_schema()}
            for media in ("application/x-www-form-urlencoded", "multipart/form-data", JSON_MEDIA)
        },
    }
}


@router.post(
    "/requests.{fmt}",
    status_code=201,
    response_model=list[FiledRequest],
    responses={201: XML},
    openapi_extra=FORM_BODY,
)
def create_request(
    fmt: str,
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    form: NewRequestDep,
    idempotency_key: ScopedIdempotencyKey,
) -> Response:
    """File a request (lat/long or address_string); the same Idempotency-Key gives one."""
    fmt = _fmt(fmt)
    limit_anonymous(request, user, "pins", claimed_key=idempotency_key)
    answer, replayed = open311.file_request(
        session,
        service_code=form.service_code,
        lon=form.long,
        lat=form.lat,
        address=form.address_string,
        description=form.description,
        media_url=form.media_url,
        reporter_name=form.reporter_name,
        reporter_phone=form.phone,
        idempotency_key=idempotency_key,
        reporter=user,
    )
    # The service's own token: its holder looks the request up and rates the outcome from any
    # network (the client's Idempotency-Key works too, but only from that client).
    answer[0]["token"] = request_tokens.make(session, int(answer[0]["service_request_id"]))
    session.commit()
    response = render(fmt, "service_requests", answer, status=201)
    response.headers["Location"] = f"/open311/v2/requests/{answer[0]['service_request_id']}.{fmt}"
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@router.get("/requests/{request_id}.{fmt}", response_model=list[ServiceRequest], responses=ANSWER)
def get_request(request_id: str, fmt: str, request: Request, session: SessionDep) -> Response:
    fmt = _fmt(fmt)
    found = open311.get_request(session, request_id, base_url=_base(request))
    return render(fmt, "service_requests", found)


@router.get("/tokens/{token}.{fmt}", response_model=list[TokenRequest], responses=ANSWER)
def token(
    token: str, fmt: str, request: Request, session: SessionDep, user: OptionalUser
) -> Response:
    """The service_request_id filed with a token (the Idempotency-Key sent with the POST),
    among the requests this account (or anonymous client) filed."""
    client = client_address(request)
    stored = scoped_key(token, account=user, client=client) or ""
    found = open311.request_for_token(session, token, stored=stored)
    return render(_fmt(fmt), "service_requests", found)
