/* /work/imports: a planner chooses a survey file and a layer (and, if needed, the CRS, the
 * encoding, a field map and the source), runs a dry run and reads its report, then imports for
 * real. Both are POST /api/imports (multipart, CSRF header) like any client's; the import
 * carries an Idempotency-Key, so a retry after a lost answer is the same import, not a second.
 * Whether the account may import is the API's answer (403 explained), not decided here. */
import { $, api, esc, explain, message, newKey, painted, start, state } from "./app.js";

const LAYER_ZH = {
  subdistricts: "街道", communities: "社区", compounds: "小区", buildings: "楼栋",
  illegal_structures: "违法建设", charging_stations: "充电站", courtyards: "院落",
  relics: "文物遗存", roads: "道路",
};

function formData(form, dryRun) {
  const fd = new FormData();
  fd.append("file", form.elements.file.files[0]);
  fd.append("layer", form.elements.layer.value);
  ["crs", "encoding", "source", "file_layer"].forEach((k) => {
    const v = form.elements[k].value.trim();
    if (v) fd.append(k, v);
  });
  form.elements.map.value.split(/\n/).map((x) => x.trim()).filter(Boolean).forEach((m) => fd.append("map", m));
  fd.append("dry_run", dryRun ? "true" : "false");
  if (form.elements.remove_missing.checked) fd.append("remove_missing", "true");
  return fd;
}

/* What the form would send, to tell whether the dry run shown is of what will be imported. */
function choice(form) {
  const f = form.elements.file.files[0];
  const fields = ["layer", "crs", "encoding", "source", "file_layer", "map"].map((k) => form.elements[k].value.trim());
  return JSON.stringify([f && f.name, f && f.size, f && f.lastModified, ...fields, form.elements.remove_missing.checked]);
}

function row(label, value) {
  return "<tr><th>" + label + "</th><td>" + value + "</td></tr>";
}

function list(items, fmt) {
  return items && items.length ? "<ul>" + items.map((x) => "<li>" + fmt(x) + "</li>").join("") + "</ul>" : "";
}

function reportHtml(r) {
  const c = r.changes || {};
  const g = r.geometry || {};
  const out = r.outside_district || {};
  const unmapped = (r.mapping || {}).unmapped || [];
  const mapped = Object.entries((r.mapping || {}).fields || {}).map(([f, col]) => esc(f) + "=" + esc(col)).join(", ");
  const parents = Object.entries(r.parents || {}).map(([col, p]) =>
    esc(col) + ": " + esc(p.found ?? 0) + (p.from === "file" ? " 由文件 from the file, " : " 按位置 by location, ") +
    esc(p.straddling_count ?? 0) + " 跨界, " + esc(p.outside_count ?? 0) + " 不在任何" + esc(p.table)).join("<br>");
  const measures = Object.entries(r.measures || {}).map(([k, v]) =>
    esc(k) + " " + (typeof v === "object" && v ? Object.entries(v).map(([a, b]) => esc(a) + " " + esc(b)).join(", ") : esc(v))).join("<br>");
  const head = r.dry_run
    ? "试导入结果 (什么都没有保存) <small>Dry run: nothing stored</small>"
    : r.stored ? "已导入 <small>Imported</small>" + (r.import_log_id ? " · 记录 #" + r.import_log_id : "") : "未导入";
  return "<h2>" + head + "</h2>" +
    (r.problems && r.problems.length
      ? '<div class="w-message error"><b>问题 (正式导入会被拒绝):</b>' + list(r.problems, esc) + "</div>"
      : '<p class="w-message ok">没有发现阻止导入的问题。 No problems.</p>') +
    '<table class="w-table">' +
    row("文件 File", esc(r.file) + " · " + esc(r.format) + (r.file_layer ? " · " + esc(r.file_layer) : "")) +
    row("要素 Features", esc(r.features) + " → " + esc(LAYER_ZH[r.layer] || r.layer) + " (" + esc(r.layer) + ")") +
    row("坐标系 CRS", esc(r.crs.used) + " <small>(" + esc(r.crs.from) + ")</small>") +
    row("编码 Encoding", esc(r.encoding || "—")) +
    row("字段 Fields", (mapped || "—") + (unmapped.length ? "<br><small>未对应 unmapped: " + esc(unmapped.join(", ")) + "</small>" : "")) +
    row("编号 Ids", esc((r.mapping || {}).source_id || "")) +
    row("无效几何 Invalid", esc(g.invalid_count ?? 0) + " (ST_MakeValid 可修复 " + esc(g.repaired_by_make_valid ?? 0) + ")" +
      list(g.invalid, (x) => esc(x.source_id || "") + " " + esc(x.label || "") + ": " + esc(x.reason) + (x.repairable ? " (可修复)" : ""))) +
    row("区外 Outside", esc(out.count ?? 0) + (out.crs_that_fit && out.crs_that_fit.length ? " · 可能的坐标系: " + esc(out.crs_that_fit.join(", ")) : "")) +
    row("重复 Duplicates", "编号 " + esc(((r.duplicates || {}).ids || []).length) + " · 名称 " + esc(((r.duplicates || {}).names || []).length)) +
    row("上级 Parents", parents || "—") +
    row("重叠 Overlaps", esc((r.overlaps || {}).count ?? 0) + " 与已有要素 with existing") +
    row("降维 3D/M", "Z " + esc((r.dimensions_dropped || {}).z ?? 0) + " · M " + esc((r.dimensions_dropped || {}).m ?? 0)) +
    row("面积/长度 Measures", measures || "—") +
    row("变化 Changes", "新增 " + esc(c.added) + " · 修改 " + esc(c.changed) + " · 未变 " + esc(c.unchanged) +
      " · 缺失 " + esc(c.missing) + (c.removed ? " · 删除 " + esc(c.removed) : "")) +
    "</table>";
}

function logHtml(entry) {
  const c = entry.counts || {};
  return '<li class="w-item"><div class="w-row"><b>#' + entry.id + " " + esc(LAYER_ZH[entry.layer] || entry.layer) +
    " · " + esc(entry.source) + '</b><small class="w-dist">' +
    esc(new Date(entry.at).toLocaleString("zh-CN", { hour12: false })) + "</small></div><p>" + esc(entry.filename) +
    " · " + esc(entry.crs) + " · " + esc(entry.encoding) + " · " + esc(entry.account || "命令行 CLI") +
    "</p><small>要素 " + esc(c.features) + " · 新增 " + esc(c.added) + " · 修改 " + esc(c.changed) +
    " · 未变 " + esc(c.unchanged) + " · 缺失 " + esc(c.missing) + " · 删除 " + esc(c.removed) +
    " · SHA-256 " + esc(String(entry.sha256).slice(0, 12)) + "…</small></li>";
}

start(async () => {
  const form = $("#w-import");
  const dry = $("#w-dry-run");
  const go = $("#w-do-import");
  let checked = null; // the choice the report shown was made for
  let key = null; // the Idempotency-Key of the import of that choice (kept for its retries)

  async function showLog() {
    const data = await api("/api/imports");
    const select = form.elements.layer;
    if (!select.options.length) {
      select.innerHTML = data.layers.map((l) =>
        '<option value="' + esc(l) + '">' + esc(LAYER_ZH[l] || l) + " " + esc(l) + "</option>").join("");
    }
    $("#w-log").innerHTML = data.log.map(logHtml).join("") || '<li class="w-empty">还没有导入记录 No imports yet.</li>';
    state.log = data.log;
  }

  function show(report) {
    state.report = report;
    const box = $("#w-report");
    box.hidden = false;
    box.innerHTML = reportHtml(report);
  }

  async function send(dryRun) {
    if (!form.elements.file.files.length) {
      message("请先选择文件。Choose a file first.");
      return;
    }
    message("");
    dry.disabled = go.disabled = true;
    const now = choice(form);
    const headers = {};
    if (!dryRun) {
      if (key === null || checked !== now) key = newKey();
      headers["Idempotency-Key"] = key;
    }
    try {
      const report = await api("/api/imports", { method: "POST", form: formData(form, dryRun), headers });
      show(report);
      if (dryRun) {
        checked = now;
        key = null;
        message(report.problems.length ? "试导入发现问题, 请修改后再试。" : "试导入完成, 可以正式导入。", report.problems.length ? "error" : "ok");
      } else {
        checked = null;
        message("已导入 " + report.features + " 个要素。Imported.", "ok");
        await showLog();
      }
    } catch (err) {
      if (err.body && err.body.report) show(err.body.report);
      message(explain(err));
    } finally {
      dry.disabled = false;
      allow();
    }
  }

  /* Import only what a clean dry run has just checked, unchanged since. */
  function allow() {
    const r = state.report;
    go.disabled = !(checked !== null && checked === choice(form) && r && r.dry_run && !r.problems.length);
  }
  form.addEventListener("input", allow);
  form.addEventListener("change", allow);
  dry.addEventListener("click", () => send(true));
  go.addEventListener("click", () => send(false));
  await showLog();
  painted();
});
