"""A 12345 export of 1,000 rows through POST /api/intake/hotline: the dry run, the import and
the re-import that changes nothing, each timed as the desk's one request.

    .venv/bin/python bench/bench_hotline.py --rows 1000

It creates a scratch database (`<DATABASE_URL's name>_bench_hotline`), migrates it and loads
the demo district, writes an export whose addresses are the demo's own buildings, courtyards
and roads as callers say them (one in twenty a place the district does not know, one in fifty a
ticket repeated), then sends it through the ASGI app in process with an admin's token. The
scratch database is dropped at the end unless --keep.
"""

import argparse
import csv
import io
import random
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from geo.accounts.accounts import create_account  # noqa: E402
from geo.core.databases import drop_database, ensure_database  # noqa: E402
from geo.core.migrate import upgrade  # noqa: E402
from geo.core.settings import Settings, get_settings  # noqa: E402

LIMIT_S = 30.0
WORDS = ("楼道里飞线充电", "垃圾好几天没人清运", "路灯不亮", "有人私搭棚子", "消防通道被车堵了",
         "电梯坏了物业不管", "井盖松动", "晚上摆摊噪音扰民", "屋顶漏水")  # fmt: skip


def scratch_settings(base: Settings) -> Settings:
    url = make_url(base.database_url)
    name = f"{url.database or 'yishiting'}_bench_hotline"
    return Settings(DATABASE_URL=url.set(database=name).render_as_string(hide_password=False))


def prepare(settings: Settings) -> str:
    """The scratch district, and an admin's bearer token."""
    from fixtures.load import load_demo

    drop_database(settings.database_url)
    ensure_database(settings.database_url)
    upgrade(settings)
    load_demo(settings, progress=False)
    engine = create_engine(settings.database_url)
    with Session(engine) as session, session.begin():
        _, token = create_account(session, name="bench desk", role="admin")
    engine.dispose()
    return token


def export(settings: Settings, rows: int) -> bytes:
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        places = conn.execute(
            text(
                "SELECT c.name || b.name || '2单元' FROM building b JOIN compound c"
                " ON c.id = b.compound_id WHERE (SELECT count(*) FROM compound o"
                " WHERE o.name = c.name) = 1 UNION ALL SELECT address FROM courtyard"
                " UNION ALL SELECT name || '路口' FROM road"
            )
        ).scalars().all()  # fmt: skip
    engine.dispose()
    rng = random.Random(12345)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["工单编号", "诉求地址", "诉求内容", "来电时间", "来电人", "来电号码"])
    for n in range(rows):
        ticket = f"ZJK2026{n - 1 if n % 50 == 49 else n:06d}"
        where = "火星路88号" if n % 20 == 19 else rng.choice(places)
        called = f"2026-11-{1 + n % 20:02d} 09:{n % 60:02d}"
        writer.writerow([ticket, where, rng.choice(WORDS), called, "市民", f"1380000{n:04d}"])
    return out.getvalue().encode("utf-8-sig")


def send(client: TestClient, token: str, data: bytes, dry_run: bool) -> tuple[float, dict]:
    start = time.perf_counter()
    r = client.post(
        "/api/intake/hotline",
        files={"file": ("export.csv", data, "text/csv")},
        data={"dry_run": str(dry_run).lower()},
        headers={"Authorization": f"Bearer {token}"},
    )
    seconds = time.perf_counter() - start
    assert r.status_code in (200, 201), r.text
    return seconds, r.json()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    settings = scratch_settings(get_settings())
    print("preparing the scratch district (migrate, load the demo) ...", flush=True)
    token = prepare(settings)
    data = export(settings, args.rows)
    worst = 0.0
    try:
        with TestClient(create_app(settings)) as client:
            for label, dry_run in (("dry run", True), ("import", False), ("re-import", False)):
                seconds, report = send(client, token, data, dry_run)
                worst = max(worst, seconds)
                print(f"{label:10} {args.rows} rows: {seconds:6.2f} s  {report['counts']}"
                      f"  flagged {report['flagged']}")  # fmt: skip
    finally:
        if not args.keep:
            drop_database(settings.database_url)
    print(f"slowest {worst:.2f} s (limit {LIMIT_S:.0f} s): {'ok' if worst < LIMIT_S else 'SLOW'}")
    return 0 if worst < LIMIT_S else 1


if __name__ == "__main__":
    sys.exit(main())
