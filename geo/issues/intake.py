"""Filing on a resident's behalf: staff record a matter that came by the 12345 hotline, a phone
call, a visit, a grid patrol or the council hall.

The issue is pinned and routed exactly as a resident's own (geo/issues/pinning.pin_issue): the
place comes from the map (a tap: lon/lat) or from the address the caller gave, found in the
district's names (geo/issues/addresses.py); the resident's name and phone go where a reporter's
do, private; the staff account is the `created` event's actor, with the channel. The resident
has no account, so they get the request's token (geo/issues/request_tokens.py), the same one an
anonymous filer gets, in a text message the staff copy into an SMS: it follows the matter and
rates its outcome at /maps/track. No SMS gateway: the desk sends it from its own phone.
"""

from typing import Any

from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core.errors import Unprocessable
from geo.issues import request_tokens
from geo.issues.addresses import Place, gazetteer
from geo.issues.pinning import Intake, pin_issue
from geo.models import Account

SMS_SIGNATURE = "【桥西区议事厅】"


def locate(session: Session, address: str) -> Place:
    """The place an address names; 422 on `address` when none (or several) fit."""
    match = gazetteer(session).find(address)
    if match.place is None:
        also = f" ({', '.join(match.candidates)})" if match.candidates else ""
        raise Unprocessable(f"{match.reason}{also}", where="address")
    return match.place


def file_on_behalf(
    session: Session,
    *,
    actor: Account,
    channel: str,
    category: str,
    description: str,
    severity: int,
    crs: str,
    lon: float | None,
    lat: float | None,
    x: float | None,
    y: float | None,
    address: str | None,
    reporter_name: str | None,
    reporter_phone: str | None,
    public_url: str,
    idempotency_key: str | None,
) -> tuple[dict[str, Any], bool]:
    """Pin and route a matter for a resident; (its body with the token and SMS text, replayed)."""
    require(session, actor, None, "file_on_behalf")
    tapped = any(v is not None for v in (lon, lat, x, y))
    if not tapped and not (address or "").strip():
        raise Unprocessable("请给出地址或在地图上点选位置 / give an address or a point on the "
                            "map.", where="address")  # fmt: skip
    located_by = "map"
    if not tapped:
        place = locate(session, address or "")
        crs, lon, lat, located_by = "wgs84", place.lon, place.lat, f"address: {place.label}"
    body, replayed = pin_issue(
        session, crs=crs, lon=lon, lat=lat, x=x, y=y, category=category,
        description=description, severity=severity, reporter_name=reporter_name,
        reporter_phone=reporter_phone, idempotency_key=idempotency_key,
        intake=Intake(recorder=actor, channel=channel, located_by=located_by),
    )  # fmt: skip
    return with_token(session, body, public_url), replayed


def with_token(session: Session, body: dict[str, Any], public_url: str) -> dict[str, Any]:
    """The body with the resident's token, tracking link and the SMS text to send them."""
    token = request_tokens.make(session, body["id"])
    link = f"{public_url.rstrip('/')}/maps/track?token={token}"
    sms = (
        f"{SMS_SIGNATURE}您反映的问题已登记, 编号 {body['id']}。"
        f"查看进展、办结后评价: {link} (请勿转发此链接)"
    )
    return body | {"token": token, "track_url": link, "sms": sms}
