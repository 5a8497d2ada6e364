"""Typed settings read from the environment."""

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/yishiting"
METRICS_TOKEN_MIN = 16


class Settings(BaseSettings):
    """Service settings; every field can be set as an environment variable."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    database_url: str = Field(DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    pool_min_size: int = Field(2, alias="YISHITING_POOL_MIN")
    pool_max_size: int = Field(10, alias="YISHITING_POOL_MAX")
    media_dir: str = Field("var/media", alias="YISHITING_MEDIA_DIR")
    # Base map for the web maps: "osm", "tianditu" (needs a key) or "none".
    basemap: str = Field("osm", alias="YISHITING_BASEMAP")
    tianditu_key: str = Field("", alias="YISHITING_TIANDITU_KEY")
    # How often the running service escalates overdue issues; 0 turns it off.
    escalate_every_s: float = Field(900, alias="YISHITING_ESCALATE_EVERY")
    # Where people reach the service; sign-in links printed by the CLI start with it.
    public_url: str = Field("http://127.0.0.1:8000", alias="YISHITING_PUBLIC_URL")
    # Browser sessions end after this long without a request, and at the latest after max.
    session_idle_s: int = Field(8 * 3600, alias="YISHITING_SESSION_IDLE")
    session_max_s: int = Field(7 * 86400, alias="YISHITING_SESSION_MAX")
    # Mark cookies Secure even on plain http (set it behind a TLS-terminating proxy).
    secure_cookies: bool = Field(False, alias="YISHITING_SECURE_COOKIES")
    # Sign-in lockout: this many failures within the window lock the username (or, with the
    # larger number, the client address) for lockout seconds.
    signin_max_failures: int = Field(5, alias="YISHITING_SIGNIN_MAX_FAILURES")
    signin_client_max_failures: int = Field(20, alias="YISHITING_SIGNIN_CLIENT_MAX_FAILURES")
    signin_window_s: int = Field(900, alias="YISHITING_SIGNIN_WINDOW")
    signin_lockout_s: int = Field(900, alias="YISHITING_SIGNIN_LOCKOUT")
    # One-time sign-in links printed by `yishiting users add` / `users reset` last this long.
    signin_link_ttl_s: int = Field(86400, alias="YISHITING_SIGNIN_LINK_TTL")
    # Largest survey file the upload accepts (MB); larger ones go through `yishiting import`.
    import_max_mb: float = Field(200, alias="YISHITING_IMPORT_MAX_MB")
    # The key backup archives are signed with and restores check (geo/core/backup.py); keep it
    # apart from the archives. Empty: backups are unsigned and restore needs --trust-unsigned.
    backup_key: str = Field("", alias="YISHITING_BACKUP_KEY")
    # Zipped survey files (geo/io/archives.py), checked before and while they are unpacked:
    # most MB unpacked in all, most members, and the largest compression ratio of a member.
    zip_max_mb: float = Field(2000, gt=0, alias="YISHITING_ZIP_MAX_MB")
    zip_max_members: int = Field(200, ge=1, alias="YISHITING_ZIP_MAX_MEMBERS")
    zip_max_ratio: float = Field(200, gt=1, alias="YISHITING_ZIP_MAX_RATIO")
    # Days a bearer token works after it is issued (users add, users rotate).
    token_days: int = Field(180, ge=1, alias="YISHITING_TOKEN_DAYS")
    # Escalation waits for the owning hall's next session plus this many days (to record it).
    hall_grace_days: float = Field(1, ge=0, alias="YISHITING_HALL_GRACE_DAYS")
    # The dispute (退单) of an issue, counted since its last arbitration, that sends it to the
    # sub-district for arbitration instead of back to the level above.
    disputes_to_arbitration: int = Field(2, ge=1, le=20, alias="YISHITING_DISPUTES_TO_ARBITRATION")
    # Reverse proxies whose X-Forwarded-For is believed: comma-separated CIDRs or addresses.
    trusted_proxies: str = Field("", alias="YISHITING_TRUSTED_PROXIES")
    # Anonymous pins, supports and photo uploads per client: a burst, then so many a minute.
    anon_burst: float = Field(20, gt=0, alias="YISHITING_ANON_BURST")
    anon_per_minute: float = Field(20, gt=0, alias="YISHITING_ANON_PER_MINUTE")

    # statement_timeout (seconds) of every database connection the service holds (the ORM's
    # and the pool's): a statement running longer is cancelled and answered 503, so no request
    # holds a connection for minutes. The OGC feature and tile reads get the shorter one, the
    # survey upload and the layer exports the longer one (geo/core/db.py).
    statement_timeout_s: float = Field(30, gt=0, alias="YISHITING_STATEMENT_TIMEOUT")
    ogc_statement_timeout_s: float = Field(10, gt=0, alias="YISHITING_OGC_STATEMENT_TIMEOUT")
    long_statement_timeout_s: float = Field(300, gt=0, alias="YISHITING_LONG_STATEMENT_TIMEOUT")

    # Prometheus metrics at /metrics (api/middleware/metrics.py): off unless "on", and then answered
    # only to a request carrying `Authorization: Bearer <YISHITING_METRICS_TOKEN>`.
    metrics: bool = Field(False, alias="YISHITING_METRICS")
    metrics_token: str = Field("", alias="YISHITING_METRICS_TOKEN")
    # "text" (uvicorn's lines) or "json": one JSON object a line, access lines included.
    log_format: Literal["text", "json"] = Field("text", alias="YISHITING_LOG_FORMAT")

    # Read-only streaming replicas (space-separated SQLAlchemy URLs; geo/core/replicas.py): OGC
    # items and tiles, the map pages and scorecards read there; writes, LISTEN and the rest use
    # DATABASE_URL. A read after the client's own write waits at most replica_wait_s for a
    # replica to replay it, then reads on the primary.
    replica_urls: Annotated[list[str], NoDecode] = Field([], alias="YISHITING_REPLICA_URLS")
    replica_wait_s: float = Field(0.5, ge=0, le=30, alias="YISHITING_REPLICA_WAIT")

    @field_validator("replica_urls", mode="before")
    @classmethod
    def _space_separated(cls, value: Any) -> Any:
        # Not commas: a multi-host URL (host1:5432,host2:5432) holds them.
        return value.split() if isinstance(value, str) else value

    # Encoded vector tiles each server process keeps (geo/ogc/tile_cache.py), in MB; 0: none.
    tile_cache_mb: float = Field(64, ge=0, alias="YISHITING_TILE_CACHE_MB")
    # Most features one vector tile is encoded from (geo/ogc/tiles.py): a tile over more rows
    # than this carries this many of them.
    tile_max_features: int = Field(10000, ge=1, alias="YISHITING_TILE_MAX_FEATURES")
    # How often its listener checks that it still hears PostgreSQL's notices (seconds).
    tile_notice_beat_s: float = Field(15, gt=0, alias="YISHITING_TILE_NOTICE_BEAT")

    # Webhook deliveries (geo/notices/delivery.py): how often the worker inside `serve` looks
    # for due rows (0: none inside serve; run `yishiting notify-worker`), the HTTP timeout, the
    # lease a claimed row is held for (longer than the timeout), attempts before giving up, and
    # the backoff: base seconds, doubling per failed attempt, capped.
    notify_every_s: float = Field(2, ge=0, alias="YISHITING_NOTIFY_EVERY")
    notify_timeout_s: float = Field(10, gt=0, alias="YISHITING_NOTIFY_TIMEOUT")
    notify_lease_s: float = Field(60, gt=0, alias="YISHITING_NOTIFY_LEASE")
    notify_max_attempts: int = Field(12, ge=1, alias="YISHITING_NOTIFY_MAX_ATTEMPTS")
    notify_backoff_s: float = Field(30, ge=0, alias="YISHITING_NOTIFY_BACKOFF")
    notify_backoff_max_s: float = Field(3600, ge=0, alias="YISHITING_NOTIFY_BACKOFF_MAX")
    # WeCom and DingTalk robots take 20 messages a minute: one every 3 seconds per robot.
    notify_robot_interval_s: float = Field(3, ge=0, alias="YISHITING_NOTIFY_ROBOT_INTERVAL")
    # Non-public webhook destinations allowed anyway (an intranet WeCom): comma-separated CIDRs,
    # addresses or host names. Empty: private, loopback and link-local addresses are refused.
    webhook_allow_private: str = Field("", alias="YISHITING_WEBHOOK_ALLOW_PRIVATE")

    @field_validator("webhook_allow_private")
    @classmethod
    def _allow_private(cls, value: str) -> str:
        from geo.notices.webhooks import Allowed

        Allowed.parse(value)
        return value

    @model_validator(mode="after")
    def _lease_outlasts_timeout(self) -> "Settings":
        if self.notify_lease_s <= self.notify_timeout_s:
            raise ValueError(
                "YISHITING_NOTIFY_LEASE must be longer than YISHITING_NOTIFY_TIMEOUT: a send "
                "still in flight when its lease ends could be sent again by another worker"
            )
        return self

    @model_validator(mode="after")
    def _metrics_need_a_token(self) -> "Settings":
        if self.metrics and len(self.metrics_token) < METRICS_TOKEN_MIN:
            raise ValueError(
                f"YISHITING_METRICS=on needs YISHITING_METRICS_TOKEN of at least "
                f"{METRICS_TOKEN_MIN} characters: /metrics is never open to anyone"
            )
        return self

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        _parse_networks(value)
        return value

    @property
    def proxy_networks(self) -> list[IPv4Network | IPv6Network]:
        return _parse_networks(self.trusted_proxies)

    # Largest request body in bytes: JSON and forms, and multipart uploads (a photo of at
    # most 5 MB with its envelope). Larger bodies are refused (413) before they are read.
    max_body_bytes: int = Field(1024 * 1024, alias="YISHITING_MAX_BODY_BYTES", ge=1024)
    # Origins allowed to call the API from a browser (CORS), comma-separated; none by default.
    cors_origins: Annotated[list[str], NoDecode] = Field([], alias="YISHITING_CORS_ORIGINS")
    max_upload_bytes: int = Field(6 * 1024 * 1024, alias="YISHITING_MAX_UPLOAD_BYTES", ge=1024)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def libpq_url(self) -> str:
        """The same URL in the form psycopg itself accepts. SQLAlchemy names the hosts of a
        multi-host URL (a primary and its standbys, with target_session_attrs=read-write:
        docs/scaling.md) as `?host=h1:p1&host=h2:p2`; libpq as `h1:p1,h2:p2`."""
        url = make_url(self.database_url)
        hosts = url.query.get("host")
        if not isinstance(hosts, tuple):
            return self.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        auth = ""
        if url.username:
            password = f":{quote(url.password, safe='')}" if url.password else ""
            auth = f"{quote(url.username, safe='')}{password}@"
        query = urlencode({k: v for k, v in url.query.items() if k != "host"}, doseq=True)
        return f"postgresql://{auth}{','.join(hosts)}/{url.database or ''}" + (
            f"?{query}" if query else ""
        )


def _parse_networks(text: str) -> list[IPv4Network | IPv6Network]:
    networks = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            networks.append(ip_network(part, strict=False))
        except ValueError:
            raise ValueError(
                f"YISHITING_TRUSTED_PROXIES: {part!r} is not an IP address or network (CIDR)"
            ) from None
    return networks


@lru_cache
def get_settings() -> Settings:
    return Settings()
