"""`yishiting users add|reset|list|revoke|rotate` and `yishiting escalate`: accounts, their
sign-in and tokens, and escalation from the shell."""

import argparse
import getpass
import sys
from datetime import datetime

from cli.main import refused, sessions
from geo.accounts.accounts import (
    create_account,
    find_by_username,
    list_accounts,
    parse_area,
    revoke_token,
    rotate_token,
)
from geo.accounts.signin import issue_link, link_url, reset_password
from geo.core import clock
from geo.core.db import transaction
from geo.core.errors import NotFound, YishitingError
from geo.core.settings import get_settings
from geo.models.accounts import ROLES


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register `users add`, `users reset` and `escalate` on the main parser."""
    users = sub.add_parser("users", help="manage accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    p = users_sub.add_parser(
        "add", help="create an account; print its token and a one-time sign-in link once"
    )
    p.add_argument("name", help="username (also the display name unless --display-name)")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--area", help="subdistrict:ID, community:ID or compound:ID")
    p.add_argument("--department", type=int, help="department id (department staff)")
    p.add_argument("--firm", type=int, help="contractor firm id (contractors only)")
    p.add_argument(
        "--property-firm", type=int, help="property firm id (role property only: 红色物业)"
    )
    p.add_argument(
        "--district",
        type=int,
        help="district id the account works in (default: its area's or department's; "
        "without either, the whole city)",
    )
    p.add_argument("--display-name", help="name shown in the workspace, e.g. 王芳")
    p.add_argument(
        "--password-prompt",
        action="store_true",
        help="ask for the password (read from standard input when it is not a terminal) "
        "instead of printing a sign-in link",
    )
    p.set_defaults(handler=cmd_users_add)

    p = users_sub.add_parser(
        "reset", help="forget an account's password, end its sessions, print a sign-in link"
    )
    p.add_argument("name", help="username")
    p.add_argument(
        "--end-token",
        action="store_true",
        help="also end the account's bearer token (kept by default: its scripts go on working)",
    )
    p.set_defaults(handler=cmd_users_reset)
    p = users_sub.add_parser("list", help="accounts with their token's expiry, last use, state")
    p.set_defaults(handler=cmd_users_list)
    p = users_sub.add_parser("revoke", help="refuse an account's token from now on")
    p.add_argument("account_id", type=int)
    p.set_defaults(handler=cmd_users_revoke)
    p = users_sub.add_parser("rotate", help="replace an account's token; print the new one once")
    p.add_argument("account_id", type=int)
    p.set_defaults(handler=cmd_users_rotate)

    p = sub.add_parser(
        "escalate", help="move overdue issues one level up; raise near-due and overdue notices"
    )
    p.set_defaults(handler=cmd_escalate)


def read_password() -> str:
    """A new password: asked twice on a terminal, one line from a pipe otherwise."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise SystemExit("error: the two passwords differ")
    return first


def cmd_users_add(args: argparse.Namespace) -> int:
    settings = get_settings()
    now = clock.now()
    try:
        area = parse_area(args.area) if args.area else None
        password = read_password() if args.password_prompt else None
        with transaction(sessions()) as session:
            account, token = create_account(
                session,
                name=args.display_name or args.name,
                role=args.role,
                area=area,
                department_id=args.department,
                firm_id=args.firm,
                property_firm_id=args.property_firm,
                district_id=args.district,
                username=args.name,
                password=password,
                token_days=settings.token_days,
            )
            ident = account.id
            link = None
            if password is None:
                link = issue_link(session, account, now=now, ttl_s=settings.signin_link_ttl_s)
    except YishitingError as exc:
        return refused(exc)
    if link:
        print_link(link, settings.public_url, settings.signin_link_ttl_s)
    # The token stays the last line: scripts read it from there.
    print(f"account {ident} ({args.role}) created; its token, shown only this once:")
    print(token)
    return 0


def print_link(token: str, public_url: str, ttl_s: int) -> None:
    hours = ttl_s / 3600
    print(f"one-time sign-in link (works once, for {hours:g} h; then set a password):")
    print(link_url(public_url, token))


def cmd_users_reset(args: argparse.Namespace) -> int:
    settings = get_settings()
    try:
        with transaction(sessions()) as session:
            account = find_by_username(session, args.name)
            if account is None:
                raise NotFound(f"no account with username {args.name!r}", where="name")
            token = reset_password(
                session,
                account,
                now=clock.now(),
                ttl_s=settings.signin_link_ttl_s,
                end_token=args.end_token,
            )
    except YishitingError as exc:
        return refused(exc)
    ended = " and its token" if args.end_token else ""
    print(f"password of {args.name} forgotten, its sessions{ended} ended.")
    print_link(token, settings.public_url, settings.signin_link_ttl_s)
    return 0


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "-"


def cmd_users_list(args: argparse.Namespace) -> int:
    with transaction(sessions()) as session:
        rows = list_accounts(session)
    print(f"{'id':>6}  {'name':20} {'role':10} {'area':18} {'token':8} "
          f"{'expires':16}  {'last used':16}")  # fmt: skip
    for r in rows:
        print(
            f"{r['id']:>6}  {r['name']:20} {r['role']:10} {r['area']:18} {r['token_state']:8} "
            f"{_when(r['token_expires_at']):16}  {_when(r['token_last_used_at']):16}"
        )
    return 0


def cmd_users_revoke(args: argparse.Namespace) -> int:
    try:
        with transaction(sessions()) as session:
            account = revoke_token(session, args.account_id)
            name = account.name
    except YishitingError as exc:
        return refused(exc)
    print(f"account {args.account_id} ({name}): token revoked; `users rotate` issues a new one")
    return 0


def cmd_users_rotate(args: argparse.Namespace) -> int:
    days = get_settings().token_days
    try:
        with transaction(sessions()) as session:
            token = rotate_token(session, args.account_id, token_days=days)
    except YishitingError as exc:
        return refused(exc)
    print(f"account {args.account_id}: new token, valid {days} days, shown only this once:")
    print(token)
    return 0


def cmd_escalate(args: argparse.Namespace) -> int:
    from geo.issues.steps import escalate_overdue

    with transaction(sessions()) as session:
        moved = escalate_overdue(
            session, clock.now(), hall_grace_days=get_settings().hall_grace_days
        )
    for m in moved:
        print(f"issue {m['id']}: {m['from_level']} -> {m['to_level']}")
    print(f"{len(moved)} issue(s) escalated")
    from geo.notices.due import check_due

    with transaction(sessions()) as session:
        alerts = check_due(session)
    print(f"{alerts['near_due']} near-due and {alerts['overdue']} overdue alert(s) raised")
    return 0
