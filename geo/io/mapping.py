"""From a file's fields to a layer's columns: the mapping, and each value read as its column's type.

`--map 名称=name` comes first; the remaining fields are matched by name (a column's own name,
or one of the names survey files use, geo/io/layers.py `ALIASES`). Parent ids are taken from the
file only when mapped explicitly: ids in someone else's database mean nothing here.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

from geo.core.errors import InvalidParameter, Unprocessable
from geo.io.layers import ALIASES, SOURCE_ID, Layer, targets

TRUE = {"true", "t", "1", "yes", "y", "是", "对"}
FALSE = {"false", "f", "0", "no", "n", "否", "不是"}


@dataclass
class Mapping:
    columns: dict[str, str]  # file field -> column
    unmapped: list[str] = field(default_factory=list)

    def field_for(self, column: str) -> str | None:
        return next((f for f, c in self.columns.items() if c == column), None)


def parse_maps(pairs: list[str]) -> dict[str, str]:
    """`名称=name` pairs -> {field: column}."""
    out: dict[str, str] = {}
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise InvalidParameter(
                f"--map {pair!r} must read FIELD=COLUMN, e.g. --map 名称=name.", where="map"
            )
        out[source.strip()] = target.strip()
    return out


def build(layer: Layer, fields: list[str], explicit: dict[str, str]) -> Mapping:
    allowed = targets(layer)
    columns: dict[str, str] = {}
    target: str | None
    for source, target in explicit.items():
        if source not in fields:
            raise InvalidParameter(
                f"--map {source}={target}: the file has no field {source!r}; its fields: "
                f"{', '.join(fields)}.",
                where="map",
            )
        if target not in allowed:
            raise InvalidParameter(
                f"--map {source}={target}: {layer.name} has no column {target!r}; map to one "
                f"of {', '.join(allowed)}.",
                where="map",
            )
        columns[source] = target
    own = [SOURCE_ID, *layer.fields]
    for name in fields:
        if name in columns:
            continue
        key = name.strip().lower()
        target = key if key in own else ALIASES.get(key) or ALIASES.get(name.strip())
        if target in own and target not in columns.values():
            columns[name] = target
    mapping = Mapping(columns, [f for f in fields if f not in columns])
    missing = [c for c in layer.required if c not in columns.values()]
    if missing:
        raise Unprocessable(
            f"{layer.name} need {', '.join(missing)}, and no field of the file was recognised "
            f"as {' or '.join(missing)}. The file's fields: {', '.join(fields)}. Map one, e.g. "
            f"--map {fields[0] if fields else 'FIELD'}={missing[0]}.",
            where="map",
        )
    return mapping


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def cast(value: Any, sql_type: str) -> str | None:
    """The value as its column's text form; ValueError when it cannot be one."""
    text = _text(value)
    if text is None:
        return None
    if sql_type == "integer":
        number = float(text)
        if not number.is_integer():
            raise ValueError("not a whole number")
        return str(int(number))
    if sql_type == "numeric":
        return repr(float(text))
    if sql_type == "boolean":
        if text.lower() in TRUE:
            return "true"
        if text.lower() in FALSE:
            return "false"
        raise ValueError("not yes/no")
    if sql_type == "date":
        text = text.replace("/", "-").replace(".", "-")[:19]
        return (
            datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)
        ).strftime("%Y-%m-%d")
    return text


_UNSEEN = ValueError()  # a marker: not cast yet


def _cast_or_error(value: Any, sql_type: str) -> str | None | ValueError:
    try:
        return cast(value, sql_type)
    except ValueError as exc:
        return exc


@dataclass
class BadValue:
    row: int
    column: str
    field: str
    value: str
    reason: str


def records(
    layer: Layer, mapping: Mapping, fields: list[str], columns: list[np.ndarray]
) -> tuple[list[dict[str, str | None]], list[BadValue]]:
    """Each feature's mapped values as text, and every value its column cannot take."""
    types = {SOURCE_ID: "text", **layer.fields, **{p.column: "integer" for p in layer.parents}}
    index = {name: i for i, name in enumerate(fields)}
    n = len(columns[0]) if columns else 0
    out: list[dict[str, str | None]] = [{} for _ in range(n)]
    bad: list[BadValue] = []
    for source, column in mapping.columns.items():
        values = columns[index[source]]
        allowed = layer.choices.get(column)
        # A survey repeats its values (names, floors, kinds): each distinct one is cast once.
        seen: dict[tuple[type, Any], str | None | ValueError] = {}
        for row, value in enumerate(values):
            key = (type(value), value)
            text = seen.get(key, _UNSEEN)
            if text is _UNSEEN:
                text = seen[key] = _cast_or_error(value, types[column])
            if isinstance(text, ValueError):
                bad.append(BadValue(row, column, source, str(value), f"{types[column]}: {text}"))
                continue
            if allowed is not None and text is not None and text not in allowed:
                bad.append(BadValue(row, column, source, text, f"one of {', '.join(allowed)}"))
                continue
            out[row][column] = text
    return out, bad
