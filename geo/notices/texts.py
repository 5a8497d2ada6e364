"""What a notice says, Chinese first: one line of title and a few lines of body per kind.

Messages name places, categories and levels, never a resident (no reporter, no phone): the
same words go to the workspace and to group chats (webhooks).
"""

from typing import Any

from geo.core.vocabulary import PLACES, zh_of

# kind -> (Chinese, English) of the title
TITLES: dict[str, tuple[str, str]] = {
    "routed": ("新问题待处理", "new issue routed to you"),
    "dispatched": ("问题已派单", "dispatched to you"),
    "escalated": ("问题逾期上移", "escalated one level up"),
    "near_due": ("问题即将到期", "near its due date"),
    "overdue": ("问题已逾期", "overdue"),
    "rerouted": ("问题已改派", "re-routed"),
    "disputed": ("问题被退单", "sent back (disputed)"),
    "arbitrated": ("退单争议已裁定", "dispute decided"),
    "summoned": ("吹哨报到", "summoned to report on site"),
    "problem_ticket": ("问题工单上报街道", "problem ticket for the sub-district"),
}


def title(kind: str, info: dict[str, Any]) -> str:
    zh, en = TITLES[kind]
    return f"{zh} #{info['id']} {info['category_name']} ({en})"


def body(kind: str, info: dict[str, Any], data: dict[str, Any], note: str | None) -> str:
    """The lines under the title: where, what, and what this kind adds (due dates, levels)."""
    place = " · ".join(p for p in (info["subdistrict"], info["community"], info["compound"]) if p)
    lines = [f"地点 Place: {place or '—'}", f"描述 Description: {info['description'][:140]}"]
    due = data.get("due_on")
    if kind == "dispatched" and due:
        lines.append(f"办理期限 Due: {due}")
    if kind in ("near_due", "overdue") and due:
        lines.append(f"应于 {due} 前办结 (complete by {due}, working days)")
    if kind == "escalated":
        before, after = str(data.get("from_level")), str(data.get("to_level"))
        lines.append(
            f"由{zh_of(PLACES, before)}上移至{zh_of(PLACES, after)} (from {before} to {after})"
        )
    if kind == "summoned":
        lines.append(f"报到地点 Report at: {data.get('place')}, by {data.get('report_by')}")
    if kind == "problem_ticket":
        lines.append(
            f"发回重办 {data.get('sent_back')} 次, 经手 {data.get('units')} 个单位"
            f" (sent back {data.get('sent_back')} times, {data.get('units')} units)"
        )
    if note and kind in ("rerouted", "disputed", "arbitrated", "escalated", "summoned"):
        lines.append(f"说明 Note: {note[:300]}")
    return "\n".join(lines)
