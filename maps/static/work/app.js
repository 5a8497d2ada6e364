/* What every workspace page shares: the API with the session cookie, messages in Chinese,
 * the phone's position, who is signed in, the outbox panel and the service worker.
 * window.__work records what the page did, for the browser tests and the benchmark. */
import * as outbox from "./outbox.js";

export const state = (window.__work = {
  ready: false, pending: 0, sent: 0, offline: false, firstContentAt: null, errors: [],
});

export const $ = (sel, root = document) => root.querySelector(sel);
export function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
export function painted() {
  if (state.firstContentAt === null) state.firstContentAt = performance.now();
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || (status ? "HTTP " + status : "network"));
    this.status = status;
    this.body = body;
  }
}

function cookie(name) {
  const m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
  return m ? decodeURIComponent(m[1]) : null;
}

export function signIn() {
  location.href = "/work/login?next=" + encodeURIComponent(location.pathname + location.search);
}

/* The API with the session cookie; unsafe methods echo the CSRF cookie. Answers served by the
 * service worker from its cache while offline carry X-Work-Cached (when they were fetched). */
export async function api(url, { method = "GET", json, form, headers = {}, redirect = true } = {}) {
  const h = { ...headers };
  let body = form;  // a FormData (uploads): the browser writes its multipart header
  if (method !== "GET") {
    const csrf = cookie("yst_csrf");
    if (csrf) h["X-CSRF-Token"] = csrf;
  }
  if (json !== undefined) {
    h["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  state.pending++;
  try {
    let r;
    try {
      r = await fetch(url, { method, headers: h, body, credentials: "same-origin" });
    } catch (e) {
      throw new ApiError(0, null);
    }
    const cached = r.headers.get("X-Work-Cached");
    if (method === "GET") showOffline(cached);
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (r.status === 401 && redirect) signIn();
    if (!r.ok) throw new ApiError(r.status, data);
    return data;
  } finally {
    state.pending--;
  }
}

function showOffline(cachedAt) {
  state.offline = Boolean(cachedAt);
  let bar = $("#w-offline");
  if (!cachedAt) { if (bar) bar.remove(); return; }
  if (!bar) {
    bar = document.createElement("p");
    bar.id = "w-offline";
    bar.className = "w-offline";
    bar.setAttribute("role", "status");
    $("#w-main").prepend(bar);
  }
  const when = new Date(cachedAt).toLocaleString("zh-CN", { hour12: false });
  bar.textContent = "离线: 显示的是 " + when + " 保存的内容 (offline copy)";
}

/* Why the server refused, in Chinese first; the server's own sentence follows in small. */
export function explain(err) {
  const b = err.body || {};
  const why = {
    0: "网络不通。",
    401: "登录已过期, 请重新登录。",
    403: "您的账号无权进行这项操作。",
    404: "找不到这条记录。",
    409: "这项操作现在不能进行: 别人已经处理过, 或状态不允许。",
    412: "别人刚刚更新了这个问题, 您看到的是旧状态。已载入最新状态, 您填写的内容已保留。",
    413: "照片太大 (最多 5 MB)。",
    415: "照片格式不对: 只接受 JPEG、PNG 或 WebP 图片。",
    422: "提交的内容不符合要求。",
    428: "缺少版本号, 请刷新后再试。",
    429: "操作太频繁, 请稍后再试。",
  }[err.status] || "服务器出错 (" + err.status + "), 请稍后再试。";
  let extra = "";
  if (b.distance_m !== undefined) {
    const limit = b.max_distance_m || 100;
    extra = " 您距离现场 " + Math.round(b.distance_m) + " 米, 需在 " + limit + " 米以内。";
  } else if (b.where === "photos") {
    extra = " 请先拍一张现场照片 (分流之后拍的)。";
  } else if (b.allowed) {
    extra = " 现在只能: " + (b.allowed.join("、") || "无");
  }
  return why + extra + (b.detail ? " (" + b.detail + ")" : "");
}

/* The phone's position with its accuracy; refusals explained in Chinese. */
export class GeoError extends Error {}
export function locate({ timeout = 15000, maximumAge = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject(new GeoError("此浏览器不能定位。"));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy }),
      (e) => reject(new GeoError({
        1: "您没有允许本页使用位置。请在浏览器设置中允许定位 (location permission refused)。",
        2: "暂时无法确定位置, 信号弱时请到室外再试 (position unavailable)。",
        3: "定位超时, 请再试一次 (timed out)。",
      }[e.code] || "定位失败。")),
      { enableHighAccuracy: true, timeout, maximumAge },
    );
  });
}

export function message(text, kind = "error") {
  const box = $("#w-message");
  if (!box) return;
  box.hidden = !text;
  box.className = "w-message " + kind;
  box.textContent = text || "";
}

/* Who is signed in: from the API, or the copy kept for offline use. */
async function whoAmI() {
  const kept = JSON.parse(localStorage.getItem("work.me") || "null");
  let me;
  try {
    me = await api("/api/me");
  } catch (err) {
    if (err.status === 0 && kept) return kept;
    throw err;
  }
  await outbox.claimUnowned(kept ? kept.id : me.id);
  if (kept && kept.id !== me.id) await forgetAccount(kept, me);
  localStorage.setItem("work.me", JSON.stringify(me));
  return me;
}

/* What this browser kept belongs to one account. Another signed in: the answers kept for the
 * one before go, and its unsent jobs (which only it may send) too once the new one agrees;
 * kept, they wait, unseen, until it signs in here again. */
async function forgetAccount(before, me) {
  if (window.caches) await caches.delete("work-data");
  const theirs = (await outbox.list()).filter((j) => j.account !== me.id);
  if (!theirs.length) return;
  const name = before.name || "上一位用户";
  const ask = name + " 在本机还有 " + theirs.length + " 条提交未发送, 只有其本人登录后才能发送。" +
    "丢弃这些提交吗? (取消则保留, 等其本人登录后发送)\n" +
    "Discard " + theirs.length + " unsent submission(s) left by " + name + "? Only they can send them.";
  if (confirm(ask)) {
    for (const job of theirs) await outbox.discard(job.id);
  }
}

/* Signing out empties what this browser kept (asking first when something is still unsent):
 * the next person to sign in here sees none of it and sends none of it. */
async function signOut() {
  const waiting = (await outbox.list()).length;
  if (waiting && !confirm("还有 " + waiting + " 条提交未发送, 退出将丢弃它们。确定退出吗?\n" +
      waiting + " submission(s) not sent yet will be discarded. Sign out anyway?")) return;
  await outbox.discardAll();
  try { await api("/api/auth/logout", { method: "POST", redirect: false }); } catch (e) { /* gone anyway */ }
  localStorage.removeItem("work.me");
  if (window.caches) await caches.delete("work-data");
  location.href = "/work/login";
}

function showMe(me) {
  const area = me.area ? " · " + esc(me.area.name || "") : "";
  const dept = me.department ? " · " + esc(me.department.name || me.department) : "";
  $("#w-who").innerHTML = "<span>" + esc(me.name) + " · " + esc(me.role_zh || me.role) + area + dept +
    '</span><button type="button" id="w-logout">退出 <small>Sign out</small></button>';
  $("#w-logout").addEventListener("click", signOut);
}

async function showOutbox() {
  const box = $("#w-outbox");
  const jobs = (await outbox.list()).filter((j) => state.me && j.account === state.me.id);
  state.outbox = jobs.map((j) => ({ id: j.id, label: j.label, status: j.status }));
  box.hidden = jobs.length === 0;
  box.querySelector("ul").innerHTML = jobs.map((j) => {
    const why = j.status === "failed" ? explain(new ApiError(j.error.status, j.error.body)) : j.note || "等待发送";
    return '<li class="w-job ' + esc(j.status) + '"><div><b>' + esc(j.label) + "</b><small>" +
      esc(new Date(j.created).toLocaleString("zh-CN", { hour12: false })) + " · " + esc(why) +
      '</small></div><button type="button" data-discard="' + j.id + '">丢弃 <small>Discard</small></button></li>';
  }).join("");
}

function sentJobs(outcome) {
  return Object.values(outcome).filter((o) => o.state === "sent").map((o) => o.job);
}

/* Calls fn(jobs) when jobs waiting in the outbox have been sent. */
export function onSent(fn) {
  outbox.onChange((outcome) => {
    const sent = sentJobs(outcome);
    if (sent.length) fn(sent);
  });
}

export const submit = outbox.submit;
export const newKey = outbox.newKey;

/* Starts a page: outbox, service worker, who I am, then the page's own `run(me)`. */
export async function start(run) {
  outbox.onChange((outcome) => {
    state.sent += sentJobs(outcome).length;
    showOutbox();
  });
  $("#w-outbox").addEventListener("click", async (ev) => {
    const b = ev.target.closest("[data-discard]");
    if (b && confirm("丢弃这条未发送的提交? Discard it?")) await outbox.discard(Number(b.dataset.discard));
  });
  showOutbox();
  window.addEventListener("online", () => outbox.flush());
  if ("serviceWorker" in navigator) {  // the worker sent what waited (Background Sync)
    navigator.serviceWorker.addEventListener("message", (ev) => {
      if (!ev.data || ev.data.type !== "outbox") return;
      state.sent += ev.data.sent || 0;
      showOutbox();
      if (ev.data.sent) window.dispatchEvent(new CustomEvent("work:outbox-sent"));
    });
  }
  setInterval(() => { if (state.outbox && state.outbox.length) outbox.flush(); }, 15000);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(window.WORK.sw, { scope: "/work" })
      .catch((e) => state.errors.push("sw: " + e.message));
  }
  try {
    const me = await whoAmI();
    state.me = { id: me.id };
    outbox.setAccount(me.id);
    showMe(me);
    showOutbox();
    outbox.flush();
    await run(me);
  } catch (err) {
    state.errors.push(String(err && err.message));
    if (err instanceof ApiError) message(explain(err));
    else throw err;
  } finally {
    state.ready = true;
  }
}
