"""Time to import and to export 100,000 building polygons (targets: import < 60 s, export < 30 s).

Needs a database with the demo district loaded, named by DATABASE_URL (the one `make run`
uses, or a scratch one, as in bench_ogc.py):

    .venv/bin/python bench/bench_io.py [--buildings 100000] [--format shp|gpkg] [--rounds 3]

It writes a survey file the way a survey institute delivers one (a zipped Shapefile in
CGCS2000 Gauss-Kruger EPSG:4547 with GBK text, or a GeoPackage): small buildings laid out on
a grid inside the demo compounds. Then it times, each on its own:

- a dry run (every check, nothing stored),
- the real import (the same checks, parents by location, the insert and the log),
- a re-import of the same file (every feature matched and found unchanged),
- the export of the whole buildings layer (demo and imported) as a GeoPackage and a
  Shapefile in EPSG:4547,
- `ogr2ogr -f PostgreSQL` loading the same file (COPY, a GiST index, reprojected to
  EPSG:4326) into a scratch table, the yardstick of issue 26: an import within 3x of it.

The real import and ogr2ogr run in turns, `--rounds N` times each (default 3; the imported
rows are removed and `building` vacuumed between rounds, outside the timing), each round
printed with the load average. As timeit does, the best round of each counts (load only ever
slows a round): the `import` and `ogr2ogr` lines after the rounds are the bests, with the best
import's phases (read, convert, stage, validity, parents, overlaps, duplicates, diff, store)
and the ratio of the two bests. `--import-only` leaves out the dry run, re-import and exports.

The imported buildings (source "bench-io") and their log rows are removed at the end, so the
database is left as it was.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import psycopg
import shapely
from pyogrio.raw import write
from pyproj import Transformer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import against  # noqa: E402

from geo.core.db import connect_for_import  # noqa: E402
from geo.core.settings import get_settings  # noqa: E402
from geo.io import exports, imports  # noqa: E402

SOURCE = "bench-io"
SIDE_M = 6.0  # building footprint
STEP_M = 8.0  # grid spacing inside a compound
SEED = 11


def buildings(conn: psycopg.Connection, wanted: int) -> np.ndarray:
    """`wanted` squares in EPSG:4547 on grids inside the compounds, picked at random."""
    to_gk = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True)
    compounds = [
        shapely.transform(
            shapely.from_wkb(wkb), lambda x, y: to_gk.transform(x, y), interleaved=False
        )
        for (wkb,) in conn.execute("SELECT ST_AsBinary(geom) FROM compound ORDER BY id")
    ]
    out = []
    for poly in compounds:
        minx, miny, maxx, maxy = poly.bounds
        xs, ys = np.meshgrid(np.arange(minx, maxx, STEP_M), np.arange(miny, maxy, STEP_M))
        xs, ys = xs.ravel(), ys.ravel()
        inside = shapely.contains_xy(poly, xs + SIDE_M / 2, ys + SIDE_M / 2)
        xs, ys = xs[inside], ys[inside]
        out.append(shapely.box(xs, ys, xs + SIDE_M, ys + SIDE_M))
    every = np.concatenate(out)
    if len(every) < wanted:
        raise SystemExit(f"the compounds hold only {len(every)} buildings of this size")
    pick = np.random.default_rng(SEED).choice(len(every), wanted, replace=False)
    return every[np.sort(pick)]


def survey_file(folder: Path, squares: np.ndarray, fmt: str) -> Path:
    n = len(squares)
    names = np.array([f"{i % 40 + 1}号楼" for i in range(n)], dtype=object)
    ids = np.array([f"B{i:06d}" for i in range(n)], dtype=object)
    floors = np.array([6 + i % 13 for i in range(n)], dtype="int32")
    fields = ["BSM", "名称", "层数"]
    if fmt == "gpkg":
        path = folder / "buildings.gpkg"
        write(path, shapely.to_wkb(squares), [ids, names, floors], fields, driver="GPKG",
              crs="EPSG:4547", geometry_type="Polygon")  # fmt: skip
        return path
    shp = folder / "buildings.shp"
    write(shp, shapely.to_wkb(squares), [ids, names, floors], fields, crs="EPSG:4547",
          encoding="GBK", geometry_type="Polygon")  # fmt: skip
    path = folder / "buildings.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in folder.glob("buildings.*"):
            if part.suffix != ".zip":
                zf.write(part, part.name)
    return path


class Phases:
    """The import's progress as time spent in each phase (imports.Progress)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._name: str | None = None
        self._since = time.perf_counter()

    def phase(self, name: str | None, total: int | None = None) -> None:
        now = time.perf_counter()
        if self._name is not None:
            self.spent[self._name] = self.spent.get(self._name, 0.0) + now - self._since
        self._name, self._since = name, now

    def advance(self, n: int) -> None:
        pass


def ogr2ogr(conn: psycopg.Connection, path: Path) -> None:
    """The same file into a scratch table by GDAL alone: COPY, GiST index, EPSG:4326."""
    info = conn.info
    target = f"PG:dbname={info.dbname} host={info.host} port={info.port} user={info.user}"
    subprocess.run(
        ["ogr2ogr", "-f", "PostgreSQL", target, f"/vsizip/{path}", "-nln", "bench_io_ogr",
         "-overwrite", "-t_srs", "EPSG:4326", "-lco", "SPATIAL_INDEX=GIST",
         "--config", "PG_USE_COPY", "YES", "--config", "SHAPE_ENCODING", "GBK"],
        check=True,
    )  # fmt: skip


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return value


def timed(label: str, fn) -> object:
    start = time.perf_counter()
    result = fn()
    print(f"{label:44} {time.perf_counter() - start:7.1f} s", flush=True)
    return result


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def remove_imported(conn: psycopg.Connection) -> None:
    """The bench's buildings and log rows gone, and `building` vacuumed, so that each round
    inserts into the table as the first did (not into indexes swollen by the last round's)."""
    with conn.transaction():
        conn.execute("DELETE FROM building WHERE source = %s", (SOURCE,))
        conn.execute("DELETE FROM import_log WHERE source = %s", (SOURCE,))
    conn.execute("VACUUM (ANALYZE) building")


def main() -> int:
    if against.requested(sys.argv[1:]):  # the same bench at another commit, in turns
        return against.compare(Path(__file__), sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--buildings", type=int, default=100_000)
    parser.add_argument("--format", choices=("shp", "gpkg"), default="shp")
    parser.add_argument(
        "--rounds", type=_at_least_one, default=3, help="import and ogr2ogr in turns"
    )
    parser.add_argument(
        "--import-only", action="store_true", help="no dry run, re-import or exports"
    )
    args = parser.parse_args()
    settings = get_settings()
    with (
        connect_for_import(settings, autocommit=True) as conn,
        tempfile.TemporaryDirectory() as tmp,
    ):
        squares = buildings(conn, args.buildings)
        path = survey_file(Path(tmp), squares, args.format)
        size = path.stat().st_size / 1e6
        print(f"{len(squares)} buildings, {path.name} {size:.1f} MB, EPSG:4547")
        # the machine is shared: its load says how far to trust the figures
        print("load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

        def run(dry: bool, phases: Phases | None = None) -> dict:
            opts = imports.Options(layer="buildings", source=SOURCE, dry_run=dry, actor="bench")
            return imports.import_file(conn, path, opts, phases)

        try:
            if not args.import_only:
                timed("import --dry-run", lambda: run(True))
            best: tuple[float, Phases] | None = None
            gdal: float | None = None
            for turn in range(1, args.rounds + 1):
                if turn > 1:
                    remove_imported(conn)
                phases = Phases()
                start = time.perf_counter()
                report = run(False, phases)
                ours = time.perf_counter() - start
                phases.phase(None)
                assert isinstance(report, dict) and report["changes"]["added"] == len(squares)
                line = f"  round {turn}: import {ours:.1f} s"  # indented: not a section
                if best is None or ours < best[0]:
                    best = (ours, phases)
                if path.suffix == ".zip":
                    start = time.perf_counter()
                    ogr2ogr(conn, path)
                    spent = time.perf_counter() - start
                    gdal = spent if gdal is None else min(gdal, spent)
                    line += f", ogr2ogr {spent:.1f} s, ratio {ours / spent:.1f} x"
                print(f"{line} ({load()})", flush=True)
            assert best is not None
            # the same lines as before the rounds, so that bench/against.py pairs them
            print(f"{'import':44} {best[0]:7.1f} s")
            for name, spent in best[1].spent.items():
                print(f"  {name:42} {spent:7.1f} s")
            if gdal is not None:
                print(f"{'ogr2ogr -f PostgreSQL, same file':44} {gdal:7.1f} s")
                print(f"import / ogr2ogr {best[0] / gdal:31.1f} x")
            if args.import_only:
                return 0
            again = timed("re-import, unchanged", lambda: run(False))
            assert isinstance(again, dict) and again["changes"]["unchanged"] == len(squares)
            total = conn.execute("SELECT count(*) FROM building").fetchone()
            for fmt in ("gpkg", "shp"):
                result = timed(
                    f"export {total[0] if total else '?'} buildings, {fmt}, EPSG:4547",
                    lambda fmt=fmt: exports.export(conn, "buildings", fmt=fmt, srid=4547),
                )
                assert isinstance(result, exports.ExportFile) and result.count == total[0]
        finally:
            conn.execute("DROP TABLE IF EXISTS bench_io_ogr")
            remove_imported(conn)
    return 0


if __name__ == "__main__":
    sys.exit(main())
