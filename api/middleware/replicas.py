"""Read-your-writes with replicas: every write answered hands back the primary's WAL position.

With YISHITING_REPLICA_URLS set, an answer below 400 to a request that may write (any method
but GET, HEAD and OPTIONS) carries the primary's WAL insert position, read after the route
committed, as the header `Yst-Lsn` and the cookie `yst_lsn`. A browser sends the cookie back
with its next reads; an API client sends the header. A read that carries one is served by a
replica only once it has replayed that far (geo/core/replicas.py), so the writer sees their
write at once, and everyone else reads the replica without waiting. A refused request (4xx,
5xx) stored nothing and gets none. Without replicas nothing is added.
"""

from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.core.replicas import Reads, current_lsn
from geo.core.settings import Settings

LSN_HEADER = "Yst-Lsn"
LSN_COOKIE = "yst_lsn"
# Long enough for any replica that is not broken to replay a write; after that the cookie goes.
LSN_COOKIE_MAX_AGE = 600
READS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadYourWrites:
    """ASGI middleware adding the WAL position to the answers of writes (see the module)."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.secure = "; Secure" if settings.secure_cookies else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The app's reads, made when it started (api/app.py): none before, as in a test that
        # never started it.
        reads: Reads | None = getattr(scope["app"].state, "reads", None) if "app" in scope else None
        if (
            scope["type"] != "http"
            or scope["method"] in READS
            or reads is None
            or not reads.replicas
        ):
            await self.app(scope, receive, send)
            return
        primary = reads.primary

        async def mark(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                lsn = await run_in_threadpool(_lsn, primary)
                headers = MutableHeaders(scope=message)
                headers[LSN_HEADER] = lsn
                secure = self.secure or ("; Secure" if scope.get("scheme") == "https" else "")
                headers.append(
                    "Set-Cookie",
                    f"{LSN_COOKIE}={lsn}; Max-Age={LSN_COOKIE_MAX_AGE}; Path=/; HttpOnly;"
                    f" SameSite=Lax{secure}",
                )
            await send(message)

        await self.app(scope, receive, mark)


def _lsn(primary: ConnectionPool) -> str:
    with primary.connection() as conn:
        return current_lsn(conn)
