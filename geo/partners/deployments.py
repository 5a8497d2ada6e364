"""Deployments (干部下沉): cadres of the district's units sent down to the communities' work
groups in an emergency, as July 2021's 972 to epidemic-prevention checkpoint duty (卡口值勤).

A deployment holds its work groups (one per community), their checkpoints on the map, the
cadres (each of a sending unit, in one group) and their shifts at checkpoints. The database
keeps a cadre to one shift at a time (an exclusion constraint); a shift lies within the
deployment's dates. The next emergency is organised the same way: a new deployment `like` an
earlier one starts with its work groups and checkpoints (not its people or shifts).

Staff read deployments (read_deployments); administrators create them and add cadres and
shifts (manage_deployments). Store functions commit nothing; a retry with the same
Idempotency-Key answers what the first did.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.accounts.access import can, require
from geo.core import clock
from geo.core.db import get_or_404
from geo.core.errors import Conflict, NotFound, Unprocessable
from geo.core.idempotency import made_by_key
from geo.models import Account, Checkpoint, DeployedCadre, Deployment, DutyShift, WorkGroup

MAX_SHIFT = timedelta(hours=12)

_LIST = text(
    """
    SELECT d.id, d.code, d.name, d.purpose, d.started_on, d.ended_on, d.like_id,
           (SELECT count(*) FROM work_group g WHERE g.deployment_id = d.id) AS groups,
           (SELECT count(*) FROM checkpoint k JOIN work_group g ON g.id = k.group_id
             WHERE g.deployment_id = d.id) AS checkpoints,
           (SELECT count(*) FROM deployed_cadre c WHERE c.deployment_id = d.id) AS cadres,
           (SELECT count(*) FROM duty_shift s JOIN deployed_cadre c ON c.id = s.cadre_id
             WHERE c.deployment_id = d.id) AS shifts
    FROM deployment d WHERE CAST(:id AS integer) IS NULL OR d.id = CAST(:id AS integer)
    ORDER BY d.started_on DESC, d.id
    """
)

# The checkpoints as RFC 7946 features, each with its group's community and its shifts.
_CHECKPOINTS = text(
    """
    SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
      json_build_object('type', 'Feature', 'id', k.id,
        'geometry', ST_AsGeoJSON(k.geom, 7)::json,
        'properties', json_build_object('name', k.name, 'group_id', g.id, 'community', m.name,
          'shifts', (SELECT count(*) FROM duty_shift s WHERE s.checkpoint_id = k.id),
          'cadres', (SELECT count(DISTINCT s.cadre_id) FROM duty_shift s
                      WHERE s.checkpoint_id = k.id)))
      ORDER BY k.id), '[]'))
    FROM checkpoint k JOIN work_group g ON g.id = k.group_id
         JOIN community m ON m.id = g.community_id
    WHERE g.deployment_id = :id
    """
)

_GROUPS = text(
    """
    SELECT g.id, g.name, m.id AS community_id, m.name AS community,
           (SELECT count(*) FROM deployed_cadre c WHERE c.group_id = g.id) AS cadres,
           (SELECT count(*) FROM checkpoint k WHERE k.group_id = g.id) AS checkpoints
    FROM work_group g JOIN community m ON m.id = g.community_id
    WHERE g.deployment_id = :id ORDER BY m.id
    """
)

_UNITS = text(
    """
    SELECT d.id, d.name, count(*) AS cadres
    FROM deployed_cadre c JOIN department d ON d.id = c.department_id
    WHERE c.deployment_id = :id GROUP BY d.id, d.name ORDER BY count(*) DESC, d.id
    """
)


@dataclass(frozen=True)
class NewDeployment:
    code: str
    name: str
    purpose: str
    started_on: date
    ended_on: date
    like_id: int | None = None


def list_deployments(db: Session, actor: Account) -> list[dict[str, Any]]:
    require(db, actor, None, "read_deployments")
    return [dict(r._mapping) for r in db.execute(_LIST, {"id": None})]


def deployment_out(db: Session, actor: Account, deployment_id: int) -> dict[str, Any]:
    """A deployment with its totals, work groups, sending units and checkpoints (GeoJSON)."""
    require(db, actor, None, "read_deployments")
    row = db.execute(_LIST, {"id": deployment_id}).one_or_none()
    if row is None:
        raise NotFound(f"No deployment {deployment_id}.", where="deployment_id")
    params = {"id": deployment_id}
    return {
        **row._mapping,
        "work_groups": [dict(r._mapping) for r in db.execute(_GROUPS, params)],
        "units": [dict(r._mapping) for r in db.execute(_UNITS, params)],
        "checkpoint_map": db.execute(_CHECKPOINTS, params).scalar_one(),
        "can_manage": can(db, actor, None, "manage_deployments"),
    }


def create(
    db: Session, actor: Account, new: NewDeployment, idempotency_key: str | None
) -> tuple[dict[str, Any], bool]:
    """A deployment; `like_id` copies an earlier one's work groups and checkpoints."""
    require(db, actor, None, "manage_deployments")
    done = made_by_key(db, Deployment.id, idempotency_key)
    if done is not None:
        return deployment_out(db, actor, done), False
    if new.ended_on < new.started_on:
        raise Unprocessable("ended_on is before started_on.", where="ended_on")
    if db.scalar(select(Deployment.id).where(Deployment.code == new.code)) is not None:
        raise Conflict(f"A deployment {new.code} exists.", where="code")
    if new.like_id is not None and db.get(Deployment, new.like_id) is None:
        raise Unprocessable(f"No deployment {new.like_id} to copy.", where="like_id")
    row = Deployment(**new.__dict__, idempotency_key=idempotency_key)
    db.add(row)
    db.flush()
    if new.like_id is not None:
        _copy_layout(db, new.like_id, row.id)
    return deployment_out(db, actor, row.id), True


def _copy_layout(db: Session, source: int, target: int) -> None:
    """The work groups and checkpoints of `source`, in one statement."""
    db.execute(
        text(
            """
            WITH groups AS (
              INSERT INTO work_group (deployment_id, community_id, name)
              SELECT :target, community_id, name FROM work_group WHERE deployment_id = :source
              RETURNING id, community_id)
            INSERT INTO checkpoint (group_id, name, geom)
            SELECT n.id, k.name, k.geom
            FROM checkpoint k JOIN work_group o ON o.id = k.group_id
                 JOIN groups n ON n.community_id = o.community_id
            WHERE o.deployment_id = :source
            """
        ),
        {"source": source, "target": target},
    )


def add_cadre(
    db: Session,
    actor: Account,
    deployment_id: int,
    *,
    name: str,
    department_id: int,
    group_id: int,
    idempotency_key: str | None,
) -> tuple[dict[str, Any], bool]:
    """A cadre of a sending unit (a department) sent to one of the deployment's groups."""
    require(db, actor, None, "manage_deployments")
    done = made_by_key(db, DeployedCadre.id, idempotency_key)
    if done is not None:
        return _cadre_out(db, done), False
    group = _group_of(db, deployment_id, group_id)
    if db.scalar(text("SELECT 1 FROM department WHERE id = :d"), {"d": department_id}) is None:
        raise Unprocessable(f"No department {department_id}.", where="department_id")
    cadre = DeployedCadre(deployment_id=deployment_id, group_id=group.id, name=name,
                          department_id=department_id, idempotency_key=idempotency_key)  # fmt: skip
    db.add(cadre)
    db.flush()
    return _cadre_out(db, cadre.id), True


def add_shift(
    db: Session,
    actor: Account,
    deployment_id: int,
    *,
    cadre_id: int,
    checkpoint_id: int,
    starts_at: datetime,
    ends_at: datetime,
    idempotency_key: str | None,
) -> tuple[dict[str, Any], bool]:
    """A cadre's shift at a checkpoint of the deployment, within its dates, at most 12 hours,
    never overlapping another of the cadre's shifts (409 naming it)."""
    require(db, actor, None, "manage_deployments")
    done = made_by_key(db, DutyShift.id, idempotency_key)
    if done is not None:
        return _shift_out(db, done), False
    deployment = get_or_404(db, Deployment, deployment_id, what="deployment", where="deployment_id")
    cadre = db.get(DeployedCadre, cadre_id)
    if cadre is None or cadre.deployment_id != deployment_id:
        raise Unprocessable(f"Cadre {cadre_id} is not in this deployment.", where="cadre_id")
    checkpoint = db.get(Checkpoint, checkpoint_id)
    if checkpoint is None or _group_of_checkpoint(db, checkpoint) != deployment_id:
        raise Unprocessable(f"Checkpoint {checkpoint_id} is not in this deployment.",
                            where="checkpoint_id")  # fmt: skip
    _check_times(deployment, starts_at, ends_at)
    clash = db.scalar(
        text(
            "SELECT id FROM duty_shift WHERE cadre_id = :c"
            " AND tstzrange(starts_at, ends_at) && tstzrange(:s, :e) LIMIT 1"
        ),
        {"c": cadre_id, "s": starts_at, "e": ends_at},
    )
    if clash is not None:
        raise Conflict(f"Cadre {cadre_id} is on shift {clash} then.", where="starts_at",
                       shift_id=clash)  # fmt: skip
    shift = DutyShift(checkpoint_id=checkpoint_id, cadre_id=cadre_id, starts_at=starts_at,
                      ends_at=ends_at, idempotency_key=idempotency_key)  # fmt: skip
    db.add(shift)
    db.flush()
    return _shift_out(db, shift.id), True


def _check_times(deployment: Deployment, starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise Unprocessable("ends_at must be later than starts_at.", where="ends_at")
    if ends_at - starts_at > MAX_SHIFT:
        raise Unprocessable("A shift lasts at most 12 hours.", where="ends_at")
    first = datetime.combine(deployment.started_on, time(), clock.DISTRICT_TZ)
    last = datetime.combine(deployment.ended_on + timedelta(days=1), time(), clock.DISTRICT_TZ)
    if starts_at < first or ends_at > last:
        raise Unprocessable(
            f"The deployment runs {deployment.started_on} to {deployment.ended_on}; the shift"
            " lies outside it.",
            where="starts_at",
        )


def _group_of(db: Session, deployment_id: int, group_id: int) -> WorkGroup:
    if db.get(Deployment, deployment_id) is None:
        raise NotFound(f"No deployment {deployment_id}.", where="deployment_id")
    group = db.get(WorkGroup, group_id)
    if group is None or group.deployment_id != deployment_id:
        raise Unprocessable(f"Group {group_id} is not in deployment {deployment_id}.",
                            where="group_id")  # fmt: skip
    return group


def _group_of_checkpoint(db: Session, checkpoint: Checkpoint) -> int | None:
    group = db.get(WorkGroup, checkpoint.group_id)
    return group.deployment_id if group else None


def _cadre_out(db: Session, cadre_id: int) -> dict[str, Any]:
    c = db.get(DeployedCadre, cadre_id)
    assert c is not None  # found by its key or just made
    return {"id": c.id, "name": c.name, "group_id": c.group_id, "department_id": c.department_id}


def _shift_out(db: Session, shift_id: int) -> dict[str, Any]:
    s = db.get(DutyShift, shift_id)
    assert s is not None  # found by its key or just made
    return {"id": s.id, "cadre_id": s.cadre_id, "checkpoint_id": s.checkpoint_id,
            "starts_at": s.starts_at, "ends_at": s.ends_at}  # fmt: skip
