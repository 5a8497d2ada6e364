"""The CONTRACTED scope of geo/accounts/access: a property firm's account acts for the compounds
under a current contract with its firm (started, not ended, by the district's today), and on
the property matters (category.property_matter) pinned in them. One SQL condition serves both
the one-object check and the lists, so the two cannot disagree.
"""

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

# a contract in force on the district's today (SQL district_today(), pinned with the clock)
CURRENT = (
    "pc.starts_on <= district_today() AND (pc.ends_on IS NULL OR pc.ends_on >= district_today())"
)


def firm_in_force(compound: str) -> str:
    """A subquery: (name, hotline) of the firm under the contract in force for the compound
    whose id is the SQL expression `compound`; no row when none is in force. What a compound's
    property company and hotline are, wherever they are shown (posting, the compounds layer)."""
    return (
        "SELECT f.name, f.hotline FROM property_contract pc JOIN property_firm f"
        f" ON f.id = pc.firm_id WHERE pc.compound_id = {compound} AND {CURRENT}"
        " ORDER BY pc.starts_on DESC LIMIT 1"
    )


# Table names by object kind: a fixed mapping, never input.
TABLES = {"compound": "compound", "issue": "issue"}


def contracted_sql(kind: str, alias: str) -> str:
    """The condition on a compound or issue row `alias` (parameter :scope_pfirm)."""
    compound = f"{alias}.id" if kind == "compound" else f"{alias}.compound_id"
    served = (
        f"EXISTS (SELECT 1 FROM property_contract pc WHERE pc.compound_id = {compound}"
        f" AND pc.firm_id = :scope_pfirm AND {CURRENT})"
    )
    if kind == "compound":
        return served
    if kind == "issue":
        matter = (
            "EXISTS (SELECT 1 FROM category k"
            f" WHERE k.code = {alias}.category_code AND k.property_matter)"
        )
        return f"({served} AND {matter})"
    return "false"


def contracted(session: Session, firm_id: int, kind: str, ident: int) -> bool:
    """contracted_sql for the one row `ident` of `kind`."""
    if kind not in TABLES:
        return False
    sql = f"SELECT {contracted_sql(kind, 'x')} FROM {TABLES[kind]} x WHERE x.id = :id"
    params: dict[str, Any] = {"scope_pfirm": firm_id, "id": ident}
    return bool(session.execute(text(sql), params).scalar())
