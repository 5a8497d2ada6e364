"""Bulk actions (批量处理): one move on many matters, each matter's move made exactly once.

A bulk request names a move (dispatch, close, ...: a step of geo/issues/steps.TRANSITIONS and
what it needs) and the matters with the version each was seen at. It is stored first as a job
(`bulk_job`, under the request's scoped Idempotency-Key) with one row per matter
(`bulk_job_item`, waiting), and answered at once; the matters are then moved one by one, each
in a transaction of its own (`run`): the item row is locked (SKIP LOCKED, so two runners never
take the same matter), the move is made by geo/issues/steps.transition with the item's version
(If-Match: 412 when the matter changed since it was seen) and an Idempotency-Key of its own
derived from the job's, and the item is marked done or refused (with the status and reason)
in the same transaction as the event. So each matter gets one event or none: a refused one
stores nothing but its result, and a job cut short (the process stopped) goes on where it
stopped when the same request is sent again, which finds the job by its key.

Besides the steps, two moves reuse the single-matter ones per matter: `assigned` (each matter
to one named person of its unit, geo/issues/assignment.assign) and `merged` (each matter into
one, `into`, as a duplicate of it: geo/issues/steps.merge, whose source event keeps the
matter's key so a retry merges it once).

Why a job row the page polls rather than a streamed answer: the job outlives the request
(a phone that loses its connection, or a page reloaded, finds its progress and results), a
retried request finds the same job instead of starting another, and the per-matter results
stay for whoever reviews the batch.
"""

import json
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from geo.accounts.access import require
from geo.core import clock
from geo.core.db import transaction
from geo.core.errors import Forbidden, NotFound, PreconditionRequired, Unprocessable, YishitingError
from geo.issues import assignment, steps
from geo.models import Account

STEP_MOVES = ("topic", "dispatched", "closed", "rejected", "referred")
MOVES = (*STEP_MOVES, "assigned", "merged")
MAX_ITEMS = 500

_CREATE = text(
    """
    INSERT INTO bulk_job (account_id, action, params, idempotency_key, created_at)
    VALUES (:account, :action, CAST(:params AS jsonb), :key, :now)
    ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
    """
)
_FIND = text("SELECT id FROM bulk_job WHERE idempotency_key = :key")
_ITEMS = text(
    "INSERT INTO bulk_job_item (job_id, issue_id, position, version) VALUES (:j, :i, :p, :v)"
)


def create(
    session: Session,
    *,
    actor: Account,
    move: steps.Move,
    items: list[tuple[int, int | None]],
    idempotency_key: str | None,
    account_id: int | None = None,
    into: int | None = None,
) -> tuple[int, bool]:
    """Store the job and its matters (waiting); (job id, whether it was there already)."""
    require(session, actor, None, "bulk_move")
    if idempotency_key is None:
        raise PreconditionRequired("A bulk action needs an Idempotency-Key.",
                                   where="Idempotency-Key")  # fmt: skip
    if move.to not in MOVES:
        raise Unprocessable(f"A bulk move is one of {', '.join(MOVES)}.", where="to")
    ids = [i for i, _ in items]
    if not ids or len(ids) > MAX_ITEMS:
        raise Unprocessable(f"Name 1 to {MAX_ITEMS} matters.", where="items")
    if len(set(ids)) != len(ids):
        raise Unprocessable("A matter is named twice.", where="items")
    found = session.execute(text("SELECT count(*) FROM issue WHERE id = ANY(:ids)"), {"ids": ids})
    if found.scalar_one() != len(ids):
        raise Unprocessable("A matter named does not exist.", where="items")
    _check_target(session, move.to, ids, account_id=account_id, into=into)
    params = {"account_id": account_id, "into": into,
              "to": move.to, "note": move.note, "reason": move.reason,
              "referred_to": move.referred_to, "owner_department_id": move.owner_department_id,
              "owner_account_id": move.owner_account_id,
              "due_on": move.due_on.isoformat() if move.due_on else None}  # fmt: skip
    new = session.execute(_CREATE, {"account": actor.id, "action": move.to,
                                    "params": json.dumps(params), "key": idempotency_key,
                                    "now": clock.now()}).scalar()  # fmt: skip
    if new is None:
        return session.execute(_FIND, {"key": idempotency_key}).scalar_one(), True
    session.execute(_ITEMS, [{"j": new, "i": i, "p": n, "v": v}
                             for n, (i, v) in enumerate(items)])  # fmt: skip
    return new, False


def _check_target(
    session: Session, to: str, ids: list[int], *, account_id: int | None, into: int | None
) -> None:
    """An assignment names the person (account_id), a merge the matter kept (into), which is
    not one of those merged; whether they fit each matter is asked per matter."""
    if to == "assigned" and (account_id is None or session.get(Account, account_id) is None):
        raise Unprocessable("指派需要人员 / assigning names an account (account_id).",
                            where="account_id")  # fmt: skip
    if to != "merged":
        return
    if into is None or session.execute(_EXISTS, {"id": into}).scalar() is None:
        raise Unprocessable("合并需要保留的问题 / merging names the matter kept (into).",
                            where="into")  # fmt: skip
    if into in ids:
        raise Unprocessable(f"问题 {into} 不能并入自身 / matter {into} is the one kept.",
                            where="items")  # fmt: skip


_EXISTS = text("SELECT 1 FROM issue WHERE id = :id")


_NEXT = text(
    """
    SELECT b.issue_id, b.version, j.account_id, j.params, j.idempotency_key
      FROM bulk_job_item b JOIN bulk_job j ON j.id = b.job_id
     WHERE b.job_id = :j AND b.state = 'waiting'
     ORDER BY b.position LIMIT 1 FOR UPDATE OF b SKIP LOCKED
    """
)
_MARK = text(
    "UPDATE bulk_job_item SET state = :state, status = :status, detail = :detail, done_at = :now"
    " WHERE job_id = :j AND issue_id = :i"
)
_FINISH = text(
    "UPDATE bulk_job SET finished_at = :now WHERE id = :j AND finished_at IS NULL AND NOT EXISTS"
    " (SELECT FROM bulk_job_item WHERE job_id = :j AND state = 'waiting')"
)


def run(factory: sessionmaker[Session], job_id: int) -> None:
    """Move the job's waiting matters one by one, each in a transaction of its own."""
    while _step(factory, job_id):
        pass
    with transaction(factory) as session:
        session.execute(_FINISH, {"j": job_id, "now": clock.now()})


def _step(factory: sessionmaker[Session], job_id: int) -> bool:
    """One waiting matter moved (or refused); False when none is left to take."""
    with transaction(factory) as session:
        row = session.execute(_NEXT, {"j": job_id}).mappings().one_or_none()
        if row is None:
            return False
        actor = session.get_one(Account, row["account_id"])
        mark = {"j": job_id, "i": row["issue_id"], "now": clock.now()}
        key = f"{row['idempotency_key']}:{row['issue_id']}"  # the matter's own key
        try:
            with session.begin_nested():
                _one(session, row["issue_id"], actor, row["params"], row["version"], key)
        except YishitingError as refused:
            session.execute(_MARK, mark | {"state": "refused", "status": refused.status,
                                           "detail": str(refused)})  # fmt: skip
            return True
        session.execute(_MARK, mark | {"state": "done", "status": 200, "detail": None})
        return True


def _one(
    session: Session, issue_id: int, actor: Account, params: dict[str, Any], version: int | None,
    key: str,
) -> None:  # fmt: skip
    """One matter's move, as the single-matter route makes it."""
    if params["to"] == "assigned":
        assignment.assign(session, issue_id, actor=actor, account_id=params["account_id"],
                          expected_version=version, idempotency_key=key)  # fmt: skip
    elif params["to"] == "merged":
        steps.merge(session, issue_id, into=params["into"], actor=actor, note=params.get("note"),
                    expected_version=version, idempotency_key=key)  # fmt: skip
    else:
        steps.transition(session, issue_id, actor=actor, move=_move(params),
                         expected_version=version, idempotency_key=key)  # fmt: skip


def _move(params: dict[str, Any]) -> steps.Move:
    due = params.get("due_on")
    return steps.Move(
        to=params["to"], note=params.get("note"), reason=params.get("reason"),
        referred_to=params.get("referred_to"),
        owner_department_id=params.get("owner_department_id"),
        owner_account_id=params.get("owner_account_id"),
        due_on=date.fromisoformat(due) if due else None,
    )  # fmt: skip


_JOB = text(
    """
    SELECT j.id, j.account_id, j.action, j.created_at, j.finished_at,
           count(b.*) AS total,
           count(*) FILTER (WHERE b.state = 'done') AS done,
           count(*) FILTER (WHERE b.state = 'refused') AS refused,
           coalesce(json_agg(json_build_object('issue_id', b.issue_id, 'state', b.state,
                    'status', b.status, 'detail', b.detail) ORDER BY b.position), '[]') AS items
      FROM bulk_job j JOIN bulk_job_item b ON b.job_id = j.id
     WHERE j.id = :j GROUP BY j.id
    """
)


def job(session: Session, job_id: int, *, actor: Account) -> dict[str, Any]:
    """A job's progress and each matter's result, for whoever started it."""
    require(session, actor, None, "bulk_move")
    row = session.execute(_JOB, {"j": job_id}).mappings().one_or_none()
    if row is None:
        raise NotFound(f"No bulk job {job_id}.", where="job_id")
    if row["account_id"] != actor.id:
        raise Forbidden("Only whoever started a bulk job reads it.", where="job_id")
    return {k: v for k, v in row.items() if k != "account_id"} | {
        "waiting": row["total"] - row["done"] - row["refused"]
    }
