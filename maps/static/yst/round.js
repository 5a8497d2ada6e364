/* /maps/round: the round's total walk and stop count, and each stop numbered in order. */
(function () {
  "use strict";
  YST.pages.round = function (map, cfg, layers) {
    var box = document.getElementById("yst-summary");
    var stops = layers.stops;
    if (!stops || !box) return;
    stops.on("yst:loaded", function () {
      var d = stops.data || {};
      if (!d.order) return;
      box.innerHTML = "<h3>巡查路线 Field round</h3>" +
        "<div>巡查点 stops: <b>" + d.order.length + "</b></div>" +
        "<div>步行 walk: <b>" + Math.round(d.length_m) + "</b> 米, 约 <b>" +
        Math.round(d.time_s / 60) + "</b> 分钟</div>";
      stops.inner.eachLayer(function (l) {
        var p = (l.feature || {}).properties || {};
        if (p.order !== undefined && l.bindTooltip) {
          l.bindTooltip(String(p.order + (d.features[0].properties.role === "start" ? 0 : 1)),
            { permanent: true, direction: "center", className: "yst-round-no" });
        }
      });
      var bounds = stops.inner.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [48, 48], maxZoom: 18 });
      window.__yst.summary = { stops: d.order.length, length_m: d.length_m };
    });
  };
})();
