"""Micro-wishes (微心愿, issue 22) end to end on a real PostGIS: a resident posts at their
compound, a cadre living nearby finds it (KNN), claims, fulfils with a photo (EXIF dropped),
the resident confirms, and the public map shows it done without personal data; every move
checks If-Match, the state, the claimant and the access table, and a refused one stores
nothing. Each test adds rows of its own to the worker's copy of the demo."""

import io
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import create_engine, text

from api.schemas.wishes import NearbyOut, WishCount, WishOut
from geo.core.settings import Settings
from tests.issue_helpers import make_account, scalar
from tests.wish_helpers import new_unit

SECRET = "王隐私 13900001111 住3单元502"
GPS_IFD = 0x8825


def _photo() -> bytes:
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (40.0, 49.0, 30.0), 3: "E", 4: (114.0, 52.0, 10.0)}
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), "green").save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def _places(settings: Settings) -> list[dict[str, Any]]:
    """Two buildings' points of one compound and a building of a compound far from it."""
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    """
                    WITH c AS (SELECT c.id, c.community_id, c.geom FROM compound c
                                WHERE (SELECT count(*) FROM building b
                                        WHERE b.compound_id = c.id) >= 2
                                ORDER BY c.id OFFSET 7 LIMIT 1)
                    (SELECT ST_X(p) AS lon, ST_Y(p) AS lat, b.compound_id AS compound,
                            c.community_id AS community
                       FROM building b JOIN c ON c.id = b.compound_id,
                            LATERAL ST_PointOnSurface(b.geom) p ORDER BY b.id LIMIT 2)
                    UNION ALL
                    (SELECT ST_X(p), ST_Y(p), b.compound_id, k.community_id
                       FROM building b JOIN compound k ON k.id = b.compound_id, c,
                            LATERAL ST_PointOnSurface(b.geom) p
                      WHERE ST_Distance(k.geom::geography, c.geom::geography) > 1500
                      ORDER BY b.id LIMIT 1)
                    """
                )
            ).mappings()
            return [dict(r) for r in rows]
    finally:
        engine.dispose()


def _cadre(client: TestClient, settings: Settings, admin: dict, home: int, key: str) -> dict:
    """A cadre of a member unit of their own, living in `home`, with a cadre account."""
    account, headers = make_account(settings, "cadre")
    unit = new_unit(client, settings, admin, key)
    body = {"name": f"测试干部{key}", "post": "科员", "unit_id": unit,
            "home_compound_id": home, "account_id": account}  # fmt: skip
    r = client.post("/api/cadres", json=body, headers=admin | {"Idempotency-Key": key})
    assert r.status_code == 201, r.text
    return {"id": r.json()["id"], "headers": headers, "account": account, "unit": unit}


def _post(client: TestClient, who: dict, place: dict, key: str, **over: Any) -> Any:
    body = {"lon": place["lon"], "lat": place["lat"], "kind": "repair", "text": SECRET} | over
    return client.post("/api/wishes", json=body, headers=who | {"Idempotency-Key": key})


def _act(client: TestClient, wish: dict, act: str, who: dict, key: str, **kw: Any) -> Any:
    headers = who | {"Idempotency-Key": key, "If-Match": f'"{wish["version"]}"'}
    return client.post(f"/api/wishes/{wish['id']}/{act}", headers=headers, **kw)


def test_a_wish_from_post_to_confirmed(
    worker_client: TestClient, worker_settings: Settings, worker_admin: dict
) -> None:
    c, s = worker_client, worker_settings
    near, _, far = _places(s)
    _, resident = make_account(s, "resident")
    cadre = _cadre(c, s, worker_admin, near["compound"], "w-e2e")
    r = _post(c, resident, near, "e2e-post")
    assert r.status_code == 201, r.text
    wish = WishOut.model_validate(r.json()).model_dump()
    assert (wish["state"], wish["compound"]["id"], wish["text"]) == (
        "open",
        near["compound"],
        SECRET,
    )
    again = _post(c, resident, near, "e2e-post")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == wish["id"]

    found = c.get("/api/wishes/nearby", headers=cadre["headers"])
    assert found.status_code == 200, found.text
    body = NearbyOut.model_validate(found.json())
    ids = [w.id for w in body.wishes]
    assert wish["id"] in ids
    distances = [w.distance_m for w in body.wishes]
    assert distances == sorted(distances)
    assert body.wishes[ids.index(wish["id"])].distance_m < 300

    r = _act(c, wish, "claim", cadre["headers"], "e2e-claim")
    assert r.status_code == 200, r.text
    claimed = r.json()
    assert claimed["state"] == "claimed" and claimed["claimed_by_me"]
    assert "fulfil_wish" in claimed["allowed_actions"]
    assert c.get("/api/wishes/mine", headers=cadre["headers"]).json()["offers"] == ["find_wishes"]
    mine = c.get("/api/wishes/mine", headers=resident).json()
    assert mine["offers"] == ["post_wish"] and mine["wishes"][0]["id"] == wish["id"]
    assert r.headers["ETag"] == f'"{claimed["version"]}"'
    assert wish["id"] not in [w["id"] for w in c.get(
        "/api/wishes/nearby", headers=cadre["headers"]).json()["wishes"]]  # fmt: skip

    files = {"file": ("p.jpg", _photo(), "image/jpeg")}
    r = _act(c, claimed, "fulfil", cadre["headers"], "e2e-fulfil", files=files,
             data={"note": "换了灯泡"})  # fmt: skip
    assert r.status_code == 200, r.text
    fulfilled = r.json()
    photo_url = fulfilled["events"][-1]["photo_url"]
    stored = c.get(photo_url)
    assert stored.status_code == 200
    assert Image.open(io.BytesIO(stored.content)).getexif().get(GPS_IFD) is None

    assert _act(c, fulfilled, "confirm", cadre["headers"], "e2e-c1").status_code == 403
    r = _act(c, fulfilled, "confirm", resident, "e2e-confirm")
    assert r.status_code == 200, r.text
    done = r.json()
    assert [e["kind"] for e in done["events"]] == ["posted", "claimed", "fulfilled", "confirmed"]
    assert done["claimant"]["name"] == "测试干部w-e2e"

    public = c.get(f"/api/wishes/{wish['id']}").json()
    assert public["text"] is None and public["claimant"] is None
    assert all(e["photo_url"] is None for e in public["events"])
    features = c.get("/api/wishes/map", params={"community_id": near["community"]}).json()
    mine = [f for f in features["features"] if f["id"] == wish["id"]]
    assert mine[0]["properties"]["state"] == "confirmed" and mine[0]["properties"]["done_on"]
    assert SECRET not in str(features) and "测试干部" not in str(features)
    counts = {r["id"]: r for r in c.get("/api/wishes/counts").json()}
    assert counts[near["community"]]["confirmed"] >= 1


def test_moves_check_version_state_claimant_and_role(
    worker_client: TestClient, worker_settings: Settings, worker_admin: dict
) -> None:
    c, s = worker_client, worker_settings
    near, other, far = _places(s)
    _, resident = make_account(s, "resident")
    first = _cadre(c, s, worker_admin, near["compound"], "w-m1")
    second = _cadre(c, s, worker_admin, other["compound"], "w-m2")
    wish = _post(c, resident, near, "m-post").json()
    count = "SELECT count(*) FROM wish_event WHERE wish_id = :w"

    r = c.post(f"/api/wishes/{wish['id']}/claim", headers=first["headers"])
    assert r.status_code == 428 and r.headers["content-type"] == "application/problem+json"
    stale = wish | {"version": wish["version"] + 5}
    assert _act(c, stale, "claim", first["headers"], "m-stale").status_code == 412
    assert _act(c, wish, "claim", resident, "m-res").status_code == 403
    assert _act(c, wish, "confirm", resident, "m-early").status_code == 409
    assert scalar(s, count, w=wish["id"]) == 1  # refused moves store nothing

    claimed = _act(c, wish, "claim", first["headers"], "m-claim").json()
    replay = _act(c, wish, "claim", first["headers"], "m-claim")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert _act(c, claimed, "claim", second["headers"], "m-claim2").status_code == 409
    files = {"file": ("p.jpg", _photo(), "image/jpeg")}
    r = _act(c, claimed, "fulfil", second["headers"], "m-f2", files=files)
    assert r.status_code == 403
    bad = {"file": ("p.jpg", b"not a picture", "image/jpeg")}
    assert _act(c, claimed, "fulfil", first["headers"], "m-bad", files=bad).status_code == 415
    assert scalar(s, count, w=wish["id"]) == 2

    released = _act(c, claimed, "release", first["headers"], "m-release").json()
    assert (released["state"], released["claimant"]) == ("open", None)
    withdrawn = _act(c, released, "withdraw", resident, "m-withdraw").json()
    assert withdrawn["state"] == "withdrawn"
    assert wish["id"] not in [f["id"] for f in c.get("/api/wishes/map").json()["features"]]

    assert _post(c, resident, near, "m-kind", kind="money").status_code == 422
    r = _post(c, resident, {"lon": 0.5, "lat": 0.5}, "m-nowhere")
    assert r.status_code == 422 and r.json()["where"] == "body.lon"
    assert _post(c, first["headers"], near, "m-cadre").status_code == 403


def test_nearby_is_nearest_first_from_home_or_paired_community(
    worker_client: TestClient, worker_settings: Settings, worker_admin: dict
) -> None:
    c, s = worker_client, worker_settings
    near, _, far = _places(s)
    _, resident = make_account(s, "resident")
    cadre = _cadre(c, s, worker_admin, near["compound"], "w-knn")
    close = _post(c, resident, near, "knn-near").json()
    away = _post(c, resident, far, "knn-far").json()
    ids = [w["id"] for w in c.get("/api/wishes/nearby", params={"limit": 50},
                                  headers=cadre["headers"]).json()["wishes"]]  # fmt: skip
    assert close["id"] in ids
    assert away["id"] not in ids or ids.index(close["id"]) < ids.index(away["id"])
    paired = {"origin": "paired", "limit": 50}
    r = c.get("/api/wishes/nearby", params=paired, headers=cadre["headers"])
    assert r.status_code == 409, r.text
    pairing = {"unit_id": cadre["unit"], "community_id": far["community"],
               "since": "2021-07-01"}  # fmt: skip
    r = c.post("/api/unit-pairings", json=pairing, headers=worker_admin)
    assert r.status_code == 201, r.text
    r = c.get("/api/wishes/nearby", params=paired, headers=cadre["headers"])
    assert r.status_code == 200, r.text
    ids = [w["id"] for w in r.json()["wishes"]]
    assert away["id"] in ids
    assert close["id"] not in ids or ids.index(away["id"]) < ids.index(close["id"])
    _, grid = make_account(s, "grid", ("compound", near["compound"]))
    assert close["id"] in [w["id"] for w in c.get("/api/wishes/nearby", headers=grid).json()[
        "wishes"]]  # fmt: skip
    _, planner = make_account(s, "planner")
    assert c.get("/api/wishes/nearby", headers=planner).status_code == 403


def test_the_demo_has_pairings_cadres_service_and_wishes_in_every_state(
    client: TestClient, settings: Settings
) -> None:
    pairings = client.get("/api/unit-pairings").json()
    departments = {p["unit"]["id"] for p in pairings if p["unit"]["kind"] == "department"}
    assert len(departments) == 52 and len({p["community"]["id"] for p in pairings}) == 44
    counts = [WishCount.model_validate(r) for r in client.get("/api/wishes/counts").json()]
    states = {s: sum(getattr(r, s) for r in counts)
              for s in ("open", "claimed", "fulfilled", "confirmed", "withdrawn")}  # fmt: skip
    assert all(states.values()), states
    sql = "SELECT count(*) FROM cadre k JOIN account a ON a.id = k.account_id WHERE a.username = :u"
    assert [scalar(settings, sql, u=u) for u in ("cadre.xiushui", "cadre.zifang")] == [1, 1]
    figures = client.get("/api/service-sessions/counts",
                         params={"start": "2026-09-01", "end": "2026-11-22"}).json()  # fmt: skip
    assert {r["name"] for r in figures["communities"]} == {"南新村社区", "蒙古营社区"}
    page = client.get("/maps/wishes")
    assert page.status_code == 200 and "/api/wishes/map" in page.text
