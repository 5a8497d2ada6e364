"""Keeping the pairings of leaders with places (区级领导包联), an administrator's job.

Rules, as the district sets them: a member of the standing committee is paired with one
sub-district; any other division-level leader with at most MAX_COMMUNITIES communities (two
to three each: fewer is shown as a gap, not refused, since pairings are entered one at a
time), as the first responsible person of their halls. One leader per place (the table's
unique constraints). Pairing a leader again with the place they already hold answers that
pairing (a retried request makes no second row). An official signs in with one account of
role leader, linked here.
"""

from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core.db import get_or_404
from geo.core.errors import Conflict, Unprocessable
from geo.models import Account, Community, Official, Subdistrict
from geo.models.leaders import LeaderPairing

MAX_COMMUNITIES = 3
MIN_COMMUNITIES = 2

_OFFICIALS = text(
    """
    SELECT o.id, o.name, o.post, o.rank, o.standing_committee,
           CASE WHEN a.id IS NULL THEN NULL
                ELSE json_build_object('id', a.id, 'name', a.name, 'username', a.username) END
             AS account,
           coalesce((SELECT json_agg(json_build_object(
                       'id', lp.id, 'kind', CASE WHEN lp.subdistrict_id IS NULL
                                                 THEN 'community' ELSE 'subdistrict' END,
                       'place_id', coalesce(lp.subdistrict_id, lp.community_id),
                       'name', coalesce(sd.name, cm.name)) ORDER BY lp.id)
                       FROM leader_pairing lp
                       LEFT JOIN subdistrict sd ON sd.id = lp.subdistrict_id
                       LEFT JOIN community cm ON cm.id = lp.community_id
                      WHERE lp.official_id = o.id), '[]') AS pairings,
           (SELECT count(*) FROM compound_pairing cp
             WHERE o.id IN (cp.district_leader_id, cp.subdistrict_leader_id,
                            cp.subdistrict_cadre_id, cp.community_cadre_id)) AS five_to_one
      FROM official o LEFT JOIN account a ON a.id = o.account_id
     WHERE o.rank = 'district_leader' OR o.account_id IS NOT NULL
        OR EXISTS (SELECT 1 FROM leader_pairing lp WHERE lp.official_id = o.id)
     ORDER BY o.standing_committee DESC, o.id
    """
)
_UNPAIRED = text(
    """
    SELECT 'subdistrict' AS kind, s.id, s.name FROM subdistrict s
     WHERE NOT EXISTS (SELECT 1 FROM leader_pairing lp WHERE lp.subdistrict_id = s.id)
    UNION ALL
    SELECT 'community', c.id, c.name FROM community c
     WHERE NOT EXISTS (SELECT 1 FROM leader_pairing lp WHERE lp.community_id = c.id)
    ORDER BY 1, 2
    """
)


def overview(session: Session, actor: Account) -> dict[str, Any]:
    """The district's leaders with their pairings and accounts, and the places nobody holds."""
    require(session, actor, None, "manage_pairings")
    leaders = [dict(r) for r in session.execute(_OFFICIALS).mappings()]
    for leader in leaders:
        held = sum(p["kind"] == "community" for p in leader["pairings"])
        leader["short_of_communities"] = (
            not leader["standing_committee"] and 0 < held < MIN_COMMUNITIES
        )
    return {
        "leaders": leaders,
        "unpaired": [dict(r) for r in session.execute(_UNPAIRED).mappings()],
        "max_communities": MAX_COMMUNITIES,
    }


def pair(
    session: Session,
    actor: Account,
    *,
    official_id: int,
    subdistrict_id: int | None = None,
    community_id: int | None = None,
) -> tuple[LeaderPairing, bool]:
    """Pair a leader with a sub-district or a community; returns (pairing, created)."""
    require(session, actor, None, "manage_pairings")
    official = _official(session, official_id)
    if (subdistrict_id is None) == (community_id is None):
        raise Unprocessable("Name one place: subdistrict_id or community_id.", where="community_id")
    kind = "subdistrict" if subdistrict_id is not None else "community"
    ident = subdistrict_id if subdistrict_id is not None else community_id
    assert ident is not None  # exactly one was named, as checked above
    model: type[Subdistrict | Community] = Subdistrict if kind == "subdistrict" else Community
    column = getattr(LeaderPairing, f"{kind}_id")
    where = f"{kind}_id"
    if session.get(model, ident) is None:
        raise Unprocessable(f"No {kind} {ident}.", where=where)
    if kind == "subdistrict" and not official.standing_committee:
        raise Unprocessable(
            "Only a member of the standing committee is paired with a sub-district.", where=where
        )
    if kind == "community" and official.standing_committee:
        raise Unprocessable(
            "A member of the standing committee is paired with a sub-district, not a community.",
            where=where,
        )
    held = session.scalars(select(LeaderPairing).where(column == ident)).first()
    if held is not None and held.official_id == official.id:
        return held, False
    if held is not None:
        holder = session.get(Official, held.official_id)
        raise Conflict(
            f"{kind} {ident} is paired with {holder.name if holder else held.official_id}"
            " already: unpair it first.",
            where=where,
        )
    mine = select(func.count()).where(LeaderPairing.official_id == official.id)
    if kind == "subdistrict" and session.scalar(
        mine.where(LeaderPairing.subdistrict_id.is_not(None))
    ):
        raise Conflict(f"{official.name} is paired with a sub-district already.", where=where)
    if kind == "community" and (session.scalar(mine) or 0) >= MAX_COMMUNITIES:
        raise Conflict(
            f"{official.name} holds {MAX_COMMUNITIES} communities already (two to three each).",
            where=where,
        )
    pairing = LeaderPairing(official_id=official.id, **{where: ident})
    try:
        with session.begin_nested():  # another admin pairing the place at the same moment
            session.add(pairing)
    except IntegrityError as exc:
        raise Conflict(f"{kind} {ident} was paired meanwhile: reload.", where=where) from exc
    return pairing, True


def unpair(session: Session, actor: Account, pairing_id: int) -> None:
    require(session, actor, None, "manage_pairings")
    pairing = get_or_404(session, LeaderPairing, pairing_id, what="pairing", where="pairing_id")
    session.delete(pairing)
    session.flush()


def link_account(
    session: Session, actor: Account, *, official_id: int, account_id: int | None
) -> Official:
    """Link the official to the leader account they sign in with (None: unlink)."""
    require(session, actor, None, "manage_pairings")
    official = _official(session, official_id)
    if account_id is not None:
        account = session.get(Account, account_id)
        if account is None:
            raise Unprocessable(f"No account {account_id}.", where="account_id")
        if account.role != "leader":
            raise Unprocessable(
                f"Account {account_id} is a {account.role} account; an official signs in with a"
                " leader account.",
                where="account_id",
            )
        other = session.scalars(select(Official).where(Official.account_id == account_id)).first()
        if other is not None and other.id != official.id:
            raise Conflict(f"Account {account_id} is {other.name}'s already.", where="account_id")
    official.account_id = account_id
    session.flush()
    return official


def _official(session: Session, official_id: int) -> Official:
    official = get_or_404(session, Official, official_id, what="official", where="official_id")
    return official
