"""The council hall's five steps as a state machine, plus merge and escalation.

collected -> topic -> deliberated -> dispatched -> resolved -> reviewed; any open step may be
rejected; merging (POST /merge) ends an issue as `merged`. A review is the hall's sign-off; a
rating sent with it is recorded as a rating (geo/issues/ratings.py: the reporter's or the
hall's), and an unsatisfied one reopens the issue to `dispatched` with the same owner and a
fresh due date: the work was agreed and assigned already, it was done badly, so it goes back
to whoever must redo it (the events record the review, the rating and the reopening).

Concurrency: a transition opens as every issue action does (geo/issues/commands.py): it locks
the row (SELECT ... FOR UPDATE), checks the version the client last saw (412 on mismatch) and
bumps it. A transition sent with an Idempotency-Key keeps the key on its event: a retry (a phone
that never heard the answer) finds it after the lock and gets the issue back instead of a 412,
so a resolve sent twice makes one event.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core import clock
from geo.core.errors import Conflict, NotFound, Unprocessable
from geo.core.vocabulary import CLOSURE_REASONS, OPEN_STEPS
from geo.issues import ratings, worktime
from geo.issues.commands import IssueCommand, bump, change_step, check_version
from geo.issues.pinning import add_event, distance_m, get_issue, issue_public
from geo.issues.worktime import LEVEL_DEADLINE_DAYS
from geo.models import Account, Department, Issue, IssueEvent
from geo.models.issues import REWORK_DAYS

__all__ = ["LEVEL_DEADLINE_DAYS", "TRANSITIONS", "Move", "escalate_overdue", "merge", "transition"]

# Any open step may end without a fix: rejected (not a matter for the halls), closed (with a
# reason from CLOSURE_REASONS) or referred to a body outside the district's system. A reviewed
# issue whose problem comes back within REWORK_DAYS goes back to `dispatched` as rework.
_LEAVE = ("rejected", "closed", "referred")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "collected": ("topic", *_LEAVE),
    "topic": ("deliberated", *_LEAVE),
    "deliberated": ("dispatched", *_LEAVE),
    "dispatched": ("resolved", *_LEAVE),
    "resolved": ("reviewed",),
    "reviewed": ("dispatched",),
    "rejected": (),
    "merged": (),
    "closed": (),
    "referred": (),
}
RESOLVE_WITHIN_M = 100.0


@dataclass
class Move:
    """A requested transition and what the step it leads to needs."""

    to: str
    note: str | None = None
    point: tuple[float, float] | None = None  # where the actor stands (WGS84)
    owner_department_id: int | None = None
    owner_account_id: int | None = None
    due_on: date | None = None
    rating: int | None = None
    reason: str | None = None  # why an issue is closed without a fix (CLOSURE_REASONS)
    referred_to: str | None = None  # the outside body an issue is referred to
    # a photo sent with a resolve (geo/issues/photos.resolve_with_photo): stored by this call,
    # made only once every check that may refuse the resolve has passed
    store_photo: Callable[[Issue], None] | None = None


def transition(
    session: Session,
    issue_id: int,
    *,
    actor: Account,
    move: Move,
    expected_version: int | None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Carry an issue one step on; returns its public view. `expected_version` None is
    If-Match `*`: the issue as locked."""
    # A stale client hears 412 first: what it believes about the step may be out of date.
    command = IssueCommand.open(
        session, issue_id, idempotency_key=idempotency_key, expected_version=expected_version
    )
    if command.first is not None:
        return command.issue_again()
    issue = command.issue
    allowed = TRANSITIONS[issue.step]
    if move.to not in allowed:
        hint = " (merging is POST /api/issues/{id}/merge)" if move.to == "merged" else ""
        raise Conflict(
            f"Issue {issue.id} is {issue.step}: it cannot go to {move.to}{hint}. "
            f"Allowed: {', '.join(allowed) or 'none (final step)'}.",
            where="to",
            allowed=list(allowed),
        )
    require(session, actor, issue, move.to)
    data = _apply(session, issue, move)
    change_step(session, issue, move.to, actor=actor, note=move.note, data=data or None,
                point=move.point, idempotency_key=idempotency_key)  # fmt: skip
    if move.to == "reviewed" and move.rating is not None:
        source = ratings.rater(session, issue, actor)
        ratings.record(session, issue, actor=actor, source=source, rating=move.rating,
                       comment=None, via="review")  # fmt: skip
    session.flush()
    return issue_public(session, issue.id)


def _apply(session: Session, issue: Issue, move: Move) -> dict[str, Any]:
    """Check and record what the target step needs; returns event data."""
    if move.to in ("deliberated", "rejected", "closed") and not (move.note and move.note.strip()):
        what = "the hall's decision" if move.to == "deliberated" else "the reason"
        raise Unprocessable(f"Going to {move.to} needs a note with {what}.", where="note")
    if move.to == "closed":
        return _close(move)
    if move.to == "referred":
        return _refer(move)
    if move.to == "dispatched" and issue.step == "reviewed":
        return _rework(session, issue, move)
    if move.to == "deliberated":
        issue.decision = move.note
    if move.to == "dispatched":
        return _dispatch(session, issue, move)
    if move.to == "resolved":
        return _resolve(session, issue, move)
    return {}


def _close(move: Move) -> dict[str, Any]:
    if move.reason not in CLOSURE_REASONS:
        raise Unprocessable(
            f"Closing without a fix needs a reason: one of {', '.join(CLOSURE_REASONS)}.",
            where="reason",
            allowed=list(CLOSURE_REASONS),
        )
    return {"reason": move.reason, "reason_zh": CLOSURE_REASONS[move.reason].label}


def _refer(move: Move) -> dict[str, Any]:
    body = (move.referred_to or "").strip()
    if not body:
        raise Unprocessable(
            "Referring needs the body it goes to (referred_to), e.g. 供电公司 or 市住建局.",
            where="referred_to",
        )
    return {"referred_to": body}


def _rework(session: Session, issue: Issue, move: Move) -> dict[str, Any]:
    """A reviewed issue that comes back within REWORK_DAYS is reopened as rework."""
    reviewed_at = session.execute(
        select(IssueEvent.at)
        .where(IssueEvent.issue_id == issue.id, IssueEvent.to_step == "reviewed")
        .order_by(IssueEvent.at.desc())
        .limit(1)
    ).scalar_one()
    days = (clock.now() - reviewed_at).days
    if days > REWORK_DAYS:
        raise Conflict(
            f"Issue {issue.id} was reviewed {days} days ago; after {REWORK_DAYS} days a "
            "returning problem is a new issue: pin it again.",
            where="to",
        )
    return _dispatch(session, issue, move) | {"rework": True}


def _dispatch(session: Session, issue: Issue, move: Move) -> dict[str, Any]:
    department = move.owner_department_id or issue.department_id
    if department is None:
        raise Unprocessable(
            "No owner department: the category's department is not loaded; name one.",
            where="owner_department_id",
        )
    if session.get(Department, department) is None:
        raise Unprocessable(f"No department {department}.", where="owner_department_id")
    if move.owner_account_id is not None and session.get(Account, move.owner_account_id) is None:
        raise Unprocessable(f"No account {move.owner_account_id}.", where="owner_account_id")
    today = clock.today()
    due = move.due_on or _default_due(session, issue, today)
    if due < today:
        raise Unprocessable(f"The due date {due} is in the past.", where="due_on")
    issue.owner_department_id = department
    issue.owner_account_id = move.owner_account_id
    issue.due_on = due
    return {"owner_department_id": department, "due_on": due.isoformat()}


def _default_due(session: Session, issue: Issue, today: date) -> date:
    """The issue's complete-by day while it is ahead; for an issue already past it, the
    category's limit again from today (the event records the date given)."""
    cal = worktime.work_calendar(session, issue.district_id)
    row = {"id": issue.id, "created_at": issue.created_at,
           "clock_since": issue.clock_since, "due_on": None, "level": issue.level,
           "level_since": issue.level_since}  # fmt: skip
    due = worktime.due_on(row, cal, worktime.recorded_limits(session, [issue.id]))
    return due if due >= today else worktime.fresh_due(session, issue.category_code, issue.level,
                                                       today, issue.district_id)  # fmt: skip


def _resolve(session: Session, issue: Issue, move: Move) -> dict[str, Any]:
    """Resolution needs the actor on site (within 100 m) and a photo taken after dispatch."""
    if move.point is None:
        raise Unprocessable(
            "Resolving needs lon/lat of where you stand (within 100 m of the issue).",
            where="lon",
        )
    distance = distance_m(session, issue.id, move.point)
    if distance > RESOLVE_WITHIN_M:
        raise Unprocessable(
            f"You stand {distance:.0f} m from the issue; resolving needs you within "
            f"{RESOLVE_WITHIN_M:.0f} m.",
            where="lon",
            distance_m=round(distance, 1),
        )
    if move.store_photo is not None:
        move.store_photo(issue)
    # Photos taken after the latest dispatch (a reopened issue needs a new one).
    photos = session.execute(
        text(
            """
            SELECT count(*) FROM issue_photo p
             WHERE p.issue_id = :id
               AND p.uploaded_at > (SELECT max(e.at) FROM issue_event e
                                     WHERE e.issue_id = :id AND e.to_step = 'dispatched')
            """
        ),
        {"id": issue.id},
    ).scalar_one()
    if not photos:
        raise Conflict(
            f"Issue {issue.id} has no photo added since dispatch; POST one to "
            f"/api/issues/{issue.id}/photos first.",
            where="photos",
        )
    return {"distance_m": round(distance, 1), "photos_since_dispatch": photos}


def merge(
    session: Session,
    source_id: int,
    *,
    into: int,
    actor: Account,
    note: str | None = None,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Merge `source_id` into `into`: the source ends `merged`, its supporters move over.
    The source's event keeps `idempotency_key`: a retry (a bulk merge's matter sent again)
    finds it and answers the source as it is, merged once."""
    if source_id == into:
        raise Unprocessable("An issue cannot be merged into itself.", where="into")
    # Lock both rows in id order so that two opposite merges cannot deadlock.
    rows: dict[int, Issue] = {}
    for i in sorted((source_id, into)):
        try:
            rows[i] = get_issue(session, i, lock=True)
        except NotFound as exc:
            exc.where = "issue_id" if i == source_id else "into"
            raise
    source, target = rows[source_id], rows[into]
    if idempotency_key is not None and _replayed(session, idempotency_key):
        return issue_public(session, source_id) | {"replayed": True}
    for issue in (source, target):
        if issue.step not in OPEN_STEPS:
            raise Conflict(f"Issue {issue.id} is {issue.step}; only open issues merge.")
        require(session, actor, issue, "merge")
    if expected_version is not None:
        check_version(source, expected_version)
    moved = session.execute(  # type: ignore[attr-defined]  # a CursorResult for DML
        text(
            """
            INSERT INTO issue_support (issue_id, supporter_key, at)
            SELECT :into, supporter_key, at FROM issue_support WHERE issue_id = :source
            UNION ALL SELECT :into, 'issue:' || :source, :at
            ON CONFLICT DO NOTHING
            """
        ),
        {"into": into, "source": source_id, "at": clock.now()},
    ).rowcount
    before = source.step
    source.step, source.merged_into_id = "merged", into
    target.supporters += moved
    bump(source)
    bump(target)
    add_event(
        session,
        source.id,
        "merge",
        actor=actor,
        from_step=before,
        to_step="merged",
        note=note,
        data={"into": into},
        idempotency_key=idempotency_key,
    )
    add_event(session, into, "merge", actor=actor, note=note, data={"merged_from": source_id})
    session.flush()
    return issue_public(session, source_id)


def _replayed(session: Session, key: str) -> bool:
    """Whether an event carries the key: this very request, sent before."""
    found = session.scalars(select(IssueEvent.id).where(IssueEvent.idempotency_key == key))
    return found.first() is not None


def escalate_overdue(
    session: Session, now: datetime, *, hall_grace_days: float
) -> list[dict[str, Any]]:
    """Move each open issue past its due date one level up, with an event.

    The due date is the one GET /api/issues/{id} and "my work" show (geo/issues/worktime.due_on:
    working days, the category's limits). An overdue issue first waits for the next session of
    the hall that owns it (owning_hall, the agenda rule) after it reached its level, plus
    `hall_grace_days` (YISHITING_HALL_GRACE_DAYS) to record the session: compound halls meet
    weekly, and small matters get their hall's session before they leave the compound. So an
    overdue issue climbs one level per session of the hall that holds it.

    The candidates are read without locks and moved by one UPDATE that checks each still
    stands where it was read (level and level_since), so a transition made meanwhile wins.
    """
    rows = session.execute(_OVERDUE_CANDIDATES, {"open": list(OPEN_STEPS)}).mappings().all()
    cals = worktime.calendars(session)
    limits = worktime.recorded_limits(session)
    today = clock.local(now).date()
    due: dict[int, tuple[date, dict[str, Any]]] = {}
    for row in rows:
        day = worktime.due_on(dict(row), cals.of(row["district_id"]), limits)
        session_on = row["session_on"]
        waited = session_on is None or now >= clock.day_end(session_on) + timedelta(
            days=hall_grace_days
        )
        if today > day and waited:
            due[row["id"]] = (day, dict(row))
    if not due:
        return []
    moved_rows = session.execute(
        text(
            """
            UPDATE issue i
               SET level = (ARRAY['community', 'subdistrict', 'district'])[
                               array_position(ARRAY['compound', 'community', 'subdistrict'],
                                              i.level::text)],
                   level_since = :now, version = i.version + 1, updated_at = :now
              FROM jsonb_to_recordset(CAST(:seen AS jsonb)) AS s(id int, level text,
                                                                  level_since timestamptz)
             WHERE i.id = s.id AND i.level = s.level AND i.level_since = s.level_since
               AND i.step = ANY(:open)
            RETURNING i.id, s.level AS old_level, i.level AS new_level
            """
        ),
        {
            "now": now,
            "open": list(OPEN_STEPS),
            "seen": json.dumps(
                [
                    {"id": i, "level": r["level"], "level_since": r["level_since"].isoformat()}
                    for i, (_, r) in due.items()
                ]
            ),
        },
    ).all()
    moved = []
    for issue_id, old, new in sorted(moved_rows):
        day, seen = due[issue_id]
        hall, session_on = seen["hall"], seen["session_on"]
        add_event(
            session,
            issue_id,
            "escalated",
            note=_escalation_note(old, new, day, hall, session_on, hall_grace_days),
            data={"from_level": old, "to_level": new, "due": day.isoformat(), "hall_id": hall,
                  "hall_session_on": session_on.isoformat() if session_on else None,
                  "hall_grace_days": hall_grace_days},
        )  # fmt: skip
        moved.append({"id": issue_id, "from_level": old, "to_level": new})
    return moved


_OVERDUE_CANDIDATES = text(
    """
    SELECT o.id, o.district_id, o.level::text AS level, o.level_since, o.step,
           o.category_code AS category, o.created_at, o.clock_since, o.due_on, w.hall, w.session_on
      FROM issue o
      LEFT JOIN LATERAL (
          SELECT h.hall, next_hall_session(h.hall, o.level_since) AS session_on
            FROM (SELECT owning_hall(o.level::text, o.compound_id, o.community_id,
                                     o.subdistrict_id) AS hall) h
      ) w ON true
     WHERE o.step = ANY(:open) AND o.level <> 'district'
     ORDER BY o.id
    """
)


def _escalation_note(
    old: str, new: str, due: date, hall: int | None, session_on: date | None, grace: float
) -> str:
    """Why it moved, in Chinese then English: the due date, and the hall session it waited for."""
    zh = f"超过期限 {due.isoformat()} (工作日) 未解决"
    en = f"unresolved past its due date {due.isoformat()} (working days) at the {old} level"
    if hall is not None and session_on is not None:
        zh += f", 议事厅 {hall} 已于 {session_on.isoformat()} 开会 (另宽限 {grace:g} 天)"
        en += f", after hall {hall}'s session on {session_on.isoformat()} plus {grace:g} day(s)"
    return f"{zh}, 上移至 {new} / {en}: escalated to {new}"
