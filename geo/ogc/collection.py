"""A layer described as data, for the OGC engine (geo/ogc/engine.py) and the tiles.

A `Collection` describes one layer as data: its table, geometry column, the properties each
feature carries (SQL expressions over the table, aliased `t`, and any joined parent tables),
the properties a client may filter on, and an optional condition always applied. The layers
themselves are listed in geo/ogc/catalogue.py; this module knows none of them::

    Collection(
        id="issues", title="议事议题", title_en="Issues", description="...",
        table="issue", geometry="location",
        joins=(Join("community", "c", "community_id"),),
        properties={"step": "step", "category": "category", "community": "c.name"},
        filters={"step": "step", "category": "category"},
        enums={"step": STEPS},               # other values are a 400, listed in queryables
        where="t.public",                    # a fixed SQL condition (no request values in it)
    )

A property value is a column name (`"status"`, on the main table) or `"alias.column"` on a
joined table; both are quoted as identifiers. A computed property is given as a
`psycopg.sql.Composable` (e.g. `sql.SQL("round(t.area_m2::numeric, 1)")`). Filters map a
queryable name to a column reference the same way; request values are always bound, and a
value the column's type cannot read (floors=abc) is a 400 naming the filter. Only list public
fields: whatever `properties` names is served to anyone.

"""

from dataclasses import dataclass, field
from typing import Literal

from psycopg import sql

Expr = str | sql.Composable


@dataclass(frozen=True)
class Join:
    """A parent table joined to the main table (`t`) for names such as the community's."""

    table: str
    alias: str
    on: str  # the foreign-key column of `t` that holds the parent's id
    key: str = "id"


@dataclass(frozen=True)
class Collection:
    """One layer: where its rows live and what each feature carries."""

    id: str
    title: str  # Chinese, as residents and planners name it
    title_en: str
    description: str
    table: str
    properties: dict[str, Expr]
    geometry: str = "geom"
    key: str = "id"
    joins: tuple[Join, ...] = ()
    filters: dict[str, Expr] = field(default_factory=dict)
    # Fixed vocabularies of filterable properties: a value outside them is a 400.
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    where: str | None = None  # a fixed condition, written by developers, never from a request
    # The feature's time as (start, end) timestamptz expressions, for `datetime`; None when the
    # layer has no time (the parameter is then ignored, as OGC API - Features Core says).
    temporal: tuple[Expr, Expr] | None = None
    # The properties a vector tile carries (geo/ogc/tiles.py): what maps colour and label by.
    # None: all of `properties`.
    tile_properties: tuple[str, ...] | None = None
    # The feature's version as text, the ETag of /items/{id}: the row's version and those of
    # the joined rows whose names it shows, so renaming a parent changes it too. None: no ETag.
    version: Expr | None = None
    # Planners may create, replace, update and delete its features (geo/ogc/edits.py); the
    # import layer of the same name (geo/io/layers.py) says its fields and parents.
    editable: bool = False
    # A stored EPSG:3857 copy of `geometry` (0023_tile_geometry), which tiles clip with no
    # ST_Transform (they find rows by the 4326 index); None: tiles transform each row found.
    tile_geometry: str | None = None
    # The lowest zoom its tiles are served at (OGC API - Tiles: the tileset's minTileMatrix; a
    # tile below it is outside the tileset, 404): below it the whole district is a few pixels
    # and a tile would hold every row of a big layer.
    tile_min_zoom: int = 0
    # What its tiles depend on besides its rows, for the tile cache (geo/ogc/tile_cache.py):
    # "rows" (kept until a source table changes), "day" (also the district date: a state "as
    # of today"), "time" (never kept: a state at this instant).
    tile_clock: Literal["rows", "day", "time"] = "rows"
    # The tables its rows come from when `table` and the joins do not say it all (a view or a
    # function is among them): every one must send the tile notice (migration 0028_tile_notices).
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.enums) - set(self.filters)
        if unknown:
            raise ValueError(f"{self.id}: enums for properties that are not filters: {unknown}")
        untiled = set(self.tile_properties or ()) - set(self.properties)
        if untiled:
            raise ValueError(f"{self.id}: tile_properties that are not properties: {untiled}")


def expr(value: Expr) -> sql.Composable:
    """A property or filter expression: quoted column reference, or a developer's SQL."""
    if isinstance(value, sql.Composable):
        return value
    parts = value.split(".")
    return sql.Identifier("t", *parts) if len(parts) == 1 else sql.Identifier(*parts)


def joined(c: Collection) -> sql.Composable:
    """The parent tables joined to `t`, after a FROM that already names it."""
    return sql.SQL(" ").join(
        sql.SQL("LEFT JOIN {table} AS {alias} ON {alias_key} = {fk}").format(
            table=sql.Identifier(j.table),
            alias=sql.Identifier(j.alias),
            alias_key=sql.Identifier(j.alias, j.key),
            fk=sql.Identifier("t", j.on),
        )
        for j in c.joins
    )


def from_clause(c: Collection) -> sql.Composable:
    """The main table as `t` and its joined parents."""
    return sql.SQL("{} AS t {}").format(sql.Identifier(c.table), joined(c))
