/* /work: what waits for me, overdue first, with metres from where I stand (computed by the
 * API), as a list and a map; filters by step, category and compound kept in the address. */
import { $, api, esc, explain, locate, message, painted, start, state } from "./app.js";
import { STEP } from "./labels.js";
import { showNotices } from "./notices.js";
import { smallMap } from "./smallmap.js";

const FIELDS = ["step", "category", "compound"];
const KEEP_OFFLINE = 15; // issues (and their photos) fetched ahead so they read offline

function dueText(item) {
  if (!item.due) return "";
  const days = Math.round((new Date(item.due) - new Date(new Date().toDateString())) / 86400000);
  if (item.overdue) return '<span class="w-late">逾期 ' + -days + " 天</span>";
  return "截止 " + esc(item.due.slice(5)) + (days <= 1 ? ' <span class="w-soon">(' + (days ? "明天" : "今天") + ")</span>" : "");
}

/* The 签收 and first-feedback (反馈) clocks as small lights beside the due date. */
function clockLights(i) {
  const light = (colour, zh, en) => colour ? ' <span class="w-clock c-' + esc(colour) + '" title="' + en + '">' + zh + "</span>" : "";
  return light(i.receipt_light, "签收", "sign for") + light(i.feedback_light, "反馈", "first feedback");
}

function itemHtml(i) {
  const dist = i.distance_m === null || i.distance_m === undefined ? "" :
    '<span class="w-dist">' + (i.distance_m < 1000 ? Math.round(i.distance_m) + " 米" : (i.distance_m / 1000).toFixed(1) + " 公里") + "</span>";
  return '<li class="w-item' + (i.overdue ? " overdue" : "") + '" data-id="' + i.id + '">' +
    '<a href="/work/issues/' + i.id + '"><div class="w-row"><span class="w-step s-' + esc(i.step) + '">' +
    esc(STEP[i.step] || i.step) + "</span><b>" + esc(i.category_name) + "</b>" + dist + "</div>" +
    "<p>" + esc(i.description) + "</p><small>#" + i.id + " · " + esc((i.compound || i.community || {}).name || "") +
    " · " + dueText(i) + clockLights(i) + "</small></a></li>";
}

function fillFilters(form, filters, chosen) {
  FIELDS.forEach((f) => {
    const sel = form.querySelector("select[name=" + f + "]");
    const opts = (filters[f] || []).map((o) => '<option value="' + esc(o.value) + '">' +
      esc(f === "step" ? STEP[o.value] || o.name : o.name) + " (" + o.count + ")</option>");
    sel.innerHTML = '<option value="">全部</option>' + opts.join("");
    sel.value = chosen[f] || "";
  });
}

function keepForOffline(items) {
  // Through the service worker, which keeps the answers and the photos.
  items.slice(0, KEEP_OFFLINE).forEach((i, n) => {
    setTimeout(() => {
      api("/api/work/issues/" + i.id, { redirect: false })
        .then((full) => (full.photos || []).slice(0, 3).forEach((p) => fetch(p.url).catch(() => null)))
        .catch(() => null);
    }, 300 + 150 * n);
  });
}

start(async () => {
  const params = new URLSearchParams(location.search);
  const chosen = Object.fromEntries(FIELDS.map((f) => [f, params.get(f) || ""]));
  const filters = $("#w-filters");
  if (FIELDS.some((f) => chosen[f])) filters.open = true;
  const map = smallMap($("#w-map"));
  let pos = null;
  let first = true;

  async function load() {
    const q = new URLSearchParams();
    FIELDS.forEach((f) => chosen[f] && q.set(f, chosen[f]));
    if (pos) { q.set("lon", pos.lon.toFixed(7)); q.set("lat", pos.lat.toFixed(7)); }
    let body;
    try {
      body = await api("/api/work" + (q.toString() ? "?" + q : ""));
    } catch (err) {
      if (err.status !== 401) $("#w-items").innerHTML = '<li class="w-empty">' + esc(explain(err)) + "</li>";
      return;
    }
    state.work = body;
    $("#w-count").textContent = body.items.length + (body.total !== body.items.length ? " / " + body.total : "");
    $("#w-items").innerHTML = body.items.map(itemHtml).join("") ||
      '<li class="w-empty">没有等待您处理的问题 Nothing waiting.</li>';
    fillFilters(filters, body.filters, chosen);
    $("#w-halls").innerHTML = (body.halls || []).map((h) =>
      '<a class="w-chip" href="/work/halls/' + h.id + '">' + esc(h.name) + " →</a>").join("");
    $("#w-tickets").innerHTML = (body.problem_tickets || []).map((t) =>
      '<a class="w-chip w-late" href="/work/issues/' + t.id + '">问题工单 #' + t.id + " →</a>").join("");
    showShortlist();
    map.show(body.items);
    map.me(pos);
    map.fit();
    painted();
    if (first && !state.offline) keepForOffline(body.items);
    first = false;
  }

  /* 今日清单: my assigned matters in the order of the round from where I stand (kept offline
   * by the service worker like the list). */
  async function showShortlist() {
    const q = pos ? "?lon=" + pos.lon.toFixed(7) + "&lat=" + pos.lat.toFixed(7) : "";
    const mine = await api("/api/work/shortlist" + q, { redirect: false }).catch(() => null);
    const box = $("#w-shortlist");
    box.hidden = !mine || !mine.items.length;
    if (box.hidden) return;
    state.shortlist = mine;
    box.querySelector("ol").innerHTML = mine.items.map((i) => '<li><a href="/work/issues/' + i.id + '">#' + i.id +
      " " + esc(i.category_name) + " <small>" + esc(i.description.slice(0, 30)) + "</small></a></li>").join("");
    box.querySelector("small.w-round").textContent = mine.round ? "按路线 " + Math.round(mine.round.length_m) + " 米" : "按期限 by due date";
  }

  filters.addEventListener("change", (ev) => {
    chosen[ev.target.name] = ev.target.value;
    const q = new URLSearchParams();
    FIELDS.forEach((f) => chosen[f] && q.set(f, chosen[f]));
    history.replaceState(null, "", location.pathname + (q.toString() ? "?" + q : ""));
    load();
  });

  const loaded = load();
  showNotices();
  const where = $("#w-where");
  try {
    pos = await locate();
    where.textContent = "距离按您现在的位置计算 (精度 ±" + Math.round(pos.accuracy) + " 米)";
    await loaded;
    await load();
  } catch (err) {
    where.textContent = err.message + " 距离暂不可用 (distances unavailable)。";
    where.classList.add("w-warn");
    await loaded;
  }
  message("");
});
