"""Colours, legends and labels of every map page, in one place (the words and colours of issue
steps, levels and events are geo/core/vocabulary.py's, read from there).

A style is a plain dict the page JavaScript understands (maps/static/yst/yst.js):
`color` for a single colour, or `by` + `values` to colour by a property, with `labels` giving
each value its Chinese legend text. Points may carry `radius` ({property, min, scale, max}) to be
sized by a number. Legends are derived from the same dicts, so a colour is never typed twice.
"""

from typing import Any

from geo.core.vocabulary import EVENT_TERMS, PLACES, STEP_TERMS, labels, zh

Style = dict[str, Any]

# The issue steps' colours and labels are the vocabulary's (geo/core/vocabulary.py), as the
# workspace pages see them.
ISSUE_STEPS: dict[str, tuple[str, str]] = {
    code: (term.colour or "#969696", term.label) for code, term in STEP_TERMS.items()
}

STRUCTURE_STATUS: dict[str, tuple[str, str]] = {
    "identified": ("#e31a1c", "已认定 identified"),
    "notice_served": ("#fd8d3c", "已下达通知 notice served"),
    "demolished": ("#fecc5c", "已拆除 demolished"),
    "cleared": ("#a1d99b", "已清运 cleared"),
    "reused": ("#31a354", "已再利用 reused"),
}

PROTECTION: dict[str, tuple[str, str]] = {
    "national": ("#67000d", "全国重点文保 national"),
    "provincial": ("#a50f15", "省级 provincial"),
    "city": ("#ef3b2c", "市级 city"),
    "county": ("#fc9272", "县级 county"),
    "registered": ("#fdd0a2", "登记文物 registered"),
    "historic_building": ("#9e9ac8", "历史建筑 historic building"),
    "none": ("#e0d8c8", "未定级 none"),
}

OCCUPANCY: dict[str, tuple[str, str]] = {
    "occupied": ("#d95f02", "在住 occupied"),
    "partly": ("#fdae61", "部分腾退 partly vacated"),
    "vacated": ("#1a9850", "已腾退 vacated"),
}

# JGJ 125 danger grades; C and D are dangerous houses.
DANGER_GRADE: dict[str, tuple[str, str]] = {
    "A": ("#1a9850", "A 级 安全"),
    "B": ("#a6d96a", "B 级 基本安全"),
    "C": ("#fdae61", "C 级 局部危房"),
    "D": ("#d7191c", "D 级 整幢危房"),
}

ROAD_SURFACE: dict[str, tuple[str, str]] = {
    "antique_stone": ("#8c2d04", "仿古石材铺装 antique stone"),
    "asphalt": ("#737373", "沥青 asphalt"),
}

COMPOUND_MODEL: dict[str, tuple[str, str]] = {
    "true": ("#33a02c", "红色物业示范小区 model compound"),
    "false": ("#b2df8a", "小区 compound"),
}


def by(prop: str, table: dict[str, tuple[str, str]], **extra: Any) -> Style:
    """A style colouring features by `prop` with the colours and labels of `table`."""
    return {
        "by": prop,
        "values": {k: c for k, (c, _) in table.items()},
        "labels": {k: label for k, (_, label) in table.items()},
        **extra,
    }


def fixed(color: str, label: str, **extra: Any) -> Style:
    """A single-colour style with its legend label."""
    return {"color": color, "label": label, **extra}


SUBDISTRICT = fixed("#6a3d9a", "街道 sub-district", weight=3, fillOpacity=0.02)
COMMUNITY = fixed("#1f78b4", "社区 community", weight=1.5, fillOpacity=0.02, dashArray="4 3")
COMPOUND = by("model_compound", COMPOUND_MODEL, weight=1, fillOpacity=0.35)
BUILDING = fixed("#7f7f7f", "楼栋 building", weight=0.8, fillOpacity=0.5, fillColor="#d9d9d9")
ILLEGAL = by("status", STRUCTURE_STATUS, weight=1, fillOpacity=0.7)
STATION = fixed(
    "#0868ac",
    "充电站 (大小=车位数) charging station",
    fillOpacity=0.8,
    radius={"property": "spaces", "min": 4, "scale": 1.2, "max": 18},
)
COURTYARD = by("protection_level", PROTECTION, weight=0.8, fillOpacity=0.6, stroke="#5b4636")
COURTYARD_OCCUPANCY = by("occupancy", OCCUPANCY, weight=0.8, fillOpacity=0.6, stroke="#5b4636")
COURTYARD_DANGER = by("danger_grade", DANGER_GRADE, weight=0.8, fillOpacity=0.7, stroke="#5b4636")
RELIC = fixed("#8c510a", "文物古迹 relic", fillOpacity=0.9, radius={"min": 4})
ROAD = by("surface", ROAD_SURFACE, weight=3, other="#969696")
ISSUE = by("step", ISSUE_STEPS, fillOpacity=0.9, radius={"min": 6}, stroke="#fff")
HOTSPOT = fixed(
    "#bd0026",
    "问题热点 (大小=问题数) hotspot",
    fillOpacity=0.25,
    weight=2,
    radius={"property": "count", "min": 10, "scale": 3, "max": 40},
)
COVERAGE = fixed(
    "#41ab5d", "步行 300 米可达街巷 streets within a 300 m walk", weight=5, opacity=0.7
)
CANDIDATE = fixed(
    "#ff7f00", "候选站址 (按新覆盖户数排序) candidate site", fillOpacity=0.9, radius={"min": 9}
)
UNCOVERED = fixed("#d7301f", "未覆盖小区 compound not covered", fillOpacity=0.35, weight=2)
FLYING_WIRE = fixed(
    "#e7298a", "飞线充电投诉 flying-wire complaint", fillOpacity=0.9, radius={"min": 5}
)
ROUND_LEG = fixed("#2b8cbe", "步行路线 walk between stops", weight=5, opacity=0.8)
ROUND_STOP = fixed(
    "#e6550d", "巡查点 stop (数字为顺序 numbered in order)", fillOpacity=0.9, radius={"min": 11}
)
SEWER = fixed("#2171b5", "污水管网 sewer works", weight=4)

# Chinese labels for the attributes shown in popups; anything else shows its own key.
FIELD_LABELS: dict[str, str] = {
    "id": "编号",
    "name": "名称",
    "address": "地址",
    **{place: PLACES[place].zh for place in ("subdistrict", "community", "compound", "building")},
    "subdistrict_id": "街道编号",
    "community_id": "社区编号",
    "compound_id": "小区编号",
    "property_company": "物业公司",
    "model_compound": "示范小区",
    "built_year": "建成年份",
    "floors": "层数",
    "area_m2": "面积 (m²)",
    "length_m": "长度 (m)",
    "kind": "类型",
    "status": "状态",
    "step": "议事步骤",
    "category": "类别",
    "description": "描述",
    "identified_on": "认定日期",
    "notice_served_on": "通知日期",
    "demolished_on": "拆除日期",
    "cleared_on": "清运日期",
    "waste_t": "建筑垃圾 (吨)",
    "replaced_by": "改建为",
    "spaces": "车位",
    "chargers": "充电桩",
    "opened_on": "启用日期",
    "protection_level": "保护级别",
    "occupancy": "腾退状态",
    "occupancy_on": "状态日期",
    "programme_batch": "整治批次",
    "danger_grade": "危房等级",
    "oneway": "单行",
    "direction": "方向",
    "surface": "路面",
    "supporters": "附议人数",
    "created_at": "上报时间",
    "level": "层级",
    "department": "责任部门",
}

# Value translations in popups, reusing the legend tables.
VALUE_LABELS: dict[str, dict[str, str]] = {
    "status": {k: label for k, (_, label) in STRUCTURE_STATUS.items()},
    "step": labels(STEP_TERMS),
    "protection_level": {k: label for k, (_, label) in PROTECTION.items()},
    "occupancy": {k: label for k, (_, label) in OCCUPANCY.items()},
    "surface": {k: label for k, (_, label) in ROAD_SURFACE.items()},
    "oneway": {"no": "否", "forward": "是 (顺画线方向)", "backward": "是 (逆画线方向)"},
    "model_compound": {"true": "是", "false": "否"},
    "level": zh(PLACES),
    "event_kind": zh(EVENT_TERMS),
    "role": {
        "community_party_org": "社区党组织",
        "compound_party_branch": "小区党支部",
        "building_party_group": "楼栋党小组",
        "unit_leader": "单元长",
        "resident_group_leader": "居民小组长",
    },
}


def legend(title: str, style: Style, shape: str = "box") -> dict[str, Any]:
    """The legend block of a style: one row per value, or one row for a fixed colour."""
    if "by" in style:
        items = [
            {"label": style["labels"][k], "color": c, "shape": shape}
            for k, c in style["values"].items()
        ]
    else:
        items = [{"label": style["label"], "color": style["color"], "shape": shape}]
    return {"title": title, "items": items}
