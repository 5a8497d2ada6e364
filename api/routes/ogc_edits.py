"""OGC API - Features Part 4 over the surveyed layers: create (POST), replace (PUT), update
(PATCH, JSON merge patch) and delete (DELETE) features, with ETags and If-Match, and read each
feature's audit trail. The writes are geo/ogc/edits.py (the body's checks geo/ogc/edit_body.py,
the trail geo/ogc/edit_trail.py); this router reads the body and the headers, asks
geo/accounts/access.py, commits, and answers GeoJSON."""

import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response

from api.auth import OptionalUser, ScopedIdempotencyKey
from api.deps import IfMatch, SessionDep, entity_tags
from api.routes.ogc import GEOJSON, base_url, item_links
from api.schemas.geojson import GeoJSONResponse
from api.schemas.ogc import (
    FEATURE_SCHEMA,
    FEATURE_TYPES,
    PATCH_SCHEMA,
    PATCH_TYPES,
    FeatureHistory,
    request_body,
)
from api.schemas.ogc_features import OgcFeature
from geo.accounts.access import require
from geo.core.errors import InvalidParameter, PreconditionRequired, UnsupportedMediaType
from geo.models import Account
from geo.ogc import catalogue, crs, edit_body, edit_trail, edits, engine
from geo.ogc.collection import Collection

router = APIRouter(prefix="/ogc", tags=["OGC API - Features"])
ONE = "/collections/{collectionId}/items/{featureId}"
ContentCrs = Annotated[
    str | None,
    Header(alias="Content-Crs", description="CRS URI of the body's geometry (default CRS84)"),
]


def editor(session: SessionDep, user: OptionalUser) -> Account:
    """A planner or an admin (401 anonymous, 403 anyone else), before the body is read."""
    require(session, user, None, "edit_features")
    assert user is not None
    return user


Editor = Annotated[Account, Depends(editor)]


async def _json(request: Request, accepted: tuple[str, ...]) -> Any:
    kind = request.headers.get("content-type", accepted[0]).split(";")[0].strip().lower()
    if kind not in accepted:
        raise UnsupportedMediaType(
            f"Send the body as {' or '.join(accepted)}, not {kind}.", where="header.Content-Type"
        )
    raw = await request.body()
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise InvalidParameter(f"The body is not JSON: {exc}.", where="body") from None


async def feature_body(request: Request) -> Any:
    return await _json(request, FEATURE_TYPES)


async def patch_body(request: Request) -> Any:
    return await _json(request, PATCH_TYPES)


def _editable(collection_id: str) -> Collection:
    """The collection, 404 when there is none and 405 when it is not edited here (before the
    headers are judged)."""
    c = catalogue.get_collection(collection_id)
    edit_body.layer_of(c)
    return c


def _if_match(header: str | None) -> list[str] | None:
    """The strong tags of If-Match (None: `*`); 428 without one: blind edits are refused."""
    if header is None:
        raise PreconditionRequired(
            "Send If-Match with the ETag from GET of this feature (edits without one could "
            "overwrite someone else's).",
            where="If-Match",
        )
    tags = entity_tags(header, "If-Match")
    return None if tags is None else [t for t in tags if not t.startswith("W/")]


def _answer(
    request: Request, c: Collection, done: edits.Edited, out: crs.Crs, status: int = 200
) -> Response:
    headers = {"ETag": f'"{done.etag}"', "Content-Crs": f"<{out.uri}>"}
    if status == 201:
        headers["Location"] = f"{base_url(request)}/collections/{c.id}/items/{done.feature_id}"
    if done.replayed:
        headers["Idempotent-Replayed"] = "true"
    body = engine.with_links(done.feature, item_links(request, c, str(done.feature_id)))
    return Response(body, status_code=status, media_type=GEOJSON, headers=headers)


def _described(status: int, description: str) -> dict[int | str, dict[str, Any]]:
    return {status: {"description": description}}


@router.post(
    "/collections/{collectionId}/items",
    status_code=201,
    summary="Create a feature (planners, admins)",
    response_class=GeoJSONResponse,
    response_model=OgcFeature,
    responses=_described(201, "The feature as stored, with its ETag and Location"),
    openapi_extra={"requestBody": request_body(FEATURE_SCHEMA, FEATURE_TYPES)},
)
def create_item(
    request: Request,
    collectionId: str,
    session: SessionDep,
    user: Editor,
    value: Annotated[Any, Depends(feature_body)],
    idempotency_key: ScopedIdempotencyKey,
    content_crs: ContentCrs = None,
) -> Response:
    """A new feature: geometry checked by PostGIS, areas computed, parents found by location.
    The same Idempotency-Key answers the first feature again."""
    c = _editable(collectionId)
    body = edits.Body(value, crs.get(content_crs, "Content-Crs"))
    done = edits.create(session, c, body, account=user, idempotency_key=idempotency_key)
    session.commit()
    return _answer(request, c, done, body.crs, 201)


def _add_change_route(
    method: str,
    name: str,
    summary: str,
    change: Callable[..., edits.Edited],
    read_body: Callable[[Request], Awaitable[Any]],
    body_schema: dict[str, Any],
) -> None:
    """PUT or PATCH of one feature: the same headers, checks and answer; `change` (replace or
    update) says what the body does to the feature."""

    def change_item(
        request: Request,
        collectionId: str,
        featureId: str,
        session: SessionDep,
        user: Editor,
        value: Annotated[Any, Depends(read_body)],
        if_match: IfMatch = None,
        content_crs: ContentCrs = None,
    ) -> Response:
        c = _editable(collectionId)
        body = edits.Body(value, crs.get(content_crs, "Content-Crs"))
        done = change(session, c, featureId, body, account=user, if_match=_if_match(if_match))
        session.commit()
        return _answer(request, c, done, body.crs)

    router.add_api_route(
        ONE,
        change_item,
        methods=[method],
        name=name,
        summary=summary,
        response_class=GeoJSONResponse,
        response_model=OgcFeature,
        responses=_described(200, "The feature as stored, with its new ETag"),
        openapi_extra={"requestBody": body_schema},
    )


_add_change_route(
    "PUT",
    "replace_item",
    "Replace a feature (planners, admins; If-Match)",
    edits.replace,
    feature_body,
    request_body(FEATURE_SCHEMA, FEATURE_TYPES),
)
_add_change_route(
    "PATCH",
    "update_item",
    "Update a feature with a JSON merge patch (planners, admins; If-Match)",
    edits.update,
    patch_body,
    request_body(PATCH_SCHEMA, PATCH_TYPES),
)


@router.delete(
    ONE,
    status_code=204,
    summary="Delete a feature (planners, admins; If-Match)",
    response_class=Response,
    responses={204: {"description": "Deleted; its audit trail stays"}},
)
def delete_item(
    collectionId: str,
    featureId: str,
    session: SessionDep,
    user: Editor,
    if_match: IfMatch = None,
) -> Response:
    c = _editable(collectionId)
    edits.delete(session, c, featureId, account=user, if_match=_if_match(if_match))
    session.commit()
    return Response(status_code=204)


@router.get(
    ONE + "/history",
    summary="A feature's audit trail: who edited it, when, before and after (staff)",
    response_model=FeatureHistory,
)
def item_history(
    request: Request,
    collectionId: str,
    featureId: str,
    session: SessionDep,
    user: OptionalUser,
) -> dict[str, Any]:
    require(session, user, None, "read_feature_history")
    c = catalogue.get_collection(collectionId)
    rows = edit_trail.history(session, c, featureId)
    href = f"{base_url(request)}/collections/{c.id}/items/{featureId}"
    return {
        "collection": c.id,
        "featureId": featureId,
        "edits": rows,
        "links": [
            {"href": f"{href}/history", "rel": "self", "type": "application/json"},
            {"href": href, "rel": "about", "type": GEOJSON, "title": "The feature"},
        ],
    }
