"""Accounts and bearer tokens: create one (the token is shown once), authenticate a token."""

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.errors import InvalidParameter, NotFound
from geo.models import Account, Community, Compound, Department, Subdistrict
from geo.models.accounts import AREA_KINDS, ROLES

TOKEN_PREFIX = "yst_"
AREA_MODELS = {"subdistrict": Subdistrict, "community": Community, "compound": Compound}
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
) -> tuple[Account, str]:
    """Create an account and return it with its token (stored only as a hash)."""
    if role not in ROLES:
        raise InvalidParameter(f"role must be one of {', '.join(ROLES)}", where="role")
    if role in AREA_ROLES and area is None:
        raise InvalidParameter(f"a {role} account needs an area", where="area")
    if role == "department" and department_id is None:
        raise InvalidParameter("a department account needs a department", where="department")
    account = Account(name=name, role=role, department_id=department_id)
    if area is not None:
        kind, ident = area
        if kind not in AREA_MODELS:
            raise InvalidParameter(f"unknown area kind {kind!r}", where="area")
        if session.get(AREA_MODELS[kind], ident) is None:
            raise NotFound(f"no {kind} with id {ident}", where="area")
        setattr(account, f"{kind}_id", ident)
    if department_id is not None and session.get(Department, department_id) is None:
        raise NotFound(f"no department with id {department_id}", where="department")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    account.token_hash = hash_token(token)
    session.add(account)
    session.flush()
    return account, token


def authenticate(session: Session, token: str) -> Account | None:
    """The active account holding this token, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    stmt = select(Account).where(Account.token_hash == hash_token(token), Account.active)
    return session.scalars(stmt).first()
