"""access.scope_sql (the lists: the work list, the on-site views) and access.in_scope (one
object) are one rule: over the demo, for every kind of account and every scope the access
table gives its role on issues, halls and renovation items, the SQL selects exactly the rows
the Python check permits."""

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from geo.access import ANONYMOUS, TABLE, Kind, Scope, in_scope, scope_sql
from geo.models import Account, Hall, Issue
from geo.models.renovation import RenovationItem
from geo.settings import Settings

MODELS: dict[Kind, Any] = {
    "issue": Issue,
    "hall": Hall,
    "item": RenovationItem,
}
TABLES: dict[Kind, str] = {"issue": "issue", "hall": "hall", "item": "renovation_item"}


def scopes(role: str, kind: Kind) -> set[Scope]:
    """The scopes the access table gives `role` on objects of `kind`."""
    return {
        scope
        for rule in TABLE.values()
        if rule.on == kind and (scope := rule.roles.get(role)) is not None
    }


def account_kinds(db: Session) -> list[Account | None]:
    """Anonymous, and one account of each role and binding (not stored: in_scope and
    scope_sql read only the account's own fields), bound to places the demo has rows in."""
    issue = db.execute(
        text(
            "SELECT i.subdistrict_id, i.community_id, i.compound_id, i.reporter_account_id"
            " FROM issue i WHERE i.compound_id IS NOT NULL ORDER BY i.id LIMIT 1"
        )
    ).one()
    department = db.execute(
        text("SELECT department_id FROM renovation_project WHERE department_id IS NOT NULL")
    ).scalar()
    reporter = db.execute(
        text("SELECT min(reporter_account_id) FROM issue WHERE reporter_account_id IS NOT NULL")
    ).scalar()
    places = {"subdistrict_id": issue[0], "community_id": issue[1], "compound_id": issue[2]}
    kinds: list[Account | None] = [None]
    kinds += [Account(id=-1, role=role) for role in ("admin", "planner")]
    kinds += [
        Account(id=-2, role=role, **{column: ident})
        for role in ("grid", "field")
        for column, ident in places.items()
    ]
    kinds.append(Account(id=-3, role="department", department_id=department))
    kinds.append(Account(id=reporter or -4, role="resident"))
    return kinds


@pytest.fixture(scope="module")
def demo(settings: Settings) -> Iterator[Session]:
    engine = create_engine(settings.database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.mark.parametrize("kind", ["issue", "hall", "item"])
def test_scope_sql_selects_what_in_scope_permits(demo: Session, kind: Kind) -> None:
    objects: Sequence[Issue | Hall | RenovationItem] = demo.scalars(select(MODELS[kind])).all()
    assert objects, f"the demo has no {kind}"
    compared: list[tuple[int, int]] = []  # (rows permitted, rows of the kind)
    for account in account_kinds(demo):
        role = account.role if account else ANONYMOUS
        for scope in sorted(scopes(role, kind)):
            sql, params = scope_sql(account, kind, scope, "x")
            selected = set(
                demo.scalars(text(f"SELECT x.id FROM {TABLES[kind]} x WHERE {sql}"), params)
            )
            permitted = {o.id for o in objects if in_scope(demo, account, o, scope)}
            assert selected == permitted, (role, account and account.area, scope)
            compared.append((len(permitted), len(objects)))
    # some scope permits some rows but not all, or agreeing would prove little
    assert any(0 < n < total for n, total in compared), compared


def test_a_role_without_a_scope_selects_nothing(demo: Session) -> None:
    for kind in MODELS:
        assert scope_sql(None, kind, None, "x") == ("false", {})
