"""The register of property firms and each compound's contracts (history kept).

A compound has at most one contract in force on a day: a new contract from day D ends the one
open before it on D-1 (the old row stays, with its end), and a contract that would begin inside
another's period is refused (409). Admins keep both (access row manage_property_firms).
"""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.accounts.access import can, require
from geo.core.db import get_or_404
from geo.core.errors import Conflict, NotFound, PreconditionFailed, Unprocessable
from geo.core.idempotency import made_by_key
from geo.models import Account, Compound, PropertyContract, PropertyFirm
from geo.models.property import FIRM_KINDS

_FIRMS = text(
    """
    SELECT json_build_object('id', f.id, 'name', f.name, 'hotline', f.hotline, 'kind', f.kind,
           'version', f.version,
           'compounds', (SELECT count(*) FROM property_contract pc WHERE pc.firm_id = f.id
                            AND pc.starts_on <= district_today()
                            AND (pc.ends_on IS NULL OR pc.ends_on >= district_today())))
      FROM property_firm f
     WHERE CAST(:id AS integer) IS NULL OR f.id = :id
     ORDER BY f.id
    """
)

_CONTRACTS = text(
    """
    SELECT json_build_object('id', pc.id, 'compound_id', pc.compound_id,
           'firm', json_build_object('id', f.id, 'name', f.name, 'kind', f.kind),
           'starts_on', pc.starts_on, 'ends_on', pc.ends_on, 'version', pc.version,
           'current', pc.starts_on <= district_today()
                      AND (pc.ends_on IS NULL OR pc.ends_on >= district_today()))
      FROM property_contract pc JOIN property_firm f ON f.id = pc.firm_id
     WHERE pc.compound_id = :compound
     ORDER BY pc.starts_on DESC, pc.id DESC
    """
)

_SERVED = text(
    """
    SELECT json_build_object('id', c.id, 'name', c.name, 'community', cm.name,
           'starts_on', pc.starts_on, 'ends_on', pc.ends_on)
      FROM property_contract pc JOIN compound c ON c.id = pc.compound_id
      JOIN community cm ON cm.id = c.community_id
     WHERE pc.firm_id = :firm AND pc.starts_on <= district_today()
       AND (pc.ends_on IS NULL OR pc.ends_on >= district_today())
     ORDER BY c.name, c.id
    """
)


def list_firms(session: Session) -> list[dict[str, Any]]:
    """Every firm with the number of compounds it serves today (public: firms post hotlines)."""
    return list(session.execute(_FIRMS, {"id": None}).scalars())


def firm_out(session: Session, firm_id: int) -> dict[str, Any]:
    row = session.execute(_FIRMS, {"id": firm_id}).scalar()
    if row is None:
        raise NotFound(f"No property firm {firm_id}.", where="firm_id")
    return dict(row)


def register_firm(
    session: Session,
    actor: Account,
    *,
    name: str,
    kind: str,
    hotline: str | None,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Add a firm to the register (nothing committed); (firm, created)."""
    require(session, actor, None, "manage_property_firms")
    done = made_by_key(session, PropertyFirm.id, idempotency_key)
    if done is not None:
        return firm_out(session, done), False
    name = name.strip()
    if kind not in FIRM_KINDS:
        raise Unprocessable(f"kind must be one of {', '.join(FIRM_KINDS)}.", where="kind")
    if not name:
        raise Unprocessable("A firm needs its name.", where="name")
    if session.scalar(select(PropertyFirm.id).where(PropertyFirm.name == name)) is not None:
        raise Conflict(f"A property firm named {name} is already registered.", where="name")
    firm = PropertyFirm(name=name, kind=kind, hotline=hotline, idempotency_key=idempotency_key)
    session.add(firm)
    session.flush()
    return firm_out(session, firm.id), True


def update_firm(
    session: Session, actor: Account, firm_id: int, *, expected: int | None, changes: dict
) -> dict[str, Any]:
    """Change a firm's name, hotline or kind at the version the client saw (412 otherwise)."""
    require(session, actor, None, "manage_property_firms")
    firm = get_or_404(
        session, PropertyFirm, firm_id, what="property firm", where="firm_id", lock=True
    )
    if expected is not None and firm.version != expected:
        raise PreconditionFailed(
            f"firm {firm_id} is at version {firm.version}, not {expected}; read it again",
            where="If-Match",
            current_version=firm.version,
        )
    changes = {k: v for k, v in changes.items() if v is not None or k == "hotline"}
    if changes.get("kind", firm.kind) not in FIRM_KINDS:
        raise Unprocessable(f"kind must be one of {', '.join(FIRM_KINDS)}.", where="kind")
    name = changes.get("name", firm.name).strip()
    other = select(PropertyFirm.id).where(PropertyFirm.name == name, PropertyFirm.id != firm_id)
    if not name or session.scalar(other) is not None:
        raise Conflict(f"Another property firm is named {name}, or none given.", where="name")
    changes["name"] = name
    for key in ("name", "hotline", "kind"):
        if key in changes:
            setattr(firm, key, changes[key])
    firm.version += 1
    session.flush()
    return firm_out(session, firm_id)


def contracts(session: Session, compound_id: int) -> list[dict[str, Any]]:
    """A compound's contracts, newest first, each saying whether it is in force today."""
    if session.get(Compound, compound_id) is None:
        raise NotFound(f"No compound {compound_id}.", where="compound_id")
    return list(session.execute(_CONTRACTS, {"compound": compound_id}).scalars())


def add_contract(
    session: Session,
    actor: Account,
    compound_id: int,
    *,
    firm_id: int,
    starts_on: date,
    ends_on: date | None,
    idempotency_key: str | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """A compound's new contract (nothing committed): the open one before it ends the day
    before; (the compound's contracts, created)."""
    require(session, actor, None, "manage_property_firms")
    done = made_by_key(session, PropertyContract.compound_id, idempotency_key)
    if done is not None:
        return contracts(session, done), False
    if session.get(Compound, compound_id, with_for_update=True) is None:
        raise NotFound(f"No compound {compound_id}.", where="compound_id")
    if session.get(PropertyFirm, firm_id) is None:
        raise Unprocessable(f"No property firm {firm_id}.", where="firm_id")
    if ends_on is not None and ends_on < starts_on:
        raise Unprocessable("A contract cannot end before it starts.", where="ends_on")
    rows = session.scalars(
        select(PropertyContract).where(PropertyContract.compound_id == compound_id)
    ).all()
    for row in rows:
        if row.starts_on >= starts_on or (row.ends_on is not None and row.ends_on >= starts_on):
            raise Conflict(
                f"Contract {row.id} runs from {row.starts_on} to {row.ends_on or 'open'}: a new "
                "contract starts after the last one began and after any fixed end.",
                where="starts_on",
            )
    for row in rows:
        if row.ends_on is None:
            row.ends_on = starts_on - timedelta(days=1)
            row.version += 1
    session.add(
        PropertyContract(
            compound_id=compound_id,
            firm_id=firm_id,
            starts_on=starts_on,
            ends_on=ends_on,
            idempotency_key=idempotency_key,
        )
    )
    session.flush()
    return contracts(session, compound_id), True


def served_compounds(session: Session, firm_id: int) -> list[dict[str, Any]]:
    """The compounds under a current contract with the firm (its accounts' scope)."""
    return list(session.execute(_SERVED, {"firm": firm_id}).scalars())


def mine(session: Session, account: Account) -> dict[str, Any]:
    """What the workspace's property page shows this account: its firm and the compounds the
    firm serves now (a firm's account), and the register (who may manage it)."""
    firm = account.property_firm_id
    keeper = can(session, account, None, "manage_property_firms")
    return {
        "firm": firm_out(session, firm) if firm is not None else None,
        "served": served_compounds(session, firm) if firm is not None else [],
        "firms": list_firms(session) if keeper else None,
    }
