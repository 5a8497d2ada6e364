"""The words of the service, in one place: every code the API says, its Chinese label (zh-CN,
shown first), its English gloss and, where a map colours by it, its colour.

Python reads these tables (models, routing reasons, notices, the map pages' legends and popups);
the workspace pages read the same data from maps/static/work/vocabulary.js, generated from
`as_json()` by `make vocabulary` and checked equal to it by tests/test_vocabulary.py. A label
changed here changes everywhere.

Why these words: the five steps are the report's own (五步议事: 收集问题, 确定议题, 协商议事,
分流落实, 监督评审, /work/shared/domain). `resolved` is 落实完成, the carrying out done and
awaiting 监督评审 (neither 已解决, which the review may still undo, nor 办结, which is the hall's
closing word). `rejected` is 不予受理, not a matter for the halls; 退回/退单 is a unit sending an
issue back (`disputed`), a different act.

Category names are not here: they are data (the category table, served by GET /api/categories).
"""

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Term:
    """One code's words: Chinese first, an English gloss, and a colour where maps show it."""

    zh: str
    en: str
    colour: str | None = None

    @property
    def label(self) -> str:
        """The bilingual label of legends and stored reasons: "收集问题 collected"."""
        return f"{self.zh} {self.en}"


Terms = dict[str, Term]

# Where an issue is handled, lowest first; `building` is not a level, but routing names it
# when a point falls on one.
LEVELS = ("compound", "community", "subdistrict", "district")
PLACES: Terms = {
    "building": Term("楼栋", "building"),
    "compound": Term("小区", "compound"),
    "community": Term("社区", "community"),
    "subdistrict": Term("街道", "subdistrict"),
    "district": Term("区", "district"),
}

# The five steps (五步议事) plus the ways an issue leaves the flow without being solved; colours
# run warm (new) to green (done), greys for the side exits.
STEP_TERMS: Terms = {
    "collected": Term("收集问题", "collected", "#e41a1c"),
    "topic": Term("确定议题", "topic", "#ff7f00"),
    "deliberated": Term("协商议事", "deliberated", "#984ea3"),
    "dispatched": Term("分流落实", "dispatched", "#377eb8"),
    "resolved": Term("落实完成", "resolved", "#4daf4a"),  # carried out, awaiting review
    "reviewed": Term("监督评审", "reviewed", "#1b7837"),
    "rejected": Term("不予受理", "rejected", "#969696"),  # spam, not in the district
    "merged": Term("已合并", "merged", "#d9d9d9"),  # a duplicate, merged into another issue
    "closed": Term("办结未解决", "closed unsolved", "#737373"),  # with a CLOSURE_REASONS reason
    "referred": Term("已转办", "referred", "#bcbddc"),  # to a body outside the district's system
}
STEPS = tuple(STEP_TERMS)
# The report's five, in order: the chain an issue page draws (resolved sits between the last two).
FIVE_STEPS = ("collected", "topic", "deliberated", "dispatched", "reviewed")
OPEN_STEPS = ("collected", "topic", "deliberated", "dispatched")
CLOSED_STEPS = tuple(s for s in STEPS if s not in OPEN_STEPS)
# Open311's two statuses, the OGC layer's `status` and the hotspots' filter.
STATUSES: dict[str, tuple[str, ...]] = {"open": OPEN_STEPS, "closed": CLOSED_STEPS}

# How an issue that left the flow ended: solved and closed are never counted together.
OUTCOMES: dict[str, tuple[str, ...]] = {
    "open": OPEN_STEPS,
    "solved": ("resolved", "reviewed"),
    "closed_unsolved": ("closed", "rejected"),
    "referred": ("referred",),
    "duplicate": ("merged",),
}
OUTCOME_TERMS: Terms = {
    "open": Term("办理中", "open"),
    "solved": Term("已解决", "solved"),
    "closed_unsolved": Term("办结未解决", "closed unsolved"),
    "referred": Term("已转办", "referred"),
    "duplicate": Term("重复", "duplicate"),
}

# Why an issue is closed without a fix (step `closed`).
CLOSURE_REASONS: Terms = {
    "no_conditions": Term("暂不具备解决条件", "no conditions to solve it yet"),
    "against_rules": Term("诉求不符合政策法规", "the request is against the rules"),
    "withdrawn": Term("居民撤回", "the resident withdrew it"),
}

# The history of an issue (issue_event.kind).
EVENT_TERMS: Terms = {
    "created": Term("上报", "reported"),
    "transition": Term("流转", "moved on"),
    "escalated": Term("逾期上移", "escalated when overdue"),
    "support": Term("附议", "supported"),
    "merge": Term("合并", "merged"),
    "photo": Term("照片", "photo"),
    "rerouted": Term("改派", "re-routed"),  # category or location changed, routed again
    "disputed": Term("退单", "sent back"),  # the unit sent it back with a reason
    "arbitrated": Term("街道仲裁", "arbitrated"),  # the sub-district decided; its decision sticks
    "rated": Term("居民评价", "rated"),  # satisfaction from the reporter or the council hall
    "received": Term("签收", "signed for"),  # the unit a matter was routed to took it on
    "whistled": Term("吹哨", "whistle blown"),  # departments and member units summoned
    "whistle_outcome": Term("报到议定", "joint outcome"),  # what the summoned parties agreed
    "visited": Term("领导现场办公", "a paired leader on site"),  # a visit about the matter
    "feedback": Term("答复居民", "reply to the resident"),  # public text (geo/issues/feedback.py)
    "problem_ticket": Term("问题工单", "problem ticket"),  # escalated to the sub-district
    "assigned": Term("指派", "assigned"),  # a person of the unit named to carry it
    "moderated": Term("隐藏内容", "content hidden"),  # a description or photo hidden by staff
}
EVENT_KINDS = tuple(EVENT_TERMS)

# Why staff hid a public description or photo, as the public sees it (geo/issues/moderation.py):
# the category only, never the moderator's own words, which stay in the private history.
HIDE_TERMS: Terms = {
    "face": Term("含可识别人脸", "an identifiable face"),
    "personal_data": Term("含个人信息", "personal data (phone numbers, plates, names)"),
    "abuse": Term("含不当内容", "abusive or offensive content"),
    "other": Term("其他原因", "another reason"),
}
HIDE_CATEGORIES = tuple(HIDE_TERMS)

# How a matter reached the staff who filed it for a resident (geo/issues/intake.py).
CHANNEL_TERMS: Terms = {
    "12345": Term("12345热线", "12345 hotline"),
    "phone": Term("来电", "phone call"),
    "visit": Term("来访", "walk-in visit"),
    "grid_patrol": Term("网格巡查", "grid patrol"),
    "hall": Term("议事厅", "council hall"),
    "whistle": Term("街乡吹哨", "whistle blown on a place"),  # geo/partners/whistles.py
}
CHANNELS = tuple(CHANNEL_TERMS)

# What staff may do to an issue (the buttons; names as in geo/accounts/access.TABLE).
MOVE_TERMS: Terms = {
    "topic": Term("列为议题", "set as topic"),
    "deliberated": Term("记录协商结果", "record the decision"),
    "dispatched": Term("分流派单", "dispatch"),
    "resolved": Term("现场办结", "resolve on site"),
    "reviewed": Term("评审", "review"),
    "rejected": Term("不予受理", "reject"),
    "closed": Term("办结 (未能解决)", "close unsolved"),
    "referred": Term("转办", "refer"),
    "reroute": Term("改类别/改派", "re-route"),
    "receive": Term("签收", "sign for"),
    "feedback": Term("答复居民", "reply to the resident"),
    "assign": Term("指派", "assign"),
    "merge": Term("合并为重复", "merge as duplicates"),
    "moderate": Term("隐藏内容", "hide content"),
    "dispute": Term("退单", "send back"),
    "arbitrate": Term("仲裁", "arbitrate"),
    "photo": Term("添加照片", "add a photo"),
}

# What a notice is about, as its tag in the workspace (kinds: geo/notices/texts.py TITLES,
# which also words each kind's title).
NOTICE_TERMS: Terms = {
    "routed": Term("新问题", "new issue"),
    "dispatched": Term("派单", "dispatched"),
    "escalated": Term("上移", "moved up"),
    "near_due": Term("将到期", "near due"),
    "overdue": Term("逾期", "overdue"),
    "rerouted": Term("改派", "re-routed"),
    "disputed": Term("退单", "sent back"),
    "arbitrated": Term("裁定", "decided"),
    "summoned": Term("吹哨报到", "summoned"),
    "problem_ticket": Term("问题工单", "problem ticket"),
}

# A council hall session: what it decides about an issue ("" = not discussed this time) and
# who attends (codes: geo/models/halls.py OUTCOMES and BODY_KINDS).
HALL_DECISION_TERMS: Terms = {
    "": Term("本次不议", "not this time"),
    "topic": Term("列为议题", "set as topic"),
    "deliberated": Term("协商议定", "deliberated"),
    "dispatched": Term("议定并分流", "deliberated and dispatched"),
    "rejected": Term("不予受理", "rejected"),
}
HALL_BODY_TERMS: Terms = {
    "residents_committee": Term("居委会", "Residents' committee"),
    "owners_committee": Term("业委会", "Owners' committee"),
    "property_company": Term("物业公司", "Property company"),
    "party_branch": Term("小区党支部", "Party branch"),
    "building_leaders": Term("楼栋长", "Building leaders"),
    "unit_leaders": Term("单元长", "Unit leaders"),
    "member_unit": Term("成员单位", "Member unit"),
}

# Renovation work items (codes: geo/models/renovation.py ALL_PHASES, UNITS, REVIEW_STATES;
# `reported` is an event no one has reviewed yet).
PHASE_TERMS: Terms = {
    "planned": Term("计划", "planned"),
    "design": Term("设计", "design"),
    "pre_construction": Term("施工准备", "pre-construction"),
    "construction": Term("施工中", "construction"),
    "post_construction": Term("收尾", "post-construction"),
    "complete": Term("完工", "complete"),
    "on_hold": Term("暂停", "on hold"),
    "cancelled": Term("取消", "cancelled"),
}
UNIT_TERMS: Terms = {
    "count": Term("个", "count"),
    "m": Term("米", "m"),
    "m2": Term("平方米", "m²"),
    "t": Term("吨", "t"),
}
REVIEW_TERMS: Terms = {
    "reported": Term("待审核", "to review"),
    "approved": Term("已通过", "approved"),
    "rejected": Term("已退回", "sent back"),
}
# property firms in the open (红色物业, geo/property): a firm's kind, the five-step method
# (摸、帮、研、建、创) and the two sides of a finance statement
PROPERTY_FIRM_TERMS: Terms = {
    "market": Term("市场化物业", "market firm"),
    "state": Term("国企兜底", "state firm covering weak compounds"),
    "self": Term("居民自管", "self-managed"),
}
METHOD_STEP_TERMS: Terms = {
    "survey": Term("摸", "survey"),
    "help": Term("帮", "help"),
    "study": Term("研", "study"),
    "build": Term("建", "build"),
    "create": Term("创", "create"),
}
STATEMENT_LINE_TERMS: Terms = {
    "income": Term("收入", "income"),
    "expense": Term("支出", "expense"),
}

# Micro-wishes (微心愿, geo/partners/wishes.py): their kinds, states (coloured on the public
# map) and the acts of their history (codes: geo/models/wishes.py).
WISH_KIND_TERMS: Terms = {
    "repair": Term("小修小补", "repair"),
    "visit": Term("探望陪伴", "visit"),
    "errand": Term("代办跑腿", "errand"),
    "other": Term("其他", "other"),
}
WISH_STATE_TERMS: Terms = {
    "open": Term("待认领", "open", "#d9480f"),
    "claimed": Term("已认领", "claimed", "#f59f00"),
    "fulfilled": Term("已完成待确认", "fulfilled", "#1c7ed6"),
    "confirmed": Term("居民已确认", "confirmed", "#2b8a3e"),
    "withdrawn": Term("已撤回", "withdrawn", "#868e96"),
}
WISH_EVENT_TERMS: Terms = {
    "posted": Term("发布心愿", "posted"),
    "claimed": Term("认领", "claimed"),
    "released": Term("放弃认领", "released"),
    "fulfilled": Term("完成 (附照片)", "fulfilled"),
    "confirmed": Term("居民确认", "confirmed"),
    "withdrawn": Term("撤回", "withdrawn"),
}

# The tables the pages receive, by the name they read them under.
TABLES: dict[str, Terms] = {
    "levels": PLACES,
    "steps": STEP_TERMS,
    "outcomes": OUTCOME_TERMS,
    "closure_reasons": CLOSURE_REASONS,
    "events": EVENT_TERMS,
    "moves": MOVE_TERMS,
    "notices": NOTICE_TERMS,
    "hall_decisions": HALL_DECISION_TERMS,
    "hall_bodies": HALL_BODY_TERMS,
    "phases": PHASE_TERMS,
    "units": UNIT_TERMS,
    "reviews": REVIEW_TERMS,
    "channels": CHANNEL_TERMS,
    "hide_reasons": HIDE_TERMS,
    "wish_kinds": WISH_KIND_TERMS,
    "wish_states": WISH_STATE_TERMS,
    "wish_events": WISH_EVENT_TERMS,
    "property_firms": PROPERTY_FIRM_TERMS,
    "method_steps": METHOD_STEP_TERMS,
    "statement_lines": STATEMENT_LINE_TERMS,
}


def zh(table: Terms) -> dict[str, str]:
    """The table's Chinese labels by code."""
    return {code: term.zh for code, term in table.items()}


def zh_of(table: Terms, code: str) -> str:
    """The code's Chinese label, or the code itself when the table has no word for it."""
    return table[code].zh if code in table else code


def labels(table: Terms) -> dict[str, str]:
    """The table's bilingual labels by code (legends, popups)."""
    return {code: term.label for code, term in table.items()}


def _term_json(term: Term) -> dict[str, str]:
    return {k: v for k, v in asdict(term).items() if v is not None}


def as_json() -> dict[str, Any]:
    """Everything the pages need, as JSON-ready data: each table's terms (a colour only where
    there is one) and the step sets."""
    terms = {
        name: {code: _term_json(term) for code, term in table.items()}
        for name, table in TABLES.items()
    }
    return {
        **terms,
        "level_order": list(LEVELS),
        "five_steps": list(FIVE_STEPS),
        "statuses": {status: list(steps) for status, steps in STATUSES.items()},
        "step_outcomes": {outcome: list(steps) for outcome, steps in OUTCOMES.items()},
    }
