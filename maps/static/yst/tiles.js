/* Yishiting map pages: big layers drawn from the service's vector tiles.
 *
 * A layer whose spec says `tiles` is drawn by protomaps-leaflet (vendored; see docs/maps.md)
 * from /ogc/collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x} on canvas, coloured by the
 * attributes the tiles carry with the same style dicts as the GeoJSON layers (maps/styles.py).
 * A click asks the tiles which feature is under it and fetches that feature by id for the
 * popup, since a tile carries only the attributes maps colour by.
 *
 * Tile URLs carry the layer's version (`?v=`, api/routes/ogc_tiles.py), so any HTTP cache keeps
 * them forever. While a tile layer is shown and the page visible, the page asks
 * /ogc/tile-versions every VERSIONS_EVERY_MS (a shared cache answers it for a second); a layer
 * whose version moved (an edit) fetches its tiles at the new URLs.
 *
 * For the tests and the benchmark it keeps window.__yst as yst.js does: `pending` while tiles
 * load, `drawn[id]` = distinct features painted in the tiles on screen, `tileVersions` as last
 * heard.
 */
(function () {
  "use strict";
  var state = window.__yst;

  /* Data tiles are 512 px (one zoom below the display tile, as MapLibre does), and past
   * MAX_DATA_ZOOM the last level is overzoomed instead of fetched. */
  var MAX_DATA_ZOOM = 16;
  var PANE = "yst-tiles";
  var VERSIONS_EVERY_MS = 2000;

  var versions = {}, asking = null, polling = null;
  function askVersions() {
    if (!asking) {
      asking = fetch("/ogc/tile-versions").then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      }).then(function (doc) {
        versions = doc.versions;
        state.tileVersions = versions;
      }).catch(function () { /* the URLs stay as they are until the next answer */ })
        .then(function () { asking = null; });
    }
    return asking;
  }

  function shownTileLayers() {
    var found = [];
    Object.keys(YST.layers || {}).forEach(function (id) {
      var l = YST.layers[id];
      if (l instanceof YST.TileLayer && l._map && l.inner) found.push(l);
    });
    return found;
  }

  function pollVersions() {
    if (polling) return;
    polling = setInterval(function () {
      if (document.visibilityState === "hidden" || !shownTileLayers().length) return;
      askVersions().then(function () {
        shownTileLayers().forEach(function (l) { l._follow(); });
      });
    }, VERSIONS_EVERY_MS);
  }

  function matches(filter, props) {
    for (var k in filter) {
      var want = filter[k];
      if (want === "" || want === null || props[k] === undefined) continue;
      if (String(props[k]) !== String(want)) return false;
    }
    return true;
  }

  /* protomaps-leaflet calls a style function per feature only when it takes (z, f). */
  function paintRules(spec, seen) {
    var style = spec.style, layer = spec.collection, P = window.protomapsL;
    var filter = spec.filter || {};
    var fillOpacity = style.fillOpacity === undefined ? 0.4 : style.fillOpacity;
    var weight = style.weight === undefined ? 1.5 : style.weight;
    function keep(z, f) {
      if (!matches(filter, f.props)) return false;
      seen[f.id] = f.props;
      return true;
    }
    function colour(z, f) { return YST.colorOf(style, f.props); }
    function fill(z, f) { return style.fillColor || YST.colorOf(style, f.props); }
    function stroke(z, f) { return style.stroke || YST.colorOf(style, f.props); }
    if (spec.geometry === "point") {
      var r = (style.radius || {}).min || 5;
      return [{
        dataLayer: layer, filter: keep,
        symbolizer: new P.CircleSymbolizer({
          radius: r, fill: colour, stroke: style.stroke || "#333", width: 1,
          opacity: style.fillOpacity === undefined ? 0.8 : style.fillOpacity,
        }),
      }];
    }
    var rules = [];
    if (spec.geometry !== "line") {
      rules.push({
        dataLayer: layer, filter: keep,
        symbolizer: new P.PolygonSymbolizer({ fill: fill, opacity: fillOpacity }),
      });
    }
    // The outline as its own rule: canvas has one alpha per draw, Leaflet strokes at 0.9.
    rules.push({
      dataLayer: layer, filter: keep,
      symbolizer: new P.LineSymbolizer({ color: stroke, width: weight, opacity: 0.9 }),
    });
    return rules;
  }

  /* protomaps-leaflet (128 KB) comes with the page when a tile layer shows from the start;
   * otherwise it is fetched when one is first turned on (the overview keeps its big layers off
   * until asked). */
  var loadingRenderer = null;
  function renderer() {
    if (window.protomapsL) return Promise.resolve();
    if (!loadingRenderer) {
      loadingRenderer = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = YST.cfg.tileRenderer;
        script.onload = resolve;
        script.onerror = function () { reject(new Error("protomaps-leaflet")); };
        document.head.appendChild(script);
      });
    }
    return loadingRenderer;
  }

  /* Clicks, in the order the page lists its layers (as the GeoJSON layers were stacked): a
   * tile feature under the click answers it unless a GeoJSON feature of a later layer is
   * there. The GeoJSON layers' SVG lies over the tiles' canvases and would take every click
   * on a building inside a compound, so the map's container looks first (capture phase). */
  function tileHit(map, latlng, above) {
    var best = null;
    Object.keys(YST.layers || {}).forEach(function (id, i) {
      var l = YST.layers[id];
      if (i <= above || !(l instanceof YST.TileLayer) || !map.hasLayer(l)) return;
      var f = l.hitAt(latlng);
      if (f) best = { layer: l, feature: f };
    });
    return best;
  }

  function ownerRank(map, target) {
    var found = -1;
    Object.keys(YST.layers || {}).forEach(function (id, i) {
      var l = YST.layers[id];
      if (l.inner && l.inner.hasLayer && !(l instanceof YST.TileLayer) && map.hasLayer(l) &&
          l.inner.hasLayer(target)) found = i;
    });
    return found;
  }

  function clicksFor(map) {
    if (map._ystTileClicks) return;
    map._ystTileClicks = true;
    map.on("click", function (e) { // on the map itself: no GeoJSON feature took it
      var hit = tileHit(map, e.latlng, -1);
      if (hit) hit.layer.openAt(e.latlng, hit.feature);
    });
    map.getContainer().addEventListener("click", function (ev) {
      var target = map._targets && ev.target && ev.target._leaflet_id !== undefined
        ? map._targets[ev.target._leaflet_id] : null;
      if (!target || target === map) return; // the map's own click handler above answers
      var latlng = map.mouseEventToLatLng(ev);
      var hit = tileHit(map, latlng, ownerRank(map, target));
      if (!hit) return;
      ev.stopPropagation(); // the GeoJSON feature below the tile feature does not answer
      hit.layer.openAt(latlng, hit.feature);
    }, true);
  }

  YST.TileLayer = L.Layer.extend({
    initialize: function (spec) {
      this.spec = spec;
      this.count = 0;
      this._seen = {};
      this._busy = false;
    },
    url: function () {
      // OGC API - Tiles orders the path tileMatrix/tileRow/tileCol: z/y/x.
      var url = "/ogc/collections/" + this.spec.collection + "/tiles/WebMercatorQuad/{z}/{y}/{x}";
      var v = versions[this.spec.collection];
      return v ? url + "?v=" + encodeURIComponent(v) : url;
    },
    /* The layer's version moved: its tiles come from the new URLs (a new source; the old
     * one's tiles are not asked again). */
    _follow: function () {
      var url = this.url();
      if (!this.inner || url === this._url) return;
      this._url = url;
      this.inner.views = protomapsL.sourcesToViews(
        { url: url, maxDataZoom: MAX_DATA_ZOOM, levelDiff: 1 });
      this._recount();
      this.inner.redraw();
    },
    onAdd: function (map) {
      var self = this, spec = this.spec;
      // Over the base map (tilePane, 200) and under the GeoJSON layers' SVG (overlayPane, 400):
      // relics, roads and stations stay on top of the courtyards and take their own clicks
      // (a popup's click stops there); other clicks reach the map, which asks the tiles.
      if (!map.getPane(PANE)) {
        var pane = map.createPane(PANE);
        pane.style.zIndex = 350;
        pane.style.pointerEvents = "none";
      }
      clicksFor(map);
      map.on("zoomstart", this._recount, this);
      map.on("zoomend", this._zoomed, this);
      this._zoomed();
      state.pending++;
      pollVersions();
      Promise.all([renderer(), askVersions()]).then(function () {
        state.pending--;
        if (self._map !== map) return; // removed meanwhile
        if (self.inner) {
          self._follow();
        } else {
          self._url = self.url();
          self.inner = protomapsL.leafletLayer({
            url: self._url, paintRules: paintRules(spec, self._seen), labelRules: [],
            maxDataZoom: MAX_DATA_ZOOM, minZoom: spec.minZoom || 0, attribution: "", pane: PANE,
          });
          self.inner.on("loading", self._loading, self);
          self.inner.on("load", self._loaded, self);
        }
        map.addLayer(self.inner);
      }).catch(function (err) {
        state.pending--;
        state.errors.push(spec.id + ": " + err.message);
        YST.notice(spec.title + " 加载失败: " + err.message, "error", "error-" + spec.id);
      });
    },
    onRemove: function (map) {
      map.off("zoomstart", this._recount, this);
      map.off("zoomend", this._zoomed, this);
      if (this.inner) map.removeLayer(this.inner);
      this._idle();
      this._record(0);
    },
    /* New colours: repaint the tiles already fetched (the attributes are in them; a redraw
     * takes them from protomaps-leaflet's tile cache, not the network). */
    setStyleSpec: function (style) {
      this.spec.style = style;
      if (!this.inner) return;
      this._recount();
      this.inner.paintRules = paintRules(this.spec, this._seen);
      this.inner.redraw();
    },
    /* Features painted on screen now, as {id: properties}. */
    features: function () { return this._seen; },
    _zoomed: function () {
      var map = this._map;
      if (!map) return;
      state.bbox[this.spec.id] = map.getBounds().toBBoxString();
      if (map.getZoom() < (this.spec.minZoom || 0)) {
        this._recount();
        this._idle();
        this._record(0);
      }
    },
    /* Counting starts afresh at a new zoom level (a pan adds to what was counted). */
    _recount: function () {
      for (var id in this._seen) delete this._seen[id];
    },
    _loading: function () {
      if (this._busy) return;
      this._busy = true;
      state.pending++;
    },
    _idle: function () {
      if (!this._busy) return;
      this._busy = false;
      state.pending--;
    },
    _loaded: function () {
      var n = Object.keys(this._seen).length;
      this._record(n);
      this._idle();
      this.fire("yst:loaded", { count: n });
    },
    _record: function (n) {
      this.count = n;
      state.drawn[this.spec.id] = n;
      state.loads++;
      if (n > 0 && state.firstFeaturesAt === null) {
        state.firstFeaturesAt = window.__firstFeaturesAt = performance.now();
      }
    },
    /* The feature of this layer under a point (the one painted last, so on top), or null. */
    hitAt: function (latlng) {
      var spec = this.spec, map = this._map;
      if (!map || !this.inner || map.getZoom() < (spec.minZoom || 0)) return null;
      var hits = [];
      this.inner.queryTileFeaturesDebug(latlng.lng, latlng.lat, 8).forEach(function (list) {
        list.forEach(function (h) {
          if (h.layerName === spec.collection && matches(spec.filter || {}, h.feature.props)) hits.push(h);
        });
      });
      if (!hits.length) return null;
      var f = hits[hits.length - 1].feature;
      return { type: "Feature", id: f.id, properties: f.props };
    },
    /* The popup of a feature: the tiles said which, the items API says all about it. */
    openAt: function (latlng, feature) {
      var spec = this.spec, map = this._map;
      if (spec.onTileFeature) {
        spec.onTileFeature(feature, latlng);
        return;
      }
      var popup = L.popup({ maxWidth: 360 }).setLatLng(latlng)
        .setContent('<div class="yst-popup">加载中 loading…</div>').openOn(map);
      var url = "/ogc/collections/" + spec.collection + "/items/" + encodeURIComponent(feature.id);
      YST.fetchJSON(url).then(function (full) {
        popup.setContent(YST.popupHtml(spec, full));
        state.popupFor = spec.id + ":" + feature.id;
      }).catch(function (err) {
        popup.setContent(YST.popupHtml(spec, feature) + '<p class="error">' + YST.esc(err.message) + "</p>");
      });
    },
  });

})();
