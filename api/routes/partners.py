"""Partners API: the member-unit register, and whistles (街乡吹哨) with on-site check-ins (报到)."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.auth import CurrentUser, OptionalUser, ScopedIdempotencyKey
from api.deps import RowId, SessionDep, json_response
from api.schemas.partners import JointMeetingOut, UnitOut, WhistleOut, WhistleSetup
from geo.accounts.access import allowed
from geo.core.coords import input_point
from geo.models.partners import UNIT_KINDS
from geo.partners import meetings, units, whistles

router = APIRouter(prefix="/api", tags=["partners"])
Crs = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40)
    post: str = Field(min_length=1, max_length=80, description="e.g. 所长, 副校长")
    account_id: RowId | None = Field(None, description="the member's account, if any")


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80, examples=["新华街派出所"])
    kind: Literal[UNIT_KINDS]  # type: ignore[valid-type]
    subdistrict_id: RowId | None = Field(None, description="on this sub-district's 大工委")
    community_id: RowId | None = Field(None, description="or on this community's 大党委")
    members: list[MemberIn] = Field(default_factory=list, max_length=50)


class WhistleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    place: str = Field(min_length=1, max_length=120, description="where to report, in words")
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    crs: Crs = Field("wgs84", description="gcj02/bd09 as phone map SDKs give them")
    report_by: AwareDatetime = Field(description="each party reports on site by then")
    department_ids: list[RowId] = Field(default_factory=list, max_length=30)
    unit_ids: list[RowId] = Field(default_factory=list, max_length=30)
    note: str | None = Field(None, max_length=2000)


class PlaceWhistleIn(WhistleIn):
    """A whistle on a place with no matter yet: the matter it opens there, then the summons."""

    category: str = Field(min_length=1, max_length=64, description="the matter's category code")
    description: str = Field(min_length=1, max_length=2000, description="what the matter is")


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, description="where you stand")
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    crs: Crs = "wgs84"
    action: str = Field(min_length=1, max_length=2000, description="what your unit will do")


class MeetingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subdistrict_id: RowId = Field(description="the sub-district whose 大工委 met")
    held_on: date
    title: str = Field(min_length=1, max_length=120, examples=["新华街街道区域化党建联席会议"])
    decisions: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        min_length=1, max_length=meetings.MAX_DECISIONS
    )
    unit_ids: list[RowId] = Field(min_length=1, max_length=50, description="units that attended")


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(min_length=1, max_length=4000, description="what the parties agreed")


def _replay(body: dict[str, Any], created: bool) -> JSONResponse:
    if created:
        return json_response(body, status_code=201)
    return json_response(body, status_code=200, headers={"Idempotent-Replayed": "true"})


@router.get("/member-units", response_model=list[UnitOut])
def list_member_units(
    db: SessionDep,
    user: OptionalUser,
    subdistrict_id: Annotated[RowId | None, Query()] = None,
    community_id: Annotated[RowId | None, Query()] = None,
) -> JSONResponse:
    """Units on the committees with their member counts (staff also see names and posts)."""
    return json_response(
        units.list_units(db, user, subdistrict=subdistrict_id, community=community_id)
    )


@router.post("/member-units", status_code=201, response_model=UnitOut)
def register_member_unit(
    body: UnitIn, db: SessionDep, user: CurrentUser, idempotency_key: ScopedIdempotencyKey
) -> JSONResponse:
    """Admins: register a unit on one committee with its part-time members."""
    result, created = units.register_unit(
        db,
        user,
        name=body.name,
        kind=body.kind,
        subdistrict_id=body.subdistrict_id,
        community_id=body.community_id,
        members=[units.Member(**m.model_dump()) for m in body.members],
        idempotency_key=idempotency_key,
    )
    db.commit()
    return _replay(result, created)


@router.get("/joint-meetings", response_model=list[JointMeetingOut])
def list_joint_meetings(
    db: SessionDep, subdistrict_id: Annotated[RowId | None, Query()] = None
) -> JSONResponse:
    """Joint party-building meetings (区域化党建联席会议), newest first: who attended, what was
    decided (public, as a hall's decisions are)."""
    return json_response(meetings.list_meetings(db, subdistrict_id))


@router.post("/joint-meetings", status_code=201, response_model=JointMeetingOut)
def record_joint_meeting(
    body: MeetingIn, db: SessionDep, user: CurrentUser, idempotency_key: ScopedIdempotencyKey
) -> JSONResponse:
    """The sub-district's staff (or an admin) record a meeting held, its units and decisions."""
    result, created = meetings.record(db, user, **body.model_dump(),
                                      idempotency_key=idempotency_key)  # fmt: skip
    db.commit()
    return _replay(result, created)


@router.post("/issues/{issue_id}/whistles", status_code=201, response_model=WhistleOut)
def blow_whistle(
    issue_id: RowId,
    body: WhistleIn,
    db: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
) -> JSONResponse:
    """The matter's area staff summon departments and member units to a place by a time;
    they are told through the notices and the outbox."""
    _, point = input_point(body.crs, body.lon, body.lat, None, None)
    report_by: datetime = body.report_by
    result, created = whistles.blow(
        db,
        user,
        issue_id,
        place=body.place,
        point=point,
        report_by=report_by,
        department_ids=body.department_ids,
        unit_ids=body.unit_ids,
        note=body.note,
        idempotency_key=idempotency_key,
    )
    db.commit()
    return _replay(result, created)


@router.post("/whistles", status_code=201, response_model=WhistleOut)
def blow_whistle_at_place(
    body: PlaceWhistleIn, db: SessionDep, user: CurrentUser, idempotency_key: ScopedIdempotencyKey
) -> JSONResponse:
    """Staff summon parties to a place with no matter yet: the summons opens the matter there
    (channel `whistle`, routed as any pin) and is blown on it, in one transaction."""
    _, point = input_point(body.crs, body.lon, body.lat, None, None)
    result, created = whistles.blow_at_place(
        db, user, category=body.category, description=body.description, place=body.place,
        point=point, report_by=body.report_by, department_ids=body.department_ids,
        unit_ids=body.unit_ids, note=body.note, idempotency_key=idempotency_key,
    )  # fmt: skip
    db.commit()
    return _replay(result, created)


@router.get("/whistles/setup", response_model=WhistleSetup)
def whistle_setup(db: SessionDep, user: CurrentUser) -> JSONResponse:
    """What the whistle page may offer this account: the actions on no object it may take
    (report_whistle: it can be summoned; file_on_behalf: it may summon to a bare place)."""
    return json_response({"allowed": allowed(db, user, None)})


@router.get("/whistles/mine", response_model=list[WhistleOut])
def my_summons(db: SessionDep, user: CurrentUser) -> JSONResponse:
    """The summonses of the caller's department or member unit: open ones (soonest report_by
    first) and those closed in the last week; `mine` marks the caller's own party."""
    return json_response(whistles.summons_of(db, user))


@router.get("/issues/{issue_id}/whistles", response_model=list[WhistleOut])
def whistles_of_issue(issue_id: RowId, db: SessionDep, user: CurrentUser) -> JSONResponse:
    """The whistles blown about a matter, newest first (for those who may blow one)."""
    return json_response(whistles.whistles_of(db, user, issue_id))


@router.get("/whistles/{whistle_id}", response_model=WhistleOut)
def get_whistle(whistle_id: RowId, db: SessionDep, user: CurrentUser) -> JSONResponse:
    """A summons and each party's check-in (late: after report_by, or absent past it)."""
    return json_response(whistles.whistle_out(db, whistle_id))


@router.post("/whistles/{whistle_id}/reports", status_code=201, response_model=WhistleOut)
def report_on_site(
    whistle_id: RowId,
    body: ReportIn,
    db: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
) -> JSONResponse:
    """A summoned party checks in within 100 m of the place and says what it will do; a retry
    (or a second check-in) answers the whistle as it stands."""
    _, point = input_point(body.crs, body.lon, body.lat, None, None)
    result, created = whistles.report(db, user, whistle_id, point=point, action=body.action)
    db.commit()
    return _replay(result, created)


@router.post("/whistles/{whistle_id}/outcome", response_model=WhistleOut)
def record_outcome(
    whistle_id: RowId,
    body: OutcomeIn,
    db: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
) -> JSONResponse:
    """The staff record the joint outcome on the matter (an issue event); the same outcome
    sent again answers the whistle as it is."""
    result = whistles.close(db, user, whistle_id, outcome=body.outcome)
    db.commit()
    return json_response(result)
