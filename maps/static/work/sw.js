/* The workspace's service worker (served as /work/sw.js with its file list filled in).
 *
 * - Page shells and scripts are kept at install, so /work opens without a connection; any
 *   /work/issues/{id} or /work/halls/{id} is the same shell (the script reads the id).
 * - Reads of the API the workspace shows (my work, notices, issues, halls, departments, who I am) go to
 *   the network first and fall back to the last answer kept, marked X-Work-Cached with when it
 *   was fetched; photos are immutable (content-addressed), so they come from the cache first.
 * - Writes are never answered from here: the pages keep them in the outbox (IndexedDB). When
 *   the connection is back the browser fires `sync` (Background Sync, Chromium) and this worker
 *   sends what waits with the same outbox code (outbox-core.js) and Idempotency-Keys, even with
 *   no workspace page open; the CSRF token comes from the Cookie Store. Browsers without
 *   Background Sync send from the pages (on open, when online, every 15 s while something waits).
 * - The district's outline (communities and compounds, light GeoJSON) is kept too, so the small
 *   maps show where things are offline, without tiles.
 */
importScripts("/maps/static/work/outbox-core.js");
const VERSION = "__VERSION__";
const PRECACHE = __PRECACHE__;
const SHELLS = "work-shell-" + VERSION;
const DATA = "work-data";
const API_READS = [/^\/api\/work(\/|$)/, /^\/api\/issues\/\d+(\/events)?$/, /^\/api\/halls\//,
  /^\/api\/me$/, /^\/api\/departments$/, /^\/api\/categories$/, /^\/api\/notices$/, /^\/api\/outline$/];
const NEVER = [/^\/work\/login/, /^\/work\/admin/, /^\/work\/sw\.js$/];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELLS).then((c) => c.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("work-shell-") && k !== SHELLS).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

function shellKey(path) {
  if (/^\/work\/issues\/\d+$/.test(path)) return "/work/issues/0";
  if (/^\/work\/halls\/\d+$/.test(path)) return "/work/halls/0";
  return path;
}

async function networkFirst(request, cacheName, key) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(key || request, response.clone());
    return response;
  } catch (err) {
    const kept = (await cache.match(key || request)) ||
      (await cache.match(key || request, { ignoreSearch: true })) ||
      (await caches.match(key || request, { ignoreSearch: true }));
    if (!kept) throw err;
    if (cacheName !== DATA) return kept;
    const headers = new Headers(kept.headers);
    headers.set("X-Work-Cached", headers.get("Date") || new Date().toUTCString());
    return new Response(await kept.blob(), { status: kept.status, headers });
  }
}

async function cacheFirst(request, cacheName) {
  const kept = await caches.match(request);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) await (await caches.open(cacheName)).put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (NEVER.some((re) => re.test(path))) return;
  if (request.mode === "navigate" && path.startsWith("/work")) {
    event.respondWith(networkFirst(request, SHELLS, shellKey(path)));
  } else if (path.startsWith("/maps/static/")) {
    event.respondWith(url.search ? cacheFirst(request, SHELLS) : networkFirst(request, SHELLS));
  } else if (/^\/api\/(photos|media)\//.test(path)) {
    event.respondWith(cacheFirst(request, DATA));
  } else if (API_READS.some((re) => re.test(path))) {
    event.respondWith(networkFirst(request, DATA));
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag !== "yst-outbox") return;
  event.waitUntil(self.YstOutbox.flush().then(async (outcome) => {
    const states = Object.values(outcome).map((o) => o.state);
    const sent = states.filter((s) => s === "sent").length;
    const pages = await self.clients.matchAll({ includeUncontrolled: true });
    pages.forEach((page) => page.postMessage({ type: "outbox", sent }));
    // still offline: fail, so that the browser fires sync again later
    if (states.includes("offline")) throw new Error("outbox: still waiting");
  }));
});
