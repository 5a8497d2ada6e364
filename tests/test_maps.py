"""The map pages: HTML checks without a browser, then every page driven in headless Chromium
(Debian's /usr/bin/chromium) against a real server and the demo database."""

import re
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core.settings import Settings
from maps import styles
from maps.base import OfflineMap, build_page
from maps.overview import LAYERS
from tests.browser import PHONE, assert_clean, chromium, open_page, shoot, wait_drawn
from tests.conftest import serve
from tests.issue_helpers import scalar

PAGES = ["/maps/", "/maps/issues", "/maps/pin", "/maps/heritage", "/maps/charging"]
URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")
MB = 1024 * 1024


def external_urls(html: str) -> list[str]:
    """Every absolute URL in a page that does not point at this machine."""
    return [u for u in URL.findall(html) if not re.match(r"(https?:)?//127\.0\.0\.1[:/]", u)]


# --- without a browser ---------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_page_is_small_offline_and_chinese(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    assert len(r.content) < 1 * MB
    assert '<html lang="zh-CN">' in r.text
    assert external_urls(r.text) == []
    for asset in re.findall(r'(?:src|href)="(/maps/static/[^"]+)"', r.text):
        assert client.get(asset).status_code == 200, asset


def test_maps_without_slash_redirects_to_the_overview(client: TestClient) -> None:
    r = client.get("/maps", follow_redirects=False)
    assert r.status_code in (307, 308) and r.headers["location"].endswith("/maps/")


def test_overview_html_does_not_grow_with_data(client: TestClient) -> None:
    """The page carries layer specs, never features: no coordinates of the data inside."""
    html = client.get("/maps/").text
    assert '"FeatureCollection"' not in html
    assert len(html) < 64 * 1024


def test_folium_cdn_defaults_are_replaced() -> None:
    urls = [u for _, u in OfflineMap.default_js + OfflineMap.default_css]
    assert urls and all(u.startswith("/maps/static/vendor/") for u in urls)


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("/maps/issues?step=bogus", "bogus"),
        ("/maps/issues?category=no_such_thing", "no_such_thing"),
        ("/maps/issues?community=nowhere", "nowhere"),
        ("/maps/issues?colour=red", "colour"),
        ("/maps/heritage?colour=pink", "pink"),
        ("/maps/?layer=x", "layer"),
        ("/maps/charging?radius=5", "radius"),
        ("/maps/round?issues=1,x", "issues"),
        ("/maps/round?from=114.88", "from"),
        ("/maps/pin?lat=1", "lat"),
        ("/maps/track", "token"),
        ("/maps/track?token=1.a&lat=1", "lat"),
    ],
)
def test_bad_page_parameter_is_a_400_page_saying_why(
    client: TestClient, path: str, needle: str
) -> None:
    r = client.get(path)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("text/html")
    assert 'class="yst-error-message"' in r.text
    message = re.search(r'class="yst-error-message">([^<]+)<', r.text)
    assert message and needle in message.group(1)
    assert external_urls(r.text) == []


def test_issue_page_filters_are_accepted(client: TestClient, db: Session) -> None:
    community_id, name = db.execute(text("SELECT id, name FROM community LIMIT 1")).one()
    for query in (f"community={community_id}", f"community={quote(name)}"):
        r = client.get(f"/maps/issues?step=collected&category=ebike_charging&{query}")
        assert r.status_code == 200, r.text[:300]
        assert f'"community":"{community_id}"' in r.text
        assert '"step":"collected"' in r.text
        # the layer asks the OGC API by `step`; its `status` is open/closed
        params = re.findall(r'"params":\s*(\{[^}]*\})', r.text)
        assert any('"step":"collected"' in p.replace(" ", "") for p in params), params
        assert not any('"status"' in p for p in params), params


@pytest.mark.parametrize(
    ("basemap", "key", "expect", "refuse"),
    [
        ("osm", "", ["tile.openstreetmap.org"], ["tianditu"]),
        (
            "tianditu",
            "KEY123",
            ["t{s}.tianditu.gov.cn/vec_w", "cva_w", "tk=KEY123"],
            ["openstreetmap"],
        ),
        ("tianditu", "", ["tile.openstreetmap.org"], ["tianditu.gov.cn/vec"]),
        ("none", "", [], ["openstreetmap", "tianditu"]),
    ],
)
def test_base_map_follows_settings(
    basemap: str, key: str, expect: list[str], refuse: list[str]
) -> None:
    settings = Settings(YISHITING_BASEMAP=basemap, YISHITING_TIANDITU_KEY=key)
    html = build_page(
        settings, page="overview", title="t", layers=list(LAYERS), collections={}
    ).html
    for needle in expect:
        assert needle in html
    for needle in refuse:
        assert needle not in html
    # Whatever the base map, the only foreign hosts are the tile servers.
    hosts = {re.sub(r"^(https?:)?//", "", u).split("/")[0] for u in external_urls(html)}
    assert hosts <= {
        "tile.openstreetmap.org",
        "www.openstreetmap.org",
        "t{s}.tianditu.gov.cn",
        "www.tianditu.gov.cn",
    }


def test_search_finds_compounds_roads_and_courtyards(client: TestClient, db: Session) -> None:
    compound = db.execute(text("SELECT name FROM compound WHERE name = '秀水怡园'")).scalar_one()
    rows = client.get("/api/search", params={"q": "秀水"}).json()
    assert rows[0]["name"] == compound and rows[0]["kind"] == "compound"
    road = client.get("/api/search", params={"q": "新华后街"}).json()[0]
    assert road["kind"] == "road" and road["name"] == "新华后街"
    address = db.execute(text("SELECT address FROM courtyard ORDER BY id LIMIT 1")).scalar_one()
    hit = client.get("/api/search", params={"q": address}).json()[0]
    assert hit["kind"] == "courtyard" and hit["name"] == address
    w, s, e, n = hit["bbox"]
    assert w <= hit["lon"] <= e and s <= hit["lat"] <= n


def test_search_treats_wildcards_literally_and_refuses_empty(client: TestClient) -> None:
    assert client.get("/api/search", params={"q": "%"}).json() == []
    r = client.get("/api/search", params={"q": "  "})
    assert r.status_code == 400 and r.json()["where"] == "query.q"


def test_straight_line_coverage_agrees_with_postgis(client: TestClient, db: Session) -> None:
    body = client.get("/api/charging/coverage", params={"mode": "air"}).json()
    uncovered = {f["id"] for f in body["uncovered"]["features"]}
    far = set(
        db.execute(
            text(
                "SELECT c.id FROM compound c WHERE (SELECT min(ST_Distance(c.geom::geography, "
                "s.geom::geography)) FROM charging_station s) > 300"
            )
        ).scalars()
    )
    assert uncovered == far
    stations = db.execute(text("SELECT count(*), sum(spaces) FROM charging_station")).one()
    assert body["summary"]["stations"] == stations[0] == len(body["stations"]["features"])
    assert body["summary"]["spaces"] == stations[1]
    assert body["summary"]["uncovered"] == len(uncovered) < body["summary"]["compounds"]
    # the 300 m buffer of the 秀水怡园 station holds its own compound
    inside = db.execute(
        text(
            "SELECT bool_and(ST_DWithin(s.geom::geography, c.geom::geography, 300)) "
            "FROM charging_station s JOIN compound c ON c.id = s.compound_id"
        )
    ).scalar_one()
    assert inside is True
    assert client.get("/api/charging/coverage", params={"radius": 0}).status_code == 400


# --- in the browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def api_count(base: str, collection: str, bbox: str, **params: str) -> int:
    r = httpx.get(
        f"{base}/ogc/collections/{collection}/items",
        params={"bbox": bbox, "limit": 1, **params},
    )
    r.raise_for_status()
    return r.json()["numberMatched"]


# Pixels the tile layer painted on its canvases, by colour (#rrggbb -> count); fully
# transparent pixels are left out.
CANVAS_COLOURS = """(id) => {
  const out = {};
  for (const c of YST.layers[id].inner.getContainer().querySelectorAll("canvas")) {
    if (!c.width) continue;
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] === 0) continue;
      const hex = "#" + [d[i], d[i + 1], d[i + 2]]
        .map(v => v.toString(16).padStart(2, "0")).join("");
      out[hex] = (out[hex] || 0) + 1;
    }
  }
  return out;
}"""


def tile_answers(page) -> list[tuple[str, int]]:
    """(url, status) of every vector tile the page fetches from now on."""
    seen: list[tuple[str, int]] = []

    def on_response(response) -> None:
        if "/tiles/WebMercatorQuad/" in response.url:
            seen.append((response.url, response.status))

    page.on("response", on_response)
    return seen


def near(hex_colour: str, palette: set[str], tolerance: int = 6) -> bool:
    """Whether a painted colour is one of the style's (canvas rounding allows a little)."""
    rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    for c in palette:
        want = [int(c[i : i + 2], 16) for i in (1, 3, 5)]
        if all(abs(a - b) <= tolerance for a, b in zip(rgb, want, strict=True)):
            return True
    return False


def test_overview_draws_what_the_api_has(browser, live_url: str) -> None:
    page, watch = open_page(browser, f"{live_url}/maps/")
    state = wait_drawn(page)
    assert state["drawn"]["subdistricts"] == 7
    assert state["drawn"]["communities"] == 44
    # a view inside the district at zoom 15: compounds and roads appear, as many as the API has
    page.evaluate("YST.map.setView([40.8263, 114.8835], 15)")
    state = wait_drawn(page)
    for layer in ("compounds", "roads"):
        bbox = state["bbox"][layer]
        assert state["drawn"][layer] == api_count(live_url, layer, bbox) > 0
    paths = page.locator(".leaflet-overlay-pane path").count()
    assert paths == sum(state["drawn"].values())  # one SVG path per feature drawn
    assert page.locator(".yst-legend").inner_text().count("小区") >= 1
    assert page.locator(".leaflet-control-scale").count() == 1
    assert page.locator(".leaflet-control-layers").count() == 1
    # a popup carries the attributes and a link to the feature's API record
    page.evaluate(
        "(() => { const l = YST.layers.compounds.inner.getLayers()[0];"
        " l.fire('click', {latlng: l.getCenter()}); })()"
    )
    popup = page.locator(".yst-popup")
    popup.wait_for()
    href = popup.locator("a.yst-api-link").get_attribute("href")
    assert href and re.match(r"/ogc/collections/\w+/items/\d+$", href)
    assert httpx.get(live_url + href).status_code == 200
    # a small pan reloads the viewport but keeps the features already drawn, and the popup
    page.evaluate("YST.map.panBy([40, 0], {animate: false})")
    wait_drawn(page)
    assert popup.is_visible() and popup.locator("a.yst-api-link").get_attribute("href") == href
    assert state["firstFeaturesAt"] is not None
    page.evaluate("YST.map.closePopup()")
    shoot(page, "overview")
    # search by name moves the map to the compound
    page.fill(".yst-search input", "秀水怡园")
    page.locator(".yst-search-results li").first.click()
    page.wait_for_function("YST.map.getZoom() >= 16")
    wait_drawn(page)
    assert page.locator(".leaflet-tooltip.yst-hit").inner_text() == "秀水怡园"
    assert_clean(watch, "overview")


def test_overview_draws_buildings_and_courtyards_from_vector_tiles(browser, live_url: str) -> None:
    page, watch = open_page(browser, f"{live_url}/maps/")
    wait_drawn(page)
    tiles = tile_answers(page)
    items: list[str] = []
    page.on("request", lambda r: items.append(r.url) if "/items?" in r.url else None)
    page.evaluate(
        "(() => { YST.map.addLayer(YST.layers.buildings); YST.map.addLayer(YST.layers.courtyards);"
        " YST.map.setView([40.8263, 114.8835], 17, {animate: false}); })()"
    )
    state = wait_drawn(page)
    # the big layers come as tiles, answered 200 (or 204 where nothing is), never as GeoJSON
    assert tiles and {status for _, status in tiles} <= {200, 204}
    assert any(s == 200 and "/buildings/tiles/" in u for u, s in tiles)
    assert not [u for u in items if "/collections/buildings/" in u or "/courtyards/" in u]
    bbox = state["bbox"]["buildings"]
    assert state["drawn"]["buildings"] >= api_count(live_url, "buildings", bbox) > 0
    # and they are painted: the canvases hold the building style's colours
    colours = page.evaluate(f"({CANVAS_COLOURS})('buildings')")
    assert sum(colours.values()) > 1000
    top = max(colours, key=colours.get)
    assert near(top, {styles.BUILDING["fillColor"], styles.BUILDING["color"]}), top
    # a tap on a building (inside a compound, whose GeoJSON lies over the tiles) asks the tiles
    # which one and fetches it whole for the popup (the tile carries name, floors and compound
    # only; the popup has the area too)
    feature = httpx.get(
        f"{live_url}/ogc/collections/buildings/items", params={"bbox": bbox, "limit": 1}
    ).json()["features"][0]
    lon, lat = centroid(feature["geometry"])
    page.evaluate(f"YST.map.setView([{lat}, {lon}], 17, {{animate: false}})")
    wait_drawn(page)
    box = page.locator("#" + page.evaluate("YST.map.getContainer().id")).bounding_box()
    assert box is not None
    point = page.evaluate(f"YST.map.latLngToContainerPoint([{lat}, {lon}])")
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_function(f"window.__yst.popupFor === 'buildings:{feature['id']}'")
    popup = page.locator(".yst-popup")
    assert "面积" in popup.inner_text()
    href = popup.locator("a.yst-api-link").get_attribute("href")
    assert href and re.match(r"/ogc/collections/buildings/items/\d+$", href)
    shoot(page, "overview-tiles")
    assert_clean(watch, "overview tiles")


def centroid(geometry: dict) -> tuple[float, float]:
    """A point inside a small convex polygon: the mean of its outer ring's vertices."""
    ring = geometry["coordinates"][0]
    if geometry["type"] == "MultiPolygon":
        ring = ring[0]
    ring = ring[:-1]
    return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)


def test_issues_page_clusters_and_shows_routing(browser, live_url: str) -> None:
    page, watch = open_page(browser, f"{live_url}/maps/issues")
    state = wait_drawn(page)
    assert page.locator(".yst-filter-panel select").count() == 3
    bbox = state["bbox"]["issues"]
    count = api_count(live_url, "issues", bbox)
    assert count > 0
    # the issues layer may draw its first (empty) answer before the filtered one arrives
    page.wait_for_function(f"window.__yst.drawn.issues === {count}", timeout=20_000)
    # zoomed out the issues are clustered; hotspots come from /api/hotspots
    assert page.locator(".marker-cluster").count() > 0
    hotspots = httpx.get(f"{live_url}/api/hotspots").json()["features"]
    assert state["drawn"]["hotspots"] == len(hotspots)
    shoot(page, "issues")
    # zoomed in past clustering, a click shows the routing chain and the event history
    page.evaluate(
        "(() => { const m = YST.layers.issues.inner.getLayers()[0];"
        " YST.map.setView(m.getLatLng(), 18, {animate: false}); })()"
    )
    wait_drawn(page)
    page.evaluate("YST.layers.issues.inner.getLayers()[0].fire('click')")
    page.wait_for_function("window.__yst.detailShown !== undefined")
    popup = page.locator(".yst-popup")
    assert "派单链" in popup.inner_text() and "处理记录" in popup.inner_text()
    issue_id = page.evaluate("window.__yst.detailShown")
    record = httpx.get(f"{live_url}/api/issues/{issue_id}").json()
    assert record["routing"]["community"]["name"] in popup.inner_text()
    page.wait_for_function(  # the popup faded in
        "getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )
    shoot(page, "issues-detail")
    assert_clean(watch, "issues")


def test_issues_page_filters_reach_the_map(browser, live_url: str, db: Session) -> None:
    community = db.execute(
        text("SELECT community_id FROM issue GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    ).scalar_one()
    query = f"step=collected&category=ebike_charging&community={community}"
    page, watch = open_page(browser, f"{live_url}/maps/issues?{query}")
    state = wait_drawn(page)
    expected = api_count(
        live_url,
        "issues",
        state["bbox"]["issues"],
        step="collected",
        category="ebike_charging",
        community_id=str(community),
    )
    assert state["drawn"]["issues"] == expected
    assert page.input_value("#f-step") == "collected"
    assert page.input_value("#f-category") == "ebike_charging"
    # changing a control rewrites the URL and reloads with the new filter
    page.select_option("#f-step", "")
    page.wait_for_url(re.compile(r"/maps/issues\?category=ebike_charging&community=\d+$"))
    state = wait_drawn(page)
    assert state["drawn"]["issues"] >= expected
    assert_clean(watch, "issues filtered")


def test_issues_page_bad_filter_in_browser(browser, live_url: str) -> None:
    ctx = browser.new_context()
    page = ctx.new_page()
    response = page.goto(f"{live_url}/maps/issues?step=bogus")
    assert response is not None and response.status == 400
    assert "bogus" in page.locator(".yst-error-message").inner_text()
    shoot(page, "issues-bad-filter")
    ctx.close()


def test_heritage_page_courtyards_relics_and_colour_modes(browser, live_url: str) -> None:
    page, watch = open_page(browser, f"{live_url}/maps/heritage")
    state = wait_drawn(page)
    # courtyards come from vector tiles: every courtyard in view is painted
    court = api_count(live_url, "courtyards", state["bbox"]["courtyards"])
    assert state["drawn"]["courtyards"] >= court > 0
    tiles = [r for r in watch.requests if "/courtyards/tiles/WebMercatorQuad/" in r]
    assert tiles and not [r for r in watch.requests if "/courtyards/items?" in r]
    for url in tiles[:4]:
        assert httpx.get(url).status_code in (200, 204)
    assert state["drawn"]["relics"] == api_count(live_url, "relics", state["bbox"]["relics"]) > 0
    assert "renovation_items" not in state["unavailable"]
    sewer = api_count(
        live_url, "renovation_items", state["bbox"]["sewer"], project_code="madaodi_sewer"
    )
    assert state["drawn"]["sewer"] == sewer > 0
    stone = page.evaluate(
        "YST.layers.stone_road.inner.getLayers()"
        ".filter(l => l.feature.properties.surface === 'antique_stone').length"
    )
    assert stone >= 1
    # the demo's courtyards are graded by the renovation records, so they open coloured by grade
    graded = page.evaluate(
        "Object.values(YST.layers.courtyards.features()).some(p => p.danger_grade)"
    )
    assert graded
    legend = page.locator(".yst-legend")
    assert "危房等级" in legend.inner_text()
    assert page.input_value("#yst-mode") == "danger"
    # painted in the danger grades' colours, then repainted in occupancy's from the same tiles
    danger = {c for c, _ in styles.DANGER_GRADE.values()}
    occupancy = {c for c, _ in styles.OCCUPANCY.values()}
    colours = page.evaluate(f"({CANVAS_COLOURS})('courtyards')")
    assert sum(n for c, n in colours.items() if near(c, danger)) > 1000
    page.select_option("#yst-mode", "occupancy")
    wait_drawn(page)
    assert "已腾退" in legend.inner_text()
    colours = page.evaluate(f"({CANVAS_COLOURS})('courtyards')")
    assert sum(n for c, n in colours.items() if near(c, occupancy)) > 1000
    assert sum(n for c, n in colours.items() if near(c, danger - occupancy)) < 100
    page.select_option("#yst-mode", "danger")
    wait_drawn(page)
    shoot(page, "heritage")
    assert_clean(watch, "heritage")


def test_charging_page_coverage(browser, live_url: str) -> None:
    page, watch = open_page(browser, f"{live_url}/maps/charging")
    state = wait_drawn(page)
    body = httpx.get(f"{live_url}/api/charging/coverage").json()
    assert state["drawn"]["uncovered"] == body["summary"]["uncovered"]
    assert state["drawn"]["stations"] == state["drawn"]["coverage"] == body["summary"]["stations"]
    complaints = api_count(
        live_url, "issues", state["bbox"]["flying_wire"], category="ebike_charging"
    )
    assert state["drawn"]["flying_wire"] == complaints > 0
    page.wait_for_function("window.__yst.summary !== undefined")
    assert str(body["summary"]["uncovered"]) in page.locator("#yst-summary").inner_text()
    shoot(page, "charging")
    assert_clean(watch, "charging")


def test_scorecard_page_colours_the_communities(browser, live_url: str) -> None:
    page, watch = open_page(browser, f"{live_url}/maps/scorecards?rate=on_time_rate")
    state = wait_drawn(page)
    assert state["drawn"]["scorecards"] == 44
    assert "指标定义" in page.locator(".yst-progress-panel").inner_text()
    # a click on the busiest community draws its trend month by month in the panel
    clicked = page.evaluate(
        """() => {
          const all = YST.layers.scorecards.inner.getLayers();
          const busiest = all.reduce((a, b) =>
            (b.feature.properties.received || 0) > (a.feature.properties.received || 0) ? b : a);
          busiest.fire("click");
          return busiest.feature.id;
        }"""
    )
    page.wait_for_function("window.__yst.trend !== undefined")
    trend = page.evaluate("window.__yst.trend")
    assert trend["unit"] == clicked and len(trend["months"]) >= 12
    assert sum(m["counts"]["received"] for m in trend["months"]) > 0
    panel = page.locator("#yst-trend")
    assert "月度趋势" in panel.inner_text() and "满意度" in panel.inner_text()
    assert panel.locator("svg").count() == 2 and panel.locator("polyline").count() >= 1
    page.evaluate("YST.map.closePopup()")  # the screenshot shows the map and the trend
    shoot(page, "scorecards")
    assert_clean(watch, "scorecards")


def test_round_page_draws_the_stops_in_order(browser, live_url: str, db: Session) -> None:
    ids = (
        db.execute(
            text(
                "SELECT id FROM issue WHERE community_id = (SELECT community_id FROM issue "
                "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1) ORDER BY id LIMIT 8"
            )
        )
        .scalars()
        .all()
    )
    query = ",".join(map(str, ids))
    page, watch = open_page(browser, f"{live_url}/maps/round?issues={query}")
    state = wait_drawn(page)
    body = httpx.get(f"{live_url}/api/rounds", params={"issues": query}).json()
    assert state["drawn"]["stops"] == len(body["order"]) == len(ids)
    assert state["drawn"]["legs"] == len(ids) - 1
    page.wait_for_function("window.__yst.summary !== undefined")
    summary = page.locator("#yst-summary").inner_text()
    assert f"stops: {len(ids)}" in summary
    assert f"{int(body['length_m'] + 0.5)} 米" in summary  # JavaScript's Math.round
    assert page.locator(".yst-round-no").count() == len(ids)
    shoot(page, "round")
    assert_clean(watch, "round")


PNG_1PX = bytes.fromhex(  # one green pixel, a PNG that decodes (photos are re-encoded)
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63606860f80f0002840180fa05561d0000000049454e44ae426082"
)


def test_pin_page_files_an_issue_end_to_end(browser, fresh_settings: Settings) -> None:
    base, server, thread = serve(fresh_settings)
    try:
        here = {"latitude": 40.8263, "longitude": 114.8835}
        page, watch = open_page(
            browser,
            f"{base}/maps/pin",
            viewport=PHONE,
            geolocation=here,
            permissions=["geolocation"],
            is_mobile=True,
            has_touch=True,
        )
        wait_drawn(page)
        page.wait_for_function("window.__yst.categories > 0")
        page.click("#yst-locate")
        page.wait_for_function("window.__yst.pin !== undefined")
        page.wait_for_function("window.__yst.located === true")
        pin = page.evaluate("window.__yst.pin")
        assert pin == {"lon": pytest.approx(114.8835), "lat": pytest.approx(40.8263)}
        # tapping the map moves the pin (a tap during the locate animation may be dropped by
        # Leaflet, so tap again until the pin follows, a few times at most)
        moved_js = f"window.__yst.pin && window.__yst.pin.lat !== {pin['lat']}"
        for _ in range(5):
            page.locator(".folium-map").click(position={"x": 200, "y": 150})
            try:
                page.wait_for_function(moved_js, timeout=500)
                break
            except PlaywrightTimeout:
                continue
        moved = page.evaluate("window.__yst.pin")
        assert moved != pin
        page.select_option("#yst-category", "ebike_charging")
        page.fill("#yst-description", "楼道内飞线充电, 浏览器测试")
        page.set_input_files(
            "#yst-photo", files=[{"name": "p.png", "mimeType": "image/png", "buffer": PNG_1PX}]
        )
        page.click("#yst-submit")
        page.locator(".yst-routed").wait_for(timeout=15_000)
        filed = page.evaluate("window.__yst.filed")
        record = httpx.get(f"{base}/api/issues/{filed['id']}").json()
        assert record["lon"] == pytest.approx(moved["lon"], abs=1e-6)
        assert record["input"]["crs"] == "wgs84"
        shown = page.locator(".yst-routed").inner_text()
        for place in ("subdistrict", "community"):
            assert record["routing"][place]["name"] in shown
        page.wait_for_function(
            "document.querySelector('#yst-pin-result').innerText.includes('照片')"
        )
        # the same problem pinned again: the first one is offered as a duplicate to support
        page.fill("#yst-description", "同一处飞线充电")
        page.click("#yst-submit")
        page.wait_for_function(f"window.__yst.filed.id !== {filed['id']}")
        support = page.locator(f".yst-support[data-id='{filed['id']}']")
        support.click()
        page.wait_for_function(
            "document.querySelector('.yst-support').innerText.includes('已附议')"
        )
        after = httpx.get(f"{base}/api/issues/{filed['id']}").json()
        assert after["supporters"] == record["supporters"] + 1
        shoot(page, "pin")
        assert_clean(watch, "pin")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_pin_page_retry_after_a_lost_answer_files_one_issue(
    browser, fresh_settings: Settings
) -> None:
    """The first answer is lost on the way back (the server did file it); the retry sends the
    same Idempotency-Key, so the district gets one issue, not two."""
    base, server, thread = serve(fresh_settings)
    try:
        page, watch = open_page(browser, f"{base}/maps/pin", viewport=PHONE)
        wait_drawn(page)
        page.wait_for_function("window.__yst.categories > 0")
        lost: list[str] = []

        def lose_first_answer(route) -> None:
            if route.request.method == "POST" and not lost:
                route.fetch()  # reaches the server, which files the issue
                lost.append(route.request.headers.get("idempotency-key", ""))
                route.abort("connectionreset")
            else:
                route.continue_()

        page.route("**/api/issues", lose_first_answer)
        page.evaluate("YST.placePin(L.latLng(40.8263, 114.8835))")
        page.select_option("#yst-category", "ebike_charging")
        text_ = "重试不重复 retry files once"
        page.fill("#yst-description", text_)
        page.click("#yst-submit")
        page.wait_for_function(
            "document.querySelector('#yst-pin-result').innerText.includes('提交失败')"
        )
        page.click("#yst-submit")
        page.locator(".yst-routed").wait_for(timeout=15_000)
        assert lost and lost[0]
        filed = scalar(
            fresh_settings, "SELECT array_agg(id) FROM issue WHERE description = :d", d=text_
        )
        assert filed == [page.evaluate("window.__yst.filed.id")]
        watch.console_errors = [e for e in watch.console_errors if "ERR_CONNECTION_RESET" not in e]
        assert_clean(watch, "pin retry")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
