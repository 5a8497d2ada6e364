/* /work/progress: the work items near me that I may report on, a report (quantity done so far
 * or the phase reached, a photo, where I stand and when) through the outbox, and the reports
 * waiting for my review (approve / reject). */
import {
  $, api, esc, explain, locate, message, newKey, onSent, painted, start, state, submit,
} from "./app.js";
import { PHASE, REVIEW, UNIT } from "./labels.js";

let here = null;
let open = null; // the item whose report form is open

function itemHtml(i) {
  const dist = i.distance_m === null ? "" : '<span class="w-dist">' + Math.round(i.distance_m) + " 米</span>";
  const qty = Number(i.qty_done) + " / " + Number(i.planned_qty) + " " + (UNIT[i.unit] || i.unit);
  return '<li class="w-item' + (i.late ? " overdue" : "") + '" data-id="' + i.id + '"><div>' +
    '<button type="button" class="w-open" data-open="' + i.id + '" aria-expanded="' + (open === i.id) + '">' +
    '<span class="w-row"><b>' + esc(i.name) + "</b>" + dist + "</span><small>" + esc(i.project.name) + " · " +
    esc(PHASE[i.phase] || i.phase) + " · " + esc(qty) + (i.late ? ' · <span class="w-late">逾期</span>' : "") +
    "</small></button>" + (open === i.id ? formHtml(i) : "") + "</div></li>";
}

function formHtml(i) {
  const phases = Object.entries(PHASE).map(([k, v]) => '<option value="' + k + '">' + esc(v) + "</option>").join("");
  return '<form class="w-form" data-item="' + i.id + '" novalidate>' +
    '<label>累计完成量 Done so far (' + esc(UNIT[i.unit] || i.unit) + ')<input type="number" name="qty_done" min="0" step="0.01" inputmode="decimal" placeholder="' + Number(i.qty_done) + '"></label>' +
    '<label>阶段 Phase<select name="phase"><option value="">不变 unchanged</option>' + phases + "</select></label>" +
    '<label class="w-file">现场照片 Photo<input type="file" name="photo" accept="image/*" capture="environment"></label>' +
    '<label>说明 Note<textarea name="note" rows="2"></textarea></label>' +
    '<button type="submit" class="w-primary">上报 Report</button></form>';
}

function reviewHtml(e) {
  const what = [e.phase ? PHASE[e.phase] || e.phase : null, e.qty_done !== null ? "累计 " + Number(e.qty_done) + " " + (UNIT[e.unit] || "") : null].filter(Boolean).join(" · ");
  return '<li class="w-item" data-event="' + e.id + '"><div><b>' + esc(e.item) + "</b><small>" + esc(e.project) + " · " +
    esc(new Date(e.occurred_at).toLocaleString("zh-CN", { hour12: false })) + " · 距现场 " + Math.round(e.distance_m) + " 米</small>" +
    "<p>" + esc(what) + (e.note ? " · " + esc(e.note) : "") + "</p>" +
    e.photos.map((p) => '<img src="' + esc(p.url) + '" alt="现场照片" width="96" height="96">').join("") +
    '<div class="w-buttons"><button type="button" class="w-act" data-review="approved">通过 Approve</button>' +
    '<button type="button" class="w-act w-quiet" data-review="rejected">退回 Reject</button></div></div></li>';
}

async function report(form) {
  const data = new FormData(form);
  const item = Number(form.dataset.item);
  const qty = data.get("qty_done");
  const phase = data.get("phase");
  if (!qty && !phase) { message("请填写累计完成量或选择阶段 (quantity or phase)。"); return; }
  let pos;
  try {
    pos = here = await locate({ maximumAge: 0 });
  } catch (err) {
    message(err.message + " 上报需要现场位置 (a report needs your position)。");
    return;
  }
  const json = { lon: pos.lon, lat: pos.lat, accuracy_m: Math.round(pos.accuracy * 10) / 10, occurred_at: new Date().toISOString() };
  if (qty) json.qty_done = Number(qty);
  if (phase) json.phase = phase;
  if ((data.get("note") || "").trim()) json.note = data.get("note").trim();
  const steps = [];
  const photo = form.elements.photo.files[0];
  if (photo) steps.push({ url: "/api/media/photos", key: newKey(), form: { file: { blob: photo, filename: photo.name || "photo.jpg" } } });
  steps.push({ url: "/api/renovation-items/" + item + "/progress", key: newKey(), json, photosFrom: photo ? 0 : undefined, photoKind: "during" });
  const name = form.closest("li").querySelector("b").textContent;
  const outcome = await submit("整治上报 " + name + (phase ? " " + PHASE[phase] : "") + (qty ? " " + qty : ""), steps);
  if (outcome.state === "sent") {
    message("已上报 (reported)。", "ok");
    state.reported = outcome.job;
    open = null;
  } else if (outcome.state === "offline") {
    message("网络不通: 已保存在手机上, 联网后自动发送一次 (queued)。", "queued");
    open = null;
  } else {
    message(explain({ status: outcome.job.error.status, body: outcome.job.error.body }));
    return; // keep the form as typed
  }
}

start(async () => {
  const project = $("#w-project");
  api("/api/renovation/projects").then((ps) => {
    project.innerHTML += ps.map((p) => '<option value="' + esc(p.code) + '">' + esc(p.name) + "</option>").join("");
  }).catch(() => null);
  let items = [];

  async function load() {
    const q = new URLSearchParams();
    if (here) { q.set("lon", here.lon.toFixed(7)); q.set("lat", here.lat.toFixed(7)); }
    if (project.value) q.set("project", project.value);
    let body;
    try {
      body = await api("/api/work/progress" + (q.toString() ? "?" + q : ""));
    } catch (err) {
      $("#w-items").innerHTML = '<li class="w-empty">' + esc(explain(err)) + "</li>";
      return;
    }
    items = body.items;
    state.progress = { items: items.length, reviews: body.reviews.length };
    render();
    $("#w-review").hidden = body.reviews.length === 0;
    $("#w-reviews").innerHTML = body.reviews.map(reviewHtml).join("");
    painted();
  }
  function render() {
    $("#w-items").innerHTML = items.map(itemHtml).join("") ||
      '<li class="w-empty">附近没有您负责的工程 No work items for you here.</li>';
  }

  $("#w-items").addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-open]");
    if (!b) return;
    open = open === Number(b.dataset.open) ? null : Number(b.dataset.open);
    render();
  });
  $("#w-items").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = ev.target.querySelector("button[type=submit]");
    button.disabled = true;
    await report(ev.target);
    button.disabled = false;
    if (open === null) await load();
  });
  $("#w-reviews").addEventListener("click", async (ev) => {
    const b = ev.target.closest("[data-review]");
    if (!b) return;
    const li = b.closest("li");
    try {
      const done = await api("/api/progress-events/" + li.dataset.event + "/review", { method: "POST", json: { state: b.dataset.review } });
      message("已" + REVIEW[done.review_state] + " (" + done.review_state + ")。", "ok");
      li.remove();
    } catch (err) {
      message(explain(err));
    }
  });
  project.addEventListener("change", load);
  onSent(load);
  const first = load();
  const where = $("#w-where");
  try {
    here = await locate();
    where.textContent = "按您现在的位置排序 (精度 ±" + Math.round(here.accuracy) + " 米)";
    await first;
    await load();
  } catch (err) {
    where.textContent = err.message + " 无法按距离排序。";
    where.classList.add("w-warn");
  }
});
