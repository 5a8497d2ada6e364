/* /maps/heritage: a control to colour the courtyards by protection level, occupancy or danger
 * grade; danger grade is chosen by itself once the courtyards carry `danger_grade`. */
(function () {
  "use strict";
  YST.pages.heritage = function (map, cfg, layers) {
    var court = layers.courtyards;
    if (!court) return;
    var mode = cfg.mode || "protection";
    var chosenByUser = !!cfg.mode;
    function apply(m) {
      mode = m;
      court.legendBlock = cfg.modes[m].legend;
      court.setStyleSpec(cfg.modes[m].style);
      select.value = m;
      YST.refreshLegend();
    }
    var box = L.control({ position: "topleft" });
    var select;
    box.onAdd = function () {
      var div = L.DomUtil.create("div", "yst-panel yst-mode");
      div.innerHTML = '<label for="yst-mode">院落着色 Colour courtyards by</label><select id="yst-mode">' +
        Object.keys(cfg.modes).map(function (k) {
          return '<option value="' + k + '">' + YST.esc(cfg.modes[k].label) + "</option>";
        }).join("") + "</select>";
      L.DomEvent.disableClickPropagation(div);
      select = div.querySelector("select");
      select.addEventListener("change", function () { chosenByUser = true; apply(select.value); });
      return div;
    };
    box.addTo(map);
    select.value = mode;
    court.legendBlock = cfg.modes[mode].legend;
    court.on("yst:loaded", function () {
      if (chosenByUser || mode === "danger") return;
      var drawn = court.features();
      var graded = Object.keys(drawn).some(function (id) { return drawn[id].danger_grade; });
      if (graded) apply("danger");
    });
  };
})();
