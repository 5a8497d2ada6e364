"""Leaders paired with places: a leader's workspace (GET /api/leader/workspace), on-site visits
(POST /api/leader/visits), the pairings administrators keep (/api/admin/pairings, the
/work/admin/pairings page), and scorecards per leader and per five-to-one pair."""

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile

from api.auth import CurrentUser, ScopedIdempotencyKey
from api.deps import SessionDep, SettingsDep, json_response
from api.schemas.geojson import FeatureCollection
from api.schemas.leaders import (
    LeaderScorecards,
    LeaderWorkspace,
    OfficialAccountIn,
    OfficialAccountOut,
    PairingIn,
    PairingOut,
    PairingsOverview,
    VisitOut,
)
from geo.io import media
from geo.issues.scorecards import RATES, check_range
from geo.leaders import pairings, scorecards, visits, workspace

router = APIRouter(prefix="/api", tags=["leaders"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
AsOf = Annotated[date | None, Query(description="rebuild as the events stood then")]


@router.get("/leader/workspace", response_model=LeaderWorkspace)
def leader_workspace(session: SessionDep, user: CurrentUser) -> Any:
    """My places, the halls I am first responsible for, their open matters (overdue first) and
    my latest visits."""
    return json_response(workspace.workspace(session, user))


@router.post("/leader/visits", status_code=201, response_model=VisitOut)
def record_visit(
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
    lon: Annotated[float, Form(ge=-180, le=180, description="where, WGS84")],
    lat: Annotated[float, Form(ge=-90, le=90)],
    note: Annotated[str, Form(max_length=visits.MAX_NOTE)],
    visited_at: Annotated[datetime | None, Form(description="when; now if not given")] = None,
    issue_id: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
    file: Annotated[UploadFile | None, File(description="JPEG, PNG, WebP or HEIC")] = None,
) -> Any:
    """Record an on-site visit (现场办公); a retry with its Idempotency-Key answers it (200)."""
    photo = file.file.read(media.MAX_PHOTO_BYTES + 1) if file is not None else None
    visit, created = visits.record_visit(
        session, user, lon=lon, lat=lat, note=note, visited_at=visited_at, issue_id=issue_id,
        photo=photo, media_dir=settings.media_dir, idempotency_key=idempotency_key,
    )  # fmt: skip
    session.commit()
    replayed = None if created else {"Idempotent-Replayed": "true"}
    return json_response(visit, status_code=201 if created else 200, headers=replayed)


@router.get("/admin/pairings", response_model=PairingsOverview)
def pairing_overview(session: SessionDep, user: CurrentUser) -> Any:
    """The district's leaders, their pairings and accounts, and the places nobody holds."""
    return json_response(pairings.overview(session, user))


@router.post("/admin/pairings", status_code=201, response_model=PairingOut)
def add_pairing(body: PairingIn, session: SessionDep, user: CurrentUser, response: Response) -> Any:
    """Pair a leader with a sub-district (standing committee) or a community (two to three)."""
    pairing, created = pairings.pair(
        session, user, official_id=body.official_id, subdistrict_id=body.subdistrict_id,
        community_id=body.community_id,
    )  # fmt: skip
    session.commit()
    if not created:
        response.status_code = 200
    return PairingOut(
        id=pairing.id,
        official_id=pairing.official_id,
        subdistrict_id=pairing.subdistrict_id,
        community_id=pairing.community_id,
    )


@router.delete("/admin/pairings/{pairing_id}", status_code=204, response_class=Response)
def remove_pairing(pairing_id: Id, session: SessionDep, user: CurrentUser) -> Response:
    pairings.unpair(session, user, pairing_id)
    session.commit()
    return Response(status_code=204)


@router.put("/admin/officials/{official_id}/account", response_model=OfficialAccountOut)
def link_account(
    official_id: Id, body: OfficialAccountIn, session: SessionDep, user: CurrentUser
) -> Any:
    """The leader account the official signs in with (null: none)."""
    official = pairings.link_account(
        session, user, official_id=official_id, account_id=body.account_id
    )
    session.commit()
    return OfficialAccountOut(id=official.id, name=official.name, account_id=official.account_id)


@router.get("/scorecards/leaders", response_model=LeaderScorecards)
def leader_scorecards(session: SessionDep, start: date, end: date, as_of: AsOf = None) -> Any:
    """Per official paired with places: the unit scorecards' rates over their places."""
    check_range(start, end)
    return json_response(scorecards.leader_scorecards(session, start=start, end=end, as_of=as_of))


@router.get("/scorecards/pairs", response_model=LeaderScorecards)
def pair_scorecards(session: SessionDep, start: date, end: date, as_of: AsOf = None) -> Any:
    """Per five-to-one pair (五包一): the unit scorecards' rates over its compounds."""
    check_range(start, end)
    return json_response(scorecards.pair_scorecards(session, start=start, end=end, as_of=as_of))


@router.get("/scorecards/pairs/map", response_model=FeatureCollection)
def pair_map(
    session: SessionDep,
    start: date,
    end: date,
    rate: Annotated[str, Query(description=", ".join(RATES))] = "on_time_rate",
    as_of: AsOf = None,
) -> Any:
    """Compounds coloured by their five-to-one pair's figures (GeoJSON, a band per compound)."""
    return json_response(scorecards.pair_map(session, rate=rate, start=start, end=end, as_of=as_of))
