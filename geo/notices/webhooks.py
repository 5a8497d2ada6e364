"""Webhooks per department or community, as admins configure them (API and CLI).

A webhook is a URL in one of three formats (geo/notices/formats.py): `generic` signed JSON,
`wecom` (企业微信 group robot) or `dingtalk` (钉钉 group robot). The URL must be http(s) with a
host and must not point at this service itself (the public URL or the address the request came
to): a loop would post notices to our own API. Nor may it reach a non-public address (private,
loopback, link-local such as the cloud metadata 169.254.169.254, unique-local IPv6), given as
an address or as a name resolving to one, unless YISHITING_WEBHOOK_ALLOW_PRIVATE lists it (an
intranet WeCom deployment): the worker would post into the internal network for whoever may add
a webhook. Anything wrong is 422 and nothing is stored. A name that does not resolve now is
accepted; the worker checks the address again at every send (`destination`), since a name can
be pointed elsewhere later (DNS rebinding), and connects to the address it checked.

Secrets are kept as given (signing needs them) and never shown again: a generic webhook
without one gets a random one, answered once. Listings mask the URL's password and query (the
robots' key or access_token live there). Removing a webhook keeps its history and cancels what
is unsent.
"""

import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core.errors import NotFound, Unprocessable
from geo.models.notices import MSGTYPES, NOTICE_KINDS, WEBHOOK_FORMATS

MAX_URL = 2000
SECRET_PREFIX = "whsec_"


def _endpoint(url: str) -> tuple[str, int]:
    """(host, port) of a URL, every loopback name and address counted as one host."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    ip = _address(host)
    if ip is None:
        loopback = host in ("localhost", "localhost.localdomain", "ip6-localhost")
    else:
        loopback = ip.is_loopback or ip.is_unspecified
    return ("loopback" if loopback else host), port


def _address(host: str) -> IPv4Address | IPv6Address | None:
    """The IP address a host names as the sender's resolver reads it, None for a name: the
    shortened and one-number IPv4 forms (127.1, 2130706433) too, and IPv4-mapped IPv6 as IPv4."""
    try:
        ip = ip_address(host)
    except ValueError:
        try:
            ip = IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


IP = IPv4Address | IPv6Address


@dataclass(frozen=True)
class Allowed:
    """Non-public destinations allowed anyway (YISHITING_WEBHOOK_ALLOW_PRIVATE): networks, and
    host names whatever they resolve to."""

    networks: tuple[IPv4Network | IPv6Network, ...] = ()
    names: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str) -> "Allowed":
        networks, names = [], set()
        for part in filter(None, (p.strip().lower().rstrip(".") for p in text.split(","))):
            try:
                networks.append(ip_network(part, strict=False))
            except ValueError:
                if "/" in part or not all(c.isalnum() or c in "-._" for c in part):
                    raise ValueError(
                        f"YISHITING_WEBHOOK_ALLOW_PRIVATE: {part!r} is not an address, network"
                        " (CIDR) or host name"
                    ) from None
                names.add(part)
        return cls(tuple(networks), frozenset(names))

    def admits(self, host: str, ip: IP) -> bool:
        if ip.is_global and not ip.is_multicast:
            return True
        return host in self.names or any(ip in n for n in self.networks)


def resolve(host: str, port: int) -> list[IP]:
    """The addresses a host name resolves to (the seam tests replace); OSError when none."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found = [_address(str(info[4][0]).partition("%")[0]) for info in infos]
    return list(dict.fromkeys(ip for ip in found if ip is not None))


class Refused(Exception):
    """The destination is not a public address and is not allowed."""


def destination(url: str, allowed: Allowed) -> IP:
    """The one address to connect to for a URL: its host resolved once, every address it
    resolves to checked (OSError when it does not resolve, Refused when one is not allowed)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    literal = _address(host)
    ips = [literal] if literal is not None else resolve(host, parts.port or 0)
    if not ips:
        raise OSError(f"{host} resolves to no address")
    for ip in ips:
        if not allowed.admits(host, ip):
            shown = host if literal is not None else f"{host} resolves to {ip}, which"
            raise Refused(
                f"{shown} is not public (private, loopback, link-local or reserved); list it in"
                " YISHITING_WEBHOOK_ALLOW_PRIVATE to allow it"
            )
    return ips[0]


def check_url(url: str, *, service_urls: Iterable[str], allow_private: str = "") -> str:
    """The URL stripped, when it is http(s) with a host, is not this service and does not
    reach a non-public address that is not allowed; else 422."""
    clean = url.strip()
    if not clean or len(clean) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in clean):
        raise Unprocessable(f"A webhook URL has 1 to {MAX_URL} characters, no spaces.", where="url")
    try:
        parts = urlsplit(clean)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError as exc:
        raise Unprocessable(f"Not a URL: {exc}.", where="url") from None
    if parts.scheme not in ("http", "https"):
        raise Unprocessable(
            f"只接受 http 或 https 地址 (a webhook URL is http or https, not {parts.scheme!r}).",
            where="url",
        )
    if not parts.hostname:
        raise Unprocessable("The webhook URL has no host.", where="url")
    mine = {_endpoint(u) for u in service_urls if u}
    if _endpoint(clean) in mine:
        raise Unprocessable(
            "这个地址指向本系统自己 (the webhook URL points at this service itself): "
            "notices would be posted back to our own API.",
            where="url",
        )
    try:
        destination(clean, Allowed.parse(allow_private))
    except Refused as exc:
        raise Unprocessable(
            f"不接受内网地址 (the webhook URL reaches a non-public address): {exc}.", where="url"
        ) from None
    except (OSError, UnicodeError):
        pass  # not resolvable now: the worker checks again at each send
    return clean


def mask(url: str) -> str:
    """The URL with its password and query values hidden (a receiver's basic auth, robot keys
    and tokens live there)."""
    parts = urlsplit(url)
    query = urlencode([(k, "***") for k, _ in parse_qsl(parts.query, keep_blank_values=True)])
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}:***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def add_webhook(
    session: Session,
    *,
    name: str,
    url: str,
    format: str,
    department_id: int | None = None,
    community_id: int | None = None,
    msgtype: str = "markdown",
    secret: str | None = None,
    kinds: list[str] | None = None,
    created_by: int | None = None,
    service_urls: Iterable[str] = (),
    allow_private: str = "",
) -> dict[str, Any]:
    """Store a webhook; the answer carries its secret once (a generic webhook's is made here)."""
    clean_name = name.strip()
    if not 1 <= len(clean_name) <= 64:
        raise Unprocessable("A webhook needs a name of 1 to 64 characters.", where="name")
    if format not in WEBHOOK_FORMATS:
        raise Unprocessable(f"format is one of {', '.join(WEBHOOK_FORMATS)}.", where="format")
    if msgtype not in MSGTYPES:
        raise Unprocessable(f"msgtype is one of {', '.join(MSGTYPES)}.", where="msgtype")
    clean_url = check_url(url, service_urls=service_urls, allow_private=allow_private)
    if (department_id is None) == (community_id is None):
        raise Unprocessable(
            "A webhook belongs to one department or one community (not both, not neither).",
            where="department_id",
        )
    for table, ident, where in (("department", department_id, "department_id"),
                                ("community", community_id, "community_id")):  # fmt: skip
        found = (
            ident is None
            or session.execute(text(f"SELECT 1 FROM {table} WHERE id = :id"), {"id": ident}).first()
        )
        if not found:
            raise Unprocessable(f"No {table} {ident}.", where=where)
    unknown = sorted(set(kinds or ()) - set(NOTICE_KINDS))
    if unknown:
        raise Unprocessable(
            f"Unknown kinds {', '.join(unknown)}; known: {', '.join(NOTICE_KINDS)}.", where="kinds"
        )
    secret = (secret or "").strip() or None
    if format == "wecom" and secret:
        raise Unprocessable(
            "企业微信群机器人没有签名密钥, 密钥 (key) 在地址里 "
            "(a WeCom robot has no signing secret; its key is in the URL).",
            where="secret",
        )
    if format == "generic" and secret is None:
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    ident = session.execute(
        text(
            """
            INSERT INTO webhook (name, department_id, community_id, url, format, msgtype,
                                 secret, kinds, created_by)
            VALUES (:name, :dept, :comm, :url, :format, :msgtype, :secret, :kinds, :by)
            RETURNING id
            """
        ),
        {"name": clean_name, "dept": department_id, "comm": community_id, "url": clean_url,
         "format": format, "msgtype": msgtype, "secret": secret,
         "kinds": sorted(set(kinds)) if kinds else None, "by": created_by},
    ).scalar_one()  # fmt: skip
    return get_webhook(session, ident) | {"secret": secret}


_LIST = """
    SELECT w.id, w.name, w.url, w.format, w.msgtype, w.kinds, w.secret IS NOT NULL AS has_secret,
           CASE WHEN w.department_id IS NOT NULL
                THEN json_build_object('kind', 'department', 'id', d.id, 'name', d.name)
                ELSE json_build_object('kind', 'community', 'id', c.id, 'name', c.name) END
             AS owner,
           w.created_at, w.removed_at,
           (SELECT json_object_agg(s.state, s.n) FROM (
               SELECT state, count(*) AS n FROM webhook_delivery
                WHERE webhook_id = w.id GROUP BY state) s) AS deliveries,
           (SELECT json_build_object('at', a.at, 'status', a.status, 'error', a.error)
              FROM webhook_attempt a JOIN webhook_delivery x ON x.id = a.delivery_id
             WHERE x.webhook_id = w.id AND (a.error IS NOT NULL OR a.status >= 300)
             ORDER BY a.at DESC LIMIT 1) AS last_failure
      FROM webhook w
      LEFT JOIN department d ON d.id = w.department_id
      LEFT JOIN community c ON c.id = w.community_id
"""


def _public(row: Any) -> dict[str, Any]:
    out = dict(row)
    out["url"] = mask(out["url"])
    out["deliveries"] = out["deliveries"] or {}
    return out


def get_webhook(session: Session, webhook_id: int) -> dict[str, Any]:
    row = session.execute(text(_LIST + " WHERE w.id = :id"), {"id": webhook_id}).mappings().first()
    if row is None:
        raise NotFound(f"No webhook {webhook_id}.", where="webhook_id")
    return _public(row)


def list_webhooks(session: Session) -> list[dict[str, Any]]:
    """The webhooks not removed, with their deliveries by state and the last failure."""
    rows = session.execute(text(_LIST + " WHERE w.removed_at IS NULL ORDER BY w.id")).mappings()
    return [_public(r) for r in rows]


def remove_webhook(session: Session, webhook_id: int) -> dict[str, Any]:
    """Stop a webhook: its history stays, what it has not sent yet is cancelled."""
    done = session.execute(
        text(
            "UPDATE webhook SET removed_at = now() WHERE id = :id AND removed_at IS NULL"
            " RETURNING id"
        ),
        {"id": webhook_id},
    ).scalar()
    if done is None:
        raise NotFound(f"No webhook {webhook_id} (or it is removed already).", where="webhook_id")
    session.execute(
        text(
            "UPDATE webhook_delivery SET state = 'cancelled', lease_token = NULL,"
            " lease_until = NULL WHERE webhook_id = :id AND state = 'pending'"
        ),
        {"id": webhook_id},
    )
    return get_webhook(session, webhook_id)


def deliveries(session: Session, webhook_id: int, *, limit: int = 50) -> list[dict[str, Any]]:
    """A webhook's latest deliveries with their attempts (for finding out why one failed)."""
    get_webhook(session, webhook_id)
    rows = session.execute(
        text(
            """
            SELECT d.id, d.kind, d.issue_id, d.event_id, d.alert_id, d.state, d.attempts,
                   d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.delivered_at,
                   COALESCE((SELECT json_agg(json_build_object('at', a.at, 'status', a.status,
                                                               'error', a.error, 'ms', a.ms)
                                             ORDER BY a.at)
                               FROM webhook_attempt a WHERE a.delivery_id = d.id), '[]')
                     AS tries
              FROM webhook_delivery d WHERE d.webhook_id = :id
             ORDER BY d.created_at DESC LIMIT :limit
            """
        ),
        {"id": webhook_id, "limit": limit},
    ).mappings()
    return [dict(r) for r in rows]
