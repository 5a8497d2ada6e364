/* /work/issues/{id}: the five steps, routing, photos, history, and buttons for exactly the
 * moves the API lists in `allowed_actions`. Every move goes through the outbox, so a move made
 * without a connection waits on the phone and is sent once when the connection is back. */
import {
  $, api, esc, explain, GeoError, locate, message, newKey, onSent, painted, start, state, submit,
} from "./app.js";
import { ACTION, CLOSURE, EVENT, FIVE, HIDE, LEVEL, STEP } from "./labels.js";
import { smallMap } from "./smallmap.js";

const id = Number(location.pathname.split("/").filter(Boolean).pop());
const drafts = {}; // what was typed, by action: kept across reloads and refusals
let issue = null;
let open = null; // the action whose form is open
let map = null;
let here = null; // where I stand, once known: the API gives the distance to it

function chainHtml(i) {
  const at = i.step === "resolved" ? FIVE.indexOf("dispatched") + 0.5 : FIVE.indexOf(i.step);
  return FIVE.map((s, n) => '<li class="' + (n < at ? "done" : n === at ? "now" : "") + '">' +
    esc(STEP[s]) + "</li>").join("") +
    (!FIVE.includes(i.step) ? '<li class="now extra">' + esc(STEP[i.step]) + "</li>" : "");
}

const LIGHT = { green: "未到时限", yellow: "即将超时", red: "已超时" };

/* The receipt (签收) clock: signed for when (late or not), or by when, with its light. */
function receiptText(r) {
  if (!r || !r.since) return null;
  const at = (iso) => new Date(iso).toLocaleString("zh-CN", { hour12: false, month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
  if (r.received_at) return "已签收 " + at(r.received_at) + (r.on_time ? "" : " (逾期 late)");
  return "应于 " + at(r.receive_by) + " 前签收" + (r.light ? " · " + LIGHT[r.light] : "");
}

/* The first-feedback (首次反馈) clock: answered when, or by when, with its light. */
function feedbackText(f) {
  if (!f || !f.since) return null;
  const at = (iso) => new Date(iso).toLocaleString("zh-CN", { hour12: false, month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
  if (f.answered_at) return "已答复 " + at(f.answered_at) + (f.on_time ? "" : " (逾期 late)");
  return "应于 " + at(f.feedback_by) + " 前答复居民" + (f.light ? " · " + LIGHT[f.light] : "");
}

function routingHtml(i) {
  const r = i.routing || {};
  const rows = [
    ["街道", r.subdistrict && r.subdistrict.name], ["社区", r.community && r.community.name],
    ["小区", r.compound && r.compound.name], ["楼栋", r.building && r.building.name],
    ["层级", LEVEL[i.level] || i.level], ["责任部门", (i.owner_department || r.department || {}).name],
    ["截止", (i.deadline && i.deadline.due) || i.due_on], ["签收", receiptText(i.receipt)],
    ["首次反馈", feedbackText(i.feedback)],
    ["协商结果", i.decision], ["附议", i.supporters],
    ["距您", i.distance_m === null ? null : Math.round(i.distance_m) + " 米"],
  ];
  return rows.filter((x) => x[1] !== null && x[1] !== undefined && x[1] !== "")
    .map((x) => "<dt>" + x[0] + "</dt><dd>" + esc(x[1]) + "</dd>").join("");
}

function historyHtml(events) {
  return events.map((e) => "<li><time>" + esc(new Date(e.at).toLocaleString("zh-CN", { hour12: false })) +
    "</time> <b>" + esc(e.kind === "transition" ? STEP[e.to] || e.to : EVENT[e.kind] || e.kind) + "</b>" +
    (e.actor ? " <small>" + esc(e.actor.role) + " #" + e.actor.id + "</small>" : "") +
    (e.note ? "<p>" + esc(e.note) + "</p>" : "") + ownersHtml(e.data) + "</li>").join("");
}

/* A re-route, dispute or arbitration names both owners in its data: show who to whom. */
function ownersHtml(d) {
  if (!d || !d.from_owner || !d.to_owner || !d.owner_changed) return "";
  const name = (o) => (o.name || LEVEL[o.kind] || o.kind) + (o.department ? " · " + o.department.name : "");
  return "<p><small>" + esc(name(d.from_owner)) + " → " + esc(name(d.to_owner)) + "</small></p>";
}

const FIELDS = {
  topic: () => textarea("note", "说明 (可选) Note", false),
  rejected: () => textarea("note", "不予受理的理由 Reason", true),
  deliberated: () => textarea("note", "协商结果 The hall's decision", true),
  dispatched: () => '<label>责任部门 Department<select name="owner_department_id" id="w-dept"></select></label>' +
    '<label>完成期限 Due<input type="date" name="due_on"></label>' + textarea("note", "说明 Note", false),
  resolved: () => '<p class="w-hint" id="w-pos">提交时会记录您的位置 (需在现场 100 米内)</p>' +
    '<label class="w-file">现场照片 Photo<input type="file" name="photo" accept="image/*" capture="environment"></label>' +
    textarea("note", "办理情况 What was done", false),
  // The review is the hall's sign-off; a rating here records a resident's verdict for them
  // (the reporter may have rated already: then leave it at 不评分).
  reviewed: () => '<fieldset class="w-rating"><legend>代居民评分 Resident\'s rating (optional)</legend>' +
    '<label><input type="radio" name="rating" value="" checked>不评分</label>' + [1, 2, 3, 4, 5].map((n) =>
    '<label><input type="radio" name="rating" value="' + n + '">' + "★".repeat(n) + "</label>").join("") +
    "</fieldset>" + textarea("note", "评审意见 Note", false),
  closed: () => '<label>原因 Reason<select name="reason">' + Object.entries(CLOSURE).map(([k, v]) =>
    '<option value="' + k + '">' + esc(v) + "</option>").join("") + "</select></label>" +
    textarea("note", "说明 Note", true),
  referred: () => '<label>转办单位 Referred to<input type="text" name="referred_to" required ' +
    'placeholder="例如 供电公司"></label>' + textarea("note", "说明 Note", false),
  photo: () => '<label class="w-file">照片 Photo<input type="file" name="photo" accept="image/*" capture="environment" required></label>',
  reroute: () => '<label>问题类别 Category<select name="category" id="w-cat"></select></label>' +
    '<label class="w-check"><input type="checkbox" name="here" value="1"> 以我现在的位置更正问题位置 (correct the location to where I stand)</label>' +
    textarea("note", "改派理由 Why", true),
  dispute: () => '<p class="w-hint">退回后问题交上一级 (部门退单交回派单的议事厅); 多次退单由街道仲裁。</p>' +
    textarea("reason", "退单理由 Why it is not ours", true),
  receive: () => '<p class="w-hint">签收即本单位接手办理 (signing for it: your unit takes it on)。</p>',
  assign: () => '<label>承办人 Person<select name="account_id">' + (issue.assignees || []).map((a) =>
    '<option value="' + a.id + '">' + esc(a.name) + "</option>").join("") + "</select></label>",
  moderate: () => '<label>隐藏 Hide<select name="target"><option value="description">描述 description</option>' +
    (issue.photos || []).filter((p) => !p.hidden).map((p) => '<option value="photo:' + p.id + '">照片 photo #' + p.id + "</option>").join("") +
    '</select></label><label>公开原因 Public reason<select name="category">' +
    Object.entries(HIDE).map(([code, zh]) => '<option value="' + code + '">' + esc(zh) + "</option>").join("") +
    "</select></label>" + textarea("reason", "理由 (仅工作人员可见 staff only) Why", true),
  feedback: () => '<p class="w-hint">以下内容居民可以看到 (public: the resident sees this)。</p>' +
    '<label>模板 Template<select id="w-tpl"><option value="">插入模板后可修改 insert, then edit</option></select></label>' +
    textarea("text", "答复内容 Reply", true),
  arbitrate: () => '<label>由谁办理 Unit that must act<select name="unit" id="w-unit"></select></label>' +
    textarea("note", "仲裁意见 The decision", true),
};

function textarea(name, label, required) {
  return "<label>" + label + '<textarea name="' + name + '" rows="3"' + (required ? " required" : "") + "></textarea></label>";
}

function actionsHtml(i) {
  // the API's allowed moves, then replying, assigning and hiding when the API says I may
  const moves = [...(i.allowed_actions || []), ...(i.may_feedback ? ["feedback"] : []),
    ...((i.assignees || []).length ? ["assign"] : []), ...(i.may_moderate ? ["moderate"] : [])];
  if (!moves.length) return '<p class="w-hint">您现在没有可进行的操作 (nothing for your account to do now)。</p>';
  return '<div class="w-buttons">' + moves.map((a) =>
    '<button type="button" class="w-act' + (a === open ? " on" : "") + (["rejected", "closed", "referred", "reroute", "dispute"].includes(a) ? " w-quiet" : "") +
    '" data-action="' + a + '">' + esc(ACTION[a] || a) + "</button>").join("") + "</div>" +
    (open && moves.includes(open) ? '<form class="w-form" id="w-form" novalidate>' + (FIELDS[open] || FIELDS.topic)() +
      '<button type="submit" class="w-primary">提交 ' + esc(ACTION[open]) + "</button></form>" : "");
}

function keepDraft() {
  const form = $("#w-form");
  if (!form || !open) return;
  const d = (drafts[open] = drafts[open] || {});
  Array.from(form.elements).forEach((el) => {
    if (!el.name) return;
    if (el.type === "file") d[el.name] = el.files[0] || d[el.name];
    else if (el.type === "radio") { if (el.checked) d[el.name] = el.value; }
    else d[el.name] = el.value;
  });
}

async function restoreDraft() {
  const form = $("#w-form");
  if (!form) return;
  if (open === "dispatched") {
    const depts = await api("/api/departments").catch(() => []);
    const deflt = (issue.routing.department || {}).id;
    $("#w-dept").innerHTML = depts.map((d) => '<option value="' + d.id + '"' + (d.id === deflt ? " selected" : "") +
      ">" + esc(d.name) + "</option>").join("");
  }
  if (open === "feedback") { // the unit's templates for this category and step, inserted to edit
    const q = new URLSearchParams({ category: issue.category, step: issue.step });
    const tpls = await api("/api/response-templates?" + q).catch(() => []);
    $("#w-tpl").innerHTML += tpls.map((t) => '<option value="' + t.id + '">' + esc(t.title) + "</option>").join("");
    $("#w-tpl").addEventListener("change", (ev) => {
      const t = tpls.find((x) => String(x.id) === ev.target.value);
      if (t) form.elements.text.value = t.body;
    });
  }
  if (open === "reroute") {
    const cats = await api("/api/categories").catch(() => []);
    $("#w-cat").innerHTML = cats.map((c) => '<option value="' + esc(c.code) + '"' + (c.code === issue.category ? " selected" : "") +
      ">" + esc(c.name) + "</option>").join("");
  }
  if (open === "arbitrate") {
    const r = issue.routing || {};
    const places = [["compound", r.compound], ["community", r.community], ["subdistrict", r.subdistrict]]
      .filter((p) => p[1]).map((p) => '<option value="' + p[0] + ":" + p[1].id + '">' + esc(LEVEL[p[0]] + " " + p[1].name) + "</option>");
    const depts = await api("/api/departments").catch(() => []);
    $("#w-unit").innerHTML = places.concat(depts.map((d) => '<option value="department:' + d.id + '">' +
      esc(d.name) + "</option>")).join("");
  }
  const d = drafts[open] || {};
  Array.from(form.elements).forEach((el) => {
    if (!el.name || d[el.name] === undefined) return;
    if (el.type === "file") {
      const dt = new DataTransfer();
      dt.items.add(d[el.name]);
      el.files = dt.files;
    } else if (el.type === "radio") el.checked = el.value === d[el.name];
    else el.value = d[el.name];
  });
}

function render() {
  const i = issue;
  document.title = "#" + i.id + " " + (i.category_name || i.category) + " · 议事厅工作台";
  $("#w-title").innerHTML = "#" + i.id + " " + esc(i.category_name || i.category) +
    ' <span class="w-step s-' + esc(i.step) + '">' + esc(STEP[i.step]) + "</span>";
  $("#w-chain").innerHTML = chainHtml(i);
  $("#w-desc").textContent = i.description;
  $("#w-routing").innerHTML = routingHtml(i);
  // a hidden photo: its placeholder, and for staff who read the private history the original
  $("#w-photos").innerHTML = i.photos.map((p) => '<a href="' + esc(p.hidden && i.may_moderate ? "/api/photos/" + p.id + "/original" : p.url) +
    '"><img src="' + esc(p.url) + '" alt="照片 ' + p.id + (p.hidden ? " 已隐藏 " + esc(p.hidden.label) : "") +
    '" loading="lazy" width="96" height="96"></a>').join("") || '<p class="w-hint">还没有照片</p>';
  $("#w-history").innerHTML = historyHtml(i.events);
  keepDraft();
  $("#w-actions").innerHTML = actionsHtml(i) + (i.tools.includes("blow_whistle")
    ? '<p><a class="w-act w-quiet" id="w-whistle" href="/work/whistles?issue=' + i.id + '">吹哨 Summon parties</a></p>' : "");
  restoreDraft();
  $("#w-issue").removeAttribute("aria-busy");
  map.show([i], { link: false });
  map.fit();
  state.issue = { id: i.id, step: i.step, version: i.version, allowed: i.allowed_actions };
}

async function load() {
  const q = here ? "?lon=" + here.lon.toFixed(7) + "&lat=" + here.lat.toFixed(7) : "";
  issue = await api("/api/work/issues/" + id + q);
  render();
  painted();
}

function photoStep(file) {
  return { url: "/api/issues/" + id + "/photos", key: newKey(), form: { file: { blob: file, filename: file.name || "photo.jpg" } } };
}

/* A resolve and its site photo as one multipart request (POST /api/issues/{id}/resolve). */
function resolveStep(file, body) {
  const form = { file: { blob: file, filename: file.name || "photo.jpg" } };
  ["lon", "lat", "note", "version"].forEach((k) => { form[k] = String(body[k]); });
  return { url: "/api/issues/" + id + "/resolve", key: newKey(), form };
}

/* The requests an action makes, or a message saying what is missing. */
async function requestsFor(action, form) {
  const data = new FormData(form);
  const note = (data.get("note") || "").trim();
  const photo = form.elements.photo && form.elements.photo.files[0];
  if (action === "photo") {
    if (!photo) throw new GeoError("请拍一张照片 Take a photo.");
    return [photoStep(photo)];
  }
  if (["rejected", "deliberated", "closed", "reroute", "arbitrate"].includes(action) && !note) throw new GeoError("请填写" + (action === "deliberated" ? "协商结果" : action === "arbitrate" ? "仲裁意见" : "理由") + "。");
  if (action === "reroute") {
    const body = { category: data.get("category"), note, version: issue.version };
    if (data.get("here")) {
      const pos = (here = await locate({ maximumAge: 0 }));
      body.lon = pos.lon;
      body.lat = pos.lat;
    }
    return [{ url: "/api/issues/" + id + "/reroute", key: newKey(), json: body }];
  }
  if (action === "dispute") {
    const reason = (data.get("reason") || "").trim();
    if (!reason) throw new GeoError("请填写退单理由。");
    return [{ url: "/api/issues/" + id + "/dispute", key: newKey(), json: { reason, version: issue.version } }];
  }
  if (action === "moderate") {
    const reason = (data.get("reason") || "").trim();
    if (!reason) throw new GeoError("请填写隐藏理由。");
    const [target, photo] = String(data.get("target")).split(":");
    const json = { target, reason, category: data.get("category"), version: issue.version };
    if (photo) json.photo_id = Number(photo);
    return [{ url: "/api/issues/" + id + "/moderation", key: newKey(), json }];
  }
  if (action === "assign") {
    return [{ url: "/api/issues/" + id + "/assign", key: newKey(), json: { account_id: Number(data.get("account_id")), version: issue.version } }];
  }
  if (action === "feedback") {
    const text = (data.get("text") || "").trim();
    if (!text) throw new GeoError("请填写答复内容。");
    return [{ url: "/api/issues/" + id + "/feedback", key: newKey(), json: { text, version: issue.version } }];
  }
  if (action === "receive") {
    return [{ url: "/api/issues/" + id + "/receipt", key: newKey(), json: { version: issue.version } }];
  }
  if (action === "arbitrate") {
    const [kind, unit] = String(data.get("unit") || "").split(":");
    return [{ url: "/api/issues/" + id + "/arbitrate", key: newKey(), json: { unit: { kind, id: Number(unit) }, note, version: issue.version } }];
  }
  const body = { to: action, version: issue.version };
  if (note) body.note = note;
  const steps = [];
  if (action === "dispatched") {
    body.owner_department_id = Number(data.get("owner_department_id")) || undefined;
    if (data.get("due_on")) body.due_on = data.get("due_on");
  }
  if (action === "reviewed" && data.get("rating")) body.rating = Number(data.get("rating"));
  if (action === "closed") body.reason = data.get("reason");
  if (action === "referred") {
    body.referred_to = (data.get("referred_to") || "").trim();
    if (!body.referred_to) throw new GeoError("请填写转办单位。");
  }
  if (action === "resolved") {
    if (!photo && !issue.resolve.photo_since_dispatch) throw new GeoError("现场办结需要一张现场照片: 请拍照 (a photo is needed)。");
    $("#w-pos").textContent = "正在定位… locating";
    const pos = (here = await locate({ maximumAge: 0 }));
    $("#w-pos").textContent = "您的位置 ±" + Math.round(pos.accuracy) + " 米";
    body.lon = pos.lon;
    body.lat = pos.lat;
    body.note = (note ? note + " " : "") + "(定位精度 ±" + Math.round(pos.accuracy) + " 米)";
    // With a new photo, one request: the API stores it only if the resolve is accepted.
    if (photo) return [resolveStep(photo, body)];
  }
  steps.push({ url: "/api/issues/" + id + "/transitions", key: newKey(), json: body });
  return steps;
}

async function act(action, form) {
  const button = form.querySelector("button[type=submit]");
  let steps;
  try {
    steps = await requestsFor(action, form);
  } catch (err) {
    message(err.message);
    return;
  }
  button.disabled = true;
  keepDraft();
  const last = steps.at(-1).json || steps.at(-1).form;
  const label = "#" + id + " " + ACTION[action] + (typeof last.note === "string" ? ": " + last.note.slice(0, 40) : "");
  const outcome = await submit(label, steps);
  button.disabled = false;
  if (outcome.state === "sent") {
    delete drafts[action];
    open = null;
    message("已提交 " + ACTION[action] + " (sent)。", "ok");
    await load().catch(() => null);
  } else if (outcome.state === "offline") {
    delete drafts[action];
    open = null;
    message("网络不通: 已保存在手机上, 联网后自动发送一次 (queued; see 待发送 below)。", "queued");
    render();
  } else {
    const err = outcome.job.error;
    const text = explain({ status: err.status, body: err.body });
    await load().catch(() => null); // the new state, with what I typed kept
    const still = issue.allowed_actions.includes(action);
    const typed = (drafts[action] || {}).note;
    message(text + " 当前状态: " + STEP[issue.step] + "。" +
      (!still && typed ? " 您填写的内容: " + typed : ""));
  }
}

start(async () => {
  map = smallMap($("#w-map"));
  onSent(() => load().catch(() => null));
  $("#w-actions").addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-action]");
    if (!b) return;
    keepDraft();
    open = open === b.dataset.action ? null : b.dataset.action;
    message("");
    render();
  });
  $("#w-actions").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act(open, ev.target);
  });
  await load();
  locate().then((pos) => { here = pos; map.me(pos); return load(); }).catch(() => null);
});
