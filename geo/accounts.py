"""Accounts and bearer tokens: create one (the token is shown once), authenticate a token,
find one by username, describe one (who am I)."""

import hashlib
import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.errors import Conflict, InvalidParameter, NotFound
from geo.models import Account, Community, Compound, Department, Subdistrict
from geo.models.accounts import AREA_KINDS, ROLE_ZH, ROLES
from geo.passwords import hash_password

TOKEN_PREFIX = "yst_"
AREA_MODELS: dict[str, type[Subdistrict | Community | Compound]] = {
    "subdistrict": Subdistrict,
    "community": Community,
    "compound": Compound,
}
# Roles whose work is bound to a place, and the one bound to a department.
AREA_ROLES = ("grid", "field")


def hash_token(token: str) -> str:
    """SHA-256 hex: tokens are 256-bit random, so a fast hash is enough (no brute force)."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_area(text: str) -> tuple[str, int]:
    """'community:12' -> ('community', 12)."""
    kind, _, ident = text.partition(":")
    if kind not in AREA_KINDS or not ident.isdigit():
        raise InvalidParameter(
            f"area must look like subdistrict:ID, community:ID or compound:ID, not {text!r}",
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
    username: str | None = None,
    password: str | None = None,
) -> tuple[Account, str]:
    """Create an account and return it with its token (stored only as a hash).

    With a username it can sign in to the workspace: with `password`, or with a one-time link
    (geo.signin.issue_link).
    """
    account = Account(name=name)
    bind(session, account, role=role, area=area, department_id=department_id)
    if username is not None:
        account.username = check_username(session, username)
    if password is not None:
        account.password_hash = hash_password(password)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    account.token_hash = hash_token(token)
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
) -> None:
    """Give the account its role, area and department, checked together (used to re-area)."""
    if role not in ROLES:
        raise InvalidParameter(f"role must be one of {', '.join(ROLES)}", where="role")
    if role in AREA_ROLES and area is None:
        raise InvalidParameter(f"a {role} account needs an area", where="area")
    if role == "department" and department_id is None:
        raise InvalidParameter("a department account needs a department", where="department")
    if department_id is not None and session.get(Department, department_id) is None:
        raise NotFound(f"no department with id {department_id}", where="department")
    for kind in AREA_KINDS:
        setattr(account, f"{kind}_id", None)
    if area is not None:
        kind, ident = area
        if kind not in AREA_MODELS:
            raise InvalidParameter(f"unknown area kind {kind!r}", where="area")
        if session.get(AREA_MODELS[kind], ident) is None:
            raise NotFound(f"no {kind} with id {ident}", where="area")
        setattr(account, f"{kind}_id", ident)
    account.role = role
    account.department_id = department_id


def authenticate(session: Session, token: str) -> Account | None:
    """The active account holding this token, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    stmt = select(Account).where(Account.token_hash == hash_token(token), Account.active)
    return session.scalars(stmt).first()


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
    }
