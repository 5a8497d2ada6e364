"""Accounts and bearer tokens: create one (the token is shown once), authenticate a token,
find one by username, describe one (who am I); tokens expire, and an admin lists, revokes and
rotates them."""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from geo.accounts.districts import place_district
from geo.accounts.passwords import hash_password
from geo.core.errors import Conflict, InvalidParameter, NotFound, Unauthorized, Unprocessable
from geo.models import (
    Account,
    Building,
    Community,
    Compound,
    ContractorFirm,
    Department,
    District,
    PropertyFirm,
    Subdistrict,
    Unit,
)
from geo.models.accounts import AREA_KINDS, ROLE_ZH, ROLES

TOKEN_PREFIX = "yst_"
AREA_MODELS: dict[str, type[Subdistrict | Community | Compound | Building | Unit]] = {
    "subdistrict": Subdistrict,
    "community": Community,
    "compound": Compound,
    "building": Building,
    "unit": Unit,
}
# A building or a unit is the place of a grid post (building party group, unit leader), so
# only grid accounts are bound that narrowly.
GRID_ONLY_AREAS = ("building", "unit")
# Roles whose work is bound to a place, and the one bound to a department.
AREA_ROLES = ("grid", "field")


def hash_token(token: str) -> str:
    """SHA-256 hex: tokens are 256-bit random, so a fast hash is enough (no brute force)."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_area(text: str) -> tuple[str, int]:
    """'community:12' -> ('community', 12)."""
    kind, _, ident = text.partition(":")
    if kind not in AREA_KINDS or not (ident.isascii() and ident.isdigit()):
        raise InvalidParameter(
            "area must look like subdistrict:ID, community:ID, compound:ID, building:ID or"
            f" unit:ID, not {text!r}",
            where="area",
        )
    return kind, int(ident)


def create_account(
    session: Session,
    *,
    name: str,
    role: str,
    area: tuple[str, int] | None = None,
    department_id: int | None = None,
    firm_id: int | None = None,
    property_firm_id: int | None = None,
    district_id: int | None = None,
    username: str | None = None,
    password: str | None = None,
    token_days: int = 180,
) -> tuple[Account, str]:
    """Create an account and return it with its token (stored only as a hash), which works
    for `token_days` (the YISHITING_TOKEN_DAYS setting).

    With a username it can sign in to the workspace: with `password`, or with a one-time link
    (geo.accounts.signin.issue_link).
    """
    account = Account(name=name)
    bind(
        session,
        account,
        role=role,
        area=area,
        department_id=department_id,
        firm_id=firm_id,
        property_firm_id=property_firm_id,
    )
    bind_district(session, account, district_id)
    if username is not None:
        account.username = check_username(session, username)
    if password is not None:
        account.password_hash = hash_password(password)
    token = _issue_token(session, account, token_days)  # before add: it asks the clock
    session.add(account)
    session.flush()
    return account, token


def bind(
    session: Session,
    account: Account,
    *,
    role: str,
    area: tuple[str, int] | None,
    department_id: int | None,
    firm_id: int | None = None,
    property_firm_id: int | None = None,
) -> None:
    """Give the account its role, area, department and (a contractor only) firm or (a property
    account only) property firm, checked together (used to re-area)."""
    if role not in ROLES:
        raise InvalidParameter(f"role must be one of {', '.join(ROLES)}", where="role")
    if role in AREA_ROLES and area is None:
        raise InvalidParameter(f"a {role} account needs an area", where="area")
    if role == "department" and department_id is None:
        raise InvalidParameter("a department account needs a department", where="department")
    if (role == "contractor") != (firm_id is not None):
        raise InvalidParameter("a contractor account, and only one, has a firm", where="firm")
    if (role == "property") != (property_firm_id is not None):
        raise InvalidParameter(
            "a property account, and only one, has a property firm", where="property_firm"
        )
    if property_firm_id is not None and session.get(PropertyFirm, property_firm_id) is None:
        raise NotFound(f"no property firm with id {property_firm_id}", where="property_firm")
    if firm_id is not None and session.get(ContractorFirm, firm_id) is None:
        raise NotFound(f"no contractor firm with id {firm_id}", where="firm")
    if department_id is not None and session.get(Department, department_id) is None:
        raise NotFound(f"no department with id {department_id}", where="department")
    for kind in AREA_KINDS:
        setattr(account, f"{kind}_id", None)
    if area is not None:
        kind, ident = area
        if kind not in AREA_MODELS:
            raise InvalidParameter(f"unknown area kind {kind!r}", where="area")
        if kind in GRID_ONLY_AREAS and role != "grid":
            raise InvalidParameter(f"only a grid account is bound to a {kind}", where="area")
        if session.get(AREA_MODELS[kind], ident) is None:
            raise NotFound(f"no {kind} with id {ident}", where="area")
        setattr(account, f"{kind}_id", ident)
    account.role = role
    account.department_id = department_id
    account.firm_id = firm_id
    account.property_firm_id = property_firm_id


def bind_district(session: Session, account: Account, district_id: int | None) -> None:
    """Scope the account to `district_id`, or to the district its area or department lies
    in, or (neither) to the whole city; an area or department of another district is 422."""
    if district_id is not None and session.get(District, district_id) is None:
        raise NotFound(f"no district with id {district_id}", where="district")
    implied = None
    if account.area is not None:
        implied = place_district(session, *account.area)
    elif account.department_id is not None:
        department = session.get(Department, account.department_id)
        implied = department.district_id if department else None
    if district_id is not None and implied is not None and implied != district_id:
        raise Unprocessable(
            f"the account's area or department lies in district {implied}, not {district_id}",
            where="district",
        )
    account.district_id = district_id if district_id is not None else implied


def _db_now(session: Session) -> datetime:
    """The database's clock: the one every token date is compared with."""
    now: datetime = session.execute(select(func.now())).scalar_one()
    return now


def _issue_token(session: Session, account: Account, days: int) -> str:
    """A fresh token for the account, working for `days` from now (the database's clock)."""
    now = _db_now(session)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    account.token_hash = hash_token(token)
    account.token_expires_at = now + timedelta(days=days)
    account.token_revoked_at = None
    return token


# Noting each use would make every read a write; to the minute is enough to see who is active.
TOUCH_EVERY = timedelta(minutes=1)


def authenticate(session: Session, token: str) -> Account | None:
    """The account holding this token, its use noted; None when no account holds it.

    Raises Unauthorized, saying why, for a token that is revoked or expired or whose account
    is deactivated: checked on every request, so a revocation holds at once.
    """
    if not token.startswith(TOKEN_PREFIX):
        return None
    # the account and the database's clock in one round trip
    found = session.execute(
        select(Account, func.now()).where(Account.token_hash == hash_token(token))
    ).first()
    if found is None:
        return None
    account, now = found
    if not account.active:
        raise Unauthorized("This account is deactivated.", where="Authorization")
    if account.token_revoked_at is not None:
        raise Unauthorized(
            f"This token was revoked on {account.token_revoked_at:%Y-%m-%d %H:%M %Z}; "
            "ask an admin for a new one (`yishiting users rotate`).",
            where="Authorization",
        )
    if account.token_expires_at <= now:
        raise Unauthorized(
            f"This token expired on {account.token_expires_at:%Y-%m-%d}; "
            "ask an admin for a new one (`yishiting users rotate`).",
            where="Authorization",
        )
    last = account.token_last_used_at
    if last is None or now - last >= TOUCH_EVERY:
        account.token_last_used_at = now  # written by the caller's commit (or flush)
    return account


def get_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"no account with id {account_id}", where="account_id")
    return account


def revoke_token(session: Session, account_id: int) -> Account:
    """Refuse the account's token from now on (until it is rotated)."""
    account = get_account(session, account_id)
    if account.token_revoked_at is None:
        account.token_revoked_at = _db_now(session)
    session.flush()
    return account


def rotate_token(session: Session, account_id: int, *, token_days: int = 180) -> str:
    """Replace the account's token with a new one (the old one is refused at once)."""
    account = get_account(session, account_id)
    token = _issue_token(session, account, token_days)
    session.flush()
    return token


LIST = text(
    """
    SELECT id, name, role,
           coalesce('subdistrict:' || subdistrict_id, 'community:' || community_id,
                    'compound:' || compound_id, 'department:' || department_id, '-') AS area,
           created_at, token_expires_at, token_last_used_at, token_revoked_at,
           CASE WHEN NOT active THEN 'inactive'
                WHEN token_revoked_at IS NOT NULL THEN 'revoked'
                WHEN token_expires_at <= now() THEN 'expired'
                ELSE 'live' END AS token_state
    FROM account ORDER BY id
    """
)


def list_accounts(session: Session) -> list[dict[str, Any]]:
    """Every account with its token's state (live, expired, revoked; inactive accounts)."""
    return [dict(r) for r in session.execute(LIST).mappings()]


def check_username(session: Session, username: str) -> str:
    """The username stripped, when well-formed and not taken (in any letter case)."""
    clean = username.strip()
    if not 1 <= len(clean) <= 64 or any(c.isspace() for c in clean):
        raise InvalidParameter(
            "用户名须为 1-64 个字符且不含空格 (a username has 1 to 64 characters, no spaces).",
            where="username",
        )
    if find_by_username(session, clean) is not None:
        raise Conflict(f"用户名 {clean} 已被使用 (the username is taken).", where="username")
    return clean


def find_by_username(session: Session, username: str) -> Account | None:
    stmt = select(Account).where(func.lower(Account.username) == username.strip().lower())
    return session.scalars(stmt).first()


def describe(session: Session, account: Account) -> dict[str, Any]:
    """Who an account is, for the workspace: role in Chinese, area and department by name."""
    area = None
    if account.area is not None:
        kind, ident = account.area
        place = session.get(AREA_MODELS[kind], ident)
        area = {"kind": kind, "id": ident, "name": getattr(place, "name", None)}
    department = None
    if account.department_id is not None:
        dept = session.get(Department, account.department_id)
        department = {"id": account.department_id, "name": dept.name if dept else None}
    return {
        "id": account.id,
        "name": account.name,
        "username": account.username,
        "role": account.role,
        "role_zh": ROLE_ZH[account.role],
        "area": area,
        "department": department,
        "district_id": account.district_id,
    }
