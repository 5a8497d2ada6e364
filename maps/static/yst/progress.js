/* /maps/progress: the late items stay above the choropleth, whichever of the two loads last;
 * the colour switch (percent done or share late) reloads the page at once. */
(function () {
  "use strict";
  YST.pages.progress = function (map, cfg, layers) {
    var form = document.getElementById("yst-progress-form");
    if (form) {
      form.addEventListener("change", function (ev) {
        if (ev.target.name === "colour") form.submit();
      });
    }
    var late = layers.late, areas = layers.progress;
    if (!late || !areas) return;
    function raise() {
      late.inner.eachLayer(function (l) { if (l.bringToFront) l.bringToFront(); });
    }
    late.on("yst:loaded", raise);
    areas.on("yst:loaded", raise);
  };
})();
