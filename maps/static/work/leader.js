/* /work/leader: a paired leader's places on the phone: the halls they are first responsible
 * for, the open matters in their places (overdue first) with a one-tap dispatch where the
 * access table allows it, and an on-site visit (现场办公) with a photo, where they stand. */
import { $, api, esc, explain, locate, message, newKey, painted, start, state } from "./app.js";
import { NOTICE, STEP } from "./labels.js";

const WEEKDAY = ["", "周一", "周二", "周三", "周四", "周五", "周六", "周日"];

function matterHtml(m) {
  const late = m.overdue ? ' · <span class="w-late">逾期 overdue</span>' : "";
  const go = m.allowed_actions.includes("dispatched")
    ? '<button type="button" class="w-act" data-dispatch="' + m.id + '" data-version="' + m.version + '">现场派单 Dispatch</button>'
    : "";
  const up = m.allowed_actions.includes("escalate_issue")
    ? '<button type="button" class="w-act w-quiet" data-escalate="' + m.id + '" data-version="' + m.version + '">现场上报 Escalate</button>'
    : "";
  return '<li class="w-item' + (m.overdue ? " overdue" : "") + '" data-id="' + m.id + '"><div>' +
    '<a href="/work/issues/' + m.id + '"><b>#' + m.id + " " + esc(m.category_name) + "</b></a>" +
    "<small>" + esc(STEP[m.step] || m.step) + " · " + esc(m.compound || m.community || "") +
    " · 期限 " + esc(m.due) + late + "</small><p>" + esc(m.description) + "</p>" + go + up + "</div></li>";
}

function visitHtml(v) {
  const when = new Date(v.visited_at).toLocaleString("zh-CN", { hour12: false });
  const photo = v.photo_url ? '<img src="' + esc(v.photo_url) + '" alt="现场照片" width="96" height="96">' : "";
  return '<li class="w-item"><div><b>' + esc(when) + "</b><small>" +
    esc([v.community, v.compound].filter(Boolean).join(" · ")) + (v.issue_id ? " · #" + v.issue_id : "") +
    "</small><p>" + esc(v.note) + "</p>" + photo + "</div></li>";
}

async function load() {
  const w = await api("/api/leader/workspace");
  state.workspace = w;
  $("#w-title").innerHTML = esc(w.official.name) + " <small>" + esc(w.official.post || "") + "</small>";
  $("#w-places").textContent = "包联: " + (w.places.map((p) => p.name).join("、") || "无");
  $("#w-halls").innerHTML = w.halls.map((h) => '<li class="w-item"><div><a href="/work/halls/' + h.id + '"><b>' +
    esc(h.name) + "</b></a><small>每" + esc(WEEKDAY[h.weekday]) + " · 下次 " + esc(h.next_session || "—") +
    "</small></div></li>").join("") || '<li class="w-empty">无 none</li>';
  $("#w-count").textContent = "(" + w.counts.open + ", 逾期 " + w.counts.overdue + ")";
  $("#w-matters").innerHTML = w.matters.map(matterHtml).join("") || '<li class="w-empty">没有待办 nothing open</li>';
  const pick = $("#w-visit").elements.issue_id;
  const chosen = pick.value;
  pick.innerHTML = '<option value="">无 (巡查) none</option>' + w.matters.map((m) =>
    '<option value="' + m.id + '">#' + m.id + " " + esc(m.category_name) + "</option>").join("");
  pick.value = chosen;
  $("#w-visits").innerHTML = w.visits.map(visitHtml).join("") || '<li class="w-empty">无 none</li>';
  $("#w-leader").removeAttribute("aria-busy");
  painted();
}

/* Dispatch (the five steps' own transition) or escalate one level up, from the spot. */
async function act(button, escalate) {
  const note = escalate
    ? prompt("上报原因 (本级为何解决不了) Why escalate", "")
    : prompt("派单说明 (派给哪个部门、怎么办) Dispatch note", "现场办公派单");
  if (note === null) return;
  const id = escalate ? button.dataset.escalate : button.dataset.dispatch;
  button.disabled = true;
  try {
    await api("/api/issues/" + id + (escalate ? "/escalate" : "/transitions"), {
      method: "POST", json: escalate ? { note } : { to: "dispatched", note },
      headers: { "If-Match": '"' + button.dataset.version + '"', "Idempotency-Key": newKey() },
    });
    message(NOTICE[escalate ? "escalated" : "dispatched"], "ok");
    await load();
  } catch (err) {
    message(explain(err));
    button.disabled = false;
  }
}

async function recordVisit(form) {
  const data = new FormData(form);
  if (!(data.get("note") || "").trim()) { message("请写明现场情况 (a note is needed)。"); return; }
  let pos;
  try {
    pos = await locate({ maximumAge: 0 });
  } catch (err) {
    message(err.message + " 现场办公需要位置 (a visit needs your position)。");
    return;
  }
  const body = new FormData();
  body.set("lon", String(pos.lon));
  body.set("lat", String(pos.lat));
  body.set("note", data.get("note").trim());
  body.set("visited_at", new Date().toISOString());
  if (data.get("issue_id")) body.set("issue_id", data.get("issue_id"));
  const photo = form.elements.file.files[0];
  if (photo) body.set("file", photo);
  $("#w-visit-send").disabled = true;
  try {
    await api("/api/leader/visits", { method: "POST", form: body, headers: { "Idempotency-Key": newKey() } });
    form.reset();
    message("已记录现场办公 visit recorded", "ok");
    await load();
  } catch (err) {
    message(explain(err));
  } finally {
    $("#w-visit-send").disabled = false;
  }
}

start(async () => {
  $("#w-matters").addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-dispatch], [data-escalate]");
    if (b) act(b, b.hasAttribute("data-escalate"));
  });
  $("#w-visit").addEventListener("submit", (ev) => { ev.preventDefault(); recordVisit(ev.target); });
  await load();
});
