"""Issue 14 "Field use" and issue 13's running score, as an inspector meets them on a phone:
what the bar says while the form is incomplete, and that nothing in it is cut off."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from .conftest import SHOTS, login, new_context
from .helpers import (
    CHECKLIST,
    SCHOOL,
    fill_all_sections,
    fill_section,
    fill_to_signing,
    start_inspection,
    wait_for_service_worker,
)

pytestmark = pytest.mark.browser


def engine_result(page) -> dict:
    """The engine's own verdict on the draft on screen (the same module the form imports)."""
    return page.evaluate(
        """async () => {
          const { score } = await import('/static/js/engine.js');
          const store = await import('/static/js/inspector/store.js');
          const api = await import('/static/js/inspector/api.js');
          const draft = await store.get('drafts', decodeURIComponent(location.hash.slice(1)));
          const compiled = await api.checklist(draft.checklist_hash);
          const ids = new Set(compiled.sections.flatMap((s) => s.items.map((i) => i.id)));
          const answers = {};
          for (const [k, v] of Object.entries(draft.answers)) {
            if (ids.has(k) && !draft.na.includes(k) && v !== null && v !== '') answers[k] = v;
          }
          const photos = {};
          for (const p of await store.photosFor(draft.id)) photos[p.item] = (photos[p.item] || 0) + 1;
          const r = score(compiled, draft.school, { answers, na: draft.na, photos });
          return { progress: r.progress, complete: r.complete, total: r.total, grade: r.grade };
        }"""
    )


def fully_visible(page, selector: str, width: int) -> None:
    """The element's text is not clipped: its box is inside the viewport and not ellipsised."""
    el = page.locator(selector).first
    box = el.bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (selector, box)
    clipped = el.evaluate("(e) => e.scrollWidth > e.clientWidth + 1")
    assert not clipped, f"{selector} text is cut off"


def overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize("width", [360, 412])
def test_running_score_bar_at_phone_width(browser, live_server, shot, width):
    context = new_context(browser, live_server, width=width)
    page = context.new_page()
    # tapped at the narrowest width, where the bars could cover an answer; answered in the
    # page at the other, which checks the same bar for less CPU
    by_hand = width == 360
    login(page)
    start_inspection(page)
    school = page.locator("#scorebar .sb-school strong").inner_text()
    assert school.startswith("河口乡石桥村教学点")
    assert page.locator("#total").inner_text() == "—"
    assert page.locator("#grade").inner_text() == "未开始"
    shot(page, f"bar-empty-{width}")

    # one section answered: points earned of points assessed, the share answered, no grade
    fill_section(page, by_hand=by_hand)
    r = engine_result(page)
    p = r["progress"]
    assert not r["complete"]
    assert page.locator("#total").inner_text() == f"已得 {p['earned']:g}/{p['assessed']:g} 分"
    assert page.locator("#answered").inner_text().startswith(f"已答 {p['answered']}/{p['items']}")
    grade = page.locator("#grade").inner_text()
    grades = ["优秀", "良好", "合格", "不合格"]
    assert grade not in grades, "a bare grade while the form is incomplete"
    assert grade == "进行中" or grade.startswith("预计 ")
    shot(page, f"bar-partial-{width}")
    for sel in ["#scorebar .sb-school strong", "#total", "#grade", "#answered", "#toc-toggle"]:
        fully_visible(page, sel, width)
    # 目录 is a full-size tap target, not squeezed, and nothing in the bar overlaps
    toc = page.locator("#toc-toggle").bounding_box()
    assert toc["width"] >= 44 and toc["height"] >= 44, toc
    boxes = {
        sel: page.locator(sel).bounding_box()
        for sel in ["#scorebar .sb-school strong", "#total", "#grade", "#answered", "#toc-toggle"]
    }
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not overlap(boxes[a], boxes[b]), (a, b, boxes[a], boxes[b])
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width

    # walk on: from half answered the projected grade is marked 预计 and is the engine's
    while page.locator("#next").count():
        page.click("#next")
        page.wait_for_selector(".section")
        fill_section(page, by_hand=by_hand)
        r = engine_result(page)
        if r["complete"]:
            break
        grade = page.locator("#grade").inner_text()
        if r["progress"]["answered"] * 2 >= r["progress"]["items"] and r["progress"]["grade"]:
            assert grade == f"预计 {r['progress']['grade']}"
        else:
            assert grade == "进行中"
    fill_all_sections(page, by_hand=by_hand)
    r = engine_result(page)
    assert r["complete"]
    assert page.locator("#total").inner_text() == f"{r['total']:g} 分"
    assert page.locator("#grade").inner_text() == r["grade"]
    shot(page, f"bar-complete-{width}")
    for sel in ["#scorebar .sb-school strong", "#total", "#grade", "#toc-toggle"]:
        fully_visible(page, sel, width)
    context.close()


# ---------------------------------------------------------------- issue 14: field use

BOARDING_SCHOOL = "河口乡沙坪村小学"  # boarding, 168 pupils in the registry, principal 马立新
BOARDING_CHECKLIST = "寄宿制学校宿舍专项督查"


def phone(browser, live_server, width: int = 360, **options):
    context = new_context(browser, live_server, width=width)
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.js_errors = errors
    return context, page


def section_with(page, item_id: str) -> None:
    """Page on with 下一部分 until the item is on screen."""
    while not page.locator(f"#item-{item_id}").count():
        page.click("#next")
        page.wait_for_selector(".section")
    page.locator(f"#item-{item_id}").scroll_into_view_if_needed()


def test_bottom_bar_within_thumb_reach(browser, live_server, shot):
    context, page = phone(browser, live_server, 360)
    login(page)
    start_inspection(page)
    height = page.viewport_size["height"]
    bar = page.locator("#bottombar")
    prev, toc, nxt = page.locator("#prev"), page.locator("#toc-toggle"), page.locator("#next")
    # the three places sit in the bottom band of the screen, side by side, full-size targets
    for button in (prev, toc, nxt):
        box = button.bounding_box()
        assert box["y"] >= height - 90 and box["y"] + box["height"] <= height, box
        assert box["height"] >= 48 and box["width"] >= 90, box
    assert prev.is_disabled()  # first section
    assert [b.inner_text().split("\n")[0] for b in (prev, toc, nxt)] == [
        "上一部分",
        "目录",
        "下一部分",
    ]
    # scrolled to the middle of a long section: still there, under the thumb
    page.mouse.wheel(0, 2500)
    page.wait_for_timeout(200)
    assert bar.bounding_box()["y"] + bar.bounding_box()["height"] <= height + 0.5
    assert nxt.bounding_box()["y"] >= height - 90
    fill_section(page)
    r = engine_result(page)
    share = round(r["progress"]["answered"] / r["progress"]["items"] * 100)
    sections = page.locator(".section h1").inner_text().split(" ")[0]  # "1/9"
    assert page.locator("#toc-progress").inner_text() == f"第 {sections} 部分 · {share}%"
    # answer buttons stay large
    heights = page.evaluate(
        "[...document.querySelectorAll('.item-yesno .opt')].map((b) => b.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 52
    shot(page, "bottom-bar")
    nxt.click()
    page.wait_for_selector(".section h1:text-matches('^2/')")
    assert not page.locator("#prev").is_disabled()
    # 目录 opens a sheet above the bar; a tap on a section jumps there and closes it
    page.click("#toc-toggle")
    sheet = page.locator("#toc")
    sheet.wait_for()
    assert sheet.bounding_box()["y"] + sheet.bounding_box()["height"] <= bar.bounding_box()["y"] + 1
    shot(page, "toc-sheet")
    page.locator(".toc-item").nth(3).click()
    page.wait_for_selector(".section h1:text-matches('^4/')")
    assert sheet.is_hidden()
    page.click("#prev")
    page.wait_for_selector(".section h1:text-matches('^3/')")
    assert not page.js_errors
    context.close()


def test_compact_cards_open_on_demand_and_on_failure(browser, live_server, shot):
    context, page = phone(browser, live_server, 360)
    login(page)
    start_inspection(page)
    section_with(page, "fallback_included")
    card = page.locator("#item-fallback_included")
    # a passing yes/no card: label, answers and one small row of tools, nothing else open
    card.locator(".opt[data-value=true]").click()
    tools = card.locator(".item-tools")
    assert tools.locator(".tool").all_inner_texts()[:3] == ["依据", "照片 0", "备注"]
    row = tools.bounding_box()
    assert row["height"] <= 52, row  # one row at 360 px
    assert card.locator(".guide-body").is_hidden() and card.locator(".note-input").is_hidden()
    assert card.bounding_box()["height"] < 260, card.bounding_box()
    shot(page, "compact-pass")
    card.locator(".tool-guide").click()
    assert card.locator(".guide-body").is_visible()
    assert "依据：" in card.locator(".guide-body").inner_text()
    card.locator(".tool-guide").click()
    assert card.locator(".guide-body").is_hidden()
    # a written note shows as 备注 ✓
    card.locator(".tool-note").click()
    card.locator(".note-input").fill("台账齐全")
    assert card.locator(".tool-note").inner_text() == "备注 ✓"
    # a failure that needs evidence: the message, a highlighted 照片 and the note open by itself
    section_with(page, "aid_funds_intact")
    failing = page.locator("#item-aid_funds_intact")
    failing.locator(".opt[data-value=false]").click()
    assert failing.get_attribute("data-outcome") == "fail"
    assert failing.locator(".evidence-msg").is_visible()
    assert "need" in failing.locator(".tool-photo").get_attribute("class")
    assert failing.locator(".note-input").is_visible()
    failing.scroll_into_view_if_needed()
    shot(page, "compact-fail")
    assert not page.js_errors
    context.close()


def test_double_tap_keeps_the_answer_and_clearing_is_explicit(browser, live_server, shot):
    context, page = phone(browser, live_server, 390)
    login(page)
    start_inspection(page)
    section_with(page, "fallback_included")
    card = page.locator("#item-fallback_included")
    yes, no = card.locator(".opt[data-value=true]"), card.locator(".opt[data-value=false]")
    yes.dblclick()
    assert yes.get_attribute("aria-pressed") == "true"
    yes.tap()
    yes.tap()
    assert yes.get_attribute("aria-pressed") == "true"
    assert card.get_attribute("data-outcome") == "pass"
    # changing is one tap on the other option
    no.tap()
    assert (
        no.get_attribute("aria-pressed") == "true" and yes.get_attribute("aria-pressed") == "false"
    )
    # clearing is its own button
    shot(page, "answered-with-clear")
    card.locator(".tool-clear").tap()
    assert card.get_attribute("data-outcome") == "unanswered"
    assert card.locator(".opt[aria-pressed=true]").count() == 0
    assert card.locator(".tool-clear").is_hidden()
    # and the cleared state is what the draft keeps
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#item-fallback_included").get_attribute("data-outcome") == "unanswered"
    assert not page.js_errors
    context.close()


def choose_school(page, school: str) -> None:
    page.goto("/inspector/new")
    page.wait_for_selector("#school option[value]:not([value=''])", state="attached")
    label = next(
        o for o in page.locator("#school option").all_inner_texts() if o.startswith(school)
    )
    page.select_option("#school", label=label)
    page.wait_for_selector("#checklist option[value]:not([value=''])", state="attached")


def chosen_checklist(page) -> str:
    return page.evaluate("document.querySelector('#checklist').selectedOptions[0].textContent")


def chosen_type(page) -> str:
    return page.evaluate("document.querySelector('input[name=type]:checked').value")


def test_sensible_defaults(browser, live_server, shot):
    context, page = phone(browser, live_server, 390)
    login(page)
    choose_school(page, BOARDING_SCHOOL)
    # the comprehensive checklist first and chosen, the type 综合督导
    options = page.locator("#checklist option").all_inner_texts()
    assert options[0].startswith(CHECKLIST) and len(options) >= 2, options
    assert chosen_checklist(page).startswith(CHECKLIST)
    assert chosen_type(page) == "综合督导"
    shot(page, "defaults")
    # the type follows the checklist, both ways
    special = next(o for o in options if o.startswith(BOARDING_CHECKLIST))
    page.select_option("#checklist", label=special)
    assert chosen_type(page) == "专项督查"
    page.select_option("#checklist", label=options[0])
    assert chosen_type(page) == "综合督导"
    # and the checklist follows a type chosen first
    page.locator("label.seg-option", has_text="专项督查").click()
    assert "专项" in chosen_checklist(page)
    # a way of visiting chosen on purpose stays when the checklist changes
    page.locator("label.seg-option", has_text="暗访").click()
    page.select_option("#checklist", label=options[0])
    assert chosen_type(page) == "暗访"
    shot(page, "type-kept")
    # the registry's principal is the school's signer, editable
    principal = live_server.query("SELECT principal FROM schools WHERE name = ?", [BOARDING_SCHOOL])
    start_inspection(page, school=BOARDING_SCHOOL)
    fill_all_sections(page, by_hand=False)
    page.click("#to-review")
    page.click("#to-sign")
    name = page.locator("#sig-school-name")
    assert name.input_value() == principal[0]["principal"] == "马立新"
    assert page.locator("#sig-school-title").input_value() == "校长"
    name.fill("马立新（代）")
    assert name.input_value() == "马立新（代）"
    shot(page, "signer-prefilled")
    assert not page.js_errors
    context.close()


def drafts_in_db(page) -> list[dict]:
    return page.evaluate(
        """async () => {
          const store = await import('/static/js/inspector/store.js');
          const photos = await store.all('photos');
          return (await store.all('drafts')).map((d) => ({ id: d.id, status: d.status,
            answers: Object.keys(d.answers).length, copied_from: d.copied_from || null,
            photos: photos.filter((p) => p.inspection === d.id).length }));
        }"""
    )


def test_discard_to_trash_undo_restore_and_duplicate(browser, live_server, shot, photo_files):
    context, page = phone(browser, live_server, 360)
    login(page)
    first = start_inspection(page)
    page.locator("#item-dynamic_management .opt").first.click()
    page.fill("#in-poor_students_total", "12")
    page.locator("#item-poor_students_total input[type=file]").set_input_files(photo_files[:1])
    page.locator("#item-poor_students_total .thumb").wait_for()
    page.goto("/inspector/")
    row = page.locator(f".draft-item[data-id='{first}']")
    row.wait_for()
    shot(page, "drafts")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360

    # 删除 asks first; cancelling keeps it
    page.once("dialog", lambda d: d.dismiss())
    row.locator(".draft-discard").click()
    assert row.is_visible()
    # confirmed: out of the list, into the trash, with 撤销 on the toast
    page.once("dialog", lambda d: d.accept())
    row.locator(".draft-discard").click()
    page.locator("#drafts .empty").wait_for()
    assert page.locator("#trash-count").inner_text() == "1"
    shot(page, "discarded-undo")
    page.click("#toast-action")
    page.locator(f"#drafts .draft-item[data-id='{first}']").wait_for()
    assert page.locator("#trash").is_hidden()

    # discarded again, then restored from the trash, answers and photo intact
    page.once("dialog", lambda d: d.accept())
    page.locator(f"#drafts .draft-item[data-id='{first}'] .draft-discard").click()
    page.locator("#trash summary").click()
    trashed = page.locator(f"#trash-list .draft-item[data-id='{first}']")
    assert "7 天后彻底删除" in trashed.inner_text()
    shot(page, "trash")
    assert trashed.bounding_box()["height"] < 180  # a list row, not a signature-pad-sized box
    trashed.locator(".draft-restore").click()
    page.locator(f"#drafts .draft-item[data-id='{first}']").wait_for()
    mine = {d["id"]: d for d in drafts_in_db(page)}[first]
    assert mine["status"] == "draft" and mine["answers"] == 2 and mine["photos"] == 1

    # 复制: a second draft with the answers, without the photos (they belong to that visit)
    page.locator(f".draft-item[data-id='{first}'] .draft-copy").click()
    expect(page.locator("#drafts .draft-item")).to_have_count(2)
    copy = next(d for d in drafts_in_db(page) if d["copied_from"] == first)
    assert copy["answers"] == 2 and copy["photos"] == 0 and copy["status"] == "draft"
    page.goto(f"/inspector/form#{copy['id']}")
    page.wait_for_selector("body[data-ready='1']")
    assert page.input_value("#in-poor_students_total") == "12"
    assert page.locator("#item-poor_students_total .thumb").count() == 0

    # after 7 days in the trash a draft and its photos are gone for good
    page.goto("/inspector/")
    page.once("dialog", lambda d: d.accept())
    page.locator(f"#drafts .draft-item[data-id='{first}'] .draft-discard").click()
    page.locator("#trash-count:text-is('1')").wait_for()
    page.evaluate(
        """async (id) => {
          const store = await import('/static/js/inspector/store.js');
          const d = await store.get('drafts', id);
          await store.put('drafts', { ...d, trashed_at: new Date(Date.now() - 8 * 864e5).toISOString() });
        }""",
        first,
    )
    page.reload()
    expect(page.locator("#drafts .draft-item")).to_have_count(1)
    assert first not in {d["id"] for d in drafts_in_db(page)}
    assert (
        page.evaluate(
            """async (id) => (await (await import('/static/js/inspector/store.js')).photosFor(id)).length""",
            first,
        )
        == 0
    )
    assert not page.js_errors
    context.close()


def test_plausibility_warning_beside_a_count(browser, live_server, shot):
    context, page = phone(browser, live_server, 360)
    login(page)
    start_inspection(page, school=BOARDING_SCHOOL, checklist=BOARDING_CHECKLIST)
    card = page.locator("#item-boarders")
    page.fill("#in-boarders", "412")  # the registry says 168 pupils in all
    warning = card.locator(".plaus-msg")
    assert warning.is_visible()
    assert (
        "学籍系统在校生数 168 人" in warning.inner_text() and "不影响评分" in warning.inner_text()
    )
    # a warning, not an error: the answer stands and the card is not 需更正
    assert card.get_attribute("data-outcome") != "error"
    assert card.locator(".badge").inner_text() != "需更正"
    below = card.locator(".control").bounding_box()
    box = warning.bounding_box()
    assert box["y"] >= below["y"] and box["y"] - (below["y"] + below["height"]) < 40  # beside it
    shot(page, "plausibility")
    page.fill("#in-boarders", "150")
    assert warning.is_hidden()
    assert not page.js_errors
    context.close()


def plain_photo(tmp_path, color=(128, 128, 128)) -> tuple[str, str]:
    """A camera-sized photo of one flat colour, so any text in it is the stamp's."""
    img = Image.new("RGB", (4000, 3000), color)
    path = tmp_path / "flat.jpg"
    img.save(path, "JPEG", quality=92)
    return str(path), hashlib.sha256(path.read_bytes()).hexdigest()


def test_photo_carries_a_burnt_in_stamp_and_its_data(page, live_server, shot, tmp_path):
    login(page)
    inspection_id = start_inspection(page)
    path, original = plain_photo(tmp_path)
    card = page.locator("#item-poor_students_total")
    card.locator("input[type=file]").set_input_files([path])
    card.locator(".thumb").wait_for()
    assert card.locator(".tool-photo").inner_text() == "照片 1"
    card.locator(".thumb").scroll_into_view_if_needed()
    shot(page, "stamped-thumb")
    fill_to_signing(page, by_hand=False)
    page.click("#submit")
    page.wait_for_selector("#lock-state[data-state=submitted]")

    # the stamp data is kept with the inspection: school, Beijing time, place with accuracy,
    # inspector, and the camera original's hash
    payload = json.loads(
        live_server.query("SELECT payload FROM inspections WHERE id = ?", [inspection_id])[0][
            "payload"
        ]
    )
    (photo,) = [p for p in payload["photos"] if p["item"] == "poor_students_total"]
    stamp = photo["stamp"]
    assert stamp["school"] == SCHOOL and stamp["inspector"] == "李志明"
    assert stamp["original_sha256"] == original, (stamp, original, path)
    assert (stamp["latitude"], stamp["longitude"], stamp["accuracy"]) == (26.58, 107.51, 15)
    assert stamp["timezone"] == "Asia/Shanghai" and stamp["taken_at"].endswith("Z")
    assert stamp["stamp_height"] > 0

    # decode what the server stored: a dark band at the bottom with light text in it, the
    # rest of the picture the camera's flat grey
    # (the server re-encodes what it keeps, so its bytes are not the phone's; the pixels are)
    raw = page.request.get(f"/api/photos/{photo['sha256']}").body()
    assert raw[:3] == b"\xff\xd8\xff"
    (SHOTS / "stamp-stored-photo.jpg").write_bytes(raw)  # to look at
    img = Image.open(io.BytesIO(raw)).convert("L")
    w, h = img.size
    band = img.crop((0, h - stamp["stamp_height"] + 2, w, h - 2))
    above = img.crop((0, 0, w, h - stamp["stamp_height"] - 4))
    band_px = list(band.getdata())
    assert max(abs(p - 128) for p in above.getdata()) < 12  # untouched
    dark = sum(1 for p in band_px if p < 80) / len(band_px)
    light = sum(1 for p in band_px if p > 200) / len(band_px)
    assert dark > 0.5 and light > 0.01, (dark, light)  # the band, and text written on it
    # the text spans several lines: light pixels in the top and the bottom half of the band
    bh = band.size[1]
    top = [p for p in band.crop((0, 0, w, bh // 2)).getdata() if p > 200]
    bottom = [p for p in band.crop((0, bh // 2, w, bh)).getdata() if p > 200]
    assert top and bottom

    # captions by item on the inspection page
    page.goto(f"/inspections/{inspection_id}")
    figure = page.locator("figure", has=page.locator(f"img[src*='{photo['sha256']}']"))
    assert "本校在校建档立卡学生数" in figure.locator("figcaption").inner_text()
    shot(page, "inspection-page-photos", full_page=True)


def test_offline_summary_for_the_principal_after_signing(page, context, live_server, shot):
    login(page)
    wait_for_service_worker(page)
    start_inspection(page)
    context.set_offline(True)
    # one failure with a rectification, so there is something for the principal to read
    section_with(page, "fallback_included")
    page.locator("#item-fallback_included .opt[data-value=false]").click()
    fill_to_signing(page, by_hand=False)
    page.click("#submit")
    summary = page.locator("#result-summary")
    summary.wait_for()
    r = page.evaluate(
        """async () => {
          const store = await import('/static/js/inspector/store.js');
          const [item] = await store.all('outbox');
          return { r: item.payload.client_result, rects: item.payload.rectifications };
        }"""
    )
    res, rects = r["r"], r["rects"]
    assert page.locator("#summary-total").inner_text() == f"{res['total']:g}"
    assert page.locator("#summary-grade").inner_text() == res["grade"]
    if res.get("capped"):
        assert res["cap"]["reason"] in page.locator("#summary-cap").inner_text()
    findings = page.locator("#summary-findings li").all_inner_texts()
    assert len(findings) == len(res["findings"]) >= 1
    assert any(f["problem"] in " ".join(findings) for f in res["findings"])
    items = page.locator("#summary-rects li").all_inner_texts()
    assert len(items) == len(rects) >= 1
    for text, rect in zip(items, rects, strict=True):
        assert rect["deadline"] in text
    assert "联网后可在此查看" in page.locator("#official-hint").inner_text()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    shot(page, "summary-offline", full_page=True)
    # online again: it uploads, and the official report is one tap away; the summary stays
    context.set_offline(False)
    page.locator("#lock-state[data-state=submitted]").wait_for(timeout=30000)
    page.locator("#report-link").wait_for()
    assert summary.is_visible()
    shot(page, "summary-online")
    # and after the upload (the draft is gone from the phone) the summary is still readable
    page.reload()
    page.locator("#result-summary").wait_for()
    assert page.locator("#report-link").is_visible()


def test_inspection_page_readable_at_360(browser, live_server, shot):
    context, page = phone(browser, live_server, 360)
    login(page)
    inspection_id = start_inspection(page)
    section_with(page, "fallback_included")
    page.locator("#item-fallback_included .opt[data-value=false]").click()
    fill_to_signing(page, by_hand=False)
    page.click("#submit")
    page.wait_for_selector("#lock-state[data-state=submitted]")
    page.goto(f"/inspections/{inspection_id}")
    shot(page, "inspection-360", full_page=True)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    # no cell squeezed to a character per line: every table cell is at least four characters wide
    # (lines counted from the text's own line boxes; fewer than four characters a line fails)
    narrow = page.evaluate(
        """() => [...document.querySelectorAll('main td, main th')]
             .filter((c) => c.offsetParent && c.textContent.trim().length > 3
                      && !(c.closest('thead')?.getBoundingClientRect().width <= 1))  // not the hidden headers
             .map((c) => {
               const r = document.createRange();
               r.selectNodeContents(c);
               const lines = new Set([...r.getClientRects()].filter((x) => x.width > 0)
                 .map((x) => Math.round(x.top))).size || 1;
               return { text: c.textContent.trim().slice(0, 20), lines,
                        perLine: c.textContent.trim().length / lines };
             })
             .filter((c) => c.lines > 1 && c.perLine < 4)"""
    )
    assert not narrow, narrow
    assert not page.js_errors
    context.close()


def test_beijing_time_on_a_phone_set_to_another_zone(browser, live_server):
    # a phone left on another zone (bought abroad, or reset) still shows and stamps Beijing time
    context = browser.new_context(
        viewport={"width": 360, "height": 800},
        locale="zh-CN",
        timezone_id="America/New_York",
        base_url=live_server.url,
        geolocation={"latitude": 26.58, "longitude": 107.51, "accuracy": 15},
        permissions=["geolocation"],
    )
    page = context.new_page()
    login(page)
    start_inspection(page)
    page.fill("#in-poor_students_total", "12")
    saved = page.locator("#saved")
    expect(saved).to_have_text(re.compile(r"已保存 \d\d:\d\d"))
    beijing = dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)
    shown = saved.inner_text().split(" ")[1]
    candidates = {(beijing - dt.timedelta(minutes=k)).strftime("%H:%M") for k in (0, 1)}
    assert shown in candidates, (shown, candidates)
    # and the date proposed for the inspection is Beijing's date
    page.goto("/inspector/new")
    assert page.input_value("#date") == beijing.date().isoformat()
    context.close()
