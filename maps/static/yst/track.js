/* /maps/track?token=: look the token up, show the issue's state, and once it is solved rate
 * the outcome with the token. This page has no map, and yst.js is built on Leaflet, so the few
 * helpers it needs (escaping, JSON fetch, a fresh key) are here. */
(function () {
  "use strict";
  var state = (window.__yst = { pending: 0, ready: false, issue: null, rated: null });
  var box = document.getElementById("yst-track");
  var shown = document.getElementById("yst-track-state");
  var form = document.getElementById("yst-rate-form");
  var result = document.getElementById("yst-rate-result");
  var cfg = JSON.parse(document.getElementById("yst-track-cfg").textContent);
  var token = box.dataset.token;

  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* A non-2xx answer rejects with its status and message: problem+json's detail, or the
   * description in Open311's [{code, description}]. */
  function fetchJSON(url, opts) {
    state.pending++;
    return fetch(url, opts).then(function (r) {
      return r.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        if (!r.ok) {
          var said = body && (body.detail || (body[0] && body[0].description));
          var err = new Error(said || "HTTP " + r.status);
          err.status = r.status;
          throw err;
        }
        return body;
      });
    }).finally(function () { state.pending--; });
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }

  function row(label, value) {
    return value ? "<tr><th>" + label + "</th><td>" + esc(value) + "</td></tr>" : "";
  }

  /* The issue's photos; one staff hid shows its placeholder, which says why in the public
   * category (never the moderator's words). */
  function photos(list) {
    if (!list.length) return "";
    return "<tr><th>照片 Photos</th><td class='yst-track-photos'>" + list.map(function (p) {
      return p.hidden
        ? "<figure class='yst-photo-hidden'><img src='" + esc(p.url) + "' width='160' alt='照片已隐藏 " +
          esc(p.hidden.label) + "'><figcaption>照片已隐藏: " + esc(p.hidden.label) + "</figcaption></figure>"
        : "<a href='" + esc(p.url) + "'><img src='" + esc(p.url) + "' width='160' alt='照片 photo'></a>";
    }).join("") + "</td></tr>";
  }

  function render(issue, categories) {
    var r = issue.routing || {};
    var cat = (categories || []).filter(function (c) { return c.code === issue.category; })[0];
    var dept = issue.owner_department || r.department;
    var place = [r.subdistrict, r.community, r.compound].filter(Boolean)
      .map(function (p) { return p.name; }).join(" · ");
    var note;
    var solved = cfg.solved.indexOf(issue.step) >= 0;
    if (solved && state.rated) {
      note = "已办结, 已评价。Resolved and rated.";
    } else if (solved) {
      note = "已办结, 请评价办理结果。Resolved: please rate the outcome.";
    } else if (cfg.open.indexOf(issue.step) >= 0) {
      note = "正在办理, 办结后可在此评价。Under way: you can rate it here once it is resolved.";
    } else {
      note = "此问题已结束, 未作解决, 无需评价。It ended without a fix: nothing to rate.";
    }
    shown.innerHTML = "<h2>问题 #" + esc(issue.id) + "</h2><table class='yst-track-table'>" +
      row("问题类别 Category", cat ? cat.name : issue.category) +
      row("问题描述 Description", issue.description) +
      row("进展 Step", cfg.steps[issue.step] || issue.step) +
      row("处理层级 Level", cfg.levels[issue.level] || issue.level) +
      row("责任部门 Department", dept && dept.name) +
      row("所在位置 Place", place) +
      row("办理期限 Due", issue.due_on) +
      row("评价 Rating", issue.rating ? issue.rating + " / 5" : "") +
      photos(issue.photos || []) +
      "</table><p class='yst-track-note'>" + esc(note) + "</p>";
    form.hidden = !solved || Boolean(state.rated);
  }

  function load() {
    return fetchJSON("/open311/v2/tokens/" + encodeURIComponent(token) + ".json")
      .then(function (found) {
        var id = found[0].service_request_id;
        return Promise.all([
          fetchJSON("/api/issues/" + encodeURIComponent(id)),
          fetchJSON("/api/categories").catch(function () { return []; }),
        ]);
      })
      .then(function (answers) {
        state.issue = answers[0];
        render(answers[0], answers[1]);
      })
      .catch(function (err) {
        shown.innerHTML = err.status === 404
          ? '<p class="error" role="alert">找不到这个链接对应的问题: 链接可能不完整或有误, 请打开上报后给出的完整链接。' +
            "This link matches no issue: it may be cut short or mistyped.</p>"
          : '<p class="error" role="alert">暂时无法查询, 请稍后再试。Could not look it up: ' +
            esc(err.message) + "</p>";
      })
      .finally(function () { state.ready = true; });
  }

  // One key per rating being sent: a retry after a lost answer records one rating; a new key
  // only once the server has answered.
  var ratingKey = null;
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var chosen = form.querySelector("input[name=rating]:checked");
    if (!chosen || !state.issue) {
      result.innerHTML = '<p class="error">请选择 1-5 分 Choose 1 to 5.</p>';
      return;
    }
    var button = document.getElementById("yst-rate-submit");
    var comment = document.getElementById("yst-rate-comment").value.trim();
    button.disabled = true;
    result.textContent = "提交中 sending…";
    ratingKey = ratingKey || newKey();
    fetchJSON("/api/issues/" + encodeURIComponent(state.issue.id) + "/rating", {
      method: "POST",
      // The token is the credential: a staff session cookie in the same browser would ask for
      // a CSRF header this page does not have.
      credentials: "omit",
      headers: { "Content-Type": "application/json", "Idempotency-Key": ratingKey },
      body: JSON.stringify({ rating: Number(chosen.value), comment: comment || null, token: token }),
    }).then(function (answer) {
      ratingKey = null;
      state.rated = answer;
      form.hidden = true;
      result.innerHTML = "<p class='yst-rated'>已评价 " + esc(answer.rating) + " 分, 谢谢! " +
        "Rated " + esc(answer.rating) + "/5, thank you.</p>" +
        (answer.reopened
          ? "<p>问题已退回重新办理 (" + esc(cfg.steps[answer.step] || answer.step) + ")。" +
            "It goes back to be redone.</p>"
          : "");
      return load();  // the state as the rating left it (rated, or back to be redone)
    }).catch(function (err) {
      if (err.status) ratingKey = null;  // answered and refused: the next try is a new rating
      result.innerHTML = '<p class="error" role="alert">评价未提交 not rated: ' + esc(err.message) + "</p>";
    }).finally(function () { button.disabled = false; });
  });

  load();
})();
