"""Micro-wishes (微心愿): residents post, cadres and party members find the nearest, claim and
fulfil with a photo, the poster confirms; a public map and counts without personal data.
Every move takes If-Match (the wish's version, its ETag) and an Idempotency-Key."""

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import CurrentUser, OptionalUser, ScopedIdempotencyKey
from api.deps import IfMatch, RowId, SessionDep, SettingsDep, json_response
from api.routes.issue_headers import expected_version
from api.schemas.geojson import FeatureCollection
from api.schemas.wishes import MyWishes, NearbyOut, WishCount, WishOut
from geo.core.coords import input_point
from geo.io import media
from geo.models.wishes import WISH_KINDS
from geo.partners import wish_views, wishes

router = APIRouter(prefix="/api", tags=["wishes"])
Crs = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]


class WishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, description="at your compound")
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    crs: Crs = Field("wgs84", description="gcj02/bd09 as phone map SDKs give them")
    kind: Literal[WISH_KINDS]  # type: ignore[valid-type]
    text: str = Field(
        min_length=1, max_length=wishes.MAX_TEXT, examples=["楼道灯坏了, 想请人换一下"]
    )


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(None, max_length=1000)


def _answer(body: dict, created: bool, status: int = 200) -> JSONResponse:
    """A move answers 200 and a new wish 201; a retry 200, marked replayed; the ETag always."""
    headers = {"ETag": f'"{body["version"]}"'}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return json_response(body, status_code=status if created else 200, headers=headers)


@router.post("/wishes", status_code=201, response_model=WishOut)
def post_wish(
    body: WishIn, db: SessionDep, user: CurrentUser, idempotency_key: ScopedIdempotencyKey
) -> JSONResponse:
    """A resident posts a micro-wish at their compound (the compound covering the point, or
    the nearest within 50 m)."""
    _, point = input_point(body.crs, body.lon, body.lat, None, None)
    result, created = wishes.post_wish(
        db, user, point=point, kind=body.kind, wish_text=body.text,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    db.commit()
    return _answer(result, created, status=201)


@router.get("/wishes/nearby", response_model=NearbyOut)
def nearby(
    db: SessionDep,
    user: CurrentUser,
    origin: Annotated[
        Literal["home", "paired"], Query(description="a cadre's home compound or paired community")
    ] = "home",  # fmt: skip
    limit: Annotated[int, Query(ge=1, le=wish_views.MAX_NEARBY)] = 20,
) -> JSONResponse:
    """Cadres and party members: the open wishes nearest where I live or serve."""
    return json_response(wish_views.nearby(db, user, origin=origin, limit=limit))


@router.get("/wishes/mine", response_model=MyWishes)
def my_wishes(db: SessionDep, user: CurrentUser) -> JSONResponse:
    """The wishes I posted, or claimed, and what my page may offer."""
    return json_response(wish_views.mine(db, user))


@router.get("/wishes/map", response_model=FeatureCollection)
def wish_map(db: SessionDep, community_id: Annotated[RowId | None, Query()] = None) -> JSONResponse:
    """Every wish not withdrawn, at its compound's point: kind, state, dates, places; no text,
    photo or person."""
    return json_response(wish_views.public_map(db, community=community_id))


@router.get("/wishes/counts", response_model=list[WishCount])
def wish_counts(db: SessionDep) -> JSONResponse:
    """Wishes per community and state."""
    return json_response(wish_views.counts(db))


@router.get("/wishes/{wish_id}", response_model=WishOut)
def get_wish(wish_id: RowId, db: SessionDep, user: OptionalUser) -> JSONResponse:
    """A wish and its dated history (text, notes, photo and claimant for its readers)."""
    body = wish_views.wish_out(db, user, wish_id)
    return json_response(body, headers={"ETag": f'"{body["version"]}"'})


def _move_of(
    user: CurrentUser, if_match: str | None, key: str | None, note: str | None
) -> wishes.Move:
    return wishes.Move(user, expected_version(if_match, None), key, note)


@router.post("/wishes/{wish_id}/claim", response_model=WishOut)
def claim(
    wish_id: RowId, db: SessionDep, user: CurrentUser, idempotency_key: ScopedIdempotencyKey,
    body: MoveIn | None = None, if_match: IfMatch = None,
) -> JSONResponse:  # fmt: skip
    """A cadre or party member takes the wish on."""
    note = body.note if body else None
    result, created = wishes.claim(db, wish_id, _move_of(user, if_match, idempotency_key, note))
    db.commit()
    return _answer(result, created)


@router.post("/wishes/{wish_id}/release", response_model=WishOut)
def release(
    wish_id: RowId, db: SessionDep, user: CurrentUser, idempotency_key: ScopedIdempotencyKey,
    body: MoveIn | None = None, if_match: IfMatch = None,
) -> JSONResponse:  # fmt: skip
    """The claimant gives the wish back: open again for others."""
    note = body.note if body else None
    result, created = wishes.release(db, wish_id, _move_of(user, if_match, idempotency_key, note))
    db.commit()
    return _answer(result, created)


@router.post("/wishes/{wish_id}/fulfil", response_model=WishOut)
def fulfil(
    wish_id: RowId,
    db: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    idempotency_key: ScopedIdempotencyKey,
    file: Annotated[UploadFile, File(description="JPEG, PNG, WebP or HEIC, at most 5 MB")],
    note: Annotated[str | None, Form(max_length=1000)] = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """The claimant fulfils the wish with a photo (stored without its metadata)."""
    data = file.file.read(media.MAX_PHOTO_BYTES + 1)
    move = _move_of(user, if_match, idempotency_key, note)
    result, created = wishes.fulfil(db, wish_id, move, photo=data, media_dir=settings.media_dir)
    return _answer(result, created)


@router.post("/wishes/{wish_id}/confirm", response_model=WishOut)
def confirm(
    wish_id: RowId, db: SessionDep, user: CurrentUser, idempotency_key: ScopedIdempotencyKey,
    body: MoveIn | None = None, if_match: IfMatch = None,
) -> JSONResponse:  # fmt: skip
    """The resident who posted the wish confirms it was fulfilled."""
    note = body.note if body else None
    result, created = wishes.confirm(db, wish_id, _move_of(user, if_match, idempotency_key, note))
    db.commit()
    return _answer(result, created)


@router.post("/wishes/{wish_id}/withdraw", response_model=WishOut)
def withdraw(
    wish_id: RowId, db: SessionDep, user: CurrentUser, idempotency_key: ScopedIdempotencyKey,
    body: MoveIn | None = None, if_match: IfMatch = None,
) -> JSONResponse:  # fmt: skip
    """The poster (or an admin) withdraws a wish nobody has fulfilled yet."""
    note = body.note if body else None
    result, created = wishes.withdraw(db, wish_id, _move_of(user, if_match, idempotency_key, note))
    db.commit()
    return _answer(result, created)
