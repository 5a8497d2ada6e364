"""`yishiting import FILE --layer ...` and `yishiting export COLLECTION ...` from the shell."""

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

import psycopg
from tqdm import tqdm

from geo.core import clock
from geo.core.db import connect_for_import
from geo.core.errors import YishitingError
from geo.core.settings import get_settings
from geo.io import exports, imports
from geo.io.layers import LAYERS
from geo.io.mapping import parse_maps


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register `import` and `export` on the main parser."""
    p = sub.add_parser(
        "import",
        help="import a survey file into a layer (Shapefile, GeoPackage, GeoJSON, KML, CSV, XLSX)",
        description="Read FILE, check it in PostGIS and store it in one transaction "
        "(see docs/import-export.md). --dry-run only reports.",
    )
    p.add_argument("file", type=Path)
    p.add_argument("--layer", required=True, choices=list(LAYERS))
    p.add_argument("--crs", help="override the file's CRS: EPSG:4547, 4326, 4526, gcj02, bd09 ...")
    p.add_argument("--encoding", help="text encoding of a .dbf/.csv: UTF-8, GBK, GB18030")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="map a file field to a column, e.g. --map 名称=name (repeatable)",
    )
    p.add_argument("--source", help="name of the survey (default: the file name)")
    p.add_argument("--file-layer", help="the layer inside a GeoPackage, KML or XLSX")
    p.add_argument("--dry-run", action="store_true", help="check and report; store nothing")
    p.add_argument(
        "--remove-missing",
        action="store_true",
        help="remove this source's features that the file no longer has",
    )
    p.add_argument("--json", action="store_true", help="print the whole report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser(
        "export",
        help="export an OGC collection to a file (same filters and bbox as its items)",
    )
    p.add_argument("collection", help="an OGC collection id, e.g. compounds")
    p.add_argument("--format", required=True, choices=list(exports.FORMATS))
    p.add_argument("--crs", type=int, default=4326, choices=list(exports.SRIDS))
    p.add_argument("--encoding", default="UTF-8", help="Shapefile text: UTF-8 (default) or GBK")
    p.add_argument("--bbox", help="minx,miny,maxx,maxy in lon/lat")
    p.add_argument("--datetime", help="an RFC 3339 instant or interval a/b, as on /items")
    p.add_argument("--cql", help="a CQL2-text filter, as filter= on /items (e.g. floors > 10)")
    p.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an equality filter on a queryable, as on /ogc/collections/{id}/items",
    )
    p.add_argument("-o", "--output", type=Path, help="file to write (default: as offered)")
    p.set_defaults(handler=cmd_export)


class _Bar:
    """The import's phases on one tqdm bar (features staged, then each check)."""

    def __init__(self, enabled: bool) -> None:
        self.bar: tqdm | None = None
        self.enabled = enabled

    def phase(self, name: str, total: int | None = None) -> None:
        if not self.enabled:
            return
        if total is not None:
            self.close()
            self.bar = tqdm(total=total, desc=name, unit="feature", file=sys.stderr)
        elif self.bar is not None:
            self.bar.set_description(name)
        else:
            print(f"{name} ...", file=sys.stderr)

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def cmd_import(args: argparse.Namespace) -> int:
    bar = _Bar(not args.quiet)
    try:
        opts = imports.Options(
            layer=args.layer,
            crs=args.crs,
            encoding=args.encoding,
            maps=parse_maps(args.map),
            source=args.source,
            file_layer=args.file_layer,
            dry_run=args.dry_run,
            remove_missing=args.remove_missing,
            actor=f"cli:{getpass.getuser()}",
            today=clock.today().isoformat(),
        )
        if not args.file.exists():
            print(f"error: {args.file} does not exist", file=sys.stderr)
            return 2
        with connect_for_import(get_settings()) as conn:
            report = imports.import_file(conn, args.file, opts, bar)
    except YishitingError as exc:
        bar.close()
        refused = exc.extra.get("report")
        if refused is not None:
            _print_report(refused, args.json)
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    bar.close()
    _print_report(report, args.json)
    return 0


def _features(rows: list[dict[str, Any]], n: int = 5) -> str:
    shown = ", ".join(f"{r.get('source_id')} {r.get('label') or ''}".strip() for r in rows[:n])
    return shown + (" ..." if len(rows) > n else "")


def _print_report(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=1, default=str))
        return
    out = print
    mode = (
        "dry run, nothing stored"
        if report["dry_run"]
        else ("stored" if report.get("stored") else "NOT stored")
    )
    out(f"{report['file']} -> {report['layer']} ({mode})")
    out(f"  format     {report['format']}  layer in file: {report['file_layer']}")
    out(f"  features   {report['features']}")
    out(f"  CRS        {report['crs']['used']} (from {report['crs']['from']})")
    out(f"  encoding   {report['encoding']}")
    m = report["mapping"]
    out(f"  fields     {', '.join(f'{k}={v}' for k, v in m['fields'].items())}")
    out(f"  unmapped   {', '.join(m['unmapped']) or '-'}")
    out(f"  ids        {m['source_id']}")
    dims = report["dimensions_dropped"]
    if dims["z"] or dims["m"]:
        out(f"  3D/M       {dims['z']} with Z, {dims['m']} with M: stored as 2D")
    g = report["geometry"]
    repaired = g["repaired_by_make_valid"]
    out(f"  invalid    {g['invalid_count']} ({repaired} repaired by ST_MakeValid)")
    for row in g["invalid"][:5]:
        fix = "repairable" if row["repairable"] else "NOT repairable"
        out(f"             {row['source_id']} {row['label'] or ''}: {row['reason']} ({fix})")
    for unit, figures in report["measures"].items():
        out(f"  {unit:10} total {figures['total']}, min {figures['min']}, max {figures['max']}")
    outside = report["outside_district"]
    out(f"  outside    {outside.get('count', 0)} {outside.get('note', '')}".rstrip())
    if outside.get("crs_that_fit"):
        fit = ", ".join(outside["crs_that_fit"][:6])
        out(f"             all outside; these CRSs put them inside: {fit}")
    for column, p in report["parents"].items():
        out(
            f"  {column:10} {p['found']} by {p['from']}, {p['straddling_count']} straddling,"
            f" {p['outside_count']} in no {p['table']}"
        )
        if p["straddling"]:
            out(f"             straddling: {_features(p['straddling'])}")
    out(f"  overlaps   {report['overlaps']['count']} with existing features")
    dup = report["duplicates"]
    if dup["ids"] or dup["names"]:
        out(
            f"  duplicates ids {len(dup['ids'])}, names {len(dup['names'])}: "
            f"{', '.join(str(d['value']) for d in (dup['ids'] + dup['names'])[:5])}"
        )
    if report["bad_value_count"]:
        out(f"  bad values {report['bad_value_count']}")
        for b in report["bad_values"][:5]:
            out(f"             row {b['row']} {b['field']}={b['value']!r}: needs {b['reason']}")
    c = report["changes"]
    out(
        f"  changes    added {c['added']}, changed {c['changed']}, unchanged {c['unchanged']},"
        f" missing {c['missing']}" + (f", removed {c['removed']}" if "removed" in c else "")
    )
    for row in c["changed_features"][:10]:
        what = ", ".join(row["fields"])
        out(f"             changed {row['source_id']} {row['label'] or ''}: {what}")
    for problem in report["problems"]:
        out(f"  PROBLEM    {problem}")


def cmd_export(args: argparse.Namespace) -> int:
    from api.schemas.ogc_params import parse_bbox, parse_datetime, parse_filter
    from geo.ogc.engine import Query

    try:
        filters = dict(f.split("=", 1) for f in args.filter if "=" in f)
        with psycopg.connect(get_settings().libpq_url) as conn:
            result = exports.export(
                conn,
                args.collection,
                fmt=args.format,
                srid=args.crs,
                encoding=args.encoding,
                query=Query(
                    bbox=parse_bbox(args.bbox),
                    filters=filters,
                    when=parse_datetime(args.datetime),
                    cql=parse_filter(args.cql, None),
                ),
            )
    except YishitingError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    path = args.output or Path(result.filename)
    path.write_bytes(result.content)
    print(f"{path}: {result.count} features, {len(result.content)} bytes")
    return 0
