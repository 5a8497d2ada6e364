"""From a file's fields to a layer's columns: the mapping, and each value read as its column's type.

`--map 名称=name` comes first; the remaining fields are matched by name (a column's own name,
or one of the names survey files use, geo/io/layers.py `ALIASES`). Parent ids are taken from the
file only when mapped explicitly: ids in someone else's database mean nothing here.
"""

import json
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


@dataclass
class BadValue:
    row: int
    column: str
    field: str
    value: str
    reason: str


@dataclass
class Column:
    """A column's text for every feature, each distinct value once: feature i holds
    `texts[codes[i]]` (None: empty), or nothing where `codes[i]` is -1 (a value the column
    cannot take: the feature's record leaves the column out)."""

    texts: list[str | None]
    codes: np.ndarray

    def filled(self, default: str) -> "Column":
        """Empty and left-out values replaced by `default`."""
        texts = [default if t is None else t for t in self.texts]
        codes = np.where(self.codes < 0, len(texts), self.codes)
        return Column([*texts, default], codes)

    def per_feature(self) -> np.ndarray:
        """The text of each feature, None where empty or left out."""
        return np.array([*self.texts, None], dtype=object)[self.codes]


@dataclass
class Records:
    """Each feature's mapped values as text, a column at a time (a survey of 100,000 features
    repeats its names, floors and kinds: each distinct value is cast and encoded once)."""

    count: int
    columns: dict[str, Column] = field(default_factory=dict)

    def per_feature(self, column: str) -> np.ndarray:
        found = self.columns.get(column)
        return found.per_feature() if found else np.full(self.count, None, dtype=object)

    def json(self, leave_out: str) -> list[str]:
        """Each feature's record as a JSON object, all columns but `leave_out`."""
        joined = np.full(self.count, "", dtype=object)
        for name, column in self.columns.items():
            if name == leave_out:
                continue
            key = json.dumps(name) + ": "
            pairs = [f"{key}{json.dumps(t)}, " for t in column.texts]
            joined = joined + np.array([*pairs, ""], dtype=object)[column.codes]
        return ["{" + j[:-2] + "}" for j in joined]


def _factorised(values: np.ndarray) -> tuple[list[Any], np.ndarray]:
    """The distinct values and each row's index among them."""
    if values.dtype != object:
        distinct, codes = np.unique(values, return_inverse=True)
        return list(distinct), codes
    seen: dict[tuple[type, Any], int] = {}
    codes = np.fromiter(
        (seen.setdefault((type(v), v), len(seen)) for v in values), dtype=np.intp, count=len(values)
    )
    return [v for _, v in seen], codes


def records(
    layer: Layer, mapping: Mapping, fields: list[str], columns: list[np.ndarray]
) -> tuple[Records, list[BadValue]]:
    """Each feature's mapped values as text, and every value its column cannot take."""
    types = {SOURCE_ID: "text", **layer.fields, **{p.column: "integer" for p in layer.parents}}
    index = {name: i for i, name in enumerate(fields)}
    out = Records(len(columns[0]) if columns else 0)
    bad: list[BadValue] = []
    for source, column in mapping.columns.items():
        distinct, codes = _factorised(columns[index[source]])
        allowed = layer.choices.get(column)
        texts: list[str | None] = []
        reasons: list[str | None] = []
        for value in distinct:
            try:
                text = cast(value, types[column])
            except ValueError as exc:
                texts.append(None)
                reasons.append(f"{types[column]}: {exc}")
                continue
            refused = allowed is not None and text is not None and text not in allowed
            texts.append(text)
            reasons.append(f"one of {', '.join(allowed)}" if refused and allowed else None)
        refused_rows = np.flatnonzero(np.array([r is not None for r in reasons], bool)[codes])
        for row in refused_rows:
            code = codes[row]
            shown = str(distinct[code]) if texts[code] is None else str(texts[code])
            bad.append(BadValue(int(row), column, source, shown, str(reasons[code])))
        codes[refused_rows] = -1  # left out of those features' records
        out.columns[column] = Column(texts, codes)
    return out, bad
