/* /maps/issues: filter controls (they rewrite the URL), and on click the routing chain and
 * the event history from /api/issues/{id} and /api/issues/{id}/events. */
(function () {
  "use strict";
  var esc = YST.esc;

  function name(x) {
    var labels = YST.cfg.valueLabels || {};
    if (x === null || x === undefined || x === "") return "—";
    if (typeof x === "string" && labels.level && labels.level[x]) return labels.level[x];
    if (typeof x === "object" && x.role) return (labels.role || {})[x.role] || x.role;
    if (typeof x === "object") return x.name || x.title || x.code || JSON.stringify(x);
    return String(x);
  }

  // The chain: the places (named by the vocabulary, the page's valueLabels.level), then who
  // answers for the issue.
  var PLACES = ["building", "compound", "community", "subdistrict"];
  var ANSWERING = [["grid_contact", "网格联系人"], ["department", "责任部门"], ["level", "处理层级"]];

  function routingHtml(routing) {
    routing = routing || {};
    var places = (YST.cfg.valueLabels || {}).level || {};
    var chain = PLACES.map(function (k) { return [k, places[k]]; }).concat(ANSWERING);
    var rows = chain.map(function (c) {
      return "<tr><th>" + c[1] + "</th><td>" + esc(name(routing[c[0]])) + "</td></tr>";
    }).join("");
    return "<h5>派单链 Routing</h5><table>" + rows + "</table>" +
      (routing.reason ? '<p class="yst-reason">' + esc(routing.reason) + "</p>" : "");
  }

  function eventsHtml(events) {
    var list = Array.isArray(events) ? events : (events && (events.events || events.items)) || [];
    if (!list.length) return "<h5>处理记录 Events</h5><p>暂无 none</p>";
    var steps = (YST.cfg.valueLabels || {}).step || {};
    var kinds = (YST.cfg.valueLabels || {}).event_kind || {};
    return "<h5>处理记录 Events</h5><ol>" + list.map(function (e) {
      var to = e.to_step || e.to || "";
      var when = String(e.at || e.created_at || "").replace("T", " ").slice(0, 16);
      return "<li>" + esc(when) + " " + esc(kinds[e.kind] || e.kind || "") +
        (to ? " → " + esc(steps[to] || to) : "") + (e.note ? ": " + esc(e.note) : "") + "</li>";
    }).join("") + "</ol>";
  }

  function categoryName(code) {
    var hit = ((YST.cfg.options || {}).category || []).filter(function (c) { return c[0] === code; });
    return hit.length ? hit[0][1] : code || "";
  }

  function detailHtml(spec, f, issue, events) {
    var p = issue || f.properties || {};
    var steps = (YST.cfg.valueLabels || {}).step || {};
    var step = p.step;
    return '<div class="yst-popup"><h4>问题 #' + esc(YST.featureId(f)) + " · " +
      esc(steps[step] || step || "") + "</h4>" +
      "<p>" + esc(p.description || "") + "</p>" +
      "<table><tr><th>类别</th><td>" + esc(p.category_name || categoryName(p.category)) + "</td></tr>" +
      (p.supporters ? "<tr><th>附议</th><td>" + esc(p.supporters) + "</td></tr>" : "") +
      "</table>" + routingHtml(p.routing) + eventsHtml(events) +
      '<a class="yst-api-link" href="/api/issues/' + encodeURIComponent(YST.featureId(f)) +
      '" target="_blank">API 记录 (JSON)</a></div>';
  }

  function onIssue(spec) {
    return function (f, layer) {
      layer.bindPopup('<div class="yst-popup">加载中 loading…</div>', { maxWidth: 380, minWidth: 260, maxHeight: 380, autoPanPaddingTopLeft: [260, 60] });
      layer.on("click", function () {
        var id = encodeURIComponent(YST.featureId(f));
        Promise.all([
          YST.fetchJSON("/api/issues/" + id),
          YST.fetchJSON("/api/issues/" + id + "/events").catch(function () { return []; }),
        ]).then(function (r) {
          layer.setPopupContent(detailHtml(spec, f, r[0], r[1]));
          window.__yst.detailShown = YST.featureId(f);
        }).catch(function (err) {
          layer.setPopupContent(YST.popupHtml(spec, f) + '<p class="error">' + esc(err.message) + "</p>");
        });
      });
    };
  }

  function filterPanel(map, cfg) {
    var div = L.DomUtil.create("form", "yst-panel yst-filter-panel");
    div.setAttribute("aria-label", "筛选 filters");
    var levels = (YST.cfg.valueLabels || {}).level || {};
    var community = levels.community;
    var fields = [["category", "问题类别 category"], ["step", "议事步骤 step"], ["community", community + " community"]];
    // a city's map: its districts first (one district has nothing to choose)
    if ((cfg.options.district || []).length > 1) fields.unshift(["district", levels.district + " district"]);
    // Folded on a phone, where the map needs the room.
    div.innerHTML = "<details" + (window.innerWidth < 700 ? "" : " open") +
      "><summary><h3>筛选 Filters</h3></summary>" + fields.map(function (fd) {
      var opts = cfg.options[fd[0]] || [];
      return '<label for="f-' + fd[0] + '">' + fd[1] + '</label><select id="f-' + fd[0] + '" name="' +
        fd[0] + '"><option value="">全部 all</option>' + opts.map(function (o) {
          return '<option value="' + esc(o[0]) + '"' + (cfg.filters[fd[0]] === o[0] ? " selected" : "") +
            ">" + esc(o[1]) + "</option>";
        }).join("") + "</select>";
    }).join("") + "</details>";
    div.addEventListener("change", function () {
      var q = new URLSearchParams();
      fields.forEach(function (fd) {
        var v = div.elements[fd[0]].value;
        if (v) q.set(fd[0], v);
      });
      window.location.search = q.toString();
    });
    L.DomEvent.disableClickPropagation(div);
    var control = L.control({ position: "topleft" });
    control.onAdd = function () { return div; };
    control.addTo(map);
  }

  YST.pages.issues = function (map, cfg, layers) {
    if (layers.issues) layers.issues.spec.onFeature = onIssue(layers.issues.spec);
    filterPanel(map, cfg);
  };
})();
