/* The outbox: submissions kept in IndexedDB until the server has answered them.
 *
 * A job is a list of requests sent in order (a photo, then the resolve that needs it), each
 * with its own Idempotency-Key chosen when the job is made, so a request whose answer was lost
 * is sent again with the same key and the server answers what it did the first time: the
 * issue gets one photo and one resolve however often the connection drops. Jobs are sent one
 * at a time under a Web Lock, so two tabs (or a tab and the service worker) never send the same
 * job at once. The CSRF token is read when sending (the cookie may have been renewed), never
 * stored.
 *
 * A job belongs to the account that made it (`account`, set by the page that knows who is
 * signed in). Before sending, the sender asks the server who the session cookie it will send
 * with belongs to, and sends only that account's jobs: a phone passed to a colleague, or a
 * session that ended and another that began, never files one person's work as another's.
 *
 * A plain script, so that both the pages (through outbox.js) and the service worker
 * (importScripts, for Background Sync) run this one copy; it defines self.YstOutbox.
 */
(() => {
  const DB_NAME = "yst-work";
  const STORE = "outbox";
  const listeners = new Set();
  let dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    }
    return dbPromise;
  }

  async function run(mode, fn) {
    const d = await db();
    return new Promise((resolve, reject) => {
      const tx = d.transaction(STORE, mode);
      const out = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(out && "result" in out ? out.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  const list = () => run("readonly", (s) => s.getAll());
  const save = (job) => run("readwrite", (s) => s.put(job));
  const remove = (id) => run("readwrite", (s) => s.delete(id));
  const removeAll = () => run("readwrite", (s) => s.clear());

  let account = null;  // who the page says is signed in: new jobs are theirs
  function setAccount(id) { account = id; }

  /* The account the session cookie belongs to now, from the server (never a kept copy), or
   * null: offline, signed out or a copy the service worker kept (X-Work-Cached). */
  async function sessionAccount() {
    try {
      const r = await fetch("/api/me", { credentials: "same-origin", cache: "no-store" });
      if (!r.ok || r.headers.get("X-Work-Cached")) return null;
      return (await r.json()).id;
    } catch (e) {
      return null;
    }
  }

  function onChange(fn) { listeners.add(fn); }
  function changed(detail) { listeners.forEach((fn) => fn(detail)); }

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (x) => (x + 256).toString(16).slice(1)).join("");
  }

  /* The CSRF token: the page reads its cookie; the service worker, which has no document, asks
   * the Cookie Store (Chromium). Without either it cannot send for a session: it waits. */
  async function csrfToken() {
    if (typeof document !== "undefined") {
      const m = document.cookie.match(/(?:^|; )yst_csrf=([^;]*)/);
      return m ? decodeURIComponent(m[1]) : null;
    }
    if (self.cookieStore) {
      const c = await self.cookieStore.get("yst_csrf");
      return c ? c.value : null;
    }
    return null;
  }

  /* A request of a job: {url, method, json | form, key, photosFrom, photoKind, photoBearing}. `form` maps field names to
   * {blob, filename} or to a string; `photosFrom` names an earlier request whose answer's url
   * is the photo. */
  async function build(step, results) {
    const headers = { "Idempotency-Key": step.key };
    const csrf = await csrfToken();
    if (!csrf) throw new Error("no CSRF token here");  // (service worker without Cookie Store)
    headers["X-CSRF-Token"] = csrf;
    let body;
    if (step.form) {
      body = new FormData();
      Object.entries(step.form).forEach(([k, v]) =>
        typeof v === "string" ? body.append(k, v) : body.append(k, v.blob, v.filename));
    } else {
      const json = { ...step.json };
      if (step.photosFrom !== undefined) {
        const photo = { kind: step.photoKind || "during", url: results[step.photosFrom].url };
        if (step.photoBearing !== undefined) photo.bearing = step.photoBearing;  // degrees from north
        json.photos = [photo];
      }
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    }
    return fetch(step.url, { method: step.method || "POST", headers, body, credentials: "same-origin" });
  }

  async function sendJob(job) {
    job.results = job.results || [];
    while (job.done < job.steps.length) {
      let response;
      try {
        response = await build(job.steps[job.done], job.results);
      } catch (e) {
        job.status = "waiting";
        job.note = "网络不通, 联网后自动发送";
        await save(job);
        return "offline";
      }
      const text = await response.text();
      let body = null;
      try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
      if (response.status === 401) {
        job.status = "waiting";
        job.note = "登录已过期, 重新登录后发送";
        await save(job);
        return "offline";
      }
      if (!response.ok) {
        job.status = "failed";
        job.error = { status: response.status, body };
        await save(job);
        return "failed";
      }
      job.results.push(body);
      job.done += 1;
      await save(job);
    }
    await remove(job.id);
    return "sent";
  }

  let running = Promise.resolve();
  function exclusive(fn) {
    if (navigator.locks) return navigator.locks.request("yst-outbox", fn);
    running = running.then(fn, fn);
    return running;
  }

  /* Send what waits of the signed-in account, oldest first; stops at the first network
   * failure. Another account's jobs wait for it. */
  function flush() {
    return exclusive(async () => {
      const me = await sessionAccount();
      if (me === null) return {};
      const jobs = (await list()).filter((j) => j.status !== "failed" && j.account === me);
      const outcome = {};
      for (const job of jobs) {
        const state = await sendJob(job);
        outcome[job.id] = { state, job };
        if (state === "offline") break;
      }
      if (jobs.length) changed(outcome);
      return outcome;
    });
  }

  /* Keep a job, then try to send it now. Resolves with {state: sent|offline|failed, job}; a job
   * refused at once is taken out again (the page shows why and keeps what was typed). */
  async function submit(label, steps) {
    const job = { label, steps, account, done: 0, status: "waiting", created: new Date().toISOString() };
    job.id = await save(job);
    changed({});
    const outcome = (await flush())[job.id] || { state: "offline", job };
    if (outcome.state === "offline") askForSync();
    if (outcome.state === "failed") {
      await remove(job.id);
      changed({});
    }
    return outcome;
  }

  async function discard(id) {
    await exclusive(() => remove(id));
    changed({});
  }

  /* Empty the outbox (signing out). */
  async function discardAll() {
    await exclusive(removeAll);
    changed({});
  }

  /* Jobs kept before jobs named their account were made by whoever was signed in here then. */
  async function claimUnowned(id) {
    await exclusive(async () => {
      for (const job of await list()) {
        if (job.account === undefined) await save({ ...job, account: id });
      }
    });
  }

  /* Ask the service worker to send what waits once the connection is back, even with no
   * workspace page open (Background Sync, Chromium); elsewhere the pages send on open, when the
   * browser says it is online, and every 15 s while something waits. */
  async function askForSync() {
    try {
      if (typeof navigator === "undefined" || !navigator.serviceWorker) return false;
      const registration = await navigator.serviceWorker.ready;
      if (!registration.sync) return false;
      await registration.sync.register("yst-outbox");
      return true;
    } catch (e) {
      return false;
    }
  }

  self.YstOutbox = {
    list, flush, submit, discard, discardAll, claimUnowned, setAccount, onChange, newKey, askForSync,
  };
})();
