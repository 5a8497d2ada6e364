/* /work/intake: a desk worker files a matter for a resident who phoned or came in. The place
 * comes from the address (GET /api/intake/address: the district's own names) or a tap on the
 * map; POST /api/intake/issues (Idempotency-Key: a retry after a lost answer is the same
 * matter) answers the resident's token and the SMS text to copy. What the page offers (the
 * form, the 12345 import) is the API's answer from the access table (GET /api/intake). */
import { $, api, esc, explain, message, newKey, painted, start, state } from "./app.js";
import { smallMap } from "./smallmap.js";

function reportHtml(r) {
  const c = r.counts || {};
  const names = { would_add: "将登记 to add", added: "已登记 added", unchanged: "已有 unchanged", problem: "无法登记 problems" };
  const counts = Object.entries(c).map(([k, v]) => esc(names[k] || k) + " " + esc(v)).join(" · ");
  const rows = r.results.filter((x) => x.status === "problem" || (x.duplicate_of || []).length || (x.duplicate_rows || []).length);
  const line = (x) => "<tr><th>第 " + esc(x.row) + " 行 " + esc(x.ticket_no) + "</th><td>" +
    (x.status === "problem" ? esc(x.field) + ": " + esc(x.reason)
      : "可能重复 possible duplicate: " + (x.duplicate_rows || []).map((n) => "第 " + esc(n) + " 行").join(", ") +
        " " + (x.duplicate_of || []).map((i) => '<a href="/work/issues/' + esc(i) + '">#' + esc(i) + "</a>").join(", ")) +
    "</td></tr>";
  return "<h2>" + (r.dry_run ? "试导入结果 (什么都没有保存) <small>Dry run: nothing stored</small>" : "已导入 <small>Imported</small>") +
    "</h2><p>" + esc(r.rows) + " 行 rows · " + counts + " · 可能重复 flagged " + esc(r.flagged) + "</p>" +
    (rows.length ? '<table class="w-table">' + rows.map(line).join("") + "</table>" : "");
}

function hotline() {
  const form = $("#w-hotline-form");
  const dry = $("#w-hotline-dry");
  const go = $("#w-hotline-go");
  async function send(dryRun) {
    if (!form.elements.file.files.length) { message("请先选择文件。Choose a file first."); return; }
    const fd = new FormData();
    fd.append("file", form.elements.file.files[0]);
    fd.append("dry_run", dryRun ? "true" : "false");
    dry.disabled = go.disabled = true;
    try {
      const report = await api("/api/intake/hotline", { method: "POST", form: fd });
      state.hotline = report;
      const box = $("#w-hotline-report");
      box.hidden = false;
      box.innerHTML = reportHtml(report);
      message(dryRun ? "试导入完成, 核对后可正式导入。" : "已导入。Imported.", "ok");
      go.disabled = !dryRun;
    } catch (err) {
      message(explain(err));
      go.disabled = true;
    } finally {
      dry.disabled = false;
    }
  }
  form.elements.file.addEventListener("change", () => { go.disabled = true; });
  dry.addEventListener("click", () => send(true));
  go.addEventListener("click", () => send(false));
}

start(async () => {
  const offered = await api("/api/intake");
  $("#w-hotline").hidden = !offered.may_import;
  if (offered.may_import) hotline();
  if (!offered.may_file) {
    message("本账号不能代为登记。This account may not file for residents.");
    painted();
    return;
  }
  const form = $("#w-intake");
  form.hidden = false;
  form.elements.channel.innerHTML = Object.entries(offered.channels)
    .map(([code, label]) => '<option value="' + esc(code) + '">' + esc(label) + "</option>").join("");
  const categories = await api("/api/categories");
  form.elements.category.innerHTML = categories
    .map((c) => '<option value="' + esc(c.code) + '">' + esc(c.name) + " " + esc(c.name_en) + "</option>").join("");
  const small = smallMap($("#w-map"));
  let point = null; // {lon, lat} of a tap; null: the address decides
  let pin = null;
  let key = null; // the Idempotency-Key of this matter, kept for its retries

  function mark(lat, lon, text) {
    if (!pin) pin = L.marker([lat, lon]).addTo(small.map);
    pin.setLatLng([lat, lon]);
    small.map.setView([lat, lon], 17);
    $("#w-found").textContent = text;
  }
  small.map.on("click", (ev) => {
    point = { lon: ev.latlng.lng, lat: ev.latlng.lat };
    mark(point.lat, point.lon, "地图点选 Tapped on the map: " + point.lon.toFixed(5) + ", " + point.lat.toFixed(5));
  });
  async function find() {
    const q = form.elements.address.value.trim();
    if (!q) return;
    const found = await api("/api/intake/address?q=" + encodeURIComponent(q));
    state.found = found;
    if (found.place) {
      point = null;
      mark(found.place.lat, found.place.lon, "找到 Found: " + found.place.label);
    } else {
      $("#w-found").textContent = found.reason + (found.candidates.length ? " (" + found.candidates.join(", ") + ")" : "") +
        " · 可在地图上点选 tap the map instead";
    }
  }
  $("#w-find").addEventListener("click", () => find().catch((e) => message(explain(e))));
  form.elements.address.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") { ev.preventDefault(); find().catch((e) => message(explain(e))); }
  });
  form.addEventListener("input", () => { key = null; });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    message("");
    const f = form.elements;
    const body = { channel: f.channel.value, category: f.category.value, description: f.description.value.trim() };
    ["reporter_name", "reporter_phone", "address"].forEach((k) => { if (f[k].value.trim()) body[k] = f[k].value.trim(); });
    if (point) Object.assign(body, point);
    if (key === null) key = newKey();
    $("#w-file").disabled = true;
    try {
      const filed = await api("/api/intake/issues", { method: "POST", json: body, headers: { "Idempotency-Key": key } });
      state.filed = filed;
      const box = $("#w-filed");
      box.hidden = false;
      box.innerHTML = '<h2>已登记 <small>Filed</small> <a href="/work/issues/' + filed.id + '">#' + filed.id + "</a></h2>" +
        "<p>发给群众的短信 SMS to the resident:</p>" +
        '<textarea id="w-sms" rows="4" readonly>' + esc(filed.sms) + "</textarea>" +
        '<button type="button" class="w-primary" id="w-copy">复制短信 Copy the SMS</button>' +
        '<p class="w-hint">查询链接 Tracking: <a href="' + esc(filed.track_url) + '">' + esc(filed.track_url) + "</a></p>";
      box.scrollIntoView({ block: "nearest" });
      $("#w-copy").addEventListener("click", async () => {
        $("#w-sms").select();
        try { await navigator.clipboard.writeText(filed.sms); } catch (e) { document.execCommand("copy"); }
        message("已复制, 请发送给群众。Copied.", "ok");
      });
      form.reset();
      point = null;
      key = null;
      message("已登记 #" + filed.id + "。Filed.", "ok");
    } catch (err) {
      message(explain(err));
    } finally {
      $("#w-file").disabled = false;
    }
  });
  painted();
});
