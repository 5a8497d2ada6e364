"""One owner rule: the department that answers for an issue is the one it was dispatched to,
else the category's department it was routed to (geo.models.issues.answering_department),
used by access, re-routing and notices alike."""

from pathlib import Path

from geo.models import Issue
from geo.models.issues import answering_department

ROOT = Path(__file__).resolve().parent.parent


def test_the_dispatched_department_else_the_routed_one() -> None:
    assert answering_department(Issue(department_id=3, owner_department_id=None)) == 3
    assert answering_department(Issue(department_id=3, owner_department_id=7)) == 7
    assert answering_department({"department_id": 3, "owner_department_id": None}) == 3
    assert answering_department({"department_id": 3, "owner_department_id": 7}) == 7
    assert answering_department({"department_id": None, "owner_department_id": None}) is None


def test_the_rule_is_written_once() -> None:
    for path in ("geo/accounts/access.py", "geo/issues/owners.py", "geo/notices/recipients.py"):
        source = (ROOT / path).read_text()
        assert "owner_department_id or" not in source, path
        assert 'owner_department_id"] or' not in source, path
