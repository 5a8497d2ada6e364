"""The layers this service serves through OGC API - Features: the whole list, in one place.

Each `Collection` says, as data, which table a layer reads, which properties it carries and
which a client may filter on (the contract is in geo/ogc/engine.py). Only public fields are
listed: whatever `properties` names is served to anyone, so the issues layer names no reporter,
no free text and no account. Identifiers come from here, never from the request.

The landing page, /ogc/api, the map pages and the benchmarks all read `CATALOGUE`; a layer not
listed here does not exist.
"""

from dataclasses import replace

from psycopg import sql

from geo.core.clock import ZONE
from geo.core.errors import NotFound
from geo.core.vocabulary import LEVELS, OUTCOMES, STATUSES, STEPS
from geo.models.district import OCCUPANCY, ONEWAY, PROTECTION_LEVELS, STRUCTURE_STATUSES
from geo.models.renovation import ALL_PHASES
from geo.ogc.collection import Collection, Expr, Join
from geo.property.scope import firm_in_force

_AREA = sql.SQL("round(t.area_m2::numeric, 2)")


def _version(*parents: str) -> sql.Composable:
    """The ETag of a feature: its row's version, then each shown parent's (by alias)."""
    return sql.SQL("concat_ws('.', {})").format(
        sql.SQL(", ").join(sql.Identifier(a, "version") for a in ("t", *parents))
    )


# A compound's property company: the firm of the register under its contract in force.
_FIRM = sql.SQL("(SELECT firm.name FROM ({}) firm)").format(sql.SQL(firm_in_force("t.id")))
_LENGTH = sql.SQL("round(t.length_m::numeric, 2)")
# A planned window of dates is the time from the first day's start to the last day's end in
# the district's time zone, so `datetime` instants compare with it as clients expect.
_PLANNED = (
    sql.SQL("(t.planned_start::timestamp AT TIME ZONE {})").format(sql.Literal(ZONE)),
    sql.SQL("((t.planned_end + 1)::timestamp AT TIME ZONE {} - interval '1 microsecond')").format(
        sql.Literal(ZONE)
    ),
)

# The district as surveyed: places, buildings, structures, heritage, streets.
_DISTRICT = (
    Collection(
        id="subdistricts",
        title="街道",
        title_en="Sub-districts",
        description="The seven sub-districts (街道) of Qiaoxi District.",
        table="subdistrict",
        tile_min_zoom=0,
        properties={"name": "name", "area_m2": _AREA},
        filters={"name": "name"},
        version=_version(),
        editable=True,
    ),
    Collection(
        id="communities",
        title="社区",
        title_en="Communities",
        description="The 44 communities (社区), each with its council hall.",
        table="community",
        tile_min_zoom=8,
        joins=(Join("subdistrict", "s", "subdistrict_id"),),
        properties={
            "name": "name",
            "subdistrict_id": "subdistrict_id",
            "subdistrict": "s.name",
            "area_m2": _AREA,
        },
        filters={"name": "name", "subdistrict_id": "subdistrict_id"},
        version=_version("s"),
        editable=True,
    ),
    Collection(
        id="compounds",
        title="小区(楼院)",
        title_en="Compounds",
        description="The 394 residential compounds and courtyard blocks (小区/楼院).",
        table="compound",
        tile_min_zoom=10,
        joins=(Join("community", "c", "community_id"),),
        properties={
            "name": "name",
            "community_id": "community_id",
            "community": "c.name",
            "property_company": _FIRM,
            "model_compound": "model_compound",
            "built_year": "built_year",
            "area_m2": _AREA,
        },
        filters={
            "name": "name",
            "community_id": "community_id",
            "model_compound": "model_compound",
        },
        version=_version("c"),
        editable=True,
        # the firm is the register's under the contract in force today
        tile_clock="day",
        sources=("compound", "community", "property_contract", "property_firm"),
    ),
    Collection(
        id="buildings",
        title="楼栋",
        title_en="Buildings",
        description="Residential buildings (楼栋) with their floors and footprint area.",
        table="building",
        tile_min_zoom=12,
        joins=(Join("compound", "p", "compound_id"),),
        properties={
            "name": "name",
            "compound_id": "compound_id",
            "compound": "p.name",
            "floors": "floors",
            "area_m2": _AREA,
        },
        filters={
            "name": "name",
            "compound_id": "compound_id",
            "floors": "floors",
            "area_m2": _AREA,
        },
        tile_properties=("name", "floors", "compound_id"),
        version=_version("p"),
        editable=True,
        tile_geometry="geom_3857",
    ),
    Collection(
        id="illegal_structures",
        title="违建临建",
        title_en="Illegal structures",
        description="Illegal and temporary structures and their stage in the demolition campaign.",
        table="illegal_structure",
        tile_min_zoom=12,
        joins=(Join("community", "c", "community_id"),),
        properties={
            "kind": "kind",
            "status": "status",
            "community_id": "community_id",
            "community": "c.name",
            "compound_id": "compound_id",
            "identified_on": "identified_on",
            "notice_served_on": "notice_served_on",
            "demolished_on": "demolished_on",
            "cleared_on": "cleared_on",
            "waste_t": "waste_t",
            "replaced_by": "replaced_by",
            "charging_station_id": "charging_station_id",
            "area_m2": _AREA,
        },
        filters={
            "status": "status",
            "kind": "kind",
            "community_id": "community_id",
            "compound_id": "compound_id",
            "identified_on": "identified_on",
            "demolished_on": "demolished_on",
        },
        enums={"status": STRUCTURE_STATUSES},
        version=_version("c"),
        editable=True,
    ),
    Collection(
        id="charging_stations",
        title="非机动车停放充电站",
        title_en="Charging stations",
        description="Non-motor-vehicle parking and charging stations (point; footprint area).",
        table="charging_station",
        tile_min_zoom=10,
        joins=(Join("compound", "p", "compound_id"),),
        properties={
            "name": "name",
            "compound_id": "compound_id",
            "compound": "p.name",
            "spaces": "spaces",
            "chargers": "chargers",
            "opened_on": "opened_on",
            "area_m2": sql.SQL("round(t.footprint_m2::numeric, 2)"),
        },
        filters={"compound_id": "compound_id"},
        version=_version("p"),
        editable=True,
    ),
    Collection(
        id="courtyards",
        title="堡子里院落",
        title_en="Fort courtyards",
        description="Courtyards of Zhangjiakou Fort (堡子里): protection level and occupancy.",
        table="courtyard",
        tile_min_zoom=12,
        # Every state comes from courtyard_status (migration 0003): the latest dated assessments
        # as of today; the courtyard table keeps none of it (0015_heritage_state).
        joins=(
            Join("community", "c", "community_id"),
            Join("courtyard_status", "cs", "id", key="courtyard_id"),
        ),
        properties={
            "address": "address",
            "community_id": "community_id",
            "community": "c.name",
            "protection_level": "cs.protection_level",
            "occupancy": "cs.occupancy",
            "occupancy_on": "cs.occupancy_on",
            "programme_batch": "programme_batch",
            "danger_grade": "cs.danger_grade",
            "graded_on": "cs.graded_on",
            "condition": "cs.condition",
            "area_m2": _AREA,
        },
        filters={
            "protection_level": "cs.protection_level",
            "occupancy": "cs.occupancy",
            "community_id": "community_id",
            "danger_grade": "cs.danger_grade",
        },
        enums={
            "protection_level": PROTECTION_LEVELS,
            "occupancy": OCCUPANCY,
            "danger_grade": ("A", "B", "C", "D"),
        },
        tile_properties=(
            "address",
            "protection_level",
            "occupancy",
            "programme_batch",
            "danger_grade",
            "condition",
        ),
        version=_version("c"),
        editable=True,
        tile_geometry="geom_3857",
        tile_clock="day",
        sources=("courtyard", "community", "courtyard_state", "assessment"),
    ),
    Collection(
        id="relics",
        title="文物古迹",
        title_en="Heritage relics",
        description="Heritage relics (文物古迹) in the fort: gate towers, temples, steles, wells.",
        table="relic",
        tile_min_zoom=8,
        properties={
            "name": "name",
            "category": "category",
            "courtyard_id": "courtyard_id",
            # A point's area is 0, but PostGIS says so and every layer reads alike.
            "area_m2": sql.SQL("round(ST_Area(t.geom::geography)::numeric, 2)"),
        },
        filters={"category": "category", "courtyard_id": "courtyard_id"},
        version=_version(),
        editable=True,
    ),
    Collection(
        id="roads",
        title="道路",
        title_en="Roads",
        description="Streets and lanes with their one-way direction and surface.",
        table="road",
        tile_min_zoom=10,
        properties={
            "name": "name",
            "kind": "kind",
            "oneway": "oneway",
            "direction": "direction",
            "surface": "surface",
            "length_m": _LENGTH,
        },
        filters={"name": "name", "kind": "kind", "oneway": "oneway", "surface": "surface"},
        enums={"oneway": ONEWAY},
        version=_version(),
        editable=True,
    ),
)


def _step_case(groups: dict[str, tuple[str, ...]]) -> sql.Composed:
    """A CASE naming the group of steps an issue's step is in."""
    return sql.SQL("CASE {} END").format(
        sql.SQL(" ").join(
            sql.SQL("WHEN t.step IN ({}) THEN {}").format(
                sql.SQL(", ").join(map(sql.Literal, steps)), sql.Literal(group)
            )
            for group, steps in groups.items()
        )
    )


# Open or closed (geo/core/vocabulary.py says which steps are which).
ISSUE_STATUS = _step_case(STATUSES)
# How an issue ended (solved, closed_unsolved, referred, duplicate) or open: solved and
# closed are never counted together.
ISSUE_OUTCOME = _step_case(OUTCOMES)

# What people do in the district: pinned issues and renovation work.
_WORK = (
    # Issues as an OGC API - Features layer beside their hotspots: public fields only (never the
    # reporter's name or phone, nor the free-text description). Each filter matches the property
    # of its name: `status` is open/closed, `step` the step of the five.
    Collection(
        id="issues",
        title="议事议题",
        title_en="Issues",
        description="Issues pinned by residents and staff: `step` is their step in the council "
        "hall's five steps, `status` open or closed, `outcome` how it ended (solved, "
        "closed_unsolved, referred, duplicate).",
        table="issue",
        tile_min_zoom=10,
        joins=(
            Join("category", "c", "category_code", key="code"),
            Join("community", "m", "community_id"),
            Join("compound", "p", "compound_id"),
        ),
        properties={
            "category": "category_code",
            "category_name": "c.name",
            "step": "step",
            "status": ISSUE_STATUS,
            "outcome": ISSUE_OUTCOME,
            "level": "level",
            "supporters": "supporters",
            "severity": "severity",
            "created_at": "created_at",
            "community_id": "community_id",
            "community": "m.name",
            "compound_id": "compound_id",
            "compound": "p.name",
        },
        filters={
            "status": ISSUE_STATUS,
            "outcome": ISSUE_OUTCOME,
            "step": "step",
            "category": "category_code",
            "level": "level",
            "community_id": "community_id",
            "compound_id": "compound_id",
            "supporters": "supporters",
            "created_at": "created_at",
        },
        enums={
            "status": tuple(STATUSES),
            "outcome": tuple(OUTCOMES),
            "step": STEPS,
            "level": LEVELS,
        },
        temporal=("created_at", "created_at"),
        tile_properties=("category", "category_name", "step", "status", "level", "supporters"),
        version=_version("m", "p"),
        tile_geometry="geom_3857",
    ),
    # Work items as an OGC API - Features layer, coloured by phase or percent done by any client.
    Collection(
        id="renovation_items",
        title="整治项目工作项",
        title_en="Renovation work items",
        description="Work items of the renovation campaigns with phase and percent done today "
        "(rebuilt from the progress events); late means past planned end and not complete.",
        table="renovation_item_status",
        tile_min_zoom=12,
        properties={
            "name": "name",
            "project": "project",
            "project_code": "project_code",
            "batch": "batch",
            "phase": "phase",
            # numeric(,1) prints 100.0, so clients that guess types see a real, not an integer
            "percent_done": sql.SQL("round(t.percent_done::numeric, 1)"),
            "planned_start": "planned_start",
            "planned_end": "planned_end",
            "actual_end": "actual_end",
            "late": "late",
            "unit": "unit",
            "planned_qty": "planned_qty",
            "qty_done": "qty_done",
            "target_kind": "target_kind",
            "community_id": "community_id",
            "courtyard_id": "courtyard_id",
            "length_m": sql.SQL("round(t.length_m::numeric, 2)"),
            "area_m2": sql.SQL("round(t.area_m2::numeric, 2)"),
        },
        filters={
            "project": "project",
            "project_code": "project_code",
            "batch": "batch",
            "phase": "phase",
            "late": "late",
            "community_id": "community_id",
        },
        enums={"phase": ALL_PHASES},
        temporal=_PLANNED,
        tile_properties=("name", "project", "batch", "phase", "percent_done", "late"),
        tile_clock="time",
    ),
)


# The district of a feature (a city serves several: docs/scaling.md), a property and a filter
# of every layer: a column where the row carries it, its sub-district's, or else the district
# whose outline covers the feature (outlines do not overlap).
_OUTLINE = sql.SQL(
    "(SELECT min(d.id) FROM district d WHERE ST_Covers(d.geom, ST_PointOnSurface(t.geom)))"
)
_DISTRICT_OF: dict[str, Expr] = {
    "subdistricts": "district_id",
    "communities": "s.district_id",
    "issues": "district_id",
}


def _districted(c: Collection) -> Collection:
    """`c` with its district: not among its tiles' properties (a kept tile reads only the
    tables that send tile notices); a tile filtered by district is never kept."""
    of = _DISTRICT_OF.get(c.id, _OUTLINE)
    return replace(
        c,
        properties={**c.properties, "district_id": of},
        filters={**c.filters, "district_id": of},
        tile_properties=c.tile_properties or tuple(c.properties),
    )


def _by_id(*collections: Collection) -> dict[str, Collection]:
    ids = [c.id for c in collections]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate collection ids in {ids}")
    return {c.id: c for c in collections}


CATALOGUE: dict[str, Collection] = _by_id(*map(_districted, (*_DISTRICT, *_WORK)))


def get_collection(collection_id: str) -> Collection:
    """The served collection with this id (404 naming the path parameter otherwise)."""
    try:
        return CATALOGUE[collection_id]
    except KeyError:
        raise NotFound(f"There is no collection {collection_id!r}.", where="collectionId") from None
