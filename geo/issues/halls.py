"""Council halls (居民议事厅): the list, a week's agenda, and recording a session's decisions.

Agenda scope ("small matters stay in the compound, big matters in the community or
sub-district"): a compound hall takes the open issues of its compound whose level is
`compound`; a sub-district hall takes the open issues of its sub-district whose level is
`subdistrict` or `district` (escalated or big by category); a community hall takes the open
issues of its community except those two kinds (compound-level ones whose compound has a hall
of its own, and the sub-district's). The rule is the SQL function owning_hall (migration
0031_hall_wait), which escalation uses too: an issue waits for its hall's next session before
it escalates. Open here means still awaiting a decision: step `collected` or `topic`, pinned
before the week ended.

Agenda score (higher first; ties: older first, then lower id), all three parts in points:

    score = 3 * ln(1 + supporters)          -- residents' +1s, with diminishing returns
          + least(age_days, 56) / 7         -- one point per week waited, at most 8
          + 2 * severity                    -- severity 1 (minor) .. 3 (urgent)

age_days is measured at the end of the ISO week (Sunday 24:00, China Standard Time), so the
agenda of a past week reads as it stood then (supporters as they are now).

Recording a session moves each decided issue through geo/issues/steps.transition (collected -> topic
-> deliberated -> dispatched, or -> rejected), so the access rules, version checks and events
are the same as for a single transition; the whole session is one transaction. A decision to
dispatch names the owner department and due date, as a dispatch transition does.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.accounts.access import can, require
from geo.core import clock
from geo.core.db import get_or_404
from geo.core.errors import Conflict, InvalidParameter, Unprocessable
from geo.core.idempotency import made_by_key
from geo.issues.pinning import get_issue
from geo.issues.steps import Move, transition
from geo.models import Account, Hall, HallDecision, HallSession, Issue
from geo.models.halls import BODY_KINDS, HALL_KINDS
from geo.partners.units import unit_names

AGENDA_STEPS = ("collected", "topic")
AGENDA_LIMIT = 30
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")

_HALLS = text(
    """
    SELECT json_build_object(
      'id', h.id, 'kind', h.kind, 'name', h.name, 'weekday', h.weekday,
      'community', CASE WHEN c.id IS NOT NULL
                        THEN json_build_object('id', c.id, 'name', c.name) END,
      'subdistrict', json_build_object('id', s.id, 'name', s.name),
      'compound', (SELECT json_build_object('id', p.id, 'name', p.name)
                     FROM compound p WHERE p.id = h.compound_id),
      'lon', round(ST_X(h.geom)::numeric, 7), 'lat', round(ST_Y(h.geom)::numeric, 7),
      'sessions', (SELECT count(*) FROM hall_session hs WHERE hs.hall_id = h.id),
      'deliberated_matters', (SELECT count(DISTINCT d.issue_id)
                                FROM hall_decision d JOIN hall_session hs ON hs.id = d.session_id
                               WHERE hs.hall_id = h.id
                                 AND d.outcome IN ('deliberated', 'dispatched')))
    FROM hall h LEFT JOIN community c ON c.id = h.community_id
         JOIN subdistrict s ON s.id = COALESCE(h.subdistrict_id, c.subdistrict_id)
    WHERE (CAST(:kind AS text) IS NULL OR h.kind = :kind)
      AND (CAST(:community AS integer) IS NULL OR h.community_id = :community)
      AND (CAST(:subdistrict AS integer) IS NULL OR s.id = :subdistrict)
    ORDER BY h.kind = 'subdistrict' DESC, h.kind DESC, s.id, h.community_id,
             h.compound_id NULLS FIRST, h.id
    """
)

_AGENDA = text(
    """
    WITH h AS (SELECT * FROM hall WHERE id = :hall),
    scope AS (
      SELECT i.*, extract(epoch FROM (:week_end - i.created_at)) / 86400.0 AS age_days
        FROM issue i, h
       WHERE i.step = ANY(:steps) AND i.created_at < :week_end
         AND (i.community_id = h.community_id OR i.subdistrict_id = h.subdistrict_id)
         AND owning_hall(i.level::text, i.compound_id, i.community_id, i.subdistrict_id) = h.id
    ), scored AS (
      SELECT s.*, 3 * ln(1 + s.supporters) + least(s.age_days, 56) / 7.0 + 2 * s.severity
                  AS score
        FROM scope s
    )
    SELECT json_build_object(
      'id', s.id, 'category', s.category_code, 'category_name', c.name,
      'step', s.step, 'level', s.level, 'supporters', s.supporters, 'severity', s.severity,
      'age_days', round(s.age_days::numeric, 1), 'score', round(s.score::numeric, 3),
      'description', left(s.description, 140), 'created_at', s.created_at,
      'compound', (SELECT json_build_object('id', p.id, 'name', p.name)
                     FROM compound p WHERE p.id = s.compound_id),
      'version', s.version,
      'lon', round(ST_X(s.geom)::numeric, 7), 'lat', round(ST_Y(s.geom)::numeric, 7))
    FROM scored s JOIN category c ON c.code = s.category_code
    ORDER BY s.score DESC, s.created_at, s.id
    LIMIT :limit
    """
)

_SESSIONS = text(
    """
    SELECT json_build_object(
      'id', hs.id, 'week', hs.week, 'held_on', hs.held_on, 'attendees', hs.attendees,
      'bodies', hs.bodies, 'note', hs.note,
      'decisions', COALESCE((SELECT json_agg(json_build_object(
          'issue_id', d.issue_id, 'outcome', d.outcome, 'text', d.text,
          'owner_department_id', d.owner_department_id, 'due_on', d.due_on,
          'step', i.step) ORDER BY d.id)
        FROM hall_decision d JOIN issue i ON i.id = d.issue_id
        WHERE d.session_id = hs.id), '[]'::json))
    FROM hall_session hs
    WHERE hs.hall_id = :hall AND (CAST(:week AS text) IS NULL OR hs.week = :week)
    ORDER BY hs.week DESC
    """
)

SCORE_FORMULA = "3*ln(1+supporters) + min(age_days,56)/7 + 2*severity"


@dataclass(frozen=True)
class Week:
    """An ISO week, e.g. 2026-W48, with its bounds in China Standard Time."""

    year: int
    number: int

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def end(self) -> datetime:
        """The first instant after the week (next Monday 00:00 CST)."""
        return clock.day_start(self.monday + timedelta(days=7))

    def day(self, weekday: int) -> date:
        return self.monday + timedelta(days=weekday - 1)


def parse_week(value: str) -> Week:
    """'2026-W48' -> Week; InvalidParameter for anything else (including W53 of a 52-week year)."""
    m = WEEK_RE.match(value)
    if m:
        year, number = int(m.group(1)), int(m.group(2))
        try:
            date.fromisocalendar(year, number, 1)
            return Week(year, number)
        except ValueError:
            pass
    raise InvalidParameter(
        f"week must be an ISO week such as 2026-W48, not {value!r}.", where="week"
    )


def week_of(day: date) -> Week:
    year, number, _ = day.isocalendar()
    return Week(year, number)


def this_week() -> Week:
    return week_of(clock.today())


def list_halls(
    db: Session,
    *,
    kind: str | None = None,
    community: int | None = None,
    subdistrict: int | None = None,
) -> list[dict[str, Any]]:
    """Every hall with its place, meeting point, session count and deliberated matters."""
    if kind is not None and kind not in HALL_KINDS:
        raise InvalidParameter(f"kind must be one of {', '.join(HALL_KINDS)}.", where="kind")
    params = {"kind": kind, "community": community, "subdistrict": subdistrict}
    return list(db.execute(_HALLS, params).scalars())


def get_hall(db: Session, hall_id: int) -> Hall:
    hall = get_or_404(db, Hall, hall_id, what="council hall", where="hall_id")
    return hall


def agenda(db: Session, hall_id: int, *, week: Week, limit: int = AGENDA_LIMIT) -> dict[str, Any]:
    """The ranked agenda of a hall for a week (see the module docstring for the score)."""
    hall = get_hall(db, hall_id)
    params = {"hall": hall.id, "week_end": week.end, "steps": list(AGENDA_STEPS), "limit": limit}
    items = list(db.execute(_AGENDA, params).scalars())
    for rank, item in enumerate(items, start=1):
        item["rank"] = rank
    sessions = list(db.execute(_SESSIONS, {"hall": hall.id, "week": week.label}).scalars())
    return {
        "hall": {"id": hall.id, "kind": hall.kind, "name": hall.name},
        "week": week.label,
        "session_day": week.day(hall.weekday).isoformat(),
        "score": SCORE_FORMULA,
        "items": items,
        "session": sessions[0] if sessions else None,
    }


def sessions(db: Session, hall_id: int, *, week: Week | None = None) -> list[dict[str, Any]]:
    """A hall's recorded sessions, newest first, each with its decisions."""
    hall = get_hall(db, hall_id)
    params = {"hall": hall.id, "week": week.label if week else None}
    return list(db.execute(_SESSIONS, params).scalars())


@dataclass(frozen=True)
class Decision:
    """What the session decided about one issue."""

    issue_id: int
    outcome: str  # topic | deliberated | dispatched | rejected
    text: str
    version: int | None = None  # the version the recorder last saw, checked if given
    owner_department_id: int | None = None  # dispatched: to whom (default: the routed one)
    due_on: date | None = None  # dispatched: by when (default: the level's deadline)


def halls_to_record(db: Session, account: Account) -> list[dict[str, Any]]:
    """The halls around the account's area whose sessions it may record (geo/accounts/access
    decides; an admin, who may record anywhere, is offered none)."""
    area = account.area
    if area is None or area[0] in ("building", "unit"):  # a hall is a compound's at least
        return []
    kind, ident = area
    params: dict[str, int | None] = {"kind": None, "community": None, "subdistrict": None}
    if kind == "subdistrict":
        params["subdistrict"] = ident
    else:
        community = ident
        if kind == "compound":
            community = db.execute(
                text("SELECT community_id FROM compound WHERE id = :id"), {"id": ident}
            ).scalar_one()
        params["community"] = community
    rows = db.execute(_HALLS, params).scalars()
    return [
        {"id": h["id"], "kind": h["kind"], "name": h["name"]}
        for h in rows
        if can(db, account, get_hall(db, h["id"]), "record_session")
    ]


def _in_hall_area(hall: Hall, issue: Issue) -> bool:
    if hall.kind == "compound":
        return issue.compound_id == hall.compound_id
    if hall.kind == "subdistrict":
        return issue.subdistrict_id == hall.subdistrict_id
    return issue.community_id == hall.community_id


def _moves(outcome: str, step: str) -> list[str]:
    """The steps an issue goes through for an outcome, from where it stands."""
    path = {
        "topic": ["topic"],
        "deliberated": ["topic", "deliberated"],
        "dispatched": ["topic", "deliberated", "dispatched"],
        "rejected": ["rejected"],
    }
    if outcome not in path:
        raise Unprocessable(
            f"outcome must be topic, deliberated, dispatched or rejected, not {outcome!r}.",
            where="decisions.outcome",
        )
    steps = path[outcome]
    if step == "topic" and steps[0] == "topic":
        steps = steps[1:]
    if step not in ("collected", "topic") or (outcome == "topic" and not steps):
        raise Conflict(
            f"The issue is {step}: a hall decides only on collected or topic issues"
            + (" not yet set as topic." if outcome == "topic" else "."),
            where="decisions.issue_id",
        )
    return steps


def _apply_decision(db: Session, hall: Hall, week: Week, actor: Account, d: Decision) -> None:
    issue = get_issue(db, d.issue_id)
    if not _in_hall_area(hall, issue):
        raise Unprocessable(
            f"Issue {d.issue_id} is not in the area of council hall {hall.id} ({hall.name}).",
            where="decisions.issue_id",
        )
    # A stale version given by the recorder gets geo/issues/commands.check_version's own 412.
    transition_version = d.version if d.version is not None else issue.version
    for step in _moves(d.outcome, issue.step):
        note = {
            "topic": f"列入{hall.name} {week.label} 议题 / set as a topic of {hall.name}, "
            f"{week.label}",
            "dispatched": f"{hall.name} {week.label} 议定分流 / dispatched by the hall",
        }.get(step, d.text)
        move = Move(to=step, note=note)
        if step == "dispatched":
            move.owner_department_id, move.due_on = d.owner_department_id, d.due_on
        body = transition(db, issue.id, actor=actor, move=move, expected_version=transition_version)
        transition_version = body["version"]


def record_session(
    db: Session,
    hall_id: int,
    *,
    actor: Account,
    week: Week,
    held_on: date | None,
    attendees: int | None,
    note: str | None,
    decisions: list[Decision],
    bodies: list[dict[str, Any]] | None = None,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Record one weekly session and carry each decided issue on; nothing is committed here.

    Returns (session, created); with the (scoped) key of a session already recorded, that
    session as it is, so a retried record is never a second one nor a 409.
    """
    hall = get_hall(db, hall_id)
    require(db, actor, hall, "record_session")
    done = made_by_key(db, HallSession, idempotency_key)
    if done is not None:
        if done.hall_id != hall.id:
            raise Unprocessable(
                f"This Idempotency-Key was already used for a session of hall {done.hall_id}.",
                where="Idempotency-Key",
            )
        replayed = db.execute(_SESSIONS, {"hall": hall.id, "week": done.week})
        return replayed.scalars().one(), False
    held = held_on or week.day(hall.weekday)
    if week_of(held) != week:
        raise Unprocessable(f"held_on {held} is not in week {week.label}.", where="held_on")
    seen = [d.issue_id for d in decisions]
    if len(seen) != len(set(seen)):
        raise Unprocessable("An issue appears twice in the decisions.", where="decisions")
    exists = db.scalar(
        select(HallSession.id).where(HallSession.hall_id == hall.id, HallSession.week == week.label)
    )
    if exists is not None:
        raise Conflict(
            f"Council hall {hall.id} already recorded its session of {week.label} "
            f"(session {exists}).",
            where="week",
            session_id=exists,
        )
    row = HallSession(
        hall_id=hall.id,
        week=week.label,
        held_on=held,
        attendees=attendees,
        bodies=_check_bodies(db, bodies or []),
        note=note,
        recorded_by_id=actor.id,
        idempotency_key=idempotency_key,
    )
    db.add(row)
    db.flush()
    for d in decisions:
        _apply_decision(db, hall, week, actor, d)
        dispatched = db.get(Issue, d.issue_id) if d.outcome == "dispatched" else None
        db.add(
            HallDecision(
                session_id=row.id,
                issue_id=d.issue_id,
                outcome=d.outcome,
                text=d.text,
                owner_department_id=dispatched.owner_department_id if dispatched else None,
                due_on=dispatched.due_on if dispatched else None,
            )
        )
    db.flush()
    return db.execute(_SESSIONS, {"hall": hall.id, "week": week.label}).scalars().one(), True


def _check_bodies(db: Session, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Known kinds only; a member unit has a name or a registered unit's id (whose name it
    then takes, so the free text stays readable), the others at most one each."""
    linked = unit_names(db, [b["unit_id"] for b in bodies if b.get("unit_id") is not None])
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for n, body in enumerate(bodies):
        kind, name, unit = (
            body.get("kind", ""),
            (body.get("name") or "").strip(),
            body.get("unit_id"),
        )
        where = f"bodies[{n}]"
        if kind not in BODY_KINDS:
            raise Unprocessable(
                f"Unknown attending body {kind!r}; known: {', '.join(BODY_KINDS)}.", where=where
            )
        if unit is not None and (kind != "member_unit" or unit not in linked):
            raise Unprocessable(f"No registered member unit {unit}.", where=f"{where}.unit_id")
        name = linked.get(unit, name) if unit is not None else name
        if kind == "member_unit" and not name:
            raise Unprocessable("A member unit needs its name (e.g. 新华街派出所).", where=where)
        key = f"{kind}:{name}"
        if key in seen:
            raise Unprocessable(f"{kind} {name} is listed twice.", where=where)
        seen.add(key)
        entry: dict[str, Any] = {"kind": kind, "name": name} if name else {"kind": kind}
        out.append(entry | ({"unit_id": unit} if unit is not None else {}))
    return out


# A deliberated matter (协商议事的事项) is an issue that some hall session decided
# `deliberated` (or deliberated and dispatched at once); it counts once however many sessions
# touched it.
DELIBERATED_MATTERS = text(
    """
    SELECT count(DISTINCT d.issue_id), count(DISTINCT s.hall_id)
      FROM hall_decision d JOIN hall_session s ON s.id = d.session_id
     WHERE d.outcome IN ('deliberated', 'dispatched')
    """
)


def deliberated_matters(db: Session) -> tuple[int, int]:
    """(deliberated matters, halls that deliberated at least one)."""
    matters, halls = db.execute(DELIBERATED_MATTERS).one()
    return matters, halls
