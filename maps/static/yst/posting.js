/* The public posting finder: the compounds on a map; a tap opens the posting of the compound
 * under the finger (or the nearest across a lane), as /posting/at decides. */
(function () {
  "use strict";
  var el = document.getElementById("posting-map");
  if (!el || !window.L) return;
  var map = L.map(el, { zoomControl: true });
  map.setView([40.82, 114.88], 14);
  fetch(el.dataset.items, { headers: { Accept: "application/geo+json" } })
    .then(function (r) { return r.json(); })
    .then(function (fc) {
      var layer = L.geoJSON(fc, {
        style: { color: "#c0392b", weight: 1, fillOpacity: 0.12 },
        onEachFeature: function (f, l) { l.bindTooltip(String(f.properties.name || "")); }
      }).addTo(map);
      if (layer.getLayers().length) map.fitBounds(layer.getBounds());
    });
  map.on("click", function (e) {
    window.location.href = "/posting/at?lon=" + e.latlng.lng.toFixed(7) +
      "&lat=" + e.latlng.lat.toFixed(7);
  });
})();
