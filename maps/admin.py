"""The administrator's page, /work/admin: add accounts, deactivate them, change their area or
role, reset passwords (a one-time link to hand over), and see who did what last.

The page is a shell; maps/static/yst/admin.js fills it from GET /api/admin/accounts and acts
through the same JSON API as any other client, sending the CSRF token in X-CSRF-Token.
"""

from html import escape
from typing import Any

from geo.core.vocabulary import EVENT_TERMS, REVIEW_TERMS, STEP_TERMS
from maps.base import PageResult, static_url, to_script_json
from maps.signin import CSS

ADMIN_CSS = """
main{max-width:960px}
.top{display:flex;justify-content:space-between;align-items:center;gap:8px;flex-wrap:wrap}
.top form button{width:auto;margin:0;padding:8px 16px;background:#5c6370}
details{background:#fff;border:1px solid #dcdfe6;border-radius:8px;padding:8px 14px;margin:16px 0}
summary{font-weight:600;min-height:44px;line-height:44px;cursor:pointer}
.grid{display:grid;grid-template-columns:1fr;gap:0 16px}
@media(min-width:720px){.grid{grid-template-columns:1fr 1fr}}
#list{list-style:none;padding:0;margin:0}
.acct{background:#fff;border:1px solid #dcdfe6;border-radius:8px;padding:12px 14px;margin:10px 0}
.acct.off{opacity:.65;background:#f0f0f0}
.acct h2{font-size:17px;margin:0}
.acct .meta{color:#5c6370;font-size:14px;margin:4px 0}
.acct .acts{display:flex;flex-wrap:wrap;gap:8px;margin-top:8px}
.acct .acts button{width:auto;flex:1 1 120px;margin:0;min-height:44px;padding:8px 10px;
font-size:15px;background:#34495e}
.acct .acts button.danger{background:#c0392b}
.link{word-break:break-all;background:#fffbe6;border:1px solid #f0d78c;border-radius:8px;
padding:10px;margin:8px 0;font-family:monospace;font-size:14px}
.tag{display:inline-block;font-size:12px;padding:0 6px;border-radius:4px;background:#e8f1fb;
color:#134a7c;margin-left:4px}
"""


def action_labels() -> dict[str, str]:
    """What an account did last, by the code geo/accounts/account_admin.py gives it: an issue's
    event or the step it moved the issue to (the vocabulary's words), or one of the few acts
    recorded elsewhere."""
    return {
        **{f"issue_{kind}": term.zh for kind, term in EVENT_TERMS.items()},
        **{f"issue_transition_{step}": term.zh for step, term in STEP_TERMS.items()},
        "hall_session": "记录议事会",
        "progress_report": "上报进度",
        **{f"progress_{state}": f"进度{term.zh}" for state, term in REVIEW_TERMS.items()},
    }


def build_admin(
    *,
    me: dict[str, Any],
    csrf_token: str,
    roles: dict[str, str],
    areas: list[dict[str, str]],
    departments: list[dict[str, Any]],
) -> PageResult:
    """The page shell with the choices the forms offer (roles, areas, departments)."""
    role_options = "".join(
        f'<option value="{escape(r)}">{escape(zh)} {escape(r)}</option>' for r, zh in roles.items()
    )
    dept_options = '<option value="">—</option>' + "".join(
        f'<option value="{d["id"]}">{escape(d["name"])}</option>' for d in departments
    )
    area_options = "".join(
        f'<option value="{escape(a["value"])}">{escape(a["label"])}</option>' for a in areas
    )
    config = {"me": me, "roles": roles, "actions": action_labels(), "csrf_cookie": "yst_csrf"}
    boot = f"window.YST_ADMIN = {to_script_json(config)};"
    html = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="same-origin">
<title>账号管理 · 议事厅</title><style>{CSS}{ADMIN_CSS}</style></head>
<body><main>
<div class="top"><div><h1>账号管理</h1><p class="sub">Accounts · {escape(me["name"])}
({escape(me["role_zh"])})</p></div>
<form method="post" action="/work/logout"><input type="hidden" name="csrf_token"
value="{escape(csrf_token)}"><button type="submit">退出 Sign out</button></form></div>
<p id="status" class="msg info" role="status" hidden></p>
<details id="add"><summary>添加账号 Add an account</summary>
<form id="add-form" class="grid">
<div><label for="a-username">用户名 <small>Username</small></label>
<input id="a-username" name="username" required maxlength="64" autocapitalize="none"></div>
<div><label for="a-name">姓名 <small>Name shown</small></label>
<input id="a-name" name="name" maxlength="64"></div>
<div><label for="a-role">角色 <small>Role</small></label>
<select id="a-role" name="role">{role_options}</select></div>
<div><label for="a-area">区域 <small>Area (grid and field staff)</small></label>
<input id="a-area" name="area" list="areas" placeholder="community:12"></div>
<div><label for="a-dept">部门 <small>Department</small></label>
<select id="a-dept" name="department_id">{dept_options}</select></div>
<div><button type="submit">添加 Add</button></div>
</form></details>
<datalist id="areas">{area_options}</datalist>
<label for="filter">查找 <small>Find</small></label>
<input id="filter" type="search" placeholder="用户名、姓名或区域 name, username or area">
<ul id="list" aria-live="polite"><li class="sub">加载中… Loading…</li></ul>
</main>
<script>{boot}</script>
<script src="{static_url("yst/admin.js")}" defer></script>
</body></html>"""
    return PageResult(html, scripts=(boot,))
