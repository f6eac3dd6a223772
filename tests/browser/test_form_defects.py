"""The phone form's review defects: a signature drawn after the phone turned, a photo taken just
before 锁定并提交, a mistyped future date and the server's reasons for refusing, a name corrected
after signing, a sampling list lost on reload, English error text, and a draft that cannot be
written when the page opens."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re

import pytest
from PIL import Image

from .conftest import login
from .helpers import (
    fill_all_sections,
    fill_start_page,
    fill_to_signing,
    outbox,
    sign,
    start_inspection,
    wait_until,
)

pytestmark = pytest.mark.browser

BEIJING = dt.timezone(dt.timedelta(hours=8))

DRAFT = (
    """async (id) => (await (await import('/static/js/inspector/store.js')).get('drafts', id))"""
)
PHOTOS_ON_PHONE = (
    """async (id) => (await (await import('/static/js/inspector/store.js')).photosFor(id)).length"""
)


def to_signing_page(page) -> None:
    page.click("#to-review")
    page.click("#to-sign")


def ink_columns(png_data_uri: str) -> tuple[int, list[int]]:
    """The PNG's width and the columns that hold any dark pixel."""
    img = Image.open(io.BytesIO(base64.b64decode(png_data_uri.split(",", 1)[1]))).convert("L")
    w, h = img.size
    px = img.load()
    return w, [x for x in range(w) if any(px[x, y] < 200 for y in range(h))]


def stroke(page, role: str, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A zigzag from start to end, in fractions of the pad (beyond 0..1 runs off it)."""
    pad = page.locator(f"#pad-{role}")
    pad.scroll_into_view_if_needed()
    b = pad.bounding_box()
    at = lambda fx, fy: (b["x"] + b["width"] * fx, b["y"] + b["height"] * fy)  # noqa: E731
    page.mouse.move(*at(*start))
    page.mouse.down()
    for k in range(1, 21):
        x, y = at(start[0] + (end[0] - start[0]) * k / 20, start[1] + (end[1] - start[1]) * k / 20)
        page.mouse.move(x, y + (8 if k % 2 else -8))
    page.mouse.up()


# ------------------------------------------------------------------ 1. signature pad


def test_signature_drawn_after_the_phone_turns_is_kept_whole(page, live_server, shot):
    login(page)
    inspection_id = start_inspection(page)
    fill_all_sections(page, by_hand=False)
    to_signing_page(page)
    sign(page, "inspector")
    # the principal turns the phone to landscape for a wider pad
    page.set_viewport_size({"width": 844, "height": 390})
    page.wait_for_timeout(300)
    page.fill("#sig-school-name", "孙德明")
    stroke(page, "school", (0.55, 0.5), (0.95, 0.5))  # in the right part of the pad he sees
    shot(page, "landscape-signed")
    page.click("#sig-school-save")
    page.wait_for_selector("#sign-school[data-signed='1']")
    png = page.evaluate(DRAFT, inspection_id)["signatures"]["school"]["png"]
    w, cols = ink_columns(png)
    assert cols, "the PNG kept as the principal's signature has no ink"
    # where he drew it: the right part, not squeezed into the portrait pad's width
    assert cols[0] > w * 0.45 and cols[-1] > w * 0.85, (w, cols[0], cols[-1])
    page.click("#submit")
    page.wait_for_selector("#lock-state[data-state=submitted]", timeout=20000)


def test_a_signature_drawn_in_landscape_is_shrunk_to_fit_when_the_phone_turns_back(
    page, live_server, shot
):
    login(page)
    inspection_id = start_inspection(page)
    fill_all_sections(page, by_hand=False)
    to_signing_page(page)
    sign(page, "inspector")
    page.fill("#sig-school-name", "孙德明")
    page.set_viewport_size({"width": 844, "height": 390})
    page.wait_for_timeout(300)
    stroke(page, "school", (0.55, 0.5), (0.95, 0.5))  # in the right part of the wide pad
    page.set_viewport_size({"width": 390, "height": 844})  # handed back upright to confirm
    page.wait_for_timeout(300)
    page.locator("#pad-school").evaluate("(el) => el.scrollIntoView({ block: 'center' })")
    shot(page, "turned-back")
    page.click("#sig-school-save")
    page.wait_for_selector("#sign-school[data-signed='1']")
    w, cols = ink_columns(page.evaluate(DRAFT, inspection_id)["signatures"]["school"]["png"])
    # all of it, shrunk into the narrow pad: still the right part, reaching its right edge
    assert cols, "the signature drawn in landscape is gone"
    assert w * 0.3 < cols[0] < w * 0.7 and cols[-1] > w * 0.85, (w, cols[0], cols[-1])


def test_a_stroke_that_ran_off_the_pad_is_not_a_signature(page, live_server, shot):
    login(page)
    start_inspection(page)
    fill_all_sections(page, by_hand=False)
    to_signing_page(page)
    # the finger lands on the pad's lower edge and slides away below it: a long way travelled,
    # a few pixels of ink on the pad
    stroke(page, "inspector", (0.5, 0.97), (0.6, 2.5))
    page.click("#sig-inspector-save")
    shot(page, "off-pad")
    assert page.locator("#sig-inspector-error").inner_text() == "签名为空，请在框内签名"
    assert page.get_attribute("#sign-inspector", "data-signed") == "0"


# ------------------------------------------------------------------ 2. photo just before submit

# No GPS fix at a rural school, on a phone slow to give up: the picture is still being
# located and shrunk while both sides sign again.
SLOW_FIX = """
if (location.pathname === '/inspector/form') {
  navigator.geolocation.getCurrentPosition = (ok, fail) =>
    setTimeout(() => fail({ code: 3, message: 'timeout' }), 7000);
}
"""


def add_photo_then_go_to_signing(page, photo: str) -> None:
    page.click("#toc-toggle")
    page.locator(".toc-item").first.click()
    page.locator("#item-poor_students_total input[type=file]").set_input_files([photo])
    page.click("#toc-toggle")
    page.locator(".toc-item", has_text="签名与提交").click()


def test_a_photo_taken_after_signing_cancels_the_signatures_at_once(
    page, context, live_server, photo_files, shot
):
    context.add_init_script(SLOW_FIX)
    login(page)
    start_inspection(page)
    fill_to_signing(page, by_hand=False)
    add_photo_then_go_to_signing(page, photo_files[0])
    # still processing, and yet no longer what was signed
    shot(page, "photo-processing")
    assert page.get_attribute("#sign-inspector", "data-signed") == "0"
    assert page.get_attribute("#sign-school", "data-signed") == "0"
    assert page.locator("#submit").is_disabled()


def test_submit_waits_for_a_photo_still_being_processed(
    page, context, live_server, photo_files, shot
):
    context.add_init_script(SLOW_FIX)
    login(page)
    inspection_id = start_inspection(page)
    fill_to_signing(page, by_hand=False)
    add_photo_then_go_to_signing(page, photo_files[0])
    sign(page, "inspector")
    # above the bottom bar, which scroll_into_view_if_needed (in sign) takes no account of
    page.locator("#pad-school").evaluate("(el) => el.scrollIntoView({ block: 'center' })")
    sign(page, "school")
    assert page.evaluate(PHOTOS_ON_PHONE, inspection_id) == 0, "the photo was already processed"
    page.click("#submit")
    shot(page, "waiting-for-photo")
    page.wait_for_selector("#lock-state[data-state=submitted]", timeout=30000)
    rows = live_server.query(
        "SELECT count(*) AS n FROM inspection_photos WHERE inspection_id = ?", [inspection_id]
    )
    assert rows[0]["n"] == 1, "the photo the inspector took is not in the received inspection"
    page.wait_for_timeout(1000)  # anything written late would have landed by now
    assert page.evaluate(DRAFT, inspection_id) is None, "a locked draft was written back"
    assert page.evaluate(PHOTOS_ON_PHONE, inspection_id) == 0


# ------------------------------------------------------------------ 3. date; server's reasons


def test_a_mistyped_future_date_is_refused_on_the_start_page(page, live_server, shot):
    login(page)
    fill_start_page(page)
    today = dt.datetime.now(BEIJING).date()
    assert page.get_attribute("#date", "max") == (today + dt.timedelta(days=1)).isoformat()
    # 23 December picked instead of 23 November
    page.fill("#date", (today + dt.timedelta(days=30)).isoformat())
    page.click("#begin")
    page.wait_for_selector("#date-error:not([hidden])")
    shot(page, "future-date")
    assert page.locator("#date-error").inner_text() == "检查日期不能晚于今天，请核对月份和日期"
    assert page.url.endswith("/inspector/new")
    page.fill("#date", today.isoformat())
    page.click("#begin")
    page.wait_for_url("**/inspector/form#*")


def test_a_refused_inspection_shows_the_servers_reasons(page, live_server, shot):
    login(page)
    inspection_id = start_inspection(page)
    # a draft dated in the future (as one started before the start page checked the date)
    page.evaluate(
        """async ([id, date]) => {
            const store = await import('/static/js/inspector/store.js');
            await store.put('drafts', { ...(await store.get('drafts', id)), date });
        }""",
        [inspection_id, (dt.date.today() + dt.timedelta(days=30)).isoformat()],
    )
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    fill_to_signing(page, by_hand=False)
    page.click("#submit")
    page.wait_for_selector("#lock-state[data-state=rejected]", timeout=20000)
    shot(page, "rejected")
    assert "检查日期" in page.locator("#lock-state").inner_text()
    page.goto("/inspector/")
    item = page.locator(".outbox-item[data-state=rejected]")
    item.wait_for()
    assert "检查日期" in item.inner_text()
    shot(page, "outbox-rejected")


# ------------------------------------------------------------------ 4. name after signing


def test_a_name_corrected_after_signing_cancels_that_signature(page, live_server, shot):
    login(page)
    inspection_id = start_inspection(page)
    fill_all_sections(page, by_hand=False)
    to_signing_page(page)
    sign(page, "inspector")
    page.fill("#sig-school-name", "王建图")  # a slip of the finger
    sign(page, "school")
    page.fill("#sig-school-name", "王建国")  # corrected in the field that still shows it
    page.wait_for_selector("#sign-school[data-signed='0']")
    shot(page, "name-corrected")
    assert page.locator("#sig-school-voided").is_visible()
    assert page.input_value("#sig-school-name") == "王建国"
    assert page.get_attribute("#sign-inspector", "data-signed") == "1"  # the other side stands
    assert page.locator("#submit").is_disabled()
    sign(page, "school")
    assert not page.locator("#sig-school-voided").count()
    page.click("#submit")
    page.wait_for_selector("#lock-state[data-state=submitted]", timeout=20000)
    row = live_server.query("SELECT school_rep_name FROM inspections WHERE id = ?", [inspection_id])
    assert row[0]["school_rep_name"] == "王建国"


# ------------------------------------------------------------------ 5. sampling list


def reload_form(page) -> None:
    page.wait_for_timeout(1000)  # long after any write would have committed
    page.reload()
    page.wait_for_selector("body[data-ready='1']")


def test_a_typed_sampling_list_survives_a_reload(page, live_server):
    login(page)
    start_inspection(page)
    page.fill("#in-poor_students_total", "40")
    ids = [f"G2015{k:04d}" for k in range(40)]
    page.locator("#in-file_sample").fill("\n".join(ids))
    reload_form(page)
    assert page.locator("#in-file_sample").input_value().splitlines() == ids


def test_an_imported_sampling_list_survives_a_reload(page, live_server):
    login(page)
    start_inspection(page)
    page.fill("#in-poor_students_total", "12")
    csv = "序号,姓名,学籍号\n" + "\n".join(f"{k + 1},学生{k},G2015{k:04d}" for k in range(12))
    page.locator("#file-sample-file_sample").set_input_files(
        {"name": "学籍名单.csv", "mimeType": "text/csv", "buffer": csv.encode("gbk")}
    )
    page.locator("#item-file_sample .sample-info").filter(has_text="共 12 份").wait_for()
    reload_form(page)
    assert page.locator("#in-file_sample").input_value().splitlines() == [
        f"G2015{k:04d}" for k in range(12)
    ]


# ------------------------------------------------------------------ 6. errors in Chinese


def test_an_unreadable_photo_is_explained_in_chinese(page, live_server, tmp_path, shot):
    login(page)
    start_inspection(page)
    bad = tmp_path / "IMG_0001.jpg"  # e.g. a HEIC picked from the gallery, or a truncated file
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg" * 10)
    page.locator("#item-poor_students_total input[type=file]").set_input_files([str(bad)])
    page.wait_for_selector("#toast:not([hidden])")
    shot(page, "unreadable-photo")
    text = page.locator("#toast").inner_text()
    assert text.startswith("照片处理失败：无法读取这张照片"), text
    # no English from the browser: the only Latin letters are the formats named to the user
    assert not re.search("[A-Za-z]", re.sub("HEIC|JPEG", "", text)), text


FAILING_DRAFT_WRITES = """
if (localStorage.getItem('test-drafts-full')) {
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (...args) {
    if (this.name === 'drafts') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    return put.apply(this, args);
  };
}
"""


def test_a_draft_that_cannot_be_written_on_opening_says_so_and_keeps_the_rescue_copy(
    page, context, live_server, shot
):
    context.add_init_script(FAILING_DRAFT_WRITES)
    login(page)
    inspection_id = start_inspection(page)
    key = f"inspect-rescue:{inspection_id}"
    # the copy the page left in localStorage when it went away with a change not committed
    page.evaluate(
        """async ([id, key]) => {
            const store = await import('/static/js/inspector/store.js');
            const draft = await store.get('drafts', id);
            const later = new Date(Date.parse(draft.updated_at) + 60000).toISOString();
            localStorage.setItem(key, JSON.stringify({ ...draft, updated_at: later, notes: { x: '记下的' } }));
            localStorage.setItem('test-drafts-full', '1');
        }""",
        [inspection_id, key],
    )
    page.reload()
    page.wait_for_selector("#load-failed")
    shot(page, "load-failed")
    text = page.locator("#load-failed").inner_text()
    assert "手机存储空间已满" in text and "quota" not in text
    assert page.evaluate("(key) => localStorage.getItem(key) !== null", key)
    page.evaluate("() => localStorage.removeItem('test-drafts-full')")
    page.click("#load-retry")
    page.wait_for_selector("body[data-ready='1']")
    wait_until(page, f"localStorage.getItem({key!r}) === null")
    assert page.evaluate(DRAFT, inspection_id)["notes"] == {"x": "记下的"}
    assert outbox(page) == []
