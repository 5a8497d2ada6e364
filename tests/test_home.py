"""`/` is a landing page, not a 404: the maps, the staff workspace, the OGC API and the API
docs, each link answering; served with the CSP of the other pages."""

import re

from fastapi.testclient import TestClient

from maps.base import NAV


def test_the_root_is_a_landing_page_whose_links_answer(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in r.text
    hrefs = re.findall(r'href="([^"]+)"', r.text)
    assert {"/work", "/ogc/", "/docs", *(href for _, href, _, _ in NAV)} <= set(hrefs)
    for href in hrefs:
        assert href.startswith("/") and not href.startswith("//"), href  # no foreign host
        answer = client.get(href, follow_redirects=False)
        assert answer.status_code in (200, 301, 302, 303, 307, 308), (href, answer.status_code)


def test_the_landing_page_has_the_pages_csp_and_no_script(client: TestClient) -> None:
    r = client.get("/")
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert re.search(r"script-src 'self'(;|$)", csp), csp  # nothing inline to allow
    assert "<script" not in r.text
    assert r.headers["X-Content-Type-Options"] == "nosniff"
