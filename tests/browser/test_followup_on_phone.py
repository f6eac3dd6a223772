"""回头看 on the phone, offline: 工作台 was opened online once; at the school there is no signal;
the inspector checks one item as fixed (photo and note) and one as not fixed (reason), both
sides sign, and once the signal is back the outbox sends the visit and the items' timelines
show it."""

from __future__ import annotations

import datetime as dt

import pytest

from inspect_app.checklist import score
from inspect_app.inspections import catalog, receiving
from inspect_app.inspections.images import clean_photo
from inspect_app.storage import media, schools, users
from inspect_app.storage.db import write

from .. import factories
from ..support import term_payload
from .conftest import login
from .helpers import SCHOOL, sign, wait_for_service_worker, wait_until

pytestmark = pytest.mark.browser


def open_items_at(server, school: str, username: str = "duxue1") -> list[dict]:
    """A failing inspection of ``school`` received as ``username`` (the items' reviewer)."""
    db = server.db()
    try:
        school_id = next(db.query("SELECT id FROM schools WHERE name = ?", [school]))["id"]
        inspector = next(db.query("SELECT id FROM users WHERE username = ?", [username]))
        with server.app.app_context():
            compiled = catalog.current()["fupin_comprehensive"].compiled
        # every 12th item failing: a handful of items, as a real visit leaves
        body = term_payload(compiled, school_id, dt.date.today().isoformat(), fail_every=12)
        # the first finding photographed, so the phone has a 整改前 to show
        with server.app.app_context():
            checklist = catalog.current()["fupin_comprehensive"]
        school = schools.as_scoring_school(schools.get(db, school_id))
        first = score(checklist, school, body["responses"])["rectifications"][0]["item"]
        photo = factories.jpeg_bytes(7)
        sha = factories.sha256(photo)
        media.store(db, server.app.config["MEDIA_DIR"], sha, clean_photo(photo), inspector["id"])
        body["photos"] = [{"sha256": sha, "item": first, "caption": "检查时"}]
        receiving.receive(db, body, body["id"], users.get(db, inspector["id"]))
        return list(
            db.query(
                "SELECT id, problem, status FROM rectifications WHERE school_id = ? "
                "ORDER BY deadline, number",
                [school_id],
            )
        )
    finally:
        db.close()


def test_followup_offline_then_sent_and_on_the_timelines(
    page, context, live_server, shot, photo_files
):
    items = open_items_at(live_server, SCHOOL)
    assert 2 <= len(items) <= 8, len(items)
    login(page)
    wait_for_service_worker(page)
    # 工作台 online: the school is listed and its open items are kept on the phone.
    page.wait_for_selector("#followup-card[data-ready='1']")
    card = page.locator(f".followup-school:has-text('{SCHOOL}')")
    assert "已保存到本机" in card.inner_text()
    shot(page, "home-online")

    context.set_offline(True)
    # The items were kept five days ago: the phone says what that means.
    page.evaluate(
        """async (school) => {
            const store = await import('/static/js/inspector/store.js');
            const uid = (await store.getMeta('bootstrap')).user.id;
            const pack = await store.getMeta(`followup-pack:${uid}:${school}`);
            pack.kept_at = new Date(Date.now() - 5 * 864e5).toISOString();
            await store.putMeta(`followup-pack:${uid}:${school}`, pack);
        }""",
        card.get_attribute("data-school"),
    )
    card.locator("a").click()
    page.wait_for_selector("body[data-ready='1']")
    assert "5 天前保存到本机" in page.locator("#fu-stale").inner_text()
    assert page.locator("#net").inner_text() == "离线"
    cards = page.locator(".fu-item")
    assert cards.count() == len(items)
    first, second = (page.locator(f"#fu-{items[k]['id']}") for k in (0, 1))
    assert items[0]["problem"] in first.inner_text()
    # 整改前: the finding's photo, kept on the phone while online, shows with no signal.
    before = page.locator(".fu-pictures img")
    before.first.wait_for()
    assert before.count() == 1
    assert before.first.evaluate("(img) => img.complete && img.naturalWidth > 0")
    # 已整改 without a photo, 未整改 without a reason: refused on the phone, said in Chinese.
    first.locator(".opt-fixed").click()
    first.locator("textarea").fill("现场查看：图书已补齐，登记上架")
    second.locator(".opt-not_fixed").click()
    page.click("#fu-submit")
    errors = page.locator("#fu-errors")
    errors.wait_for()
    assert "至少拍摄一张现场照片" in errors.inner_text()
    assert "请填写未整改原因" in second.locator(".error:not([hidden])").inner_text()
    errors.scroll_into_view_if_needed()
    shot(page, "refused")

    first.locator("input[type=file]").set_input_files(photo_files[:1])
    first.locator(".thumb").first.wait_for()
    second.locator("textarea").fill("改造资金尚未到位，学校称下月动工")
    sign(page, "inspector")
    sign(page, "school")
    first.scroll_into_view_if_needed()
    shot(page, "fixed-with-photo")
    page.click("#fu-submit")
    page.wait_for_selector("#fu-state")
    assert page.locator("#fu-state").get_attribute("data-state") != "submitted"
    shot(page, "queued-offline")
    assert live_server.query("SELECT count(*) AS n FROM followup_visits")[0]["n"] == 0

    # The signal returns: the outbox sends the photo, then the visit.
    context.set_offline(False)
    page.wait_for_selector("#fu-state[data-state='submitted']", timeout=30000)
    shot(page, "sent")
    [visit] = live_server.query("SELECT * FROM followup_visits")
    assert (visit["fixed"], visit["not_fixed"], visit["school_rep_name"]) == (1, 1, "孙德明")
    status = {
        r["id"]: r["status"]
        for r in live_server.query("SELECT id, status FROM rectifications WHERE id IN (?, ?)",
                                   [items[0]["id"], items[1]["id"]])
    }  # fmt: skip
    assert status == {items[0]["id"]: "closed", items[1]["id"]: "pending"}
    [photo] = live_server.query("SELECT * FROM followup_photos")
    assert photo["rectification_id"] == items[0]["id"]

    # The items' timelines: the reviewer's page of each shows the on-site result.
    page.goto(f"/review/rectifications/{items[0]['id']}")
    check = page.locator("#followup-check")
    check.scroll_into_view_if_needed()
    assert "已整改（现场核实）" in check.inner_text()
    shot(page, "review-site-check")
    entry = page.locator("ol.timeline li.kind-followup")
    assert "回头看核实" in entry.inner_text() and "图书已补齐" in entry.inner_text()
    entry.locator("img").first.wait_for()
    assert page.evaluate("document.querySelector('li.kind-followup img').naturalWidth") > 0
    entry.scroll_into_view_if_needed()
    shot(page, "timeline-fixed")
    page.goto(f"/review/rectifications/{items[1]['id']}")
    assert "未整改" in page.locator("ol.timeline li.kind-followup").inner_text()
    assert "资金尚未到位" in page.locator("ol.timeline li.kind-followup").inner_text()
    page.goto(f"/review/followups/{visit['id']}")
    assert "已整改 1 个" in page.locator("[data-summary]").inner_text()
    shot(page, "record", full_page=True)


KEPT_KEYS = """async () => {
    const store = await import('/static/js/inspector/store.js');
    const db = await store.open();
    return await new Promise((resolve) => {
        const req = db.transaction('meta').objectStore('meta')
            .getAllKeys(IDBKeyRange.bound('followup', 'followup\\uffff'));
        req.onsuccess = () => resolve(req.result);
    });
}"""


def test_another_account_on_the_phone_never_sees_the_kept_followups(
    page, context, live_server, shot
):
    """duxue1 keeps a school's items and photos on the phone and logs out; duxue2 logs in on
    the same phone and goes offline: neither the school nor its items are shown, and the
    copies are gone from the phone."""
    open_items_at(live_server, SCHOOL)
    school_id = live_server.query("SELECT id FROM schools WHERE name = ?", [SCHOOL])[0]["id"]
    duxue1 = live_server.query("SELECT id FROM users WHERE username = 'duxue1'")[0]["id"]
    # duxue2 shares duxue1's township team in the demo plan: out of it for this school, so
    # nothing of the school is theirs to see.
    db = live_server.db()
    try:
        with write(db):
            db.execute(
                "DELETE FROM assignments WHERE school_id = ? AND inspector_id = "
                "(SELECT id FROM users WHERE username = 'duxue2')",
                [school_id],
            )
    finally:
        db.close()
    login(page)
    wait_for_service_worker(page)
    page.wait_for_selector("#followup-card[data-ready='1']")
    assert page.locator(f".followup-school:has-text('{SCHOOL}')").count() == 1
    kept = page.evaluate(KEPT_KEYS)
    assert f"followup-pack:{duxue1}:{school_id}" in kept
    assert any(k.startswith(f"followup-file:{duxue1}:") for k in kept), kept

    page.goto("/account/")
    page.evaluate("document.querySelector('form[action=\"/logout\"]').submit()")
    page.wait_for_url("**/login*")
    login(page, "duxue2")
    page.wait_for_selector("#followup-schools li:not(:has-text('正在读取'))")
    wait_until(page, "document.querySelector('#hello').textContent.includes('王秀兰')")
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#followup-schools li:not(:has-text('正在读取'))")
    assert page.locator("#net").inner_text() == "离线"
    card = page.locator("#followup-card")
    assert SCHOOL not in card.inner_text()
    assert page.locator(".followup-school").count() == 0
    assert [k for k in page.evaluate(KEPT_KEYS) if f":{duxue1}" in k or k == "followups"] == []
    shot(page, "second-account-offline")
    # Opening the school's 回头看 directly, offline: its items are not on the phone for duxue2.
    page.goto(f"/inspector/followup?school={school_id}")
    page.wait_for_selector("body[data-ready='1']")
    assert "尚未保存到本机" in page.locator("#fu-error").inner_text()
    assert SCHOOL not in page.locator("body").inner_text()

    # duxue1 again, online: the copies are kept anew. Then duxue2 signs in and the signal
    # drops before 工作台 could ask who is logged in: the phone's last bootstrap is duxue1's,
    # but the login page noted another account, so nothing of duxue1's is shown.
    context.set_offline(False)
    page.goto("/account/")
    page.evaluate("document.querySelector('form[action=\"/logout\"]').submit()")
    page.wait_for_url("**/login*")
    login(page)
    page.wait_for_selector("#followup-card[data-ready='1']")
    assert f"followup-pack:{duxue1}:{school_id}" in page.evaluate(KEPT_KEYS)
    page.goto("/account/")
    page.evaluate("document.querySelector('form[action=\"/logout\"]').submit()")
    page.wait_for_url("**/login*")
    login(page, "duxue2", next_path="/account/")
    context.set_offline(True)
    page.goto("/inspector/")
    page.wait_for_selector("#followup-schools li:not(:has-text('正在读取'))")
    assert page.locator(".followup-school").count() == 0
    assert SCHOOL not in page.locator("#followup-card").inner_text()
    assert "请在有网络时登录" in page.locator("#followup-schools").inner_text()
    page.goto(f"/inspector/followup?school={school_id}")
    page.wait_for_selector("body[data-ready='1']")
    assert "只对保存它们的账号显示" in page.locator("#fu-error").inner_text()
    shot(page, "second-account-before-bootstrap")
