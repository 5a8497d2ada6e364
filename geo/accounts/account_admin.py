"""What an administrator sees and changes of accounts: who they are, when they last signed in,
what they did last (from the append-only events), deactivation and re-binding.

Deactivating ends the account's browser sessions at once (geo/accounts/browser_sessions.py); its
bearer token stops working too, as authenticate() takes active accounts only.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.accounts.access import scope_sql
from geo.accounts.access_table import TABLE
from geo.accounts.accounts import bind, bind_district, describe, get_account
from geo.accounts.browser_sessions import close_sessions_of
from geo.core.errors import Conflict
from geo.models import Account, Community, Department, Subdistrict

# The latest thing each account did, from every table that records an actor. Kinds are
# labels, never input; values are bound.
_LAST_ACTIONS = text(
    """
    SELECT DISTINCT ON (account_id) account_id, at, what, ref FROM (
      SELECT actor_account_id AS account_id, at,
             CASE WHEN kind = 'transition' THEN 'issue_transition_' || to_step
                  ELSE 'issue_' || kind END AS what,
             issue_id AS ref
        FROM issue_event WHERE actor_account_id IS NOT NULL
      UNION ALL
      SELECT account_id, uploaded_at, 'issue_photo', issue_id
        FROM issue_photo WHERE account_id IS NOT NULL
      UNION ALL
      SELECT recorded_by_id, recorded_at, 'hall_session', hall_id
        FROM hall_session WHERE recorded_by_id IS NOT NULL
      UNION ALL
      SELECT account_id, recorded_at, 'progress_report', item_id
        FROM progress_event WHERE account_id IS NOT NULL
      UNION ALL
      SELECT account_id, reviewed_at, 'progress_' || state, event_id
        FROM progress_review WHERE account_id IS NOT NULL
    ) actions
    ORDER BY account_id, at DESC
    """
)

_LIVE_SESSIONS = text(
    """
    SELECT account_id, count(*) AS n, max(last_seen_at) AS last_seen
      FROM browser_session WHERE expires_at > :now GROUP BY account_id
    """
)


def list_accounts(
    session: Session, *, now: datetime, only: int | None = None, viewer: Account | None = None
) -> list[dict[str, Any]]:
    """Every account (or `only` that one) with its last sign-in, live sessions and last action,
    newest first; for a `viewer`, those it may change (an admin of one district: its own)."""
    stmt = select(Account).order_by(Account.id.desc())
    if only is not None:
        stmt = stmt.where(Account.id == only)
    if viewer is not None:
        scope = TABLE["change_account"].roles.get(viewer.role)
        cond, params = scope_sql(viewer, "account", scope, "account")
        stmt = stmt.where(text(cond).bindparams(**params))
    accounts = session.scalars(stmt).all()
    last = {r.account_id: r for r in session.execute(_LAST_ACTIONS)}
    live = {r.account_id: r for r in session.execute(_LIVE_SESSIONS, {"now": now})}
    return [_row(session, a, last.get(a.id), live.get(a.id)) for a in accounts]


def _row(session: Session, account: Account, last: Any, live: Any) -> dict[str, Any]:
    return describe(session, account) | {
        "active": account.active,
        "created_at": account.created_at,
        "last_signin_at": account.last_signin_at,
        "has_password": account.password_hash is not None,
        "live_sessions": live.n if live else 0,
        "last_seen_at": live.last_seen if live else None,
        "last_action": {"at": last.at, "what": last.what, "ref": last.ref} if last else None,
    }


def account_row(session: Session, account_id: int, *, now: datetime) -> dict[str, Any]:
    (row,) = list_accounts(session, now=now, only=get_account(session, account_id).id)
    return row


def update_account(
    session: Session,
    account: Account,
    *,
    by: Account,
    changes: dict[str, Any],
) -> None:
    """Apply `changes` (name, role, area, department_id, district_id, active), checked together.

    An administrator cannot deactivate themselves (nobody might be left to undo it).
    """
    if "active" in changes and not changes["active"]:
        if account.id == by.id:
            raise Conflict(
                "不能停用自己的账号 (you cannot deactivate your own account).", where="active"
            )
        account.active = False
        close_sessions_of(session, account.id)
    elif changes.get("active"):
        account.active = True
    if "name" in changes:
        account.name = changes["name"]
    rebound = {"role", "area", "department_id", "firm_id", "property_firm_id"} & changes.keys()
    if rebound:
        bind(
            session,
            account,
            role=changes.get("role", account.role),
            area=changes["area"] if "area" in changes else account.area,
            department_id=changes.get("department_id", account.department_id),
            firm_id=changes.get("firm_id", account.firm_id),
            property_firm_id=changes.get("property_firm_id", account.property_firm_id),
        )
    if rebound or "district_id" in changes:  # a new area or department implies its district
        kept = None if rebound else account.district_id
        bind_district(session, account, changes.get("district_id", kept))
    session.flush()


def binding_choices(session: Session, admin: Account) -> dict[str, list[dict[str, Any]]]:
    """What `admin` can bind an account to: sub-districts and communities by name (a compound
    is typed as compound:ID, there are hundreds), and the departments; for an admin of one
    district, that district's (an account bound elsewhere would not be theirs to manage)."""
    subdistricts = select(Subdistrict).order_by(Subdistrict.id)
    communities = select(Community).order_by(Community.id)
    units = select(Department).order_by(Department.name)
    if admin.district_id is not None:
        subdistricts = subdistricts.where(Subdistrict.district_id == admin.district_id)
        communities = communities.join(Subdistrict).where(
            Subdistrict.district_id == admin.district_id
        )
        units = units.where(Department.district_id == admin.district_id)
    areas = [
        {"value": f"subdistrict:{s.id}", "label": f"subdistrict:{s.id} {s.name}"}
        for s in session.scalars(subdistricts)
    ] + [
        {"value": f"community:{c.id}", "label": f"community:{c.id} {c.name}"}
        for c in session.scalars(communities)
    ]
    departments = [{"id": d.id, "name": d.name} for d in session.scalars(units)]
    return {"areas": areas, "departments": departments}
