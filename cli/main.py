"""The `yishiting` command: migrate, load-demo, serve (and more added by subcommand modules)."""

import argparse
import sys
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from geo.core.db import make_engine, make_sessionmaker
from geo.core.errors import YishitingError
from geo.core.settings import get_settings

Handler = Callable[[argparse.Namespace], int]


def sessions() -> sessionmaker[Session]:
    """Sessions on the configured database, for a subcommand that works through geo/."""
    return make_sessionmaker(make_engine(get_settings()))


def refused(exc: YishitingError) -> int:
    """A subcommand a domain rule refused: the reason on standard error, exit status 2."""
    print(f"error: {exc.detail}", file=sys.stderr)
    return 2


def cmd_migrate(args: argparse.Namespace) -> int:
    from geo.core.migrate import MigrationRefused, downgrade, upgrade

    try:
        if args.downgrade:
            downgrade(get_settings(), args.downgrade)
        else:
            upgrade(get_settings(), args.revision)
    except MigrationRefused as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 1
    return 0


def cmd_load_demo(args: argparse.Namespace) -> int:
    from fixtures.load import DemoRefused, demo_loaded, load_demo

    settings = get_settings()
    if args.if_empty and demo_loaded(settings):
        print("demo data already loaded; `yishiting load-demo` reloads it")
        return 0
    try:
        counts = load_demo(
            settings,
            progress=not args.quiet,
            copies=args.scale,
            replace=args.replace,
            districts=args.districts,
        )
    except DemoRefused as refused:
        lines = "\n".join(f"{table:24} {n:>7}" for table, n in refused.at_stake.items())
        if args.if_empty:  # a start-up step: keep the data and let the service start
            print(f"the database holds data beyond the demo; not loading the demo:\n{lines}")
            return 0
        print(
            "error: the database holds rows beyond the demo; loading it would delete them"
            f" (rows per table):\n{lines}\nrun `yishiting load-demo --replace` to delete them"
            " (after a `yishiting backup FILE`)",
            file=sys.stderr,
        )
        return 1
    for table, n in counts.items():
        print(f"{table:24} {n:>7}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from cli.logs import log_config

    settings = get_settings()
    access = not args.no_access_log
    # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 by
    # itself; which proxies to believe is the app's YISHITING_TRUSTED_PROXIES (api/ratelimit).
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,
        log_config=log_config(settings, access=access),
        # JSON access lines are the app's own (api/middleware/metrics.py)
        access_log=access and settings.log_format == "text",
    )
    return 0


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yishiting", description="议事厅 Yishiting service")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="apply database migrations (DATABASE_URL)")
    p.add_argument("--revision", default="head", help="target revision (default: head)")
    p.add_argument("--downgrade", metavar="REVISION", help="downgrade to REVISION instead")
    p.set_defaults(handler=cmd_migrate)

    p = sub.add_parser(
        "load-demo", help="load the demo district; refuses to delete anything made since"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--if-empty",
        action="store_true",
        help="load only when the demo is not loaded and nothing else is there (start-up use)",
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="delete accounts, issues, photos and progress made since the demo (or any data)",
    )
    p.add_argument(
        "--scale",
        type=_at_least_one,
        default=1,
        metavar="N",
        help="N copies of the buildings on a grid (100: 169,400 buildings), for benchmarks",
    )
    p.add_argument(
        "--districts",
        type=int,
        choices=(1, 2),
        default=1,
        help="2: add a small second district, 桥东区, beside Qiaoxi (a city on one service)",
    )
    p.set_defaults(handler=cmd_load_demo)

    p = sub.add_parser("serve", help="serve the HTTP API and maps")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--no-access-log", action="store_true", help="no line per request")
    p.set_defaults(handler=cmd_serve)
    from cli import backup, import_export, notices, users

    users.add_parsers(sub)
    import_export.add_parsers(sub)
    backup.add_parsers(sub)
    notices.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "serve" and get_settings().log_format == "json":
        import logging.config

        from cli.logs import log_config

        logging.config.dictConfig(log_config(get_settings()))
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
