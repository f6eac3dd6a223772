"""本部分其余项均符合 on a phone: it sets exactly a section's plain checks, leaves the veto,
critical, numeric and evidence items to the inspector, undoes, survives a reload, and the
server keeps which answers were set in bulk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import login
from .helpers import fill_to_signing, start_inspection

pytestmark = pytest.mark.browser

# 营养改善计划与学校食堂 at the demo 教学点 once 学校食堂供餐 is chosen: the plain checks the
# action may set, and those it must leave (一票否决, 关键项 multi choice, 须拍照 on failure).
PLAIN = ["canteen_self_run", "demo_canteen", "nutrition_menu", "nutrition_records"]
LEFT = {"canteen_equipment": "evidence", "food_safety_basics": "critical", "subsidy_use": "veto"}


def item(page, item_id: str):
    return page.locator(f"#item-{item_id}")


def open_section(page, section_id: str) -> None:
    page.click("#toc-toggle")
    page.click(f".toc-item[data-section={section_id}]")
    page.wait_for_selector(f".section[data-section={section_id}]")


def draft_bulk(page) -> list[str]:
    return page.evaluate(
        """async () => {
          const store = await import('/static/js/inspector/store.js');
          return (await store.get('drafts', decodeURIComponent(location.hash.slice(1)))).bulk;
        }"""
    )


def test_bulk_confirm_sets_only_plain_checks_undoes_and_reaches_the_server(page, live_server, shot):
    login(page)
    inspection_id = start_inspection(page)
    open_section(page, "nutrition")
    item(page, "supply_mode").locator(".opt[data-value=canteen]").click()
    # the inspector's own answer first: a failing one the action must not overwrite
    item(page, "meat_egg_milk").locator(".opt[data-value=false]").click()
    expect(page.locator("#bulk-open")).to_have_text("本部分其余项均符合（4 项）")

    page.click("#bulk-open")
    sheet = page.locator("#bulk-confirm")
    expect(sheet.locator("h2")).to_have_text("将把本部分 4 项未答的一般项设为符合")
    labels = [item(page, i).locator(".item-label").inner_text() for i in PLAIN]
    assert sheet.locator("#bulk-list li").all_inner_texts() == labels
    expect(sheet.locator("#bulk-left")).to_contain_text("本部分还有 3 项须逐项作答")
    shot(page, "confirm")
    # nothing is set before the confirmation
    for i in PLAIN:
        expect(item(page, i)).to_have_attribute("data-outcome", "unanswered")

    page.click("#bulk-yes")
    for i in PLAIN:
        expect(item(page, i)).to_have_attribute("data-outcome", "pass")
        expect(item(page, i).locator(".tag-bulk")).to_be_visible()
        expect(item(page, i).locator(".opt[aria-pressed=true]")).to_have_count(1)
    for i in LEFT:
        expect(item(page, i)).to_have_attribute("data-outcome", "unanswered")
        expect(item(page, i).locator(".tag-bulk")).to_be_hidden()
    expect(item(page, "meat_egg_milk")).to_have_attribute("data-outcome", "fail")
    expect(item(page, "supply_mode").locator(".tag-bulk")).to_be_hidden()
    expect(page.locator("#bulk-done")).to_contain_text("已将 4 项设为符合")
    expect(page.locator("#bulk-open")).to_have_count(0)  # nothing left it could set
    item(page, PLAIN[0]).scroll_into_view_if_needed()
    shot(page, "set")
    page.locator("#bulk-done").scroll_into_view_if_needed()
    shot(page, "undo-offered")

    page.click("#bulk-undo")
    for i in PLAIN:
        expect(item(page, i)).to_have_attribute("data-outcome", "unanswered")
        expect(item(page, i).locator(".tag-bulk")).to_be_hidden()
    expect(item(page, "meat_egg_milk")).to_have_attribute("data-outcome", "fail")
    assert draft_bulk(page) == []

    page.click("#bulk-open")
    page.click("#bulk-yes")
    expect(item(page, PLAIN[-1])).to_have_attribute("data-outcome", "pass")
    # the tags come back from the draft after a reload
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    for i in PLAIN:
        expect(item(page, i).locator(".tag-bulk")).to_be_visible()
    # one tap on another option changes a bulk answer and makes it the inspector's own
    item(page, "nutrition_records").locator(".opt[data-value=false]").click()
    expect(item(page, "nutrition_records")).to_have_attribute("data-outcome", "fail")
    expect(item(page, "nutrition_records").locator(".tag-bulk")).to_be_hidden()
    # tapping the answer the action gave confirms it by hand: no longer marked
    item(page, "nutrition_menu").locator(".opt[data-value=weekly]").click()
    expect(item(page, "nutrition_menu").locator(".tag-bulk")).to_be_hidden()
    expect(item(page, "nutrition_menu")).to_have_attribute("data-outcome", "pass")
    assert sorted(draft_bulk(page)) == ["canteen_self_run", "demo_canteen"]

    page.goto(f"/inspector/form#{inspection_id}")
    page.wait_for_selector("body[data-ready='1']")
    page.click("#toc-toggle")
    page.click(".toc-item >> nth=0")
    fill_to_signing(page)
    page.click("#submit")
    page.wait_for_selector("#lock-state[data-state=submitted]", timeout=30000)
    stored = live_server.query(
        "SELECT item_id, bulk, outcome FROM inspection_answers WHERE inspection_id = ? "
        "AND bulk = 1 ORDER BY item_id",
        [inspection_id],
    )
    assert stored == [
        {"item_id": "canteen_self_run", "bulk": 1, "outcome": "pass"},
        {"item_id": "demo_canteen", "bulk": 1, "outcome": "pass"},
    ]
