"""Builders for the partners tests: a member unit of a test's own."""

from fastapi.testclient import TestClient

from geo.core.settings import Settings
from tests.issue_helpers import scalar


def new_unit(client: TestClient, settings: Settings, admin: dict, key: str) -> int:
    """A member unit of its own (so no pairing names it yet)."""
    community = scalar(settings, "SELECT min(id) FROM community")
    body = {"name": f"测试单位{key}", "kind": "enterprise", "community_id": community}
    r = client.post("/api/member-units", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])
