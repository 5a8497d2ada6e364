/* A small Leaflet map (the vendored copy, global L): the base map if configured, the
 * district's outline (communities and compounds), points on it, and where I stand. Without
 * tiles (offline, or no base map) the outline and the points still show where things are. */
import { STEP_COLOUR } from "./labels.js";

export function smallMap(el) {
  const map = L.map(el, { zoomControl: true, attributionControl: Boolean(window.WORK.tiles) });
  const tiles = window.WORK.tiles;
  if (tiles) L.tileLayer(tiles.url, { attribution: tiles.attribution, maxZoom: 19, subdomains: tiles.subdomains || "abc" }).addTo(map);
  else el.classList.add("w-no-basemap");
  map.setView([40.822, 114.869], 14);
  // The district's outline under the points: readable offline, where tiles cannot load (the
  // service worker keeps the last copy of /api/outline).
  const outline = L.geoJSON(null, {
    style: (f) => ({
      className: "w-outline w-outline-" + f.properties.kind, interactive: false,
      color: f.properties.kind === "community" ? "#8b1a1a" : "#7a6a55",
      weight: f.properties.kind === "community" ? 2 : 1, fill: f.properties.kind === "compound",
      fillColor: "#d9c7a7", fillOpacity: 0.25, opacity: 0.8,
    }),
  }).addTo(map);
  outline.bringToBack();
  // After the first screen (the outline is about 100 kB): once the page is ready with its
  // list and points (window.__work.ready, set by app.js), never before.
  const load = () => fetch("/api/outline", { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : null))
    .then((data) => { if (data) { outline.addData(data); outline.bringToBack(); } })
    .catch(() => null);
  const whenReady = () => (window.__work && window.__work.ready ? load() : setTimeout(whenReady, 250));
  whenReady();
  const points = L.layerGroup().addTo(map);
  let me = null;
  return {
    map,
    show(items, { link = true } = {}) {
      points.clearLayers();
      items.forEach((i) => {
        const m = L.circleMarker([i.lat, i.lon], {
          radius: 9, weight: i.overdue ? 3 : 1, color: i.overdue ? "#c00" : "#333",
          fillColor: STEP_COLOUR[i.step], fillOpacity: 0.9,
        });
        if (link) m.bindPopup('<a href="/work/issues/' + i.id + '">#' + i.id + " " + (i.category_name || "") + "</a>");
        m.addTo(points);
      });
    },
    me(pos) {
      if (!pos) return;
      if (!me) me = L.circleMarker([pos.lat, pos.lon], { radius: 7, color: "#fff", weight: 2, fillColor: "#0a66c2", fillOpacity: 1 }).addTo(map);
      me.setLatLng([pos.lat, pos.lon]);
    },
    fit(extra = []) {
      const lls = [];
      points.eachLayer((l) => lls.push(l.getLatLng()));
      if (me) lls.push(me.getLatLng());
      extra.forEach((p) => lls.push(L.latLng(p.lat, p.lon)));
      if (lls.length === 1) map.setView(lls[0], 17);
      else if (lls.length) map.fitBounds(L.latLngBounds(lls), { padding: [20, 20], maxZoom: 17 });
    },
  };
}
