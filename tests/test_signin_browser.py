"""Sign-in and the admin page in headless Chromium at a phone's width (390 x 844): a wrong
password says so, the right one lands on `next`, the admin adds an account and deactivates one
through the page, sign-out returns to the sign-in page. Screenshots go to docs/screenshots."""

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.browser import open_page
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
    expect(page.locator(".link")).to_contain_text("/work/login?link=")
    expect(page.locator("#status")).to_contain_text("已添加 新规划员")

    page.on("dialog", lambda dialog: dialog.accept())
    page.click(f'li[data-id="{target}"] button.danger')
    expect(page.locator(f'li[data-id="{target}"]')).to_contain_text("已停用")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "work-admin.png"))
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")

    page.click("text=退出 Sign out")
    page.wait_for_url(f"{live}/work/login?**")
    expect(page.locator(".msg.info")).to_contain_text("您已退出登录")
    # The refused sign-in answered 401, which Chromium logs; nothing else may complain.
    refused = [e for e in watch.console_errors if "status of 401" in e and "/work/login" in e]
    assert len(refused) == 1 and len(watch.console_errors) == 1
    assert watch.external == []
