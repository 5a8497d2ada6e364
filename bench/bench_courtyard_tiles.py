"""The courtyard tile statement with the kept state (courtyard_status, 0026_courtyard_state)
against the same statement searching each courtyard's assessments (courtyard_status_as_of of
today, what the view did before), in one run, over the tiles that cover the fort.

    DATABASE_URL=... .venv/bin/python bench/bench_courtyard_tiles.py --repeat 8
"""

import argparse
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import against  # noqa: E402
from bench_ogc import tiles_over  # noqa: E402

from geo.core.settings import Settings  # noqa: E402
from geo.ogc.catalogue import CATALOGUE  # noqa: E402
from geo.ogc.tiles import tile_sql  # noqa: E402

EXTENT = (
    "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)"
    " FROM (SELECT ST_Extent(geom) AS e FROM courtyard) s"
)


def main() -> int:
    if against.requested(sys.argv[1:]):  # the same bench at another commit, in turns
        return against.compare(Path(__file__), sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=8, help="times each tile is run")
    args = parser.parse_args()
    courtyards = CATALOGUE["courtyards"]
    cap = Settings().tile_max_features
    with psycopg.connect(Settings().libpq_url, autocommit=True) as conn:
        row = conn.execute(EXTENT).fetchone()
        assert row is not None
        for z in (14, 15, 16):
            tl = tiles_over(row, z)
            best: dict[str, float] = {}
            for name in ("searched", "kept", "searched", "kept"):
                stmts = []
                for t in tl:
                    stmt, params = tile_sql(courtyards, *t, max_features=cap)
                    text = stmt.as_string(conn)
                    if name == "searched":
                        old = "courtyard_status_as_of(district_today())"
                        text = text.replace('"courtyard_status"', old)
                    stmts.append((text, params))
                start, n = time.perf_counter(), 0
                for _ in range(args.repeat):
                    for text, params in stmts:
                        conn.execute(text, params).fetchone()  # type: ignore[call-overload]
                        n += 1
                rate = n / (time.perf_counter() - start)
                best[name] = max(best.get(name, 0.0), rate)
            print(
                f"z{z} ({len(tl)} tiles): state searched {best['searched']:.1f}, "
                f"kept {best['kept']:.1f} tiles/s ({best['kept'] / best['searched']:.2f}x)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
