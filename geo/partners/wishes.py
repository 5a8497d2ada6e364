"""Micro-wishes (微心愿): a resident posts a small wish pinned to their compound; cadres sent down
and the grid's party members find the open ones nearest where they live or serve, claim one and
fulfil it with a photo; the resident confirms.

A wish moves open -> claimed -> fulfilled -> confirmed; the claimant may release it (back to
open) and the poster may withdraw it while nobody has fulfilled it. Each move is a dated
wish_event (append-only); the row keeps the latest state, the claimant and a version (the ETag
that If-Match names). A move's opening is one order: lock the row, the permission (access
table), a retry answered from the event its Idempotency-Key made, the version (412), the
state (409); release and fulfil are then the claimant's own (403 for any other claimer).

The fulfilment photo goes through the issues' pipeline (geo/issues/photos.store_file: decoded
and re-encoded without EXIF, at most 5 MB) only after every check, and its file is removed
again when the commit fails. Who sees what: geo/partners/wish_views.py.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core import clock
from geo.core.db import get_or_404
from geo.core.errors import (
    Conflict,
    Forbidden,
    PreconditionFailed,
    Unprocessable,
)
from geo.core.idempotency import made_by_key
from geo.issues.photos import store_file
from geo.models import Account, Wish, WishEvent
from geo.partners.wish_views import wish_out

NEAREST_COMPOUND_M = 50.0  # as routing does: a point on the street in front still counts
MAX_TEXT = 500

_COMPOUND_AT = text(
    """
    SELECT c.id, c.community_id FROM compound c
     WHERE ST_DWithin(c.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography,
                      :within)
     ORDER BY c.geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT 1
    """
)


@dataclass(frozen=True)
class Move:
    """The request of one move: who, which version they saw, the retry key, a note."""

    actor: Account
    expected_version: int | None
    idempotency_key: str | None = None
    note: str | None = None


def post_wish(
    db: Session,
    actor: Account,
    *,
    point: tuple[float, float],
    kind: str,
    wish_text: str,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """A resident's wish pinned to the compound covering the point, or the nearest within
    50 m (nothing committed here); (wish, created)."""
    require(db, actor, None, "post_wish")
    done = made_by_key(db, Wish.id, idempotency_key)
    if done is not None:
        return wish_out(db, actor, done), False
    wish_text = wish_text.strip()
    if not wish_text:
        raise Unprocessable("Say what the wish is.", where="text")
    place = db.execute(
        _COMPOUND_AT, {"lon": point[0], "lat": point[1], "within": NEAREST_COMPOUND_M}
    ).first()
    if place is None:
        raise Unprocessable(
            f"No compound within {NEAREST_COMPOUND_M:.0f} m: pin the wish at your compound.",
            where="lon",
        )
    now = clock.now()
    wish = Wish(
        kind=kind,
        text=wish_text,
        geom=func.ST_SetSRID(func.ST_MakePoint(*point), 4326),
        compound_id=place.id,
        community_id=place.community_id,
        resident_account_id=actor.id,
        posted_at=now,
        state="open",
        version=1,
        idempotency_key=idempotency_key,
    )
    db.add(wish)
    db.flush()
    db.add(WishEvent(wish_id=wish.id, kind="posted", at=now, actor_account_id=actor.id))
    db.flush()
    return wish_out(db, actor, wish.id), True


def claim(db: Session, wish_id: int, move: Move) -> tuple[dict[str, Any], bool]:
    wish = _lock(db, wish_id)
    require(db, move.actor, wish, "claim_wish")
    return _move(db, wish, move, "claimed", frm=("open",), to="claimed")


def release(db: Session, wish_id: int, move: Move) -> tuple[dict[str, Any], bool]:
    wish = _lock(db, wish_id)
    require(db, move.actor, wish, "release_wish")
    return _move(db, wish, move, "released", frm=("claimed",), to="open", own=True)


def confirm(db: Session, wish_id: int, move: Move) -> tuple[dict[str, Any], bool]:
    wish = _lock(db, wish_id)
    require(db, move.actor, wish, "confirm_wish")
    return _move(db, wish, move, "confirmed", frm=("fulfilled",), to="confirmed")


def withdraw(db: Session, wish_id: int, move: Move) -> tuple[dict[str, Any], bool]:
    wish = _lock(db, wish_id)
    require(db, move.actor, wish, "withdraw_wish")
    return _move(db, wish, move, "withdrawn", frm=("open", "claimed"), to="withdrawn")


def fulfil(
    db: Session, wish_id: int, move: Move, *, photo: bytes, media_dir: str
) -> tuple[dict[str, Any], bool]:
    """The claimant fulfils the wish with a photo; commits (see the module note)."""
    wish = _lock(db, wish_id)
    require(db, move.actor, wish, "fulfil_wish")
    replay = _opening(db, wish, move, frm=("claimed",), own=True)
    if replay is not None:
        return replay, False
    sha, content_type, path, created = store_file(photo, media_dir)
    try:
        _record(db, wish, move, "fulfilled", "fulfilled", photo=(sha, content_type))
        answer = wish_out(db, move.actor, wish.id)
        db.commit()
    except BaseException:
        db.rollback()
        if created:
            path.unlink(missing_ok=True)
        raise
    return answer, True


def _lock(db: Session, wish_id: int) -> Wish:
    wish = get_or_404(db, Wish, wish_id, what="micro-wish", where="wish_id", lock=True)
    return wish


def _move(
    db: Session,
    wish: Wish,
    move: Move,
    event: str,
    *,
    frm: tuple[str, ...],
    to: str,
    own: bool = False,
) -> tuple[dict[str, Any], bool]:
    replay = _opening(db, wish, move, frm=frm, own=own)
    if replay is not None:
        return replay, False
    _record(db, wish, move, event, to)
    return wish_out(db, move.actor, wish.id), True


def _opening(
    db: Session, wish: Wish, move: Move, *, frm: tuple[str, ...], own: bool
) -> dict[str, Any] | None:
    """After the permission: the retry's answer, or None once the version, the state and
    (for the claimant's moves) the claimant are checked."""
    if made_by_key(db, WishEvent.wish_id, move.idempotency_key) == wish.id:
        return wish_out(db, move.actor, wish.id)
    if move.expected_version is not None and move.expected_version != wish.version:
        raise PreconditionFailed(
            f"Micro-wish {wish.id} is at version {wish.version}, not {move.expected_version}:"
            " reload it.",
            where="If-Match",
        )
    if wish.state not in frm:
        raise Conflict(
            f"Micro-wish {wish.id} is {wish.state}; this needs it {' or '.join(frm)}.",
            where="state",
        )
    if own and wish.claimant_account_id != move.actor.id:
        raise Forbidden(
            f"Micro-wish {wish.id} was claimed by someone else: only they may do this.",
            where="Authorization",
        )
    return None


def _record(
    db: Session,
    wish: Wish,
    move: Move,
    event: str,
    to: str,
    *,
    photo: tuple[str, str] | None = None,
) -> None:
    now = clock.now()
    if to == "claimed":
        wish.claimant_account_id = move.actor.id
    elif to == "open":
        wish.claimant_account_id = None
    wish.state = to
    wish.version += 1
    db.add(
        WishEvent(
            wish_id=wish.id,
            kind=event,
            at=now,
            actor_account_id=move.actor.id,
            note=move.note,
            photo_sha256=photo[0] if photo else None,
            photo_content_type=photo[1] if photo else None,
            idempotency_key=move.idempotency_key,
        )
    )
    db.flush()
