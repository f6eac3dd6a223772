"""A bureau clerk revises a checklist in Excel: a broken upload lists its errors by cell, the
fixed one shows the changes in words and the phone's own form page (form.js) in a phone-sized
frame, scored by engine.js (checked against the Python engine) and storing nothing as a draft,
and publishing makes it what phones are offered."""

from __future__ import annotations

import copy
import io
import re
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from inspect_app.checklist import score
from inspect_app.checklist import workbook as wb
from inspect_app.storage import schools

from .conftest import login, new_context

pytestmark = pytest.mark.browser
SOURCE = Path(__file__).resolve().parents[2] / "checklists" / "boarding_special.yaml"


def revised() -> dict:
    doc = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    doc["version"] = "2027.1"
    first = doc["sections"][0]
    first["items"].insert(
        0,
        {"id": "dorm_rules_posted", "type": "yesno", "label": "宿舍张贴作息和安全制度", "points": 2,
         "fix": {"action": "在每间宿舍张贴作息和安全制度", "owner": "宿管员", "days": 7}},
    )  # fmt: skip
    return doc


def test_upload_errors_preview_and_publish(browser, live_server, tmp_path, shot, photo_files):
    doc = revised()
    good = tmp_path / "寄宿制2027.xlsx"
    good.write_bytes(wb.to_workbook(doc))
    book = load_workbook(io.BytesIO(good.read_bytes()))
    ws = book["检查项"]
    headers = {c.value: c.column for c in ws[1]}
    ws.cell(row=3, column=headers["分值"]).value = "两分"
    ws.cell(row=3, column=headers["一票否决"]).value = "也许"
    bad = tmp_path / "寄宿制2027-有误.xlsx"
    book.save(bad)

    context = new_context(browser, live_server, width=1280)
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        login(page, "jyj", next_path="/library/")
        shot(page, "index", full_page=True)
        page.set_input_files("#file", str(bad))
        page.click("#upload-submit")
        page.wait_for_selector("#upload-errors")
        listed = page.locator("#upload-errors li").all_inner_texts()
        assert "工作表“检查项”第 3 行“分值”列：“分值”应为数字" in listed
        assert "工作表“检查项”第 3 行“一票否决”列：应填“是”或“否”，这里是“也许”" in listed
        assert page.locator("#publish-button").count() == 0
        shot(page, "errors")

        page.goto("/library/")
        page.set_input_files("#file", str(good))
        page.click("#upload-submit")
        page.wait_for_selector("#diff")
        diff = page.locator("#diff").inner_text()
        assert "新增 1 个条目" in diff and "「宿舍张贴作息和安全制度」" in diff
        assert "版本由「2026" in diff

        # preview at a boarding school from the registry, as a phone shows it
        db = live_server.db()
        try:
            row = next(db.query("SELECT id FROM schools WHERE boarding = 1 ORDER BY id LIMIT 1"))
            day_school = next(
                db.query("SELECT id FROM schools WHERE boarding = 0 ORDER BY id LIMIT 1")
            )
            school = schools.as_scoring_school(schools.get(db, row["id"]))
        finally:
            db.close()
        # a school the checklist does not apply to (not boarding) is told so
        phone = page.frame_locator("#preview-frame")
        page.select_option("#preview-school", str(day_school["id"]))
        phone.locator("#preview-none").wait_for()
        page.select_option("#preview-school", str(row["id"]))
        card = phone.locator('.item[data-item="dorm_rules_posted"]')
        card.wait_for()
        frame = page.locator("#preview-frame").bounding_box()
        assert frame is not None and frame["width"] <= 420 and frame["height"] >= 700
        # the phone's own form code: its 目录, its photo and note tools, its banner
        assert phone.locator("#preview-banner").inner_text() == "预览，不会保存"
        assert phone.locator("#toc-toggle").inner_text().startswith("目录")
        assert card.locator(".tool-photo").count() == 1 and card.locator(".tool-note").count() == 1
        assert phone.locator("#total").inner_text() == "—"
        card.locator('.opt[data-value="true"]').click()
        assert card.get_attribute("data-outcome") == "pass"
        first_item = doc["sections"][0]["items"][1]["id"]
        other = phone.locator(f'.item[data-item="{first_item}"]')
        if other.locator('.opt[data-value="false"]').count():
            other.locator('.opt[data-value="false"]').click()
            answers = {"dorm_rules_posted": True, first_item: False}
        else:
            answers = {"dorm_rules_posted": True}
        # the same numbers as the Python engine for the same answers
        checklist, problems = wb.check_workbook(good.read_bytes())
        assert not problems and checklist is not None
        expected = score(checklist, school, {"answers": answers, "na": [], "photos": {}})
        p = expected["progress"]
        shown = phone.locator("#total").inner_text()
        assert shown == f"已得 {p['earned']:g}/{p['assessed']:g} 分", (shown, p)
        # a note and a photo as on the phone (stamped and kept in the preview's namespace)
        card.locator(".tool-note").click()
        card.locator(".note-input").fill("制度已张贴在门后")
        card.locator("input[type=file]").set_input_files(photo_files[:1])
        card.locator(".thumb img").wait_for()
        assert card.locator(".tool-photo").inner_text() == "照片 1"
        phone.locator("#toc-toggle").click()
        assert phone.locator("#toc-list .toc-item").count() >= 3
        shot(page, "preview", full_page=True)
        page.locator("#preview-frame").screenshot(path=str(tmp_path / "frame.png"))
        Path("/tmp/shots").mkdir(exist_ok=True)
        (Path("/tmp/shots") / "checklist-library-phone-frame.png").write_bytes(
            (tmp_path / "frame.png").read_bytes()
        )
        phone.locator("#toc-close").click()
        # nothing of it is a draft: the phone's own database holds none, no service worker,
        # and what the preview keeps is in its own namespace
        stored = page.frame(url=re.compile(r"/phone\?")).evaluate(STORED)
        assert stored["real_drafts"] == 0 and stored["real_photos"] == 0, stored
        assert stored["workers"] == 0, stored
        assert stored["preview_drafts"] == [True] and stored["preview_photos"] == 1, stored
        # 提交 is refused in the preview, with a reason
        phone.locator("#toc-toggle").click()
        phone.locator("#toc-list .toc-item", has_text="签名与提交").click()
        # the form's own check (signing.js, loaded when the page is first shown): items still open
        phone.locator("#missing").wait_for()
        assert phone.locator("#missing").count() == 1

        page.click("#publish-button")
        page.wait_for_selector("#versions")
        assert "已发布第 2 版（版本号 2027.1" in page.locator(".flash").first.inner_text()
        current = page.locator("#versions tr.current").inner_text()
        assert "第 2 版" in current and "2027.1" in current and checklist.hash[:12] in current
        shot(page, "published")
        db = live_server.db()
        try:
            stored = next(db.query(
                "SELECT current_hash FROM checklist_library WHERE checklist_id = 'boarding_special'"
            ))  # fmt: skip
        finally:
            db.close()
        assert stored["current_hash"] == checklist.hash
        assert not errors, errors
    finally:
        context.close()


# What the browser keeps after a preview: drafts in the phone's real database (opened only if
# it exists, so looking does not create it), in the preview's own one, and service workers.
STORED = """async () => {
  const names = (await indexedDB.databases()).map((d) => d.name);
  const rows = (name, store) => new Promise((resolve, reject) => {
    if (!names.includes(name)) { resolve([]); return; }
    const req = indexedDB.open(name);
    req.onsuccess = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(store)) { db.close(); resolve([]); return; }
      const all = db.transaction(store).objectStore(store).getAll();
      all.onsuccess = () => { db.close(); resolve(all.result); };
      all.onerror = () => reject(all.error);
    };
    req.onerror = () => reject(req.error);
  });
  return { names, real_drafts: (await rows('inspect', 'drafts')).length,
           real_photos: (await rows('inspect', 'photos')).length,
           preview_drafts: (await rows('inspect-preview', 'drafts')).map((d) => d.preview === true),
           preview_photos: (await rows('inspect-preview', 'photos')).length,
           workers: (await navigator.serviceWorker.getRegistrations()).length };
}"""


def test_guide_page_lists_every_column(browser, live_server, shot):
    context = new_context(browser, live_server, width=1280)
    page = context.new_page()
    try:
        login(page, "jyj", next_path="/library/guide")
        shot(page, "guide", full_page=True)
        text = page.locator("main").inner_text()
        for column in wb.item_columns():
            assert column.header in text
        assert re.search(r"是否题\s", text)
    finally:
        context.close()


DRAFT = """async () => {
  const store = await import('/static/js/inspector/store.js');
  const api = await import('/static/js/inspector/api.js');
  const draft = await store.get('drafts', decodeURIComponent(location.hash.slice(1)));
  const compiled = await api.checklist(draft.checklist_hash);
  return { hash: draft.checklist_hash, version: compiled.version,
           items: compiled.sections.flatMap((s) => s.items.map((i) => i.id)) };
}"""


def test_a_publication_reaches_the_next_phone_while_a_started_draft_keeps_its_version(
    browser, live_server
):
    from inspect_app.inspections.library import check_upload
    from inspect_app.storage import library, users

    from .helpers import start_inspection

    phones = []
    try:
        first = new_context(browser, live_server)
        phones.append(first)
        page_a = first.new_page()
        page_a.set_default_timeout(15000)
        login(page_a, "duxue1")
        start_inspection(page_a)
        before = page_a.evaluate(DRAFT)

        # the bureau publishes a new version of that checklist meanwhile
        doc = yaml.safe_load(
            (SOURCE.parent / "fupin_comprehensive.yaml").read_text(encoding="utf-8")
        )
        doc["version"] = "2027.1"
        doc["sections"][0]["items"].append(
            {"id": "aid_board", "type": "yesno", "label": "校内公示栏公示资助名单", "points": 2,
             "fix": {"action": "公示资助名单", "owner": "校长", "days": 7}}
        )  # fmt: skip
        checked = check_upload("new.xlsx", wb.to_workbook(doc))
        assert not checked.errors and checked.checklist is not None
        db = live_server.db()
        try:
            clerk = users.by_username(db, "jyj")
            upload_id = library.save_upload(
                db, file_name="new.xlsx", fmt="xlsx", original=b"", yaml_text=checked.yaml_text,
                compiled=checked.checklist.compiled, errors=[], checklist_id=doc["id"], user=clerk,
            )  # fmt: skip
            library.publish(db, upload_id, clerk)
        finally:
            db.close()

        # another phone starting now gets the new version at its sync
        second = new_context(browser, live_server)
        phones.append(second)
        page_b = second.new_page()
        page_b.set_default_timeout(15000)
        login(page_b, "duxue2")
        start_inspection(page_b)
        after = page_b.evaluate(DRAFT)
        assert after["hash"] == checked.checklist.hash and after["version"] == "2027.1"
        assert "aid_board" in after["items"]

        # the draft started before keeps its own version, reopened or not
        page_a.reload()
        page_a.wait_for_selector("body[data-ready='1']")
        kept = page_a.evaluate(DRAFT)
        assert kept["hash"] == before["hash"] != after["hash"]
        assert "aid_board" not in kept["items"] and kept["version"] == before["version"]
    finally:
        for context in phones:
            context.close()


def test_preview_of_a_stored_version_draws_a_sample_and_keeps_the_scroll(
    browser, live_server, shot
):
    db = live_server.db()
    try:
        version = next(db.query(
            "SELECT current_hash FROM checklist_library WHERE checklist_id = 'fupin_comprehensive'"
        ))["current_hash"]  # fmt: skip
    finally:
        db.close()
    context = new_context(browser, live_server, width=1280)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        login(page, "admin", next_path=f"/library/versions/{version}/preview")
        phone = page.frame_locator("#preview-frame")
        # the sample is shown once the school has 建档立卡 pupils (relevant)
        count = phone.locator("#in-poor_students_total")
        count.fill("20")
        count.press("Tab")
        card = phone.locator('.item[data-item="file_sample"]')
        card.wait_for()
        # the phone's own 抽样 control: a list of 学籍号, draw, mark every drawn file 合格
        card.locator("textarea").first.fill("\n".join(f"G2015{k:04d}" for k in range(20)))
        card.locator(".sample-draw").click()
        rows = card.locator(".sample-row")
        rows.first.wait_for()
        assert rows.count() == 5  # ⌈√20⌉ = 5, as the engine draws
        # the drawn files are marked one after another without the screen moving under the
        # thumb (measured inside the phone's frame: the library page around it may scroll)
        top = "el => el.getBoundingClientRect().top"
        for k in range(rows.count()):
            button = rows.nth(k).locator(".opt[data-value=ok]")
            # clear of the fixed score and bottom bars, so the tap needs no scrolling of its own
            button.evaluate("el => el.scrollIntoView({ block: 'center' })")
            before = button.evaluate(top)
            button.click()
            after = rows.nth(k).locator(".opt[data-value=ok]").evaluate(top)
            assert abs(after - before) < 2, (k, before, after)
        assert card.get_attribute("data-outcome") == "pass"
        card.scroll_into_view_if_needed()
        page.locator("#preview-frame").screenshot(
            path="/tmp/shots/checklist-library-sample-preview.png"
        )
        assert not errors, errors
    finally:
        context.close()


def test_survey_preview_on_a_phone_keeps_and_sends_nothing(browser, live_server, shot):
    """A clerk on a phone previews a survey version: the respondents' own answer page in the
    frame, its checks working, and nothing kept in the browser or sent to the server."""
    version = live_server.query(
        "SELECT current_hash FROM survey_library WHERE survey_id = 'parent_satisfaction'"
    )[0]["current_hash"]
    context = new_context(browser, live_server)  # the phone viewport
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    posts: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    try:
        login(page, "jyj", next_path=f"/library/versions/{version}/preview")
        posts.clear()  # the login itself
        assert page.locator("h1").inner_text() == "教育精准扶贫政策家长满意度测评 · 第 1 版"
        frame_box = page.locator("#preview-frame").bounding_box()
        assert frame_box is not None and frame_box["width"] <= page.viewport_size["width"]
        phone = page.frame_locator("#preview-frame")
        assert "预览，不会保存" in phone.locator("#preview-banner").inner_text()
        phone.locator("#survey").wait_for()
        # the page's own checks run: an empty answer sheet is not taken
        phone.locator("#send").click()
        assert phone.locator("#status").inner_text() == "您还没有回答任何问题。"
        for fieldset in phone.locator("fieldset[data-type=choice]:visible").all():
            fieldset.locator("label.opt").first.click()
        phone.locator("#send").click()
        status = phone.locator("#status")
        assert "这是预览，答卷不会提交" in status.inner_text()
        kept = page.frame(url=re.compile(r"/phone\?")).evaluate(
            "() => Object.keys(localStorage).filter((k) => k.startsWith('survey'))"
        )
        assert kept == [] and posts == [] and not errors, (kept, posts, errors)
        shot(page, "survey-preview", full_page=True)
    finally:
        context.close()
