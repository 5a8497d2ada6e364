/* /work/programme/timeline?project=CODE&batch=CODE: planned against actual as a compact Gantt in
 * SVG (no chart library): per item its baseline (dashed outline), current plan (blue bar) and
 * actual (green, to its end or today), late items in red; the same figures as CSV or XLSX. */
import { $, api, esc, explain, message, painted, start, state } from "./app.js";

const DAY = 86400000;
const LABEL = 170, ROW = 18, TOP = 22, WIDTH = 900;
const t = (d) => Date.parse(String(d).slice(0, 10) + "T00:00:00Z");

function gantt(body, today) {
  const spans = body.items.flatMap((i) => [i.baseline_start, i.baseline_end, i.planned_start,
    i.planned_end, i.actual_start, i.actual_end].filter(Boolean).map(t));
  spans.push(today);
  const lo = Math.min(...spans), hi = Math.max(...spans) + DAY;
  const x = (ms) => LABEL + ((WIDTH - LABEL - 8) * (ms - lo)) / (hi - lo || DAY);
  const w = (a, b) => Math.max(2, x(t(b) + DAY) - x(t(a)));
  const height = TOP + ROW * body.items.length + 4;
  const rows = body.items.map((i, n) => {
    const y = TOP + n * ROW;
    const actualEnd = i.actual_end || (i.actual_start ? new Date(today).toISOString() : null);
    return '<g class="w-row' + (i.late ? " late" : "") + '" data-id="' + i.id + '">' +
      '<title>' + esc(i.name) + " · 基线 " + esc(i.baseline_start) + "—" + esc(i.baseline_end) + " · 计划 " +
      esc(i.planned_start) + "—" + esc(i.planned_end) + " · 实际 " + esc(i.actual_start || "—") + "—" +
      esc(i.actual_end || "") + " · " + esc(i.percent_done) + "%" + (i.late ? " · 滞后" : "") + "</title>" +
      '<text x="4" y="' + (y + 12) + '">' + (i.late ? "⚠ " : "") + esc(String(i.name).slice(0, 16)) + "</text>" +
      '<rect class="w-base" x="' + x(t(i.baseline_start)) + '" y="' + (y + 2) + '" width="' +
      w(i.baseline_start, i.baseline_end) + '" height="14"/>' +
      '<rect class="w-plan" x="' + x(t(i.planned_start)) + '" y="' + (y + 4) + '" width="' +
      w(i.planned_start, i.planned_end) + '" height="6"/>' +
      (i.actual_start ? '<rect class="w-actual" x="' + x(t(i.actual_start)) + '" y="' + (y + 10) +
        '" width="' + w(i.actual_start, actualEnd) + '" height="5"/>' : "") +
      (i.late ? '<rect class="w-lateflag" x="' + (x(t(i.planned_end) + DAY) - 1) + '" y="' + (y + 1) +
        '" width="3" height="16"/>' : "") + "</g>";
  }).join("");
  const ticks = [lo, (lo + hi) / 2, hi - DAY].map((ms) =>
    '<text x="' + x(ms) + '" y="12" text-anchor="middle">' + new Date(ms).toISOString().slice(0, 10) + "</text>").join("");
  return '<svg viewBox="0 0 ' + WIDTH + " " + height + '" role="img" aria-label="计划与实际甘特图">' + ticks + rows +
    '<line x1="' + x(today) + '" x2="' + x(today) + '" y1="14" y2="' + height + '" stroke="#8b1a1a" stroke-width="1.5"/></svg>';
}

start(async () => {
  const form = $("#w-pick");
  const q = new URLSearchParams(location.search);
  const projects = await api("/api/renovation/projects");
  form.project.innerHTML = '<option value="">选择项目 choose</option>' + projects.map((p) =>
    '<option value="' + esc(p.code) + '">' + esc(p.code + " " + p.name) + "</option>").join("");
  form.project.value = q.get("project") || "";

  async function draw() {
    const code = form.project.value;
    const chosen = projects.find((p) => p.code === code);
    const batches = chosen ? chosen.batches : [];
    const wanted = q.get("batch") || form.batch.value;
    form.batch.innerHTML = '<option value="">全部 all</option>' + batches.map((b) =>
      '<option value="' + esc(b.code) + '">' + esc(b.name) + "</option>").join("");
    form.batch.value = batches.some((b) => b.code === wanted) ? wanted : "";
    q.delete("batch");
    if (!code) { $("#w-gantt").innerHTML = ""; painted(); return; }
    const params = new URLSearchParams({ ...(form.batch.value ? { batch: form.batch.value } : {}) });
    const base = "/api/programme/projects/" + encodeURIComponent(code) + "/timeline";
    $("#w-csv").href = base + "?" + new URLSearchParams([...params, ["format", "csv"]]);
    $("#w-xlsx").href = base + "?" + new URLSearchParams([...params, ["format", "xlsx"]]);
    history.replaceState(null, "", "?" + new URLSearchParams({ project: code, ...Object.fromEntries(params) }));
    try {
      const body = await api(base + (params.toString() ? "?" + params : ""));
      const today = t(body.today);  // the district's day, by its clock
      $("#w-sum").textContent = body.items.length + " 项 items · 滞后 " + body.late + " late · 推迟 " + body.slipped + " slipped";
      $("#w-gantt").innerHTML = body.items.length ? gantt(body, today) : '<p class="w-empty">暂无工程项 no items</p>';
      state.timeline = { items: body.items.length, late: body.late };
    } catch (err) {
      message(explain(err));
    }
    painted();
  }
  form.addEventListener("change", draw);
  form.addEventListener("submit", (ev) => { ev.preventDefault(); draw(); });
  await draw();
});
