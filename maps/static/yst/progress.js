/* /maps/progress: the late items stay above the choropleth, whichever of the two loads last. */
(function () {
  "use strict";
  YST.pages.progress = function (map, cfg, layers) {
    var late = layers.late, areas = layers.progress;
    if (!late || !areas) return;
    function raise() {
      late.inner.eachLayer(function (l) { if (l.bringToFront) l.bringToFront(); });
    }
    late.on("yst:loaded", raise);
    areas.on("yst:loaded", raise);
  };
})();
