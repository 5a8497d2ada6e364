/* Notices on /work: the unread count on the panel's summary, the list (unread first), a tap
 * marks one read and opens its issue, "all read" clears them, "more" pages on. */
import { $, api, esc } from "./app.js";
import { NOTICE } from "./labels.js";

const PAGE = 10;
const WIDE = "(min-width: 900px)";  // work.css's desktop layout

function when(iso) {
  return new Date(iso).toLocaleString("zh-CN", { hour12: false, month: "numeric", day: "numeric",
    hour: "2-digit", minute: "2-digit" });
}

function itemHtml(n) {
  const unread = n.read_at ? "" : " unread";
  return '<li class="w-notice k-' + esc(n.kind) + unread + '" data-id="' + n.id + '">' +
    '<a href="' + esc(n.path) + '"><div class="w-row"><span class="w-kind">' + esc(NOTICE[n.kind] || n.kind) +
    "</span><b>" + esc(n.title) + "</b></div><p>" + esc(n.body).replace(/\n/g, "<br>") +
    "</p><small>" + esc(when(n.created_at)) + "</small></a></li>";
}

export async function showNotices() {
  const box = $("#w-notices");
  if (!box) return;
  const list = $("#w-notice-list");
  const badge = $("#w-unread");
  const more = $("#w-notice-more");
  let shown = 0;

  function count(unread) {
    badge.textContent = unread;
    badge.hidden = !unread;
    box.dataset.unread = unread;
  }

  async function load(append) {
    const page = await api("/api/notices?limit=" + PAGE + "&offset=" + (append ? shown : 0));
    count(page.unread);
    const html = page.items.map(itemHtml).join("");
    list.innerHTML = (append ? list.innerHTML : "") + html;
    shown = (append ? shown : 0) + page.items.length;
    if (!shown) list.innerHTML = '<li class="w-empty">暂无通知 No notices.</li>';
    more.hidden = shown >= page.total;
    // Opened by itself only beside the list (desktop): on a phone it would push "my work"
    // a screen or more down, so there the badge on the closed panel tells the count.
    if (page.unread && !append && matchMedia(WIDE).matches) box.open = true;
  }

  list.addEventListener("click", async (ev) => {
    const li = ev.target.closest(".w-notice.unread");
    if (!li) return;
    ev.preventDefault();
    try {
      await api("/api/notices/" + li.dataset.id + "/read", { method: "POST" });
    } catch (e) { /* offline: the issue still opens */ }
    location.href = li.querySelector("a").getAttribute("href");
  });
  $("#w-read-all").addEventListener("click", async () => {
    await api("/api/notices/read-all", { method: "POST" });
    await load(false);
  });
  more.addEventListener("click", () => load(true));
  try {
    await load(false);
  } catch (err) {
    list.innerHTML = '<li class="w-empty">通知暂不可用 (notices unavailable)</li>';
  }
}
