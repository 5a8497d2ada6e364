/* Yishiting map pages: shared client code.
 *
 * Layers load by viewport from the OGC API (/ogc/collections/{id}/items?bbox=&limit=), so the
 * HTML stays small whatever the size of the data. window.__yst records what was drawn, for the
 * browser tests and the benchmark; window.__firstFeaturesAt is set when the first features land.
 */
(function () {
  "use strict";
  var YST = (window.YST = { pages: {} });
  var state = (window.__yst = {
    pending: 0, loads: 0, drawn: {}, bbox: {}, errors: [], unavailable: [], ready: false,
    firstFeaturesAt: null,
  });

  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  YST.esc = esc;

  /* fetch JSON, counting requests in flight; a non-2xx answer rejects with its problem detail. */
  YST.fetchJSON = function (url, opts) {
    state.pending++;
    return fetch(url, opts)
      .then(function (r) {
        return r.text().then(function (text) {
          var body = null;
          try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
          if (!r.ok) {
            var err = new Error((body && (body.detail || body.title)) || "HTTP " + r.status);
            err.status = r.status;
            err.body = body;
            throw err;
          }
          return body;
        });
      })
      .finally(function () { state.pending--; });
  };

  /* A fresh Idempotency-Key: a random UUID (crypto.randomUUID needs a secure context). */
  YST.newKey = function () {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  };

  /* ---- messages ---- */
  var noticeBox = null, keyed = {};
  /* A message over the map; one with a `key` replaces the previous one of that key. */
  YST.notice = function (text, kind, key) {
    if (key && keyed[key]) keyed[key].remove();
    if (!noticeBox) {
      noticeBox = document.createElement("div");
      noticeBox.id = "yst-notice";
      noticeBox.setAttribute("role", "status");
      document.body.appendChild(noticeBox);
    }
    var item = document.createElement("div");
    item.className = "yst-notice-item " + (kind || "info");
    item.textContent = text;
    noticeBox.appendChild(item);
    if (key) keyed[key] = item;
    if (kind !== "error") setTimeout(function () { item.remove(); }, 6000);
    return item;
  };

  /* ---- styles ---- */
  function colorOf(style, props) {
    if (style.by) {
      var v = props[style.by];
      var c = v === null || v === undefined ? undefined : style.values[String(v)];
      return c || style.other || "#969696";
    }
    return style.color;
  }
  YST.colorOf = colorOf;

  function pathStyle(style) {
    return function (f) {
      var c = colorOf(style, f.properties || {});
      return {
        color: style.stroke || c, weight: style.weight === undefined ? 1.5 : style.weight,
        opacity: 0.9, fillColor: style.fillColor || c,
        fillOpacity: style.fillOpacity === undefined ? 0.4 : style.fillOpacity,
        dashArray: style.dashArray || null, interactive: style.interactive !== false,
      };
    };
  }

  function radiusOf(style, props) {
    var r = style.radius || {};
    var min = r.min || 5;
    if (!r.property) return min;
    var v = Number(props[r.property]) || 0;
    return Math.min(r.max || 30, min + Math.sqrt(v) * (r.scale || 1));
  }

  function pointLayer(style) {
    return function (f, latlng) {
      var p = f.properties || {};
      var c = colorOf(style, p);
      return L.circleMarker(latlng, {
        radius: radiusOf(style, p), color: style.stroke || "#333", weight: 1,
        fillColor: c, fillOpacity: style.fillOpacity === undefined ? 0.8 : style.fillOpacity,
      });
    };
  }

  /* ---- popups ---- */
  var cfgLabels = { fieldLabels: {}, valueLabels: {} };
  function fmt(key, v) {
    if (v === null || v === undefined || v === "") return null;
    var labels = cfgLabels.valueLabels[key];
    if (labels && labels[String(v)]) return labels[String(v)];
    if (typeof v === "number" && !Number.isInteger(v)) return v.toFixed(1);
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }

  YST.featureId = function (f) {
    return f.id !== undefined && f.id !== null ? f.id : (f.properties || {}).id;
  };

  YST.apiLink = function (spec, f) {
    if (!spec.linkCollection) return null;
    return "/ogc/collections/" + spec.linkCollection + "/items/" + encodeURIComponent(YST.featureId(f));
  };

  YST.popupHtml = function (spec, f) {
    var p = f.properties || {};
    var rows = Object.keys(p).map(function (k) {
      var v = fmt(k, p[k]);
      if (v === null) return "";
      return "<tr><th>" + esc(cfgLabels.fieldLabels[k] || k) + "</th><td>" + esc(v) + "</td></tr>";
    }).join("");
    var link = YST.apiLink(spec, f);
    var name = p.name || p.address || "";
    return '<div class="yst-popup"><h4>' + esc(spec.title) + (name ? " · " + esc(name) : "") +
      "</h4><table>" + rows + "</table>" +
      (link ? '<a class="yst-api-link" href="' + esc(link) + '" target="_blank">API 记录 (JSON)</a>' : "") +
      "</div>";
  };

  /* A plain {lon, lat, ...} record as a GeoJSON point feature. */
  YST.pointFeature = function (row) {
    if (row.type === "Feature") return row;
    return { type: "Feature", id: row.id,
      geometry: { type: "Point", coordinates: [row.lon, row.lat] }, properties: row };
  };

  /* ---- a layer loaded by viewport ---- */
  /* Client-side filter, for filters the API does not offer: a property the feature lacks
   * does not exclude it. */
  function matches(filter, props) {
    for (var k in filter) {
      var want = filter[k];
      if (want === "" || want === null || props[k] === undefined) continue;
      if (String(props[k]) !== String(want)) return false;
    }
    return true;
  }

  /* Whole-layer JSON fetched once per page, shared by the layers cut from it. */
  var once = {};
  YST.fetchOnce = function (url) {
    if (!once[url]) once[url] = YST.fetchJSON(url);
    return once[url];
  };

  YST.ViewportLayer = L.Layer.extend({
    initialize: function (spec) {
      this.spec = spec;
      this.inner = spec.cluster && L.markerClusterGroup
        ? L.markerClusterGroup({ disableClusteringAtZoom: 17, showCoverageOnHover: false,
            chunkedLoading: true })
        : L.featureGroup();
      this.count = 0;
      this.matched = null;
      this._ctrl = null;
    },
    onAdd: function (map) {
      map.addLayer(this.inner);
      map.on("moveend", this.refresh, this);
      this.refresh();
    },
    onRemove: function (map) {
      map.off("moveend", this.refresh, this);
      if (this._ctrl) this._ctrl.abort();
      map.removeLayer(this.inner);
      this._record(0);
    },
    setStyleSpec: function (style) {
      this.spec.style = style;
      this._clear(); // every feature redrawn in the new colours
      this.refresh();
    },
    url: function () {
      var spec = this.spec, map = this._map;
      if (spec.url) return spec.url;
      var b = map.getBounds().pad(0.1);
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
        .map(function (x) { return x.toFixed(6); }).join(",");
      state.bbox[spec.id] = bbox;
      var params = new URLSearchParams({ bbox: bbox, limit: String(spec.limit || 1000) });
      Object.keys(spec.params || {}).forEach(function (k) {
        if (spec.params[k] !== "" && spec.params[k] !== null) params.set(k, spec.params[k]);
      });
      return "/ogc/collections/" + spec.collection + "/items?" + params.toString();
    },
    refresh: function () {
      var self = this, spec = this.spec, map = this._map;
      if (!map) return;
      if (map.getZoom() < (spec.minZoom || 0)) {
        this._clear();
        this._record(0);
        return;
      }
      if (spec.url && this._loadedOnce) { // whole-layer data: fetched once, kept
        this._record(this.inner.getLayers().length);
        return;
      }
      if (this._ctrl) this._ctrl.abort();
      var ctrl = (this._ctrl = new AbortController());
      var request = spec.url ? YST.fetchOnce(spec.url) : YST.fetchJSON(this.url(), { signal: ctrl.signal });
      request
        .then(function (data) {
          if (ctrl.signal.aborted || !self._map) return;
          self._loadedOnce = true;
          self.data = data;
          self.setData(spec.path ? data[spec.path] : data);
        })
        .catch(function (err) {
          if (err.name === "AbortError") return;
          state.errors.push(spec.id + ": " + err.message);
          YST.notice(spec.title + " 加载失败: " + err.message, "error", "error-" + spec.id);
        });
    },
    setData: function (data) {
      var spec = this.spec;
      var feats = Array.isArray(data) ? data.map(YST.pointFeature) : (data && data.features) || [];
      var filter = spec.filter || {};
      feats = feats.filter(function (f) { return matches(filter, f.properties || {}); });
      this._swap(feats);
      this.matched = data && data.numberMatched !== undefined ? data.numberMatched : null;
      this._record(feats.length);
      if (this.matched !== null && data.numberReturned !== undefined && this.matched > data.numberReturned) {
        YST.notice(spec.title + ": 显示 " + data.numberReturned + " / " + this.matched +
          " 个, 放大查看全部 (zoom in for all)", "info", "limit-" + spec.id);
      }
      this.fire("yst:loaded", { count: feats.length });
    },
    /* Replaces the drawn features by `feats`, keeping those already drawn (matched by id):
     * an open popup survives a pan, and nothing flickers. */
    _swap: function (feats) {
      var spec = this.spec, old = this._byId || {}, next = {}, added = [];
      var opts = {
        style: pathStyle(spec.style),
        pointToLayer: pointLayer(spec.style),
        onEachFeature: function (f, layer) {
          if (spec.onFeature) spec.onFeature(f, layer);
          else layer.bindPopup(function () { return YST.popupHtml(spec, f); }, { maxWidth: 360 });
        },
      };
      feats.forEach(function (f, i) {
        var id = YST.featureId(f);
        var key = id === undefined || id === null ? "#" + i : String(id);
        if (old[key] && id !== undefined && id !== null) {
          next[key] = old[key];
          delete old[key];
          return;
        }
        next[key] = L.geoJSON(f, opts).getLayers()[0];
        added.push(next[key]);
      });
      var stale = Object.keys(old).map(function (k) { return old[k]; });
      if (this.inner.removeLayers) this.inner.removeLayers(stale);
      else stale.forEach(function (l) { this.inner.removeLayer(l); }, this);
      if (this.inner.addLayers) this.inner.addLayers(added);
      else added.forEach(function (l) { this.inner.addLayer(l); }, this);
      this._byId = next;
    },
    /* Features drawn now, as {id: properties} (the tile layers answer the same). */
    features: function () {
      var out = {};
      this.inner.getLayers().forEach(function (l) {
        if (l.feature) out[YST.featureId(l.feature)] = l.feature.properties || {};
      });
      return out;
    },
    _clear: function () {
      this.inner.clearLayers();
      this._byId = {};
      this._loadedOnce = false;
    },
    _record: function (n) {
      this.count = n;
      state.drawn[this.spec.id] = n;
      state.loads++;
      if (n > 0 && state.firstFeaturesAt === null) {
        state.firstFeaturesAt = window.__firstFeaturesAt = performance.now();
      }
    },
  });

  /* ---- legend: one block per visible layer ---- */
  var Legend = L.Control.extend({
    options: { position: "bottomright" },
    onAdd: function () {
      this.div = L.DomUtil.create("div", "yst-legend leaflet-bar");
      L.DomEvent.disableClickPropagation(this.div);
      L.DomEvent.disableScrollPropagation(this.div);
      return this.div;
    },
    update: function (blocks) {
      var div = this.div;
      // On a phone the legend starts folded so that it does not cover the map.
      if (this.folded === undefined) this.folded = window.innerWidth < 700;
      div.classList.toggle("folded", this.folded);
      div.innerHTML = blocks.length ? '<h3 role="button" tabindex="0">图例 Legend</h3>' + blocks.map(function (b) {
        return '<div class="yst-legend-block"><h4>' + esc(b.title) + "</h4>" +
          b.items.map(function (i) {
            return '<div class="yst-legend-item"><span class="yst-swatch ' + esc(i.shape || "box") +
              '" style="background:' + esc(i.color) + '"></span>' + esc(i.label) + "</div>";
          }).join("") + "</div>";
      }).join("") : "";
      div.style.display = blocks.length ? "" : "none";
      var self = this, title = div.querySelector("h3");
      if (title) title.addEventListener("click", function () {
        self.folded = !self.folded;
        div.classList.toggle("folded", self.folded);
      });
    },
  });

  /* ---- search by name: compounds, roads, courtyard addresses ---- */
  var Search = L.Control.extend({
    options: { position: "topleft" },
    onAdd: function (map) {
      var div = L.DomUtil.create("div", "yst-search leaflet-bar");
      div.innerHTML = '<input type="search" placeholder="搜索小区、街巷、院落地址" ' +
        'aria-label="搜索 search by name"><ul class="yst-search-results"></ul>';
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      var input = div.querySelector("input"), list = div.querySelector("ul"), timer = null;
      var mark = null;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var q = input.value.trim();
          list.innerHTML = "";
          if (!q) return;
          YST.fetchJSON("/api/search?q=" + encodeURIComponent(q) + "&limit=10").then(function (rows) {
            list.innerHTML = rows.length ? "" : '<li class="empty">无结果 no match</li>';
            rows.forEach(function (row) {
              var li = document.createElement("li");
              li.innerHTML = esc(row.name) + ' <small>' + esc(row.kind_label || row.kind) + "</small>";
              li.addEventListener("click", function () {
                if (row.bbox) map.fitBounds([[row.bbox[1], row.bbox[0]], [row.bbox[3], row.bbox[2]]], { maxZoom: 18 });
                else map.setView([row.lat, row.lon], 17);
                if (mark) map.removeLayer(mark);
                mark = L.circleMarker([row.lat, row.lon], { radius: 10, color: "#ff00ff", weight: 3, fill: false })
                  .addTo(map).bindTooltip(esc(row.name), { permanent: true, direction: "top", className: "yst-hit" });
                list.innerHTML = "";
              });
              list.appendChild(li);
            });
          }).catch(function (err) { list.innerHTML = '<li class="empty">' + esc(err.message) + "</li>"; });
        }, 250);
      });
      return div;
    },
  });

  /* ---- page start: base map, layers, switcher, legend, search ---- */
  YST.start = function (map, cfg) {
    cfgLabels = { fieldLabels: cfg.fieldLabels || {}, valueLabels: cfg.valueLabels || {} };
    YST.map = map;
    YST.cfg = cfg;
    // With no base map Leaflet knows no zoom limits, and MarkerCluster needs a maxZoom.
    map.setMaxZoom(19);
    map.setMinZoom(10);
    var bases = {}, overlays = {};
    (cfg.baseLayers || []).forEach(function (b) {
      var layer = window[b.var];
      if (b.kind === "base") bases[b.name] = layer;
      else overlays[b.name] = layer;
    });
    if (!cfg.baseLayers || !cfg.baseLayers.length) map.getContainer().classList.add("yst-no-basemap");
    // at once, not animated: the layers added next fetch for the view the page opens on, not
    // for folium's first view and then again (a phone took in the layers twice)
    if (cfg.bounds) map.fitBounds(cfg.bounds, { animate: false });

    var legend = new Legend().addTo(map);
    var layers = {};
    function refreshLegend() {
      var blocks = [];
      Object.keys(layers).forEach(function (id) {
        var l = layers[id];
        if (map.hasLayer(l) && l.spec.legend) blocks.push(l.legendBlock || l.spec.legend);
      });
      (cfg.extraLegends || []).forEach(function (b) { blocks.push(b); });
      legend.update(blocks);
    }
    YST.refreshLegend = refreshLegend;

    (cfg.layers || []).forEach(function (spec) {
      var layer = spec.tiles ? new YST.TileLayer(spec) : new YST.ViewportLayer(spec);
      layers[spec.id] = layer;
      var label = esc(spec.title) + (spec.minZoom ? ' <small class="yst-minzoom">≥' + spec.minZoom + "级</small>" : "");
      overlays[label] = layer;
    });
    YST.layers = layers;
    YST.layerControl = L.control.layers(bases, overlays, {
      collapsed: window.innerWidth < 700, position: "topright",
    }).addTo(map);
    map.on("overlayadd overlayremove", refreshLegend);
    if (cfg.search) new Search().addTo(map);

    (cfg.missing || []).forEach(function (title) {
      state.unavailable.push(title);
      YST.notice(title + ": 图层暂未提供 (layer not available yet)", "info");
    });
    // The page's own code runs before the first fetch so that its hooks see every feature.
    var page = YST.pages[cfg.page];
    if (page) page(map, cfg, layers);
    Object.keys(layers).forEach(function (id) {
      if (layers[id].spec.visible) map.addLayer(layers[id]);
    });
    refreshLegend();
    state.ready = true;
    YST.ready = layers;
    return YST.ready;
  };
})();
