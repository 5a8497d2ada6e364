"""Workspace shells that the server checks no further than one access row, if that: /work/leader
(a paired leader's places on the phone), /work/whistles (whistle and report), /work/deployments
(cadres sent down in an emergency), /work/wishes (micro-wishes) and the administrators' pairings
pages. Each is one row of SHELLS, served by the route `shell_route` makes for it. The shells
are built by maps/work and their scripts read the API, whose answers (the same access rows)
decide what they offer. A row with a Rule is shown only to an account its action allows (the
rule the API asks too); anyone else gets the rule's notice, 403."""

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.auth import PageUser
from api.deps import SessionDep, SettingsDep
from api.middleware.headers import page_response
from api.pages.signin_forms import NO_STORE
from geo.accounts.access import can
from maps.signin import build_notice
from maps.work.pages import build_work_page


@dataclass(frozen=True)
class Rule:
    """The access row a page needs, and the notice (title, message) shown when refused."""

    action: str
    title: str
    refusal: str


@dataclass(frozen=True)
class Shell:
    path: str
    page: str  # its key in maps/work/pages.py
    rule: Rule | None = None  # None: the shell for anyone; its script asks the API


SHELLS = (
    Shell("/work/leader", "leader"),
    Shell(
        "/work/admin/pairings",
        "pairings",
        Rule(
            "manage_pairings",
            "领导包联",
            "只有管理员可以维护包联关系。Only administrators keep the pairings.",
        ),
    ),  # fmt: skip
    Shell("/work/whistles", "whistles"),
    Shell("/work/deployments", "deployments"),
    Shell("/work/wishes", "wishes"),
    Shell(
        "/work/admin/unit-pairings",
        "unit_pairings",
        Rule(
            "manage_unit_pairings",
            "结对共建",
            "只有管理员可以维护结对关系。Only administrators keep the pairings.",
        ),
    ),  # fmt: skip
)


def shell_route(shell: Shell) -> Callable[..., HTMLResponse]:
    """The route answering `shell`: its page (no-cache: it changes only with a release), or,
    with a rule, its page for the accounts the rule allows (no-store: it depends on who asks)."""
    rule = shell.rule
    if rule is None:

        def open_shell(settings: SettingsDep) -> HTMLResponse:
            page = build_work_page(shell.page, settings)
            return page_response(page, settings, {"Cache-Control": "no-cache"})

        return open_shell

    def ruled_shell(session: SessionDep, settings: SettingsDep, user: PageUser) -> HTMLResponse:
        if not can(session, user, None, rule.action):
            notice = build_notice(title=rule.title, message=rule.refusal, status=403)
            return page_response(notice, settings, NO_STORE)
        return page_response(build_work_page(shell.page, settings), settings, NO_STORE)

    return ruled_shell


router = APIRouter(include_in_schema=False)
for _shell in SHELLS:
    router.add_api_route(
        _shell.path, shell_route(_shell), methods=["GET"], name=f"{_shell.page}_shell"
    )
