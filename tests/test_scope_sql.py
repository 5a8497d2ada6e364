"""access.scope_sql (the lists: the work list, the on-site views) and access.in_scope (one
object) are one rule: over the demo, for every kind of account and every scope the access
table gives its role on issues, halls and renovation items, the SQL selects exactly the rows
the Python check permits (and on grid posts, for handing a post to its next holder, and on
compounds, for publishing their property and recording the five steps); for accounts of the
city and of each of two districts."""

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from fixtures import city
from geo.accounts.access import in_scope, scope_sql
from geo.accounts.access_table import ANONYMOUS, TABLE, Kind, Scope
from geo.core.settings import Settings
from geo.models import Account, Compound, GridPost, Hall, Issue
from geo.models.renovation import RenovationItem

MODELS: dict[Kind, Any] = {
    "issue": Issue, "hall": Hall, "item": RenovationItem, "post": GridPost, "compound": Compound,
}  # fmt: skip
TABLES: dict[Kind, str] = {
    "issue": "issue", "hall": "hall", "item": "renovation_item", "post": "grid_post",
    "compound": "compound",
}  # fmt: skip
AREAS = ("subdistrict", "community", "compound")
GRID_AREAS = ("building", "unit")  # only grid accounts are bound this narrowly


def scopes(role: str, kind: Kind) -> set[Scope]:
    """The scopes the access table gives `role` on objects of `kind`."""
    return {
        scope
        for rule in TABLE.values()
        if rule.on == kind and (scope := rule.roles.get(role)) is not None
    }


def account_kinds(db: Session) -> list[Account | None]:
    """Anonymous, and one account of each role and binding (not stored: in_scope and
    scope_sql read only the account's own fields), bound to places the demo has rows in.

    The demo has no issue dispatched away from the department it was routed to, no reporter
    with an account and no issue pinned in a unit: one of each is made here (in this module's
    copy of the demo), so that the owner, reporter and unit scopes select some rows but not
    all."""
    issue, routed, place = db.execute(
        text(
            "SELECT id, department_id, json_build_array(subdistrict_id, community_id, compound_id,"
            " building_id, (SELECT min(id) FROM unit u WHERE u.building_id = issue.building_id))"
            " FROM issue WHERE building_id IS NOT NULL AND department_id IS NOT NULL"
            " ORDER BY id LIMIT 1"
        )
    ).one()
    other = db.execute(
        text("SELECT min(id) FROM department WHERE id <> :d"), {"d": routed}
    ).scalar_one()
    reporter = db.execute(text("SELECT min(id) FROM account")).scalar_one()
    db.execute(
        text(
            "UPDATE issue SET owner_department_id = :o, reporter_account_id = :r, unit_id = :u"
            " WHERE id = :i"
        ),
        {"o": other, "r": reporter, "i": issue, "u": place[4]},
    )
    projects = db.execute(text("SELECT min(department_id) FROM renovation_project")).scalar_one()
    # The demo hands no item to a contractor: one firm gets one item here, another none.
    firms = db.scalars(
        text("INSERT INTO contractor_firm (code, name) VALUES ('SQL-A', 'a'), ('SQL-B', 'b')"
             " RETURNING id")
    ).all()  # fmt: skip
    db.execute(
        text(
            "UPDATE renovation_item SET firm_id = :f"
            " WHERE id = (SELECT min(id) FROM renovation_item)"
        ),
        {"f": firms[0]},
    )
    kinds: list[Account | None] = [None]
    kinds += [Account(id=-1, role=role) for role in ("admin", "planner")]
    kinds += [
        Account(id=-2, role=role, **{f"{area}_id": ident})
        for role in ("grid", "field")
        for area, ident in zip(AREAS, place[:3], strict=True)
    ]
    kinds += [
        Account(id=-2, role="grid", **{f"{area}_id": ident})
        for area, ident in zip(GRID_AREAS, place[3:], strict=True)
    ]
    kinds += [
        Account(id=-3, role="department", department_id=d)
        for d in sorted({routed, other, projects})
    ]
    kinds.append(Account(id=reporter, role="resident"))
    # the demo's leader accounts: a sub-district and two five-to-one compounds (the secretary),
    # communities as first responsible person, five-to-one compounds only
    leaders = db.scalars(
        text("SELECT account_id FROM official WHERE account_id IS NOT NULL ORDER BY id")
    ).all()
    assert len(leaders) >= 3
    kinds += [Account(id=ident, role="leader") for ident in leaders]
    kinds += [Account(id=-4, role="contractor", firm_id=f) for f in firms]
    # property firms: the state firm (兜底, many compounds but not all) and one serving none
    state = db.scalars(text("SELECT id FROM property_firm WHERE kind = 'state'")).one()
    none = db.scalars(
        text("INSERT INTO property_firm (name, kind) VALUES ('SQL 物业', 'market') RETURNING id")
    ).one()
    kinds += [Account(id=-5, role="property", property_firm_id=f) for f in (state, none)]
    return kinds + district_kinds(db, routed)


def district_kinds(db: Session, department: int) -> list[Account]:
    """Accounts of one district of two: Qiaodong is added (fixtures/city.py) and the demo's
    last sub-district handed to it, so that each district holds issues, halls, work items and
    grid posts; its issues follow it."""
    city.add_qiaodong(db)
    moved = db.execute(
        text(
            "UPDATE subdistrict SET district_id = 2 WHERE id = (SELECT max(id) FROM subdistrict"
            " WHERE district_id = 1) RETURNING id"
        )
    ).scalar_one()
    db.execute(text("UPDATE issue SET district_id = 2 WHERE subdistrict_id = :s"), {"s": moved})
    return [
        Account(id=-5, role="admin", district_id=1),
        Account(id=-5, role="admin", district_id=2),
        Account(id=-6, role="department", district_id=2, department_id=department),
    ]


@pytest.fixture(scope="module")
def db(module_settings: Settings) -> Iterator[Session]:
    """A session on this module's copy of the demo, its edge cases never committed."""
    engine = create_engine(module_settings.database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture(scope="module")
def accounts(db: Session) -> list[Account | None]:
    return account_kinds(db)


@pytest.mark.parametrize("kind", ["issue", "hall", "item", "post", "compound"])
def test_scope_sql_selects_what_in_scope_permits(
    db: Session, accounts: list[Account | None], kind: Kind
) -> None:
    objects: Sequence[Issue | Hall | RenovationItem | GridPost | Compound] = db.scalars(
        select(MODELS[kind])
    ).all()
    assert objects, f"the demo has no {kind}"
    compared: list[tuple[str, Scope, int]] = []  # (role, scope, rows permitted)
    for account in accounts:
        role = account.role if account else ANONYMOUS
        for scope in sorted(scopes(role, kind)):
            sql, params = scope_sql(account, kind, scope, "x")
            query = text(f"SELECT x.id FROM {TABLES[kind]} x WHERE {sql}")
            selected = set(db.scalars(query, params))
            permitted = {o.id for o in objects if in_scope(db, account, o, scope)}
            assert selected == permitted, (role, account and account.area, scope)
            compared.append((role, scope, len(permitted)))
    # every scope other than ANY permits some rows but not all, or agreeing would prove little
    for scope in {s for _, s, _ in compared} - {"any"}:
        counts = [n for _, s, n in compared if s == scope]
        assert any(0 < n < len(objects) for n in counts), (kind, scope, counts)


def test_a_role_without_a_scope_selects_nothing() -> None:
    for kind in MODELS:
        assert scope_sql(None, kind, None, "x") == ("false", {})


def test_two_districts_split_every_kind(db: Session, accounts: list[Account | None]) -> None:
    """An account of a district selects that district's rows: some, not all, and the two
    districts' together are every row."""
    for kind in MODELS:
        total = db.scalar(text(f"SELECT count(*) FROM {TABLES[kind]}"))
        counts = []
        for district in (1, 2):
            sql, params = scope_sql(Account(role="admin", district_id=district), kind, "any", "x")
            counts.append(
                db.scalar(text(f"SELECT count(*) FROM {TABLES[kind]} x WHERE {sql}"), params)
            )
        assert 0 < counts[1] < total and sum(counts) == total, (kind, counts, total)
