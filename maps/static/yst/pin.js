/* /maps/pin: place a pin (tap, drag or locate me), fill the form, POST /api/issues with
 * crs=wgs84 (browser coordinates are WGS84), upload the photo, show routing and duplicates. */
(function () {
  "use strict";
  var esc = YST.esc;

  function name(x) {
    var labels = YST.cfg.valueLabels || {};
    if (x === null || x === undefined || x === "") return "—";
    if (typeof x === "string" && labels.level && labels.level[x]) return labels.level[x];
    if (typeof x === "object" && x.role) return (labels.role || {})[x.role] || x.role;
    if (typeof x === "object") return x.name || x.code || JSON.stringify(x);
    return String(x);
  }

  function routingHtml(issue) {
    var r = issue.routing || {};
    var places = (YST.cfg.valueLabels || {}).level || {};
    var rows = ["subdistrict", "community", "compound", "building"].map(function (k) {
      return [k, places[k]];
    }).concat([["grid_contact", "网格联系人"], ["department", "责任部门"],
      ["level", "处理层级"]]).map(function (c) {
      return "<tr><th>" + c[1] + "</th><td>" + esc(name(r[c[0]])) + "</td></tr>";
    }).join("");
    var dups = issue.possible_duplicates || [];
    var dupHtml = dups.length
      ? "<h4>附近可能重复的问题 Possible duplicates</h4><ul class='yst-dups'>" + dups.map(function (d) {
          return "<li>#" + esc(d.id) + " " + esc(d.description || "") +
            (d.distance_m !== undefined ? " (" + Math.round(d.distance_m) + " 米)" : "") +
            ' <button type="button" class="yst-support" data-id="' + esc(d.id) + '">附议 +1</button></li>';
        }).join("") + "</ul>"
      : "<p>附近没有相同的未结问题 No similar open issue nearby.</p>";
    return '<div class="yst-routed"><h4>已提交 问题 #' + esc(issue.id) + " · 已派至 Routed to</h4>" +
      "<table>" + rows + "</table>" +
      (r.reason ? '<p class="yst-reason">' + esc(r.reason) + "</p>" : "") + dupHtml + "</div>";
  }

  /* Filed without an account: the token is the resident's only way back to the issue, so the
   * page gives it as a link to keep (signed-in filers get none and rate signed in). */
  function trackHtml(issue) {
    if (!issue.token) return "";
    var href = "/maps/track?token=" + encodeURIComponent(issue.token);
    return '<p class="yst-track-link">保存此链接: 查看进展, 办结后评价<br>' +
      "<small>Keep this link to follow the issue and rate it once resolved</small><br>" +
      '<a href="' + esc(href) + '">' + esc(location.origin + href) + "</a></p>";
  }

  YST.pages.pin = function (map, cfg) {
    var form = document.getElementById("yst-pin-form");
    var where = document.getElementById("yst-pin-where");
    var result = document.getElementById("yst-pin-result");
    var select = document.getElementById("yst-category");
    var pin = null;
    // One key per issue being filed: a retry after a dropped answer files no duplicate; a new
    // key only once the server has answered (filed or refused).
    var filingKey = null;
    L.DomEvent.disableClickPropagation(form);

    function place(latlng) {
      if (!pin) {
        pin = L.marker(latlng, { draggable: true, title: "问题位置" }).addTo(map);
        pin.on("dragend", function () { show(pin.getLatLng()); });
      } else {
        pin.setLatLng(latlng);
      }
      show(latlng);
    }
    function show(ll) {
      where.textContent = "经纬度 " + ll.lng.toFixed(6) + ", " + ll.lat.toFixed(6) + " (WGS84)";
      window.__yst.pin = { lon: ll.lng, lat: ll.lat };
    }
    YST.placePin = place;

    // +1 a nearby open issue instead of leaving a duplicate standing alone.
    result.addEventListener("click", function (ev) {
      var button = ev.target.closest(".yst-support");
      if (!button) return;
      button.disabled = true;
      YST.fetchJSON("/api/issues/" + encodeURIComponent(button.dataset.id) + "/support", { method: "POST" })
        .then(function (r) { button.textContent = "已附议 supporters: " + r.supporters; })
        .catch(function (err) { button.textContent = "附议失败 " + err.message; });
    });
    map.on("click", function (e) { place(e.latlng); });

    document.getElementById("yst-locate").addEventListener("click", function () {
      if (!navigator.geolocation) {
        YST.notice("此浏览器不能定位 geolocation unavailable", "error");
        return;
      }
      navigator.geolocation.getCurrentPosition(function (pos) {
        var ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
        place(ll);
        // Leaflet drops taps during the zoom animation: tests (and nothing else) wait for this.
        map.once("moveend", function () { window.__yst.located = true; });
        map.setView(ll, Math.max(map.getZoom(), 17));
      }, function (err) {
        YST.notice("定位失败 could not locate: " + err.message, "error");
      }, { enableHighAccuracy: true, timeout: 10000 });
    });

    YST.fetchJSON("/api/categories").then(function (cats) {
      (cats || []).forEach(function (c) {
        var o = document.createElement("option");
        o.value = c.code;
        o.textContent = c.name + (c.department_name ? " — " + c.department_name : "");
        select.appendChild(o);
      });
      window.__yst.categories = (cats || []).length;
    }).catch(function (err) {
      YST.notice("问题类别加载失败 categories unavailable: " + err.message, "error");
    });

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!pin) { result.innerHTML = '<p class="error">请先在地图上放置图钉 Place the pin first.</p>'; return; }
      if (!select.value) { result.innerHTML = '<p class="error">请选择问题类别 Choose a category.</p>'; return; }
      var description = form.elements.description.value.trim();
      if (!description) { result.innerHTML = '<p class="error">请描述问题 Describe the issue.</p>'; return; }
      var ll = pin.getLatLng();
      var button = document.getElementById("yst-submit");
      button.disabled = true;
      result.textContent = "提交中 sending…";
      filingKey = filingKey || YST.newKey();
      YST.fetchJSON("/api/issues", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Idempotency-Key": filingKey },
        body: JSON.stringify({ lon: ll.lng, lat: ll.lat, crs: "wgs84", category: select.value,
          description: description }),
      }).then(function (issue) {
        filingKey = null;
        result.innerHTML = trackHtml(issue) + routingHtml(issue);
        window.__yst.filed = issue;
        var file = form.elements.photo.files[0];
        if (!file) return;
        var body = new FormData();
        body.append("file", file);
        return YST.fetchJSON("/api/issues/" + encodeURIComponent(issue.id) + "/photos",
          { method: "POST", body: body })
          .then(function () { result.insertAdjacentHTML("beforeend", "<p>照片已上传 photo uploaded.</p>"); })
          .catch(function (err) {
            result.insertAdjacentHTML("beforeend", '<p class="error">照片上传失败 photo: ' + esc(err.message) + "</p>");
          });
      }).catch(function (err) {
        if (err.status) filingKey = null;  // answered and refused: the next try is a new filing
        result.innerHTML = '<p class="error">提交失败 not filed: ' + esc(err.message) + "</p>";
      }).finally(function () { button.disabled = false; });
    });
  };
})();
