"""The register of member units (成员单位): units in the area on a sub-district's big working
committee (大工委) or a community's big party committee (大党委), with their part-time members
(兼职委员). The public sees the units and how many members each has; staff also see the
members' names and posts (access row read_unit_members); admins register units."""

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.accounts.access import can, require
from geo.core.errors import Conflict, Unprocessable
from geo.core.idempotency import made_by_key
from geo.models import Account, Community, MemberUnit, Subdistrict, UnitMember
from geo.models.partners import UNIT_KINDS

_UNITS = text(
    """
    SELECT json_build_object(
      'id', u.id, 'name', u.name, 'kind', u.kind,
      'committee', CASE WHEN u.subdistrict_id IS NOT NULL
        THEN json_build_object('kind', 'subdistrict', 'id', s.id, 'name', s.name,
                               'body', '大工委')
        ELSE json_build_object('kind', 'community', 'id', c.id, 'name', c.name,
                               'body', '大党委') END,
      'members', (SELECT count(*) FROM unit_member m WHERE m.unit_id = u.id),
      'people', CASE WHEN :staff THEN COALESCE((SELECT json_agg(json_build_object(
          'id', m.id, 'name', m.name, 'post', m.post, 'account_id', m.account_id) ORDER BY m.id)
        FROM unit_member m WHERE m.unit_id = u.id), '[]'::json) END)
    FROM member_unit u LEFT JOIN subdistrict s ON s.id = u.subdistrict_id
         LEFT JOIN community c ON c.id = u.community_id
    WHERE (CAST(:ids AS integer[]) IS NULL OR u.id = ANY(:ids))
      AND (CAST(:subdistrict AS integer) IS NULL OR u.subdistrict_id = :subdistrict)
      AND (CAST(:community AS integer) IS NULL OR u.community_id = :community)
    ORDER BY u.subdistrict_id NULLS LAST, u.community_id, u.id
    """
)


@dataclass
class Member:
    name: str
    post: str
    account_id: int | None = None


def list_units(
    db: Session,
    account: Account | None,
    *,
    subdistrict: int | None = None,
    community: int | None = None,
    ids: list[int] | None = None,
) -> list[dict[str, Any]]:
    staff = can(db, account, None, "read_unit_members")
    params = {"staff": staff, "subdistrict": subdistrict, "community": community, "ids": ids}
    rows = db.execute(_UNITS, params).scalars().all()
    return [r if staff else {k: v for k, v in r.items() if k != "people"} for r in rows]


def register_unit(
    db: Session,
    actor: Account,
    *,
    name: str,
    kind: str,
    subdistrict_id: int | None,
    community_id: int | None,
    members: list[Member],
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Register a unit with its members (nothing committed here); (unit, created). A retry with
    the same (scoped) key answers the unit it registered."""
    require(db, actor, None, "manage_member_units")
    done = made_by_key(db, MemberUnit.id, idempotency_key)
    if done is not None:
        return list_units(db, actor, ids=[done])[0], False
    if kind not in UNIT_KINDS:
        raise Unprocessable(f"kind must be one of {', '.join(UNIT_KINDS)}.", where="kind")
    if (subdistrict_id is None) == (community_id is None):
        raise Unprocessable(
            "A unit sits on one committee: give subdistrict_id (大工委) or community_id (大党委).",
            where="community_id",
        )
    if subdistrict_id is not None and db.get(Subdistrict, subdistrict_id) is None:
        raise Unprocessable(f"No sub-district {subdistrict_id}.", where="subdistrict_id")
    if community_id is not None and db.get(Community, community_id) is None:
        raise Unprocessable(f"No community {community_id}.", where="community_id")
    name = name.strip()
    if not name:
        raise Unprocessable("A unit needs its name.", where="name")
    if db.scalar(select(MemberUnit.id).where(MemberUnit.name == name)) is not None:
        raise Conflict(f"A member unit named {name} is already registered.", where="name")
    linked = [m.account_id for m in members if m.account_id is not None]
    if linked:
        known = db.scalars(select(Account.id).where(Account.id.in_(linked))).all()
        taken = db.scalars(
            select(UnitMember.account_id).where(UnitMember.account_id.in_(linked))
        ).all()
        if len(set(known)) != len(linked) or taken:
            raise Unprocessable(
                "Each member's account must exist and belong to no other member: "
                + json.dumps(sorted(set(linked) - set(known)) or sorted(taken)),
                where="members",
            )
    unit = MemberUnit(
        name=name,
        kind=kind,
        subdistrict_id=subdistrict_id,
        community_id=community_id,
        idempotency_key=idempotency_key,
    )
    db.add(unit)
    db.flush()
    db.add_all(
        UnitMember(unit_id=unit.id, name=m.name, post=m.post, account_id=m.account_id)
        for m in members
    )
    db.flush()
    return list_units(db, actor, ids=[unit.id])[0], True


def unit_names(db: Session, ids: list[int]) -> dict[int, str]:
    """Registered units' names by id (for linking a hall session's attending units)."""
    rows = db.execute(select(MemberUnit.id, MemberUnit.name).where(MemberUnit.id.in_(ids)))
    return {row.id: row.name for row in rows}
