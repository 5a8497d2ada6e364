"""/maps/pin: a phone page for field staff and residents to pin an issue.

Locate me (navigator.geolocation, WGS84), tap to place or drag the pin, choose a category,
describe, add a photo, submit; the page then shows who the issue went to and the open issues
nearby that may be the same one.
"""

from collections.abc import Mapping

from geo.core.settings import Settings
from maps import styles
from maps.base import (
    DISTRICT_CENTER,
    Layer,
    PageResult,
    View,
    build_page,
    refuse_any_params,
)

TITLE = "随手拍上报 Report an issue"

FORM = """
<form class="yst-panel yst-pin-form" id="yst-pin-form" novalidate aria-label="上报问题">
  <div class="yst-pin-row">
    <button type="button" id="yst-locate">⊙ 定位我 Locate me</button>
    <span id="yst-pin-where">点地图放置图钉 Tap the map to place the pin</span>
  </div>
  <label for="yst-category">问题类别 Category</label>
  <select id="yst-category" name="category" required>
    <option value="">请选择 choose…</option>
  </select>
  <label for="yst-description">问题描述 Description</label>
  <textarea id="yst-description" name="description" rows="2" required
    placeholder="例如: 楼道内飞线充电"></textarea>
  <label for="yst-photo">照片 Photo (可选)</label>
  <input type="file" id="yst-photo" name="photo" accept="image/*" capture="environment">
  <button type="submit" id="yst-submit">提交 Submit</button>
  <div id="yst-pin-result" aria-live="polite"></div>
</form>
"""


def build_pin(
    settings: Settings,
    *,
    query: Mapping[str, str],
    collections: dict[str, list[str]],
    bounds: list[list[float]] | None,
) -> PageResult:
    """The pin page; it posts to /api/issues with crs=wgs84 (the browser's own coordinates)."""
    refused = refuse_any_params(query, page="pin", title=TITLE)
    if refused:
        return refused
    layers = [
        # Context only: taps go through to the map, where they place the pin.
        Layer(
            "compounds",
            "小区 Compounds",
            "compounds",
            {**styles.COMPOUND, "interactive": False},
            min_zoom=15,
        ),
        Layer(
            "issues",
            "附近问题 Issues nearby",
            "issues",
            styles.ISSUE,
            min_zoom=16,
            legend_shape="circle",
            optional=True,
        ),
    ]
    return build_page(
        settings,
        page="pin",
        title=TITLE,
        layers=layers,
        collections=collections,
        view=_street_view(bounds),
        scripts=("yst/pin.js",),
        panel_html=FORM,
        search=False,
    )


def _street_view(bounds: list[list[float]] | None) -> View:
    """A phone opens at street level (zoom 16) on the district's centre, to tap a pin."""
    if not bounds:
        return View(center=DISTRICT_CENTER, zoom=16)
    (south, west), (north, east) = bounds
    return View(center=((south + north) / 2, (west + east) / 2), zoom=16)
