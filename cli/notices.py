"""`yishiting webhooks add|list|remove|deliveries` and `yishiting notify-worker`."""

import argparse
import json
import logging
import signal
import threading
from typing import Any

from cli.main import refused, sessions
from geo.core.db import transaction
from geo.core.errors import YishitingError
from geo.core.settings import get_settings
from geo.models.notices import NOTICE_KINDS
from geo.notices import webhooks
from geo.notices.delivery import Worker


def add_parsers(sub: argparse._SubParsersAction) -> None:
    hooks = sub.add_parser("webhooks", help="webhooks to department and community group chats")
    hooks_sub = hooks.add_subparsers(dest="webhooks_command", required=True)
    p = hooks_sub.add_parser("add", help="add a webhook; prints its secret once")
    p.add_argument("name", help="what it is, e.g. 城管局值班群")
    p.add_argument(
        "url", help="http(s) URL (WeCom: ...send?key=..., DingTalk: ...?access_token=...)"
    )
    p.add_argument("--format", choices=("generic", "wecom", "dingtalk"), default="generic")
    p.add_argument("--msgtype", choices=("markdown", "text"), default="markdown")
    owner = p.add_mutually_exclusive_group(required=True)
    owner.add_argument("--department", type=int, help="department id")
    owner.add_argument("--community", type=int, help="community id")
    p.add_argument(
        "--secret",
        help="generic: HMAC key (made if omitted); dingtalk: the SEC... signing secret",
    )
    p.add_argument("--kind", action="append", choices=NOTICE_KINDS, help="only these (repeat)")
    p.set_defaults(handler=cmd_add)
    p = hooks_sub.add_parser("list", help="webhooks with deliveries by state and last failure")
    p.set_defaults(handler=cmd_list)
    p = hooks_sub.add_parser("remove", help="stop a webhook; unsent deliveries are cancelled")
    p.add_argument("webhook_id", type=int)
    p.set_defaults(handler=cmd_remove)
    p = hooks_sub.add_parser("deliveries", help="a webhook's latest deliveries and their tries")
    p.add_argument("webhook_id", type=int)
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(handler=cmd_deliveries)

    p = sub.add_parser(
        "notify-worker", help="deliver webhook notices from the outbox until stopped (SIGTERM)"
    )
    p.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    p.set_defaults(handler=cmd_worker)


def cmd_add(args: argparse.Namespace) -> int:
    settings = get_settings()
    try:
        with transaction(sessions()) as session:
            hook = webhooks.add_webhook(
                session,
                name=args.name,
                url=args.url,
                format=args.format,
                msgtype=args.msgtype,
                secret=args.secret,
                department_id=args.department,
                community_id=args.community,
                kinds=args.kind,
                service_urls=(settings.public_url,),
                allow_private=settings.webhook_allow_private,
            )
    except YishitingError as exc:
        return refused(exc)
    print(f"webhook {hook['id']}: {hook['name']} -> {hook['url']} ({hook['format']})")
    if hook["secret"] and args.secret is None:
        print(f"secret (shown once): {hook['secret']}")
    return 0


def _line(hook: dict[str, Any]) -> str:
    owner = hook["owner"]
    states = ", ".join(f"{k} {v}" for k, v in sorted(hook["deliveries"].items())) or "none yet"
    failed = hook["last_failure"]
    why = f"; last failure {failed['at']:%Y-%m-%d %H:%M}: {failed['error']}" if failed else ""
    return (
        f"{hook['id']:>4}  {hook['format']:8} {owner['kind']} {owner['id']} {owner['name']}"
        f"  {hook['name']}  {hook['url']}  [{states}]{why}"
    )


def cmd_list(args: argparse.Namespace) -> int:
    with transaction(sessions()) as session:
        hooks = webhooks.list_webhooks(session)
    for hook in hooks:
        print(_line(hook))
    print(f"{len(hooks)} webhook(s)")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    try:
        with transaction(sessions()) as session:
            hook = webhooks.remove_webhook(session, args.webhook_id)
    except YishitingError as exc:
        return refused(exc)
    print(f"webhook {hook['id']} removed; unsent deliveries cancelled")
    return 0


def cmd_deliveries(args: argparse.Namespace) -> int:
    try:
        with transaction(sessions()) as session:
            rows = webhooks.deliveries(session, args.webhook_id, limit=args.limit)
    except YishitingError as exc:
        return refused(exc)
    for row in rows:
        print(json.dumps(row, ensure_ascii=False, default=str))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = get_settings()
    worker = Worker(sessions(), settings)
    stop = threading.Event()
    try:
        if args.once:
            while worker.run_once() is not None:
                pass
            return 0
        # SIGTERM (systemd, docker stop) and Ctrl-C finish the send in flight, then exit.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        worker.run(stop, every=settings.notify_every_s or 2.0)
    finally:
        worker.close()
    return 0
