/* /work/admin/unit-pairings: departments and member units paired with communities (结对共建);
 * an administrator pairs a unit from a day and ends a pairing (If-Match: its version). What
 * is allowed is the server's (access: manage_unit_pairings); this page only asks. */
import { $, api, esc, explain, message, newKey, painted, start } from "./app.js";

function pairingHtml(p) {
  const end = p.until ? " — " + esc(p.until) : ' <button type="button" class="w-quiet-button" data-end="' +
    p.id + '" data-version="' + p.version + '">结束 End</button>';
  return '<li class="w-item"><div><b>' + esc(p.community.name) + "</b> <small>" +
    esc(p.unit.kind === "department" ? "部门" : "成员单位") + "</small><p>" + esc(p.unit.name) +
    " · 自 " + esc(p.since) + end + "</p></div></li>";
}

async function load() {
  const pairings = await api("/api/unit-pairings");
  $("#w-list").innerHTML = pairings.map(pairingHtml).join("") || '<li class="w-empty">无 none</li>';
  const pick = $("#w-pair").elements.community_id;
  if (!pick.options.length) {
    const seen = new Map(pairings.map((p) => [p.community.id, p.community.name]));
    pick.innerHTML = [...seen].map(([id, name]) => '<option value="' + id + '">' + esc(name) + "</option>").join("");
  }
  $("#w-unit-pairings").removeAttribute("aria-busy");
  painted();
}

async function act(run) {
  try {
    await run();
    message("已保存 saved", "ok");
  } catch (err) {
    message(explain(err));
  }
  await load();
}

start(async () => {
  $("#w-list").addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-end]");
    if (!b) return;
    const until = prompt("结束日期 Last day (YYYY-MM-DD)", new Date().toISOString().slice(0, 10));
    if (!until) return;
    act(() => api("/api/unit-pairings/" + b.dataset.end, { method: "PATCH", json: { until },
      headers: { "If-Match": '"' + b.dataset.version + '"', "Idempotency-Key": newKey() } }));
  });
  $("#w-pair").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = ev.target.elements;
    const json = { community_id: Number(f.community_id.value), since: f.since.value };
    if (f.department_id.value) json.department_id = Number(f.department_id.value);
    if (f.unit_id.value) json.unit_id = Number(f.unit_id.value);
    act(() => api("/api/unit-pairings", { method: "POST", json, headers: { "Idempotency-Key": newKey() } }));
  });
  await load();
});
