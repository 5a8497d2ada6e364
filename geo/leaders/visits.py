"""On-site visits (现场办公): a paired leader records who, where, when and a photo.

The leader is the account's official (official.account_id); where is a WGS84 point, and the
visit keeps the sub-district, community and compound that cover it; the matter it was about,
if any, must lie in the leader's places (access: visit_issue). The photo is re-encoded without
metadata and stored by content like issue photos (geo/issues/photos.store_file), only after
every check has passed, so a refused visit stores nothing. A retry with the same
Idempotency-Key answers the visit it made.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core import clock
from geo.core.errors import Forbidden, Unprocessable
from geo.core.idempotency import made_by_key
from geo.issues import photos
from geo.issues.pinning import add_event, get_issue
from geo.models import Account, Official
from geo.models.leaders import SiteVisit

MAX_NOTE = 2000
_PLACES = text(
    """
    SELECT cm.subdistrict_id, cm.id AS community_id,
           (SELECT c.id FROM compound c WHERE ST_Covers(c.geom, p.g) ORDER BY c.id LIMIT 1)
             AS compound_id
      FROM (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g) p
      LEFT JOIN community cm ON ST_Covers(cm.geom, p.g)
     ORDER BY cm.id LIMIT 1
    """
)


def official_of(session: Session, account: Account) -> Official:
    """The official an account signs in for; Forbidden for an account that is none."""
    official = session.scalars(select(Official).where(Official.account_id == account.id)).first()
    if official is None:
        raise Forbidden(
            "This account is not an official's: an administrator links it to one first.",
            where="header.Authorization",
        )
    return official


def record_visit(
    session: Session,
    account: Account,
    *,
    lon: float,
    lat: float,
    note: str,
    visited_at: datetime | None = None,
    issue_id: int | None = None,
    photo: bytes | None = None,
    media_dir: str,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Record a visit (not committed: the route commits); returns (visit, created)."""
    require(session, account, None, "record_visit")
    official = official_of(session, account)
    done = made_by_key(session, SiteVisit.id, idempotency_key)
    if done is not None:
        return visit_public(session, done), False
    note = note.strip()
    if not note or len(note) > MAX_NOTE:
        raise Unprocessable(f"A visit needs a note of 1 to {MAX_NOTE} characters.", where="note")
    now = clock.now()
    when = visited_at or now
    if when.tzinfo is None:
        raise Unprocessable("visited_at needs a time zone (e.g. +08:00).", where="visited_at")
    if when > now:
        raise Unprocessable("A visit cannot be recorded ahead of time.", where="visited_at")
    if issue_id is not None:
        require(session, account, get_issue(session, issue_id), "visit_issue")
    place = session.execute(_PLACES, {"lon": lon, "lat": lat}).mappings().one()
    if place["community_id"] is None:
        raise Unprocessable("The point lies outside the district's communities.", where="lon")
    visit = SiteVisit(
        official_id=official.id, account_id=account.id, issue_id=issue_id, visited_at=when,
        note=note, idempotency_key=idempotency_key, geom=f"SRID=4326;POINT({lon} {lat})",
        **place,
    )  # fmt: skip
    if photo is not None:
        sha, content_type, _, _ = photos.store_file(photo, media_dir)
        visit.photo_sha256, visit.photo_content_type = sha, content_type
    session.add(visit)
    session.flush()
    if issue_id is not None:  # the matter's history says a leader came (现场办公)
        data = {"visit_id": visit.id, "official": official.name, "post": official.post}
        add_event(session, issue_id, "visited", actor=account, note=note, data=data,
                  point=(lon, lat))  # fmt: skip
    return visit_public(session, visit.id), True


_VISITS = """
SELECT v.id, v.visited_at, v.note, v.issue_id, o.id AS official_id, o.name AS official,
       o.post, round(ST_X(v.geom)::numeric, 7)::float8 AS lon,
       round(ST_Y(v.geom)::numeric, 7)::float8 AS lat,
       sd.name AS subdistrict, cm.name AS community, cp.name AS compound,
       v.photo_sha256, v.photo_content_type
  FROM site_visit v JOIN official o ON o.id = v.official_id
  LEFT JOIN subdistrict sd ON sd.id = v.subdistrict_id
  LEFT JOIN community cm ON cm.id = v.community_id
  LEFT JOIN compound cp ON cp.id = v.compound_id
 WHERE {where}
 ORDER BY v.visited_at DESC, v.id DESC LIMIT 50
"""


def _public(row: Any) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if not k.startswith("photo_")}
    sha, content_type = row["photo_sha256"], row["photo_content_type"]
    out["photo_url"] = (
        f"/api/media/photos/{photos.photo_path('', sha, content_type).name}" if sha else None
    )
    return out


def visit_public(session: Session, visit_id: int) -> dict[str, Any]:
    row = session.execute(text(_VISITS.format(where="v.id = :id")), {"id": visit_id})
    return _public(row.mappings().one())


def visits_of(session: Session, official_id: int) -> list[dict[str, Any]]:
    """The official's latest visits, newest first."""
    rows = session.execute(text(_VISITS.format(where="v.official_id = :o")), {"o": official_id})
    return [_public(r) for r in rows.mappings()]
