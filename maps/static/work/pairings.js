/* /work/admin/pairings: the district's leaders and the places they are paired with; an
 * administrator pairs and unpairs places and links the leader account each signs in with.
 * What is allowed is the server's (access: manage_pairings); this page only asks. */
import { $, api, esc, explain, message, painted, start } from "./app.js";

let data = null;

function leaderHtml(l) {
  const kind = l.standing_committee ? "subdistrict" : "community";
  const places = l.pairings.map((p) => esc(p.name) + ' <button type="button" class="w-quiet-button" data-unpair="' +
    p.id + '" aria-label="解除 ' + esc(p.name) + '">×</button>').join("、") || "—";
  const free = data.unpaired.filter((p) => p.kind === kind)
    .map((p) => '<option value="' + p.id + '">' + esc(p.name) + "</option>").join("");
  const short = l.short_of_communities ? ' <span class="w-late">少于 2 个社区</span>' : "";
  return '<li class="w-item" data-official="' + l.id + '" data-kind="' + kind + '"><div><b>' + esc(l.name) +
    "</b> <small>" + esc(l.post || "") + (l.standing_committee ? " · 常委" : "") + " · 五包一 " + l.five_to_one +
    " 个小区</small><p>" + places + short + "</p>" +
    '<label class="w-inline">包联 Pair<select data-pair><option value="">—</option>' + free + "</select></label>" +
    '<label class="w-inline">账号 Account id<input type="number" min="1" inputmode="numeric" data-account value="' +
    (l.account ? l.account.id : "") + '"></label></div></li>';
}

async function load() {
  data = await api("/api/admin/pairings");
  $("#w-leaders").innerHTML = data.leaders.map(leaderHtml).join("");
  $("#w-unpaired").textContent = data.unpaired.map((p) => p.name).join("、") || "全部已包联 all paired";
  $("#w-pairings").removeAttribute("aria-busy");
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
  const list = $("#w-leaders");
  list.addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-unpair]");
    if (b) act(() => api("/api/admin/pairings/" + b.dataset.unpair, { method: "DELETE" }));
  });
  list.addEventListener("change", (ev) => {
    const li = ev.target.closest("[data-official]");
    const official = Number(li.dataset.official);
    if (ev.target.matches("[data-pair]") && ev.target.value) {
      const json = { official_id: official, [li.dataset.kind + "_id"]: Number(ev.target.value) };
      act(() => api("/api/admin/pairings", { method: "POST", json }));
    } else if (ev.target.matches("[data-account]")) {
      const value = ev.target.value ? Number(ev.target.value) : null;
      act(() => api("/api/admin/officials/" + official + "/account", { method: "PUT", json: { account_id: value } }));
    }
  });
  await load();
});
