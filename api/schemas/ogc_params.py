"""Parsing and checking the query parameters of OGC API requests (no SQL): each bad value is
an InvalidParameter naming the parameter. `selection` is what an items page
(/ogc/collections/{id}/items) and an export (/api/exports/{id}) both select, parsed once."""

import math
from collections.abc import Callable, Container, Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from geo.core.errors import InvalidParameter
from geo.ogc import cql, crs, engine
from geo.ogc.collection import Collection


def equality_filters(
    params: Mapping[str, str], collection: Collection, reserved: Container[str]
) -> dict[str, str]:
    """The parameters not in `reserved`, each of which must name a queryable of the collection."""
    filters = {k: v for k, v in params.items() if k not in reserved}
    for name in filters:
        if name not in collection.filters:
            raise InvalidParameter(
                f"Unknown parameter {name!r}; queryables of {collection.id}: "
                f"{', '.join(collection.filters) or 'none'}.",
                where=name,
            )
    return filters


def parse_filter(text: str | None, lang: str | None) -> Any:
    """A CQL2 filter in cql2-text (the default) or cql2-json, parsed; None when not given."""
    if lang is not None and lang not in cql.LANGS:
        raise InvalidParameter(
            f"filter-lang must be one of {', '.join(cql.LANGS)}.", where="filter-lang"
        )
    if text is None:
        return None
    return cql.parse(text, lang or "cql2-text")


def selection(
    collection: Collection,
    params: Mapping[str, str],
    *,
    reserved: Container[str],
    bbox: str | None = None,
    bbox_crs: str | None = None,
    datetime: str | None = None,
    filter_: str | None = None,
    filter_lang: str | None = None,
    filter_crs: str | None = None,
) -> engine.Query:
    """Which features: bbox (in bbox-crs), datetime, a CQL2 filter (its geometries in
    filter-crs) and equality filters (the query parameters not `reserved`); paging, order and
    shape stay at their defaults for the caller to set."""
    box_crs = crs.get(bbox_crs, "bbox-crs")
    return engine.Query(
        bbox=parse_bbox(bbox, box_crs),
        bbox_crs=box_crs,
        filters=equality_filters(params, collection, reserved),
        when=parse_datetime(datetime),
        cql=parse_filter(filter_, filter_lang),
        filter_crs=crs.get(filter_crs, "filter-crs"),
    )


def described(description: str, alias: str | None = None) -> Any:
    """A query parameter's declaration: its description, and its name when not a Python one."""
    return Query(description=description, alias=alias)


OptStr = str | None
Select = Callable[[Collection, Container[str]], engine.Query]


async def selection_query(
    request: Request,
    bbox: Annotated[OptStr, described("minx,miny,maxx,maxy in bbox-crs (CRS84 by default)")] = None,
    bbox_crs: Annotated[
        OptStr, described("CRS URI of bbox (axis order as it defines)", "bbox-crs")
    ] = None,
    datetime: Annotated[OptStr, described("RFC 3339 instant or interval (a/b, ../b, a/..)")] = None,
    filter_: Annotated[
        OptStr, described("CQL2 filter (text or JSON, see filter-lang)", "filter")
    ] = None,
    filter_lang: Annotated[
        OptStr, described("cql2-text (default) or cql2-json", "filter-lang")
    ] = None,
    filter_crs: Annotated[
        OptStr, described("CRS URI of the filter's geometries", "filter-crs")
    ] = None,
) -> Select:
    """The `selection` parameters as sent; parsed when the route knows the collection and
    which other parameters it reserves (async: it only reads, no hop to the thread pool)."""

    def select(collection: Collection, reserved: Container[str]) -> engine.Query:
        return selection(
            collection,
            request.query_params,
            reserved=reserved,
            bbox=bbox,
            bbox_crs=bbox_crs,
            datetime=datetime,
            filter_=filter_,
            filter_lang=filter_lang,
            filter_crs=filter_crs,
        )

    return select


SelectionDep = Annotated[Select, Depends(selection_query)]


def parse_bbox(
    text: str | None, c: crs.Crs = crs.SUPPORTED[crs.CRS84]
) -> tuple[float, float, float, float] | None:
    """Four numbers (or the 6-number 3D form) in `c`'s axis order; None when not given."""
    if text is None:
        return None
    try:
        nums = [float(v) for v in text.split(",")]
    except ValueError:
        raise InvalidParameter(
            "bbox must be 4 or 6 comma-separated numbers.", where="bbox"
        ) from None
    if len(nums) not in (4, 6) or not all(math.isfinite(v) for v in nums):
        raise InvalidParameter("bbox must be 4 or 6 comma-separated numbers.", where="bbox")
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    minx, miny, maxx, maxy = nums
    if c.uri != crs.CRS84:
        if minx > maxx or miny > maxy:
            raise InvalidParameter("bbox must be lower corner, upper corner.", where="bbox")
        crs.check_bbox(c, (minx, miny, maxx, maxy), "bbox")
        return minx, miny, maxx, maxy
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180):
        raise InvalidParameter("bbox longitudes must lie within -180..180.", where="bbox")
    if not (-90 <= miny <= 90 and -90 <= maxy <= 90):
        raise InvalidParameter("bbox latitudes must lie within -90..90.", where="bbox")
    if minx > maxx or miny > maxy:
        raise InvalidParameter("bbox must be minx,miny,maxx,maxy with min <= max.", where="bbox")
    return minx, miny, maxx, maxy


def integer(text: str | None, name: str, default: int, minimum: int) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidParameter(f"{name} must be an integer.", where=name) from None
    if value < minimum:
        raise InvalidParameter(f"{name} must be at least {minimum}.", where=name)
    return value


def _instant(text: str) -> datetime:
    """An RFC 3339 date-time with its offset (Z or +hh:mm)."""
    try:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        value = None
    if value is None or "T" not in text.upper() or value.tzinfo is None:
        raise InvalidParameter(
            f"datetime: {text!r} is not an RFC 3339 date-time with an offset, such as "
            "2026-11-01T08:00:00Z or 2026-11-01T16:00:00+08:00.",
            where="datetime",
        )
    return value


def parse_datetime(text: str | None) -> tuple[datetime | None, datetime | None] | None:
    """An instant (t, t) or an interval (start, end) with `..` (or nothing) for an open end."""
    if text is None:
        return None
    parts = text.split("/")
    if len(parts) == 1:
        t = _instant(parts[0])
        return t, t
    if len(parts) != 2:
        raise InvalidParameter("datetime is an instant or start/end.", where="datetime")
    start, end = (None if p in ("..", "") else _instant(p) for p in parts)
    if start is None and end is None:
        raise InvalidParameter("datetime: an interval needs at least one end.", where="datetime")
    if start is not None and end is not None and start > end:
        raise InvalidParameter("datetime: the start is after the end.", where="datetime")
    return start, end


def parse_sortby(text: str | None) -> tuple[tuple[str, bool], ...]:
    """`+name`, `-name` or `name`, comma separated: (name, descending) pairs."""
    if text is None:
        return ()
    keys = []
    for part in text.split(","):
        part = part.strip()
        name = part.lstrip("+-").strip()
        if not name:
            raise InvalidParameter("sortby lists queryables, each with + or -.", where="sortby")
        keys.append((name, part.startswith("-")))
    return tuple(keys)


def parse_names(text: str | None, where: str) -> tuple[str, ...] | None:
    """A comma-separated list of names (empty items refused); None when not given."""
    if text is None:
        return None
    names = tuple(n.strip() for n in text.split(",")) if text else ()
    if any(not n for n in names):
        raise InvalidParameter(f"{where} is a comma-separated list of names.", where=where)
    return names


def parse_bool(text: str | None, where: str) -> bool:
    if text is None or text.lower() == "false":
        return False
    if text.lower() == "true":
        return True
    raise InvalidParameter(f"{where} is true or false.", where=where)
