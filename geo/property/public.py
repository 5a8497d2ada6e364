"""What a compound publishes of its property service (三公开: services, fees, finances): the firm
in force and its hotline, the fee standards of the period in force, the latest finance
statement with its lines, and the compound's model titles. One SQL expression, so the public
posting (geo/district/posting.py) joins it into its single statement."""

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core.errors import NotFound
from geo.property.scope import CURRENT

_PROPERTY = f"""
json_build_object(
  'firm', (SELECT json_build_object('id', f.id, 'name', f.name, 'hotline', f.hotline,
                  'kind', f.kind, 'starts_on', pc.starts_on, 'ends_on', pc.ends_on)
             FROM property_contract pc JOIN property_firm f ON f.id = pc.firm_id
            WHERE pc.compound_id = {{c}} AND {CURRENT}
            ORDER BY pc.starts_on DESC LIMIT 1),
  'fees', (SELECT json_agg(json_build_object('item', pf.item, 'unit', pf.unit,
                  'price', pf.price::text, 'period_start', pf.period_start,
                  'period_end', pf.period_end) ORDER BY pf.id)
             FROM property_fee pf
            WHERE pf.compound_id = {{c}} AND pf.period_start = (
                  SELECT max(p2.period_start) FROM property_fee p2
                   WHERE p2.compound_id = {{c}} AND p2.period_start <= district_today())),
  'statement', (SELECT json_build_object('id', s.id, 'period_start', s.period_start,
                  'period_end', s.period_end, 'filename', s.filename,
                  'content_type', s.content_type, 'sha256', s.sha256, 'lines', s.lines,
                  'url', '/api/property/statements/' || s.id || '/file',
                  'income', (SELECT coalesce(sum((l->>'amount')::numeric), 0)::text
                               FROM jsonb_array_elements(s.lines) l WHERE l->>'kind' = 'income'),
                  'expense', (SELECT coalesce(sum((l->>'amount')::numeric), 0)::text
                                FROM jsonb_array_elements(s.lines) l
                               WHERE l->>'kind' = 'expense'))
                  FROM property_statement s WHERE s.compound_id = {{c}}
                 ORDER BY s.period_end DESC, s.id DESC LIMIT 1),
  'model_titles', (SELECT json_agg(json_build_object('title', t.title,
                      'awarded_on', t.awarded_on) ORDER BY t.awarded_on)
                     FROM model_compound_title t
                    WHERE t.compound_id = {{c}} AND t.awarded_on <= district_today()))
"""


def property_sql(compound: str) -> str:
    """The published property of the compound whose id is the SQL expression `compound`."""
    return _PROPERTY.format(c=compound)


def compound_property(session: Session, compound_id: int) -> dict[str, Any]:
    """The compound's published property (404 for an unknown compound)."""
    row = session.execute(
        text(f"SELECT {property_sql('c.id')} FROM compound c WHERE c.id = :id"), {"id": compound_id}
    ).scalar()
    if row is None:
        raise NotFound(f"No compound {compound_id}.", where="compound_id")
    return {**row, "fees": row["fees"] or [], "model_titles": row["model_titles"] or []}
