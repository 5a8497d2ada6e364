"""Joint party-building meetings (区域化党建联席会议): a sub-district's 大工委 brings the units on
its committees (its own and its communities' 大党委) together; the meeting is recorded with the
units that attended and its decisions, which are public as a hall's are.

Who records one is the access row record_joint_meeting on the sub-district's own hall: that
sub-district's staff, or an admin. A retry with the same Idempotency-Key answers the first;
nothing is stored for a refused or bad request (the route commits).
"""

from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core import clock
from geo.core.errors import NotFound, Unprocessable
from geo.core.idempotency import made_by_key
from geo.models import Account, Hall, JointMeeting, JointMeetingUnit

MAX_DECISIONS = 20

_MEETINGS = text(
    """
    SELECT json_build_object(
      'id', m.id, 'subdistrict', json_build_object('id', s.id, 'name', s.name),
      'held_on', m.held_on, 'title', m.title, 'decisions', m.decisions,
      'units', (SELECT coalesce(json_agg(json_build_object('id', u.id, 'name', u.name,
                                                          'kind', u.kind) ORDER BY u.id), '[]')
                  FROM joint_meeting_unit mu JOIN member_unit u ON u.id = mu.unit_id
                 WHERE mu.meeting_id = m.id))
    FROM joint_meeting m JOIN subdistrict s ON s.id = m.subdistrict_id
    WHERE (CAST(:id AS integer) IS NULL OR m.id = :id)
      AND (CAST(:sub AS integer) IS NULL OR m.subdistrict_id = :sub)
    ORDER BY m.held_on DESC, m.id DESC LIMIT 100
    """
)

# The units on the sub-district's committees: its 大工委 and its communities' 大党委.
_ON_COMMITTEES = text(
    """
    SELECT u.id FROM member_unit u LEFT JOIN community c ON c.id = u.community_id
    WHERE u.id = ANY(:ids) AND (u.subdistrict_id = :sub OR c.subdistrict_id = :sub)
    """
)


def list_meetings(db: Session, subdistrict_id: int | None = None) -> list[dict[str, Any]]:
    return list(db.scalars(_MEETINGS, {"id": None, "sub": subdistrict_id}))


def meeting_out(db: Session, meeting_id: int) -> dict[str, Any]:
    found: dict[str, Any] | None = db.scalar(_MEETINGS, {"id": meeting_id, "sub": None})
    if found is None:
        raise NotFound(f"No joint meeting {meeting_id}.", where="meeting_id")
    return found


def record(
    db: Session,
    actor: Account,
    *,
    subdistrict_id: int,
    held_on: date,
    title: str,
    decisions: list[str],
    unit_ids: list[int],
    idempotency_key: str | None,
) -> tuple[dict[str, Any], bool]:
    """Record a meeting that was held (not committed); (meeting, created)."""
    hall = db.scalar(
        select(Hall).where(Hall.kind == "subdistrict", Hall.subdistrict_id == subdistrict_id)
    )
    if hall is None:
        raise Unprocessable(f"No sub-district {subdistrict_id} with a hall.",
                            where="subdistrict_id")  # fmt: skip
    require(db, actor, hall, "record_joint_meeting")
    done = made_by_key(db, JointMeeting.id, idempotency_key)
    if done is not None:
        return meeting_out(db, done), False
    if held_on > clock.today():
        raise Unprocessable("A meeting is recorded once it was held.", where="held_on")
    _check_units(db, subdistrict_id, unit_ids)
    meeting = JointMeeting(subdistrict_id=subdistrict_id, held_on=held_on, title=title,
                           decisions=decisions, recorded_by_id=actor.id,
                           recorded_at=clock.now(), idempotency_key=idempotency_key)  # fmt: skip
    db.add(meeting)
    db.flush()
    db.add_all(JointMeetingUnit(meeting_id=meeting.id, unit_id=u) for u in unit_ids)
    db.flush()
    return meeting_out(db, meeting.id), True


def _check_units(db: Session, subdistrict_id: int, unit_ids: list[int]) -> None:
    if len(set(unit_ids)) != len(unit_ids):
        raise Unprocessable("A unit is named twice.", where="unit_ids")
    on = set(db.scalars(_ON_COMMITTEES, {"ids": unit_ids, "sub": subdistrict_id}))
    if on != set(unit_ids):
        raise Unprocessable(
            f"Units {sorted(set(unit_ids) - on)} sit on no committee of sub-district"
            f" {subdistrict_id} (its 大工委 or its communities' 大党委).",
            where="unit_ids",
        )
