"""A school answers a rectification item from a phone, in a real browser against the live server;
then the reviewer signs it off and the school sees it closed."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image, ImageDraw

from inspect_app.checklist import score
from inspect_app.demo.county import DEMO_PASSWORD, school_code
from inspect_app.inspections import catalog
from inspect_app.storage import schools

from .. import factories
from ..support import pdf_bytes
from .conftest import SHOTS, login, new_context
from .helpers import wait_until

pytestmark = pytest.mark.browser

SCHOOL_LOGIN = f"xx{school_code('14')}"  # 河口乡石桥村教学点
TODAY = "2026-11-25"


def receive_failing_inspection(server) -> str:
    """The demo inspector sends a failing inspection (with a photo) through the real API."""
    app = server.app
    client = app.test_client()
    token = re.search(
        r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
        client.get("/login").get_data(as_text=True),
    ).group(1)
    client.post(
        "/login", data={"username": "duxue1", "password": DEMO_PASSWORD, "csrf_token": token}
    )
    api_token = client.get("/api/session").get_json()["csrf_token"]
    db = server.db()
    try:
        school = schools.by_code(db, school_code("14"))
        with app.app_context():
            checklist = catalog.current()["fupin_comprehensive"].compiled
        body = factories.payload(school["id"], checklist, passing=False)
        drafts = score(checklist, schools.as_scoring_school(school), body["responses"])[
            "rectifications"
        ]
    finally:
        db.close()
    photo = factories.jpeg_bytes(3)
    headers = {"X-CSRFToken": api_token}
    client.put(f"/api/photos/{factories.sha256(photo)}", data=photo, headers=headers)
    # The photo goes with the most urgent finding: the one at the top of the school's list.
    urgent = min(drafts, key=lambda d: d["days"])
    body["photos"] = [
        {"sha256": factories.sha256(photo), "item": urgent["item"], "caption": "现场照片"}
    ]
    response = client.put(
        f"/api/inspections/{body['id']}",
        data=json.dumps(body, ensure_ascii=False),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.get_json()
    return body["id"]


def snap(page, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky top bar lands mid-page
    page.screenshot(path=str(SHOTS / f"rect_{name}.png"), full_page=True)


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.fixture
def evidence_files(tmp_path):
    image = Image.new("RGB", (1600, 1200), "#2e86c1")
    ImageDraw.Draw(image).rectangle([200, 200, 1400, 1000], fill="white")
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    photo = tmp_path / "整改后照片.jpg"
    photo.write_bytes(buf.getvalue())
    fake = tmp_path / "整改照片.jpg"
    fake.write_bytes(b"<html><script>alert(1)</script></html>")
    pdf = tmp_path / "整改报告.pdf"
    pdf.write_bytes(pdf_bytes())  # a real one: evidence PDFs are parsed
    return {"photo": str(photo), "fake": str(fake), "pdf": str(pdf)}


def test_school_responds_from_a_phone_and_sees_it_closed(
    browser, live_server, page, evidence_files
):
    live_server.app.config["TODAY_OVERRIDE"] = TODAY
    receive_failing_inspection(live_server)

    # The list: open items first, most urgent on top, with countdowns and the summary line.
    login(page, SCHOOL_LOGIN, next_path="/school/rectifications")
    page.wait_for_selector("[data-summary]")
    assert "发现问题" in page.inner_text("[data-summary]")
    first = page.locator("ul.items li[data-item]").first
    assert first.locator(".due").inner_text() == "剩余 2 天"
    assert fits_the_phone(page)
    snap(page, "01_list")

    # The item: the finding, its photo, what to do, by when.
    first.locator("a").click()
    page.wait_for_selector(".finding")
    wait_until(page, "document.querySelector('.photos img')?.naturalWidth > 0")
    assert fits_the_phone(page)
    snap(page, "02_item")

    # Respond. The file control is a Chinese button (the browser's own is hidden), and a date
    # after today is refused in the browser before anything is sent.
    page.click("text=填写整改情况")
    button = page.locator("label.file-button")
    assert button.inner_text() == "拍照 / 选择照片或 PDF" and button.is_visible()
    assert page.locator("#evidence").bounding_box()["width"] <= 1
    page.fill("#measures", "重新比对建档立卡学生名单，建立每月比对制度")
    page.fill("#result", "名单已与扶贫部门数据一致")
    page.fill("#done_on", "2026-11-30")
    respond_url = page.url
    page.click("form.card button[type=submit]")
    assert page.inner_text("#done_on-client-error") == "整改完成日期不能晚于今天"
    assert page.url == respond_url and not page.locator(".flash-error").count()
    snap(page, "03_future_date")
    page.fill("#done_on", "2026-11-24")
    assert not page.locator("#done_on-client-error").count()

    # A fake photo is refused next to the field; the text stays.
    page.set_input_files("#evidence", [evidence_files["fake"]])
    page.click("form.card button[type=submit]")
    page.wait_for_selector("#evidence-error")
    assert "无法识别的文件内容" in page.inner_text("#evidence-error")
    assert page.input_value("#measures") == "重新比对建档立卡学生名单，建立每月比对制度"
    assert fits_the_phone(page)
    snap(page, "04_bad_upload")

    # Good files chosen, but the measures emptied: the form is refused, the files are kept.
    page.set_input_files("#evidence", [evidence_files["photo"], evidence_files["pdf"]])
    assert page.locator(".chosen li").count() == 2
    assert button.inner_text().startswith("已选择 2 个文件")
    wait_until(page, "document.querySelector('.chosen img')?.naturalWidth > 0")
    snap(page, "05_chosen")
    page.fill("#measures", "")
    page.click("form.card button[type=submit]")
    page.wait_for_selector("#measures-error")
    kept = page.locator("ul.kept li[data-kept]")
    assert kept.count() == 2
    assert sorted(kept.locator(".name").all_inner_texts()) == ["整改后照片.jpg", "整改报告.pdf"]
    wait_until(page, "document.querySelector('ul.kept img')?.naturalWidth > 0")
    assert fits_the_phone(page)
    snap(page, "06_kept_after_error")
    page.fill("#measures", "重新比对建档立卡学生名单，建立每月比对制度")
    page.click("form.card button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "等待督学复查" in page.inner_text(".banner")
    assert page.locator(".timeline .files a").count() == 2
    snap(page, "07_submitted")

    # The reviewer (the inspector who found it) signs it off on a phone: before / after, side
    # by side on a wide screen and stacked here, above the 销号 buttons.
    reviewer_context = new_context(browser, live_server, width=390, geolocation=False)
    try:
        reviewer = reviewer_context.new_page()
        login(reviewer, "duxue1", next_path="/review/")
        reviewer.locator("ul.items li[data-item] a").first.click()
        reviewer.wait_for_selector("#decide")
        wait_until(
            reviewer,
            "[...document.querySelectorAll('#compare img')].every(i => i.naturalWidth > 0)",
        )
        before = reviewer.locator("#compare .before img")
        after = reviewer.locator("#compare .after img")
        assert before.count() == 1 and after.count() == 1
        assert reviewer.locator("#compare .after a.pdf").count() == 1
        compare_box = reviewer.locator("#compare").bounding_box()
        decide_box = reviewer.locator("#decide button[value=accept]").bounding_box()
        assert compare_box["y"] + compare_box["height"] <= decide_box["y"]
        assert fits_the_phone(reviewer)
        snap(reviewer, "08_review_item_phone")
        reviewer.fill("#comment", "现场核实，台账已更新")
        reviewer.click("button[value=accept]")
        reviewer.wait_for_selector(".flash-success")
        snap(reviewer, "09_reviewed")
    finally:
        reviewer_context.close()
    wide = new_context(browser, live_server, width=1100, geolocation=False)
    try:
        desk = wide.new_page()
        login(desk, "duxue1", next_path="/review/")
        desk.goto(page.url.replace("/school/", "/review/"))
        desk.wait_for_selector("#compare")
        b = desk.locator("#compare .before").bounding_box()
        a = desk.locator("#compare .after").bounding_box()
        assert abs(a["y"] - b["y"]) < 2 and a["x"] > b["x"] + b["width"] - 1  # side by side
        snap(desk, "10_review_item_wide")
    finally:
        wide.close()

    # The school sees it closed, with who signed it off and when; it moves below the open ones.
    page.reload()
    assert "复查通过并销号" in page.inner_text(".banner")
    assert "复查通过，销号" in page.locator(".timeline li").last.inner_text()
    snap(page, "11_after_review")
    page.goto("/school/rectifications")
    closed = page.locator("ul.items").nth(1).locator("li[data-item]")
    assert closed.count() == 1 and closed.locator(".status").inner_text() == "已销号"
    assert "其中整改完成 1 个" in page.inner_text("[data-summary]")
    snap(page, "12_list_after")
