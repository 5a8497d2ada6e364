"""One vocabulary (geo/core/vocabulary.py): the workspace's generated copy is current and served,
every page shows the vocabulary's labels, and no page or script keeps a label table of its own."""

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.pages.maps import PAGES
from geo.core import vocabulary
from geo.models.halls import BODY_KINDS, OUTCOMES
from geo.models.renovation import ALL_PHASES, REVIEW_STATES, UNITS
from geo.notices.texts import TITLES
from maps.admin import action_labels
from maps.vocabulary_file import PATH, module_text
from maps.work import precache_urls

ROOT = Path(__file__).resolve().parent.parent
VOCABULARY_URL = "/maps/static/work/vocabulary.js"

# A code next to a Chinese string or a colour: `code: "中文"`, `"code": "#e41a1c"` or
# `["code", "中文"]`.
HAN = r"""[^"'\n]*[\u4e00-\u9fff][^"'\n]*|#[0-9a-fA-F]{3,6}"""
PAIR = re.compile(
    rf"""(?<![\w-])["']?(\w+)["']?\s*:\s*["']({HAN})["']"""
    rf"""|\[\s*["'](\w+)["']\s*,\s*["']({HAN})["']"""
)
# Every code but the hall's bodies: a compound's `property_company` field shares its word.
CODES = {
    code
    for name, table in vocabulary.TABLES.items()
    if name != "hall_bodies"
    for code in table
    if code
}
# Codes also matched as a key's last part (issue_transition_rejected): steps and events.
SUFFIXES = tuple(f"_{code}" for code in (*vocabulary.STEP_TERMS, *vocabulary.EVENT_TERMS))


def sources() -> list[Path]:
    """Every page script and every Python module of the service, bar the vocabulary itself,
    its generated copy and the migrations (history, never changed)."""
    scripts = [
        p for p in (ROOT / "maps" / "static").rglob("*.js") if "vendor" not in p.parts and p != PATH
    ]
    modules = [
        p
        for d in ("api", "geo", "maps")
        for p in (ROOT / d).rglob("*.py")
        if "migrations" not in p.parts and p != ROOT / "geo" / "vocabulary.py"
    ]
    return scripts + modules


def label_copies(text: str) -> list[str]:
    pairs = ((m[0] or m[2], m[1] or m[3]) for m in PAIR.findall(text))
    return [f"{key}: {label}" for key, label in pairs if key in CODES or key.endswith(SUFFIXES)]


def test_the_pattern_finds_the_copies_it_is_for() -> None:
    assert label_copies('const STEP = { collected: "收集问题", topic: "确定议题" };') == [
        "collected: 收集问题",
        "topic: 确定议题",
    ]
    assert label_copies('issue_transition_rejected: "退回"') == ["issue_transition_rejected: 退回"]
    assert label_copies('[["compound", "小区"], ["grid_contact", "网格联系人"]]') == [
        "compound: 小区"
    ]
    assert label_copies('{ resolved: "#2ca02c" }') == ["resolved: #2ca02c"]
    assert label_copies('"waste_t": "建筑垃圾 (吨)", "step": "议事步骤"') == []


def test_no_page_or_module_keeps_its_own_labels() -> None:
    files = sources()
    assert len(files) > 100
    copies = {
        str(p.relative_to(ROOT)): found
        for p in files
        if (found := label_copies(p.read_text(encoding="utf-8")))
    }
    assert copies == {}


def test_the_workspace_copy_is_generated_from_the_vocabulary(client: TestClient) -> None:
    assert PATH.read_text(encoding="utf-8") == module_text(), "run `make vocabulary`"
    served = client.get(VOCABULARY_URL)
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/javascript")
    data = served.text.split("export const VOCABULARY = ", 1)[1].rstrip().removesuffix(";")
    # the module's object literal is JSON but for its trailing comma
    assert json.loads(re.sub(r",\s*}$", "}", data)) == vocabulary.as_json()


def test_the_workspace_keeps_the_vocabulary_offline() -> None:
    assert VOCABULARY_URL in precache_urls()
    imports = (ROOT / "maps" / "static" / "work" / "labels.js").read_text(encoding="utf-8")
    assert 'from "./vocabulary.js"' in imports


def page_config(html: str) -> dict:
    """The config a map page passes to YST.start."""
    start = re.search(r"YST\.start\(\w+, ", html)
    assert start, html[:300]
    return json.JSONDecoder().raw_decode(html, start.end())[0]


def test_every_map_page_shows_the_vocabulary(client: TestClient) -> None:
    shown = []
    for page in PAGES:
        r = client.get(f"/maps{page.path}", params={"token": "x"} if page.path == "/track" else {})
        if page.path == "/track":
            cfg = json.loads(r.text.split('id="yst-track-cfg">', 1)[1].split("</script>")[0])
            assert cfg["steps"] == vocabulary.labels(vocabulary.STEP_TERMS)
            assert cfg["levels"] == vocabulary.zh(vocabulary.PLACES)
        elif "YST.start(" in r.text:
            labels = page_config(r.text)["valueLabels"]
            assert labels["step"] == vocabulary.labels(vocabulary.STEP_TERMS), page.path
            assert labels["level"] == vocabulary.zh(vocabulary.PLACES), page.path
            assert labels["event_kind"] == vocabulary.zh(vocabulary.EVENT_TERMS), page.path
        else:
            continue
        shown.append(page.path)
    assert {"/", "/issues", "/pin", "/track"} <= set(shown)
    issues = page_config(client.get("/maps/issues").text)
    assert issues["options"]["step"] == [[c, t.label] for c, t in vocabulary.STEP_TERMS.items()]
    legend = next(lay for lay in issues["layers"] if lay["id"] == "issues")["style"]
    assert legend["values"] == {c: t.colour for c, t in vocabulary.STEP_TERMS.items()}


def test_the_admin_page_names_last_actions_with_the_vocabulary() -> None:
    labels = action_labels()
    for step, term in vocabulary.STEP_TERMS.items():
        assert labels[f"issue_transition_{step}"] == term.zh
    assert labels["issue_escalated"] == vocabulary.EVENT_TERMS["escalated"].zh


def test_every_code_has_its_words_and_every_step_a_colour() -> None:
    assert tuple(vocabulary.PHASE_TERMS) == ALL_PHASES
    assert tuple(vocabulary.UNIT_TERMS) == UNITS
    assert set(vocabulary.REVIEW_TERMS) == {"reported", *REVIEW_STATES}
    assert tuple(vocabulary.HALL_BODY_TERMS) == BODY_KINDS
    assert tuple(vocabulary.HALL_DECISION_TERMS) == ("", *OUTCOMES)
    assert set(vocabulary.NOTICE_TERMS) == set(TITLES)
    assert set(vocabulary.OUTCOME_TERMS) == set(vocabulary.OUTCOMES)
    assert set(vocabulary.LEVELS) < set(vocabulary.PLACES)
    assert set(vocabulary.FIVE_STEPS) | set(vocabulary.OPEN_STEPS) <= set(vocabulary.STEPS)
    assert sorted(vocabulary.OPEN_STEPS + vocabulary.CLOSED_STEPS) == sorted(vocabulary.STEPS)
    assert sorted(s for steps in vocabulary.OUTCOMES.values() for s in steps) == sorted(
        vocabulary.STEPS
    )
    assert all(term.colour for term in vocabulary.STEP_TERMS.values())
    for table in vocabulary.TABLES.values():
        assert all(term.zh and term.en for term in table.values())
