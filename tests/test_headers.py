"""Security headers on every page, and no inline script for the Content-Security-Policy to allow."""

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from werkzeug.routing.converters import NumberConverter

from inspect_app.config import PROJECT_ROOT

from .support import Auth


def get_urls(app) -> list[str]:
    """One address for every GET route, ids filled with samples (most then answer 404)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        # 1 is the first school and the first user of the county fixture.
        values = {
            name: 1 if isinstance(converter, NumberConverter) else "x"
            for name, converter in rule._converters.items()
        }
        urls.append(rule.build(values, append_unknown=False)[1])
    return sorted(set(urls))


@pytest.mark.parametrize("who", ["anonymous", "admin", "insp", "sch_a"])
def test_every_html_page_carries_the_security_headers(app, client, county, who):
    if who != "anonymous":
        assert Auth(client).login(who).status_code == 302
    seen_html = 0
    for url in get_urls(app):
        response = client.get(url)
        headers = response.headers
        assert headers.get("X-Content-Type-Options") == "nosniff", url
        assert headers.get("Referrer-Policy") == "same-origin", url
        assert headers.get("X-Frame-Options") == "DENY", url
        assert "Server" not in headers, url
        if response.mimetype != "text/html":
            continue
        seen_html += 1
        policy = headers.get("Content-Security-Policy", "")
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives.get("script-src") == "'self'", url
        assert directives.get("frame-ancestors") == "'none'", url
        assert directives.get("object-src") == "'none'", url
        page = BeautifulSoup(response.data, "html.parser")
        for script in page.find_all("script"):
            assert script.get("src"), f"inline script on {url}"
        for tag in page.find_all(True):
            handlers = [a for a in tag.attrs if a.lower().startswith("on")]
            assert not handlers, f"{handlers} on <{tag.name}> at {url}"
    assert seen_html >= 10  # the walk reached real pages, not only redirects


def test_error_pages_and_redirects_carry_them_too(client):
    for response in (client.get("/no-such-page"), client.get("/schools")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
    assert (
        "frame-ancestors 'none'" in client.get("/no-such-page").headers["Content-Security-Policy"]
    )


TEMPLATES = sorted(
    p for p in (PROJECT_ROOT / "templates").rglob("*.html") if "reports" not in p.parts
)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_templates_hold_no_inline_script(path: Path):
    """Also the templates the walk above cannot reach with sample ids.

    (templates/reports/ become PDFs in WeasyPrint, which runs no script at all.)
    """
    text = path.read_text(encoding="utf-8")
    # A JSON data block (type="application/json") is never run, so CSP need not allow it.
    scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text)
    assert all('type="application/json"' in tag for tag in scripts), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler attribute"
    assert "javascript:" not in text.lower()
