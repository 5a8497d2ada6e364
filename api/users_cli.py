"""`yishiting users add ...` and `yishiting escalate`: accounts and escalation from the shell."""

import argparse
import sys

from geo import clock
from geo.accounts import create_account, parse_area
from geo.db import make_engine, make_sessionmaker, transaction
from geo.errors import YishitingError
from geo.models.accounts import ROLES
from geo.settings import get_settings


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register `users add` and `escalate` on the main parser."""
    users = sub.add_parser("users", help="manage accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    p = users_sub.add_parser("add", help="create an account and print its token once")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--area", help="subdistrict:ID, community:ID or compound:ID")
    p.add_argument("--department", type=int, help="department id (department staff)")
    p.set_defaults(handler=cmd_users_add)

    p = sub.add_parser("escalate", help="move overdue issues one level up")
    p.set_defaults(handler=cmd_escalate)


def _sessions():
    return make_sessionmaker(make_engine(get_settings()))


def cmd_users_add(args: argparse.Namespace) -> int:
    try:
        area = parse_area(args.area) if args.area else None
        with transaction(_sessions()) as session:
            account, token = create_account(
                session, name=args.name, role=args.role, area=area, department_id=args.department
            )
            ident = account.id
    except YishitingError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    print(f"account {ident} ({args.role}) created; its token, shown only this once:")
    print(token)
    return 0


def cmd_escalate(args: argparse.Namespace) -> int:
    from geo.issues.steps import escalate_overdue

    with transaction(_sessions()) as session:
        moved = escalate_overdue(session, clock.now())
    for m in moved:
        print(f"issue {m['id']}: {m['from_level']} -> {m['to_level']}")
    print(f"{len(moved)} issue(s) escalated")
    return 0
