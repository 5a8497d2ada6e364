/* /work/halls/{id}: this week's agenda and the session record: date, attending bodies, head
 * count, and per topic a decision (with owner department and due date when it dispatches),
 * sent as one POST /api/halls/{id}/sessions through the outbox with an Idempotency-Key: with
 * no connection it waits on the phone and is sent once when the connection is back (by the
 * service worker's Background Sync even with no page open, or when a workspace page opens). */
import { $, api, esc, explain, message, newKey, onSent, painted, start, state, submit } from "./app.js";
import { BODIES, BODY, OUTCOME, STEP } from "./labels.js";

const id = Number(location.pathname.split("/").filter(Boolean).pop());

function itemHtml(item, depts) {
  const n = item.id;
  const outcomes = Object.entries(OUTCOME)
    .filter(([k]) => !(k === "topic" && item.step === "topic"))
    .map(([k, v]) => '<option value="' + k + '">' + esc(v) + "</option>").join("");
  return '<li data-id="' + n + '" data-version="' + item.version + '">' +
    '<div class="w-row"><span class="w-step s-' + esc(item.step) + '">' + esc(STEP[item.step]) + "</span><b>#" + n +
    " " + esc(item.category_name) + '</b><small class="w-dist">附议 ' + item.supporters + "</small></div>" +
    "<p>" + esc(item.description) + "</p><small>" + esc((item.compound || {}).name || "") + "</small>" +
    '<label>决定 Decision<select name="outcome-' + n + '">' + outcomes + "</select></label>" +
    '<div class="w-decided" hidden><label>决定内容 / 理由 Text<textarea name="text-' + n + '" rows="2"></textarea></label>' +
    '<div class="w-dispatch" hidden><label>责任部门 Owner<select name="dept-' + n + '"><option value="">按类别默认 (by category)</option>' +
    depts.map((d) => '<option value="' + d.id + '">' + esc(d.name) + "</option>").join("") + "</select></label>" +
    '<label>完成期限 Due<input type="date" name="due-' + n + '"></label></div></div></li>';
}

function recordedHtml(s) {
  const bodies = (s.bodies || []).map((b) => b.name || BODY[b.kind] || b.kind);
  return "<p>" + esc(s.held_on) + " · " + esc(s.attendees ?? "?") + " 人 · " + esc(bodies.join("、")) + "</p><ul>" +
    s.decisions.map((d) => '<li><a href="/work/issues/' + d.issue_id + '">#' + d.issue_id + "</a> " +
      esc(OUTCOME[d.outcome] || d.outcome) + ": " + esc(d.text) + (d.due_on ? " (截止 " + esc(d.due_on) + ")" : "") +
      ' <span class="w-step s-' + esc(d.step) + '">' + esc(STEP[d.step]) + "</span></li>").join("") + "</ul>";
}

function sessionBody(form, week) {
  const data = new FormData(form);
  const bodies = BODIES.filter(([k]) => data.get("body-" + k)).map(([k]) => ({ kind: k }));
  (data.get("members") || "").split(/[、,，;；]/).map((x) => x.trim()).filter(Boolean)
    .forEach((name) => bodies.push({ kind: "member_unit", name }));
  const decisions = [];
  form.querySelectorAll("#w-agenda > li").forEach((li) => {
    const n = li.dataset.id;
    const outcome = data.get("outcome-" + n);
    if (!outcome) return;
    const d = { issue_id: Number(n), outcome, text: (data.get("text-" + n) || "").trim(), version: Number(li.dataset.version) };
    if (!d.text) d.text = outcome === "topic" ? OUTCOME.topic : "";
    if (outcome === "dispatched") {
      if (data.get("dept-" + n)) d.owner_department_id = Number(data.get("dept-" + n));
      if (data.get("due-" + n)) d.due_on = data.get("due-" + n);
    }
    decisions.push(d);
  });
  const missing = decisions.find((d) => !d.text);
  if (missing) throw new Error("请填写 #" + missing.issue_id + " 的决定内容或理由。");
  const body = { week, held_on: data.get("held_on") || undefined, bodies, decisions };
  if (data.get("attendees")) body.attendees = Number(data.get("attendees"));
  if ((data.get("note") || "").trim()) body.note = data.get("note").trim();
  return body;
}

start(async () => {
  const form = $("#w-session");
  $("#w-bodies").innerHTML = BODIES.map(([k, v]) => '<label><input type="checkbox" name="body-' + k + '">' + esc(v) + "</label>").join("");
  const [agenda, depts] = await Promise.all([api("/api/halls/" + id + "/agenda"), api("/api/departments").catch(() => [])]);
  state.agenda = agenda;

  function show(a) {
    $("#w-title").innerHTML = esc(a.hall.name) + " <small>Council hall</small>";
    document.title = a.hall.name + " · 议事厅工作台";
    $("#w-week").textContent = a.week + " · 例会日 " + a.session_day + " · 议程 " + a.items.length + " 项 (按附议、等待时间和紧急程度排序)";
    if (a.session) {
      state.recorded = a.session;
      form.hidden = true;
      $("#w-recorded").hidden = false;
      $("#w-recorded div").innerHTML = recordedHtml(a.session);
    } else {
      form.elements.held_on.value = form.elements.held_on.value || a.session_day;
      $("#w-agenda").innerHTML = a.items.map((i) => itemHtml(i, depts)).join("") ||
        '<li class="w-empty">本周没有待议的问题 Nothing on the agenda.</li>';
    }
    $("#w-hall").removeAttribute("aria-busy");
    painted();
  }
  show(agenda);
  // A session queued offline and sent later (by this page or the service worker): show it.
  const reload = async () => {
    const fresh = await api("/api/halls/" + id + "/agenda").catch(() => null);
    if (fresh && fresh.session) {
      state.recorded = fresh.session;
      show(fresh);
    }
  };
  onSent(reload);
  window.addEventListener("work:outbox-sent", reload);

  form.addEventListener("change", (ev) => {
    const sel = ev.target;
    if (!sel.name || !sel.name.startsWith("outcome-")) return;
    const li = sel.closest("li");
    li.querySelector(".w-decided").hidden = !sel.value;
    li.querySelector(".w-dispatch").hidden = sel.value !== "dispatched";
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    let body;
    try {
      body = sessionBody(form, agenda.week);
    } catch (err) {
      message(err.message);
      return;
    }
    const button = $("#w-record");
    button.disabled = true;
    const steps = [{ url: "/api/halls/" + id + "/sessions", json: body, key: newKey() }];
    const outcome = await submit("议事厅会议 " + agenda.week + " · " + $("#w-title").textContent.split(" ")[0], steps);
    button.disabled = false;
    if (outcome.state === "sent") {
      const session = outcome.job.results[0];
      message("已记录本次议事 (recorded): " + session.decisions.length + " 项决定。", "ok");
      show({ ...agenda, session });
      state.recorded = session;
    } else if (outcome.state === "offline") {
      message("网络不通: 会议记录已保存在本机, 联网后自动发送一次 (queued; see 待发送 below)。", "queued");
      state.queued = true;
    } else {
      // Nothing was stored (one transaction): say why, keep the form as typed.
      const err = outcome.job.error;
      message(explain({ status: err.status, body: err.body }));
    }
  });
});
