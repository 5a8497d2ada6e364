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
      box.innerHTML = "<h3>充电覆盖 Coverage (" + Math.round(stations.data.radius_m) + " 米)</h3>" +
        "<div>充电站 stations: <b>" + s.stations + "</b></div>" +
        "<div>车位 spaces: <b>" + s.spaces + "</b></div>" +
        "<div>未覆盖小区 uncovered: <b>" + s.uncovered + "</b> / " + s.compounds + "</div>";
      window.__yst.summary = s;
    });
  };
})();
