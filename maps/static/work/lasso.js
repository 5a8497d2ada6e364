/* A lasso on a Leaflet map (the vendored copy, global L), a handler of our own rather than a
 * drawing plugin: the button arms it, a press on the map starts the ring, moving draws it and
 * the release closes it. The map does not pan meanwhile. Pointer events, so a finger draws
 * as a mouse does. The ring is thinned to about 3 px on screen (a hand-drawn ring has hundreds
 * of points) and handed to `done` as lat/lng points, closed; `done` asks the server what lies
 * inside, so the page never decides it. */
const MIN_POINTS = 3;
const TOLERANCE_PX = 3;

export function lasso(map, button, done) {
  const el = map.getContainer();
  let armed = false;
  let ring = null; // the polyline being drawn
  let shape = null; // the last polygon, kept on the map to show what was lassoed

  function arm(on) {
    armed = on;
    button.setAttribute("aria-pressed", String(on));
    button.classList.toggle("on", on);
    el.classList.toggle("w-drawing", on);
    if (on) map.dragging.disable(); else map.dragging.enable();
  }
  button.addEventListener("click", () => arm(!armed));

  el.addEventListener("pointerdown", (ev) => {
    if (!armed || ev.button > 0) return;
    ev.preventDefault();
    el.setPointerCapture(ev.pointerId);
    if (shape) shape.remove();
    ring = L.polyline([map.mouseEventToLatLng(ev)], { color: "#0a66c2", weight: 2, dashArray: "4 4", interactive: false }).addTo(map);
  });
  el.addEventListener("pointermove", (ev) => {
    if (ring) ring.addLatLng(map.mouseEventToLatLng(ev));
  });
  el.addEventListener("pointerup", async () => {
    if (!ring) return;
    const points = ring.getLatLngs().map((ll) => map.latLngToLayerPoint(ll));
    ring.remove();
    ring = null;
    const thin = L.LineUtil.simplify(points, TOLERANCE_PX).map((p) => map.layerPointToLatLng(p));
    arm(false);
    if (thin.length < MIN_POINTS) return;
    shape = L.polygon(thin, { color: "#0a66c2", weight: 2, fillOpacity: 0.08, interactive: false }).addTo(map);
    await done([...thin, thin[0]]);
  });
}
