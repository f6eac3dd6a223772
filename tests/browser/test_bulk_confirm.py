"""本部分其余项均符合 on a phone: it sets exactly a section's plain checks, leaves the veto,
critical, numeric and evidence items to the inspector, undoes, survives a reload, and the
server keeps which answers were set in bulk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from inspect_app.checklist.sampling import parse as parse_sample

from .conftest import login
from .helpers import fill_to_signing, start_inspection

pytestmark = pytest.mark.browser

# 营养改善计划与学校食堂 at the demo 教学点 once 学校食堂供餐 is chosen: the plain checks the
# action may set (canteen_equipment needs a photo only when it fails: its pass needs none),
# and those it must leave (一票否决 though on_fail, 关键项 multi choice).
PLAIN = [
    "canteen_self_run",
    "demo_canteen",
    "canteen_equipment",
    "nutrition_menu",
    "nutrition_records",
]
LEFT = {"food_safety_basics": "critical", "subsidy_use": "veto"}


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
    expect(page.locator("#bulk-open")).to_have_text("本部分其余项均符合（5 项）")

    page.click("#bulk-open")
    sheet = page.locator("#bulk-confirm")
    expect(sheet.locator("h2")).to_have_text("将把本部分 5 项未答的一般项设为符合")
    labels = [item(page, i).locator(".item-label").inner_text() for i in PLAIN]
    assert sheet.locator("#bulk-list li").all_inner_texts() == labels
    expect(sheet.locator("#bulk-left")).to_contain_text("本部分还有 2 项须逐项作答")
    # items are left to answer by hand: no 确认并进入下一部分, the inspector is not done here
    expect(sheet.locator("#bulk-yes-next")).to_have_count(0)
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
    expect(page.locator("#bulk-done")).to_contain_text("已将 5 项设为符合")
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
    assert sorted(draft_bulk(page)) == ["canteen_equipment", "canteen_self_run", "demo_canteen"]

    page.goto(f"/inspector/form#{inspection_id}")
    page.wait_for_selector("body[data-ready='1']")
    page.click("#toc-toggle")
    page.click(".toc-item >> nth=0")
    fill_to_signing(page, by_hand=False)
    page.click("#submit")
    page.wait_for_selector("#lock-state[data-state=submitted]", timeout=30000)
    stored = live_server.query(
        "SELECT item_id, bulk, outcome FROM inspection_answers WHERE inspection_id = ? "
        "AND bulk = 1 ORDER BY item_id",
        [inspection_id],
    )
    assert stored == [
        {"item_id": "canteen_equipment", "bulk": 1, "outcome": "pass"},
        {"item_id": "canteen_self_run", "bulk": 1, "outcome": "pass"},
        {"item_id": "demo_canteen", "bulk": 1, "outcome": "pass"},
    ]


def draft_answer(page, item_id: str):
    return page.evaluate(
        """async (id) => {
          const store = await import('/static/js/inspector/store.js');
          return (await store.get('drafts', decodeURIComponent(location.hash.slice(1)))).answers[id];
        }""",
        item_id,
    )


def test_confirm_and_move_on_then_undo_from_the_next_section(page, live_server, shot):
    login(page)
    start_inspection(page)
    open_section(page, "nutrition")
    # the inspector's part first: the facts, the 关键项 and the 一票否决 item
    item(page, "supply_mode").locator(".opt[data-value=canteen]").click()
    for value in ("sample", "health", "accompany", "ledger"):
        item(page, "food_safety_basics").locator(f".opt[data-value={value}]").click()
    item(page, "subsidy_use").locator(".opt[data-value=true]").click()
    item(page, "meat_egg_milk").locator(".opt[data-value=true]").click()
    page.click("#bulk-open")
    sheet = page.locator("#bulk-confirm")
    expect(sheet.locator("#bulk-left")).to_contain_text("不符合时才须拍照的项，符合无须照片")
    expect(sheet.locator("#bulk-yes-next")).to_have_text("确认并进入下一部分")
    sheet.scroll_into_view_if_needed()
    shot(page, "sheet-with-move-on")

    page.click("#bulk-yes-next")  # one tap: set, and the next section
    page.wait_for_selector(".section[data-section=pairing]")
    toast = page.locator("#toast")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("「营养改善计划与学校食堂」5 项已设为符合（批量确认）")
    expect(toast.locator("#toast-action")).to_have_text("撤销")
    shot(page, "next-section-undo-offered")
    assert sorted(draft_bulk(page)) == sorted(PLAIN)
    assert draft_answer(page, "canteen_equipment") is True  # no photo, and none asked for

    page.click("#toast-action")
    page.wait_for_selector(".section[data-section=nutrition]")
    for i in PLAIN:
        expect(item(page, i)).to_have_attribute("data-outcome", "unanswered")
    expect(item(page, "subsidy_use")).to_have_attribute("data-outcome", "pass")
    expect(toast).to_contain_text("已撤销，5 项恢复为未答")
    assert draft_bulk(page) == []

    # moving on again, then staying: the items keep their tag in the section afterwards
    page.click("#bulk-open")
    page.click("#bulk-yes-next")
    page.wait_for_selector(".section[data-section=pairing]")
    page.click("#prev")
    page.wait_for_selector(".section[data-section=nutrition]")
    for i in PLAIN:
        expect(item(page, i)).to_have_attribute("data-outcome", "pass")
        expect(item(page, i).locator(".tag-bulk")).to_be_visible()
    # no photo was asked for the on_fail item that passed
    expect(item(page, "canteen_equipment").locator(".evidence-msg")).to_be_hidden()


def test_sample_all_pass_marks_every_drawn_file_in_one_tap(page, live_server, shot):
    login(page)
    start_inspection(page)
    open_section(page, "archives")
    item(page, "poor_students_total").locator(".control input").fill("12")
    sample = item(page, "file_sample")
    sample.locator(".control textarea").fill("\n".join(f"G2015{k:04d}" for k in range(12)))
    sample.locator(".sample-draw").click()
    rows = sample.locator(".sample-row")
    expect(rows).to_have_count(5)  # ⌈√12⌉ = 4, raised to the checklist's 5
    expect(sample.locator(".sample-all")).to_have_text("抽查的 5 份全部合格")
    # one marked 不合格 first: 全部合格 then sets only the others
    first = rows.first.get_attribute("data-id")
    rows.first.locator(".opt[data-value=bad]").click()
    expect(sample.locator(".sample-all")).to_have_text("其余 4 份全部合格")
    sample.locator(".sample-all").evaluate("(b) => b.scrollIntoView({ block: 'center' })")
    shot(page, "sample-all-offered")
    sample.locator(".sample-all").click()
    expect(sample.locator(".sample-all")).to_be_hidden()
    expect(sample.locator(".sample-row .opt[data-value=ok][aria-pressed=true]")).to_have_count(4)
    sample.scroll_into_view_if_needed()
    shot(page, "sample-marked")
    # still changeable one by one
    rows.first.locator(".opt[data-value=ok]").click()
    expect(sample).to_have_attribute("data-outcome", "pass")

    answer = draft_answer(page, "file_sample")
    drawn = rows.evaluate_all("rows => rows.map((r) => r.dataset.id)")
    assert answer["marks"] == dict.fromkeys(drawn, True)
    assert first in answer["marks"]
    # exactly the shape the server's engine accepts: well formed, every drawn file 合格
    parsed, well_formed = parse_sample(answer, 5, 30)
    assert well_formed and parsed["ids"] == drawn and parsed["ratio"] == 1
