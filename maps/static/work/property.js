/* /work/property: a property firm's compounds, their fee standards and finance statements
 * (三公开); for administrators, the register of firms. What is allowed is the server's
 * (access: publish_property, manage_property_firms); this page only asks. */
import { $, api, esc, explain, message, newKey, painted, start } from "./app.js";
import { VOCABULARY } from "./vocabulary.js";

const STEPS = VOCABULARY.method_steps;
const KIND = Object.fromEntries(Object.entries(VOCABULARY.property_firms).map(([k, t]) => [k, t.zh]));
let mine = null;

function compound() {
  return Number($("#w-compound").value);
}

async function showCompound() {
  const id = compound();
  if (!id) return;
  const [fees, published] = await Promise.all([
    api("/api/compounds/" + id + "/property/fees"),
    api("/api/compounds/" + id + "/property"),
  ]);
  $("#w-fees").innerHTML = fees.map((f) =>
    '<li class="w-item" data-fee="' + f.id + '" data-version="' + f.version + '"><div><b>' + esc(f.item) +
    "</b> <small>" + esc(f.period_start) + " 至 " + esc(f.period_end) + "</small>" +
    '<label class="w-inline">' + esc(f.unit) + '<input type="number" min="0" step="0.01" data-price value="' +
    esc(f.price) + '"></label></div></li>').join("") || '<li class="w-empty">无 none</li>';
  const st = published.statement;
  $("#w-public").innerHTML = st
    ? "最新财务公开 Latest statement: " + esc(st.period_start) + " 至 " + esc(st.period_end) +
      ' · <a href="' + esc(st.url) + '">' + esc(st.filename) + "</a> · " +
      '<a href="/posting/compounds/' + id + '">公示栏 Public page</a>'
    : "尚无财务公开 No statement yet";
}

function methodCompound() {
  return Number($("#w-method-compound").value);
}

async function showSteps() {
  const id = methodCompound();
  if (!id) return;
  try {
    const steps = await api("/api/compounds/" + id + "/property/steps");
    $("#w-steps").innerHTML = steps.map((s) => '<li class="w-item"><div><b>' +
      esc((STEPS[s.step] || {}).zh || s.step) + "</b> <small>" + esc(s.done_on) + "</small><p>" +
      esc(s.note) + "</p></div></li>").join("") || '<li class="w-empty">尚无记录 none yet</li>';
  } catch (err) {
    $("#w-steps").innerHTML = '<li class="w-empty">' + esc(explain(err)) + "</li>";
  }
}

async function load() {
  mine = await api("/api/property/mine");
  if (mine.firm) {
    $("#w-firm").hidden = false;
    $("#w-firm-name").textContent = mine.firm.name + " · " + (KIND[mine.firm.kind] || "") +
      " · 服务 " + mine.served.length + " 个小区";
    const keep = compound();
    $("#w-compound").innerHTML = mine.served.map((c) =>
      '<option value="' + c.id + '">' + esc(c.name) + " (" + esc(c.community) + ")</option>").join("");
    if (keep) $("#w-compound").value = String(keep);
    await showCompound();
    if (!methodCompound()) $("#w-method-compound").value = String(compound() || "");
  }
  await showSteps();
  if (mine.firms) {
    $("#w-register").hidden = false;
    $("#w-firms").innerHTML = mine.firms.map((f) => '<li class="w-item"><div><b>' + esc(f.name) +
      "</b> <small>" + esc(KIND[f.kind] || f.kind) + " · " + esc(f.hotline || "—") + " · " +
      f.compounds + " 个小区</small></div></li>").join("");
  }
  $("#w-property").removeAttribute("aria-busy");
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

function fields(form) {
  return Object.fromEntries(new FormData(form).entries());
}

start(async () => {
  $("#w-step [name=step]").innerHTML = Object.entries(STEPS)
    .map(([code, t]) => '<option value="' + code + '">' + esc(t.zh + " " + t.en) + "</option>").join("");
  const asked = new URLSearchParams(location.search).get("compound");
  if (asked) $("#w-method-compound").value = asked;
  $("#w-method-compound").addEventListener("change", () => showSteps());
  $("#w-step").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const json = fields(ev.target);
    act(() => api("/api/compounds/" + methodCompound() + "/property/steps",
      { method: "POST", json, headers: { "Idempotency-Key": newKey() } }));
  });
  $("#w-compound").addEventListener("change", () => showCompound().catch((e) => message(explain(e))));
  $("#w-fees").addEventListener("change", (ev) => {
    const li = ev.target.closest("[data-fee]");
    if (!li || !ev.target.matches("[data-price]")) return;
    act(() => api("/api/property/fees/" + li.dataset.fee, {
      method: "PATCH", json: { price: ev.target.value },
      headers: { "If-Match": '"' + li.dataset.version + '"', "Idempotency-Key": newKey() },
    }));
  });
  $("#w-fee").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const json = fields(ev.target);
    act(() => api("/api/compounds/" + compound() + "/property/fees",
      { method: "POST", json, headers: { "Idempotency-Key": newKey() } }));
  });
  $("#w-statement").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    act(() => api("/api/compounds/" + compound() + "/property/statements",
      { method: "POST", form, headers: { "Idempotency-Key": newKey() } }));
  });
  $("#w-new-firm").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const json = fields(ev.target);
    if (!json.hotline) delete json.hotline;
    act(() => api("/api/property/firms", { method: "POST", json, headers: { "Idempotency-Key": newKey() } }));
  });
  await load();
});
