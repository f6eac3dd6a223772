"""The inspector's phone form in a real browser against the real server: fill, photos, offline,
crash recovery, double taps, expired sessions, constraints and signatures."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from .conftest import login, new_context
from .helpers import (
    fill_all_sections,
    fill_to_signing,
    outbox,
    sign,
    start_inspection,
    wait_for_service_worker,
    wait_until,
)

pytestmark = pytest.mark.browser


def received(server) -> list[dict]:
    return server.query("SELECT id, total, grade, client_mismatch FROM inspections")


def server_photos(server, inspection_id: str) -> list[dict]:
    return server.query(
        "SELECT p.sha256, p.width, p.height, ip.item_id FROM inspection_photos ip "
        "JOIN photos p ON p.sha256 = ip.photo_sha256 WHERE ip.inspection_id = ?",
        [inspection_id],
    )


def add_photos(page, item_id: str, files: list[str]) -> None:
    card = page.locator(f"#item-{item_id}")
    card.locator("input[type=file]").set_input_files(files)
    card.locator(".thumb").nth(len(files) - 1).wait_for()


def test_complete_inspection_with_photos(page, live_server, shot, photo_files):
    login(page)
    shot(page, "home")
    inspection_id = start_inspection(page, shot=shot)
    shot(page, "form-opened")
    # three camera photos on the first item, one deleted again
    add_photos(page, "poor_students_total", photo_files[:3])
    shot(page, "photos-added")
    page.once("dialog", lambda d: d.accept())
    page.locator("#item-poor_students_total .thumb-del").last.click()
    wait_until(page, "document.querySelectorAll('#item-poor_students_total .thumb').length === 2")
    fill_to_signing(page, photos=photo_files, shot=shot)
    page.click("#submit")
    page.wait_for_selector("#lock-state[data-state=submitted]")
    shot(page, "submitted")

    rows = received(live_server)
    assert [r["id"] for r in rows] == [inspection_id]
    client_total = page.evaluate("document.getElementById('total').textContent")
    assert client_total == f"{rows[0]['total']} 分"
    assert rows[0]["client_mismatch"] in (None, "", "{}", "null")
    photos = server_photos(live_server, inspection_id)
    assert len(photos) == 2
    # downscaled on the phone: longest side 1600 px, EXIF orientation applied (portrait)
    sizes = sorted((p["width"], p["height"]) for p in photos)
    assert sizes == [(1200, 1600), (1600, 1200)]
    page.goto("/inspector/")
    page.wait_for_selector(f".recent-item[data-id='{inspection_id}']")
    assert page.locator("#outbox-count").inner_text() == "0"
    shot(page, "home-after")


def test_offline_halfway_reload_submit_then_sync(page, context, live_server, shot, photo_files):
    login(page)
    wait_for_service_worker(page)
    inspection_id = start_inspection(page)
    fill_all_sections(page, photos=photo_files, stop_after=2, by_hand=False)
    add_photos(
        page, page.locator(".section .item").first.get_attribute("data-item"), photo_files[:2]
    )
    shot(page, "before-offline")

    context.set_offline(True)
    page.reload()  # served by the service worker; the draft comes back from IndexedDB
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#net").inner_text() == "离线"
    assert page.locator(".section .thumb").count() == 2
    shot(page, "offline-reloaded")
    fill_all_sections(page, photos=photo_files, by_hand=False)
    page.click("#to-review")
    page.click("#to-sign")
    sign(page, "inspector")
    sign(page, "school")
    page.click("#submit")
    page.wait_for_selector("#lock-state[data-state=waiting]")
    shot(page, "offline-queued")
    page.goto("/inspector/")  # offline navigation, from the service worker cache
    page.wait_for_selector(f".outbox-item[data-id='{inspection_id}']")
    assert page.locator("#outbox-count").inner_text() == "1"
    shot(page, "offline-home")
    assert received(live_server) == []

    context.set_offline(False)  # the 'online' event flushes the outbox
    page.wait_for_selector("#outbox-count:text-is('0')", timeout=20000)
    page.wait_for_selector(f".recent-item[data-id='{inspection_id}']")
    shot(page, "synced")
    rows = received(live_server)
    assert [r["id"] for r in rows] == [inspection_id]
    payload_photos = live_server.query("SELECT payload FROM inspections")[0]["payload"]
    expected = {p["sha256"] for p in json.loads(payload_photos)["photos"]}
    assert len(expected) >= 2
    assert {p["sha256"] for p in server_photos(live_server, inspection_id)} == expected


def test_close_page_mid_upload_and_recover(browser, live_server, shot, photo_files):
    # Without a service worker here, so page.route sees every request the page makes.
    context = new_context(browser, live_server)
    context.close()
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", base_url=live_server.url,
        service_workers="block", geolocation={"latitude": 26.58, "longitude": 107.51, "accuracy": 20},
        permissions=["geolocation"],
    )  # fmt: skip
    page = context.new_page()
    login(page)
    inspection_id = start_inspection(page)
    add_photos(page, "poor_students_total", photo_files[:3])
    fill_to_signing(page, by_hand=False)

    uploads: list[str] = []

    def hang_after_first(route):
        if route.request.method == "PUT" and uploads:
            return  # never answered: the page is closed while this upload is in flight
        uploads.append(route.request.url.rsplit("/", 1)[1])
        route.continue_()

    page.route("**/api/photos/*", hang_after_first)
    page.click("#submit")
    # A selector, not wait_for_function: Playwright polls a JS predicate with eval, which the
    # pages' Content-Security-Policy (rightly) refuses.
    page.wait_for_selector("#lock-state[data-state=uploading]", state="attached")
    page.wait_for_timeout(800)
    shot(page, "mid-upload")
    page.close()
    assert received(live_server) == []

    again = context.new_page()
    resent: list[str] = []
    again.on(
        "request",
        lambda r: (
            resent.append(r.url.rsplit("/", 1)[1])
            if r.method == "PUT" and "/api/photos/" in r.url
            else None
        ),
    )
    again.goto("/inspector/")  # page load flushes the outbox
    again.wait_for_selector(f".recent-item[data-id='{inspection_id}']", timeout=20000)
    shot(again, "recovered")
    assert [r["id"] for r in received(live_server)] == [inspection_id]
    assert len(server_photos(live_server, inspection_id)) == 3
    assert uploads[0] not in resent, "a photo the server had confirmed was uploaded again"
    context.close()


def test_double_tap_submit_makes_one_inspection(page, live_server, shot):
    login(page)
    inspection_id = start_inspection(page)
    fill_to_signing(page, by_hand=False)
    page.evaluate("() => { const b = document.getElementById('submit'); b.click(); b.click(); }")
    page.wait_for_selector("#lock-state[data-state=submitted]")
    shot(page, "double-tap")
    assert [r["id"] for r in received(live_server)] == [inspection_id]
    assert outbox(page) == []


def test_expired_session_keeps_queue_until_login(page, context, live_server, shot):
    login(page)
    inspection_id = start_inspection(page)
    fill_to_signing(page, by_hand=False)
    context.clear_cookies()  # the login expired while the inspector was at the school
    page.click("#submit")
    page.wait_for_selector("#banner:not([hidden])")
    assert "登录已过期，请重新登录" in page.locator("#banner").inner_text()
    shot(page, "login-expired")
    assert [i["state"] for i in outbox(page)] == ["auth"]
    assert received(live_server) == []
    link = page.locator("#banner a")
    assert link.get_attribute("href") == "/login?next=/inspector/"
    link.click()
    page.fill("#username", "duxue1")
    page.fill("#password", "jiaoyu2026")
    page.click("button[type=submit]")
    page.wait_for_url("**/inspector/")
    page.wait_for_selector(f".recent-item[data-id='{inspection_id}']", timeout=20000)
    shot(page, "after-login")
    assert [r["id"] for r in received(live_server)] == [inspection_id]


def test_constraint_message_beside_the_field(page, live_server, shot):
    login(page)
    start_inspection(page)
    page.fill("#in-poor_students_total", "12")
    page.fill("#in-poor_students_aided", "14")
    message = page.locator("#item-poor_students_aided .field-msg")
    message.scroll_into_view_if_needed()
    assert message.inner_text() == "已享受资助人数不能超过在校建档立卡学生数"
    page.fill("#in-poor_students_aided", "-1")  # below min: the automatic range message
    assert message.inner_text() == "本学期已享受资助的建档立卡学生数应不小于 0人"
    page.fill("#in-poor_students_aided", "14")
    shot(page, "constraints")
    page.fill("#in-poor_students_total", "1.5")
    assert (
        page.locator("#item-poor_students_total .error:not([hidden])").first.inner_text()
        == "请输入整数"
    )
    page.fill("#in-poor_students_total", "12")
    page.fill("#in-poor_students_aided", "7")
    assert not message.is_visible()


def test_blank_signature_refused(page, live_server, shot):
    login(page)
    start_inspection(page)
    fill_all_sections(page, by_hand=False)
    page.click("#to-review")
    page.click("#to-sign")
    page.click("#sig-inspector-save")
    error = page.locator("#sig-inspector-error")
    assert error.inner_text() == "签名为空，请在框内签名"
    assert page.locator("#submit").is_disabled()
    shot(page, "blank-signature")


def test_draft_survives_closing_the_page(context, page, live_server, shot):
    login(page)
    inspection_id = start_inspection(page)
    page.locator("#item-dynamic_management .opt").first.click()
    page.fill("#in-poor_students_total", "8")
    page.locator("#item-poor_students_total .tool-note").click()
    page.fill("#item-poor_students_total .note-input", "名册与学籍系统一致")
    page.close()  # no save button, no timer: every change was already written
    again = context.new_page()
    again.goto(f"/inspector/form#{inspection_id}")
    again.wait_for_selector("body[data-ready='1']")
    assert again.input_value("#in-poor_students_total") == "8"
    assert (
        again.locator("#item-dynamic_management .opt").first.get_attribute("aria-pressed") == "true"
    )
    assert again.input_value("#item-poor_students_total .note-input") == "名册与学籍系统一致"
    again.goto("/inspector/")
    again.wait_for_selector(f"#drafts a[href$='{inspection_id}']")
    shot(again, "home-with-draft")


def test_outbox_backup_file(context, page, live_server, shot, photo_files, tmp_path):
    login(page)
    inspection_id = start_inspection(page)
    add_photos(page, "poor_students_total", photo_files[:2])
    fill_to_signing(page, by_hand=False)
    context.set_offline(True)
    page.click("#submit")
    page.wait_for_selector("#lock-state[data-state=waiting]")
    page.goto("/inspector/")
    item = page.locator(f".outbox-item[data-id='{inspection_id}']")
    with page.expect_download() as download:
        item.locator("button:text('导出备份')").click()
    path = tmp_path / "backup.json"
    download.value.save_as(path)
    shot(page, "backup-exported")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "inspect_app.outbox_backup" and data["format_version"] == 1
    body = data["inspection"]
    assert body["id"] == inspection_id and set(body["signatures"]) == {"inspector", "school"}
    assert {"school_id", "checklist_hash", "responses", "photos", "client_result"} <= set(body)
    assert len(data["photos"]) == 2
    for photo in data["photos"]:
        raw = base64.b64decode(photo["data_base64"])
        assert hashlib.sha256(raw).hexdigest() == photo["sha256"]
        assert raw[:3] == b"\xff\xd8\xff"
    assert {p["sha256"] for p in data["photos"]} == {p["sha256"] for p in body["photos"]}
    context.set_offline(False)


def test_narrow_phone_360(browser, live_server, shot):
    context = new_context(browser, live_server, width=360)
    page = context.new_page()
    login(page)
    start_inspection(page)
    shot(page, "form-360")
    overflow = page.evaluate("document.scrollingElement.scrollWidth")
    assert overflow <= 360
    for selector in [".opt", ".photo-btn", "#next", "#toc-toggle"]:
        box = page.locator(selector).first.bounding_box()
        assert box["height"] >= 44, selector
    heights = page.evaluate(
        "[...document.querySelectorAll('.opt')].map((b) => b.getBoundingClientRect().height)"
    )
    assert min(h for h in heights if h) >= 48
    page.goto("/inspector/")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    shot(page, "home-360")
    context.close()


def test_no_network_without_login_redirect_caching(page, live_server):
    """Pages are shells: no CSRF token and no user data baked in."""
    login(page)
    for path in ["/inspector/", "/inspector/new", "/inspector/form"]:
        html = page.request.get(path).text()
        assert "csrf" not in html.lower()
        assert "李志明" not in html


def test_location_refused_needs_a_reason(browser, live_server, shot):
    context = new_context(browser, live_server, geolocation=False)
    page = context.new_page()
    login(page)
    page.goto("/inspector/new")
    page.wait_for_selector("#geo-status[data-state=bad]")
    page.wait_for_selector("#school option[value]:not([value=''])", state="attached")
    page.select_option("#school", index=1)
    page.wait_for_selector("#checklist option[value]:not([value=''])", state="attached")
    page.click("#begin")
    assert page.locator("#geo-error").inner_text() == "未获取到位置，请填写原因"
    shot(page, "location-refused")
    page.fill("#geo-note", "山区无信号，定位失败")
    page.click("#begin")
    page.wait_for_url("**/inspector/form#*")
    context.close()


def test_prefill_from_previous_is_marked_until_confirmed(browser, live_server, shot):
    context = new_context(browser, live_server)
    context.close()
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", base_url=live_server.url,
        service_workers="block", geolocation={"latitude": 26.58, "longitude": 107.51, "accuracy": 20},
        permissions=["geolocation"],
    )  # fmt: skip
    page = context.new_page()
    previous = {"inspection_id": "x", "date": "2026-05-10", "answers": {"poor_students_total": 14}}
    page.route("**/api/schools/*/previous*", lambda route: route.fulfill(json=previous))
    login(page)
    start_inspection(page)
    page.click("#prefill-apply")
    card = page.locator("#item-poor_students_total")
    assert page.input_value("#in-poor_students_total") == "14"
    assert card.locator(".tag-prefill").is_visible()
    shot(page, "prefill-offered")
    fill_all_sections(page, by_hand=False)
    page.click("#to-review")
    missing = page.locator("#missing")
    assert "沿用上次的数据尚未确认" in missing.inner_text()
    assert page.locator("#to-sign").is_disabled()
    missing.locator("a", has_text="本校在校建档立卡学生数").click()
    card.locator(".confirm-prefill").click()
    assert not card.locator(".tag-prefill").is_visible()
    page.click("#toc-toggle")
    page.locator(".toc-item", has_text="复核").click()
    assert not page.locator("#missing").count()
    context.close()


def test_conflict_is_shown_and_kept(page, live_server, shot):
    login(page)
    inspection_id = start_inspection(page)
    fill_to_signing(page, by_hand=False)
    page.click("#submit")
    page.wait_for_selector("#lock-state[data-state=submitted]")
    # another phone already sent different content under this id: the server answers 409
    page.evaluate(
        """async (id) => {
            const store = await import('/static/js/inspector/store.js');
            const outbox = await import('/static/js/inspector/outbox.js');
            const rows = await store.all('submitted');
            const draft = { id, school: { name: rows[0].school_name }, date: rows[0].date, status: 'draft' };
            const payload = { id, changed: true, photos: [], type: '综合督导', date: rows[0].date };
            await outbox.enqueue(draft, payload);
            await outbox.flush();
        }""",
        inspection_id,
    )
    page.goto("/inspector/")
    item = page.locator(f".outbox-item[data-id='{inspection_id}']")
    assert item.get_attribute("data-state") == "conflict"
    assert "数据冲突" in item.inner_text()
    shot(page, "conflict")
    assert len(received(live_server)) == 1
