"""Webhooks: admins configure them (API and CLI), bad URLs are 422 with nothing stored, and
the three formats: generic JSON signed with HMAC-SHA256, WeCom and DingTalk robots."""

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest
from fastapi.testclient import TestClient

from geo.core.settings import Settings
from geo.notices.formats import failure, render
from tests import issue_helpers

MESSAGE: dict[str, Any] = {
    "delivery_id": "0b5c1c1e-7f4e-4a55-9a43-0d6f3e6f2a10",
    "kind": "overdue",
    "at": "2026-11-28T10:00:00+08:00",
    "title": "问题已逾期 #12 电动车充电 (overdue)",
    "text": "地点 Place: 堡子里街道 · 东门社区\n描述 Description: 楼道飞线充电",
    "path": "/work/issues/12",
    "issue": {"id": 12},
    "event_id": None,
    "alert_id": 3,
    "data": {"due_on": "2026-11-27"},
}
NOW = datetime.fromisoformat("2026-11-28T10:00:00+08:00")


@pytest.fixture
def admin(fresh_settings: Settings) -> dict[str, str]:
    return issue_helpers.make_account(fresh_settings, "admin")[1]


def stored(settings: Settings) -> int:
    return issue_helpers.scalar(settings, "SELECT count(*) FROM webhook")


BAD_URLS = [
    "ftp://example.org/hook",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "http:///no-host",
    "https://example.org:notaport/",
    "http://example.org/a b",
    "http://testserver/api/issues",  # the address this request came to
    "http://127.0.0.1:8000/api/notices",  # YISHITING_PUBLIC_URL
    "http://localhost:8000/",  # the same, by another loopback name
    "http://[::1]:8000/",
    # loopback as the resolver also reads it: shortened, one number, IPv4-mapped IPv6
    "http://127.1:8000/",
    "http://2130706433:8000/",
    "http://[::ffff:127.0.0.1]:8000/",
]
BAD_CONFIGURATIONS = [
    ({"format": "wecom", "secret": "x"}, "body.secret"),
    ({"community_id": None}, "body.department_id"),
    ({"department_id": 1}, "body.department_id"),  # both
    ({"community_id": 999999}, "body.community_id"),
]


def test_a_bad_or_self_pointing_url_or_configuration_is_422_and_nothing_stored(
    fresh_client: TestClient, fresh_settings: Settings, admin: dict[str, str]
) -> None:
    for url in BAD_URLS:
        body = {"name": "坏地址", "url": url, "community_id": 1}
        r = fresh_client.post("/api/webhooks", json=body, headers=admin)
        assert r.status_code == 422, (url, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["where"] == "body.url", url
    for change, where in BAD_CONFIGURATIONS:
        full = {"name": "x", "url": "https://example.org/hook", "community_id": 1, **change}
        r = fresh_client.post("/api/webhooks", json=full, headers=admin)
        assert r.status_code == 422, (change, r.text)
        assert r.json()["where"] == where
    assert stored(fresh_settings) == 0


PRIVATE_URLS = [
    "http://10.0.0.1/hook",
    "http://172.16.5.4/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[::1]:9/",
    "http://127.1:9/",  # loopback, shortened, another port than the service's
    "http://127.0.0.1:8999/in",
    "http://[fd00::1]/hook",
    "http://[fe80::1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://0.0.0.0:9/",
    "http://localhost:9/",  # a name resolving to 127.0.0.1
]


def test_a_private_address_is_refused_unless_allowed(
    fresh_client: TestClient, fresh_settings: Settings, admin: dict[str, str]
) -> None:
    """Private, loopback, link-local and metadata addresses (and names resolving to them) are
    422 with nothing stored: the worker would post into the internal network."""
    for url in PRIVATE_URLS:
        body = {"name": "内网地址", "url": url, "community_id": 1}
        r = fresh_client.post("/api/webhooks", json=body, headers=admin)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["where"] == "body.url", url
        assert "YISHITING_WEBHOOK_ALLOW_PRIVATE" in r.json()["detail"], url
    assert stored(fresh_settings) == 0


def test_the_allow_setting_lets_intranet_receivers_in(fresh_settings: Settings) -> None:
    """An intranet WeCom deployment lists its networks or hosts; the rest stays refused, and
    the service itself stays refused even when its network is allowed."""
    from api.app import create_app

    allow = fresh_settings.model_copy(
        update={"webhook_allow_private": "10.0.0.0/8, 127.0.0.1, localhost"}
    )
    admin = issue_helpers.make_account(allow, "admin")[1]
    with TestClient(create_app(allow)) as client:
        for url, status in [
            ("http://10.1.2.3/cgi-bin/webhook/send?key=K", 201),
            ("http://127.0.0.1:8999/in", 201),  # loopback on another port: not the service
            ("http://localhost:9/", 201),
            ("http://192.168.1.1/hook", 422),
            ("http://169.254.169.254/", 422),
            ("http://127.0.0.1:8000/api/notices", 422),  # YISHITING_PUBLIC_URL
        ]:
            body = {"name": "内网", "url": url, "community_id": 1}
            r = client.post("/api/webhooks", json=body, headers=admin)
            assert r.status_code == status, (url, r.text)
    assert stored(fresh_settings) == 3


def test_the_allow_setting_is_checked() -> None:
    with pytest.raises(ValueError, match="YISHITING_WEBHOOK_ALLOW_PRIVATE"):
        Settings(YISHITING_WEBHOOK_ALLOW_PRIVATE="10.0.0.0/33")


def test_only_admins_manage_webhooks(fresh_client, fresh_settings) -> None:
    body = {"name": "x", "url": "https://example.org/hook", "community_id": 1}
    grid = issue_helpers.make_account(fresh_settings, "grid", ("community", 1))[1]
    assert fresh_client.post("/api/webhooks", json=body, headers=grid).status_code == 403
    assert fresh_client.post("/api/webhooks", json=body).status_code == 401
    assert fresh_client.get("/api/webhooks", headers=grid).status_code == 403
    assert stored(fresh_settings) == 0


def test_add_list_and_remove(fresh_client, admin) -> None:
    body = {"name": "东门社区群", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K1",
            "format": "wecom", "community_id": 1, "kinds": ["overdue", "escalated"]}  # fmt: skip
    r = fresh_client.post("/api/webhooks", json=body, headers=admin)
    assert r.status_code == 201, r.text
    wecom = r.json()
    assert wecom["secret"] is None and not wecom["has_secret"]
    assert "K1" not in wecom["url"] and wecom["url"].endswith("?key=%2A%2A%2A")
    generic = fresh_client.post(
        "/api/webhooks",
        json={"name": "城管局", "url": "https://hooks.example.org/yst", "department_id": 1},
        headers=admin,
    ).json()
    assert generic["secret"].startswith("whsec_") and generic["has_secret"]
    listed = fresh_client.get("/api/webhooks", headers=admin).json()
    assert [w["id"] for w in listed] == [wecom["id"], generic["id"]]
    assert all("secret" not in w for w in listed)
    assert listed[0]["kinds"] == ["escalated", "overdue"]
    assert listed[0]["owner"]["kind"] == "community"
    r = fresh_client.delete(f"/api/webhooks/{wecom['id']}", headers=admin)
    assert r.status_code == 200 and r.json()["removed_at"]
    assert [w["id"] for w in fresh_client.get("/api/webhooks", headers=admin).json()] == [
        generic["id"]
    ]
    assert fresh_client.delete(f"/api/webhooks/{wecom['id']}", headers=admin).status_code == 404


def test_credentials_in_the_url_are_never_answered(fresh_client, admin) -> None:
    """A receiver's basic-auth password in the URL is a secret like a robot's key."""
    url = "https://yst:p4ss-w0rd@hooks.example.org:8443/in?token=T1"
    body = {"name": "带口令的接收端", "url": url, "department_id": 1}
    created = fresh_client.post("/api/webhooks", json=body, headers=admin)
    assert created.status_code == 201, created.text
    listed = fresh_client.get("/api/webhooks", headers=admin).json()
    for answer in (created.json()["url"], listed[0]["url"]):
        assert "p4ss-w0rd" not in answer and "T1" not in answer, answer
        assert answer.startswith("https://yst:***@hooks.example.org:8443/in?token="), answer


def test_cli_add_list_remove(fresh_settings, monkeypatch, capsys) -> None:
    from cli.main import main
    from geo.core.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", fresh_settings.database_url)
    get_settings.cache_clear()
    try:
        url = "https://oapi.dingtalk.com/robot/send?access_token=T1"
        args = ["webhooks", "add", "街道钉钉群", url, "--format", "dingtalk", "--community", "1",
                "--secret", "SECabc"]  # fmt: skip
        assert main(args) == 0
        out = capsys.readouterr().out
        assert "webhook 1" in out and "T1" not in out and "SECabc" not in out
        assert main(["webhooks", "add", "x", "ftp://x/y", "--community", "1"]) == 2
        assert "http" in capsys.readouterr().err
        assert main(["webhooks", "add", "g", "https://h.example.org/", "--department", "1"]) == 0
        assert "secret (shown once): whsec_" in capsys.readouterr().out
        assert main(["webhooks", "list"]) == 0
        listed = capsys.readouterr().out
        assert "dingtalk" in listed and "2 webhook(s)" in listed
        assert main(["webhooks", "remove", "1"]) == 0
        assert main(["webhooks", "remove", "1"]) == 2
        assert main(["webhooks", "list"]) == 0
        assert "1 webhook(s)" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()
    assert stored(fresh_settings) == 2


# ---- the formats ------------------------------------------------------------------------


def hook(fmt: str, msgtype: str = "markdown", secret: str | None = None, url: str = "") -> dict:
    return {"url": url or "https://receiver.example.org/in?key=K", "format": fmt,
            "msgtype": msgtype, "secret": secret}  # fmt: skip


def test_generic_json_is_signed_over_timestamp_and_body() -> None:
    out = render(hook("generic", secret="whsec_s3cret"), MESSAGE,
                 public_url="https://yst.example.org/", now=NOW)  # fmt: skip
    stamp = out.headers["X-Yishiting-Timestamp"]
    assert stamp == str(int(NOW.timestamp()))
    expected = hmac.new(b"whsec_s3cret", stamp.encode() + b"." + out.body, hashlib.sha256)
    assert out.headers["X-Yishiting-Signature"] == "sha256=" + expected.hexdigest()
    assert out.headers["X-Yishiting-Delivery"] == MESSAGE["delivery_id"]
    assert out.headers["X-Yishiting-Event"] == "overdue"
    sent = json.loads(out.body)
    assert sent["url"] == "https://yst.example.org/work/issues/12"
    assert sent["title"] == MESSAGE["title"] and sent["delivery_id"] == MESSAGE["delivery_id"]
    # any change to the body breaks the signature
    forged = hmac.new(b"whsec_s3cret", stamp.encode() + b"." + out.body + b" ", hashlib.sha256)
    assert out.headers["X-Yishiting-Signature"] != "sha256=" + forged.hexdigest()


def test_wecom_markdown_and_text() -> None:
    out = render(hook("wecom"), MESSAGE, public_url="https://yst.example.org", now=NOW)
    body = json.loads(out.body)
    assert body["msgtype"] == "markdown" and set(body) == {"msgtype", "markdown"}
    content = body["markdown"]["content"]
    assert content.startswith('**议事厅 · <font color="warning">问题已逾期')
    assert "> 地点 Place" in content and "(https://yst.example.org/work/issues/12)" in content
    assert out.url == "https://receiver.example.org/in?key=K"  # the key is the credential
    long = {**MESSAGE, "text": "很长的描述" * 2000}
    text = json.loads(render(hook("wecom", "text"), long, public_url="x", now=NOW).body)
    assert text["msgtype"] == "text" and len(text["text"]["content"].encode()) <= 2048
    md = json.loads(render(hook("wecom"), long, public_url="x", now=NOW).body)
    assert len(md["markdown"]["content"].encode()) <= 4096


def test_dingtalk_markdown_with_its_timestamp_and_sign() -> None:
    url = "https://oapi.dingtalk.com/robot/send?access_token=T"
    out = render(hook("dingtalk", secret="SECxyz", url=url), MESSAGE, public_url="https://y",
                 now=NOW)  # fmt: skip
    query = parse_qs(urlsplit(out.url).query)
    assert query["access_token"] == ["T"]
    stamp = query["timestamp"][0]
    assert stamp == str(int(NOW.timestamp() * 1000))
    digest = hmac.new(b"SECxyz", f"{stamp}\nSECxyz".encode(), hashlib.sha256).digest()
    assert query["sign"][0] == base64.b64encode(digest).decode()  # parse_qs undid the quoting
    raw_sign = out.url.split("&sign=")[1]
    assert unquote_plus(raw_sign) == base64.b64encode(digest).decode()
    body = json.loads(out.body)
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"].startswith("议事厅")  # a keyword-guarded robot's keyword
    assert "\n\n> 地点 Place" in body["markdown"]["text"]
    plain = render(hook("dingtalk", "text", url=url), MESSAGE, public_url="https://y", now=NOW)
    assert plain.url == url  # no secret, no sign
    assert json.loads(plain.body)["text"]["content"].startswith("议事厅 · 问题已逾期")


def test_what_counts_as_received() -> None:
    assert failure("generic", 204, b"") is None
    assert failure("generic", 500, b"boom") == "HTTP 500"  # the body is never kept
    assert failure("generic", 302, b"") is not None  # redirects are not followed
    assert failure("wecom", 200, b'{"errcode":0,"errmsg":"ok"}') is None
    assert "45009" in (failure("wecom", 200, b'{"errcode":45009,"errmsg":"freq"}') or "")
    assert "310000" in (failure("dingtalk", 200, b'{"errcode":310000,"errmsg":"sign"}') or "")
    assert failure("dingtalk", 200, b"<html>") == "dingtalk answered HTTP 200 with no JSON"
    assert failure("wecom", 200, b'{"errcode":1,"errmsg":"' + b"x" * 500 + b'"}') == (
        "wecom errcode 1: " + "x" * 200
    )


HOSTILE = (
    "[点我](http://evil.example/phish) ![i](http://evil.example/i.png) "
    '<font color="info">已办结</font> <a href="http://evil.example">x</a> &#91;y&#93;(http://evil.example)'
)


@pytest.mark.parametrize("fmt", ["wecom", "dingtalk"])
def test_user_text_in_robot_markdown_is_inert(fmt: str) -> None:
    """An anonymous pin's description (and a note, a name) cannot put a link, an image or a
    tag into a staff group chat: the robots render markdown and a few HTML tags."""
    hostile = {
        **MESSAGE,
        "title": f"问题已逾期 #12 {HOSTILE} (overdue)",
        "text": f"描述 Description: {HOSTILE}\n说明 Note: {HOSTILE}",
    }
    body = json.loads(
        render(hook(fmt), hostile, public_url="https://yst.example.org", now=NOW).body
    )
    shown = body["markdown"]["content"] if fmt == "wecom" else body["markdown"]["text"]
    own_link = "\n[打开 Open](https://yst.example.org/work/issues/12)"
    assert shown.endswith(own_link)
    theirs = shown.removesuffix(own_link)
    for inert in ("[", "](", "![", "<a", '<font color="info"', "&#", "http://evil"):
        assert inert not in theirs, (inert, shown)
    ours = 1 if fmt == "wecom" else 0  # the warning colour of an overdue title
    assert theirs.count("<font") == ours and theirs.count("</font>") == ours
    assert "evil.example" in theirs and "点我" in theirs  # shown, as text
    if fmt == "dingtalk":
        assert "](" not in body["markdown"]["title"] and "<" not in body["markdown"]["title"]
