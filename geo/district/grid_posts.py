"""The grid's posts for staff: list them with their holders, read a post's history, hand a
post to its next holder, link a holder's account; and the district's publicity choices per role.

A handover closes the current holding the day the next begins, so the history has no gap and
no overlap; issues keep the holding their routing named (issue_grid_contact). Staff see names
and work contacts; a private phone is stored for the district's own use and answered nowhere.
"""

from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.accounts.areas import post_in_area
from geo.core import clock
from geo.core.errors import Conflict, InvalidParameter, NotFound, Unprocessable
from geo.models import Account, GridHolding, GridPerson, GridPost, PublicityRule
from geo.models.grid import GRID_ROLES, PUBLIC_ROLES, PUBLICITY

_POSTS = text(
    """
    SELECT p.id, p.role, p.subdistrict_id, p.community_id, p.compound_id, p.building_id,
           p.unit_id, h.id AS holding_id, h.held_from, pe.name, pe.work_contact AS contact
      FROM grid_post p
      LEFT JOIN grid_holding h ON h.post_id = p.id AND h.held_until IS NULL
      LEFT JOIN grid_person pe ON pe.id = h.person_id
     WHERE (CAST(:compound AS integer) IS NULL OR p.compound_id = :compound)
       AND (CAST(:community AS integer) IS NULL OR p.community_id = :community)
       AND (CAST(:building AS integer) IS NULL OR p.building_id = :building)
       AND (CAST(:role AS text) IS NULL OR p.role = :role)
     ORDER BY p.id LIMIT :limit OFFSET :offset
    """
)
_HISTORY = text(
    """
    SELECT h.id AS holding_id, h.held_from, h.held_until, pe.id AS person_id, pe.name,
           pe.work_contact AS contact, h.assigned_by_id, h.assigned_at,
           (SELECT count(*) FROM issue_grid_contact c WHERE c.holding_id = h.id) AS issues
      FROM grid_holding h JOIN grid_person pe ON pe.id = h.person_id
     WHERE h.post_id = :post ORDER BY h.held_from DESC, h.id DESC
    """
)


def list_posts(
    session: Session,
    actor: Account | None,
    *,
    compound: int | None = None,
    community: int | None = None,
    building: int | None = None,
    role: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Posts with their current holders (staff: read_grid_posts)."""
    require(session, actor, None, "read_grid_posts")
    if role is not None and role not in GRID_ROLES:
        raise InvalidParameter(f"role must be one of {', '.join(GRID_ROLES)}", where="role")
    params = {"compound": compound, "community": community, "building": building,
              "role": role, "limit": limit, "offset": offset}  # fmt: skip
    return [dict(r) for r in session.execute(_POSTS, params).mappings()]


def post_history(session: Session, actor: Account | None, post_id: int) -> dict[str, Any]:
    """A post and everyone who held it, newest first, with how many issues named each."""
    require(session, actor, None, "read_grid_posts")
    post = _post(session, post_id)
    holders = [dict(r) for r in session.execute(_HISTORY, {"post": post.id}).mappings()]
    return {"id": post.id, "role": post.role, "holders": holders}


def _post(session: Session, post_id: int) -> GridPost:
    post = session.get(GridPost, post_id)
    if post is None:
        raise NotFound(f"no grid post with id {post_id}", where="post_id")
    return post


def hand_over(
    session: Session,
    actor: Account | None,
    post_id: int,
    *,
    held_from: date,
    person_id: int | None = None,
    person: dict[str, str] | None = None,
) -> tuple[dict[str, Any], bool]:
    """Give the post to a known person (`person_id`) or a new one (`person`: name, phone,
    work_contact) from `held_from`; returns (the post's history, whether anything changed).

    A retry of the same handover (the same holder from the same day) changes nothing and
    answers the history again. The day may not be in the future nor before the current
    holder's first day."""
    post = _post(session, post_id)
    require(session, actor, post, "assign_grid_post")
    if (person_id is None) == (person is None):
        raise InvalidParameter("give either person_id or person", where="person_id")
    if held_from > clock.today():
        raise Unprocessable("held_from may not be in the future", where="held_from")
    current = session.scalars(
        select(GridHolding)
        .where(GridHolding.post_id == post.id, GridHolding.held_until.is_(None))
        .with_for_update()
    ).first()
    if (
        current is not None
        and current.held_from == held_from
        and _same(session, current, person_id, person)
    ):
        return post_history(session, actor, post.id), False
    if current is not None and held_from <= current.held_from:
        raise Conflict(
            f"the current holder took the post on {current.held_from}: a handover must be later",
            where="held_from",
        )
    holder = _person(session, person_id, person)
    if current is not None and current.person_id == holder.id:
        raise Conflict("this person holds the post already", where="person_id")
    if current is not None:
        current.held_until = held_from
        session.flush()  # the post's open holding closes before the next opens (unique index)
    session.add(
        GridHolding(
            post_id=post.id,
            person_id=holder.id,
            held_from=held_from,
            assigned_by_id=actor.id if actor else None,
            assigned_at=clock.now(),
        )
    )
    session.flush()
    return post_history(session, actor, post.id), True


def link_account(
    session: Session, actor: Account | None, person_id: int, account_id: int | None
) -> dict[str, Any]:
    """The account (role grid, active, its area covering the post) a post's current holder
    signs in with, or none. Whoever may hand the post over may link it; the same link again
    changes nothing. An account serves one person (409 for another's)."""
    person, post = _holder(session, actor, person_id)
    if account_id is not None and account_id != person.account_id:
        _check_account(session, account_id, post)
    person.account_id = account_id
    session.flush()
    return {"id": person.id, "name": person.name, "post_id": post.id, "account_id": account_id}


# The posts a cadre may hold outside working hours in their own compound (楼栋长、单元长).
OFF_HOURS_ROLES = ("building_party_group", "unit_leader")


def link_cadre(
    session: Session, actor: Account | None, person_id: int, cadre_id: int | None
) -> dict[str, Any]:
    """Mark a post's current holder as a cadre sent down (or not: null), holding it outside
    working hours: only a building or unit leader post, only in the cadre's home compound.
    Whoever may hand the post over may say so; a cadre is one person of the grid (409)."""
    person, post = _holder(session, actor, person_id)
    if cadre_id is not None and cadre_id != person.cadre_id:
        home = session.scalar(text("SELECT home_compound_id FROM cadre WHERE id = :c"),
                              {"c": cadre_id})  # fmt: skip
        if home is None:
            raise Unprocessable(f"no cadre {cadre_id}", where="cadre_id")
        if post.role not in OFF_HOURS_ROLES or post.compound_id != home:
            raise Unprocessable(
                "a cadre holds a building or unit leader post in the compound where they live"
                f" (cadre {cadre_id} lives in compound {home})",
                where="cadre_id",
            )
        if session.scalar(select(GridPerson.id).where(GridPerson.cadre_id == cadre_id)):
            raise Conflict(f"cadre {cadre_id} is another person of the grid", where="cadre_id")
    person.cadre_id = cadre_id
    session.flush()
    return {"id": person.id, "name": person.name, "post_id": post.id, "cadre_id": cadre_id}


def _holder(session: Session, actor: Account | None, person_id: int) -> tuple[GridPerson, GridPost]:
    """A grid person who holds a post now, and the post, for whoever may hand it over."""
    person = session.get(GridPerson, person_id, with_for_update=True)
    if person is None:
        raise NotFound(f"no grid person with id {person_id}", where="person_id")
    post_id = session.scalar(
        select(GridHolding.post_id).where(
            GridHolding.person_id == person.id, GridHolding.held_until.is_(None)
        )
    )
    if post_id is None:
        raise Conflict(f"{person.name} holds no post now", where="person_id")
    post = _post(session, post_id)
    require(session, actor, post, "assign_grid_post")
    return person, post


def _check_account(session: Session, account_id: int, post: GridPost) -> None:
    account = session.get(Account, account_id)
    if account is None or not account.active:
        raise Unprocessable(f"no active account {account_id}", where="account_id")
    if account.role != "grid":
        raise Unprocessable(f"account {account_id} is a {account.role} account, not grid",
                            where="account_id")  # fmt: skip
    if not post_in_area(account, post):
        raise Unprocessable(
            f"account {account_id}'s area does not hold the post's place: bind the account"
            " to the post's building, compound or community first",
            where="account_id",
        )
    linked = session.scalar(select(GridPerson.id).where(GridPerson.account_id == account_id))
    if linked is not None:
        raise Conflict(f"account {account_id} is linked to grid person {linked}",
                       where="account_id")  # fmt: skip


def _same(
    session: Session, current: GridHolding, person_id: int | None, person: dict[str, str] | None
) -> bool:
    if person_id is not None:
        return current.person_id == person_id
    held = session.get(GridPerson, current.person_id)
    assert held is not None and person is not None
    return (held.name, held.phone, held.work_contact) == (
        person["name"], person["phone"], person["work_contact"],
    )  # fmt: skip


def _person(session: Session, person_id: int | None, person: dict[str, str] | None) -> GridPerson:
    if person_id is not None:
        found = session.get(GridPerson, person_id)
        if found is None:
            raise NotFound(f"no grid person with id {person_id}", where="person_id")
        return found
    assert person is not None
    made = GridPerson(**person)
    session.add(made)
    session.flush()
    return made


def publicity(session: Session) -> dict[str, str]:
    """What the public posting shows of each role (none, name, name_contact)."""
    rows = session.scalars(select(PublicityRule)).all()
    return {r.role: r.shows for r in sorted(rows, key=lambda r: PUBLIC_ROLES.index(r.role))}


def set_publicity(session: Session, actor: Account | None, role: str, shows: str) -> dict[str, str]:
    """The district's choice for one role (admins)."""
    require(session, actor, None, "set_publicity")
    if role not in PUBLIC_ROLES:
        raise NotFound(f"no public role {role!r}", where="role")
    if shows not in PUBLICITY:
        raise InvalidParameter(f"shows must be one of {', '.join(PUBLICITY)}", where="shows")
    rule = session.get(PublicityRule, role)
    if rule is None:
        session.add(PublicityRule(role=role, shows=shows))
    else:
        rule.shows = shows
    session.flush()
    session.execute(_REPUBLISH, {"role": role})
    return publicity(session)


# The issues' public routing answers name the holders they were routed to as the district
# publishes them now: a changed choice is applied to them too, from the holdings each issue
# keeps (issue_grid_contact), so a name withdrawn is withdrawn everywhere and comes back
# when it is published again.
_REPUBLISH = text(
    """
    WITH chains AS (
      SELECT c.issue_id, jsonb_agg(jsonb_build_object(
               'id', c.post_id, 'role', p.role, 'holding_id', c.holding_id,
               'name', CASE WHEN pr.shows IN ('name', 'name_contact') THEN pe.name END,
               'contact', CASE WHEN pr.shows = 'name_contact' THEN pe.work_contact END)
             ORDER BY c.position) AS chain
        FROM issue_grid_contact c JOIN grid_post p ON p.id = c.post_id
        LEFT JOIN grid_holding h ON h.id = c.holding_id
        LEFT JOIN grid_person pe ON pe.id = h.person_id
        LEFT JOIN publicity_rule pr ON pr.role = p.role::text
       WHERE c.issue_id IN (SELECT c2.issue_id FROM issue_grid_contact c2
                              JOIN grid_post p2 ON p2.id = c2.post_id WHERE p2.role = :role)
       GROUP BY c.issue_id
    )
    UPDATE issue i
       SET routing = jsonb_set(jsonb_set(i.routing, '{grid_chain}', chains.chain),
                               '{grid_contact}', chains.chain -> 0)
      FROM chains
     WHERE chains.issue_id = i.id
    """
)
