"""A bulk dispatch of 200 matters in headless Chromium (/work/bulk): the first answer is lost on
the way back, the page sends the request again under the same Idempotency-Key, the progress
bar moves while the matters are dispatched one by one, and exactly 200 events are made."""

from datetime import date

from playwright.sync_api import Browser, Route

from geo.core.settings import Settings
from tests import issue_helpers
from tests.browser import DESKTOP, open_page, shoot
from tests.signin_helpers import PASSWORD, make_person
from tests.test_bulk import deliberated, undeliberated
from tests.work_phone import ready

SIZE = 200

DISPATCHED = "SELECT count(*) FROM issue_event WHERE to_step = 'dispatched'"


def test_a_bulk_dispatch_of_200_shows_progress_and_makes_200_events_also_when_retried(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    make_person(fresh_settings, "bulk1", "admin")
    # long overdue, so they lead the admin's list (overdue first, then by due date)
    deliberated(fresh_settings, undeliberated(fresh_settings, SIZE), due=date(2020, 1, 6))
    before = issue_helpers.scalar(fresh_settings, DISPATCHED)
    page, watch = open_page(browser, f"{live}/work/bulk", viewport=DESKTOP)
    page.wait_for_url("**/work/login**")
    page.fill("#username", "bulk1")
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/work/bulk")
    ready(page)
    page.select_option("select[name=step]", "deliberated")
    boxes = page.locator("#w-list input[type=checkbox]")
    assert boxes.count() >= SIZE
    page.evaluate(
        f"""[...document.querySelectorAll('#w-list input[type=checkbox]')].slice(0, {SIZE})
            .forEach((b) => b.click())"""
    )
    page.select_option("select[name=to]", "dispatched")
    page.fill("textarea[name=note]", "批量分流 bulk dispatch")
    lost: list[str] = []

    def lose_first_answer(route: Route) -> None:
        if lost:
            route.continue_()
            return
        route.fetch()  # the server stores the job and answers; the answer never arrives
        lost.append(route.request.headers["idempotency-key"])
        route.abort()

    page.route("**/api/bulk-jobs", lose_first_answer)
    page.evaluate("window.__work.seen = []")
    page.evaluate(
        """new MutationObserver(() => window.__work.seen.push(
               Number(document.querySelector('#w-progress').value)))
           .observe(document.querySelector('#w-tally'), {childList: true})"""
    )
    page.click("#w-go")
    page.wait_for_function(
        "window.__work.bulk && window.__work.bulk.waiting === 0", timeout=120_000
    )
    job = page.evaluate("window.__work.bulk")
    seen = page.evaluate("window.__work.seen")
    assert lost and job["total"] == SIZE and job["done"] == SIZE, job
    assert seen[-1] == SIZE and any(0 < n < SIZE for n in seen), seen  # it moved as it went
    assert issue_helpers.scalar(fresh_settings, DISPATCHED) - before == SIZE
    assert issue_helpers.scalar(fresh_settings, "SELECT count(*) FROM bulk_job") == 1
    shoot(page, "work-bulk")
    page.context.close()
