"""Encoded vector tiles kept in the server process, and dropped the moment their rows change.

A map asks for the same tiles again and again (every viewer of the district, every pan back),
and encoding one costs PostGIS milliseconds that a kept one does not. A kept tile must never
outlive its rows, whoever changes them:

- Every table a tiled layer reads sends NOTIFY yst_tiles with its name when a transaction that
  changed it commits (migration 0028_tile_notices). `listen` hears the notices on a connection
  of its own, and no tile kept of a layer that reads the table is found again: writes by
  this process, another worker process, `yishiting import` or psql alike.
- A tile encoded while a change commits must not be kept where it would be found. Its key
  holds the layer's generation, read before the tile's statement starts, and every notice
  for the layer moves the generation on: a change whose notice came before the key committed
  before the statement's snapshot, so the tile shows it; after a later notice the key is no
  longer looked up, and the least recently used rule soon drops it.
- The listener sends a notice to itself every 15 s (YISHITING_TILE_NOTICE_BEAT). Until it
  first hears one, and whenever it has not heard one for two beats (its connection lost or
  hung, half-open, or through a pooler that does not pass notices), nothing is kept or served
  from here; everything kept before is dropped when it hears again, since notices may have
  been missed meanwhile.
- The tiles of a layer showing a state "as of today" (courtyards) are kept per district date,
  and only when the database's date agrees with the service's; those of a state at this
  instant (work items' percent done) are never kept.

Every process, the one that answered a write included, sees a change when its notice
arrives, within milliseconds of the commit. Nothing else drops tiles: not the answer to a
request (anyone could send one to empty every cache), since the notice already covers every
write.

The cache lives in the event loop: the tile route, the listener and the write hook all run
there, so it takes no lock. The tables are those a layer's plan shows; a table read only inside
a PL/pgSQL function (courtyards' `courtyard_status_on`) must be named in `sources` by hand.
"""

import asyncio
import itertools
import logging
from collections import OrderedDict
from collections.abc import Iterable
from datetime import date
from time import monotonic

import psycopg

from geo.core import clock
from geo.ogc.collection import Collection
from geo.ogc.tiles import Tile, tile_sources

log = logging.getLogger("yishiting.tiles")

CHANNEL = "yst_tiles"  # as migration 0028_tile_notices sends it
APPLICATION_NAME = "yishiting tile notices"
ECHO = "echo:"  # the listener's notices to itself: no table has such a name
# (epoch, layer, this process's generation or the layer's version, z, x, y, district date or None)
Key = tuple[int, str, int | str, int, int, int, date | None]
_ENTRY_BYTES = 450  # what a kept tile costs beyond its bytes: key, objects, ETag, dict slot


class TileCache:
    """Tiles by key, least recently used dropped first past `max_bytes`."""

    def __init__(self, collections: Iterable[Collection], max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0  # looked up while in use, not found (the route encodes those)
        self._heard = False
        self._heard_until = 0.0  # monotonic time the last echo vouches for
        self._tiles: OrderedDict[Key, Tile] = OrderedDict()
        self._bytes = 0
        self._epoch = 0  # moved on whenever everything is dropped
        self._generation: dict[str, int] = {}
        self._readers: dict[str, list[str]] = {}
        for c in collections:
            self._generation[c.id] = 0
            for table in tile_sources(c):
                self._readers.setdefault(table, []).append(c.id)

    @property
    def size(self) -> int:
        return self._bytes

    @property
    def live(self) -> bool:
        """Whether the listener heard itself lately: only then may tiles be kept and served."""
        return self._heard and monotonic() < self._heard_until

    def heard(self, for_s: float) -> None:
        """The listener heard its own notice: the cache may be used for `for_s` seconds more
        (starting afresh if it was out of use, since notices may have been missed)."""
        if not self.live:
            self.clear()
        self._heard = True
        self._heard_until = monotonic() + for_s

    def key(self, c: Collection, z: int, x: int, y: int) -> Key | None:
        """Where tile z/x/y of `c` is kept now; None when it may not be kept. Read it before
        the tile's statement starts, and `put` the tile there."""
        if not self.live or not self.max_bytes or c.tile_clock == "time":
            return None
        day = clock.today() if c.tile_clock == "day" else None
        return (self._epoch, c.id, self._generation[c.id], z, x, y, day)

    def versioned_key(self, c: Collection, version: str, z: int, x: int, y: int) -> Key | None:
        """Where tile z/x/y of `c` at a version (migration 0036_scale) is kept: its content is
        fixed by the version, so it needs no notice to stay true; None when nothing is kept."""
        if not self.max_bytes or c.tile_clock == "time":
            return None
        return (self._epoch, c.id, version, z, x, y, None)

    def get(self, key: Key | None) -> Tile | None:
        found = self._tiles.get(key) if key is not None else None
        if found is not None:
            self._tiles.move_to_end(key)  # type: ignore[arg-type]
            self.hits += 1
        else:
            self.misses += 1
        return found

    def put(self, key: Key | None, tile: Tile) -> None:
        # A tile of another district date than the key's (the database's clock and the
        # service's disagree around midnight) is not kept.
        if key is None or key[0] != self._epoch:
            return
        if isinstance(key[2], str):  # at a version: only the tile read at that version
            if tile.version != key[2]:
                return
        elif not self.live or tile.day != key[-1]:
            return
        old = self._tiles.pop(key, None)
        if old is not None:
            self._bytes -= len(old.data) + _ENTRY_BYTES
        self._tiles[key] = tile
        self._bytes += len(tile.data) + _ENTRY_BYTES
        while self._bytes > self.max_bytes and self._tiles:
            _, dropped = self._tiles.popitem(last=False)
            self._bytes -= len(dropped.data) + _ENTRY_BYTES

    def changed(self, table: str) -> None:
        """A notice: `table` changed, so no tile kept of a layer reading it is found again."""
        for cid in self._readers.get(table, ()):
            self._generation[cid] += 1

    def clear(self) -> None:
        """Drops every tile, and every tile being encoded now."""
        self._epoch += 1
        self._tiles.clear()
        self._bytes = 0

    def suspend(self) -> None:
        self._heard = False
        self.clear()


async def listen(dsn: str, cache: TileCache, beat_s: float = 15.0, retry_s: float = 0.25) -> None:
    """Hears the tile notices until cancelled. Every `beat_s` seconds the listener sends a
    notice to itself; the cache is used from the first that comes back, and when one does not
    come back within `beat_s` the connection is given up and made again, every `retry_s` until
    it connects: tried often, so that the cache is back within moments of a restarted server
    (a refused connection costs nothing), and the loss logged once until heard again.

    Each `notifies` generator runs to its timeout: one left early would drop the rest of the
    notices that arrived with the one it stopped at.
    """
    beats = itertools.count()
    logged = False  # the loss was logged and not heard again since
    while True:
        conn = None
        try:
            conn = await psycopg.AsyncConnection.connect(
                dsn, autocommit=True, application_name=APPLICATION_NAME
            )
            await conn.execute(f"LISTEN {CHANNEL}")
            while True:
                echo: str | None = f"{ECHO}{next(beats)}"
                async with asyncio.timeout(beat_s):  # a hung server answers nothing
                    await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, echo))
                async for notice in conn.notifies(timeout=beat_s):
                    if notice.payload == echo:
                        echo = None
                        cache.heard(2 * beat_s)  # until the echo after next is overdue
                        logged = False
                    else:
                        cache.changed(notice.payload)
                if echo is not None:
                    raise TimeoutError(f"no notice came back within {beat_s} s")
        except Exception as exc:  # whatever it was, tiles are not kept until heard again
            if not logged:
                log.warning("tile notices lost (%r); no tile is kept until they are back", exc)
                logged = True
        finally:
            cache.suspend()
            if conn is not None:
                # Closed, never rolled back (as `async with` would): a hung server would
                # keep the listener waiting for its answer.
                await conn.close()
        await asyncio.sleep(retry_s)
