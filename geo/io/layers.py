"""The layers a survey file can fill, as data: table, geometry kind, fields, parents, defaults.

Each `Layer` names the columns a file may fill (`fields`, with the PostgreSQL type the value is
cast to), which of them a file must give (`required`), what a missing optional one becomes
(`defaults`), and the parents found by location when the file does not give their id
(`parents`, the first is the nearest level). Identifiers come from here, never from a file.

Field names in files are matched to columns through `ALIASES` (the names survey institutes and
land registries use, Chinese and English) and then through `--map 名称=name`.
"""

from dataclasses import dataclass, field

from geo.core.errors import InvalidParameter
from geo.models.district import OCCUPANCY, ONEWAY, PROTECTION_LEVELS, STRUCTURE_STATUSES


@dataclass(frozen=True)
class Parent:
    """A parent found by location: the `table` row that overlaps the feature most."""

    column: str  # the foreign key on the layer's table
    table: str
    required: bool = True


# A layer's geometry kind as messages name it.
KIND_ZH = {"point": "points (点)", "line": "lines (线)", "polygon": "polygons (面)"}


@dataclass(frozen=True)
class Layer:
    name: str  # as on the command line and in the OGC catalogue
    table: str
    kind: str  # polygon, point or line
    fields: dict[str, str]  # column -> SQL type the file's value is cast to
    required: tuple[str, ...] = ()
    defaults: dict[str, str] = field(default_factory=dict)
    parents: tuple[Parent, ...] = ()
    label: str = "name"  # the column that names a feature in reports and duplicate checks
    multi: bool = False  # stored as MULTI* (single parts are promoted)
    unique_label: bool = False  # the label is unique in the table
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)  # fixed vocabularies
    # Fields kept as dated assessments rather than columns (a courtyard's heritage state has
    # one source, its latest assessments): geo/io/checks.store_assessments writes them.
    assessed: tuple[str, ...] = ()


# A default that stands for the district's date on the day of the import.
TODAY = "today"
# The district row made when sub-districts are imported into a database that has none.
DISTRICT = ("桥西区", "Qiaoxi District")
_COMMUNITY = Parent("community_id", "community")

LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            "subdistricts",
            "subdistrict",
            "polygon",
            {"name": "text"},
            required=("name",),
            parents=(Parent("district_id", "district"),),
            multi=True,
            unique_label=True,
        ),
        Layer(
            "communities",
            "community",
            "polygon",
            {"name": "text"},
            required=("name",),
            parents=(Parent("subdistrict_id", "subdistrict"),),
            multi=True,
            unique_label=True,
        ),
        Layer(
            "compounds",
            "compound",
            "polygon",
            {
                "name": "text",
                "model_compound": "boolean",
                "built_year": "integer",
            },
            required=("name",),
            defaults={"model_compound": "false"},
            parents=(_COMMUNITY,),
            multi=True,
        ),
        Layer(
            "buildings",
            "building",
            "polygon",
            {"name": "text", "floors": "integer"},
            required=("name", "floors"),
            parents=(Parent("compound_id", "compound"),),
        ),
        Layer(
            "illegal_structures",
            "illegal_structure",
            "polygon",
            {
                "kind": "text",
                "status": "text",
                "identified_on": "date",
                "notice_served_on": "date",
                "demolished_on": "date",
                "cleared_on": "date",
                "waste_t": "numeric",
                "replaced_by": "text",
            },
            required=("kind",),
            # A surveyed structure has at least been identified, on the day it was surveyed
            # unless the file says otherwise.
            defaults={"status": "identified", "identified_on": TODAY},
            parents=(Parent("compound_id", "compound", required=False), _COMMUNITY),
            label="kind",
            choices={"status": STRUCTURE_STATUSES},
        ),
        Layer(
            "charging_stations",
            "charging_station",
            "point",
            {"name": "text", "spaces": "integer", "chargers": "integer", "opened_on": "date"},
            required=("name", "spaces", "chargers"),
            parents=(Parent("compound_id", "compound", required=False),),
        ),
        Layer(
            "courtyards",
            "courtyard",
            "polygon",
            {
                "address": "text",
                "protection_level": "text",
                "occupancy": "text",
                "occupancy_on": "date",
                "programme_batch": "integer",
            },
            required=("address",),
            defaults={"protection_level": "none", "occupancy": "occupied"},
            parents=(_COMMUNITY,),
            label="address",
            unique_label=True,
            choices={"protection_level": PROTECTION_LEVELS, "occupancy": OCCUPANCY},
            assessed=("protection_level", "occupancy", "occupancy_on"),
        ),
        Layer(
            "relics",
            "relic",
            "point",
            {"name": "text", "category": "text"},
            required=("name", "category"),
            parents=(Parent("courtyard_id", "courtyard", required=False),),
        ),
        Layer(
            "roads",
            "road",
            "line",
            {
                "name": "text",
                "kind": "text",
                "oneway": "text",
                "direction": "text",
                "surface": "text",
            },
            required=("name",),
            defaults={"kind": "street", "oneway": "no", "surface": "asphalt"},
            choices={"oneway": ONEWAY},
        ),
    )
}

# Field names as survey files carry them -> column. Compared case-insensitively.
ALIASES: dict[str, str] = {
    "name": "name",
    "名称": "name",
    "名字": "name",
    "小区名称": "name",
    "小区名": "name",
    "楼栋名称": "name",
    "楼号": "name",
    "社区名称": "name",
    "街道名称": "name",
    "道路名称": "name",
    "站点名称": "name",
    "文物名称": "name",
    "mc": "name",
    "floors": "floors",
    "层数": "floors",
    "楼层": "floors",
    "地上层数": "floors",
    "cs": "floors",
    "address": "address",
    "地址": "address",
    "门牌": "address",
    "院落地址": "address",
    "kind": "kind",
    "类型": "kind",
    "类别": "category",
    "category": "category",
    "status": "status",
    "状态": "status",
    "built_year": "built_year",
    "建成年份": "built_year",
    "建成年代": "built_year",
    "model_compound": "model_compound",
    "spaces": "spaces",
    "车位数": "spaces",
    "chargers": "chargers",
    "充电桩数": "chargers",
    "opened_on": "opened_on",
    "protection_level": "protection_level",
    "保护级别": "protection_level",
    "occupancy": "occupancy",
    "腾退状态": "occupancy",
    "programme_batch": "programme_batch",
    "批次": "programme_batch",
    "surface": "surface",
    "路面": "surface",
    "oneway": "oneway",
    "单行": "oneway",
    "direction": "direction",
    "identified_on": "identified_on",
    "发现日期": "identified_on",
    "waste_t": "waste_t",
    "source_id": "source_id",
    "id": "source_id",
    "objectid": "source_id",
    "fid": "source_id",
    "编号": "source_id",
    "bsm": "source_id",  # 标识码, the feature id of land-survey databases
    "标识码": "source_id",
}
# Columns a file may also fill besides the layer's own: the feature's id in the survey and the
# parents' ids (then they are not looked up by location).
SOURCE_ID = "source_id"


def get_layer(name: str) -> Layer:
    try:
        return LAYERS[name]
    except KeyError:
        raise InvalidParameter(
            f"Unknown layer {name!r}; choose one of {', '.join(LAYERS)}.", where="layer"
        ) from None


def targets(layer: Layer) -> list[str]:
    """Every column a file's field may be mapped to in this layer."""
    return [SOURCE_ID, *layer.fields, *(p.column for p in layer.parents)]
