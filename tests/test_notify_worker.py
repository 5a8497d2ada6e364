"""The outbox worker against a real HTTP receiver on 127.0.0.1: every event received once
across a worker killed mid-send and started again, never twice by two workers at once, retries
with exponential backoff on 500s, giving up after the last attempt, and the robots' formats
(DingTalk's sign checked by the receiver, an errcode answered with HTTP 200 retried)."""

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from geo.core.db import make_engine, make_sessionmaker
from geo.core.settings import Settings
from geo.notices import webhooks
from geo.notices.delivery import Worker
from geo.notices.webhooks import add_webhook
from tests import issue_helpers
from tests.issue_flow_helpers import pin
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]
SECRET = "whsec_test-secret"
ALLOW = "127.0.0.1"  # the receivers here live on loopback: allowed explicitly


@pytest.fixture
def fresh_settings(fresh_settings: Settings) -> Settings:
    return fresh_settings.model_copy(update={"webhook_allow_private": ALLOW})


@dataclass
class Received:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST; `answer(received, n)` gives (status, body) for the n-th try of a
    delivery id; `delay` holds each answer back (a send in flight)."""

    answer: Callable[[Received, int], tuple[int, bytes]] = lambda r, n: (200, b"ok")
    delay: float = 0.0
    got: list[Received] = field(default_factory=list)
    arrived: list[str] = field(default_factory=list)  # delivery ids as they arrive
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def in_flight(self) -> set[str]:
        """Deliveries arrived but not answered yet."""
        with self.lock:
            done = {r.headers.get("x-yishiting-delivery", "") for r in self.got}
            return set(self.arrived) - done

    def tries(self, delivery: str) -> list[Received]:
        return [r for r in self.got if r.headers.get("x-yishiting-delivery") == delivery]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    lock = state.lock

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            got = Received(time.monotonic(), self.path, headers, body)
            with lock:
                state.arrived.append(headers.get("x-yishiting-delivery", ""))
            time.sleep(state.delay)
            with lock:
                state.got.append(got)
                n = len(state.tries(got.headers.get("x-yishiting-delivery", "")))
            status, answer = state.answer(got, n)
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def webhook(
    settings: Settings, url: str, fmt: str = "generic", secret: str | None = SECRET
) -> tuple[int, int]:
    """A webhook for the community of the first building; returns (webhook id, community)."""
    engine = create_engine(settings.database_url)
    try:
        with Session(engine) as db, db.begin():
            _, place = issue_helpers.point_in_building(db)
            hook = add_webhook(db, name=f"test {fmt}", url=url, format=fmt, secret=secret,
                               community_id=place["community"],
                               allow_private=settings.webhook_allow_private)  # fmt: skip
    finally:
        engine.dispose()
    return hook["id"], place["community"]


def pins(client: TestClient, settings: Settings, n: int) -> list[int]:
    engine = create_engine(settings.database_url)
    try:
        with Session(engine) as db:
            point, _ = issue_helpers.point_in_building(db)
    finally:
        engine.dispose()
    return [pin(client, point, description=f"第{k}件 item {k}")["id"] for k in range(n)]


def outbox(settings: Settings) -> dict[str, dict[str, Any]]:
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id::text, event_id, state, attempts, last_status, last_error"
                     " FROM webhook_delivery")
            ).mappings()  # fmt: skip
            return {r["id"]: dict(r) for r in rows}
    finally:
        engine.dispose()


def verified(r: Received) -> dict[str, Any]:
    """The body, after checking its signature as a receiver would."""
    stamp = r.headers["x-yishiting-timestamp"]
    mac = hmac.new(SECRET.encode(), stamp.encode() + b"." + r.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(r.headers["x-yishiting-signature"], "sha256=" + mac)
    assert abs(time.time() - int(stamp)) < 300
    body: dict[str, Any] = json.loads(r.body)
    assert body["delivery_id"] == r.headers["x-yishiting-delivery"]
    return body


def worker_process(settings: Settings) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "YISHITING_NOTIFY_EVERY": "0.2",
           "YISHITING_WEBHOOK_ALLOW_PRIVATE": ALLOW,
           "YISHITING_NOTIFY_TIMEOUT": "2", "YISHITING_NOTIFY_LEASE": "3"}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "notify-worker"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_each_event_received_once_across_a_killed_worker(
    fresh_client: TestClient, fresh_settings: Settings, receiver: Receiver
) -> None:
    webhook(fresh_settings, receiver.url + "/yst")
    issues = pins(fresh_client, fresh_settings, 6)
    rows = outbox(fresh_settings)
    assert len(rows) == 6  # one per event, written with it
    receiver.delay = 1.0  # each answer takes a while: the kill lands mid-send
    first = worker_process(fresh_settings)
    try:
        wait_until(lambda: len(receiver.got) >= 2 and receiver.in_flight(), 60,
                   "two received and a third in flight")  # fmt: skip
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    in_flight = receiver.in_flight()
    assert len(in_flight) == 1 and len(receiver.arrived) < 6
    states = [r["state"] for r in outbox(fresh_settings).values()]
    assert "sending" in states  # the one in flight, its lease running
    receiver.delay = 0.0
    second = worker_process(fresh_settings)
    try:
        wait_until(lambda: all(r["state"] == "delivered" for r in outbox(fresh_settings).values()),
                   60, "everything delivered after the restart")  # fmt: skip
    finally:
        second.send_signal(signal.SIGTERM)  # a clean stop: finishes the send in flight
        assert second.wait(15) == 0
    # Every event reached the receiver, each signed; by delivery id, exactly one each.
    bodies = {verified(r)["delivery_id"]: verified(r) for r in receiver.got}
    assert set(bodies) == set(rows)
    assert sorted(b["issue"]["id"] for b in bodies.values()) == issues
    assert sorted(b["event_id"] for b in bodies.values()) == sorted(
        r["event_id"] for r in rows.values()
    )
    # The one window no HTTP sender closes: the send in flight when the worker died was taken
    # by the receiver but never recorded, so it came again after the lease, with the same
    # delivery id (a receiver keeping the ids it has seen drops it). Nothing else repeats.
    counts = Counter(r.headers["x-yishiting-delivery"] for r in receiver.got)
    assert {i for i, n in counts.items() if n > 1} == in_flight
    assert max(counts.values()) == 2


def test_two_workers_never_send_one_delivery_twice(
    fresh_client: TestClient, fresh_settings: Settings, receiver: Receiver
) -> None:
    webhook(fresh_settings, receiver.url + "/yst")
    pins(fresh_client, fresh_settings, 8)
    receiver.delay = 0.05
    sessions = make_sessionmaker(make_engine(fresh_settings))
    stop = threading.Event()
    workers = [Worker(sessions, fresh_settings) for _ in range(3)]
    threads = [
        threading.Thread(target=w.run, args=(stop,), kwargs={"every": 0.05}) for w in workers
    ]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: all(r["state"] == "delivered" for r in outbox(fresh_settings).values()),
                   60, "all delivered")  # fmt: skip
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        for w in workers:
            w.close()
    assert len(receiver.got) == 8
    assert len({r.headers["x-yishiting-delivery"] for r in receiver.got}) == 8


def test_retries_back_off_on_500_and_give_up_after_the_last(
    fresh_client: TestClient, fresh_settings: Settings, receiver: Receiver
) -> None:
    webhook(fresh_settings, receiver.url + "/flaky")
    pins(fresh_client, fresh_settings, 1)
    receiver.answer = lambda r, n: (500, b"busy") if n <= 2 else (200, b"ok")
    settings = fresh_settings.model_copy(
        update={"notify_backoff_s": 0.5, "notify_backoff_max_s": 10, "notify_max_attempts": 5}
    )
    sessions = make_sessionmaker(make_engine(settings))
    worker = Worker(sessions, settings)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), kwargs={"every": 0.05})
    thread.start()
    try:
        wait_until(lambda: all(r["state"] == "delivered" for r in outbox(settings).values()), 30,
                   "delivered after two 500s")  # fmt: skip
        (row,) = outbox(settings).values()
        first, second, third = (t.at for t in receiver.tries(row["id"]))
        assert second - first >= 0.5  # backoff 0.5 s after the first failure
        assert third - second >= 1.0  # doubled after the second
        assert row["attempts"] == 3 and row["last_status"] == 200 and row["last_error"] is None
        attempts = issue_helpers.scalar(
            settings,
            "SELECT array_agg(coalesce(status, 0) ORDER BY at) FROM webhook_attempt"
            " WHERE delivery_id = CAST(:d AS uuid)", d=row["id"],
        )  # fmt: skip
        assert attempts == [500, 500, 200]
        # a receiver that never recovers: dead after the last attempt, with the last error
        receiver.answer = lambda r, n: (500, b"down")
        pins(fresh_client, settings, 1)
        wait_until(lambda: any(r["state"] == "dead" for r in outbox(settings).values()), 30,
                   "given up")  # fmt: skip
    finally:
        stop.set()
        thread.join(10)
        worker.close()
    dead = next(r for r in outbox(settings).values() if r["state"] == "dead")
    assert dead["attempts"] == 5 and dead["last_error"] == "HTTP 500"
    assert len(receiver.tries(dead["id"])) == 5


def test_robot_formats_reach_the_receiver(
    fresh_client: TestClient, fresh_settings: Settings, receiver: Receiver
) -> None:
    webhook(fresh_settings, receiver.url + "/cgi-bin/webhook/send?key=K", "wecom", None)
    webhook(fresh_settings, receiver.url + "/robot/send?access_token=T", "dingtalk", "SECding")

    def answer(r: Received, n: int) -> tuple[int, bytes]:
        if r.path.startswith("/robot") and n == 1:  # DingTalk's "too fast" on the first try
            return 200, b'{"errcode":130101,"errmsg":"send too fast"}'
        return 200, b'{"errcode":0,"errmsg":"ok"}'

    receiver.answer = answer
    pins(fresh_client, fresh_settings, 3)
    settings = fresh_settings.model_copy(
        update={"notify_backoff_s": 0.2, "notify_robot_interval_s": 1.0}
    )
    worker = Worker(make_sessionmaker(make_engine(settings)), settings)
    try:
        wait_until(
            lambda: (
                (worker.run_once() or True)
                and all(r["state"] == "delivered" for r in outbox(settings).values())
            ),
            30,
            "delivered",
        )
    finally:
        worker.close()
    wecom = [r for r in receiver.got if r.path.startswith("/cgi-bin")]
    assert len(wecom) == 3
    assert json.loads(wecom[0].body)["msgtype"] == "markdown"
    ding = [r for r in receiver.got if r.path.startswith("/robot")]
    assert len(ding) == 6  # each first try answered an errcode, and was retried
    # robots are paced: a robot's messages the interval apart, never a burst. Claims are the
    # interval apart; arrivals less the difference of two sends' delays on a busy machine
    # (0.1 s short of a 0.5 s interval once, with the suite on both cores)
    for robot in (wecom, ding):
        gaps = [b.at - a.at for a, b in zip(robot, robot[1:], strict=False)]
        assert min(gaps) >= 0.75, gaps
    for r in ding:
        query = parse_qs(urlsplit(r.path).query)
        stamp = query["timestamp"][0]
        digest = hmac.new(b"SECding", f"{stamp}\nSECding".encode(), hashlib.sha256).digest()
        assert query["sign"][0] == base64.b64encode(digest).decode()
        assert abs(time.time() * 1000 - int(stamp)) < 3600 * 1000
        assert json.loads(r.body)["markdown"]["title"].startswith("议事厅")


def test_the_service_delivers_by_itself(fresh_settings: Settings, receiver: Receiver) -> None:
    """Inside `serve` (YISHITING_NOTIFY_EVERY > 0) the app runs the worker itself."""
    from api.app import create_app

    webhook(fresh_settings, receiver.url + "/yst")
    every = fresh_settings.model_copy(update={"notify_every_s": 0.1})
    with TestClient(create_app(every)) as client:
        [issue] = pins(client, every, 1)
        wait_until(lambda: len(receiver.got) == 1, 30, "delivered by the service")
    assert verified(receiver.got[0])["issue"]["id"] == issue


def test_an_answer_that_drips_or_floods_ends_within_the_timeout(
    fresh_client: TestClient, fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A receiver answering slowly but steadily (each chunk within the read timeout) or
    without end must not hold a send past the lease (another worker would send it again), nor
    be read whole into memory."""
    monkeypatch.setattr(webhooks, "resolve", lambda host, port: [ip_address(PUBLIC)])
    webhook(fresh_settings, "http://drip.example.org/in")
    pins(fresh_client, fresh_settings, 2)
    settings = fresh_settings.model_copy(update={"notify_timeout_s": 1, "notify_lease_s": 3})
    served = Counter[str]()

    def drip() -> Iterator[bytes]:
        for _ in range(40):  # 8 s in all, a chunk every 0.2 s
            served["drip"] += 1
            time.sleep(0.2)
            yield b"."

    def flood() -> Iterator[bytes]:
        for _ in range(1000):  # 64 MB
            served["flood"] += 1
            yield b"x" * 65536

    bodies = iter((drip, flood))

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, content=next(bodies)())

    client = httpx.Client(transport=httpx.MockTransport(answer))
    worker = Worker(make_sessionmaker(make_engine(settings)), settings, client=client)
    for what in ("drip", "flood"):
        started = time.monotonic()
        result = worker.run_once()
        took = time.monotonic() - started
        assert result is not None and result.state == "pending", what
        assert took < settings.notify_lease_s, (what, took)
        assert served[what] < 40 if what == "drip" else served[what] <= 2, (what, served)


PUBLIC = "93.184.215.14"


def test_a_name_now_resolving_to_a_private_address_is_refused_at_send_time(
    fresh_client: TestClient, fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name was public when the webhook was added, and resolves to the
    metadata address when the notice is sent. The worker resolves once, refuses, sends
    nothing; while it is public, the POST goes to the address it checked (Host: the name)."""
    answers = {"hooks.example.org": PUBLIC}
    monkeypatch.setattr(webhooks, "resolve", lambda host, port: [ip_address(answers[host])])
    webhook(fresh_settings, "http://hooks.example.org:8080/in")
    pins(fresh_client, fresh_settings, 2)
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, content=b"secret internal answer")

    client = httpx.Client(transport=httpx.MockTransport(answer))
    worker = Worker(make_sessionmaker(make_engine(fresh_settings)), fresh_settings, client=client)
    first = worker.run_once()
    assert first is not None and first.state == "delivered"
    assert [(r.url.host, r.url.port, r.headers["host"]) for r in sent] == [
        (PUBLIC, 8080, "hooks.example.org:8080")
    ]
    answers["hooks.example.org"] = "169.254.169.254"
    second = worker.run_once()
    assert second is not None and second.state == "pending" and second.status is None
    assert len(sent) == 1  # nothing sent to the private address
    assert "169.254.169.254" in (second.error or "") and "not public" in (second.error or "")
    row = outbox(fresh_settings)[str(second.delivery)]
    assert row["last_error"] == second.error
    # and nothing of an answer's body is kept anywhere
    kept = issue_helpers.scalar(
        fresh_settings, "SELECT count(*) FROM webhook_attempt WHERE error LIKE '%secret%'"
    )
    assert kept == 0
