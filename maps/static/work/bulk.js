/* /work/bulk: one move on many matters. The matters are my work (GET /api/work), filtered,
 * ticked, or lassoed on the map: the polygon drawn is sent as a CQL2 filter
 * (S_WITHIN(geometry, POLYGON(...)), GET /api/work?filter=) and the server says which of my
 * matters lie inside (PostGIS, within my scope). The moves offered are those the API allows on
 * the ticked matters (each item's `bulk_actions`, from the access table), and only matters
 * that allow the chosen move are sent. POST /api/bulk-jobs stores the job (Idempotency-Key kept
 * until an answer comes back, so a retry after a lost answer finds the same job) and the page
 * polls its progress. */
import { $, ApiError, api, esc, explain, message, newKey, painted, start, state } from "./app.js";
import { ACTION, CLOSURE, STEP } from "./labels.js";
import { lasso } from "./lasso.js";
import { smallMap } from "./smallmap.js";

const MOVES = ["dispatched", "closed", "topic", "rejected", "referred", "assigned", "merged"];
const LABEL = { ...ACTION, assigned: ACTION.assign, merged: ACTION.merge };
const POLL_MS = 400;
const KEPT = "yst-bulk-request"; // {key, body} of a request sent but not yet answered

function options(pairs, empty) {
  return (empty ? '<option value="">' + empty + "</option>" : "") +
    pairs.map(([v, t]) => '<option value="' + esc(v) + '">' + esc(t) + "</option>").join("");
}

async function send(body) {
  const kept = JSON.parse(sessionStorage.getItem(KEPT) || "null");
  const key = kept && JSON.stringify(kept.body) === JSON.stringify(body) ? kept.key : newKey();
  sessionStorage.setItem(KEPT, JSON.stringify({ key, body }));
  for (let attempt = 0; ; attempt++) {
    try {
      const job = await api("/api/bulk-jobs", { method: "POST", json: body, headers: { "Idempotency-Key": key } });
      sessionStorage.removeItem(KEPT);
      return job;
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 0 || attempt >= 2) throw err;
      await new Promise((r) => setTimeout(r, 1000 * (attempt + 1))); // the same key: one job
    }
  }
}

function showJob(job) {
  state.bulk = job;
  $("#w-job").hidden = false;
  const bar = $("#w-progress");
  bar.max = job.total;
  bar.value = job.done + job.refused;
  $("#w-tally").textContent = "完成 " + job.done + " · 未通过 " + job.refused + " · 等待 " + job.waiting +
    " / 共 " + job.total + (job.waiting ? "" : " — 已结束 finished");
  $("#w-results").innerHTML = job.items.filter((r) => r.state !== "waiting").map((r) =>
    '<li class="' + esc(r.state) + '"><a href="/work/issues/' + r.issue_id + '">#' + r.issue_id + "</a> " +
    (r.state === "done" ? "✓ 已处理" : "✗ " + esc(r.status) + " " + esc(r.detail || "")) + "</li>").join("");
}

/* The chosen matters ringed on the map, above the points. */
function picks(map) {
  const layer = L.layerGroup().addTo(map);
  return {
    show(list) {
      layer.clearLayers();
      list.forEach((i) => L.circleMarker([i.lat, i.lon], { radius: 13, weight: 3, color: "#0a66c2", fill: false, interactive: false }).addTo(layer));
    },
  };
}

async function follow(job) {
  showJob(job);
  while (job.waiting > 0) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    job = await api("/api/bulk-jobs/" + job.id);
    showJob(job);
  }
  return job;
}

start(async () => {
  const form = $("#w-bulk");
  const [work, departments] = await Promise.all([api("/api/work"), api("/api/departments")]);
  let items = work.items;
  const chosen = new Set();
  form.elements.step.innerHTML = options(work.filters.step.map((o) => [o.value, (STEP[o.value] || o.name) + " (" + o.count + ")"]), "全部");
  form.elements.category.innerHTML = options(work.filters.category.map((o) => [o.value, o.name + " (" + o.count + ")"]), "全部");
  form.elements.owner_department_id.innerHTML = options(departments.map((d) => [d.id, d.name]), "按类别 by category");
  form.elements.reason.innerHTML = options(Object.entries(CLOSURE));
  const map = smallMap($("#w-map"));
  const drawn = picks(map.map);
  state.map = map.map; // where a test finds a matter on screen to lasso it
  map.show(items);
  map.fit();
  // The lasso: the polygon goes to the server, which answers the matters of mine inside it.
  lasso(map.map, $("#w-lasso"), async (ring) => {
    const wkt = "POLYGON((" + ring.map((p) => p.lng.toFixed(6) + " " + p.lat.toFixed(6)).join(", ") + "))";
    let found;
    try {
      found = await api("/api/work?filter-lang=cql2-text&filter=" + encodeURIComponent("S_WITHIN(geometry, " + wkt + ")"));
    } catch (err) {
      message(explain(err));
      return;
    }
    const known = new Set(items.map((i) => i.id));
    items = items.concat(found.items.filter((i) => !known.has(i.id)));
    found.items.forEach((i) => chosen.add(i.id));
    $("#w-lasso-note").textContent = "圈选 " + found.items.length + " 件 lassoed";
    state.lassoed = { ids: found.items.map((i) => i.id), ring: ring.map((p) => [p.lng, p.lat]) };
    list();
  });

  const shown = () => items.filter((i) => (!form.elements.step.value || i.step === form.elements.step.value) &&
    (!form.elements.category.value || i.category === form.elements.category.value));
  function offered() { // the moves the API allows on at least one ticked matter
    const ticked = items.filter((i) => chosen.has(i.id));
    return MOVES.filter((m) => ticked.some((i) => i.bulk_actions.includes(m)));
  }
  function refresh() {
    const moves = offered();
    const before = form.elements.to.value;
    form.elements.to.innerHTML = options(moves.map((m) => [m, LABEL[m] || m]));
    if (moves.includes(before)) form.elements.to.value = before;
    const to = form.elements.to.value;
    form.querySelectorAll("[data-for]").forEach((el) => { el.hidden = el.dataset.for !== to; });
    const fitting = items.filter((i) => chosen.has(i.id) && i.bulk_actions.includes(to));
    $("#w-chosen").textContent = "已选 " + chosen.size + (chosen.size ? " · 可" + (LABEL[to] || "") + " " + fitting.length : "");
    $("#w-go").disabled = !fitting.length || (to === "merged" && fitting.length < 2);
    if (to === "merged") fillKept(fitting);
    if (to === "assigned") fillPeople(fitting);
    drawn.show(items.filter((i) => chosen.has(i.id)));
  }
  function fillKept(fitting) { // one of the ticked matters is kept; the others join it
    const sel = form.elements.into;
    const before = sel.value;
    sel.innerHTML = options(fitting.map((i) => [i.id, "#" + i.id + " " + i.category_name + " " + i.description.slice(0, 20)]));
    if (fitting.some((i) => String(i.id) === before)) sel.value = before;
  }
  let asked = "";
  async function fillPeople(fitting) { // whom every ticked matter may be assigned to (the API)
    const query = fitting.map((i) => "issue=" + i.id).join("&");
    if (!query || query === asked) return;
    asked = query;
    try {
      const people = await api("/api/work/assignees?" + query);
      form.elements.account_id.innerHTML = options(people.map((p) => [p.id, p.name]), people.length ? "" : "无共同承办人 nobody for all");
      if (!people.length && form.elements.to.value === "assigned") $("#w-go").disabled = true;
    } catch (err) { message(explain(err)); }
  }
  function list() {
    $("#w-list").innerHTML = shown().map((i) => '<label><input type="checkbox" value="' + i.id + '"' +
      (chosen.has(i.id) ? " checked" : "") + "> #" + i.id + " <b>" + esc(i.category_name) + "</b> " +
      esc(STEP[i.step] || i.step) + " <small>" + esc(i.description.slice(0, 40)) + "</small></label>").join("") ||
      '<p class="w-empty">没有待办 nothing waiting</p>';
    ticked();
  }
  function ticked() { // a tick changes the counts and the moves, not the list
    $("#w-all").checked = shown().length > 0 && shown().every((i) => chosen.has(i.id));
    refresh();
  }
  $("#w-list").addEventListener("change", (ev) => {
    const id = Number(ev.target.value);
    if (ev.target.checked) chosen.add(id); else chosen.delete(id);
    ticked();
  });
  $("#w-all").addEventListener("change", (ev) => {
    shown().forEach((i) => (ev.target.checked ? chosen.add(i.id) : chosen.delete(i.id)));
    list();
  });
  form.elements.step.addEventListener("change", list);
  form.elements.category.addEventListener("change", list);
  form.elements.to.addEventListener("change", refresh);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const to = form.elements.to.value;
    const f = form.elements;
    let picked = items.filter((i) => chosen.has(i.id) && i.bulk_actions.includes(to));
    if (to === "merged") picked = picked.filter((i) => String(i.id) !== f.into.value);
    const body = { to, items: picked.map((i) => ({ id: i.id, version: i.version })), note: f.note.value || null };
    if (to === "dispatched") {
      if (f.owner_department_id.value) body.owner_department_id = Number(f.owner_department_id.value);
      if (f.due_on.value) body.due_on = f.due_on.value;
    }
    if (to === "closed") body.reason = f.reason.value;
    if (to === "referred") body.referred_to = f.referred_to.value;
    if (to === "assigned") body.account_id = Number(f.account_id.value);
    if (to === "merged") body.into = Number(f.into.value);
    $("#w-go").disabled = true;
    try {
      const job = await follow(await send(body));
      message("已处理 " + job.done + " 件, 未通过 " + job.refused + " 件。", job.refused ? "error" : "ok");
      items = (await api("/api/work")).items;
      chosen.clear();
      map.show(items);
      list();
    } catch (err) {
      message(explain(err));
      refresh();
    }
  });
  list();
  painted();
});
