"""Accounts for administrators: GET/POST /api/admin/accounts, PATCH /api/admin/accounts/{id},
POST /api/admin/accounts/{id}/reset. The /work/admin page (api/pages/admin.py) calls these."""

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from api.auth import CurrentUser
from api.deps import SessionDep, SettingsDep
from api.routes.signin import Me
from geo.accounts.access import require
from geo.accounts.account_admin import account_row, list_accounts, update_account
from geo.accounts.accounts import create_account, get_account, parse_area
from geo.accounts.signin import issue_link, link_url, reset_password
from geo.core import clock
from geo.core.settings import Settings
from geo.models.accounts import ROLES

router = APIRouter(prefix="/api/admin/accounts", tags=["accounts"])
AREA_DOC = "subdistrict:ID, community:ID or compound:ID; null for none"
DISTRICT_DOC = "the district it works in (default: its area's or department's); null: the city"


class LastAction(BaseModel):
    at: datetime
    what: str = Field(description="e.g. issue_transition_topic, hall_session, progress_report")
    ref: int | None = Field(description="the issue, hall, work item or progress event")


# An account as its administrator sees it: what the account sees of itself (Me), and its use.
# (No docstring: it would become the schema's description in /openapi.json.)
class AccountOut(Me):
    active: bool
    created_at: datetime
    last_signin_at: datetime | None
    has_password: bool
    live_sessions: int
    last_seen_at: datetime | None
    last_action: LastAction | None


class AccountIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    name: str | None = Field(None, max_length=64, description="shown name; the username if none")
    role: str = Field(json_schema_extra={"enum": list(ROLES)})
    area: str | None = Field(None, description=AREA_DOC)
    department_id: int | None = Field(None, ge=1, le=2**31 - 1)
    firm_id: int | None = Field(None, ge=1, le=2**31 - 1, description="a contractor's firm")
    property_firm_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="a property account's firm (红色物业)"
    )
    district_id: int | None = Field(None, ge=1, le=2**31 - 1, description=DISTRICT_DOC)


class AccountChange(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=64)
    role: str | None = Field(None, json_schema_extra={"enum": list(ROLES)})
    area: str | None = Field(None, description=AREA_DOC)
    department_id: int | None = Field(None, ge=1, le=2**31 - 1)
    firm_id: int | None = Field(None, ge=1, le=2**31 - 1, description="a contractor's firm")
    property_firm_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="a property account's firm (红色物业)"
    )
    district_id: int | None = Field(None, ge=1, le=2**31 - 1, description=DISTRICT_DOC)
    active: bool | None = None


class SigninLinkOut(BaseModel):
    signin_link: str = Field(description="one-time sign-in link to give the person")
    expires_at: datetime


class ResetOptions(BaseModel):
    end_token: bool = Field(
        False,
        description="Also end the account's bearer token (kept by default: its scripts and "
        "integrations go on working; rotate or revoke it separately).",
    )


class Created(SigninLinkOut):
    account: AccountOut


AccountId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _link(settings: Settings, token: str, now: datetime) -> dict[str, Any]:
    return {
        "signin_link": link_url(settings.public_url, token),
        "expires_at": now + timedelta(seconds=settings.signin_link_ttl_s),
    }


@router.get("", summary="Every account: role, area, last sign-in, last action")
def accounts(session: SessionDep, user: CurrentUser) -> list[AccountOut]:
    require(session, user, None, "manage_accounts")
    now = clock.now()
    return [AccountOut(**row) for row in list_accounts(session, now=now, viewer=user)]


@router.post("", status_code=201, summary="Add an account; answers its one-time sign-in link")
def add_account(
    body: AccountIn, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Created:
    require(session, user, None, "manage_accounts")
    now = clock.now()
    account, _ = create_account(
        session,
        name=body.name or body.username.strip(),
        role=body.role,
        area=parse_area(body.area) if body.area else None,
        department_id=body.department_id,
        firm_id=body.firm_id,
        property_firm_id=body.property_firm_id,
        district_id=body.district_id,
        username=body.username,
    )
    require(session, user, account, "change_account")  # as made: of the admin's district
    token = issue_link(session, account, now=now, ttl_s=settings.signin_link_ttl_s)
    session.commit()
    row = account_row(session, account.id, now=now)
    return Created(account=AccountOut(**row), **_link(settings, token, now))


@router.patch("/{account_id}", summary="Rename, deactivate or reactivate, change role or area")
def change_account(
    account_id: AccountId, body: AccountChange, session: SessionDep, user: CurrentUser
) -> AccountOut:
    require(session, user, None, "manage_accounts")
    now = clock.now()
    changes = body.model_dump(exclude_unset=True)
    if "area" in changes:
        changes["area"] = parse_area(changes["area"]) if changes["area"] else None
    account = get_account(session, account_id)
    require(session, user, account, "change_account")
    update_account(session, account, by=user, changes=changes)
    require(session, user, account, "change_account")  # and as changed: not moved out of it
    session.commit()
    return AccountOut(**account_row(session, account_id, now=now))


@router.post("/{account_id}/reset", summary="Reset the password: a new one-time sign-in link")
def reset(
    account_id: AccountId,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    options: ResetOptions | None = None,
) -> SigninLinkOut:
    now = clock.now()
    account = get_account(session, account_id)
    require(session, user, account, "change_account")
    end_token = options is not None and options.end_token
    token = reset_password(
        session, account, now=now, ttl_s=settings.signin_link_ttl_s, end_token=end_token
    )
    session.commit()
    return SigninLinkOut(**_link(settings, token, now))
