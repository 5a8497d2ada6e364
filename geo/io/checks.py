"""PostGIS on the staged features: validity and repair, shape, measures, diff (the
parents: geo/io/parents.py; overlaps with existing features: geo/io/overlaps.py).

The features of a file are copied into a temporary table, `import_raw` (one row per feature:
its number in the file `n`, its id in the survey, its label, its values as jsonb and its WGS84
geometry `raw`), from which `shape` writes `import_stage` once, with each geometry's validity
and the geometry to store; both are dropped with the transaction. Every finding of the import
report is one statement over the stage, so PostGIS is the only judge of validity, areas and
lengths.
Table and column names come from geo/io/layers.py, never from a file.
"""

from collections.abc import Iterable
from typing import Any

import psycopg
from psycopg import sql

from geo.core.clock import ZONE
from geo.io.layers import Layer

STAGE = sql.Identifier("import_stage")
# How many features each list of the report names (the counts are always complete).
SHOWN = 50
_DIMENSION = {"point": 1, "line": 2, "polygon": 3}
_NOTHING = sql.SQL("")


def create_stage(conn: psycopg.Connection) -> None:
    conn.execute(
        "CREATE TEMP TABLE import_raw (n integer NOT NULL, source_id text NOT NULL,"
        " label text, record jsonb NOT NULL, raw geometry(Geometry, 4326) NOT NULL)"
        " ON COMMIT DROP"
    )
    # Each feature's parents, a row per parent column: written once, where recording them in
    # the stage rewrote every staged row again (2-3 s of a 100,000-feature import). The share
    # is kept as computed (geo/io/parents.py rounds the few it reports): rounding every one
    # through numeric took 0.25 s of 100,000 buildings' 0.64 s.
    conn.execute(
        "CREATE TEMP TABLE import_parent (n integer NOT NULL, col text NOT NULL, id integer,"
        " share double precision NOT NULL, PRIMARY KEY (n, col)) ON COMMIT DROP"
    )


def drop_stage(conn: psycopg.Connection) -> None:
    """Drop the import's tables now: ON COMMIT is too late when the import ran in a savepoint
    of a longer transaction (a caller's connection outside autocommit)."""
    conn.execute("DROP TABLE IF EXISTS import_raw, import_stage, import_parent, import_diff")


def copy_rows(conn: psycopg.Connection, rows: Iterable[tuple[Any, ...]]) -> None:
    """rows: (n, source_id, label, record as JSON text, WKB or EWKB in hex: SRID 4326 unless
    it says)."""
    with conn.cursor().copy(
        "COPY import_raw (n, source_id, label, record, raw) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)


def _rows(conn: psycopg.Connection, stmt: str | sql.Composed, params: Any = None) -> list[dict]:
    cur = conn.cursor(row_factory=psycopg.rows.dict_row)
    return cur.execute(stmt, params).fetchall()


def shape(conn: psycopg.Connection, layer: Layer) -> None:
    """import_stage: import_raw with `valid`, `reason` (ST_IsValidReason of the invalid) and
    `geom`, the geometry to store: valid (ST_MakeValid where not), of the layer's kind, and
    single or multi as its column is; NULL when that cannot be had.

    Written in one pass, where updating the copied rows twice rewrote every row twice and left
    HOT chains that kept this transaction from using any index made on the stage afterwards
    (pg_index.indcheckxmin): the parents' and overlaps' joins scanned the whole stage once per
    compound and existing building."""
    dim = _DIMENSION[layer.kind]
    given: sql.Composable = sql.SQL("(CASE WHEN reason IS NULL THEN raw ELSE fixed END)")
    if layer.kind == "line":  # a MULTILINESTRING, valid or repaired, is merged
        given = sql.SQL(
            "(CASE WHEN GeometryType({g}) = 'MULTILINESTRING' THEN ST_LineMerge({g}) ELSE {g} END)"
        ).format(g=given)
    shaped = (
        sql.SQL("CASE WHEN NOT ST_IsEmpty({g}) THEN ST_Multi({g}) END")
        if layer.multi
        else sql.SQL(
            "CASE WHEN ST_IsEmpty({g}) THEN NULL WHEN ST_NumGeometries({g}) = 1"
            " THEN ST_GeometryN({g}, 1) END"
        )
    ).format(g=given)
    # ST_IsValid once a feature; ST_IsValidReason and ST_MakeValid only for the invalid few
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE import_stage ON COMMIT DROP AS SELECT n, source_id, label, record,"
            " raw, reason IS NULL AS valid, reason, {shaped} AS geom FROM (SELECT *, CASE WHEN"
            " reason IS NOT NULL THEN ST_CollectionExtract(ST_MakeValid(raw), {dim}) END AS fixed"
            " FROM (SELECT *, CASE WHEN NOT ST_IsValid(raw) THEN ST_IsValidReason(raw) END"
            " AS reason FROM import_raw OFFSET 0) r OFFSET 0) f"
        ).format(shaped=shaped, dim=sql.Literal(dim))
    )
    conn.execute("ALTER TABLE import_stage ADD PRIMARY KEY (n)")
    conn.execute("DROP TABLE import_raw")


def geometry_findings(conn: psycopg.Connection, layer: Layer) -> dict[str, Any]:
    invalid = _rows(
        conn,
        "SELECT source_id, label, reason, geom IS NOT NULL AND ST_IsValid(geom) AS repairable"
        " FROM import_stage WHERE NOT valid ORDER BY n",
    )
    unshaped = _rows(
        conn,
        "SELECT source_id, label, GeometryType(raw) AS type, ST_NumGeometries(raw) AS parts"
        " FROM import_stage WHERE valid AND geom IS NULL ORDER BY n",
    )
    return {
        "invalid_count": len(invalid),
        "repaired_by_make_valid": sum(1 for r in invalid if r["repairable"]),
        "invalid": invalid[:SHOWN],
        "not_storable_count": len(unshaped),
        "not_storable": unshaped[:SHOWN],
    }


def _measure(layer: Layer) -> tuple[str, str] | None:
    """The PostGIS function and the stored column of the layer's measure (None for points)."""
    if layer.kind == "point":
        return None
    return ("st_area", "area_m2") if layer.kind == "polygon" else ("st_length", "length_m")


def _summary(
    conn: psycopg.Connection,
    unit: str,
    measured: sql.Composable,
    params: Any = None,
    ctes: sql.Composable = _NOTHING,
) -> dict[str, Any]:
    """The total, least and greatest of the `m` of `measured` (after `ctes`, a WITH clause it
    reads: one holding an INSERT or UPDATE must be the statement's own), as the report shows
    them."""
    row = _rows(
        conn,
        sql.SQL(
            "{}SELECT round(sum(m)::numeric, 1) AS total, round(min(m)::numeric, 2) AS min,"
            " round(max(m)::numeric, 2) AS max FROM ({}) x"
        ).format(ctes, measured),
        params,
    )[0]
    return {unit: {k: float(v) if v is not None else None for k, v in row.items()}}


def measures(conn: psycopg.Connection, layer: Layer) -> dict[str, Any]:
    """Areas (m2) or lengths (m) of the staged features on the spheroid, as the stored columns
    will compute them (after a store, `store` returns them read from those columns)."""
    measure = _measure(layer)
    if measure is None:
        return {}
    fn, unit = measure
    return _summary(
        conn,
        unit,
        sql.SQL("SELECT {}(geom::geography) AS m FROM import_stage WHERE geom IS NOT NULL").format(
            sql.Identifier(fn)
        ),
    )


def district_exists(conn: psycopg.Connection) -> bool:
    return bool(conn.execute("SELECT EXISTS (SELECT 1 FROM district)").fetchone()[0])  # type: ignore[index]


def outside_district(conn: psycopg.Connection) -> list[dict]:
    """The staged features meeting no district. The districts' union is made once and tested
    as one geometry, which PostGIS prepares once: half the time of an index probe a feature
    (100,000 buildings: 0.25 -> 0.15 s). Each outline is made valid first (an invalid one would
    stop the union with a GEOS error). With no district at all every feature is outside."""
    return _rows(
        conn,
        "SELECT source_id, label FROM import_stage s WHERE s.geom IS NOT NULL AND ST_Intersects("
        "(SELECT ST_Union(ST_MakeValid(geom)) FROM district), s.geom) IS NOT TRUE ORDER BY n",
    )


def places_inside(
    conn: psycopg.Connection, candidates: list[tuple[str, float, float]]
) -> list[str]:
    """The candidates whose point lies in (or within 2 km of) the district."""
    if not candidates:
        return []
    values = sql.SQL(", ").join(
        sql.SQL("({}, {}, {}, {})").format(
            sql.Literal(i), sql.Literal(name), sql.Literal(x), sql.Literal(y)
        )
        for i, (name, x, y) in enumerate(candidates)
        if abs(x) <= 180 and abs(y) <= 90
    )
    stmt = sql.SQL(
        "SELECT c.name FROM (VALUES {}) AS c(i, name, x, y) WHERE EXISTS (SELECT 1 FROM district d"
        " WHERE ST_DWithin(d.geom::geography,"
        " ST_SetSRID(ST_MakePoint(c.x, c.y), 4326)::geography, 2000)) ORDER BY c.i"
    ).format(values)
    return [r[0] for r in conn.execute(stmt).fetchall()]


def make_district(conn: psycopg.Connection, name: str, name_en: str) -> None:
    """The district outline as the union of the sub-districts staged (an empty database)."""
    conn.execute(
        "INSERT INTO district (name, name_en, geom) SELECT %s, %s, ST_Multi(ST_Union(geom))"
        " FROM import_stage WHERE geom IS NOT NULL",
        (name, name_en),
    )


def pair_join(
    conn: psycopg.Connection,
    table: str,
    test: sql.Composable,
    also: sql.Composable = _NOTHING,
) -> sql.Composed:
    """`table` (as t) joined with the stage (as s) on `test`, driven from the smaller side
    (`also`: more columns of the inner side, ", expr AS name", on the pair as it is found):
    each outer geometry meets its candidates one after another through the inner side's GiST
    index, and PostGIS keeps the repeated one prepared across them (100,000 staged buildings
    against 1,700 existing: 0.24 s from the existing side, 0.95 s from the stage's, whose
    features each meet one or two). OFFSET 0 keeps the planner from turning the join round."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM import_stage), reltuples FROM pg_class"
        " WHERE oid = %s::regclass",
        (table,),
    ).fetchone()
    assert row is not None
    staged, rows = row
    if rows < 0:  # never analysed
        counted = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        rows = counted.fetchone()[0]  # type: ignore[index]
    if staged > rows:
        return sql.SQL(
            "{table} t CROSS JOIN LATERAL"
            " (SELECT *{also} FROM import_stage s WHERE {test} OFFSET 0) s"
        ).format(table=sql.Identifier(table), test=test, also=also)
    return sql.SQL(
        "import_stage s CROSS JOIN LATERAL (SELECT *{also} FROM {table} t WHERE {test} OFFSET 0) t"
    ).format(table=sql.Identifier(table), test=test, also=also)


def index_stage(conn: psycopg.Connection) -> None:
    """Index the shaped stage and count it for the planner (a temporary table is never analysed
    on its own). The GiST index lets the parents and overlaps run from the other table's side:
    each parent or existing feature finds its staged features, and PostGIS keeps that one
    geometry prepared across them instead of preparing a new one for every pair."""
    conn.execute("CREATE INDEX ON import_stage USING gist (geom)")
    # The diff and the missing look features up by their id in the file.
    conn.execute("CREATE INDEX ON import_stage (source_id)")
    # Counted for the columns plans are made on (sampling the raw geometry and the values too
    # took longer than building the GiST index)
    conn.execute("ANALYZE import_stage (source_id, geom)")


def duplicates(conn: psycopg.Connection, column: str) -> list[dict]:
    return _rows(
        conn,
        sql.SQL(
            "SELECT {c} AS value, count(*) AS features FROM import_stage WHERE {c} IS NOT NULL"
            " GROUP BY {c} HAVING count(*) > 1 ORDER BY 2 DESC, 1"
        ).format(c=sql.Identifier(column)),
    )


def label_conflicts(conn: psycopg.Connection, layer: Layer, source: str) -> list[dict]:
    """Labels unique in the table (community names, courtyard addresses) already taken by a
    feature that this import does not replace."""
    return _rows(
        conn,
        sql.SQL(
            "SELECT s.source_id, s.label, t.id AS existing_id FROM import_stage s"
            " JOIN {table} t ON {label} = s.label"
            " WHERE t.source IS DISTINCT FROM %(source)s OR t.source_id <> s.source_id"
            " ORDER BY s.n"
        ).format(table=sql.Identifier(layer.table), label=sql.Identifier("t", layer.label)),
        {"source": source},
    )


def _record(layer: Layer) -> sql.Composable:
    parents = "(SELECT jsonb_object_agg(p.col, p.id) FROM import_parent p WHERE p.n = s.n)"
    return sql.SQL(
        "jsonb_populate_record(NULL::{}, s.record || coalesce(" + parents + ", '{{}}'))"
    ).format(sql.Identifier(layer.table))


def diff(conn: psycopg.Connection, layer: Layer, source: str, columns: list[str]) -> None:
    """import_diff: each staged feature added, changed (and which columns) or unchanged, with
    its values typed as the table's columns (the store copies them from here: one
    jsonb_populate_record a feature). A parent found for a feature (import_parent) overrides
    the record's value, as `record || parents` would: each parent column is joined by its key,
    where aggregating them into JSON per feature first spilled a hash to disk."""
    parents = [p.column for p in layer.parents if p.column in columns]
    joins = sql.SQL("").join(
        sql.SQL(" LEFT JOIN import_parent {p} ON {p}.n = s.n AND {p}.col = {col}").format(
            p=sql.Identifier(f"p{i}"), col=sql.Literal(c)
        )
        for i, c in enumerate(parents)
    )
    values = sql.SQL(", ").join(
        sql.SQL("CASE WHEN {p}.n IS NULL THEN r.{c} ELSE {p}.id END AS {c}").format(
            p=sql.Identifier(f"p{parents.index(c)}"), c=sql.Identifier(c)
        )
        if c in parents
        else sql.Identifier("r", c)
        for c in columns
    )
    changed = sql.SQL(", ").join(
        [
            *(
                sql.SQL("CASE WHEN t.{c} IS DISTINCT FROM v.{c} THEN {name} END").format(
                    c=sql.Identifier(c), name=sql.Literal(c)
                )
                for c in columns
            ),
            sql.SQL("CASE WHEN NOT ST_Equals(t.geom, s.geom) THEN 'geometry' END"),
        ]
    )
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE import_diff ON COMMIT DROP AS SELECT s.n, t.id AS target_id,"
            " CASE WHEN t.id IS NULL THEN NULL ELSE array_remove(ARRAY[{changed}], NULL) END"
            " AS fields, {columns} FROM import_stage s{joins} CROSS JOIN LATERAL (SELECT {values}"
            " FROM jsonb_populate_record(NULL::{table}, s.record) r) v"
            " LEFT JOIN {table} t ON t.source = %(source)s AND t.source_id = s.source_id"
        ).format(
            changed=changed,
            columns=sql.SQL(", ").join(sql.Identifier("v", c) for c in columns),
            joins=joins,
            values=values,
            table=sql.Identifier(layer.table),
        ),
        {"source": source},
    )


def changes(conn: psycopg.Connection, layer: Layer, source: str) -> dict[str, Any]:
    counts = _rows(
        conn,
        "SELECT count(*) FILTER (WHERE target_id IS NULL) AS added,"
        " count(*) FILTER (WHERE cardinality(fields) > 0) AS changed,"
        " count(*) FILTER (WHERE cardinality(fields) = 0) AS unchanged FROM import_diff",
    )[0]
    changed = _rows(
        conn,
        "SELECT s.source_id, s.label, d.target_id AS id, d.fields FROM import_diff d"
        " JOIN import_stage s USING (n) WHERE cardinality(d.fields) > 0 ORDER BY s.n",
    )
    missing = _rows(
        conn,
        sql.SQL(
            "SELECT t.source_id, {label} AS label, t.id FROM {table} t WHERE t.source = %(source)s"
            " AND NOT EXISTS (SELECT 1 FROM import_stage s WHERE s.source_id = t.source_id)"
            " ORDER BY t.id"
        ).format(table=sql.Identifier(layer.table), label=sql.Identifier("t", layer.label)),
        {"source": source},
    )
    return {
        **counts,
        "missing": len(missing),
        "changed_features": changed[:SHOWN],
        "missing_features": missing[:SHOWN],
        "_missing_ids": [m["id"] for m in missing],
    }


def store(
    conn: psycopg.Connection, layer: Layer, source: str, columns: list[str]
) -> dict[str, Any]:
    """Insert the added features and update the changed ones, their values from import_diff;
    returns the file's measures as stored. PostGIS computed each spheroidal measure once, as
    the rows went in: the report reads them back from the rows written (RETURNING) and from
    the unchanged ones by id, not by looking every feature up again by its id in the file."""
    table = sql.Identifier(layer.table)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    from_d = sql.SQL(", ").join(sql.Identifier("d", c) for c in columns)
    insert = sql.SQL(
        "INSERT INTO {table} ({cols}, source, source_id, geom)"
        " SELECT {from_d}, %(source)s, s.source_id, s.geom FROM import_diff d"
        " JOIN import_stage s USING (n) WHERE d.target_id IS NULL ORDER BY s.n"
    ).format(table=table, cols=cols, from_d=from_d)
    update = sql.SQL(
        "UPDATE {table} t SET ({cols}, geom) = ({from_d}, s.geom) FROM import_diff d"
        " JOIN import_stage s USING (n) WHERE t.id = d.target_id AND cardinality(d.fields) > 0"
    ).format(table=table, cols=cols, from_d=from_d)
    measure = _measure(layer)
    if measure is None:
        conn.execute(insert, {"source": source})
        conn.execute(update)
        return {}
    unit = sql.Identifier(measure[1])
    # One statement: both see the table as it was, and they touch different rows.
    return _summary(
        conn,
        measure[1],
        sql.SQL(
            "SELECT m FROM added UNION ALL SELECT m FROM changed UNION ALL SELECT t.{unit}"
            " FROM import_diff d JOIN {table} t ON t.id = d.target_id"
            " WHERE cardinality(d.fields) = 0"
        ).format(unit=unit, table=table),
        {"source": source},
        ctes=sql.SQL(
            "WITH added AS ({insert} RETURNING {unit} AS m),"
            " changed AS ({update} RETURNING t.{unit} AS m) "
        ).format(insert=insert, update=update, unit=unit),
    )


def write_staged(
    conn: psycopg.Connection, layer: Layer, columns: list[str], target: int | None
) -> int:
    """Write the one staged feature (an OGC API edit, geo/ogc/edits.py): a new row when
    `target` is None, else over row `target`; returns its id. Rows made so carry no source."""
    table = sql.Identifier(layer.table)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    from_r = sql.SQL(", ").join(sql.Identifier("r", c) for c in columns)
    if target is None:
        stmt = sql.SQL(
            "INSERT INTO {table} ({cols}, geom) SELECT {from_r}, s.geom FROM import_stage s"
            " CROSS JOIN LATERAL {record} r RETURNING id"
        )
    else:
        stmt = sql.SQL(
            "UPDATE {table} t SET ({cols}, geom) = ({from_r}, s.geom) FROM import_stage s"
            " CROSS JOIN LATERAL {record} r WHERE t.id = %s RETURNING t.id"
        )
    query = stmt.format(table=table, cols=cols, from_r=from_r, record=_record(layer))
    row = conn.execute(query, () if target is None else (target,)).fetchone()
    assert row is not None
    return int(row[0])


# A courtyard file's protection level and occupancy become dated assessments (the courtyard
# keeps no copy); a value already in force is not recorded again, so re-importing adds nothing.
ASSESS_COURTYARDS = f"""
INSERT INTO assessment (courtyard_id, kind, value, assessed_on, basis, note)
SELECT t.id, v.kind, v.value, v.day, 'import', %(source)s
FROM import_stage s
JOIN courtyard t ON t.source = %(source)s AND t.source_id = s.source_id
LEFT JOIN courtyard_status cs ON cs.courtyard_id = t.id
CROSS JOIN LATERAL (SELECT coalesce(%(today)s::date, (now() AT TIME ZONE '{ZONE}')::date) AS d) x
CROSS JOIN LATERAL (VALUES
    ('protection_level', s.record->>'protection_level', x.d, cs.protection_level),
    ('occupancy', s.record->>'occupancy',
     coalesce((s.record->>'occupancy_on')::date, x.d), cs.occupancy)
) AS v(kind, value, day, current)
WHERE v.value IS NOT NULL AND v.value IS DISTINCT FROM v.current
ORDER BY t.id, v.kind
"""


def store_assessments(
    conn: psycopg.Connection, layer: Layer, source: str, today: str | None
) -> None:
    """The layer's assessed fields as dated assessments (only courtyards have any)."""
    if layer.table != "courtyard":
        raise ValueError(f"no assessments for {layer.table}")
    conn.execute(ASSESS_COURTYARDS, {"source": source, "today": today})


def remove(conn: psycopg.Connection, layer: Layer, ids: list[int]) -> None:
    conn.execute(
        sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(sql.Identifier(layer.table)), (ids,)
    )
