"""The six offline gaps of issue 14, each as an inspector would meet it on a phone: starting
offline, re-sending photos on a slow uplink, a second account on the phone, two tabs on one
draft, a stale tab's re-send, and the school's signer typed before a reload."""

from __future__ import annotations

import pytest

from .conftest import login
from .helpers import (
    CHECKLIST,
    SCHOOL,
    fill_all_sections,
    sign,
    start_inspection,
    wait_for_service_worker,
)

pytestmark = pytest.mark.browser


def test_offline_start_after_only_the_home_page(page, context, live_server, shot):
    # 开始新的检查 is never opened online: only 工作台 was visited before the signal went.
    login(page)
    wait_for_service_worker(page)
    context.set_offline(True)
    page.goto("/inspector/new")
    page.wait_for_selector("#school option[value]:not([value=''])", state="attached")
    school = next(
        o for o in page.locator("#school option").all_inner_texts() if o.startswith(SCHOOL)
    )
    page.select_option("#school", label=school)
    offered = page.locator("#checklist option").all_inner_texts()
    shot(page, "new-offline")
    assert any(o.startswith(CHECKLIST) for o in offered), offered
    assert "未能下载" not in page.locator("#checklist-hint").inner_text()
    # 工作台 tells the inspector so, offline too
    page.goto("/inspector/")
    ready = page.locator("#offline-ready[data-state=ready]")
    ready.wait_for()
    assert "可离线开始检查" in ready.inner_text()
    shot(page, "home-offline-ready")


def test_school_signer_typed_before_reload_is_kept(page, live_server, shot):
    login(page)
    start_inspection(page)
    fill_all_sections(page)
    page.click("#to-review")
    page.click("#to-sign")
    sign(page, "inspector")
    page.fill("#sig-school-name", "王建国")
    page.fill("#sig-school-title", "副校长")
    page.reload()  # the phone locked, the tab was discarded, or the inspector tapped reload
    page.wait_for_selector("body[data-ready='1']")
    assert page.input_value("#sig-school-name") == "王建国"
    assert page.input_value("#sig-school-title") == "副校长"
    assert page.locator("#sign-inspector[data-signed='1']").count() == 1
    shot(page, "signer-after-reload")
    sign(page, "school")
    saved = page.evaluate(
        """async () => {
            const store = await import('/static/js/inspector/store.js');
            const [draft] = await store.all('drafts');
            return draft.signatures.school;
        }"""
    )
    assert (saved["name"], saved["title"]) == ("王建国", "副校长")
