/* /work/deployments: the deployments of cadres to the communities' work groups (July 2021's
 * 972 on checkpoint duty), their checkpoints on the map, groups and sending units; an
 * administrator organises the next one like an earlier (the API's can_manage says who). */
import { $, api, esc, explain, message, newKey, painted, start } from "./app.js";
import { smallMap } from "./smallmap.js";

let map = null;
let layer = null;

function summaryHtml(d) {
  return '<li class="w-item"><div><a href="?id=' + d.id + '" data-id="' + d.id + '"><b>' + esc(d.name) + "</b></a><small>" +
    esc(d.started_on) + " – " + esc(d.ended_on) + " · " + d.groups + " 个工作组 · " + d.checkpoints + " 个卡口 · " +
    d.cadres + " 名干部 · " + d.shifts + " 个班次</small><p>" + esc(d.purpose) + "</p></div></li>";
}

async function show(id) {
  const d = await api("/api/deployments/" + id);
  $("#w-dtitle").textContent = d.name;
  $("#w-totals").textContent = d.started_on + " – " + d.ended_on + " · " + d.cadres + " 名干部 cadres, " +
    d.checkpoints + " 个卡口 checkpoints, " + d.shifts + " 个班次 shifts";
  $("#w-groups").innerHTML = d.work_groups.map((g) => '<li class="w-item"><div><b>' + esc(g.name) + "</b><small>" +
    g.cadres + " 名干部 · " + g.checkpoints + " 个卡口</small></div></li>").join("");
  $("#w-units").innerHTML = d.units.map((u) => '<li class="w-item"><div><b>' + esc(u.name) + "</b><small>" +
    u.cadres + " 名</small></div></li>").join("") || '<li class="w-empty">尚无 none yet</li>';
  $("#w-detail").hidden = false;
  $("#w-like").hidden = !d.can_manage;
  $("#w-like").dataset.like = d.id;
  if (layer) layer.remove();
  layer = L.geoJSON(d.checkpoint_map, {
    pointToLayer: (f, at) => L.circleMarker(at, { radius: 7, color: "#8b1a1a", fillColor: "#e4572e", fillOpacity: 0.9, weight: 1 })
      .bindPopup(esc(f.properties.name) + "<br>" + esc(f.properties.community) + " · " + f.properties.shifts + " 班次"),
  }).addTo(map.map);
  if (d.checkpoint_map.features.length) map.map.fitBounds(layer.getBounds(), { padding: [12, 12] });
}

async function organise(form) {
  const f = form.elements;
  const body = { code: f.code.value.trim(), name: f.name.value.trim(), purpose: f.purpose.value.trim(),
    started_on: f.started_on.value, ended_on: f.ended_on.value, like_id: Number(form.dataset.like) };
  if (!body.code || !body.name || !body.started_on || !body.ended_on) { message("请填写代码、名称和日期。"); return; }
  try {
    const made = await api("/api/deployments", { method: "POST", json: body, headers: { "Idempotency-Key": newKey() } });
    message("已建立, 沿用工作组和卡口 created with the same groups and checkpoints", "ok");
    history.replaceState(null, "", "?id=" + made.id);
    await load();
  } catch (err) {
    message(explain(err));
  }
}

async function load() {
  const list = await api("/api/deployments");
  $("#w-list").innerHTML = list.map(summaryHtml).join("") || '<li class="w-empty">尚无 none</li>';
  const id = Number(new URLSearchParams(location.search).get("id")) || (list[0] && list[0].id);
  if (id) await show(id);
}

start(async () => {
  map = smallMap($("#w-map"));
  $("#w-like").addEventListener("submit", (ev) => { ev.preventDefault(); organise(ev.target); });
  await load();
  $("#w-deployments").removeAttribute("aria-busy");
  painted();
});
