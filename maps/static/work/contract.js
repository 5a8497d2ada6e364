/* /work/contract: a contractor's phone. Its firm's items (GET /api/programme/my-items) and a
 * report on each: the share done, a note, a photo and which way the camera looked, where the
 * phone stands; sent through the outbox, provisional until a staff reviewer accepts it. A staff
 * reviewer sees the contractors' reports waiting for them (GET /api/programme/reports) and
 * accepts or rejects each. Both lists hold only rows the API allows this account. */
import {
  $, api, esc, explain, locate, message, newKey, onSent, painted, start, state, submit,
} from "./app.js";

let open = null; // the item whose report form is open
let items = [];

function itemHtml(i) {
  const waiting = i.provisional ? ' · <span class="w-late">' + i.provisional + " 条待审核 waiting</span>" : "";
  return '<li class="w-item" data-id="' + i.id + '"><div>' +
    '<button type="button" class="w-open" data-open="' + i.id + '" aria-expanded="' + (open === i.id) + '">' +
    "<b>" + esc(i.name) + "</b><small>" + esc(i.project) + (i.batch ? " · " + esc(i.batch) : "") +
    " · 计划 " + esc(i.planned_start) + " — " + esc(i.planned_end) + waiting + "</small></button>" +
    (open === i.id ? formHtml(i) : "") + "</div></li>";
}

function formHtml(i) {
  return '<form class="w-form" data-item="' + i.id + '" novalidate>' +
    '<label>完成比例 Share done (%)<input type="number" name="share" min="0" max="100" step="1" inputmode="numeric" required></label>' +
    '<label>说明 Note<textarea name="note" rows="2" maxlength="2000"></textarea></label>' +
    '<label class="w-file">现场照片 Photo<input type="file" name="photo" accept="image/*" capture="environment"></label>' +
    '<label>拍摄朝向 Bearing (° 北=0 东=90)<input type="number" name="bearing" min="0" max="359" step="1" inputmode="numeric"></label>' +
    '<button type="submit" class="w-primary">上报 Report</button></form>';
}

function reviewHtml(r) {
  const share = r.qty_done === null ? "" : Math.round((100 * r.qty_done) / r.planned_qty) + "%";
  return '<li class="w-item" data-report="' + r.id + '"><div><b>' + esc(r.item) + "</b><small>" +
    esc(r.project) + " · " + esc(r.firm) + " · " + esc(new Date(r.occurred_at).toLocaleString("zh-CN", { hour12: false })) +
    " · 距现场 " + Math.round(r.distance_m) + " 米</small><p>完成 " + esc(share) + (r.note ? " · " + esc(r.note) : "") + "</p>" +
    r.photos.map((p) => '<img src="' + esc(p.url) + '" alt="现场照片" width="96" height="96">').join("") +
    '<div class="w-buttons"><button type="button" class="w-act" data-verdict="accepted">通过 Accept</button>' +
    '<button type="button" class="w-act w-quiet" data-verdict="rejected">退回 Reject</button></div></div></li>';
}

async function report(form) {
  const data = new FormData(form);
  const item = items.find((i) => i.id === Number(form.dataset.item));
  const share = Number(data.get("share"));
  if (data.get("share") === "" || !(share >= 0 && share <= 100)) { message("请填写完成比例 0–100 (share done)。"); return false; }
  let pos;
  try {
    pos = await locate({ maximumAge: 0 });
  } catch (err) {
    message(err.message + " 上报需要现场位置 (a report needs your position)。");
    return false;
  }
  const json = {
    lon: pos.lon, lat: pos.lat, accuracy_m: Math.round(pos.accuracy * 10) / 10,
    occurred_at: new Date().toISOString(),
    qty_done: Math.round(share * item.planned_qty) / 100,
  };
  if ((data.get("note") || "").trim()) json.note = data.get("note").trim();
  const steps = [];
  const photo = form.elements.photo.files[0];
  if (photo) steps.push({ url: "/api/media/photos", key: newKey(), form: { file: { blob: photo, filename: photo.name || "photo.jpg" } } });
  const step = { url: "/api/programme/items/" + item.id + "/reports", key: newKey(), json };
  if (photo) {
    step.photosFrom = 0;
    step.photoKind = "during";
    if (data.get("bearing") !== "") step.photoBearing = Number(data.get("bearing")) % 360;
  }
  steps.push(step);
  const outcome = await submit("施工上报 " + item.name + " " + share + "%", steps);
  if (outcome.state === "sent") {
    message("已上报, 待审核 (reported; provisional until a reviewer accepts it)。", "ok");
    state.reported = outcome.job;
  } else if (outcome.state === "offline") {
    message("网络不通: 已保存在手机上, 联网后自动发送一次 (queued)。", "queued");
  } else {
    message(explain({ status: outcome.job.error.status, body: outcome.job.error.body }));
    return false; // keep the form as typed
  }
  return true;
}

start(async () => {
  async function load() {
    let reviews;
    try {
      [items, reviews] = await Promise.all([api("/api/programme/my-items"), api("/api/programme/reports")]);
    } catch (err) {
      $("#w-items").innerHTML = '<li class="w-empty">' + esc(explain(err)) + "</li>";
      return;
    }
    state.contract = { items: items.length, reviews: reviews.length };
    render();
    $("#w-mine").hidden = items.length === 0 && reviews.length > 0;
    $("#w-review").hidden = reviews.length === 0;
    $("#w-reviews").innerHTML = reviews.map(reviewHtml).join("");
    painted();
  }
  function render() {
    $("#w-items").innerHTML = items.map(itemHtml).join("") ||
      '<li class="w-empty">本单位暂无交办的工程 No items handed to your firm.</li>';
  }
  $("#w-items").addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-open]");
    if (!b) return;
    open = open === Number(b.dataset.open) ? null : Number(b.dataset.open);
    render();
  });
  $("#w-items").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = ev.target.querySelector("button[type=submit]");
    button.disabled = true;
    const sent = await report(ev.target);
    button.disabled = false;
    if (sent) { open = null; await load(); }
  });
  $("#w-reviews").addEventListener("click", async (ev) => {
    const b = ev.target.closest("[data-verdict]");
    if (!b) return;
    const li = b.closest("li");
    try {
      await api("/api/programme/reports/" + li.dataset.report + "/review", {
        method: "POST", json: { state: b.dataset.verdict }, headers: { "Idempotency-Key": newKey() },
      });
      message(b.dataset.verdict === "accepted" ? "已通过 (accepted)。" : "已退回 (rejected)。", "ok");
      li.remove();
    } catch (err) {
      message(explain(err));
    }
  });
  onSent(load);
  await load();
  const where = $("#w-where");
  try {
    const here = await locate();
    where.textContent = "已定位 (精度 ±" + Math.round(here.accuracy) + " 米), 上报时再取一次位置";
  } catch (err) {
    where.textContent = err.message + " 上报需要现场位置。";
    where.classList.add("w-warn");
  }
});
