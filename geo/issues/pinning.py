"""Issues: pinning (with idempotent retries), public reads, duplicates, support and events.

The state machine (transitions, merge, escalation) is in geo/issues/steps.py; photos in
geo/issues/photos.py.
Functions here write through the session without committing: the caller commits once, so the
issue, its routing and its first event land together or not at all.
"""

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, DateTime, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Session

from geo.accounts.access import can
from geo.core import clock
from geo.core.coords import input_point
from geo.core.errors import Conflict, InvalidParameter, NotFound, Unprocessable
from geo.core.idempotency import client_scope
from geo.core.vocabulary import HIDE_TERMS, OPEN_STEPS, STEPS, labels
from geo.issues import problem_tickets
from geo.issues.routing import route_point
from geo.models import Account, Category, Issue, IssueEvent, IssueSupport
from geo.notices.notify import notify_event


@dataclass(frozen=True)
class Intake:
    """A matter staff file for a resident: who recorded it, how it came in, and what the
    `created` event says of it (never the resident's name or phone, which stay private)."""

    recorder: Account
    channel: str
    ticket_no: str | None = None
    located_by: str | None = None  # "address: <the place found>" or "map"
    reported_at: str | None = None  # when the resident called (a 12345 ticket's time)

    def event_data(self) -> dict[str, Any]:
        data = {"on_behalf": True, "channel": self.channel, "ticket_no": self.ticket_no,
                "located_by": self.located_by, "reported_at": self.reported_at}  # fmt: skip
        return {k: v for k, v in data.items() if v is not None}


DUPLICATE_RADIUS_M = 30.0
MAX_DUPLICATES = 20

# A hidden photo's public category, as its placeholder words it (our own vocabulary, no input).
_HIDE_LABELS = f"CAST('{json.dumps(labels(HIDE_TERMS), ensure_ascii=False)}' AS jsonb)"
# The public view of an issue, built in PostGIS; never the reporter's name or phone. A photo
# staff hid stays listed as its placeholder (geo/issues/moderation.py).
_PUBLIC_JSON = """
    json_build_object(
      'id', i.id, 'lon', ST_X(i.geom), 'lat', ST_Y(i.geom),
      'category', i.category_code, 'description', i.description, 'severity', i.severity,
      'step', i.step, 'level', i.level,
      'routing', i.routing || jsonb_build_object('level', i.level,
                                                 'routed_level', i.routing -> 'level'),
      'input', json_build_object('crs', i.input_crs, 'x', i.input_x, 'y', i.input_y),
      'supporters', i.supporters,
      'owner_department', (SELECT json_build_object('id', d.id, 'code', d.code, 'name', d.name)
                             FROM department d WHERE d.id = i.owner_department_id),
      'due_on', i.due_on, 'decision', i.decision, 'rating', i.rating,
      'merged_into', i.merged_into_id, 'version', i.version,
      'created_at', i.created_at, 'updated_at', i.updated_at, 'clock_since', i.clock_since,
      'photos', COALESCE((SELECT json_agg(CASE WHEN p.hidden_category IS NULL
                       THEN json_build_object(
                            'id', p.id, 'url', '/api/photos/' || p.id,
                            'content_type', p.content_type, 'size_bytes', p.size_bytes,
                            'step', p.step_at_upload, 'uploaded_at', p.uploaded_at,
                            'hidden', NULL)
                       ELSE json_build_object(
                            'id', p.id, 'url', '/api/photos/' || p.id || '/placeholder.svg',
                            'content_type', 'image/svg+xml', 'size_bytes', NULL,
                            'step', p.step_at_upload, 'uploaded_at', p.uploaded_at,
                            'hidden', json_build_object('category', p.hidden_category,
                                                        'label', {labels}
                                                                 ->> p.hidden_category))
                       END ORDER BY p.id)
                          FROM issue_photo p WHERE p.issue_id = i.id), '[]'::json))
""".replace("{labels}", _HIDE_LABELS)
_PUBLIC = text(f"SELECT {_PUBLIC_JSON} FROM issue i WHERE i.id = :id")
_LIST = text(
    f"""
    SELECT {_PUBLIC_JSON} FROM issue i
     WHERE (CAST(:step AS text) IS NULL OR i.step = :step)
       AND (CAST(:category AS text) IS NULL OR i.category_code = :category)
     ORDER BY i.id LIMIT :limit OFFSET :offset
    """
)


def _duplicates_sql(point: str, category: str, exclude: str) -> str:
    """Possible duplicates of `point` as one JSON array: open issues of `category` within
    :radius m (geodesic), nearest first, at most :limit."""
    return f"""
      (SELECT COALESCE(json_agg(d.j ORDER BY d.distance, d.id), '[]'::json) FROM (
         SELECT o.id, ST_Distance(o.geom::geography, {point}::geography) AS distance,
                json_build_object('id', o.id, 'step', o.step, 'supporters', o.supporters,
                                  'description', left(o.description, 140),
                                  'distance_m', round(ST_Distance(o.geom::geography,
                                                                  {point}::geography)::numeric, 1)
                                 ) AS j
           FROM issue o
          WHERE o.category_code = {category} AND o.step = ANY(:steps) AND o.id <> {exclude}
            AND o.geom && ST_Envelope(ST_Buffer({point}::geography, :radius)::geometry)
            AND ST_DWithin(o.geom::geography, {point}::geography, :radius)
          ORDER BY 2, o.id LIMIT :limit) d)"""


# What a pin answers, in one round trip: the public view and the possible duplicates.
_CREATED = text(
    f"SELECT {_PUBLIC_JSON}, {_duplicates_sql('i.geom', 'i.category_code', 'i.id')}"
    " FROM issue i WHERE i.id = :id"
)
# The issue, its first event and the chain's holders that day, in one statement of one shape
# (SQLAlchemy compiles it once; built with the request's values it was compiled for every pin).
# The event and the contacts are inserted only when the issue is: ON CONFLICT DO NOTHING leaves
# `created` empty on a retry. Issue, event and notices share one instant, as the model stamps.
# What may be NULL (the places found, the reporter, the key, the intake) comes as JSON read into
# the tables' own row types: as parameters of their own, psycopg typed them by value (NULL,
# smallint, integer) and PostgreSQL kept a prepared statement per set of types, so each kind
# of pin (in a building or a street, signed in or not) was planned afresh (0.6 ms) until it had
# run five times on a connection.
_PIN = text(
    """
    WITH pin AS (SELECT * FROM jsonb_populate_record(NULL::issue, :issue)),
    created AS (
      INSERT INTO issue (category_code, description, severity, geom, input_crs, input_x,
                         input_y, step, level, routing, routing_reason, reporter_account_id,
                         reporter_name, reporter_phone, idempotency_key, channel, ticket_no,
                         district_id, subdistrict_id, community_id, compound_id, building_id,
                         unit_id, department_id, grid_post_id, created_at, updated_at,
                         level_since)
      SELECT p.category_code, p.description, p.severity,
             ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), p.input_crs, p.input_x, p.input_y,
             'collected', p.level, p.routing, p.routing_reason, p.reporter_account_id,
             p.reporter_name, p.reporter_phone, p.idempotency_key, p.channel, p.ticket_no,
             p.district_id, p.subdistrict_id, p.community_id, p.compound_id, p.building_id,
             p.unit_id, p.department_id, p.grid_post_id, :now, :now, :now
        FROM pin p
      ON CONFLICT (idempotency_key) DO NOTHING
      RETURNING id
    ), contacts AS (
      INSERT INTO issue_grid_contact (issue_id, post_id, position, holding_id)
      SELECT created.id, c.post_id, c.position, c.holding_id
        FROM created, jsonb_populate_recordset(NULL::issue_grid_contact, :chain) AS c
    )
    INSERT INTO issue_event (issue_id, at, kind, actor_account_id, to_step, note, data, geom)
    SELECT created.id, :now, 'created', e.actor_account_id, 'collected', e.note,
           COALESCE(e.data, 'null'::jsonb),  -- JSON null, as every other event without data
           CASE WHEN :stood THEN ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END
      FROM created, jsonb_populate_record(NULL::issue_event, :event) AS e
    RETURNING id, issue_id
    """
).bindparams(
    bindparam("issue", type_=JSONB),
    bindparam("chain", type_=JSONB),
    bindparam("event", type_=JSONB),
    bindparam("now", type_=DateTime(timezone=True)),
    bindparam("stood", type_=Boolean),
)
# The same duplicates for a point not filed yet (a 12345 import's dry run).
_DUPLICATES = text(
    f"SELECT {_duplicates_sql('ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)', ':category', '0')}"
)


# The history. In public (:full false) an actor is a role, and a department account its
# department's name: never an account id or name, which would let anyone link every issue one
# resident filed; and only staff positions are shown, never where a resident stood. Staff who
# may read the reporter's contact (access "read_private") see the account and every position.
_EVENTS = text(
    """
    SELECT json_build_object(
      'id', e.id, 'at', e.at, 'kind', e.kind, 'from', e.from_step, 'to', e.to_step,
      'note', CASE WHEN e.kind = 'moderated' AND NOT :full THEN NULL ELSE e.note END,
      'data', CASE WHEN e.kind = 'moderated' AND NOT :full
                   THEN e.data - 'original' - 'reason' ELSE e.data END,
      'actor', CASE WHEN a.id IS NULL THEN NULL
                    WHEN :full THEN json_build_object('id', a.id, 'role', a.role,
                                                      'name', a.name, 'department', d.name)
                    ELSE json_strip_nulls(json_build_object('role', a.role,
                                                            'department', d.name)) END,
      'lon', CASE WHEN :full OR a.role <> 'resident' THEN ST_X(e.geom) END,
      'lat', CASE WHEN :full OR a.role <> 'resident' THEN ST_Y(e.geom) END)
    FROM issue_event e
    LEFT JOIN account a ON a.id = e.actor_account_id
    LEFT JOIN department d ON d.id = a.department_id
    WHERE e.issue_id = :id ORDER BY e.at, e.id
    """
)


def list_categories(session: Session) -> list[dict[str, Any]]:
    """The categories with the city's limits (a district's own: geo/issues/worktime.py)."""
    sql = text(
        """
        SELECT c.code, c.name, c.name_en, c.department_code AS department,
               d.name AS department_name, c.level,
               t.respond_days, t.complete_days
          FROM category c LEFT JOIN department d ON d.code = c.department_code
          LEFT JOIN time_limit t ON t.category_code = c.code AND t.district_id IS NULL
         ORDER BY c.sort, c.code
        """
    )
    return [dict(row) for row in session.execute(sql).mappings()]


def check_category(session: Session, code: str) -> None:
    if session.get(Category, code) is None:
        known = ", ".join(session.scalars(select(Category.code).order_by(Category.sort)))
        raise Unprocessable(f"Unknown category {code!r}; known: {known}.", where="category")


def add_event(
    session: Session,
    issue_id: int,
    kind: str,
    *,
    actor: Account | None = None,
    from_step: str | None = None,
    to_step: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    point: tuple[float, float] | None = None,
    idempotency_key: str | None = None,
) -> None:
    """Append one event; `point` is where the actor stood (WGS84). Its notices and webhook
    deliveries (geo/notices) are written with it, in the same transaction."""
    geom = func.ST_SetSRID(func.ST_MakePoint(*point), 4326) if point else None
    event = IssueEvent(
        issue_id=issue_id,
        kind=kind,
        actor_account_id=actor.id if actor else None,
        from_step=from_step,
        to_step=to_step,
        note=note,
        data=data,
        geom=geom,
        idempotency_key=idempotency_key,
    )
    session.add(event)
    session.flush()
    notify_event(session, event)
    problem_tickets.follow(session, event)


def pin_issue(
    session: Session,
    *,
    crs: str,
    lon: float | None,
    lat: float | None,
    x: float | None = None,
    y: float | None = None,
    category: str,
    description: str,
    severity: int = 2,
    unit: int | None = None,
    reporter: Account | None = None,
    reporter_name: str | None = None,
    reporter_phone: str | None = None,
    idempotency_key: str | None = None,
    intake: "Intake | None" = None,
) -> tuple[dict[str, Any], bool]:
    """Pin and route an issue. Returns (the created body, replayed). `intake`: staff filing
    it for a resident (geo/issues/intake.py), who are the `created` event's actor.

    With an idempotency key the insert is ON CONFLICT DO NOTHING: the unique index makes a
    concurrent copy wait for the first one's commit, then it finds nothing inserted and
    answers with the issue the first copy made (replayed=True).
    """
    sent, (wlon, wlat) = input_point(crs, lon, lat, x, y)
    try:
        routing = route_point(session, lon=wlon, lat=wlat, category=category, unit=unit)
    except Unprocessable:
        # routing reads the category too; only a refusal asks whether it was the category,
        # which is refused first and by name (a round trip less for every good pin)
        check_category(session, category)
        raise
    # staff filing for a resident are the actor; where they stood is their desk, not the place
    actor = intake.recorder if intake else reporter
    issue = {
        "category_code": category, "description": description, "severity": severity,
        "input_crs": crs, "input_x": sent[0], "input_y": sent[1], "level": routing.level,
        "routing": routing.public(), "routing_reason": routing.reason,
        "reporter_account_id": reporter.id if reporter else None,
        "reporter_name": reporter_name, "reporter_phone": reporter_phone,
        "idempotency_key": idempotency_key,
        "channel": intake.channel if intake else None,
        "ticket_no": intake.ticket_no if intake else None,
        **routing.ids(),
    }  # fmt: skip
    first = {
        "actor_account_id": actor.id if actor else None,
        "data": intake.event_data() if intake else None,
        "note": routing.reason,
    }
    chain = [
        {"post_id": post, "position": position, "holding_id": holding}
        for post, position, holding in routing.contacts()
    ]
    values = {"issue": issue, "event": first, "chain": chain, "lon": wlon, "lat": wlat,
              "now": clock.now(), "stood": intake is None}  # fmt: skip
    row = session.execute(_PIN, values).first()
    replayed = row is None
    if row is None:
        # a retry: claim() tied the key to this very request, so its issue is the answer
        issue_id = session.scalars(
            select(Issue.id).where(Issue.idempotency_key == idempotency_key)
        ).one()
    else:
        event_id, issue_id = row
        # its notices, as add_event writes them for every other event
        event = IssueEvent(
            id=event_id,
            issue_id=issue_id,
            kind="created",
            actor_account_id=first["actor_account_id"],
            data=first["data"],
            to_step="collected",
            note=routing.reason,
        )
        notify_event(session, event)
    params = {"id": issue_id, "steps": list(OPEN_STEPS), "radius": DUPLICATE_RADIUS_M,
              "limit": MAX_DUPLICATES}  # fmt: skip
    body, duplicates = session.execute(_CREATED, params).one()
    body["possible_duplicates"] = duplicates
    return body, replayed


def find_duplicates(
    session: Session, *, lon: float, lat: float, category: str
) -> list[dict[str, Any]]:
    """Open issues of `category` within 30 m (geodesic) of a point, nearest first."""
    params = {"lon": lon, "lat": lat, "category": category, "steps": list(OPEN_STEPS),
              "radius": DUPLICATE_RADIUS_M, "limit": MAX_DUPLICATES}  # fmt: skip
    return list(session.execute(_DUPLICATES, params).scalar_one())


def issue_public(session: Session, issue_id: int) -> dict[str, Any]:
    """The public view of an issue (never the reporter's name or phone)."""
    body = session.execute(_PUBLIC, {"id": issue_id}).scalar()
    if body is None:
        raise NotFound(f"No issue {issue_id}.", where="issue_id")
    return body


def reporter_contact(session: Session, issue: Issue) -> dict[str, Any]:
    """The private reporter fields, for staff allowed to see them."""
    return {
        "issue": issue.id,
        "account_id": issue.reporter_account_id,
        "name": issue.reporter_name,
        "phone": issue.reporter_phone,
    }


def list_issues(
    session: Session,
    *,
    step: str | None = None,
    category: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Public views, oldest first, optionally of one step and one category."""
    if step is not None and step not in STEPS:
        raise InvalidParameter(f"step must be one of {', '.join(STEPS)}.", where="step")
    params = {"step": step, "category": category, "limit": limit, "offset": offset}
    return list(session.execute(_LIST, params).scalars())


def list_events(session: Session, issue_id: int, *, viewer: Account | None) -> list[dict[str, Any]]:
    """The issue's history as `viewer` may see it (see _EVENTS); 404 for an unknown issue."""
    full = can(session, viewer, get_issue(session, issue_id), "read_private")
    return list(session.execute(_EVENTS, {"id": issue_id, "full": full}).scalars())


def get_issue(session: Session, issue_id: int, *, lock: bool = False) -> Issue:
    stmt = select(Issue).where(Issue.id == issue_id)
    if lock:
        stmt = stmt.with_for_update()
    issue = session.scalars(stmt).first()
    if issue is None:
        raise NotFound(f"No issue {issue_id}.", where="issue_id")
    return issue


_DISTANCE = text(
    "SELECT ST_Distance(geom::geography, "
    "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) FROM issue WHERE id = :id"
)


def distance_m(session: Session, issue_id: int, point: tuple[float, float]) -> float:
    """Metres (geodesic) from the issue's point to `point` (WGS84 lon, lat)."""
    params = {"lon": point[0], "lat": point[1], "id": issue_id}
    return float(session.execute(_DISTANCE, params).scalar_one())


def support_issue(
    session: Session, issue_id: int, *, account: Account | None, client: str
) -> dict[str, Any]:
    """Add a +1 (once per supporter); a merged issue passes it on to the one it joined."""
    issue = get_issue(session, issue_id, lock=True)
    while issue.step == "merged" and issue.merged_into_id is not None:
        issue = get_issue(session, issue.merged_into_id, lock=True)
    if issue.step not in OPEN_STEPS:
        raise Conflict(
            f"Issue {issue.id} is {issue.step}; only open issues take support.",
            where="issue_id",
        )
    key = client_scope(account, client)  # one +1 per account, else per client
    stmt = (
        insert(IssueSupport)
        .values(issue_id=issue.id, supporter_key=key)
        .on_conflict_do_nothing()
        .returning(IssueSupport.issue_id)
    )
    counted = session.execute(stmt).scalar() is not None
    if counted:
        issue.supporters += 1
        add_event(session, issue.id, "support", actor=account, note="+1")
    return {"id": issue.id, "supporters": issue.supporters, "counted": counted}
