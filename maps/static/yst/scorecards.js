/* /maps/scorecards: click a community for its rates month by month (GET /api/scorecards/trend),
 * drawn as inline SVG in the panel: the five rates in percent, satisfaction on its 1-5 scale. */
(function () {
  "use strict";
  var RATES = [
    ["response_rate", "按时响应率", "#2b83ba"],
    ["on_time_rate", "按期办结率", "#1a9641"],
    ["closure_rate", "办结率", "#756bb1"],
    ["resolution_rate", "实际解决率", "#fdae61"],
    ["rework_rate", "返工率", "#d7191c"],
  ];
  var SATISFACTION = ["satisfaction", "满意度", "#e6550d"];
  var NS = "http://www.w3.org/2000/svg";

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* One line chart: months along x, `lines` ([key, label, colour]) from 0..max on y. */
  function chart(months, lines, lo, hi, ticks, unit, label) {
    var w = 320, h = 130, left = 34, right = 8, top = 8, bottom = 24;
    var n = months.length;
    function x(i) { return left + (w - left - right) * (n > 1 ? i / (n - 1) : 0.5); }
    function y(v) { return top + (h - top - bottom) * (1 - (v - lo) / (hi - lo)); }
    var out = ['<svg xmlns="' + NS + '" viewBox="0 0 ' + w + " " + h + '" role="img" aria-label="' +
      esc(label) + '" font-size="9" font-family="sans-serif">'];
    ticks.forEach(function (t) {
      out.push('<line x1="' + left + '" x2="' + (w - right) + '" y1="' + y(t).toFixed(1) + '" y2="' +
        y(t).toFixed(1) + '" stroke="#ddd"/><text x="' + (left - 4) + '" y="' + (y(t) + 3).toFixed(1) +
        '" text-anchor="end">' + t + unit + "</text>");
    });
    var step = Math.max(1, Math.ceil(n / 6));
    months.forEach(function (m, i) {
      if (i % step && i !== n - 1) return;
      var parts = m.month.split("-");
      var text = (i === 0 || parts[1] === "01" ? parts[0].slice(2) + "年" : "") + Number(parts[1]) + "月";
      out.push('<text x="' + x(i).toFixed(1) + '" y="' + (h - 8) + '" text-anchor="middle">' + text + "</text>");
    });
    lines.forEach(function (line) {
      var key = line[0], scale = unit === "%" ? 100 : 1, runs = [[]];
      months.forEach(function (m, i) {
        var v = m[key];
        if (v === null || v === undefined) { runs.push([]); return; }
        runs[runs.length - 1].push([x(i), y(v * scale), m.month, v * scale]);
      });
      runs.forEach(function (run) {
        if (!run.length) return;
        if (run.length > 1) {
          out.push('<polyline fill="none" stroke="' + line[2] + '" stroke-width="1.6" points="' +
            run.map(function (p) { return p[0].toFixed(1) + "," + p[1].toFixed(1); }).join(" ") + '"/>');
        }
        run.forEach(function (p) {
          out.push('<circle cx="' + p[0].toFixed(1) + '" cy="' + p[1].toFixed(1) + '" r="2" fill="' + line[2] +
            '"><title>' + esc(line[1] + " " + p[2] + ": " + (unit === "%" ? Math.round(p[3]) + "%" : p[3].toFixed(2))) +
            "</title></circle>");
        });
      });
    });
    out.push("</svg>");
    return out.join("") + '<div class="yst-chart-legend">' + lines.map(function (l) {
      return '<span><i style="background:' + l[2] + '"></i>' + esc(l[1]) + "</span>";
    }).join("") + "</div>";
  }

  YST.scorecardTrendHtml = function (body) {
    var months = body.months || [];
    var received = months.reduce(function (s, m) { return s + m.counts.received; }, 0);
    return "<h3>" + esc(body.name) + " 月度趋势 <small>" + esc(body.start) + " 至 " + esc(body.end) +
      "</small></h3><p>共收到议题 " + received + " 件 (按立案月份统计)</p>" +
      chart(months, RATES, 0, 100, [0, 50, 100], "%", body.name + " 各项比率月度趋势") +
      chart(months, [SATISFACTION], 1, 5, [1, 3, 5], "分", body.name + " 满意度月度趋势");
  };

  YST.pages.scorecards = function (map, cfg, layers) {
    var areas = layers.scorecards, box = document.getElementById("yst-trend");
    var sc = cfg.scorecards || {};
    if (!areas || !box) return;
    var asked = 0;
    function show(f) {
      var mine = ++asked;
      box.innerHTML = "<p>正在加载 " + esc((f.properties || {}).name || "") + " 的趋势…</p>";
      var url = "/api/scorecards/trend?by=community&unit=" + encodeURIComponent(YST.featureId(f)) +
        "&start=" + sc.start + "&end=" + sc.end;
      fetch(url, { headers: { Accept: "application/json" } }).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      }).then(function (body) {
        if (mine !== asked) return;
        box.innerHTML = YST.scorecardTrendHtml(body);
        window.__yst.trend = body;
      }).catch(function (err) {
        if (mine === asked) box.innerHTML = "<p>趋势加载失败: " + esc(err.message) + "</p>";
      });
    }
    areas.spec.onFeature = function (f, layer) {
      layer.bindPopup(function () {
        return YST.popupHtml(areas.spec, f) + '<p class="yst-hint"><small>月度趋势见左侧面板 (trend in the panel)</small></p>';
      }, { maxWidth: 360 });
      layer.on("click", function () { show(f); });
    };
    YST.showScorecardTrend = show;
  };
})();
