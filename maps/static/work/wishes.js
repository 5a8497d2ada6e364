/* /work/wishes: micro-wishes (微心愿) on the phone. A cadre or party member finds the open wishes
 * nearest home or their unit's paired community, claims one, and fulfils it with a photo; a
 * resident posts a wish at their compound and confirms it once fulfilled. What the page offers
 * is the server's answer (offers, allowed_actions: the access table); this page only asks. */
import { $, api, esc, explain, locate, message, newKey, painted, start } from "./app.js";
import { WISH_EVENT, WISH_KIND, WISH_STATE } from "./labels.js";

let origin = "home";

function when(at) {
  return new Date(at).toLocaleDateString("zh-CN");
}

function nearbyHtml(w) {
  return '<li class="w-item" data-id="' + w.id + '"><div><b>' + esc(WISH_KIND[w.kind] || w.kind) +
    " · " + esc(w.distance_m) + " 米</b><small>" + esc(w.community) + " · " + esc(w.compound) +
    " · " + esc(when(w.posted_at)) + "</small><p>" + esc(w.text) + "</p>" +
    '<button type="button" class="w-act" data-claim="' + w.id + '" data-version="' + w.version +
    '">认领 Claim</button></div></li>';
}

function mineHtml(w) {
  const can = (a) => w.allowed_actions.includes(a);
  const history = w.events.map((e) => esc(WISH_EVENT[e.kind] || e.kind) + " " + esc(when(e.at))).join(" → ");
  const photo = w.events.filter((e) => e.photo_url).map((e) =>
    '<img src="' + esc(e.photo_url) + '" alt="完成照片" width="96" height="96">').join("");
  let acts = "";
  if (w.state === "claimed" && w.claimed_by_me && can("fulfil_wish")) {
    acts += '<form class="w-form w-fulfil" data-id="' + w.id + '" data-version="' + w.version + '">' +
      '<label class="w-file">完成照片 Photo<input type="file" name="file" accept="image/*" ' +
      'capture="environment" required></label>' +
      '<label>说明 Note<input type="text" name="note" maxlength="1000"></label>' +
      '<button type="submit" class="w-primary">完成 Fulfil</button></form>' +
      '<button type="button" class="w-act w-quiet" data-move="release" data-id="' + w.id +
      '" data-version="' + w.version + '">放弃 Release</button>';
  }
  if (w.state === "fulfilled" && w.mine && can("confirm_wish")) {
    acts += '<button type="button" class="w-act" data-move="confirm" data-id="' + w.id +
      '" data-version="' + w.version + '">确认完成 Confirm</button>';
  }
  if ((w.state === "open" || w.state === "claimed") && w.mine && can("withdraw_wish")) {
    acts += '<button type="button" class="w-act w-quiet" data-move="withdraw" data-id="' + w.id +
      '" data-version="' + w.version + '">撤回 Withdraw</button>';
  }
  return '<li class="w-item" data-wish="' + w.id + '"><div><b>' + esc(WISH_KIND[w.kind] || w.kind) +
    " · " + esc(WISH_STATE[w.state] || w.state) + "</b><small>" + esc(w.community.name) + " · " +
    esc(w.compound.name) + "</small><p>" + esc(w.text || "") + "</p><small>" + history + "</small>" +
    photo + acts + "</div></li>";
}

async function loadNearby() {
  try {
    const found = await api("/api/wishes/nearby?origin=" + origin);
    $("#w-origin").textContent = "从 " + found.origin.name + " 算起 (from " + found.origin.kind + ")";
    $("#w-nearby").innerHTML = found.wishes.map(nearbyHtml).join("") ||
      '<li class="w-empty">附近没有待认领的心愿 none open nearby</li>';
  } catch (err) {
    $("#w-nearby").innerHTML = "";
    message(explain(err));
  }
}

async function load() {
  const mine = await api("/api/wishes/mine");
  $("#w-post").hidden = !mine.offers.includes("post_wish");
  $("#w-find").hidden = !mine.offers.includes("find_wishes");
  $("#w-mine").innerHTML = mine.wishes.map(mineHtml).join("") || '<li class="w-empty">无 none</li>';
  if (mine.offers.includes("find_wishes")) await loadNearby();
  $("#w-wishes").removeAttribute("aria-busy");
  painted();
}

async function move(id, version, what, form) {
  const headers = { "If-Match": '"' + version + '"', "Idempotency-Key": newKey() };
  try {
    await api("/api/wishes/" + id + "/" + what, form ? { method: "POST", form, headers } : { method: "POST", headers });
    message({ claim: "已认领 claimed", fulfil: "已完成, 等待居民确认 fulfilled", release: "已放弃 released",
      confirm: "已确认 confirmed", withdraw: "已撤回 withdrawn" }[what], "ok");
  } catch (err) {
    message(explain(err));
  }
  await load();
}

async function post(form) {
  const data = new FormData(form);
  if (!(data.get("text") || "").trim()) { message("请写下心愿 (say what the wish is)。"); return; }
  let pos;
  try {
    pos = await locate({ maximumAge: 60000 });
  } catch (err) {
    message(err.message);
    return;
  }
  $("#w-post-send").disabled = true;
  try {
    await api("/api/wishes", { method: "POST", headers: { "Idempotency-Key": newKey() },
      json: { lon: pos.lon, lat: pos.lat, kind: data.get("kind"), text: data.get("text").trim() } });
    form.reset();
    message("已发布 posted", "ok");
    await load();
  } catch (err) {
    message(explain(err));
  } finally {
    $("#w-post-send").disabled = false;
  }
}

start(async () => {
  $("#w-post").elements.kind.innerHTML = Object.entries(WISH_KIND)
    .map(([code, zh]) => '<option value="' + code + '">' + esc(zh) + "</option>").join("");
  $("#w-post").addEventListener("submit", (ev) => { ev.preventDefault(); post(ev.target); });
  $("#w-find").addEventListener("click", (ev) => {
    const o = ev.target.closest("[data-origin]");
    if (o) { origin = o.dataset.origin; loadNearby(); }
    const b = ev.target.closest("[data-claim]");
    if (b) { b.disabled = true; move(b.dataset.claim, b.dataset.version, "claim"); }
  });
  $("#w-mine").addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-move]");
    if (b) { b.disabled = true; move(b.dataset.id, b.dataset.version, b.dataset.move); }
  });
  $("#w-mine").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = ev.target;
    if (!f.elements.file.files[0]) { message("请拍一张完成的照片 (a photo is needed)。"); return; }
    const body = new FormData();
    body.set("file", f.elements.file.files[0]);
    if (f.elements.note.value.trim()) body.set("note", f.elements.note.value.trim());
    f.querySelector("button").disabled = true;
    move(f.dataset.id, f.dataset.version, "fulfil", body);
  });
  await load();
});
