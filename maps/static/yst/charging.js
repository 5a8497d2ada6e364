/* /maps/charging: the coverage summary (stations, spaces, compounds left uncovered). */
(function () {
  "use strict";
  YST.pages.charging = function (map, cfg, layers) {
    var box = document.getElementById("yst-summary");
    var stations = layers.stations;
    if (!stations || !box) return;
    stations.on("yst:loaded", function () {
      var s = (stations.data || {}).summary;
      if (!s) return;
      box.innerHTML = "<h3>步行 " + Math.round(stations.data.radius_m) + " 米充电覆盖 Walking coverage</h3>" +
        "<div>充电站 stations: <b>" + s.stations + "</b></div>" +
        "<div>车位 spaces: <b>" + s.spaces + "</b></div>" +
        "<div>步行未覆盖小区 uncovered on foot: <b>" + s.uncovered + "</b> / " + s.compounds + "</div>" +
        "<div>按直线距离未覆盖 by air: " + s.uncovered_by_air + "</div>";
      window.__yst.summary = s;
    });
  };
})();
