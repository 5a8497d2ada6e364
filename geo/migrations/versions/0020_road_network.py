"""The street network as a pgRouting graph, rebuilt by the database whenever roads change.

Revision ID: 0020_road_network
Revises: 0019_idempotency
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020_road_network"
down_revision: str | Sequence[str] | None = "0019_idempotency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Roads are cut wherever another road meets them, so a junction is a node even when the survey
# drew no vertex there; endpoints closer than 1e-7 degrees (about 1 cm) are one node. Walking
# may use a one-way street both ways, driving only along it (-1: pgRouting's "no edge").
REBUILD = """
CREATE FUNCTION rebuild_road_network() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM road_edge;
    DELETE FROM road_node;
    INSERT INTO road_edge (road_id, oneway, geom)
    WITH blades AS (
        SELECT r.id, ST_UnaryUnion(ST_Collect(
                   ST_CollectionExtract(ST_Intersection(r.geom, o.geom), 1))) AS pts
        FROM road r JOIN road o ON o.id <> r.id AND ST_Intersects(r.geom, o.geom)
        GROUP BY r.id
    ), pieces AS (
        SELECT r.id, r.oneway, (ST_Dump(CASE
                   WHEN b.pts IS NULL OR ST_IsEmpty(b.pts) THEN r.geom
                   ELSE ST_Split(ST_Snap(r.geom, b.pts, 1e-9), b.pts) END)).geom AS geom
        FROM road r LEFT JOIN blades b ON b.id = r.id
    )
    SELECT id, oneway, geom FROM pieces
    WHERE GeometryType(geom) = 'LINESTRING' AND NOT ST_IsEmpty(geom) AND ST_Length(geom) > 0;

    INSERT INTO road_node (geom)
    SELECT DISTINCT ST_SnapToGrid(p, 1e-7)
    FROM (SELECT ST_StartPoint(geom) AS p FROM road_edge
          UNION ALL SELECT ST_EndPoint(geom) FROM road_edge) ends;

    UPDATE road_edge e SET
        source = (SELECT n.id FROM road_node n
                  WHERE n.geom = ST_SnapToGrid(ST_StartPoint(e.geom), 1e-7)),
        target = (SELECT n.id FROM road_node n
                  WHERE n.geom = ST_SnapToGrid(ST_EndPoint(e.geom), 1e-7));
END
$fn$;

CREATE FUNCTION road_network_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM rebuild_road_network();
    RETURN NULL;
END
$fn$;

CREATE TRIGGER road_network_rebuild
    AFTER INSERT OR UPDATE OR DELETE ON road
    FOR EACH STATEMENT EXECUTE FUNCTION road_network_changed();
CREATE TRIGGER road_network_rebuild_truncate
    AFTER TRUNCATE ON road
    FOR EACH STATEMENT EXECUTE FUNCTION road_network_changed();
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pgrouting")
    op.execute(
        """
        CREATE TABLE road_node (
            id bigserial PRIMARY KEY,
            geom geometry(Point, 4326) NOT NULL
        );
        CREATE INDEX road_node_geom ON road_node USING gist (geom);
        CREATE INDEX road_node_exact ON road_node USING btree (geom);

        CREATE TABLE road_edge (
            id bigserial PRIMARY KEY,
            road_id integer NOT NULL,
            oneway text NOT NULL,
            source bigint,
            target bigint,
            geom geometry(LineString, 4326) NOT NULL,
            length_m double precision GENERATED ALWAYS AS (ST_Length(geom::geography)) STORED,
            walk_cost double precision GENERATED ALWAYS AS (ST_Length(geom::geography)) STORED,
            walk_reverse_cost double precision
                GENERATED ALWAYS AS (ST_Length(geom::geography)) STORED,
            drive_cost double precision GENERATED ALWAYS AS (
                CASE WHEN oneway = 'backward' THEN -1 ELSE ST_Length(geom::geography) END
            ) STORED,
            drive_reverse_cost double precision GENERATED ALWAYS AS (
                CASE WHEN oneway = 'forward' THEN -1 ELSE ST_Length(geom::geography) END
            ) STORED
        );
        CREATE INDEX road_edge_geom ON road_edge USING gist (geom);
        CREATE INDEX road_edge_road ON road_edge (road_id);
        CREATE INDEX road_edge_source ON road_edge (source);
        CREATE INDEX road_edge_target ON road_edge (target);
        """
    )
    op.execute(REBUILD)
    op.execute("SELECT rebuild_road_network()")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS road_network_rebuild_truncate ON road")
    op.execute("DROP TRIGGER IF EXISTS road_network_rebuild ON road")
    op.execute("DROP FUNCTION IF EXISTS road_network_changed()")
    op.execute("DROP FUNCTION IF EXISTS rebuild_road_network()")
    op.execute("DROP TABLE IF EXISTS road_edge")
    op.execute("DROP TABLE IF EXISTS road_node")
