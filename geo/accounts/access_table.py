"""The table of who may do what: each action x role x scope. geo/accounts/access.py applies it.

TABLE maps each action to the kind of object it acts on and, per role, the scope in which that
role may do it; a role absent from an action's row may not do it at all. Scopes:

- ANY: anywhere.
- AREA: the object is in the account's bound area (sub-district, community, compound, or for
  a grid account a building or a unit). An issue is in it when it was routed there or the
  area's polygon covers its point (a street point routed to a neighbouring compound still lies
  in the community the street crosses; a unit has no polygon); a hall or a work item when its
  compound, community or the community's sub-district is the area (a sub-district's own hall:
  only that sub-district; never a building's or a unit's); a grid post when its place lies in
  the area (geo/accounts/areas.py).
- DEPARTMENT: the object belongs to the account's department (an issue routed or dispatched to
  it, a work item of one of its projects).
- REPORTER: the account reported the issue, or posted the micro-wish.
- COLLECTED: (anonymous) the issue is still `collected`.
- OWNER: the account's unit answers for the issue now: a department account of the department
  it was dispatched to (before dispatch, the category's department it was routed to), or an
  account bound to the very place at the issue's level (its compound for a compound-level
  issue, its community for a community-level one...). Only an owner may send it back (退单).
- SUBDISTRICT: the account is bound to the issue's sub-district (which arbitrates disputes).
- PAIRED: (leaders) the object lies in the places the account's official is paired with: the
  sub-district or communities of 区级领导包联 and the compounds of its five-to-one pairs
  (geo/leaders/places.py).
- FIRM: (contractors) the work item is assigned to the account's firm.
- CONTRACTED: (property firms) the compound is under a current contract with the account's
  property firm; an issue when it is a property matter (category.property_matter) pinned in
  such a compound (geo/property/scope.py).

An action may also name a step (`not_after`) whose actor may never do it, whatever the role:
whoever resolved an issue does not review it.

The issue actions are named after the step they move the issue to, plus merge, photo and
read_private (the reporter's contact). Planners read everything and act only on renovation.

To add an action: add its row to TABLE below (the object kind and, per role, a scope), call
`require(...)` where it happens, and name it as a string literal in that call (or, for a
step, in geo/issues/steps.TRANSITIONS). tests/test_access.py builds its matrix from TABLE and
fails for an action used in code without a row, or a row no case exercises.
"""

from dataclasses import dataclass
from typing import Literal

from geo.models import Account, Compound, GridPost, Hall, Issue, Wish
from geo.models.renovation import RenovationItem

Scope = Literal[
    "any",
    "area",
    "department",
    "reporter",
    "collected",
    "owner",
    "subdistrict",
    "paired",
    "firm",
    "contracted",
]
ANY: Scope = "any"
AREA: Scope = "area"
DEPARTMENT: Scope = "department"
REPORTER: Scope = "reporter"
COLLECTED: Scope = "collected"
OWNER: Scope = "owner"
SUBDISTRICT: Scope = "subdistrict"
PAIRED: Scope = "paired"
FIRM: Scope = "firm"
CONTRACTED: Scope = "contracted"

ANONYMOUS = "anonymous"  # the role of a request without a token
Kind = Literal["issue", "hall", "item", "post", "wish", "compound", "account", "none"]
Obj = Issue | Hall | RenovationItem | GridPost | Wish | Compound | Account | None


@dataclass(frozen=True)
class Action:
    """What an action acts on, each allowed role's scope, and whose it may never be: the
    account that moved the issue to the step `not_after` (a review must be independent)."""

    on: Kind
    roles: dict[str, Scope]
    not_after: str | None = None


STAFF: dict[str, Scope] = {"admin": ANY, "grid": AREA, "field": AREA}
# a paired leader on site (现场办公) may carry a matter of their places to dispatch
ON_SITE: dict[str, Scope] = {**STAFF, "leader": PAIRED}
OFFICES = dict.fromkeys(("admin", "planner", "grid", "field", "department"), ANY)
ALL_STAFF = {**OFFICES, "leader": ANY}
SUMMONABLE = dict.fromkeys(("department", "grid", "field", "resident"), ANY)  # then: if summoned
# cadres sent down and the grid's party members (branch, group, unit leaders: 党员中心户)
CLAIMERS: dict[str, Scope] = {"cadre": ANY, "grid": ANY}

TABLE: dict[str, Action] = {
    # the five steps of an issue (the action is the step it moves to), merge, photos, contact
    "topic": Action("issue", ON_SITE),
    "deliberated": Action("issue", ON_SITE),
    "dispatched": Action("issue", ON_SITE),
    # a property matter is the compound's property firm's to resolve as well (红色物业)
    "resolved": Action("issue", {**STAFF, "department": DEPARTMENT, "property": CONTRACTED}),
    # the hall's review: its staff (or the reporter), never whoever resolved the issue
    "reviewed": Action("issue", {**STAFF, "resident": REPORTER}, not_after="resolved"),
    # satisfaction (geo/issues/ratings.py) comes from the reporter or the hall, not from staff:
    # the reporter rates (signed in; anonymously, holding the Open311 token of the request,
    # which the ratings module checks since it proves who is asking); the hall's staff record
    # a resident's rating, never the account that resolved the issue
    "rate": Action("issue", {"resident": REPORTER}),
    "rate_for_hall": Action("issue", STAFF, not_after="resolved"),
    "rejected": Action("issue", STAFF),
    "closed": Action("issue", STAFF),
    "referred": Action("issue", STAFF),
    "merge": Action("issue", STAFF),
    # re-categorise or correct the location, then route again (geo/issues/rerouting.py); a
    # unit that answers for the issue may send it back with a reason (退单), and the
    # sub-district decides repeated disputes (arbitration)
    "reroute": Action("issue", STAFF),
    # 签收: the unit a matter was given to signs for it (geo/issues/receipt.py)
    "receive": Action("issue", {"admin": ANY, "grid": OWNER, "field": OWNER, "department": OWNER}),
    # 批量处理: start one move on many matters (geo/issues/bulk.py) and read its progress;
    # each matter's move is then asked of the table as if it were made alone
    "bulk_move": Action(
        "none", dict.fromkeys(("admin", "grid", "field", "department", "leader"), ANY)
    ),  # fmt: skip
    # 指派: the unit that answers for a matter names one of its people to carry it, an account
    # that could answer for it itself (geo/issues/assignment.py)
    "assign": Action("issue", {"admin": ANY, "grid": OWNER, "field": OWNER, "department": OWNER}),
    "take_assignment": Action("issue", {"grid": OWNER, "field": OWNER, "department": OWNER}),
    # moderation: the area's staff and the district hide a public description or photo (faces,
    # phone numbers, abuse) with a reason (geo/issues/moderation.py)
    "moderate": Action("issue", STAFF),
    # a hidden photo as it was (GET /api/photos/{id}/original): whoever reads the private
    # history; the public get its placeholder
    "read_hidden": Action("issue", {**STAFF, "department": DEPARTMENT}),
    # 答复模板: every office reads the templates that apply to it; a unit's own accounts keep
    # its templates (geo/issues/templates.py checks the unit)
    "read_templates": Action("none", ALL_STAFF),
    "manage_templates": Action(
        "none", dict.fromkeys(("admin", "grid", "field", "department"), ANY)
    ),  # fmt: skip
    # 答复居民: a reply the resident sees, from the staff who answer for the matter
    # (geo/issues/feedback.py); the first one stops the first-feedback clock
    "feedback": Action("issue", {**STAFF, "department": DEPARTMENT}),
    "dispute": Action("issue", {"grid": OWNER, "field": OWNER, "department": OWNER}),
    "arbitrate": Action("issue", {"admin": ANY, "field": SUBDISTRICT}),
    "photo": Action(
        "issue",
        {**ON_SITE, "department": DEPARTMENT, "resident": REPORTER, ANONYMOUS: COLLECTED},
    ),
    # the reporter's contact; and who did what (account ids, names, where residents stood)
    "read_private": Action("issue", {**STAFF, "department": DEPARTMENT}),
    # staff names in the daily progress report (the public sees roles only)
    "read_staff_names": Action("none", ALL_STAFF),
    # staff record a matter for a resident who phoned or came in (geo/issues/intake.py), and
    # bring in the 12345 hotline's work orders in bulk (geo/issues/hotline.py): the district's
    # desk (admin) and the sub-district and community offices (field)
    "file_on_behalf": Action("none", {"admin": ANY, "grid": ANY, "field": ANY}),
    "import_hotline": Action("none", {"admin": ANY, "field": ANY}),
    # matters sent back three times or passed across three units (geo/issues/problem_tickets.py)
    "read_problem_tickets": Action("none", OFFICES),
    "escalate": Action("none", {"admin": ANY}),
    # webhooks to department and community group chats (notices are each account's own)
    "manage_webhooks": Action("none", {"admin": ANY}),
    # leaders: an on-site visit (现场办公) with a photo, and the matter it was about, in their
    # places; admins keep the pairings (geo/leaders/pairings.py, the /work/admin/pairings page)
    "record_visit": Action("none", {"leader": ANY}),
    "visit_issue": Action("issue", {"leader": PAIRED}),
    # one matter one level up at once, from the spot (geo/issues/escalation.py)
    "escalate_issue": Action("issue", {"admin": ANY, "leader": PAIRED}),
    "manage_pairings": Action("none", {"admin": ANY}),
    # accounts: the /work/admin page and its list; add, deactivate, re-area and reset the
    # password of one account (as it is and as it will be: an admin of one district keeps
    # that district's accounts, never the city's or another district's)
    "manage_accounts": Action("none", {"admin": ANY}),
    "change_account": Action("account", {"admin": ANY}),
    # time limits per category are the planners'; the official calendar of a year, an admin's
    "set_time_limits": Action("none", {"planner": ANY, "admin": ANY}),
    "load_calendar": Action("none", {"admin": ANY}),
    # council halls: the hall's own grid and field staff record its sessions; departments
    # attend as problem solvers and act on what is dispatched to them
    "record_session": Action("hall", STAFF),
    # renovation: planners add items; the field reports within its area, a department on its
    # projects; supervisors (planners, admins, the project's department) review reports
    "add_item": Action("none", {"admin": ANY, "planner": ANY}),
    "report_progress": Action("item", {**STAFF, "planner": ANY, "department": DEPARTMENT}),
    "review_progress": Action("item", {"admin": ANY, "planner": ANY, "department": DEPARTMENT}),
    # the programme (geo/renovation/programme.py, schedules.py, phases.py): planners run
    # projects, batches, kinds and firms, and schedule items; a contractor's report on its
    # firm's items is provisional until review_progress accepts it; phases are moved by the
    # action their kind names (kind_phase.action): works by the project's people, the heritage
    # review and reopening by planners, acceptance by the supervisors
    "manage_programme": Action("none", {"admin": ANY, "planner": ANY}),
    "schedule_item": Action("item", {"admin": ANY, "planner": ANY}),
    "report_provisional": Action("item", {"contractor": FIRM}),
    "move_phase": Action("item", {**STAFF, "planner": ANY, "department": DEPARTMENT}),
    "heritage_review": Action("item", {"admin": ANY, "planner": ANY}),
    "accept_works": Action("item", {"admin": ANY, "planner": ANY, "department": DEPARTMENT}),
    "reopen_item": Action("item", {"admin": ANY, "planner": ANY}),
    "choose_photos": Action("item", {"admin": ANY, "planner": ANY}),
    # a photo stored ahead of the progress report that names it (staff who report anywhere,
    # and contractors, whose provisional reports carry photos too)
    "upload_media": Action("none", {**OFFICES, "contractor": ANY}),
    # housing staff grade, the culture bureau designates, the sub-district vacates
    "record_assessment": Action("none", {"admin": ANY, "planner": ANY, "department": ANY}),
    # whole layers (issue 11): planners and admins import survey files; all staff export (the
    # public fields /ogc serves, but whole layers at once, so not anonymously)
    "import_layer": Action("none", {"admin": ANY, "planner": ANY}),
    "export_layer": Action("none", OFFICES),
    # one feature of a surveyed layer at a time (OGC API - Features Part 4): planners and admins
    # edit; all staff read a feature's audit trail (it names who edited, so not the public)
    "edit_features": Action("none", {"admin": ANY, "planner": ANY}),
    "read_feature_history": Action("none", OFFICES),
    # the grid's posts (issue 21): all staff read the posts, their holders' work contacts and
    # who held them when; the community cadres of the post's area (or an admin) hand a post
    # to its next holder, never the grid's own people (no one appoints themselves or a peer);
    # what the public posting shows of each role is the district's choice
    "read_grid_posts": Action("none", OFFICES),
    "assign_grid_post": Action("post", {"admin": ANY, "field": AREA}),
    "set_publicity": Action("none", {"admin": ANY}),
    # partners (geo/partners): units' register and members; whistles and reports (报到)
    "manage_member_units": Action("none", {"admin": ANY}),
    "read_unit_members": Action("none", ALL_STAFF),
    "blow_whistle": Action("issue", STAFF),
    "report_whistle": Action("none", SUMMONABLE),
    # a sub-district's joint party-building meetings (geo/partners/meetings.py): its own staff
    "record_joint_meeting": Action("hall", {"admin": ANY, "field": AREA, "grid": AREA}),
    # deployments of cadres in an emergency (geo/partners/deployments.py)
    "read_deployments": Action("none", ALL_STAFF),
    "manage_deployments": Action("none", {"admin": ANY}),
    # departments and member units paired with communities (结对共建) and their cadres sent
    # down (geo/partners/cadres.py): admins keep both; staff read the cadres' names; weekend
    # service is recorded by the cadre (then: their own) or an office (then: in its area)
    "manage_unit_pairings": Action("none", {"admin": ANY}),
    "manage_cadres": Action("none", {"admin": ANY}),
    "read_cadres": Action("none", {**ALL_STAFF, "cadre": ANY}),
    "record_service": Action("none", {"admin": ANY, "field": ANY, "cadre": ANY}),
    # micro-wishes (geo/partners/wishes.py): residents post; cadres and party members find,
    # claim, then (the claimant only) release or fulfil; the poster confirms or withdraws (an
    # admin may withdraw one, say when its text holds someone's personal data); its text is
    # for the poster, the claimers, and the offices of its place
    "post_wish": Action("none", {"resident": ANY}),
    "find_wishes": Action("none", CLAIMERS),
    "claim_wish": Action("wish", CLAIMERS),
    "fulfil_wish": Action("wish", CLAIMERS),
    "release_wish": Action("wish", CLAIMERS),
    "confirm_wish": Action("wish", {"resident": REPORTER}),
    "withdraw_wish": Action("wish", {"resident": REPORTER, "admin": ANY}),
    "read_wish": Action("wish", {**CLAIMERS, "admin": ANY, "field": AREA, "resident": REPORTER}),
    # property firms in the open (geo/property): admins keep the register and the contracts;
    # a firm publishes (statements, fee standards) for the compounds it serves now, as may an
    # admin; the community offices record the five-step method (摸帮研建创) in their compounds
    # and read it; the city's model-compound titles are entered by an admin
    "manage_property_firms": Action("none", {"admin": ANY}),
    "publish_property": Action("compound", {"admin": ANY, "property": CONTRACTED}),
    "record_property_step": Action("compound", {"admin": ANY, "field": AREA}),
    "read_property_steps": Action("none", {**OFFICES, "property": ANY}),
    "award_model_compound": Action("none", {"admin": ANY}),
}
