"""Response templates (答复模板): texts a unit keeps for replying to residents.

A template belongs to the unit of the account that wrote it (its department, else its area:
geo/issues/owners.actor_unit), or to the district for an account of no unit (the district's
desk), and applies to a category and a step (either may be left open: any). Staff of any unit
read the templates that apply to a matter (their unit's and the district's); only the unit's
own accounts allowed `manage_templates` write or change them (a change needs the version it
was read at: If-Match). A template is only a starting text: the page inserts it into the reply
form, the writer edits it, and what is sent is a `feedback` event whose text the resident
sees (geo/issues/feedback.py), so every template is marked public.
"""

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core import clock
from geo.core.errors import Forbidden, NotFound, PreconditionFailed, Unprocessable
from geo.core.vocabulary import STEPS
from geo.issues.owners import actor_unit
from geo.models import Account

_COLUMNS = "id, unit_kind, unit_id, category_code AS category, step, title, body, version"
_APPLY = text(
    f"""
    SELECT {_COLUMNS} FROM response_template
     WHERE (unit_kind IS NULL OR (unit_kind = :kind AND unit_id = :unit))
       AND (category_code IS NULL OR CAST(:category AS text) IS NULL OR category_code = :category)
       AND (step IS NULL OR CAST(:step AS text) IS NULL OR step = :step)
     ORDER BY category_code NULLS LAST, step NULLS LAST, title, id
    """
)


def _unit(session: Session, actor: Account) -> tuple[str | None, int | None]:
    found = actor_unit(session, actor)
    return (found["kind"], found["id"]) if found else (None, None)


def _answer(row: Any) -> dict[str, Any]:
    return dict(row) | {"public": True}


def applying(
    session: Session, *, actor: Account, category: str | None, step: str | None
) -> list[dict[str, Any]]:
    """My unit's and the district's templates for a category and step (None: any)."""
    require(session, actor, None, "read_templates")
    kind, unit = _unit(session, actor)
    params = {"kind": kind, "unit": unit, "category": category, "step": step}
    return [_answer(r) for r in session.execute(_APPLY, params).mappings()]


def _check(session: Session, category: str | None, step: str | None) -> None:
    if step is not None and step not in STEPS:
        raise Unprocessable(f"Unknown step {step!r}.", where="step")
    known = session.execute(text("SELECT 1 FROM category WHERE code = :c"), {"c": category})
    if category is not None and known.first() is None:
        raise Unprocessable(f"No category {category!r}.", where="category")


def create(
    session: Session,
    *,
    actor: Account,
    category: str | None,
    step: str | None,
    title: str,
    body: str,
    idempotency_key: str | None,
) -> dict[str, Any]:
    """A new template of my unit (a retry under the same key answers the first)."""
    require(session, actor, None, "manage_templates")
    _check(session, category, step)
    kind, unit = _unit(session, actor)
    row = session.execute(
        text(
            "INSERT INTO response_template (unit_kind, unit_id, category_code, step, title, body,"
            " updated_by, updated_at, idempotency_key) VALUES (:kind, :unit, :category, :step,"
            " :title, :body, :by, :at, :key) ON CONFLICT (idempotency_key) DO NOTHING"
            f" RETURNING {_COLUMNS}"
        ),
        {"kind": kind, "unit": unit, "category": category, "step": step, "title": title,
         "body": body, "by": actor.id, "at": clock.now(), "key": idempotency_key},
    ).mappings().one_or_none()  # fmt: skip
    if row is None:
        row = (
            session.execute(
                text(f"SELECT {_COLUMNS} FROM response_template WHERE idempotency_key = :k"),
                {"k": idempotency_key},
            )
            .mappings()
            .one()
        )
    return _answer(row)


def change(
    session: Session,
    template_id: int,
    *,
    actor: Account,
    title: str,
    body: str,
    expected_version: int | None,
) -> dict[str, Any]:
    """My unit's template, rewritten (412 when it changed since it was read)."""
    require(session, actor, None, "manage_templates")
    row = (
        session.execute(
            text(f"SELECT {_COLUMNS} FROM response_template WHERE id = :id FOR UPDATE"),
            {"id": template_id},
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotFound(f"No template {template_id}.", where="template_id")
    if (row["unit_kind"], row["unit_id"]) != _unit(session, actor):
        raise Forbidden("Only the unit that keeps a template changes it.", where="template_id")
    if expected_version is not None and row["version"] != expected_version:
        raise PreconditionFailed(
            f"Template {template_id} is at version {row['version']}, not {expected_version}.",
            where="If-Match",
            current_version=row["version"],
        )
    changed = (
        session.execute(
            text(
                "UPDATE response_template SET title = :title, body = :body, version = version + 1,"
                f" updated_by = :by, updated_at = :at WHERE id = :id RETURNING {_COLUMNS}"
            ),
            {"title": title, "body": body, "by": actor.id, "at": clock.now(), "id": template_id},
        )
        .mappings()
        .one()
    )
    return _answer(changed)
