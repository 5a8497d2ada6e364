"""The staff workspace (/work) on a phone in headless Chromium, for the workspace's browser
tests: a phone page with geolocation emulated, its readiness, and a community hall to record at."""

from typing import Any

from playwright.sync_api import Browser, Page
from sqlalchemy import create_engine, text

from geo.core.settings import Settings
from tests.browser import open_page

PHONE = {"width": 390, "height": 844}


def phone(browser: Browser, base: str, path: str, where: dict[str, float]) -> Page:
    """A phone page on `path`, standing at `where` (lon, lat); its Watch is page.watch."""
    page, watch = open_page(
        browser,
        f"{base}{path}",
        viewport=PHONE,
        geolocation={"latitude": where["lat"], "longitude": where["lon"], "accuracy": 12},
        permissions=["geolocation"],
        is_mobile=True,
        has_touch=True,
    )
    page.watch = watch  # type: ignore[attr-defined]
    return page


def ready(page: Page) -> None:
    """The workspace started and has no request in flight."""
    page.wait_for_function("window.__work && window.__work.ready", timeout=20_000)
    page.wait_for_function("window.__work.pending === 0", timeout=20_000)


def community_hall(settings: Settings) -> dict[str, Any]:
    """The first community hall, its community and a point in one of its compounds."""
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT h.id AS hall, h.community_id AS community, ST_X(p) AS lon,"
                    " ST_Y(p) AS lat FROM hall h JOIN compound c ON c.community_id ="
                    " h.community_id, LATERAL ST_PointOnSurface(c.geom) p"
                    " WHERE h.kind = 'community' ORDER BY h.id, c.id LIMIT 1"
                )
            ).one()
            return dict(row._mapping)
    finally:
        engine.dispose()
