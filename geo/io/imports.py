"""Importing a survey file into a layer: read, map, convert, check in PostGIS, then store or not.

`import_file` does everything in one transaction: the caller's when its connection is in one
(POST /api/imports passes the request Session's connection, so the import is a savepoint in the
request's transaction, committed with the Idempotency-Key's claim), else its own (the command
line). A dry run rolls it back and returns the report; a real import refuses (Unprocessable,
the report attached) when the report names a problem that would store something wrong, and
otherwise stores everything at once: all or nothing. Each feature keeps the import's `source`
and its id in the file (`source_id`), so a re-import of an updated survey under the same source
reports what was added, changed, unchanged and missing, and removes the missing only when
asked. `import_log` keeps who, when, the file's SHA-256 and the counts.

Errors in the input itself (unreadable file, no .prj, mixed or empty geometries, garbled text,
unknown --map fields) are raised before anything touches the database.
"""

import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import psycopg
import shapely
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from geo.core.errors import Unprocessable
from geo.core.settings import get_settings
from geo.io import checks, crs, file_checks, mapping, overlaps, parents, sources
from geo.io.archives import ZipLimits
from geo.io.layers import DISTRICT, SOURCE_ID, Layer, get_layer
from geo.io.sources import Table

SHOWN = checks.SHOWN
_COPY_CHUNK = 5000
_WORK_MEM = "64MB"


class Progress(Protocol):
    def phase(self, name: str, total: int | None = None) -> None: ...
    def advance(self, n: int) -> None: ...


class _Quiet:
    def phase(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int) -> None:
        pass


@dataclass
class Options:
    layer: str
    crs: str | None = None
    encoding: str | None = None
    maps: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    file_layer: str | None = None
    dry_run: bool = False
    remove_missing: bool = False
    actor: str = "cli"
    account_id: int | None = None
    filename: str | None = None  # the name to report and log (an upload's own name)
    today: str | None = None  # the district's date, for layers that default to it
    # An upload's scoped Idempotency-Key and its request's fingerprint (api/routes/imports.py): a
    # retry with the key answers the first import's report instead of importing (and
    # logging) twice; the fingerprint only makes two copies arriving together wait in turn.
    idempotency_key: str | None = None
    fingerprint: str | None = None
    zip_limits: ZipLimits | None = None  # None: the environment's settings


# Only an Idempotency-Key makes a repeat a retry: without one, the same file and form is a real
# import each time (a planner re-imports a survey to restore features edited meanwhile, and the
# report says what changed, all `unchanged` when nothing did).
_PREVIOUS = """
SELECT id, report FROM import_log
 WHERE report IS NOT NULL AND idempotency_key = %(key)s
 ORDER BY id DESC LIMIT 1
"""


def previous_import(conn: psycopg.Connection, opts: Options) -> dict[str, Any] | None:
    """The report of the import this request repeats (the same Idempotency-Key), marked
    `replayed`; None for a new import (always without a key)."""
    if opts.dry_run or opts.idempotency_key is None:
        return None
    row = conn.execute(_PREVIOUS, {"key": opts.idempotency_key}).fetchone()
    if row is None:
        return None
    return dict(row[1]) | {"import_log_id": row[0], "replayed": True}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_file(
    conn: psycopg.Connection, path: Path, opts: Options, progress: Progress | None = None
) -> dict[str, Any]:
    """Import (or with opts.dry_run, only check) `path` into opts.layer; returns the report."""
    bar = progress or _Quiet()
    layer = get_layer(opts.layer)
    earlier = previous_import(conn, opts)
    if earlier is not None:
        return earlier
    given_crs = crs.parse(opts.crs) if opts.crs else None
    bar.phase("read")
    limits = opts.zip_limits or ZipLimits.of(get_settings())
    with sources.opened(path, limits) as data_path:
        table = sources.read_table(
            data_path,
            file_layer=opts.file_layer,
            encoding=opts.encoding,
            crs_given=given_crs is not None,
        )
    source = opts.source or Path(opts.filename or path.name).stem
    report: dict[str, Any] = {
        "layer": layer.name,
        "file": opts.filename or path.name,
        "format": table.format,
        "file_layer": table.file_layer,
        "sha256": sha256(path),
        "source": source,
        "dry_run": opts.dry_run,
        "features": len(table.geoms),
        "encoding": table.encoding,
    }
    file_checks.check_geometries(table, layer)
    report["dimensions_dropped"] = file_checks.flatten(table)
    source_crs = file_checks.resolve_crs(table, given_crs)
    report["crs"] = {"used": source_crs.label, "from": source_crs.origin}
    bar.phase("convert")
    raw_geoms = table.geoms
    table.geoms = source_crs.to_wgs84(table.geoms)
    maps = mapping.build(layer, table.fields, opts.maps)
    records, bad = mapping.records(layer, maps, table.fields, table.columns)
    ids_from = maps.field_for(SOURCE_ID)
    report["mapping"] = {
        "fields": maps.columns,
        "unmapped": maps.unmapped,
        "source_id": f"field {ids_from}" if ids_from else "row number (no id field in the file)",
    }
    report["bad_values"] = [vars(b) | {"row": b.row + 1} for b in bad[:SHOWN]]
    report["bad_value_count"] = len(bad)
    file_checks.fill_defaults(layer, records, opts.today)
    with conn.transaction(force_rollback=opts.dry_run):
        if not opts.dry_run and opts.fingerprint:
            # two copies of one upload arriving together: the second waits, then replays the
            # first (with the same key) or imports after it (without a key)
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (opts.fingerprint,))
            earlier = previous_import(conn, opts)
            if earlier is not None:
                return earlier
        # The checks' statements are estimated dear (PostGIS functions), so PostgreSQL would
        # JIT-compile each of them: 0.2-0.7 s a statement, more than most of them then take.
        # Room to sort and hash 100,000 staged features in memory: at the default 4 MB the
        # store's sort spilled to disk.
        conn.execute(
            "SELECT set_config('jit', 'off', true), set_config('work_mem', %s, true)",
            (_WORK_MEM,),
        )
        _stage(conn, table, layer, records, bar)
        report |= _check(conn, layer, source, raw_geoms, bar)
        bar.phase("diff")
        columns = file_checks.write_columns(layer, maps)
        checks.diff(conn, layer, source, columns)
        report["changes"] = checks.changes(conn, layer, source)
        missing_ids = report["changes"].pop("_missing_ids")
        report["problems"] = problems(report, layer)
        report["stored"] = False
        if opts.dry_run or report["problems"]:
            report["measures"] = checks.measures(conn, layer)
        if opts.dry_run:
            checks.drop_stage(conn)
            return report
        if report["problems"]:
            raise Unprocessable(
                "Nothing was imported: " + " ".join(report["problems"]),
                where="file",
                report=report,
            )
        bar.phase("store")
        report["measures"] = checks.store(conn, layer, source, columns)
        if layer.assessed:
            checks.store_assessments(conn, layer, source, opts.today)
        removed = 0
        if opts.remove_missing and missing_ids:
            _remove(conn, layer, missing_ids)
            removed = len(missing_ids)
        report["changes"]["removed"] = removed
        report["stored"] = True
        _log(conn, opts, layer, source, report, removed)
        checks.drop_stage(conn)
    return report


# --- In the database ------------------------------------------------------------------------


def _stage(
    conn: psycopg.Connection,
    table: Table,
    layer: Layer,
    records: mapping.Records,
    bar: Progress,
) -> None:
    """The features into import_raw, built a column at a time: a feature's id in the file (its
    row number when the file has none), label, record and WKB (hex, as COPY's text format takes
    it; the column gives it its SRID)."""
    checks.create_stage(conn)
    bar.phase("stage", total=records.count)
    fids = table.fids.astype(str).astype(object)
    ids = [given or fid for given, fid in zip(records.per_feature(SOURCE_ID), fids, strict=True)]
    wkb = [w.hex() for w in shapely.to_wkb(table.geoms)]
    rows = zip(
        range(records.count),
        ids,
        records.per_feature(layer.label),
        records.json(leave_out=SOURCE_ID),
        wkb,
        strict=True,
    )
    for start in range(0, records.count, _COPY_CHUNK):
        checks.copy_rows(conn, itertools.islice(rows, _COPY_CHUNK))
        bar.advance(min(_COPY_CHUNK, records.count - start))


def _check(
    conn: psycopg.Connection, layer: Layer, source: str, raw_geoms: np.ndarray, bar: Progress
) -> dict[str, Any]:
    bar.phase("validity")  # and shape, the stage's indexes, the district
    checks.shape(conn, layer)
    checks.index_stage(conn)
    out: dict[str, Any] = {"geometry": checks.geometry_findings(conn, layer)}
    out["outside_district"] = _outside(conn, layer, raw_geoms)
    bar.phase("parents")
    out["parents"] = {}
    for parent in layer.parents:
        unknown: list[dict] = []
        given = _given(conn, parent.column)  # one scan of the stage, not two
        if parent.table == "district":
            parents.locate_parent(conn, layer, parent)
        elif given:
            unknown = parents.parent_from_file(conn, parent)
        else:
            parents.locate_parent(conn, layer, parent)
        found = parents.parent_findings(conn, parent)
        found["from"] = "file" if given else "location"
        found["unknown_ids"] = unknown[:SHOWN]
        found["unknown_id_count"] = len(unknown)
        found["required"] = parent.required
        out["parents"][parent.column] = found
    bar.phase("overlaps")
    out["overlaps"] = overlaps.overlaps(conn, layer, source)
    bar.phase("duplicates")
    out["duplicates"] = {
        "ids": checks.duplicates(conn, "source_id")[:SHOWN],
        "names": checks.duplicates(conn, "label")[:SHOWN],
    }
    out["label_conflicts"] = (
        checks.label_conflicts(conn, layer, source)[:SHOWN] if layer.unique_label else []
    )
    return out


def _given(conn: psycopg.Connection, column: str) -> bool:
    row = conn.execute("SELECT bool_or(record ? %s) FROM import_stage", (column,)).fetchone()
    return bool(row and row[0])


def _outside(conn: psycopg.Connection, layer: Layer, raw_geoms: np.ndarray) -> dict[str, Any]:
    if not checks.district_exists(conn):
        if layer.name == "subdistricts":
            checks.make_district(conn, *DISTRICT)
            return {"count": 0, "note": "no district yet: its outline is made from these"}
        return {"count": 0, "note": "no district outline in the database: not checked"}
    outside = checks.outside_district(conn)
    found: dict[str, Any] = {"count": len(outside), "features": outside[:SHOWN]}
    total = conn.execute("SELECT count(*) FROM import_stage WHERE geom IS NOT NULL").fetchone()
    if outside and total and len(outside) == total[0]:
        minx, miny, maxx, maxy = shapely.total_bounds(raw_geoms)
        candidates = crs.candidate_points((minx + maxx) / 2, (miny + maxy) / 2)
        found["all"] = True
        found["crs_that_fit"] = checks.places_inside(conn, candidates)
    return found


def problems(report: dict[str, Any], layer: Layer) -> list[str]:
    """What stops a real import: each a sentence saying what to do."""
    out = []
    geometry = report["geometry"]
    broken = geometry["invalid_count"] - geometry["repaired_by_make_valid"]
    if broken:
        out.append(f"{broken} invalid geometries that ST_MakeValid cannot repair; redraw them.")
    if geometry["not_storable_count"]:
        out.append(
            f"{geometry['not_storable_count']} features are not one {layer.kind} each (multi-part"
            " shapes); split or dissolve them."
        )
    outside = report["outside_district"]
    if outside.get("count"):
        fit = outside.get("crs_that_fit")
        hint = (
            f" They would fall inside with --crs {fit[0]}"
            + (f" (or {', '.join(fit[1:4])})" if len(fit) > 1 else "")
            + "; the .prj is probably wrong or missing."
            if fit
            else " Check the coordinate system (--crs)."
        )
        out.append(f"{outside['count']} features lie outside the district.{hint}")
    if report["bad_value_count"]:
        first = report["bad_values"][0]
        out.append(
            f"{report['bad_value_count']} values do not fit their column (first: row "
            f"{first['row']} {first['field']}={first['value']!r}, needs {first['reason']})."
        )
    if report["duplicates"]["ids"]:
        out.append(
            f"{len(report['duplicates']['ids'])} ids occur more than once (e.g. "
            f"{report['duplicates']['ids'][0]['value']!r}); each feature needs its own id."
        )
    for column, parent in report["parents"].items():
        if parent["unknown_id_count"]:
            out.append(f"{parent['unknown_id_count']} {column} values name no {parent['table']}.")
        elif parent["required"] and parent["outside_count"]:
            out.append(
                f"{parent['outside_count']} features lie in no {parent['table']}: import the "
                f"{parent['table']} layer first or fix their position."
            )
    if report["label_conflicts"]:
        out.append(
            f"{len(report['label_conflicts'])} {layer.label}s are already taken by other "
            f"{layer.name} (e.g. {report['label_conflicts'][0]['label']!r})."
        )
    return out


def _remove(conn: psycopg.Connection, layer: Layer, ids: list[int]) -> None:
    try:
        with conn.transaction():
            checks.remove(conn, layer, ids)
    except psycopg.errors.ForeignKeyViolation as exc:
        raise Unprocessable(
            f"Nothing was imported: the missing {layer.name} cannot be removed while other "
            f"records refer to them ({exc.diag.message_detail}). Import without "
            "--remove-missing, or move what refers to them first.",
            where="remove_missing",
        ) from None


def _log(
    conn: psycopg.Connection,
    opts: Options,
    layer: Layer,
    source: str,
    report: dict[str, Any],
    removed: int,
) -> None:
    changes = report["changes"]
    counts = {
        "features": report["features"],
        **{k: changes[k] for k in ("added", "changed", "unchanged", "missing")},
        "removed": removed,
        "repaired": report["geometry"]["repaired_by_make_valid"],
    }
    row = conn.execute(
        "INSERT INTO import_log (actor, account_id, layer, source, filename, sha256, crs,"
        " encoding, counts, idempotency_key, fingerprint, report)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (
            opts.actor,
            opts.account_id,
            layer.name,
            source,
            report["file"],
            report["sha256"],
            report["crs"]["used"],
            report["encoding"],
            Jsonb(counts),
            opts.idempotency_key,
            opts.fingerprint,
            Jsonb(report) if opts.fingerprint else None,
        ),
    ).fetchone()
    report["import_log_id"] = row[0] if row else None


_LOG = """
SELECT l.id, l.at, l.layer, l.source, l.filename, l.sha256, l.crs, l.encoding, l.counts,
       a.name AS account
  FROM import_log l LEFT JOIN account a ON a.id = l.account_id
 ORDER BY l.id DESC LIMIT %s
"""


def import_log(conn: psycopg.Connection, *, limit: int = 50) -> list[dict[str, Any]]:
    """The latest imports, newest first: when, who (the account's name, or none for the CLI),
    which file (name and SHA-256), the layer, source, CRS and encoding used, and the counts."""
    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(_LOG, (limit,)).fetchall())
