"""Problem tickets (问题工单): matters the ordinary path has failed, listed for their
sub-district with the units they passed through.

A matter becomes one when it was sent back to be done again three times (发回重办: reopened as
rework, geo/issues/ratings.py) or passed across three units (three owners: its first and each
new one an owner change named, geo/issues/owners.py). Both counts come from the issue's events
alone, so the list is the same whoever asks and whenever a past date is rebuilt from them. Each
unit is counted with the problem tickets it held, the figure a sub-district reviews.

The moment a matter crosses either line it is escalated once: one `problem_ticket` event
(`follow`, called by pinning.add_event after every event that sends a matter back or changes
its owner) naming the counts and the units, whose notice goes to its sub-district's staff
(geo/notices/recipients: arbiter) through the outbox and whose list they see in their work
list; the scorecards count it per unit (geo/issues/scorecards.py).
"""

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core.vocabulary import OPEN_STEPS
from geo.models import Account, IssueEvent
from geo.notices.notify import notify_event

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
       AND (CAST(:issue AS integer) IS NULL OR i.id = :issue)
       AND (NOT CAST(:open_only AS boolean) OR i.step::text = ANY(:open_steps))
     ORDER BY i.id
    """
)


def _rows(
    session: Session,
    *,
    subdistrict: int | None = None,
    issue: int | None = None,
    open_only: bool = False,
) -> list[dict[str, Any]]:
    params = {"sent_back": SENT_BACK, "units": UNITS, "subdistrict": subdistrict,
              "issue": issue, "open_only": open_only, "open_steps": list(OPEN_STEPS)}  # fmt: skip
    tickets = []
    for row in session.execute(_TICKETS, params).mappings():
        ticket = dict(row)
        ticket["why"] = [w for w, hit in (("sent_back", row["sent_back"] >= SENT_BACK),
                                          ("units", row["units"] >= UNITS)) if hit]  # fmt: skip
        ticket["history"] = f"/api/issues/{row['id']}/events"
        tickets.append(ticket)
    return tickets


def follow(session: Session, event: IssueEvent) -> None:
    """After an event that sends the matter back (rework) or changes its owner: escalate it
    to its sub-district as a problem ticket the first time it crosses either line."""
    data = event.data or {}
    if not (data.get("rework") or data.get("owner_changed")):
        return
    found = _rows(session, issue=event.issue_id)
    if not found or session.scalar(_ALREADY, {"i": event.issue_id}):
        return
    ticket = found[0]
    escalated = IssueEvent(
        issue_id=event.issue_id, kind="problem_ticket", actor_account_id=event.actor_account_id,
        note="三次发回重办或经手三个单位, 上报街道 / escalated to the sub-district",
        data={k: ticket[k] for k in ("sent_back", "units", "unit_names", "why",
                                     "subdistrict_id")},
    )  # fmt: skip
    session.add(escalated)
    session.flush()
    notify_event(session, escalated)


_ALREADY = text("SELECT EXISTS (SELECT FROM issue_event WHERE issue_id = :i"
                " AND kind = 'problem_ticket')")  # fmt: skip


def open_tickets(session: Session, subdistrict: int) -> list[dict[str, Any]]:
    """A sub-district's open problem tickets, for its staff's work list."""
    return _rows(session, subdistrict=subdistrict, open_only=True)


def problem_tickets(
    session: Session, *, actor: Account, subdistrict: int | None = None
) -> dict[str, Any]:
    """The problem tickets (of one sub-district, or all), and each unit's count of them."""
    require(session, actor, None, "read_problem_tickets")
    tickets = _rows(session, subdistrict=subdistrict)
    per_unit: dict[str, int] = {}
    for row in tickets:
        for name in row["unit_names"]:
            per_unit[name] = per_unit.get(name, 0) + 1
    units = [{"unit": u, "tickets": n} for u, n in sorted(per_unit.items(), key=lambda x: -x[1])]
    return {"sent_back_limit": SENT_BACK, "units_limit": UNITS, "tickets": tickets,
            "per_unit": units}  # fmt: skip
