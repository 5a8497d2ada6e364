/* /work/programme: a planner creates or edits a project (kind, budget, dates, department, the
 * places it covers: courtyards picked on the map, or an outline drawn by clicks), closes or
 * reopens it, adds batches and makes items from the picked courtyards in one step.
 * Every write carries an Idempotency-Key (a retry after a lost answer is the same write) and,
 * on an existing project or batch, If-Match with its version. What the page offers is what
 * /api/programme/setup says this account may do (access.allowed); the API decides again. */
import { $, api, esc, explain, message, newKey, painted, start } from "./app.js";

const S = { project: null, picked: new Set(), drawn: [], allowed: [], kinds: [] };
let map, courtyards, drawing, covered;

function value(form, name) {
  const v = form.elements[name].value.trim();
  return v === "" ? null : v;
}

function places(mode) {
  if (mode === "pick" && S.picked.size) return { layer: "courtyard", ids: [...S.picked] };
  if (mode === "draw" && S.drawn.length >= 3) {
    const ring = S.drawn.map((p) => [p.lng, p.lat]);
    return { geometry: { type: "Polygon", coordinates: [[...ring, ring[0]]] } };
  }
  return null;
}

function showPicked() {
  $("#w-picked").textContent = "已选 " + S.picked.size + " 处院落" + (S.drawn.length ? ", 画了 " + S.drawn.length + " 个点" : "");
  courtyards.setStyle((f) => ({ color: "#7a6a55", weight: 1, fillOpacity: S.picked.has(f.id) ? 0.7 : 0.15, fillColor: S.picked.has(f.id) ? "#8b1a1a" : "#d9c7a7" }));
  drawing.setLatLngs(S.drawn);
}

async function write(url, method, json, version) {
  const headers = { "Idempotency-Key": newKey() };
  if (version !== undefined) headers["If-Match"] = '"' + version + '"';
  try {
    return await api(url, { method, json, headers });
  } catch (err) {
    message(explain(err));
    if (err.status === 412 && S.project) await load(S.project.code);
    return null;
  }
}

function fill(p) {
  const f = $("#w-project");
  if (!p) covered.clearLayers();
  ["code", "name", "planned_start", "planned_end", "description"].forEach((k) => { f.elements[k].value = p ? p[k] ?? "" : ""; });
  f.elements.kind.value = p ? p.kind : S.kinds[0].code;
  f.elements.unit.value = p ? p.unit : "count";
  f.elements.budget.value = p && p.budget !== null ? p.budget : "";
  f.elements.department_id.value = p && p.department_id ? p.department_id : "";
  f.elements.code.readOnly = Boolean(p);
  f.elements.unit.disabled = Boolean(p);
  const may = S.allowed.includes("manage_programme");
  $("#w-save").hidden = !may || (p && p.state === "closed");
  $("#w-close").hidden = !may || !p || p.state !== "open";
  $("#w-reopen").hidden = !may || !p || p.state !== "closed";
  $("#w-batches").hidden = !p;
  if (!p) return;
  $("#w-batch").hidden = !may || p.state !== "open";
  $("#w-items-form").hidden = !S.allowed.includes("add_item") || p.state !== "open";
  $("#w-batch-list").innerHTML = p.batches.map((b) =>
    '<li><span class="w-row"><b>' + esc(b.name) + "</b> <small>" + esc(b.code) + " · " + esc(b.planned_start) + " — " + esc(b.planned_end) +
    " · " + b.items + " 项 · " + (b.state === "open" ? "进行中" : "已关闭") + "</small></span>" +
    (may ? '<button type="button" data-batch="' + esc(b.code) + '" data-version="' + b.version + '" data-state="' + (b.state === "open" ? "closed" : "open") + '">' +
      (b.state === "open" ? "关闭 Close" : "重新打开 Reopen") + "</button>" : "") + "</li>").join("") || '<li class="w-empty">还没有批次</li>';
  $("#w-items-form").elements.batch.innerHTML = '<option value="">不分批</option>' +
    p.batches.filter((b) => b.state === "open").map((b) => '<option value="' + esc(b.code) + '">' + esc(b.name) + "</option>").join("");
  $("#w-history").innerHTML = p.history.slice().reverse().map((h) =>
    "<li><b>" + esc(h.action) + "</b> " + esc(h.batch || "") + " <small>" + esc(new Date(h.recorded_at).toLocaleString("zh-CN", { hour12: false })) +
    " · " + esc((h.by && h.by.role) || "") + (h.reason ? " · " + esc(h.reason) : "") + "</small></li>").join("");
  const refs = p.places_refs || {};
  S.picked = new Set(refs.layer === "courtyard" ? refs.ids : []);
  S.drawn = [];
  showPicked();
  covered.clearLayers();
  if (p.places) {
    covered.addData(p.places);
    map.fitBounds(covered.getBounds(), { maxZoom: 18 });
  }
}

async function load(code) {
  S.project = code ? await api("/api/programme/projects/" + encodeURIComponent(code)) : null;
  fill(S.project);
}

async function save(ev) {
  ev.preventDefault();
  const f = ev.target;
  if (!f.reportValidity()) return;
  const body = {
    name: value(f, "name"), kind: value(f, "kind"), budget: value(f, "budget"),
    planned_start: value(f, "planned_start"), planned_end: value(f, "planned_end"),
    department_id: value(f, "department_id") && Number(value(f, "department_id")), description: value(f, "description"),
  };
  const chosen = places(f.elements.mode.value);
  if (chosen) body.places = chosen;
  const done = S.project
    ? await write("/api/programme/projects/" + encodeURIComponent(S.project.code), "PATCH", body, S.project.version)
    : await write("/api/programme/projects", "POST", { ...body, code: value(f, "code"), unit: f.elements.unit.value });
  if (!done) return;
  message("已保存 Saved", "ok");
  await listProjects(done.code);
}

async function state(next) {
  const reason = next === "closed" ? prompt("关闭原因 Why close?") : null;
  const done = await write("/api/programme/projects/" + encodeURIComponent(S.project.code) + "/state", "PUT", { state: next, reason }, S.project.version);
  if (done) fill((S.project = done));
}

async function listProjects(selected) {
  const list = await api("/api/renovation/projects");
  $("#w-projects").innerHTML = '<option value="">新建项目 New project</option>' +
    list.map((p) => '<option value="' + esc(p.code) + '">' + esc(p.name) + " (" + esc(p.code) + ")</option>").join("");
  $("#w-projects").value = selected || "";
  await load(selected || null);
}

async function run() {
  const setup = await api("/api/programme/setup");
  S.allowed = setup.allowed;
  S.kinds = setup.kinds;
  const f = $("#w-project");
  f.elements.kind.innerHTML = setup.kinds.map((k) => '<option value="' + esc(k.code) + '">' + esc(k.label_zh) + "</option>").join("");
  $("#w-items-form").elements.firm.innerHTML += setup.firms.map((x) => '<option value="' + esc(x.code) + '">' + esc(x.name) + "</option>").join("");
  const depts = await api("/api/departments");
  f.elements.department_id.innerHTML += depts.map((d) => '<option value="' + d.id + '">' + esc(d.name) + "</option>").join("");
  map = L.map("w-map").setView([40.8245, 114.879], 16);
  if (window.WORK.tiles) L.tileLayer(window.WORK.tiles.url, { attribution: window.WORK.tiles.attribution, maxZoom: 19 }).addTo(map);
  courtyards = L.geoJSON(null, {
    style: () => ({ className: "w-yard" }),
    onEachFeature: (feat, layer) => layer.on("click", () => {
      if (f.elements.mode.value !== "pick") return;
      if (S.picked.has(feat.id)) S.picked.delete(feat.id); else S.picked.add(feat.id);
      showPicked();
    }),
  }).addTo(map);
  drawing = L.polygon([], { color: "#0a66c2" }).addTo(map);
  covered = L.geoJSON(null, { interactive: false, style: () => ({ color: "#8b1a1a", weight: 2, dashArray: "6 4", fill: false }) }).addTo(map);
  map.on("click", (e) => { if (f.elements.mode.value === "draw") { S.drawn.push(e.latlng); showPicked(); } });
  const yards = await api("/ogc/collections/courtyards/items?f=json&limit=1000");
  courtyards.addData(yards);
  showPicked();
  painted();
  $("#w-clear").addEventListener("click", () => { S.picked.clear(); S.drawn = []; showPicked(); });
  $("#w-projects").addEventListener("change", (e) => load(e.target.value || null));
  f.addEventListener("submit", save);
  $("#w-close").addEventListener("click", () => state("closed"));
  $("#w-reopen").addEventListener("click", () => state("open"));
  $("#w-batch").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const b = ev.target;
    if (!b.reportValidity()) return;
    const done = await write("/api/programme/projects/" + encodeURIComponent(S.project.code) + "/batches", "POST",
      { name: value(b, "name"), planned_start: value(b, "planned_start"), planned_end: value(b, "planned_end") });
    if (done) { b.reset(); fill((S.project = done)); }
  });
  $("#w-batch-list").addEventListener("click", async (ev) => {
    const b = ev.target.closest("[data-batch]");
    if (!b) return;
    const done = await write("/api/programme/batches/" + encodeURIComponent(b.dataset.batch) + "/state", "PUT", { state: b.dataset.state }, Number(b.dataset.version));
    if (done) fill((S.project = done));
  });
  $("#w-items-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const i = ev.target;
    if (!i.reportValidity()) return;
    if (!S.picked.size) { message("请先在地图上点选院落 Pick courtyards first"); return; }
    const done = await write("/api/programme/projects/" + encodeURIComponent(S.project.code) + "/items", "POST", {
      batch: value(i, "batch"), layer: "courtyard", ids: [...S.picked],
      planned_start: value(i, "planned_start"), planned_end: value(i, "planned_end"), firm: value(i, "firm"),
    });
    if (done) { message("已生成 " + done.items.length + " 项 Items made", "ok"); await load(S.project.code); }
  });
  await listProjects(new URLSearchParams(location.search).get("project"));
}

start(run);
