"""A list of whistles (a matter's, a phone's summonses) is read in one statement however many
whistles it holds: no statement per whistle (they were up to 50 for a phone's list)."""

from datetime import timedelta

from fastapi.testclient import TestClient

from api.app import create_app
from geo.core import clock
from geo.core.settings import Settings
from tests.issue_helpers import make_account, scalar
from tests.test_pin_round_trips import counting


def test_a_list_of_whistles_costs_the_same_statements_for_one_or_four(
    module_settings: Settings,
) -> None:
    s = module_settings
    matter = scalar(
        s,
        "SELECT json_build_object('id', id, 'community', community_id, 'lon', ST_X(geom),"
        " 'lat', ST_Y(geom)) FROM issue WHERE step = 'collected' AND community_id IS NOT NULL"
        " ORDER BY id LIMIT 1",
    )
    _, field = make_account(s, "field", ("community", matter["community"]))
    police, housing = scalar(s, "SELECT array_agg(id ORDER BY id) FROM department")[:2]
    _, summoned = make_account(s, "department", department_id=police)
    app = create_app(s)
    lists = (f"/api/issues/{matter['id']}/whistles", "/api/whistles/mine")
    start = clock.now()
    statements: dict[int, list[int]] = {}
    with TestClient(app) as client, clock.pinned(start):
        for url, headers in zip(lists, (field, summoned), strict=True):
            # each account's first request also records its token's use (once a minute)
            assert client.get(url, headers=headers).status_code == 200
        for n in range(4):
            body = {"place": f"路口{n}", "lon": matter["lon"], "lat": matter["lat"],
                    "report_by": (start + timedelta(hours=n + 1)).isoformat(),
                    "department_ids": [police, housing]}  # fmt: skip
            r = client.post(lists[0], json=body, headers=field | {"Idempotency-Key": f"n{n}"})
            assert r.status_code == 201, r.text
            if n not in (0, 3):
                continue
            statements[n + 1] = []
            for url, headers in zip(lists, (field, summoned), strict=True):
                with counting(app.state.engine) as seen:
                    r = client.get(url, headers=headers)
                assert r.status_code == 200 and len(r.json()) == n + 1, r.text
                statements[n + 1].append(len(seen["statements"]))
        # the order is kept: the matter's newest first, the phone's soonest report_by first
        newest = [w["place"] for w in client.get(lists[0], headers=field).json()]
        soonest = [w["place"] for w in client.get(lists[1], headers=summoned).json()]
    assert newest == ["路口3", "路口2", "路口1", "路口0"]
    assert soonest == ["路口0", "路口1", "路口2", "路口3"]
    assert statements[4] == statements[1], statements
