"""Encoded vector tiles kept in the server process, and dropped the moment their rows change.

A map asks for the same tiles again and again (every viewer of the district, every pan back),
and encoding one costs PostGIS milliseconds that a kept one does not. A kept tile must never
outlive its rows, whoever changes them:

- Every table a tiled layer reads sends NOTIFY yst_tiles with its name when a transaction that
  changed it commits (migration 0024_tile_notices). `listen` hears the notices on a connection
  of its own and drops the layers that read that table: writes by this process, another
  worker process, `yishiting import` or psql alike.
- A tile being encoded while a change commits must not be kept. `ticket` is read before the
  tile's statement starts and `put` keeps the tile only if no notice came in between. A change
  whose notice came before the ticket committed before the statement's snapshot, so the tile
  shows it; a notice after the ticket makes `put` refuse the tile, or drops it if it is kept
  already. Either way nothing older than the notice survives it.
- Until the listener has connected, and whenever its connection is lost, nothing is kept or
  served from here; everything kept before is dropped when it is back (notices sent meanwhile
  are lost).
- The tiles of a layer showing a state "as of today" (courtyards) are kept per district date;
  those of a state at this instant (work items' percent done) are never kept.

Another process sees a change when its notice arrives, within milliseconds of the commit; the
process that answered the write drops its tiles before the answer goes out (api/ogc_tiles.py),
so that client's next tile is fresh in any case.

The cache lives in the event loop: the tile route, the listener and the write hook all run
there, so it takes no lock.
"""

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Iterable
from datetime import date

import psycopg

from geo import clock
from geo.ogc.engine import Collection
from geo.ogc.tiles import Tile

log = logging.getLogger("yishiting.tiles")

CHANNEL = "yst_tiles"  # as migration 0024_tile_notices sends it
APPLICATION_NAME = "yishiting tile notices"
Key = tuple[str, int, int, int, date | None]
Ticket = tuple[int, int]
_ENTRY_BYTES = 200  # what a kept tile costs beyond its bytes: key, object, ETag


def tile_sources(c: Collection) -> tuple[str, ...]:
    """The tables a layer's tiles are read from: its table and joins, or what `sources` says."""
    return c.sources or (c.table, *(j.table for j in c.joins))


class TileCache:
    """Tiles by (layer, z, x, y, day), least recently used dropped first past `max_bytes`."""

    def __init__(self, collections: Iterable[Collection], max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.live = False  # True while the listener hears every notice
        self.hits = self.misses = 0
        self._tiles: OrderedDict[Key, Tile] = OrderedDict()
        self._bytes = 0
        self._epoch = 0  # bumped whenever everything is dropped
        self._generation: dict[str, int] = {}
        self._clock: dict[str, str] = {}
        self._readers: dict[str, list[str]] = {}
        for c in collections:
            self._generation[c.id] = 0
            self._clock[c.id] = c.tile_clock
            for table in tile_sources(c):
                self._readers.setdefault(table, []).append(c.id)

    @property
    def size(self) -> int:
        return self._bytes

    def key(self, c: Collection, z: int, x: int, y: int) -> Key | None:
        """Where tile z/x/y of `c` is kept; None when it may not be kept now."""
        if not self.live or not self.max_bytes or c.tile_clock == "time":
            return None
        return (c.id, z, x, y, clock.today() if c.tile_clock == "day" else None)

    def get(self, key: Key | None) -> Tile | None:
        found = self._tiles.get(key) if key is not None else None
        if found is None:
            self.misses += 1
            return None
        self._tiles.move_to_end(key)  # type: ignore[arg-type]
        self.hits += 1
        return found

    def ticket(self, key: Key | None) -> Ticket | None:
        """Read before the tile's statement starts; `put` compares it."""
        return None if key is None else (self._epoch, self._generation[key[0]])

    def put(self, key: Key | None, tile: Tile, ticket: Ticket | None) -> None:
        """Keeps the tile unless a notice for its layer came in since `ticket`."""
        if key is None or ticket != self.ticket(key) or not self.live:
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
        """A notice: `table` changed, so drop the tiles of every layer reading it."""
        for cid in self._readers.get(table, ()):
            self._generation[cid] += 1
            for key in [k for k in self._tiles if k[0] == cid]:
                self._bytes -= len(self._tiles.pop(key).data) + _ENTRY_BYTES

    def clear(self) -> None:
        """Drops every tile, and every tile being encoded now."""
        self._epoch += 1
        self._tiles.clear()
        self._bytes = 0

    def resume(self) -> None:
        self.clear()
        self.live = True

    def suspend(self) -> None:
        self.live = False
        self.clear()


async def listen(dsn: str, cache: TileCache, retry_s: float = 2.0) -> None:
    """Hears the tile notices until cancelled, connecting again whenever the connection is lost."""
    while True:
        try:
            conn = await psycopg.AsyncConnection.connect(
                dsn, autocommit=True, application_name=APPLICATION_NAME
            )
            async with conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                cache.resume()
                async for notice in conn.notifies():
                    cache.changed(notice.payload)
        except (psycopg.Error, OSError) as exc:
            log.warning("tile notices lost (%s); no tile is kept until they are back", exc)
        finally:
            cache.suspend()
        await asyncio.sleep(retry_s)
