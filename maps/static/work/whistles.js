/* /work/whistles: whistle and report (街乡吹哨、部门报到) on a phone. A summoned department's or
 * member unit's account checks in where it stands (the service proves it is within 100 m) and
 * says what it will do; with ?issue=N the matter's area staff summon departments and member
 * units to a place by a time, and record the joint outcome. Buttons follow the API's answers. */
import { $, api, esc, explain, locate, message, newKey, painted, start } from "./app.js";

const issueId = Number(new URLSearchParams(location.search).get("issue")) || null;
let matter = null;

function when(iso) {
  return new Date(iso).toLocaleString("zh-CN", { hour12: false, month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

function partyHtml(p) {
  const who = esc((p.department || p.unit || {}).name);
  let state;
  if (p.reported_at) {
    state = (p.late ? '<span class="w-late">迟到 late</span> ' : "按时 on time ") + esc(when(p.reported_at)) +
      " · " + esc(p.distance_m) + " m<p>" + esc(p.action) + "</p>";
  } else {
    state = p.late ? '<span class="w-late">未报到 absent</span>' : "待报到 waiting";
  }
  return '<li data-party="' + p.id + '"' + (p.mine ? ' class="mine"' : "") + "><b>" + who + "</b> " + state + "</li>";
}

function whistleHead(w) {
  return "<b>" + esc(w.place) + "</b><small>" + (w.issue_id ? '<a href="/work/issues/' + w.issue_id + '">#' + w.issue_id + "</a> · " : "") +
    "报到时限 " + esc(when(w.report_by)) + (w.closed_at ? " · 已议定 closed" : "") + "</small>";
}

function summonsHtml(w) {
  const me = w.parties.find((p) => p.mine);
  const open = me && !me.reported_at && !w.closed_at;
  const form = open
    ? '<form class="w-form w-report" data-whistle="' + w.id + '" novalidate><label>我方措施 What we will do' +
      '<textarea name="action" rows="2" required maxlength="2000"></textarea></label>' +
      '<button type="submit" class="w-primary">到场报到 Check in here</button></form>'
    : "";
  return '<li class="w-item" data-whistle="' + w.id + '"><div>' + whistleHead(w) +
    '<ul class="w-parties">' + w.parties.map(partyHtml).join("") + "</ul>" +
    (w.outcome ? "<p>结果 Outcome: " + esc(w.outcome) + "</p>" : "") + form + "</div></li>";
}

function blownHtml(w) {
  const form = w.closed_at ? "" :
    '<form class="w-form w-outcome" data-whistle="' + w.id + '" novalidate><label>议定结果 Joint outcome' +
    '<textarea name="outcome" rows="2" required maxlength="4000"></textarea></label>' +
    '<button type="submit">记录结果 Record the outcome</button></form>';
  return '<li class="w-item" data-whistle="' + w.id + '"><div>' + whistleHead(w) +
    '<ul class="w-parties">' + w.parties.map(partyHtml).join("") + "</ul>" +
    (w.outcome ? "<p>结果 Outcome: " + esc(w.outcome) + "</p>" : "") + form + "</div></li>";
}

function checks(list, name) {
  return list.map((x) => '<label class="w-check"><input type="checkbox" name="' + name + '" value="' + x.id + '"> ' +
    esc(x.name) + "</label>").join("") || '<p class="w-hint">无 none</p>';
}

async function loadMatter() {
  matter = await api("/api/work/issues/" + issueId);
  if (!matter.tools.includes("blow_whistle")) return;
  const r = matter.routing || {};
  const community = (r.community || {}).id;
  const sub = (r.subdistrict || {}).id;
  const [depts, ...units] = await Promise.all([
    api("/api/departments"),
    community ? api("/api/member-units?community_id=" + community) : [],
    sub ? api("/api/member-units?subdistrict_id=" + sub) : [],
  ]);
  $("#w-matter-title").innerHTML = "吹哨 #" + matter.id + " <small>" + esc(matter.category_name || "") + "</small>";
  $("#w-matter-desc").textContent = matter.description;
  $("#w-depts").innerHTML = "<legend>部门 Departments</legend>" + checks(depts, "department_ids");
  $("#w-units").innerHTML = "<legend>驻区单位 Member units</legend>" + checks(units.flat(), "unit_ids");
  $("#w-blow").elements.report_by.value = inTwoHours();
  $("#w-matter").hidden = false;
  await loadBlown();
}

async function loadBlown() {
  const list = await api("/api/issues/" + issueId + "/whistles");
  $("#w-blown").innerHTML = list.map(blownHtml).join("") || '<li class="w-empty">尚未吹哨 none yet</li>';
}

async function loadSummons() {
  const list = await api("/api/whistles/mine");
  $("#w-summons-part").hidden = false;
  $("#w-summons").innerHTML = list.map(summonsHtml).join("") || '<li class="w-empty">没有召集 none</li>';
}

function inTwoHours() {
  return new Date(Date.now() + 2 * 3600e3 - new Date().getTimezoneOffset() * 60e3).toISOString().slice(0, 16);
}

async function loadPlaceForm() {
  const [cats, depts] = await Promise.all([api("/api/categories"), api("/api/departments")]);
  const form = $("#w-blow-place");
  form.elements.category.innerHTML = cats.map((c) => '<option value="' + esc(c.code) + '">' + esc(c.name) + "</option>").join("");
  $("#w-place-depts").innerHTML = "<legend>部门 Departments</legend>" + checks(depts, "department_ids");
  form.elements.report_by.value = inTwoHours();
  $("#w-place").hidden = false;
}

async function blowAtPlace(form) {
  const f = form.elements;
  const ids = Array.from(form.querySelectorAll("input[name=department_ids]:checked")).map((c) => Number(c.value));
  const body = { category: f.category.value, description: f.description.value.trim(), place: f.place.value.trim(),
    report_by: new Date(f.report_by.value).toISOString(), department_ids: ids, unit_ids: [] };
  if (!body.description || !body.place) { message("请写明事项和报到地点 (what and where are needed)。"); return; }
  let at;
  try { at = await locate({ maximumAge: 0 }); } catch (err) { message(err.message); return; }
  $("#w-place-send").disabled = true;
  try {
    const w = await api("/api/whistles", { method: "POST", json: { ...body, lon: at.lon, lat: at.lat },
      headers: { "Idempotency-Key": newKey() } });
    location.href = "/work/whistles?issue=" + w.issue_id;
  } catch (err) {
    message(explain(err));
    $("#w-place-send").disabled = false;
  }
}

async function blow(form) {
  const f = form.elements;
  const ids = (name) => Array.from(form.querySelectorAll("input[name=" + name + "]:checked")).map((c) => Number(c.value));
  const body = { place: f.place.value.trim(), report_by: new Date(f.report_by.value).toISOString(),
    department_ids: ids("department_ids"), unit_ids: ids("unit_ids"), note: f.note.value.trim() || null };
  if (!body.place) { message("请写明报到地点 (a place is needed)。"); return; }
  let at = { lon: matter.lon, lat: matter.lat };
  if (f.where.value === "here") {
    try { at = await locate({ maximumAge: 0 }); } catch (err) { message(err.message); return; }
  }
  $("#w-blow-send").disabled = true;
  try {
    await api("/api/issues/" + issueId + "/whistles", { method: "POST", json: { ...body, lon: at.lon, lat: at.lat },
      headers: { "Idempotency-Key": newKey() } });
    form.reset();
    message("已吹哨, 各方将收到通知 summoned: the parties are told", "ok");
    await loadMatter();
  } catch (err) {
    message(explain(err));
  } finally {
    $("#w-blow-send").disabled = false;
  }
}

async function checkIn(form) {
  const action = form.elements.action.value.trim();
  if (!action) { message("请写明我方措施 (say what your unit will do)。"); return; }
  let pos;
  try { pos = await locate({ maximumAge: 0 }); } catch (err) { message(err.message + " 报到需要位置。"); return; }
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    await api("/api/whistles/" + form.dataset.whistle + "/reports", { method: "POST",
      json: { lon: pos.lon, lat: pos.lat, action }, headers: { "Idempotency-Key": newKey() } });
    message("已报到 checked in", "ok");
    await loadSummons();
  } catch (err) {
    message(explain(err));
    button.disabled = false;
  }
}

async function recordOutcome(form) {
  const outcome = form.elements.outcome.value.trim();
  if (!outcome) { message("请写明议定结果 (an outcome is needed)。"); return; }
  try {
    await api("/api/whistles/" + form.dataset.whistle + "/outcome", { method: "POST", json: { outcome },
      headers: { "Idempotency-Key": newKey() } });
    message("结果已记入事项 the outcome is on the matter", "ok");
    await loadBlown();
  } catch (err) {
    message(explain(err));
  }
}

start(async () => {
  $("#w-whistles").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const form = ev.target;
    if (form.id === "w-blow") blow(form);
    else if (form.id === "w-blow-place") blowAtPlace(form);
    else if (form.classList.contains("w-report")) checkIn(form);
    else if (form.classList.contains("w-outcome")) recordOutcome(form);
  });
  const { allowed } = await api("/api/whistles/setup");
  await Promise.all([
    issueId ? loadMatter() : null,
    !issueId && allowed.includes("file_on_behalf") ? loadPlaceForm() : null,
    allowed.includes("report_whistle") ? loadSummons() : null,
  ]);
  $("#w-whistles").removeAttribute("aria-busy");
  painted();
});
