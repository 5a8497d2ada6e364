"""What each reader sees of micro-wishes (geo/partners/wishes.py holds the moves).

The public (and any resident but the poster) sees a wish's kind, state, dates, compound and
community, pinned at the compound's point on surface: never its text, the photo, who posted or
claimed it, nor the exact point. Why not the text: residents write "王奶奶独居, 3单元502, 电话
139..." as naturally as "修水龙头", and no filter tells the two apart; the kind says enough for
the public map. The exact point would find the home. The poster, the cadres and party members
who may claim it, admins and the offices of its place also see the text, the notes, the photo
and who claimed it (access row read_wish).

Cadres and party members find the open wishes nearest where they live or serve, PostGIS's KNN
(`<->` on the GiST index of wish.geom) ordering them, metres from geography: a cadre from the
home compound or the community their unit is paired with (结对共建, origin=paired); a grid
account from the place it is bound to.
"""

from typing import Any, Literal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.accounts.access import allowed, can, require
from geo.core import clock
from geo.core.db import get_or_404
from geo.core.errors import Conflict
from geo.models import Account, Cadre, Wish

Origin = Literal["home", "paired"]
MAX_NEARBY = 50

_WISH = text(
    """
    SELECT json_build_object(
      'id', w.id, 'kind', w.kind, 'state', w.state, 'version', w.version,
      'posted_at', w.posted_at,
      'compound', json_build_object('id', c.id, 'name', c.name),
      'community', json_build_object('id', cm.id, 'name', cm.name),
      'lon', round(ST_X(pt.p)::numeric, 6), 'lat', round(ST_Y(pt.p)::numeric, 6),
      'text', CASE WHEN :reader THEN w.text END,
      'mine', w.resident_account_id = :me,
      'claimed_by_me', w.claimant_account_id = :me,
      'claimant', CASE WHEN :reader AND w.claimant_account_id IS NOT NULL THEN
          json_build_object('name', coalesce(cd.name, a.name), 'post', cd.post) END,
      'events', (SELECT json_agg(json_build_object(
          'kind', e.kind, 'at', e.at,
          'note', CASE WHEN :reader THEN e.note END,
          'photo_url', CASE WHEN :reader AND e.photo_sha256 IS NOT NULL THEN
              '/api/media/photos/' || e.photo_sha256 || '.'
              || CASE e.photo_content_type WHEN 'image/png' THEN 'png'
                                           WHEN 'image/webp' THEN 'webp' ELSE 'jpg' END END)
          ORDER BY e.id) FROM wish_event e WHERE e.wish_id = w.id))
    FROM wish w JOIN compound c ON c.id = w.compound_id
         JOIN community cm ON cm.id = w.community_id
         LEFT JOIN account a ON a.id = w.claimant_account_id
         LEFT JOIN cadre cd ON cd.account_id = w.claimant_account_id,
         LATERAL (SELECT CASE WHEN :reader THEN w.geom ELSE ST_PointOnSurface(c.geom) END) pt(p)
    WHERE w.id = :id
    """
)

_NEARBY = text(
    """
    SELECT w.id, w.kind, w.text, w.posted_at, w.version, c.name AS compound, cm.name AS community,
           round(ST_X(w.geom)::numeric, 6) AS lon, round(ST_Y(w.geom)::numeric, 6) AS lat,
           round(ST_Distance(w.geom::geography, o.p::geography)::numeric, 0) AS distance_m
      FROM wish w JOIN compound c ON c.id = w.compound_id
           JOIN community cm ON cm.id = w.community_id,
           (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS p) o
     WHERE w.state = 'open'
     ORDER BY w.geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), w.id
     LIMIT :limit
    """
)

# A grid account's place, as a point: its area's, a unit's building's.
_AREA_POINT = {
    "subdistrict": "SELECT ST_PointOnSurface(geom), name FROM subdistrict WHERE id = :id",
    "community": "SELECT ST_PointOnSurface(geom), name FROM community WHERE id = :id",
    "compound": "SELECT ST_PointOnSurface(geom), name FROM compound WHERE id = :id",
    "building": "SELECT ST_PointOnSurface(b.geom), c.name || b.name FROM building b"
    " JOIN compound c ON c.id = b.compound_id WHERE b.id = :id",
    "unit": "SELECT ST_PointOnSurface(b.geom), c.name || b.name FROM unit u"
    " JOIN building b ON b.id = u.building_id JOIN compound c ON c.id = b.compound_id"
    " WHERE u.id = :id",
}

# The community a unit (department or member unit) is paired with today: the latest pairing.
PAIRED_COMMUNITY = """
    SELECT p.community_id FROM unit_pairing p
     WHERE (p.department_id = :department OR p.unit_id = :unit)
       AND p.since <= :today AND (p.until IS NULL OR p.until >= :today)
     ORDER BY p.since DESC, p.id DESC LIMIT 1
"""


def wish_out(db: Session, account: Account | None, wish_id: int) -> dict[str, Any]:
    wish = get_or_404(db, Wish, wish_id, what="micro-wish", where="wish_id")
    reader = can(db, account, wish, "read_wish")
    params = {"id": wish_id, "reader": reader, "me": account.id if account else None}
    body = dict(db.execute(_WISH, params).scalar_one())
    body["allowed_actions"] = allowed(db, account, wish)
    return body


def nearby(
    db: Session, account: Account, *, origin: Origin = "home", limit: int = 20
) -> dict[str, Any]:
    """The open wishes nearest the account's home compound or paired community (a cadre) or
    its bound place (a grid account), nearest first, each with its distance in metres."""
    require(db, account, None, "find_wishes")
    lon, lat, name = _origin(db, account, origin)
    rows = db.execute(_NEARBY, {"lon": lon, "lat": lat, "limit": min(limit, MAX_NEARBY)})
    return {
        "origin": {"kind": origin, "name": name, "lon": lon, "lat": lat},
        "wishes": [dict(r) for r in rows.mappings()],
    }


def _origin(db: Session, account: Account, origin: Origin) -> tuple[float, float, str]:
    cadre = db.scalars(select(Cadre).where(Cadre.account_id == account.id)).first()
    if cadre is not None:
        sql = "SELECT ST_PointOnSurface(geom), name FROM compound WHERE id = :id"
        ident: int | None = cadre.home_compound_id
        if origin == "paired":
            sql = _AREA_POINT["community"]
            params = {"department": cadre.department_id, "unit": cadre.unit_id,
                      "today": clock.today()}  # fmt: skip
            ident = db.execute(text(PAIRED_COMMUNITY), params).scalar()
            if ident is None:
                raise Conflict("Your unit is paired with no community today.", where="origin")
    elif account.area is not None:
        sql, ident = _AREA_POINT[account.area[0]], account.area[1]
    else:
        raise Conflict(
            "This account has no home compound nor bound place to measure from.", where="origin"
        )
    row = db.execute(
        text(f"SELECT ST_X(p), ST_Y(p), n FROM ({sql}) AS o(p, n)"), {"id": ident}
    ).one()
    return float(row[0]), float(row[1]), str(row[2])


def mine(db: Session, account: Account) -> dict[str, Any]:
    """The wishes the account posted or holds as claimant, newest first, and what the phone
    page may offer: posting a wish, finding the nearest (the access table's answer)."""
    ids = db.scalars(
        select(Wish.id)
        .where((Wish.resident_account_id == account.id) | (Wish.claimant_account_id == account.id))
        .order_by(Wish.id.desc())
        .limit(100)
    ).all()
    offers = [a for a in allowed(db, account, None) if a in ("post_wish", "find_wishes")]
    return {"offers": offers, "wishes": [wish_out(db, account, i) for i in ids]}


_MAP = text(
    """
    SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
      json_build_object(
        'type', 'Feature', 'id', w.id,
        'geometry', ST_AsGeoJSON(ST_PointOnSurface(c.geom), 6)::json,
        'properties', json_build_object(
          'kind', w.kind, 'state', w.state, 'posted_on', (w.posted_at AT TIME ZONE :tz)::date,
          'done_on', (SELECT (max(e.at) AT TIME ZONE :tz)::date FROM wish_event e
                       WHERE e.wish_id = w.id AND e.kind IN ('fulfilled', 'confirmed')),
          'compound', c.name, 'community', cm.name))
      ORDER BY w.id), '[]'))
    FROM wish w JOIN compound c ON c.id = w.compound_id JOIN community cm ON cm.id = w.community_id
    WHERE w.state <> 'withdrawn'
      AND (CAST(:community AS integer) IS NULL OR w.community_id = :community)
    """
)

_COUNTS = text(
    """
    SELECT cm.id, cm.name,
           count(w.id) FILTER (WHERE w.state = 'open') AS open,
           count(w.id) FILTER (WHERE w.state = 'claimed') AS claimed,
           count(w.id) FILTER (WHERE w.state = 'fulfilled') AS fulfilled,
           count(w.id) FILTER (WHERE w.state = 'confirmed') AS confirmed,
           count(w.id) FILTER (WHERE w.state = 'withdrawn') AS withdrawn
      FROM community cm LEFT JOIN wish w ON w.community_id = cm.id
     GROUP BY cm.id ORDER BY cm.id
    """
)


def public_map(db: Session, *, community: int | None = None) -> dict[str, Any]:
    """Every wish not withdrawn as a GeoJSON point at its compound, without personal data."""
    params = {"tz": clock.ZONE, "community": community}
    return dict(db.execute(_MAP, params).scalar_one())


def counts(db: Session) -> list[dict[str, Any]]:
    """Wishes per community and state."""
    return [dict(r) for r in db.execute(_COUNTS).mappings()]
