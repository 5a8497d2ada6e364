"""Problem tickets (问题工单): matters the ordinary path has failed, listed for their
sub-district with the units they passed through.

A matter becomes one when it was sent back to be done again three times (发回重办: reopened as
rework, geo/issues/ratings.py) or passed across three units (three owners: its first and each
new one an owner change named, geo/issues/owners.py). Both counts come from the issue's events
alone, so the list is the same whoever asks and whenever a past date is rebuilt from them. Each
unit is counted with the problem tickets it held, the figure a sub-district reviews.
"""

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.models import Account

SENT_BACK = 3
UNITS = 3

# An owner is its place and its department (owners.owner_key), as the events name them.
_TICKETS = text(
    """
    WITH owners AS (
        SELECT issue_id, data -> 'from_owner' AS o FROM issue_event WHERE data ? 'from_owner'
        UNION ALL
        SELECT issue_id, data -> 'to_owner' FROM issue_event WHERE data ? 'to_owner'
    ), units AS (
        SELECT issue_id,
               count(DISTINCT concat_ws(':', o ->> 'kind', o ->> 'id',
                                        o -> 'department' ->> 'id')) AS units,
               array_agg(DISTINCT concat_ws(' · ', o ->> 'name',
                                            o -> 'department' ->> 'name')) AS names
          FROM owners GROUP BY issue_id
    ), back AS (
        SELECT issue_id, count(*) AS sent_back FROM issue_event
         WHERE coalesce((data ->> 'rework')::boolean, false) GROUP BY issue_id
    )
    SELECT i.id, i.step::text AS step, i.category_code AS category, i.level::text AS level,
           i.subdistrict_id, s.name AS subdistrict, coalesce(b.sent_back, 0) AS sent_back,
           coalesce(u.units, 1) AS units, coalesce(u.names, ARRAY[]::text[]) AS unit_names
      FROM issue i
      JOIN subdistrict s ON s.id = i.subdistrict_id
      LEFT JOIN back b ON b.issue_id = i.id
      LEFT JOIN units u ON u.issue_id = i.id
     WHERE (coalesce(b.sent_back, 0) >= :sent_back OR coalesce(u.units, 1) >= :units)
       AND (CAST(:subdistrict AS integer) IS NULL OR i.subdistrict_id = :subdistrict)
     ORDER BY i.id
    """
)


def problem_tickets(
    session: Session, *, actor: Account, subdistrict: int | None = None
) -> dict[str, Any]:
    """The problem tickets (of one sub-district, or all), and each unit's count of them."""
    require(session, actor, None, "read_problem_tickets")
    params = {"sent_back": SENT_BACK, "units": UNITS, "subdistrict": subdistrict}
    tickets = []
    per_unit: dict[str, int] = {}
    for row in session.execute(_TICKETS, params).mappings():
        ticket = dict(row)
        ticket["why"] = [w for w, hit in (("sent_back", row["sent_back"] >= SENT_BACK),
                                          ("units", row["units"] >= UNITS)) if hit]  # fmt: skip
        ticket["history"] = f"/api/issues/{row['id']}/events"
        tickets.append(ticket)
        for name in row["unit_names"]:
            per_unit[name] = per_unit.get(name, 0) + 1
    units = [{"unit": u, "tickets": n} for u, n in sorted(per_unit.items(), key=lambda x: -x[1])]
    return {"sent_back_limit": SENT_BACK, "units_limit": UNITS, "tickets": tickets,
            "per_unit": units}  # fmt: skip
