"""The outbox and the answers the workspace keeps belong to one account (headless Chromium):
a session A recorded offline is never sent under B's session when B signs in on the same phone
(B is asked, and agreeing discards it); signing out asks first when something is unsent, then
empties the outbox and the kept answers."""

from playwright.sync_api import Browser, Dialog, Page

from geo.core.settings import Settings
from tests.browser import wait_in
from tests.issue_helpers import scalar
from tests.signin_helpers import PASSWORD, make_person
from tests.work_phone import community_hall, phone, ready

SESSIONS = "SELECT count(*) FROM hall_session WHERE hall_id = :h AND recorded_by_id IN (:a, :b)"
KEPT = """async () => {
  const jobs = await new Promise((resolve) => {
    const open = indexedDB.open("yst-work", 1);
    open.onupgradeneeded = () =>
      open.result.createObjectStore("outbox", {keyPath: "id", autoIncrement: true});
    open.onsuccess = () => {
      const req = open.result.transaction("outbox").objectStore("outbox").getAll();
      req.onsuccess = () => resolve(req.result.length);
    };
  });
  const data = (await caches.keys()).includes("work-data")
    ? (await (await caches.open("work-data")).keys()).map((r) => new URL(r.url).pathname) : [];
  return {jobs, data};
}"""


def _sign_in(page: Page, username: str) -> None:
    page.wait_for_url("**/work/login**")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    ready(page)


def _record_offline(page: Page, live: str, hall: int) -> None:
    """Open the hall page online (the worker keeps it), then record a session offline."""
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=20_000)
    page.goto(f"{live}/work/halls/{hall}")
    ready(page)
    page.context.set_offline(True)
    page.fill("input[name=attendees]", "23")
    page.check("input[name=body-residents_committee]")
    page.click("#w-record")
    page.wait_for_function("window.__work.outbox && window.__work.outbox.length === 1")


def test_a_job_is_sent_only_by_the_account_that_made_it(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    place = community_hall(fresh_settings)
    area = ("community", place["community"])
    a = make_person(fresh_settings, "grid.a", "grid", area=area)
    b = make_person(fresh_settings, "grid.b", "grid", area=area)
    counted = {"h": place["hall"], "a": a, "b": b}
    page = phone(browser, live, "/work", place)
    _sign_in(page, "grid.a")
    _record_offline(page, live, place["hall"])
    assert "/api/halls/" in " ".join(page.evaluate(KEPT)["data"])
    # A's session ends (the phone is handed over); B signs in on the same phone.
    page.context.clear_cookies()
    page.context.set_offline(False)
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    page.goto(f"{live}/work/login")
    _sign_in(page, "grid.b")
    page.wait_for_function("window.__work.outbox !== undefined")
    page.wait_for_timeout(1500)  # time for any flush to have sent it
    assert scalar(fresh_settings, SESSIONS, **counted) == 0  # never filed as B's
    assert len(asked) == 1 and "1 条提交未发送" in asked[0] and "测试 grid.a" in asked[0]
    kept = page.evaluate(KEPT)
    assert kept["jobs"] == 0  # B agreed: discarded
    assert not [p for p in kept["data"] if p.startswith("/api/halls/")]  # A's answers are gone
    page.context.close()


def test_signing_out_asks_then_empties_the_outbox_and_the_kept_answers(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    place = community_hall(fresh_settings)
    a = make_person(fresh_settings, "grid.c", "grid", area=("community", place["community"]))
    counted = {"h": place["hall"], "a": a, "b": a}
    page = phone(browser, live, "/work", place)
    _sign_in(page, "grid.c")
    _record_offline(page, live, place["hall"])
    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click("#w-logout")
    wait_in(page, lambda: bool(asked), 5_000)
    assert len(asked) == 1 and "退出将丢弃" in asked[0]
    assert page.evaluate(KEPT)["jobs"] == 1  # not now: still signed in, still kept
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.click("#w-logout")
    page.wait_for_timeout(500)
    # Offline, the server could not be told; the session is taken as ended there too.
    page.context.clear_cookies()
    page.context.set_offline(False)
    page.goto(f"{live}/work/login")
    assert page.evaluate(KEPT) == {"jobs": 0, "data": []}
    # Signing in again sends nothing: what was discarded is gone.
    page.goto(f"{live}/work")
    _sign_in(page, "grid.c")
    page.wait_for_timeout(1500)
    assert scalar(fresh_settings, SESSIONS, **counted) == 0
    page.context.close()
