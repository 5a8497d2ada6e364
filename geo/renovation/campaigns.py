"""Campaigns and the counters they reported: what the district counted and no geometry holds."""

from typing import Any

import psycopg
from psycopg.rows import dict_row

CAMPAIGNS = """
SELECT c.code, c.name, c.name_en, c.started_on, c.ended_on, c.source,
       coalesce(json_agg(json_build_object(
           'code', k.code, 'label', k.label, 'label_en', k.label_en, 'value', k.value,
           'at_least', k.at_least, 'unit', k.unit) ORDER BY k.position, k.id)
           FILTER (WHERE k.id IS NOT NULL), '[]') AS counters
FROM campaign c LEFT JOIN campaign_counter k ON k.campaign_id = c.id
GROUP BY c.id
ORDER BY c.started_on, c.code
"""


def campaigns(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every campaign with its counters, oldest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(CAMPAIGNS).fetchall()
    for r in rows:
        r["started_on"] = r["started_on"].isoformat()
        r["ended_on"] = r["ended_on"].isoformat() if r["ended_on"] else None
    return rows
