"""The audit trail of OGC edits: who edited a feature, when, and the feature before and after
(GeoJSON, CRS84), in `feature_edit`, written in the edit's own transaction."""

from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core import clock
from geo.core.errors import NotFound
from geo.models import Account
from geo.ogc.collection import Collection
from geo.ogc.edit_body import feature_id, layer_of


def record(
    conn: psycopg.Connection,
    c: Collection,
    fid: int,
    action: str,
    account: Account,
    before: dict[str, Any] | None,
    after: tuple[dict[str, Any], str] | None,
    idempotency_key: str | None = None,
) -> bool:
    """Append the edit to the feature's audit trail; False when the key was taken."""
    row = conn.execute(
        "INSERT INTO feature_edit (collection, feature_id, action, at, account_id, etag, before,"
        " after, idempotency_key) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        (
            c.id,
            fid,
            action,
            clock.now(),
            account.id,
            f'"{after[1]}"' if after else None,
            None if before is None else Jsonb(before),
            None if after is None else Jsonb(after[0]),
            idempotency_key,
        ),
    ).fetchone()
    return row is not None


_HISTORY = text(
    """
    SELECT e.id, e.action, e.at, e.etag, e.before, e.after,
           json_build_object('id', a.id, 'name', a.name, 'role', a.role) AS account
      FROM feature_edit e JOIN account a ON a.id = e.account_id
     WHERE e.collection = :collection AND e.feature_id = :feature
     ORDER BY e.id
    """
)


def history(session: Session, c: Collection, text_id: str) -> list[dict[str, Any]]:
    """Every edit of the feature, oldest first (also of a deleted one); NotFound for a feature
    that neither exists nor was ever edited, and for a layer not edited here (no trail)."""
    if not c.editable:
        raise NotFound(
            f"{c.id} is not edited here, so it keeps no audit trail.", where="collectionId"
        )
    layer = layer_of(c)
    fid = feature_id(text_id)
    rows = [
        dict(r) for r in session.execute(_HISTORY, {"collection": c.id, "feature": fid}).mappings()
    ]
    if not rows:  # the table's name comes from geo/io/layers.py, never from the request
        exists = session.execute(
            text(f"SELECT EXISTS (SELECT 1 FROM {layer.table} WHERE id = :id)"),
            {"id": fid},
        ).scalar()
        if not exists:
            raise NotFound(f"{c.id} has no feature {text_id!r}.", where="featureId")
    return rows
