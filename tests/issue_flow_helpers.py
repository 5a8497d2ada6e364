"""API-level builders for the issue tests: pin an issue, attach a photo, drive it to a step."""

import struct
import zlib
from typing import Any

from fastapi.testclient import TestClient

from geo.issues.steps import TRANSITIONS


def png_bytes() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def pin(
    client: TestClient,
    point: tuple[float, float],
    category: str = "ebike_charging",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body = {"lon": point[0], "lat": point[1], "crs": "wgs84", "category": category}
    body["description"] = extra.pop("description", "楼道飞线充电 flying-wire charging")
    r = client.post("/api/issues", json={**body, **extra}, headers=headers or {})
    assert r.status_code == 201, r.text
    return r.json()


def move(client: TestClient, issue_id: int, headers: dict[str, str], to: str, **body: Any) -> Any:
    """POST a transition with the current ETag; returns the response."""
    etag = client.get(f"/api/issues/{issue_id}").headers["ETag"]
    payload = {"to": to, **body}
    return client.post(
        f"/api/issues/{issue_id}/transitions", json=payload, headers={**headers, "If-Match": etag}
    )


# What each target step needs in the transition body (beyond `to`).
def step_body(to: str, point: tuple[float, float]) -> dict[str, Any]:
    return {
        "topic": {"note": "上周议事厅议题"},
        "deliberated": {"note": "议定: 建充电站 decided: build a charging station"},
        "dispatched": {"note": "分流到应急局"},
        "resolved": {"lon": point[0], "lat": point[1], "note": "已完成"},
        "reviewed": {"rating": 5},
        "rejected": {"note": "不属于本区 not ours"},
        "closed": {"note": "暂不具备条件", "reason": "no_conditions"},
        "referred": {"referred_to": "国网张家口供电公司"},
    }.get(to, {})


PATH = ("collected", "topic", "deliberated", "dispatched", "resolved", "reviewed")


def drive(
    client: TestClient,
    issue: dict[str, Any],
    headers: dict[str, str],
    target: str,
    reviewer: dict[str, str] | None = None,
) -> None:
    """Carry an issue from collected to `target` along the five steps (admin headers; the
    review, which whoever resolved may not give, by `reviewer`)."""
    point = (issue["lon"], issue["lat"])
    if target == "rejected":
        assert move(
            client, issue["id"], headers, "rejected", **step_body("rejected", point)
        ).is_success
        return
    if target == "merged":
        other = pin(client, point, issue["category"])
        r = client.post(
            f"/api/issues/{issue['id']}/merge", json={"into": other["id"]}, headers=headers
        )
        assert r.status_code == 200, r.text
        return
    for current, nxt in zip(PATH, PATH[1:], strict=False):
        if current == target:
            return
        assert nxt in TRANSITIONS[current]
        if nxt == "resolved":
            attach(client, issue["id"], headers)
        who = reviewer if nxt == "reviewed" and reviewer else headers
        r = move(client, issue["id"], who, nxt, **step_body(nxt, point))
        assert r.status_code == 200, r.text


def attach(client: TestClient, issue_id: int, headers: dict[str, str]) -> dict[str, Any]:
    files = {"file": ("photo.png", png_bytes(), "image/png")}
    r = client.post(f"/api/issues/{issue_id}/photos", files=files, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()
