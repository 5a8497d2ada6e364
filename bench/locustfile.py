"""The load mix of bench/load_run.py (docs/scaling.md): what a city's public and staff ask.

Public visitors (most of the load) open a map page, read the layer versions as the map does
every 2 s, fetch vector tiles at those versions around the district, page through OGC items by
bbox, and now and then pin an issue; staff read their work list and an issue in it. Bounds, the
staff token and the pin point come from the environment bench/load_run.py sets.
"""

import json
import os
import random
import uuid

from locust import HttpUser, between, task

TILE_Z = 16
# z16 tiles over the centre of the district (bench/load_run.py passes its tile range)
X0, X1, Y0, Y1 = (int(v) for v in os.environ["YST_LOAD_TILES"].split(","))
BBOX = os.environ["YST_LOAD_BBOX"]
PIN = json.loads(os.environ["YST_LOAD_PIN"])
STAFF = {"Authorization": f"Bearer {os.environ['YST_LOAD_STAFF_TOKEN']}"}


class Visitor(HttpUser):
    weight = 9
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.versions: dict[str, str] = {}
        self.read_versions()

    @task(2)
    def read_versions(self) -> None:
        r = self.client.get("/ogc/tile-versions", name="tile versions")
        if r.ok:
            self.versions = r.json()["versions"]

    @task(12)
    def tiles(self) -> None:
        layer = random.choice(("buildings", "compounds", "issues"))
        x, y = random.randint(X0, X1), random.randint(Y0, Y1)
        v = self.versions.get(layer, "")
        self.client.get(
            f"/ogc/collections/{layer}/tiles/WebMercatorQuad/{TILE_Z}/{y}/{x}?v={v}",
            name="tile",
        )

    @task(3)
    def items(self) -> None:
        layer = random.choice(("buildings", "compounds"))
        self.client.get(
            f"/ogc/collections/{layer}/items?bbox={BBOX}&limit=100", name="OGC items page"
        )

    @task(1)
    def map_page(self) -> None:
        self.client.get("/maps/", name="map page")

    @task(1)
    def pin(self) -> None:
        body = {**PIN, "category": "other", "description": "压力测试 load run"}
        self.client.post(
            "/api/issues", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}, name="pin"
        )


class Staff(HttpUser):
    weight = 1
    wait_time = between(0.5, 2.0)

    @task(3)
    def work_list(self) -> None:
        r = self.client.get("/api/work", headers=STAFF, name="staff work list")
        if r.ok and r.json().get("items"):
            issue = random.choice(r.json()["items"])["id"]
            self.client.get(f"/api/work/issues/{issue}", headers=STAFF, name="staff issue")
