// /work/admin: lists accounts from GET /api/admin/accounts and changes them through the same
// JSON API, with the session's CSRF token in X-CSRF-Token. No framework: a few DOM helpers.
(function () {
  "use strict";
  var cfg = window.YST_ADMIN;
  var list = document.getElementById("list");
  var status = document.getElementById("status");
  var filter = document.getElementById("filter");
  var accounts = [];

  function csrf() {
    var m = document.cookie.match(new RegExp("(?:^|; )" + cfg.csrf_cookie + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }

  function say(text, kind) {
    status.textContent = text;
    status.className = "msg " + (kind || "info");
    status.hidden = false;
  }

  function call(method, url, body) {
    var opts = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf();
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (r) {
      if (r.status === 401) { location.href = "/work/login?reason=expired&next=/work/admin"; }
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw new Error(data.detail || ("HTTP " + r.status));
        return data;
      });
    });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function when(iso) {
    if (!iso) return "—";
    var d = new Date(iso);
    return d.toLocaleString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" });
  }

  function areaText(a) {
    if (a.area) return a.area.name + " (" + a.area.kind + ":" + a.area.id + ")";
    if (a.department) return a.department.name;
    return "—";
  }

  function showLink(card, data) {
    var old = card.querySelector(".link");
    if (old) old.remove();
    card.appendChild(el("p", { "class": "link", text: data.signin_link }));
    card.appendChild(el("p", { "class": "sub", text: "一次性登录链接，" + when(data.expires_at) +
      " 前有效，请交给本人。One-time link; hand it to the person." }));
  }

  function card(a) {
    var li = el("li", { "class": "acct" + (a.active ? "" : " off"), "data-id": String(a.id) });
    var last = a.last_action
      ? (cfg.actions[a.last_action.what] || a.last_action.what) + (a.last_action.ref ? " #" + a.last_action.ref : "") +
        " · " + when(a.last_action.at)
      : "—";
    li.appendChild(el("h2", { text: a.name }, [
      el("span", { "class": "tag", text: a.role_zh }),
      a.active ? null : el("span", { "class": "tag", text: "已停用 deactivated" })
    ]));
    li.appendChild(el("p", { "class": "meta", text: "用户名 " + (a.username || "—（不能登录网页）") +
      " · " + areaText(a) }));
    li.appendChild(el("p", { "class": "meta", text: "上次登录 last sign-in: " + when(a.last_signin_at) +
      (a.live_sessions ? " · 在线会话 " + a.live_sessions : "") }));
    li.appendChild(el("p", { "class": "meta", text: "最近操作 last action: " + last }));
    if (a.id === cfg.me.id) return li;
    var acts = el("div", { "class": "acts" });
    acts.appendChild(el("button", {
      type: "button", "class": a.active ? "danger" : "",
      text: a.active ? "停用 Deactivate" : "启用 Reactivate",
      onclick: function () {
        if (a.active && !confirm("停用 " + a.name + "？其登录会话将立即结束。")) return;
        call("PATCH", "/api/admin/accounts/" + a.id, { active: !a.active })
          .then(function () { say((a.active ? "已停用 " : "已启用 ") + a.name); load(); })
          .catch(function (e) { say(e.message, "error"); });
      }
    }));
    if (a.username) {
      acts.appendChild(el("button", {
        type: "button", text: "重置密码 Reset password",
        onclick: function () {
          if (!confirm("重置 " + a.name + " 的密码？旧密码和会话将失效。")) return;
          // The token is kept unless asked: the account's scripts and integrations use it.
          var endToken = confirm("同时停用其接口令牌吗？(确定 = 停用，取消 = 保留)\n" +
            "Also end its API token? (OK = end it, Cancel = keep it)");
          call("POST", "/api/admin/accounts/" + a.id + "/reset", { end_token: endToken })
            .then(function (data) { say("已重置 " + a.name + " 的密码。"); showLink(li, data); })
            .catch(function (e) { say(e.message, "error"); });
        }
      }));
    }
    acts.appendChild(el("button", {
      type: "button", text: "改区域 Change area",
      onclick: function () { li.appendChild(areaForm(a)); }
    }));
    li.appendChild(acts);
    return li;
  }

  function areaForm(a) {
    var input = el("input", { list: "areas", value: a.area ? a.area.kind + ":" + a.area.id : "",
      "aria-label": "区域 area", placeholder: "community:12" });
    var form = el("form", {}, [input, el("button", { type: "submit", text: "保存 Save" })]);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var value = input.value.split(" ")[0].trim();
      call("PATCH", "/api/admin/accounts/" + a.id, { area: value || null })
        .then(function () { say("已修改 " + a.name + " 的区域。"); load(); })
        .catch(function (e) { say(e.message, "error"); });
    });
    return form;
  }

  function render() {
    var q = filter.value.trim().toLowerCase();
    list.textContent = "";
    accounts.filter(function (a) {
      return !q || [a.name, a.username || "", areaText(a), a.role_zh].join(" ").toLowerCase().indexOf(q) >= 0;
    }).slice(0, 200).forEach(function (a) { list.appendChild(card(a)); });
  }

  function load() {
    return call("GET", "/api/admin/accounts")
      .then(function (data) { accounts = data; render(); })
      .catch(function (e) { say(e.message, "error"); });
  }

  document.getElementById("add-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    // form.name is the form's own name, so every field is read through form.elements
    function field(n) { return f.elements.namedItem(n).value.trim(); }
    var body = { username: field("username"), role: field("role") };
    if (field("name")) body.name = field("name");
    if (field("area")) body.area = field("area").split(" ")[0];
    if (field("department_id")) body.department_id = Number(field("department_id"));
    call("POST", "/api/admin/accounts", body).then(function (data) {
      say("已添加 " + data.account.name + "。请把下面的一次性登录链接交给本人。");
      f.reset();
      return load().then(function () {
        var li = list.querySelector('[data-id="' + data.account.id + '"]');
        if (li) showLink(li, data);
      });
    }).catch(function (e) { say(e.message, "error"); });
  });
  filter.addEventListener("input", render);
  load();
})();
