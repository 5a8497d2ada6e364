"""Sign-in and the admin page in headless Chromium at a phone's width (390 x 844): a wrong
password says so, the right one lands on `next`, the admin adds an account and deactivates one
through the page, sign-out returns to the sign-in page. Screenshots go to docs/screenshots."""

from pathlib import Path

from playwright.sync_api import Browser, expect
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from geo.accounts.signin import issue_link, link_url
from geo.core import clock
from geo.models import Account
from tests.browser import open_page
from tests.issue_helpers import scalar
from tests.signin_helpers import PASSWORD, make_person

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}


def test_sign_in_and_administer_from_a_phone(browser: Browser, live: str, fresh_settings) -> None:
    make_person(fresh_settings, "admin.wang", role="admin", password=PASSWORD)
    target = make_person(fresh_settings, "grid.zhou", area=("community", 2))
    page, watch = open_page(browser, f"{live}/work/admin", viewport=PHONE)
    assert page.url.startswith(f"{live}/work/login?next=%2Fwork%2Fadmin")
    page.fill("#username", "admin.wang")
    page.fill("#password", "not it at all")
    page.click("button[type=submit]")
    expect(page.locator(".msg.error")).to_contain_text("用户名或密码错误")
    assert page.input_value("#username") == "admin.wang"  # what was typed is kept
    box = page.locator("button[type=submit]").bounding_box()
    assert box and box["height"] >= 44 and box["width"] >= 300  # a thumb's target
    page.screenshot(path=str(SHOTS / "work-login.png"))
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live}/work/admin")
    expect(page.locator(f'li[data-id="{target}"]')).to_contain_text("grid.zhou")

    page.click("#add summary")
    page.fill("#a-username", "new.planner")
    page.fill("#a-name", "新规划员")
    page.select_option("#a-role", "planner")
    page.click("#add-form button[type=submit]")
    expect(page.locator(".link")).to_contain_text("/work/login/link#")
    expect(page.locator("#status")).to_contain_text("已添加 新规划员")

    page.on("dialog", lambda dialog: dialog.accept())
    page.click(f'li[data-id="{target}"] button.danger')
    expect(page.locator(f'li[data-id="{target}"]')).to_contain_text("已停用")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "work-admin.png"))
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    # A reset asks whether the API token ends too (every dialog is accepted here: it does).
    planner = page.locator("li.acct", has_text="new.planner")
    planner.locator("text=重置密码").click()
    expect(planner.locator(".link")).to_contain_text("/work/login/link#")
    ended = "SELECT token_revoked_at IS NOT NULL FROM account WHERE username = 'new.planner'"
    assert scalar(fresh_settings, ended) is True

    page.click("text=退出 Sign out")
    page.wait_for_url(f"{live}/work/login?**")
    expect(page.locator(".msg.info")).to_contain_text("您已退出登录")
    # The refused sign-in answered 401, which Chromium logs; nothing else may complain.
    refused = [e for e in watch.console_errors if "status of 401" in e and "/work/login" in e]
    assert len(refused) == 1 and len(watch.console_errors) == 1
    assert watch.external == []


def test_a_one_time_link_signs_in_and_never_reaches_the_server(
    browser: Browser, live: str, fresh_settings
) -> None:
    ident = make_person(fresh_settings, "new.li", password=None)
    engine = create_engine(fresh_settings.database_url)
    with Session(engine) as session, session.begin():
        token = issue_link(session, session.get(Account, ident), now=clock.now(), ttl_s=3600)
    engine.dispose()
    page, watch = open_page(browser, link_url(live, token), viewport=PHONE, bypass_csp=False)
    assert page.url == f"{live}/work/login/link"  # out of the address bar and history
    page.click("button[type=submit]")
    page.wait_for_url(f"{live}/work/password?next=/work")
    expect(page.locator("h1")).to_contain_text("设置密码")
    # Every address the browser asked for: the token was in none (so in no access log).
    assert watch.requests and not [u for u in watch.requests if token in u]
    assert watch.console_errors == [] and watch.external == []
