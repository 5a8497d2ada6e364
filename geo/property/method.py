"""The five-step method of red property (摸、帮、研、建、创: survey, help, study, build,
create) and the city's model-compound titles (市级物业服务标准化示范小区), each a dated record
per compound: the community offices record the steps in their compounds (staff read them), an
admin enters a title as the city awarded it, and the public page shows the titles."""

from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core.db import get_or_404
from geo.core.errors import Conflict, Unprocessable
from geo.core.idempotency import made_by_key
from geo.models import Account, Compound, ModelCompoundTitle, PropertyStep
from geo.models.property import STEPS

MODEL_TITLE = "市级物业服务标准化示范小区"

_STEPS = text(
    """
    SELECT json_build_object('id', s.id, 'compound_id', s.compound_id, 'step', s.step,
           'done_on', s.done_on, 'note', s.note)
      FROM property_step s WHERE s.compound_id = :compound ORDER BY s.done_on, s.id
    """
)
_TITLES = text(
    """
    SELECT json_build_object('id', t.id, 'compound_id', c.id, 'compound', c.name,
           'title', t.title, 'awarded_on', t.awarded_on)
      FROM model_compound_title t JOIN compound c ON c.id = t.compound_id
     WHERE t.awarded_on <= district_today()
     ORDER BY t.awarded_on, c.name
    """
)


def _compound(session: Session, compound_id: int) -> Compound:
    compound = get_or_404(session, Compound, compound_id, what="compound", where="compound_id")
    return compound


def steps_of(session: Session, actor: Account | None, compound_id: int) -> list[dict[str, Any]]:
    """The compound's five-step records, oldest first (staff)."""
    require(session, actor, None, "read_property_steps")
    _compound(session, compound_id)
    return list(session.execute(_STEPS, {"compound": compound_id}).scalars())


def record_step(
    session: Session,
    actor: Account,
    compound_id: int,
    *,
    step: str,
    done_on: date,
    note: str,
    idempotency_key: str | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """One step done in the compound (nothing committed); (its records, created)."""
    done = made_by_key(session, PropertyStep.compound_id, idempotency_key)
    if done is not None:
        return steps_of(session, actor, done), False
    require(session, actor, _compound(session, compound_id), "record_property_step")
    if step not in STEPS:
        raise Unprocessable(f"step must be one of {', '.join(STEPS)}.", where="step")
    session.add(
        PropertyStep(
            compound_id=compound_id, step=step, done_on=done_on, note=note.strip(),
            account_id=actor.id, idempotency_key=idempotency_key,
        )
    )  # fmt: skip
    session.flush()
    return steps_of(session, actor, compound_id), True


def model_titles(session: Session) -> list[dict[str, Any]]:
    """The model-compound list as awarded by today (public)."""
    return list(session.execute(_TITLES).scalars())


def award_title(
    session: Session,
    actor: Account,
    compound_id: int,
    *,
    awarded_on: date,
    title: str = MODEL_TITLE,
    idempotency_key: str | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Enter a compound's title as the city awarded it; (the list, created)."""
    require(session, actor, None, "award_model_compound")
    done = made_by_key(session, ModelCompoundTitle.id, idempotency_key)
    if done is not None:
        return model_titles(session), False
    _compound(session, compound_id)
    taken = select(ModelCompoundTitle.id).where(
        ModelCompoundTitle.compound_id == compound_id, ModelCompoundTitle.title == title
    )
    if session.scalar(taken) is not None:
        raise Conflict(f"Compound {compound_id} already holds {title}.", where="title")
    session.add(
        ModelCompoundTitle(
            compound_id=compound_id, title=title, awarded_on=awarded_on, account_id=actor.id,
            idempotency_key=idempotency_key,
        )
    )  # fmt: skip
    session.flush()
    return model_titles(session), True
