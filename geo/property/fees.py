"""Fee standards (收费标准公开): per compound and period, each item's unit and price. The firm
serving the compound now (or an admin) adds items and corrects them at the version it saw.
The public page shows the period in force today (the latest one started by today)."""

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core.db import get_or_404
from geo.core.errors import Conflict, PreconditionFailed, Unprocessable
from geo.core.idempotency import made_by_key
from geo.models import Account, Compound, PropertyFee

_FEES = text(
    """
    SELECT json_build_object('id', f.id, 'compound_id', f.compound_id, 'item', f.item,
           'unit', f.unit, 'price', f.price::text, 'period_start', f.period_start,
           'period_end', f.period_end, 'version', f.version)
      FROM property_fee f
     WHERE f.compound_id = :compound AND (CAST(:id AS integer) IS NULL OR f.id = :id)
     ORDER BY f.period_start DESC, f.id
    """
)


def fees(session: Session, compound_id: int, fee_id: int | None = None) -> list[dict[str, Any]]:
    """The compound's fee standards, every period, newest first."""
    return list(session.execute(_FEES, {"compound": compound_id, "id": fee_id}).scalars())


def _check(period_start: date, period_end: date, price: Decimal) -> None:
    if period_end < period_start:
        raise Unprocessable("period_end comes before period_start.", where="period_end")
    if price < 0 or price >= Decimal("1e8"):
        raise Unprocessable("price must be 0 or more, below 100,000,000.", where="price")


def _taken(compound_id: int, period_start: date, item: str) -> Select[Any]:
    return select(PropertyFee.id).where(
        PropertyFee.compound_id == compound_id,
        PropertyFee.period_start == period_start,
        PropertyFee.item == item,
    )


def add_fee(
    session: Session,
    actor: Account,
    compound_id: int,
    *,
    item: str,
    unit: str,
    price: Decimal,
    period_start: date,
    period_end: date,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """A fee standard of the compound for a period (nothing committed); (fee, created)."""
    done = made_by_key(session, PropertyFee, idempotency_key)
    if done is not None:
        return fees(session, done.compound_id, done.id)[0], False
    compound = get_or_404(session, Compound, compound_id, what="compound", where="compound_id")
    require(session, actor, compound, "publish_property")
    _check(period_start, period_end, price)
    item = item.strip()
    if session.scalar(_taken(compound_id, period_start, item)) is not None:
        raise Conflict(
            f"{item} already has a standard from {period_start}: correct that one (PATCH).",
            where="item",
        )
    fee = PropertyFee(
        compound_id=compound_id, item=item, unit=unit.strip(), price=price,
        period_start=period_start, period_end=period_end, idempotency_key=idempotency_key,
    )  # fmt: skip
    session.add(fee)
    session.flush()
    return fees(session, compound_id, fee.id)[0], True


def update_fee(
    session: Session, actor: Account, fee_id: int, *, expected: int | None, changes: dict
) -> tuple[dict[str, Any], bool]:
    """Correct a fee standard at the version the client saw (412 otherwise); (fee, changed).
    A retry (the same change again, at the version it was made at) finds the fee at the very
    next version holding what it asks: the fee as it is is its answer, not a 412."""
    fee = get_or_404(session, PropertyFee, fee_id, what="fee standard", where="fee_id", lock=True)
    require(session, actor, session.get(Compound, fee.compound_id), "publish_property")
    changes = {k: v.strip() if isinstance(v, str) else v for k, v in changes.items()
               if v is not None}  # fmt: skip
    if expected is not None and fee.version != expected:
        # an empty change would "match" any fee: only a real change can be a retry
        replayed = changes and all(getattr(fee, k) == v for k, v in changes.items())
        if fee.version == expected + 1 and replayed:
            return fees(session, fee.compound_id, fee.id)[0], False
        raise PreconditionFailed(
            f"fee standard {fee_id} is at version {fee.version}, not {expected}; read it again",
            where="If-Match",
            current_version=fee.version,
        )
    start, item = changes.get("period_start", fee.period_start), changes.get("item", fee.item)
    _check(start, changes.get("period_end", fee.period_end), changes.get("price", fee.price))
    if session.scalar(_taken(fee.compound_id, start, item).where(PropertyFee.id != fee_id)):
        raise Conflict(f"{item} already has a standard from {start}.", where="item")
    for key, value in changes.items():
        setattr(fee, key, value)
    fee.version += 1
    session.flush()
    return fees(session, fee.compound_id, fee.id)[0], True
