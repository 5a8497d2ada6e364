"""Scorecards (监督评审): how each unit answers, finishes and satisfies, rebuilt from the events.

For the issues pinned in [start, end] (district days) and each unit they belong to (its
compound, community, sub-district, or the department that holds it: the one of its latest
dispatch or, after its first dispatch, of its latest owner change, so a re-routed issue counts
for the unit it went to), as of a date:

- received: issues pinned in the range;
- responded_in_limit: left `collected` by the close of the respond-by day (working days, the
  category's limit), over the issues with a limit whose respond-by day has come;
- completed_on_time: reached `resolved` by the close of the complete-by day, over the issues
  with a limit whose complete-by day has come;
- closure_rate: no longer open, over received;
- resolution_rate: solved (resolved or reviewed), over those no longer open, so an issue
  closed without a fix, referred or merged lowers it;
- rework_rate: reopened as rework, over those ever resolved;
- receipt_rate: signed for (签收, geo/issues/receipt.py) within the office hours of the
  receipt limit from the latest clock start, over those whose receive-by has come or that
  were signed for;
- feedback_rate: first feedback to the resident (首次反馈, geo/issues/feedback.py) within the
  limit of the matter's kind recorded at its filing, over those whose feedback-by has come or
  that were answered;
- problem_tickets: the matters that became problem tickets (问题工单: sent back three times or
  passed across three units, geo/issues/problem_tickets.py) by the as-of day;
- satisfaction: the mean of the residents' ratings (1-5; geo/issues/ratings.py), every
  rating counted (one per resolution round), from the reporter or recorded by the council
  hall, with how many ratings and how many came from the reporters themselves.
- by property_firm (红色物业): the property matters (category.property_matter) counted for
  the firm whose contract covered the issue's compound on the day it was pinned.
- report (by department only): 报到 on time, the whistles (geo/partners/whistles.py) blown in
  the range that summoned the department and whose report-by has come or that it answered
  (due), and those it checked in on site by report_by (on_time); late and absent ones lower it.

The limits are those recorded when the issue's clock last started (issue_limit: its pinning,
or the owner change that restarted it), and count from that start; a planner changing a
category's limits later moves no figure.

Everything comes from issue_event rows up to the end of the as-of day (the issue row's
current step is never read), so a past date rebuilds the figures as they stood then.
"""

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core import clock
from geo.core.errors import InvalidParameter, NotFound
from geo.core.vocabulary import OPEN_STEPS, OUTCOMES
from geo.issues import feedback
from geo.issues.receipt import RECEIPT_HOURS
from geo.issues.worktime import add_work_hours, calendars

UNITS = {
    "compound": ("i.compound_id", "compound"),
    "community": ("i.community_id", "community"),
    "subdistrict": ("m.subdistrict_id", "subdistrict"),
    "department": ("d.owner", "department"),
    # a property matter counts for the firm that served its compound the day it was pinned
    "property_firm": (
        (
            "(SELECT pc.firm_id FROM property_contract pc JOIN category k"
            " ON k.code = i.category_code AND k.property_matter"
            " WHERE pc.compound_id = i.compound_id"
            " AND pc.starts_on <= {day} AND (pc.ends_on IS NULL OR pc.ends_on >= {day})"
            " ORDER BY pc.starts_on DESC LIMIT 1)"
        ).format(day="(i.created_at AT TIME ZONE 'Asia/Shanghai')::date"),
        "property_firm",
    ),
}
MAX_DAYS = 3 * 366

FACTS = """
WITH upto AS MATERIALIZED (
    SELECT * FROM issue_event WHERE at < :until
), steps AS (
    SELECT DISTINCT ON (issue_id) issue_id, to_step
    FROM upto WHERE to_step IS NOT NULL ORDER BY issue_id, at DESC, id DESC
), first_dispatch AS (
    SELECT issue_id, min(at) AS at FROM upto WHERE to_step = 'dispatched' GROUP BY issue_id
), d AS (
    SELECT DISTINCT ON (e.issue_id) e.issue_id,
           coalesce((e.data ->> 'owner_department_id')::int,
                    (e.data -> 'to_owner' -> 'department' ->> 'id')::int) AS owner
    FROM upto e JOIN first_dispatch f ON f.issue_id = e.issue_id AND e.at >= f.at
    WHERE (e.to_step = 'dispatched' AND e.data ? 'owner_department_id') OR e.data ? 'to_owner'
    ORDER BY e.issue_id, e.at DESC, e.id DESC
), clocks AS (
    SELECT DISTINCT ON (e.issue_id) e.issue_id, e.at AS clock_at, l.respond_days,
           l.complete_days, l.receipt_hours
    FROM upto e JOIN issue_limit l ON l.event_id = e.id
    ORDER BY e.issue_id, e.at DESC, e.id DESC
), times AS (
    SELECT issue_id,
           min(at) FILTER (WHERE from_step = 'collected') AS responded_at,
           min(at) FILTER (WHERE to_step = 'resolved') AS resolved_at,
           bool_or(coalesce((data ->> 'rework')::boolean, false)) AS rework
    FROM upto GROUP BY issue_id
), rated AS (
    SELECT issue_id, sum((data ->> 'rating')::int) AS rating_sum, count(*) AS ratings,
           count(*) FILTER (WHERE data ->> 'source' = 'reporter') AS reporter_ratings
    FROM upto WHERE kind = 'rated' GROUP BY issue_id
)
SELECT i.id, i.district_id, i.created_at, i.category_code, {unit} AS unit,
       coalesce(s.to_step, 'collected') AS step, tm.responded_at, tm.resolved_at,
       coalesce(tm.rework, false) AS rework, coalesce(r.rating_sum, 0) AS rating_sum,
       coalesce(r.ratings, 0) AS ratings, coalesce(r.reporter_ratings, 0) AS reporter_ratings,
       coalesce(k.clock_at, i.created_at) AS clock_at, k.respond_days, k.complete_days,
       k.receipt_hours, i.level::text AS level,
       (SELECT min(v.at) FROM upto v WHERE v.issue_id = i.id AND v.kind = 'received'
           AND v.at >= coalesce(k.clock_at, i.created_at)) AS received_at,
       (SELECT min(v.at) FROM upto v WHERE v.issue_id = i.id AND v.kind = 'feedback')
         AS answered_at,
       EXISTS (SELECT FROM upto v WHERE v.issue_id = i.id AND v.kind = 'problem_ticket')
         AS problem_ticket, f.at AS filed_at, f.feedback_kind, f.feedback_hours
FROM issue i
JOIN community m ON m.id = i.community_id
LEFT JOIN steps s ON s.issue_id = i.id
LEFT JOIN d ON d.issue_id = i.id
LEFT JOIN times tm ON tm.issue_id = i.id
LEFT JOIN rated r ON r.issue_id = i.id
LEFT JOIN clocks k ON k.issue_id = i.id
LEFT JOIN (SELECT e.issue_id, e.at, l.feedback_kind, l.feedback_hours
             FROM upto e LEFT JOIN issue_limit l ON l.event_id = e.id
            WHERE e.kind = 'created') f ON f.issue_id = i.id
WHERE i.created_at >= :start AND i.created_at < :end AND i.created_at < :until {only}
"""

NAMES = {
    "compound": "SELECT id, name FROM compound",
    "community": "SELECT id, name FROM community",
    "subdistrict": "SELECT id, name FROM subdistrict",
    "department": "SELECT id, name FROM department",
    "property_firm": "SELECT id, name FROM property_firm",
}


def check_range(start: date, end: date) -> None:
    if end < start:
        raise InvalidParameter(f"end {end} is before start {start}.", where="end")
    if (end - start).days > MAX_DAYS:
        raise InvalidParameter(f"a scorecard spans at most {MAX_DAYS} days.", where="end")


def scorecards(
    db: Session, *, by: str, start: date, end: date, as_of: date | None = None
) -> dict[str, Any]:
    """One row per unit with its rates and the counts behind them."""
    as_of = as_of or clock.today()
    rows = _facts(db, by=by, start=start, end=end, as_of=as_of)
    cals = calendars(db)
    units: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        if r["unit"] is None:
            continue
        _count(units[r["unit"]], r, cals.of(r["district_id"]), as_of)
    names: dict[int, str] = dict(tuple(row) for row in db.execute(text(NAMES[by])))
    cards = [_card(u, names.get(u), c) for u, c in units.items()]
    if by == "department":
        _add_reports(db, cards, names, start, end, as_of)
    cards.sort(key=lambda c: (-c["counts"]["received"], c["id"]))
    return {
        "by": by,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "as_of": as_of.isoformat(),
        "units": cards,
    }


def trend(
    db: Session, *, by: str, unit: int, start: date, end: date, as_of: date | None = None
) -> dict[str, Any]:
    """One unit's rates month by month: the issues pinned in each month of the range, counted
    exactly as `scorecards` counts them (a month with no issue has null rates)."""
    as_of = as_of or clock.today()
    _check_by(by)
    found = db.execute(text(f"{NAMES[by]} WHERE id = :id"), {"id": unit}).one_or_none()
    if found is None:
        raise NotFound(f"No {by} {unit}.", where="unit")
    name = found[1]
    rows = _facts(db, by=by, start=start, end=end, as_of=as_of, unit=unit)
    cals = calendars(db)
    months: dict[str, dict[str, int]] = {m: defaultdict(int) for m in _months(start, end)}
    for r in rows:
        month = clock.local(r["created_at"]).strftime("%Y-%m")
        _count(months[month], r, cals.of(r["district_id"]), as_of)
    return {
        "by": by,
        "unit": unit,
        "name": name,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "as_of": as_of.isoformat(),
        "months": [{"month": m} | _rates(_card(unit, name, c)) for m, c in months.items()],
    }


_REPORTS = text(
    """
    SELECT p.department_id,
           count(*) FILTER (WHERE w.report_by < :until OR p.reported_at < :until) AS due,
           count(*) FILTER (WHERE p.reported_at <= w.report_by AND p.reported_at < :until)
             AS on_time
      FROM whistle_party p JOIN whistle w ON w.id = p.whistle_id
     WHERE p.department_id IS NOT NULL AND w.blown_at BETWEEN :start AND :end
     GROUP BY p.department_id
    """
)


def _add_reports(
    db: Session,
    cards: list[dict[str, Any]],
    names: dict[int, str],
    start: date,
    end: date,
    as_of: date,
) -> None:
    """报到 on time per department; a department summoned but holding no issue gets a card."""
    params = {"start": clock.day_start(start), "end": clock.day_end(end),
              "until": clock.day_end(as_of)}  # fmt: skip
    figures = {d: (due, on_time) for d, due, on_time in db.execute(_REPORTS, params)}
    known = {c["id"] for c in cards}
    cards += [_card(d, names.get(d), defaultdict(int)) for d in figures if d not in known]
    for card in cards:
        due, on_time = figures.get(card["id"], (0, 0))
        card["report"] = {"due": due, "on_time": on_time}
        card["report_rate"] = _rate(on_time, due)


def _rates(card: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in card.items() if k not in ("id", "name")}


def _months(start: date, end: date) -> list[str]:
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _facts(
    db: Session, *, by: str, start: date, end: date, as_of: date, unit: int | None = None
) -> Any:
    _check_by(by)
    check_range(start, end)
    expr = UNITS[by][0]
    sql = FACTS.format(unit=expr, only="" if unit is None else f"AND {expr} = :unit")
    params = {"start": clock.day_start(start), "end": clock.day_end(end),
              "until": clock.day_end(as_of), "unit": unit}  # fmt: skip
    return db.execute(text(sql), params).mappings()


def _check_by(by: str) -> None:
    if by not in UNITS:
        raise InvalidParameter(f"by must be one of {', '.join(UNITS)}.", where="by")


def _closed_by(moment: datetime | None, day: date) -> bool:
    return moment is not None and moment < clock.day_end(day)


def _count(c: dict[str, int], r: Any, cal: Any, as_of: date) -> None:
    c["received"] += 1
    step = r["step"]
    c["closed"] += step not in OPEN_STEPS
    c["solved"] += step in OUTCOMES["solved"]
    c["ever_resolved"] += r["resolved_at"] is not None
    c["rework"] += bool(r["rework"])
    c["rating_sum"] += r["rating_sum"]
    c["ratings"] += r["ratings"]
    c["reporter_ratings"] += r["reporter_ratings"]
    receive_by = add_work_hours(cal, r["clock_at"], r["receipt_hours"] or RECEIPT_HOURS[r["level"]])
    if receive_by < clock.day_end(as_of) or r["received_at"] is not None:
        c["receipt_due"] += 1
        c["received_on_time"] += r["received_at"] is not None and r["received_at"] <= receive_by
    _count_feedback(c, r, cal, as_of)
    c["problem_tickets"] += r["problem_ticket"]
    if r["respond_days"] is None:
        return
    started = clock.local(r["clock_at"]).date()
    respond_by = cal.add(started, r["respond_days"])
    complete_by = cal.add(started, r["complete_days"])
    if respond_by <= as_of or _closed_by(r["responded_at"], respond_by):
        c["respond_due"] += 1
        c["responded_in_limit"] += _closed_by(r["responded_at"], respond_by)
    if complete_by <= as_of or _closed_by(r["resolved_at"], complete_by):
        c["complete_due"] += 1
        c["completed_on_time"] += _closed_by(r["resolved_at"], complete_by)


def _count_feedback(c: dict[str, int], r: Any, cal: Any, as_of: date) -> None:
    """First feedback within its kind's limit, from the filing (geo/issues/feedback.py)."""
    limit = feedback.limit_of(r["feedback_kind"], r["feedback_hours"])
    by = feedback.feedback_by(cal, r["filed_at"] or r["created_at"], limit)
    if by < clock.day_end(as_of) or r["answered_at"] is not None:
        c["feedback_due"] += 1
        c["feedback_on_time"] += r["answered_at"] is not None and r["answered_at"] <= by


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _card(unit: int, name: str | None, c: dict[str, int]) -> dict[str, Any]:
    return {
        "id": unit,
        "name": name,
        "response_rate": _rate(c["responded_in_limit"], c["respond_due"]),
        "on_time_rate": _rate(c["completed_on_time"], c["complete_due"]),
        "closure_rate": _rate(c["closed"], c["received"]),
        "resolution_rate": _rate(c["solved"], c["closed"]),
        "rework_rate": _rate(c["rework"], c["ever_resolved"]),
        "receipt_rate": _rate(c["received_on_time"], c["receipt_due"]),
        # apart from `counts`, whose keys the exports and trend share as they were
        "receipt": {"due": c["receipt_due"], "on_time": c["received_on_time"]},
        "feedback_rate": _rate(c["feedback_on_time"], c["feedback_due"]),
        "feedback": {"due": c["feedback_due"], "on_time": c["feedback_on_time"]},
        "problem_tickets": c["problem_tickets"],
        "satisfaction": round(c["rating_sum"] / c["ratings"], 2) if c["ratings"] else None,
        "counts": {
            key: c[key]
            for key in (
                "received", "respond_due", "responded_in_limit", "complete_due",
                "completed_on_time", "closed", "solved", "ever_resolved", "rework", "ratings",
                "reporter_ratings",
            )
        },
    }  # fmt: skip


RATES = {
    "response_rate": "按时响应率 answered within limit",
    "on_time_rate": "按期办结率 resolved on time",
    "closure_rate": "办结率 closed",
    "resolution_rate": "实际解决率 really solved",
    "rework_rate": "返工率 rework",
    "satisfaction": "满意度 satisfaction (1-5)",
}
# Bands a map colours by: rates as fractions, satisfaction on its 1-5 scale; rework is better
# low, so its bands read the other way.
BANDS = (("poor", 0.5), ("fair", 0.7), ("good", 0.85), ("best", 1.01))
SATISFACTION_BANDS = (("poor", 3.0), ("fair", 3.6), ("good", 4.2), ("best", 5.01))
REWORK_BANDS = (("best", 0.05), ("good", 0.1), ("fair", 0.2), ("poor", 1.01))


def band(rate: str, value: float | None) -> str:
    if value is None:
        return "none"
    bands = {"satisfaction": SATISFACTION_BANDS, "rework_rate": REWORK_BANDS}.get(rate, BANDS)
    return next(name for name, upper in bands if value < upper)


def scorecard_map(
    db: Session, *, rate: str, start: date, end: date, as_of: date | None = None
) -> dict[str, Any]:
    """Communities as GeoJSON with their scorecard and the band of `rate` to colour by."""
    if rate not in RATES:
        raise InvalidParameter(f"rate must be one of {', '.join(RATES)}.", where="rate")
    cards = {c["id"]: c for c in scorecards(db, by="community", start=start, end=end,
                                            as_of=as_of)["units"]}  # fmt: skip
    shapes = db.execute(
        text("SELECT id, name, ST_AsGeoJSON(geom, 6)::json FROM community ORDER BY id")
    ).all()
    features = []
    for ident, name, geometry in shapes:
        card = cards.get(ident)
        value = card[rate] if card else None
        props = {"name": name, "rate": rate, "value": value, "band": band(rate, value)}
        if card:
            props |= {k: card[k] for k in RATES} | card["counts"]
        features.append({"type": "Feature", "id": ident, "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features}
