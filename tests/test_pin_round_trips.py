"""A pin's time is mostly its round trips to PostgreSQL (bench/profile_pin.py lists them): a
signed-in pin with an Idempotency-Key runs in one transaction, and sends no more statements than
it needs (auth 1, claim 1, routing 2, the issue with its first event 1, notices 2: the issue's
row with the staff of its area and department, and the notices; answer 1)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.orm import Session

from api.app import create_app
from geo.core.settings import Settings
from geo.issues import pinning
from geo.issues.pinning import pin_issue
from geo.models import Issue, IssueEvent, IssueGridContact
from tests.issue_helpers import (
    make_account,
    point_far_from_compounds,
    point_in_building,
    point_in_street,
    point_in_yard,
)

STATEMENTS = 8


@contextmanager
def counting(engine: Engine) -> Iterator[dict[str, list[Any]]]:
    seen: dict[str, list[Any]] = {"statements": [], "transactions": [], "compiled": []}

    def statement(conn: Any, cursor: Any, sql: str, params: Any, context: Any, *args: Any) -> None:
        seen["statements"].append(" ".join(sql.split())[:80])
        if context.compiled is not None and context.cache_hit != CacheStats.CACHE_HIT:
            seen["compiled"].append(" ".join(sql.split())[:80])

    def begin(conn: Any) -> None:
        seen["transactions"].append(conn)

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", begin)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begin)


def test_a_pin_is_one_transaction_of_few_statements(
    module_settings: Settings, building_point: tuple[float, float]
) -> None:
    _, auth = make_account(module_settings, "resident")
    app = create_app(module_settings)
    lon, lat = building_point
    body = {"lon": lon, "lat": lat, "category": "street_order", "description": "路灯不亮"}
    with TestClient(app) as client:
        first = client.post("/api/issues", json=body, headers={**auth, "Idempotency-Key": "a"})
        assert first.status_code == 201, first.text
        with counting(app.state.engine) as seen:
            r = client.post("/api/issues", json=body, headers={**auth, "Idempotency-Key": "b"})
        assert r.status_code == 201, r.text
        assert r.json()["possible_duplicates"][0]["id"] == first.json()["id"]
    assert len(seen["transactions"]) == 1, seen
    assert len(seen["statements"]) <= STATEMENTS, "\n".join(seen["statements"])


def test_a_pin_compiles_no_statement_afresh(
    module_settings: Settings, building_point: tuple[float, float]
) -> None:
    """SQLAlchemy compiles a statement once and keeps it by its shape; a statement built with
    the request's values in it (a VALUES list, literals) is compiled again for every pin, which
    cost a third of a pin's time in Python (bench/profile_pin.py --profile)."""
    _, auth = make_account(module_settings, "resident")
    app = create_app(module_settings)
    lon, lat = building_point
    body = {"lon": lon, "lat": lat, "category": "street_order", "description": "井盖松动"}
    with TestClient(app) as client:
        # the first pin of a process compiles what it sends
        r = client.post("/api/issues", json=body, headers={**auth, "Idempotency-Key": "c1"})
        assert r.status_code == 201, r.text
        with counting(app.state.engine) as seen:
            again = {**body, "description": "井盖又松了", "severity": 3}
            r = client.post("/api/issues", json=again, headers={**auth, "Idempotency-Key": "c2"})
        assert r.status_code == 201, r.text
    assert seen["statements"]
    assert seen["compiled"] == [], "\n".join(seen["compiled"])


def test_every_pin_runs_one_plan_of_each_statement(fresh_settings: Settings) -> None:
    """PostgreSQL keeps a prepared statement by its text and its parameters' types, and psycopg
    types a parameter by its value: a NULL, a smallint or an integer. Pins in a building, in a
    yard or in a street sent the routing's and the insert's statements with other types, so each
    kind of place had statements of its own, planned afresh until each had been run five times
    on a connection (1.5 ms a pin, at the bench's p99). Every pin shares one of each here."""
    engine = create_engine(fresh_settings.database_url)
    with Session(engine) as db:
        _pin_at_every_kind_of_place(db)
        prepared = db.execute(text("SELECT statement FROM pg_prepared_statements")).scalars()
        statements = [" ".join(s.split()) for s in prepared]
    engine.dispose()
    for starts in ("WITH pin AS", "WITH args AS"):
        kept = [s for s in statements if s.startswith(starts)]
        assert len(kept) == 1, f"{starts}: {len(kept)} prepared statements"


def _pin_at_every_kind_of_place(db: Session) -> None:
    db.connection().connection.driver_connection.prepare_threshold = 0  # prepare on first use
    in_building, _ = point_in_building(db)
    in_yard, _ = point_in_yard(db)
    in_street, _, _ = point_in_street(db)
    far, _ = point_far_from_compounds(db)
    for n, ((lon, lat), unit, key) in enumerate(
        [
            (in_building, None, "k1"),
            (in_building, 1, None),
            (in_yard, None, "k2"),
            (in_street, None, None),
            (far, None, "k3"),
        ]  # fmt: skip
    ):
        category = ("street_order", "ebike_charging")[n % 2]
        pin_issue(db, crs="wgs84", lon=lon, lat=lat, category=category, description=f"第{n}处",
                  unit=unit, idempotency_key=key)  # fmt: skip


def test_a_pins_first_event_without_data_holds_json_null(fresh_settings: Settings) -> None:
    """The first event's data is JSON null when there is none, as every event written through
    the ORM holds (a query asking jsonb_typeof, or `data IS NULL`, sees one form)."""
    engine = create_engine(fresh_settings.database_url)
    with Session(engine) as db:
        (lon, lat), _ = point_in_building(db)
        body, _ = pin_issue(db, crs="wgs84", lon=lon, lat=lat, category="street_order",
                            description="路灯不亮")  # fmt: skip
        kind = db.execute(
            text("SELECT jsonb_typeof(data) FROM issue_event WHERE issue_id = :id"),
            {"id": body["id"]},
        ).scalar_one()
    engine.dispose()
    assert kind == "null"


def test_every_value_a_pin_sends_names_a_column(fresh_settings: Settings) -> None:
    """The pin's values go as JSON read into the tables' row types, where a key that names no
    column is dropped without a word: each must name one (and the chain is not empty here)."""
    engine = create_engine(fresh_settings.database_url)
    sent: dict[str, Any] = {}
    with Session(engine) as db:
        real = db.execute

        def spy(statement: Any, params: Any = None, *args: Any, **kwargs: Any) -> Any:
            if statement is pinning._PIN:
                sent.update(params)
            return real(statement, params, *args, **kwargs)

        db.execute = spy  # type: ignore[method-assign]
        (lon, lat), _ = point_in_building(db)
        pin_issue(db, crs="wgs84", lon=lon, lat=lat, category="street_order",
                  description="井盖松动", unit=1, idempotency_key="k")  # fmt: skip
    engine.dispose()
    tables = {"issue": Issue, "event": IssueEvent}
    for name, model in tables.items():
        assert set(sent[name]) <= set(model.__table__.c.keys()), name
    assert sent["chain"]
    for contact in sent["chain"]:
        assert set(contact) <= set(IssueGridContact.__table__.c.keys())
