"""The sign-in pages of the workspace: sign in, confirm a one-time link, set a password.

Plain HTML forms with a little inline CSS: no framework, no script but the one-time link's
(it reads the token from the address's fragment), so the page is a few kilobytes and works on
any phone browser. Chinese first, English beside it.
Every value put in the page goes through html.escape.
"""

from html import escape

from maps.base import PageResult

# Shared by the admin page (maps/admin.py): one look for the workspace's plain pages.
CSS = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",
"Microsoft YaHei",sans-serif;background:#f4f5f7;color:#1d2129}
main{max-width:420px;margin:0 auto;padding:24px 16px}
h1{font-size:22px;margin:8px 0 4px}
.sub{color:#5c6370;margin:0 0 20px;font-size:14px}
label{display:block;margin:14px 0 4px;font-weight:600}
input,select{width:100%;min-height:48px;padding:10px 12px;font-size:17px;border:1px solid #c9cdd4;
border-radius:8px;background:#fff}
button,.button{display:block;width:100%;min-height:48px;margin-top:20px;font-size:17px;
font-weight:600;color:#fff;background:#c0392b;border:0;border-radius:8px;cursor:pointer;
text-align:center;text-decoration:none;line-height:1.3;padding:12px}
.msg{padding:12px 14px;border-radius:8px;margin:0 0 12px;font-size:15px}
.msg.error{background:#fdecea;color:#8a1c12;border:1px solid #f5c2bc}
.msg.info{background:#e8f1fb;color:#134a7c;border:1px solid #bcd6f2}
small{color:#5c6370}
"""

MESSAGES = {
    "expired": ("info", "登录已过期，请重新登录。Your session has ended; please sign in again."),
    "signed_out": ("info", "您已退出登录。You have signed out."),
    "password_set": ("info", "密码已设置。Your password is set."),
}


def _page(title: str, body: str, *, status: int = 200) -> PageResult:
    html = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="same-origin">'
        f"<title>{escape(title)} · 议事厅</title><style>{CSS}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return PageResult(html, status)


def message_box(kind: str, text: str) -> str:
    role = "alert" if kind == "error" else "status"
    return f'<p class="msg {kind}" role="{role}">{escape(text)}</p>'


def build_login(
    *,
    next_path: str,
    username: str = "",
    reason: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> PageResult:
    """The sign-in form; `error` (a refused attempt) or `reason` (why we are here) on top."""
    notice = message_box("error", error) if error else ""
    if not error and reason in MESSAGES:
        notice = message_box(*MESSAGES[reason])
    # The cursor starts where typing is needed: the password once the name is kept.
    focus_name, focus_password = ("", " autofocus") if username else (" autofocus", "")
    body = f"""
<h1>议事厅 · 工作台登录</h1>
<p class="sub">Yishiting staff workspace — sign in</p>
{notice}
<form method="post" action="/work/login" autocomplete="on">
  <input type="hidden" name="next" value="{escape(next_path)}">
  <label for="username">用户名 <small>Username</small></label>
  <input id="username" name="username" value="{escape(username)}" required maxlength="64"
    autocomplete="username" autocapitalize="none" spellcheck="false"{focus_name}>
  <label for="password">密码 <small>Password</small></label>
  <input id="password" name="password" type="password" required maxlength="256"
    autocomplete="current-password"{focus_password}>
  <button type="submit">登录 Sign in</button>
</form>
<p class="sub" style="margin-top:20px">忘记密码请联系管理员重置，管理员会给您一次性登录链接。<br>
<small>Forgot your password? An administrator can send you a one-time sign-in link.</small></p>
"""
    return _page("登录", body, status=status)


def build_link_confirm(*, next_path: str) -> PageResult:
    """A one-time link asks for a tap before it is used: chat apps and mail scanners open links
    by themselves, and a GET that signed in would burn the link before its owner saw it. The
    token is the address's fragment, which the server never sees: signin-link.js moves it into
    the form (and out of the address bar), so it travels only in the POST's body."""
    body = f"""
<h1>议事厅 · 一次性登录</h1>
<p class="sub">One-time sign-in link</p>
<p>点击下方按钮登录。此链接只能使用一次。<br><small>Tap to sign in; the link works once.</small></p>
<p id="no-link" class="msg error" role="alert" hidden>链接不完整，请完整复制管理员发来的链接。
<small>The link is incomplete: open the whole link you were sent.</small></p>
<noscript><p class="msg error">请在浏览器中打开此链接（需要启用脚本）。
<small>Open the link in a browser with scripts on.</small></p></noscript>
<form id="link-form" method="post" action="/work/login">
  <input type="hidden" name="link" value="">
  <input type="hidden" name="next" value="{escape(next_path)}">
  <button type="submit" disabled>登录 Sign in</button>
</form>
<script src="/maps/static/work/signin-link.js" defer></script>
"""
    return _page("一次性登录", body)


def build_set_password(
    *,
    csrf_token: str,
    next_path: str,
    needs_current: bool,
    name: str,
    error: str | None = None,
    status: int = 200,
) -> PageResult:
    """The form to set (or change) one's password."""
    current = (
        """
  <label for="current">当前密码 <small>Current password</small></label>
  <input id="current" name="current_password" type="password" required
    autocomplete="current-password">"""
        if needs_current
        else ""
    )
    body = f"""
<h1>设置密码</h1>
<p class="sub">{escape(name)} · Set your password (8 characters or more)</p>
{message_box("error", error) if error else ""}
<form method="post" action="/work/password">
  <input type="hidden" name="csrf_token" value="{escape(csrf_token)}">
  <input type="hidden" name="next" value="{escape(next_path)}">{current}
  <label for="new">新密码 <small>New password</small></label>
  <input id="new" name="new_password" type="password" required minlength="8" maxlength="256"
    autocomplete="new-password">
  <label><input type="checkbox" name="end_token" value="on" style="width:auto;min-height:0">
    同时停用本账号的接口令牌 <small>Also end this account's API token (scripts using it stop
    working until an administrator issues a new one)</small></label>
  <button type="submit">保存 Save</button>
</form>
"""
    return _page("设置密码", body, status=status)


def build_notice(*, title: str, message: str, status: int) -> PageResult:
    """A short page saying why the workspace refuses (e.g. a page for administrators only)."""
    body = f"""
<h1>{escape(title)}</h1>
{message_box("error", message)}
<a class="button" href="/work">返回工作台 Back to the workspace</a>
"""
    return _page(title, body, status=status)
