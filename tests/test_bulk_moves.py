"""Bulk assign and bulk merge (POST /api/bulk-jobs, to assigned / merged) and the lasso's
selection (GET /api/work?filter=S_WITHIN(...)): each matter assigned or merged by the
single-matter rule, one event each, exactly once also when the request is sent again and when
a job's items are taken again; the people offered fit every matter; a lasso selects, in
PostGIS, the matters of the account's own work inside the polygon."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from geo.core.settings import Settings
from tests import issue_helpers, owner_helpers
from tests.issue_flow_helpers import pin

Headers = dict[str, str]


def send(client: TestClient, who: Headers, key: str, **body: Any) -> Any:
    return client.post("/api/bulk-jobs", json=body, headers=who | {"Idempotency-Key": key})


def versions(client: TestClient, ids: list[int]) -> list[dict[str, int]]:
    return [{"id": i, "version": client.get(f"/api/issues/{i}").json()["version"]} for i in ids]


def count(settings: Settings, kind: str, ids: list[int], **extra: str) -> int:
    where = " AND to_step = :to" if "to" in extra else ""
    return issue_helpers.scalar(
        settings,
        f"SELECT count(*) FROM issue_event WHERE kind = :kind AND issue_id = ANY(:ids){where}",
        kind=kind, ids=ids, **extra,
    )  # fmt: skip


def results(client: TestClient, who: Headers, key: str, **body: Any) -> dict[str, Any]:
    """Send a job, then read it once its matters have been moved (after the answer)."""
    job = send(client, who, key, **body)
    assert job.status_code == 202, job.text
    return client.get(f"/api/bulk-jobs/{job.json()['id']}", headers=who).json()


def take_again(settings: Settings, job: int) -> None:
    """The job's items waiting again, as if the runner had stopped before marking them."""
    engine = create_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE bulk_job_item SET state = 'waiting' WHERE job_id = :j"),
                         {"j": job})  # fmt: skip
    finally:
        engine.dispose()


def test_a_bulk_assignment_names_the_person_once_per_matter(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    place = owner_helpers.with_accounts(fresh_settings, owner_helpers.place(fresh_settings))
    grid = owner_helpers.headers(place, "grid_compound")
    person, _ = issue_helpers.make_account(fresh_settings, "grid", ("compound", place.compound))
    ids = [pin(fresh_client, place.points[n % 2])["id"] for n in range(3)]
    work = fresh_client.get("/api/work", headers=grid).json()["items"]
    assert all("assigned" in i["bulk_actions"] for i in work if i["id"] in ids)
    query = [("issue", i) for i in ids]
    people = fresh_client.get("/api/work/assignees", params=query, headers=grid).json()
    assert person in [p["id"] for p in people]
    near = owner_helpers.headers(place, "grid_near")
    assert fresh_client.get("/api/work/assignees", params=query, headers=near).status_code == 403
    resident = place.accounts["resident"][0]
    body = {"to": "assigned", "account_id": resident, "items": versions(fresh_client, ids)}
    refused = results(fresh_client, grid, "as-0", **body)
    assert {(r["state"], r["status"]) for r in refused["items"]} == {("refused", 422)}
    job = send(fresh_client, grid, "as-1", **(body | {"account_id": person}))
    assert job.status_code == 202, job.text
    done = fresh_client.get(f"/api/bulk-jobs/{job.json()['id']}", headers=grid).json()
    assert (done["done"], done["refused"]) == (3, 0), done
    again = send(fresh_client, grid, "as-1", **(body | {"account_id": person}))
    assert again.headers["Idempotent-Replayed"] == "true"
    take_again(fresh_settings, job.json()["id"])
    send(fresh_client, grid, "as-1", **(body | {"account_id": person}))
    assert count(fresh_settings, "assigned", ids) == 3
    owners = issue_helpers.scalar(
        fresh_settings, "SELECT array_agg(DISTINCT owner_account_id) FROM issue"
        " WHERE id = ANY(:ids)", ids=ids)  # fmt: skip
    assert owners == [person]
    now = {"account_id": person, "items": versions(fresh_client, ids)}
    outside = results(fresh_client, near, "as-2", **(body | now))
    assert {r["status"] for r in outside["items"]} == {403}


def test_a_bulk_merge_makes_the_others_duplicates_exactly_once(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    place = owner_helpers.with_accounts(fresh_settings, owner_helpers.place(fresh_settings))
    admin = owner_helpers.headers(place, "admin")
    kept, *others = [pin(fresh_client, place.points[0])["id"] for _ in range(4)]
    items = versions(fresh_client, others)
    body = {"to": "merged", "into": kept, "note": "同一处飞线", "items": items}
    assert send(fresh_client, admin, "m-0", **(body | {"into": None})).status_code == 422
    with_kept = body | {"items": versions(fresh_client, [kept, *others])}
    r = send(fresh_client, admin, "m-0", **with_kept)
    assert r.status_code == 422 and r.json()["where"] == "body.items"
    job = send(fresh_client, admin, "m-1", **body)
    assert job.status_code == 202, job.text
    assert send(fresh_client, admin, "m-1", **body).json()["done"] == 3
    take_again(fresh_settings, job.json()["id"])
    send(fresh_client, admin, "m-1", **body)  # each matter's own key: merged once
    assert count(fresh_settings, "merge", others, to="merged") == 3
    assert count(fresh_settings, "merge", [kept]) == 3
    for i in others:
        issue = fresh_client.get(f"/api/issues/{i}").json()
        assert (issue["step"], issue["merged_into"]) == ("merged", kept)
    assert fresh_client.get(f"/api/issues/{kept}").json()["step"] == "collected"


def box(point: tuple[float, float], half: float) -> str:
    x, y = point
    ring = [(x - half, y - half), (x + half, y - half), (x + half, y + half), (x - half, y + half)]
    return ", ".join(f"{a:.7f} {b:.7f}" for a, b in [*ring, ring[0]])


def lassoed(client: TestClient, who: Headers, polygon: str) -> Any:
    params = {"filter": f"S_WITHIN(geometry, POLYGON(({polygon})))", "filter-lang": "cql2-text"}
    return client.get("/api/work", params=params, headers=who)


def test_a_lasso_selects_my_matters_inside_it_in_postgis(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    place = owner_helpers.with_accounts(fresh_settings, owner_helpers.place(fresh_settings))
    grid = owner_helpers.headers(place, "grid_compound")
    inside = pin(fresh_client, place.points[0])["id"]
    near = pin(fresh_client, place.near_point)["id"]  # another compound: not grid's work
    # grid's work outside the ring: a matter in the compound's other building, 0.0001 degree
    # (about 10 m) around it lassoed (the demo's own matters there are the demo's, not ours)
    outside = pin(fresh_client, place.points[1])["id"]
    half = 0.0001
    gap = max(abs(a - b) for a, b in zip(place.points[0], place.points[1], strict=True))
    assert gap > half, "the compound's two buildings lie within the ring"
    r = lassoed(fresh_client, grid, box(place.points[0], half))
    assert r.status_code == 200, r.text
    got = {i["id"] for i in r.json()["items"]}
    assert inside in got and near not in got
    everything = {i["id"] for i in fresh_client.get("/api/work", headers=grid).json()["items"]}
    assert outside in everything and outside not in got  # the lasso left my other matter out
    admin = owner_helpers.headers(place, "admin")
    around_near = lassoed(fresh_client, admin, box(place.near_point, 0.0003)).json()
    wide = {i["id"] for i in around_near["items"]}
    assert near in wide and inside not in wide
    # a hand-drawn ring crossing itself selects what either loop holds; bad filters are a 400
    x, y = place.points[0]
    d = 0.0003
    # two loops crossing west of the point; the eastern one holds it
    ring = [(x - 3 * d, y - d), (x + d, y + d), (x + d, y - d), (x - 3 * d, y + d)]
    bowtie = ", ".join(f"{a:.7f} {b:.7f}" for a, b in [*ring, ring[0]])
    crossed = lassoed(fresh_client, grid, bowtie)
    assert crossed.status_code == 200 and inside in {i["id"] for i in crossed.json()["items"]}
    bad = lassoed(fresh_client, grid, "1 2, 3")
    assert bad.status_code == 400 and bad.json()["where"] == "query.filter"
    flat = lassoed(fresh_client, grid, f"{x} {y}, {x + d} {y}, {x} {y}")  # encloses nothing
    assert flat.status_code == 200 and flat.json()["items"] == [], flat.text
    params = {"filter": "S_WITHIN(geometry, POINT(1 2))", "filter-lang": "yaml"}
    assert fresh_client.get("/api/work", params=params, headers=grid).status_code == 400
