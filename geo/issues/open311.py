"""Open311 GeoReport v2 over our issues: services (categories), requests, geocoding, filing.

Steps map onto Open311's two statuses as geo/core/vocabulary.py STATUSES says: open = collected,
topic, deliberated, dispatched; closed = every other step (status_notes names the step). Filing goes
through geo.issues.pinning.pin_issue, so an Open311 request is validated, routed and made idempotent
exactly as POST /api/issues. Only public fields leave: never the reporter's name, phone or
e-mail (the e-mail is not even stored: the issue table has no place for it).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core.clock import ZONE
from geo.core.errors import InvalidParameter, NotFound
from geo.core.vocabulary import OPEN_STEPS, STATUSES
from geo.issues import request_tokens
from geo.issues.pinning import add_event, pin_issue

MAX_REQUESTS = 1000  # the spec's suggested cap per response
CHANGESET = "2026-11-27T00:00:00Z"  # when this endpoint's behaviour last changed

_SERVICES = text(
    """
    SELECT c.code AS service_code, c.name AS service_name,
           c.name_en || ' (' || c.name || '): ' || COALESCE(d.name, c.department_code)
             || ', ' || c.level || ' level' AS description,
           false AS metadata, 'realtime' AS type,
           concat_ws(',', c.code, lower(c.name_en), c.name) AS keywords,
           COALESCE(d.name, c.department_code) AS "group"
      FROM category c LEFT JOIN department d ON d.code = c.department_code
     ORDER BY c.sort, c.code
    """
)

# One request as the spec names its fields (public fields only).
_REQUEST = f"""
    json_build_object(
      'service_request_id', i.id::text,
      'status', CASE WHEN i.step = ANY(:open) THEN 'open' ELSE 'closed' END,
      'status_notes', i.step || COALESCE(': ' || i.decision, ''),
      'service_name', c.name,
      'service_code', i.category_code,
      'description', i.description,
      'agency_responsible', COALESCE(od.name, rd.name),
      'service_notice', '',
      'requested_datetime', to_char(i.created_at AT TIME ZONE '{ZONE}',
                                    'YYYY-MM-DD"T"HH24:MI:SS"+08:00"'),
      'updated_datetime', to_char(i.updated_at AT TIME ZONE '{ZONE}',
                                  'YYYY-MM-DD"T"HH24:MI:SS"+08:00"'),
      'expected_datetime', to_char(i.due_on, 'YYYY-MM-DD"T"23:59:59"+08:00"'),
      'address', concat_ws(' ', s.name, m.name, p.name, b.name),
      'address_id', NULL,
      'zipcode', NULL,
      'lat', round(ST_Y(i.geom)::numeric, 7),
      'long', round(ST_X(i.geom)::numeric, 7),
      'media_url', COALESCE(
          (SELECT :base || '/api/photos/' || ph.id
                  || CASE WHEN ph.hidden_category IS NULL THEN '' ELSE '/placeholder.svg' END
             FROM issue_photo ph WHERE ph.issue_id = i.id ORDER BY ph.id LIMIT 1),
          (SELECT e.data ->> 'media_url' FROM issue_event e
            WHERE e.issue_id = i.id AND e.kind = 'photo' AND e.data ? 'media_url'
            ORDER BY e.id LIMIT 1)))
"""

_REQUESTS = text(
    f"""
    SELECT COALESCE(json_agg(r.body ORDER BY r.created_at DESC, r.id DESC), '[]'::json)
      FROM (SELECT i.id, i.created_at, {_REQUEST} AS body
              FROM issue i JOIN category c ON c.code = i.category_code
                   LEFT JOIN department od ON od.id = i.owner_department_id
                   LEFT JOIN department rd ON rd.id = i.department_id
                   LEFT JOIN subdistrict s ON s.id = i.subdistrict_id
                   LEFT JOIN community m ON m.id = i.community_id
                   LEFT JOIN compound p ON p.id = i.compound_id
                   LEFT JOIN building b ON b.id = i.building_id
             WHERE (CAST(:ids AS integer[]) IS NULL OR i.id = ANY(:ids))
               AND (CAST(:codes AS text[]) IS NULL OR i.category_code = ANY(:codes))
               AND (CAST(:steps AS text[]) IS NULL OR i.step = ANY(:steps))
               AND (CAST(:start AS timestamptz) IS NULL OR i.created_at >= :start)
               AND (CAST(:end AS timestamptz) IS NULL OR i.created_at <= :end)
               AND (CAST(:district AS integer) IS NULL OR i.district_id = :district)
             ORDER BY i.created_at DESC, i.id DESC
             LIMIT :limit) r
    """
)

# Compound names, road names and courtyard addresses, best match first: an exact match, then
# the longest of our names found inside the address string, then the shortest of our names
# that contains the whole string (for "欣欣家园" -> "欣欣家园(二三期)"); on equal terms a
# courtyard beats a compound beats a road (the most specific place).
_GEOCODE = text(
    """
    WITH a AS (SELECT CAST(:addr AS text) AS s),
    places AS (
      SELECT 'courtyard' AS kind, 1 AS prio, y.address AS name, y.id,
             ST_PointOnSurface(y.geom) AS p, 0.0 AS len FROM courtyard y
      UNION ALL
      SELECT 'compound', 2, c.name, c.id, ST_PointOnSurface(c.geom), 0.0 FROM compound c
      UNION ALL
      SELECT 'road', 3, r.name, r.id, ST_LineInterpolatePoint(r.geom, 0.5), r.length_m
        FROM road r
    )
    SELECT kind, name, ST_X(p) AS lon, ST_Y(p) AS lat,
           CASE WHEN name = a.s THEN 'exact' WHEN strpos(a.s, name) > 0 THEN 'contained'
                ELSE 'partial' END AS how
      FROM places, a
     WHERE name = a.s OR strpos(a.s, name) > 0
        OR (char_length(a.s) >= 2 AND strpos(name, a.s) > 0)
     ORDER BY (name = a.s) DESC, (strpos(a.s, name) > 0) DESC,
              CASE WHEN strpos(a.s, name) > 0 THEN -char_length(name)
                   ELSE char_length(name) END,
              prio, len DESC, id
     LIMIT 1
    """
)


def services(session: Session) -> list[dict[str, Any]]:
    """Our categories as Open311 services."""
    return [dict(r) for r in session.execute(_SERVICES).mappings()]


def service_definition(session: Session, code: str) -> dict[str, Any]:
    """A service's attributes: none, since every service has metadata false."""
    if code not in {s["service_code"] for s in services(session)}:
        raise NotFound(f"service_code {code!r} not found.", where="service_code")
    return {"service_code": code, "attributes": []}


@dataclass(frozen=True)
class RequestQuery:
    """GET requests filters as the spec names them, parsed (api/schemas/open311.py)."""

    service_request_id: list[int] | None = None
    service_code: list[str] | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    status: list[str] | None = None  # open, closed
    district_id: int | None = None  # our extension: one district's requests


def find_requests(session: Session, q: RequestQuery, *, base_url: str) -> list[dict[str, Any]]:
    """Requests matching the filters, newest first; with ids given, the other filters are
    ignored (as the spec says)."""
    by_id = q.service_request_id is not None
    params: dict[str, Any] = {
        "ids": q.service_request_id,
        "codes": None if by_id else q.service_code,
        "steps": None,
        "start": None if by_id else q.start_date,
        "end": None if by_id else q.end_date,
        "district": None if by_id else q.district_id,
        "open": list(OPEN_STEPS),
        "base": base_url.rstrip("/"),
        "limit": MAX_REQUESTS,
    }
    if q.status is not None and not by_id:
        params["steps"] = [step for s in q.status for step in STATUSES[s]]
    return list(session.execute(_REQUESTS, params).scalar_one())


def get_request(session: Session, request_id: str, *, base_url: str) -> list[dict[str, Any]]:
    """One request, as a one-element list (the spec's shape); NotFound otherwise."""
    if not (request_id.isascii() and request_id.isdigit()) or len(request_id) >= 10:
        raise NotFound(f"service_request_id {request_id!r} not found.", where="service_request_id")
    found = find_requests(
        session, RequestQuery(service_request_id=[int(request_id)]), base_url=base_url
    )
    if not found:
        raise NotFound(f"service_request_id {request_id} not found.", where="service_request_id")
    return found


def request_for_token(session: Session, token: str, *, stored: str) -> list[dict[str, Any]]:
    """The request filed with this token: one the service answered the filing with (from any
    client), or the Idempotency-Key the client sent, found by its `stored` form (scoped to
    the asking client: geo/core/idempotency.py)."""
    found = session.execute(
        text("SELECT id FROM issue WHERE id = :id OR idempotency_key = :t"),
        {"id": request_tokens.issue_of(session, token), "t": stored},
    ).scalar()
    if found is None:
        raise NotFound(f"token {token!r} not found.", where="token")
    return [{"service_request_id": str(found), "token": token}]


def geocode(session: Session, address: str) -> dict[str, Any]:
    """The point of a courtyard address, compound name or road name found in `address`."""
    cleaned = " ".join(address.split())
    row = session.execute(_GEOCODE, {"addr": cleaned}).mappings().first() if cleaned else None
    if row is None:
        raise InvalidParameter(
            f"address_string {address!r} matches no courtyard address, compound or road of "
            "Qiaoxi District; send lat and long instead.",
            where="address_string",
        )
    return dict(row)


def _location(
    session: Session, lon: float | None, lat: float | None, address: str | None
) -> tuple[float, float, str | None]:
    """(lon, lat, geocoded place): the point sent, else the place the address names."""
    if lon is not None and lat is not None:
        return lon, lat, None
    place = geocode(session, address or "")
    return place["lon"], place["lat"], f"{place['kind']} {place['name']}"


def file_request(
    session: Session,
    *,
    service_code: str,
    lon: float | None,
    lat: float | None,
    address: str | None,
    description: str | None,
    media_url: str | None,
    reporter_name: str | None,
    reporter_phone: str | None,
    idempotency_key: str | None,
    reporter: Any = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Create (or, with a used key, find) the issue; returns the spec's response and replayed."""
    known = {s["service_code"]: s for s in services(session)}
    if service_code not in known:
        raise InvalidParameter(f"service_code {service_code!r} not found.", where="service_code")
    lon, lat, place = _location(session, lon, lat, address)
    body, replayed = pin_issue(
        session,
        crs="wgs84",
        lon=lon,
        lat=lat,
        category=service_code,
        description=description or known[service_code]["service_name"],
        reporter=reporter,
        reporter_name=(reporter_name or "")[:64] or None,
        reporter_phone=(reporter_phone or "")[:32] or None,
        idempotency_key=idempotency_key,
    )
    if not replayed and media_url:
        add_event(
            session, body["id"], "photo", note="Open311 media_url", data={"media_url": media_url}
        )
    notice = f"已按地址定位到 {place} / located at {place}" if place else ""
    answer: dict[str, Any] = {
        "service_request_id": str(body["id"]),
        "service_notice": notice,
        "account_id": None,
    }
    return [answer], replayed


def discovery(base_url: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": "桥西区居民议事厅 Yishiting",
        "key_service": "api_key is optional; staff may send Authorization: Bearer <token>",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base_url.rstrip("/") + "/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
