"""CQL2 filters (OGC API - Features Part 3) into SQL: parsed by pygeofilter, translated here.

A filter in CQL2 text or JSON becomes pygeofilter's AST, which is walked into a
`psycopg.sql.Composable` over the collection's own columns: property names are looked up among
the collection's queryables (identifiers never come from the request), and every literal is a
bound parameter. Whatever cannot be translated is a 400 naming `filter` and the token at fault.

pygeofilter 0.4's CQL2 text grammar lacks S_DWITHIN and writes temporal predicates infix; the
grammar is loaded from pygeofilter with those two rules changed to the standard's function form
(`S_DWITHIN(geometry, POINT(114.88 40.82), 100)`, metres; `T_AFTER(created_at,
TIMESTAMP('2026-01-01T00:00:00Z'))`).
"""

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import lark
import pygeofilter.parsers
from psycopg import sql
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_json.parser import walk_cql_json
from pygeofilter.parsers.cql2_text.parser import CQLTransformer

from geo.core.errors import InvalidParameter
from geo.ogc.crs import Crs

# cql-text is the draft's name of CQL2 text, which GDAL's OAPIF driver (3.6 to 3.12 at least)
# sends when an items path lists it; what GDAL writes is CQL2 text too.
LANGS = ("cql2-text", "cql2-json", "cql-text")
# The name a filter uses for a feature's geometry, as in the queryables.
GEOMETRY = "geometry"

_PARSERS = os.path.dirname(pygeofilter.parsers.__file__)


def _text_grammar() -> str:
    with open(os.path.join(_PARSERS, "cql2_text", "grammar.lark"), encoding="utf-8") as f:
        grammar = f.read()
    infix = "?temporal_predicate: expression _binary_temporal_predicate_func expression"
    spatial = '?spatial_predicate: _binary_spatial_predicate_func "(" expression'
    quoted = 'SINGLE_QUOTED: "\'" /.*?/ "\'"'
    assert infix in grammar and spatial in grammar and quoted in grammar, "grammar changed"
    # CQL2 writes a quote inside a text literal twice ('O''Brien').
    grammar = grammar.replace(quoted, "SINGLE_QUOTED: \"'\" /(?:[^']|'')*/ \"'\"")
    grammar = grammar.replace(
        infix,
        '?temporal_predicate: _binary_temporal_predicate_func "(" expression "," expression ")"',
    )
    return grammar.replace(
        spatial,
        '?spatial_predicate: "S_DWITHIN"i "(" expression "," expression "," full_number ")"'
        ' -> dwithin\n    | _binary_spatial_predicate_func "(" expression',
    )


@lark.v_args(inline=True)
class _Transformer(CQLTransformer):
    def binary_temporal_predicate(self, op: str, lhs: Any, rhs: Any) -> ast.Node:  # type: ignore[override]
        return super().binary_temporal_predicate(lhs, op, rhs)

    def dwithin(self, lhs: Any, rhs: Any, distance: float) -> ast.Node:
        return ast.DistanceWithin(lhs, rhs, distance, "meters")

    def SINGLE_QUOTED(self, token: Any) -> str:  # noqa: N802 (lark names it after the token)
        return str(token[1:-1]).replace("''", "'")


_TEXT = lark.Lark(
    _text_grammar(),
    parser="lalr",
    maybe_placeholders=False,
    transformer=_Transformer(),
    import_paths=[_PARSERS],
)


def _json_dwithin(node: Any) -> Any:
    """CQL2 JSON's s_dwithin, which pygeofilter 0.4 does not know, as its AST node."""
    if isinstance(node, list):
        return [_json_dwithin(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _json_dwithin(v) for k, v in node.items()}
    if str(node.get("op", "")).lower() == "s_dwithin":
        args = node.get("args")
        if not (isinstance(args, list) and len(args) == 3 and _is_number(args[2])):
            raise _bad("s_dwithin takes a geometry, a geometry and a distance in metres")
        return ast.DistanceWithin(walk_cql_json(args[0]), walk_cql_json(args[1]), args[2], "m")
    return node


# How deep a filter may nest (parentheses, operators, JSON arrays and objects). Honest filters
# nest a few levels; the parser and the translator recurse, and a filter of 500 nested NOTs
# would otherwise reach Python's stack limit (a RecursionError, a 500).
MAX_NESTING = 40


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, ast.Node):
        return list(vars(value).values())
    return []


def _refuse_deep(value: Any) -> None:
    """A 400 when a parsed filter (JSON document or AST) nests deeper than MAX_NESTING; walked
    with a stack of its own, so that the check cannot itself overflow."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            raise _too_deep()
        stack.extend((child, depth + 1) for child in _children(node))


def _refuse_deep_text(text: str) -> None:
    """A 400 when parentheses (outside text literals) nest deeper than MAX_NESTING."""
    depth = 0
    for char in _QUOTED.sub("''", text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth > MAX_NESTING:
            raise _too_deep()


_QUOTED = re.compile(r"'(?:[^']|'')*'")


def _too_deep() -> InvalidParameter:
    return _bad(f"nested more than {MAX_NESTING} levels deep; write it flatter")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bad(detail: str, token: Any = None) -> InvalidParameter:
    extra = {} if token is None else {"token": str(token)}
    return InvalidParameter(f"filter: {detail}.", where="filter", **extra)


def parse(text: str, lang: str) -> ast.Node:
    """The AST of a CQL2 filter; a 400 naming the token where it stops making sense."""
    if lang == "cql2-json":
        try:
            doc = json.loads(text)
        except RecursionError:  # the decoder's own limit, far past ours
            raise _too_deep() from None
        except ValueError as exc:
            raise _bad(f"not JSON ({exc})") from None
        _refuse_deep(doc)
        try:
            return parse_json(_json_dwithin(doc))
        except InvalidParameter:
            raise
        except Exception as exc:  # pygeofilter raises bare ValueError/KeyError/IndexError
            raise _bad(f"not CQL2 JSON ({exc})") from None
    _refuse_deep_text(text)
    try:
        node = _TEXT.parse(text)
    except lark.exceptions.UnexpectedToken as exc:
        token = exc.token.value or "end of text"
        raise _bad(f"unexpected {token!r} at column {exc.column}", token) from None
    except lark.exceptions.UnexpectedCharacters as exc:
        pos = exc.pos_in_stream or 0
        token = text[pos : pos + 12].split(" ")[0]
        raise _bad(f"unexpected {token!r} at column {exc.column}", token) from None
    except lark.exceptions.UnexpectedEOF:
        raise _bad("the filter ends too early", "end of text") from None
    except lark.exceptions.VisitError as exc:
        raise _bad(f"cannot read {exc.obj} ({exc.orig_exc})") from None
    _refuse_deep(node)  # AND and OR chain without parentheses
    return node


# --- Translation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a filter may name: queryable -> (SQL expression, JSON Schema type), and the
    geometry column; plus the CRS of the filter's geometry literals."""

    columns: dict[str, tuple[sql.Composable, str]]
    geometry: sql.Composable
    crs: Crs
    # make literal geometries valid first (a hand-drawn lasso that crosses itself)
    repair: bool = False


_COMPARE = {
    ast.Equal: "=",
    ast.NotEqual: "<>",
    ast.LessThan: "<",
    ast.LessEqual: "<=",
    ast.GreaterThan: ">",
    ast.GreaterEqual: ">=",
}
_SPATIAL = {
    ast.GeometryIntersects: "ST_Intersects",
    ast.GeometryDisjoint: "ST_Disjoint",
    ast.GeometryContains: "ST_Contains",
    ast.GeometryWithin: "ST_Within",
    ast.GeometryTouches: "ST_Touches",
    ast.GeometryCrosses: "ST_Crosses",
    ast.GeometryOverlaps: "ST_Overlaps",
    ast.GeometryEquals: "ST_Equals",
}
_ARITHMETIC = {ast.Add: "+", ast.Sub: "-", ast.Mul: "*", ast.Div: "/"}
_TEMPORAL = {ast.TimeBefore: "<", ast.TimeAfter: ">", ast.TimeEquals: "="}


class _Translator:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.params: list[Any] = []
        self.named = ""  # the property a literal is compared with, for error messages

    def bind(self, value: Any) -> sql.Composable:
        self.params.append(value)
        return sql.SQL("%s")

    def cond(self, node: Any) -> sql.Composable:
        if isinstance(node, ast.And | ast.Or):
            op = sql.SQL(" AND " if isinstance(node, ast.And) else " OR ")
            return sql.SQL("({})").format(op.join([self.cond(node.lhs), self.cond(node.rhs)]))
        if isinstance(node, ast.Not):
            return sql.SQL("(NOT {})").format(self.cond(node.sub_node))
        if isinstance(node, ast.Include):
            return sql.SQL("FALSE" if node.not_ else "TRUE")
        handler = self._predicates().get(type(node))
        if handler is None:
            raise _bad(f"{type(node).__name__} is not supported", type(node).__name__)
        return handler(node)

    def _predicates(self) -> dict[type, Callable[[Any], sql.Composable]]:
        return {
            **dict.fromkeys(_COMPARE, self.compare),
            ast.Between: self.between,
            ast.Like: self.like,
            ast.In: self.in_,
            ast.IsNull: self.is_null,
            **dict.fromkeys(_SPATIAL, self.spatial),
            ast.DistanceWithin: self.dwithin,
            **dict.fromkeys(_TEMPORAL, self.temporal),
        }

    def compare(self, node: Any) -> sql.Composable:
        kind = self.kind(node.lhs) or self.kind(node.rhs)
        op = sql.SQL(_COMPARE[type(node)])
        return sql.SQL("({} {} {})").format(
            self.value(node.lhs, kind), op, self.value(node.rhs, kind)
        )

    def between(self, node: Any) -> sql.Composable:
        kind = self.kind(node.lhs)
        lhs, low, high = (self.value(v, kind) for v in (node.lhs, node.low, node.high))
        neg = sql.SQL("NOT " if node.not_ else "")
        return sql.SQL("({} {}BETWEEN {} AND {})").format(lhs, neg, low, high)

    def like(self, node: Any) -> sql.Composable:
        if not isinstance(node.pattern, str):
            raise _bad("LIKE takes a text pattern", node.pattern)
        lhs = self.value(node.lhs, "string")
        op = ("NOT " if node.not_ else "") + ("ILIKE" if node.nocase else "LIKE")
        return sql.SQL("({}::text {} {})").format(lhs, sql.SQL(op), self.bind(node.pattern))

    def in_(self, node: Any) -> sql.Composable:
        kind = self.kind(node.lhs)
        items = sql.SQL(", ").join(self.value(v, kind) for v in node.sub_nodes)
        neg = sql.SQL("NOT " if node.not_ else "")
        return sql.SQL("({} {}IN ({}))").format(self.value(node.lhs, kind), neg, items)

    def is_null(self, node: Any) -> sql.Composable:
        neg = sql.SQL("NOT " if node.not_ else "")
        return sql.SQL("({} IS {}NULL)").format(self.value(node.lhs, None), neg)

    def spatial(self, node: Any) -> sql.Composable:
        fn = sql.SQL(_SPATIAL[type(node)])
        return sql.SQL("{}({}, {})").format(fn, self.geometry(node.lhs), self.geometry(node.rhs))

    def dwithin(self, node: Any) -> sql.Composable:
        if not _is_number(node.distance) or node.distance < 0:
            raise _bad("the distance of S_DWITHIN is a number of metres", node.distance)
        a, b = self.geometry(node.lhs), self.geometry(node.rhs)
        return sql.SQL("ST_DWithin({}::geography, {}::geography, {})").format(
            a, b, self.bind(float(node.distance))
        )

    def temporal(self, node: Any) -> sql.Composable:
        op = sql.SQL(_TEMPORAL[type(node)])
        lhs, rhs = self.value(node.lhs, "date"), self.value(node.rhs, "date")
        return sql.SQL("({} {} {})").format(lhs, op, rhs)

    # --- expressions ---

    def kind(self, node: Any) -> str | None:
        """The JSON Schema type of a property named in the node, if it is one."""
        if isinstance(node, ast.Attribute) and node.name != GEOMETRY:
            self.named = node.name
            return self.column(node.name)[1]
        return None

    def column(self, name: str) -> tuple[sql.Composable, str]:
        found = self.target.columns.get(name)
        if found is None:
            known = ", ".join(self.target.columns)
            raise _bad(f"unknown property {name!r}; queryables: {known}", name)
        return found

    def value(self, node: Any, kind: str | None) -> sql.Composable:
        """A scalar expression: a queryable, a literal bound as the property's type needs."""
        if isinstance(node, ast.Attribute):
            if node.name == GEOMETRY:
                raise _bad("the geometry is compared with spatial functions only", node.name)
            return self.column(node.name)[0]
        if isinstance(node, ast.Function):
            if node.name != "lower" or len(node.arguments) != 1:
                raise _bad(f"unknown function {node.name!r}", node.name)
            return sql.SQL("lower({}::text)").format(self.value(node.arguments[0], "string"))
        if isinstance(node, ast.Arithmetic):
            op = sql.SQL(_ARITHMETIC[type(node)])
            return sql.SQL("({} {} {})").format(
                self.value(node.lhs, "number"), op, self.value(node.rhs, "number")
            )
        if isinstance(node, values.Geometry | values.Envelope):
            raise _bad("a geometry is compared with spatial functions only", "geometry")
        return self.literal(node, kind)

    def literal(self, value: Any, kind: str | None) -> sql.Composable:
        if isinstance(value, bool):
            ok = kind in (None, "boolean")
        elif isinstance(value, int | float):
            ok = kind in (None, "integer", "number")
        elif isinstance(value, datetime | date):
            ok = kind in (None, "date", "date-time", "string")
        elif isinstance(value, str):
            ok = kind in (None, "string", "date", "date-time")
        else:
            raise _bad(f"{value!r} is not a value a property can take", value)
        if not ok:
            raise _bad(f"{value!r} does not fit {self.named!r}, a property of type {kind}", value)
        if isinstance(value, str):
            return (
                sql.SQL("{}::text").format(self.bind(value))
                if kind == "string"
                else self.bind(value)
            )
        return self.bind(value)

    def geometry(self, node: Any) -> sql.Composable:
        if isinstance(node, ast.Attribute):
            if node.name != GEOMETRY:
                raise _bad(
                    f"{node.name!r} is not a geometry; the geometry is {GEOMETRY!r}", node.name
                )
            return self.target.geometry
        if isinstance(node, values.Envelope):
            node = values.Geometry(node.geometry)
        if not isinstance(node, values.Geometry):
            raise _bad(f"{node!r} is not a geometry", node)
        crs = self.target.crs
        geom = sql.SQL("ST_SetSRID(ST_GeomFromGeoJSON({}), {})").format(
            self.bind(json.dumps(node.geometry)), sql.Literal(crs.srid)
        )
        if crs.north_first:
            geom = sql.SQL("ST_FlipCoordinates({})").format(geom)
        if self.target.repair:
            geom = sql.SQL("ST_MakeValid({})").format(geom)
        return sql.SQL("ST_Transform({}, 4326)").format(geom)


def to_sql(node: ast.Node, target: Target) -> tuple[sql.Composable, list[Any]]:
    """The filter as one SQL condition with its parameters, in order."""
    t = _Translator(target)
    cond = t.cond(node)
    return cond, t.params
