"""The bulletin page in a real browser: a period-kind change keeps the checklist and the 点评,
the preview shows the pages, and what is issued is what was previewed."""

from __future__ import annotations

import pytest
from werkzeug.serving import make_server

from inspect_app.demo.county import DEMO_PASSWORD

from ..instances import make_app
from .conftest import login, new_context, serve

COMPREHENSIVE = "教育精准扶贫综合督导"


@pytest.fixture(scope="module")
def county_server(tmp_path_factory, demo_term_template):
    """The demo county with its term of inspections (read-only for these tests but the issue)."""
    folder = tmp_path_factory.mktemp("bulletin") / "instance"
    demo_term_template.copy_to(folder)
    app = make_app(
        folder, SECRET_KEY="browser-tests", LOGIN_MAX_FAILURES=1000, TODAY_OVERRIDE="2026-12-01"
    )
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    serve(httpd)
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


class _Server:
    def __init__(self, url):
        self.url = url


@pytest.mark.parametrize("width", [1280, 390])
def test_period_change_keeps_checklist_and_commentary_then_preview_and_issue(
    browser, county_server, shot, width
):
    ctx = new_context(browser, _Server(county_server), width=width, geolocation=False)
    page = ctx.new_page()
    page.set_default_timeout(30000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        login(page, "jyj", DEMO_PASSWORD, next_path="/bureau/bulletins")
        checklist = page.locator("#bulletin-checklist")
        options = checklist.locator("option").all_inner_texts()
        assert COMPREHENSIVE in options and len(options) > 1
        # choose the comprehensive checklist explicitly, then another period kind
        page.select_option("#bulletin-checklist", label=COMPREHENSIVE)
        page.fill("#commentary", "本月各校总体平稳。\n\n1. 食堂卫生仍需加强\n2. 宿舍安全常抓不懈")
        page.select_option("#period-kind", "month")
        assert page.locator("#bulletin-checklist option:checked").inner_text() == COMPREHENSIVE
        assert page.input_value("#commentary").startswith("本月各校总体平稳。")
        month = page.locator("label.period-key[data-kind=month]")
        assert month.is_visible() and not page.locator("label[data-kind=quarter]").is_visible()
        assert month.locator("option:checked").inner_text() == "2026年11月"  # last complete month
        shot(page, f"form-{width}", full_page=True)
        page.click("text=预览通报")
        page.wait_for_selector(".preview-page img")
        assert "2026年11月" in page.inner_text("main") and COMPREHENSIVE in page.inner_text("main")
        first = page.locator(".preview-page img").first
        assert first.evaluate("img => img.complete && img.naturalWidth > 400")
        shot(page, f"preview-{width}")
        shot(page, f"preview-{width}-full", full_page=True)
        if width == 1280:
            page.click("#issue")
            page.wait_for_selector("#bulletins")
            row = page.locator("#bulletins tbody tr").first.inner_text()
            assert "2026年11月" in row and COMPREHENSIVE in row and "UTC" not in row
            shot(page, "issued", full_page=True)
        assert not errors, errors
    finally:
        ctx.close()
