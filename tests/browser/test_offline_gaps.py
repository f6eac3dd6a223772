"""The six offline gaps of issue 14, each as an inspector would meet it on a phone: starting
offline, re-sending photos on a slow uplink, a second account on the phone, two tabs on one
draft, a stale tab's re-send, and the school's signer typed before a reload."""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import time

import pytest
from PIL import Image

from .conftest import login
from .helpers import (
    CHECKLIST,
    SCHOOL,
    fill_all_sections,
    fill_to_signing,
    outbox,
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
    fill_all_sections(page, by_hand=False)
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


def received(server) -> list[dict]:
    return server.query("SELECT id, inspector_id FROM inspections")


def add_photo(page, item_id: str, path: str) -> None:
    card = page.locator(f"#item-{item_id}")
    before = card.locator(".thumb").count()
    card.locator("input[type=file]").set_input_files([path])
    card.locator(".thumb").nth(before).wait_for()


def test_same_photo_on_two_items_over_a_slow_uplink(page, context, live_server, shot, photo_files):
    login(page)
    inspection_id = start_inspection(page)
    add_photo(page, "poor_students_total", photo_files[0])
    add_photo(page, "dynamic_management", photo_files[0])  # the same picture, so the same hash
    fill_to_signing(page, by_hand=False)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 150,
            "downloadThroughput": 400_000,
            "uploadThroughput": 100_000,
        },
    )
    bodies: list[str] = []
    failures: list[str] = []
    page.on(
        "request",
        lambda r: bodies.append(r.url) if r.method == "PUT" and "/api/photos/" in r.url else None,
    )
    page.on("requestfailed", lambda r: failures.append(f"{r.url} {r.failure}"))
    page.click("#submit")
    page.wait_for_selector("#lock-state[data-state=submitted]", timeout=60000)
    shot(page, "slow-uplink-submitted")
    assert [r["id"] for r in received(live_server)] == [inspection_id]
    assert len(bodies) == 1, "the picture's bytes went up more than once"
    assert failures == []
    assert outbox(page) == []


def test_server_reads_a_photo_body_it_already_has(page, live_server, photo_files):
    """A client that sends bytes anyway gets its answer, not a reset, however slowly it sends."""
    login(page)
    buf = io.BytesIO()
    Image.open(photo_files[0]).resize((800, 600)).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    token = page.request.get("/api/session").json()["csrf_token"]
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
    headers = {"Cookie": cookie, "X-CSRFToken": token, "Content-Type": "image/jpeg"}

    def slow_put() -> int:
        conn = http.client.HTTPConnection("127.0.0.1", live_server.httpd.server_port, timeout=20)
        conn.putrequest("PUT", f"/api/photos/{digest}")
        for key, value in {**headers, "Content-Length": str(len(data))}.items():
            conn.putheader(key, value)
        conn.endheaders()
        # a phone on 100 kB/s: the server has long answered before the last byte is sent
        for start in range(0, len(data), 8 * 1024):
            time.sleep(0.08)
            conn.send(data[start : start + 8 * 1024])
        status = conn.getresponse().status
        conn.close()
        return status

    assert slow_put() == 201
    assert slow_put() == 200  # already stored: answered only after the whole body was read


def user_id(server, username: str) -> int:
    return server.query("SELECT id FROM users WHERE username = ?", [username])[0]["id"]


def test_queued_inspection_is_not_sent_by_another_account(page, context, live_server, shot):
    login(page)  # duxue1
    inspection_id = start_inspection(page)
    fill_to_signing(page, by_hand=False)
    context.set_offline(True)
    page.click("#submit")
    page.wait_for_selector("#lock-state[data-state=waiting]")
    context.clear_cookies()  # duxue1's login expires while the phone has no signal
    context.set_offline(False)
    page.wait_for_selector("#lock-state[data-state=auth]")

    login(page, "duxue2")  # a colleague logs in on the same phone; 工作台 flushes the outbox
    item = page.locator(f".outbox-item[data-id='{inspection_id}']")
    page.wait_for_selector(f".outbox-item[data-id='{inspection_id}'][data-state=other_user]")
    text = item.inner_text()
    assert "duxue1" in text and "导出备份" in text
    assert "其他督学" in page.locator("#banner").inner_text()
    shot(page, "other-account")
    assert received(live_server) == []
    page.click("#flush")  # an explicit 立即上传 does not send it either
    page.wait_for_timeout(1500)
    assert received(live_server) == []

    context.clear_cookies()
    login(page, "duxue1")
    page.wait_for_selector(f".recent-item[data-id='{inspection_id}']", timeout=20000)
    assert received(live_server) == [
        {"id": inspection_id, "inspector_id": user_id(live_server, "duxue1")}
    ]


def draft_answers(page, inspection_id: str) -> dict:
    return page.evaluate(
        """async (id) => {
            const store = await import('/static/js/inspector/store.js');
            return (await store.get('drafts', id)).answers;
        }""",
        inspection_id,
    )


def test_two_tabs_on_one_draft_lose_no_answer(context, page, live_server, shot):
    login(page)
    inspection_id = start_inspection(page)
    page.fill("#in-poor_students_total", "8")
    second = context.new_page()
    second.goto(f"/inspector/form#{inspection_id}")
    second.wait_for_selector("#elsewhere")  # told, and nothing to edit in this tab
    assert second.locator("#in-poor_students_total").count() == 0
    shot(second, "second-tab-told")
    second.click("#edit-here")
    second.wait_for_selector("#in-poor_students_total")
    assert second.input_value("#in-poor_students_total") == "8"
    page.wait_for_selector("#elsewhere")  # the first tab stopped editing
    shot(page, "first-tab-stopped")
    second.locator("#item-dynamic_management .opt").first.click()
    page.click("#edit-here")  # and back: the first tab sees the second tab's answer
    page.wait_for_selector("#in-poor_students_total")
    assert (
        page.locator("#item-dynamic_management .opt").first.get_attribute("aria-pressed") == "true"
    )
    page.fill("#in-poor_students_aided", "5")
    page.wait_for_timeout(300)
    answers = draft_answers(page, inspection_id)
    assert answers["poor_students_total"] == 8 and answers["poor_students_aided"] == 5
    assert "dynamic_management" in answers


REQUEUE = """async ([id, payload]) => {
    const store = await import('/static/js/inspector/store.js');
    const outbox = await import('/static/js/inspector/outbox.js');
    const [sent] = await store.all('submitted');
    const draft = { id, school: { name: sent.school_name }, date: sent.date, status: 'draft' };
    await outbox.enqueue(draft, payload);
    await outbox.flush();
}"""


def submitted_payload(page, live_server) -> tuple[str, dict]:
    login(page)
    inspection_id = start_inspection(page)
    fill_to_signing(page, by_hand=False)
    page.click("#submit")
    page.wait_for_selector("#lock-state[data-state=submitted]")
    row = live_server.query("SELECT payload FROM inspections WHERE id = ?", [inspection_id])[0]
    return inspection_id, json.loads(row["payload"])


def test_stale_tab_resending_the_same_inspection_is_already_received(page, live_server, shot):
    inspection_id, payload = submitted_payload(page, live_server)
    # a tab left open on the sign page queues it again: same content, the phone's clock later
    page.evaluate(REQUEUE, [inspection_id, {**payload, "phone_time": "2099-01-01T00:00:00Z"}])
    page.goto("/inspector/")
    page.wait_for_selector(f".recent-item[data-id='{inspection_id}']")
    assert page.locator("#outbox-count").inner_text() == "0"
    assert outbox(page) == []
    shot(page, "stale-resend-received")
    assert [r["id"] for r in received(live_server)] == [inspection_id]


def test_real_conflict_can_be_resolved_on_the_phone(page, live_server, shot):
    inspection_id, payload = submitted_payload(page, live_server)
    changed = {**payload, "location_note": "另一台手机上改过"}
    page.evaluate(REQUEUE, [inspection_id, changed])
    page.goto("/inspector/")
    item = page.locator(f".outbox-item[data-id='{inspection_id}'][data-state=conflict]")
    item.wait_for()
    assert "导出备份" in item.inner_text()
    shot(page, "conflict-offered")
    page.once("dialog", lambda d: d.accept())
    item.locator("button", has_text="以服务器为准").click()
    page.wait_for_selector("#outbox-count:text-is('0')")
    assert outbox(page) == []
    shot(page, "conflict-resolved")
    assert len(received(live_server)) == 1


def test_card_says_all_photos_are_up_while_the_inspection_is_sent(
    browser, live_server, shot, photo_files
):
    # No service worker here, so page.route sees the inspection's PUT and can hold it.
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", base_url=live_server.url,
        service_workers="block", geolocation={"latitude": 26.58, "longitude": 107.51, "accuracy": 20},
        permissions=["geolocation"],
    )  # fmt: skip
    page = context.new_page()
    login(page)
    start_inspection(page)
    add_photo(page, "poor_students_total", photo_files[0])
    add_photo(page, "poor_students_total", photo_files[1])
    fill_to_signing(page, by_hand=False)
    page.route("**/api/inspections/*", lambda route: None)  # the answer never comes
    page.click("#submit")
    state = page.locator("#lock-state")
    page.wait_for_selector("#lock-state:has-text('照片已全部上传')")
    assert "照片已全部上传（2 张）" in state.inner_text()
    assert "一部分" not in state.inner_text()
    shot(page, "all-photos-up")
    context.close()


def test_offline_submit_says_it_uploads_later(page, context, live_server, shot):
    login(page)
    start_inspection(page)
    fill_to_signing(page, by_hand=False)
    context.set_offline(True)
    page.click("#submit")
    page.wait_for_selector("#lock-state[data-state=waiting]")
    assert page.locator("#toast").inner_text() == "已保存，联网后自动上传"
    shot(page, "offline-toast")
    context.set_offline(False)
    assert page.request.get("/favicon.ico").headers["content-type"] == "image/png"
