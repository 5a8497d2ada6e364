"""A leader's workspace: the official, their places, the halls they are first responsible for,
and the open matters in their places, overdue first (the one due date of
geo/issues/worktime.due_on, as "my work" and escalation), each with the moves access allows
this account now (geo/issues/work.allowed_actions).

The matters are the open issues in access's PAIRED scope (access.scope_sql), so this list and
what the leader may do to each come from the one table.
"""

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access import can, scope_sql
from geo.accounts.access_table import PAIRED
from geo.core import clock
from geo.core.vocabulary import OPEN_STEPS
from geo.issues import worktime
from geo.issues.pinning import get_issue
from geo.issues.work import allowed_actions
from geo.leaders.places import places_of
from geo.leaders.visits import official_of, visits_of
from geo.models import Account

MATTERS_LIMIT = 200

_MATTERS = """
SELECT i.id, i.district_id, i.category_code AS category, i.created_at, i.clock_since, i.due_on,
       i.level::text AS level, i.level_since, i.step, c.name AS category_name,
       left(i.description, 140) AS description, i.version,
       round(ST_X(i.geom)::numeric, 7)::float8 AS lon,
       round(ST_Y(i.geom)::numeric, 7)::float8 AS lat,
       cm.name AS community, cp.name AS compound
  FROM issue i JOIN category c ON c.code = i.category_code
  LEFT JOIN community cm ON cm.id = i.community_id
  LEFT JOIN compound cp ON cp.id = i.compound_id
 WHERE i.step = ANY(:open) AND {scope}
"""
# The halls a leader is first responsible for: the community halls of the communities they
# are paired with, and the own hall of a paired sub-district.
_HALLS = text(
    """
    SELECT h.id, h.name, h.kind, h.weekday,
           next_hall_session(h.id, CAST(:now AS timestamptz)) AS next_session
      FROM hall h JOIN leader_pairing lp
        ON (h.kind = 'community' AND h.community_id = lp.community_id)
        OR (h.kind = 'subdistrict' AND h.subdistrict_id = lp.subdistrict_id)
      JOIN official o ON o.id = lp.official_id
     WHERE o.account_id = :me
     ORDER BY h.kind DESC, h.name
    """
)
_NAMES = text(
    """
    SELECT kind, id, name FROM (
        SELECT 1 AS n, 'subdistrict' AS kind, id, name FROM subdistrict WHERE id = ANY(:sd)
        UNION ALL SELECT 2, 'community', id, name FROM community WHERE id = ANY(:cm)
        UNION ALL SELECT 3, 'compound', id, name FROM compound WHERE id = ANY(:cp)) p
    ORDER BY n, name
    """
)


def workspace(session: Session, account: Account) -> dict[str, Any]:
    """What a leader's phone page shows (see the module's docstring)."""
    official = official_of(session, account)
    places = places_of(session, account.id)
    names = session.execute(
        _NAMES,
        {"sd": sorted(places.subdistricts), "cm": sorted(places.communities),
         "cp": sorted(places.compounds)},
    ).mappings()  # fmt: skip
    halls = session.execute(_HALLS, {"me": account.id, "now": clock.now()}).mappings()
    matters = _matters(session, account)
    return {
        "official": {"id": official.id, "name": official.name, "post": official.post,
                     "rank": official.rank, "standing_committee": official.standing_committee},
        "places": [dict(r) for r in names],
        "halls": [dict(r) for r in halls],
        "matters": matters,
        "counts": {"open": len(matters), "overdue": sum(m["overdue"] for m in matters)},
        "visits": visits_of(session, official.id),
    }  # fmt: skip


def _matters(session: Session, account: Account) -> list[dict[str, Any]]:
    scope, params = scope_sql(account, "issue", PAIRED, "i")
    rows = (
        session.execute(text(_MATTERS.format(scope=scope)), {**params, "open": list(OPEN_STEPS)})
        .mappings()
        .all()
    )
    cals, limits, today = (
        worktime.calendars(session),
        # the limits each issue recorded when its clock started (a later change moves nothing)
        worktime.recorded_limits(session, [r["id"] for r in rows]),
        clock.today(),
    )
    found = []
    for row in rows:
        cal = cals.of(row["district_id"])
        day = worktime.due_on(dict(row), cal, limits)
        item = {k: row[k] for k in ("id", "step", "level", "category", "category_name",
                                    "description", "version", "lon", "lat", "community",
                                    "compound")}  # fmt: skip
        item |= {
            "due": day.isoformat(),
            "overdue": day < today,
            "light": worktime.light_of(cal, day),
        }
        found.append((not item["overdue"], day, row["id"], item))
    out = []
    for *_, item in sorted(found)[:MATTERS_LIMIT]:
        issue = get_issue(session, item["id"])
        moves = allowed_actions(session, account, issue)
        if can(session, account, issue, "escalate_issue"):  # 现场上报, beside the steps' moves
            moves.append("escalate_issue")
        item["allowed_actions"] = moves
        out.append(item)
    return out
