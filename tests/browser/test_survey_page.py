"""A parent answers the survey on a phone: from the poster's link, on a network that drops,
to the thank-you page; a second answer from the same phone is refused kindly; a closed round
says so. Checked against the database the live server writes."""

from __future__ import annotations

import json

import pytest

from inspect_app.storage import surveys

pytestmark = pytest.mark.browser


@pytest.fixture
def survey_link(live_server) -> dict:
    db = live_server.db()
    try:
        school = next(
            db.query("SELECT id, name FROM schools WHERE boarding = 1 ORDER BY id LIMIT 1")
        )
        survey = next(
            db.query("SELECT hash FROM survey_versions WHERE survey_id = 'parent_satisfaction'")
        )
        bureau = next(
            db.query("SELECT id FROM users WHERE role IN ('bureau', 'admin') ORDER BY id")
        )
        round_id = surveys.create_round(
            db, survey_id="parent_satisfaction", survey_hash=survey["hash"], title="家长满意度测评",
            school_ids=[school["id"]], created_by=bureau["id"],
        )  # fmt: skip
        code = surveys.round_schools(db, round_id)[0]["code"]
    finally:
        db.close()
    return {"round": round_id, "code": code, "school": school}


def _pick(page, item: str, value: str) -> None:
    """Tap the option (its whole label, as a thumb would) with this value."""
    page.locator(f'fieldset[data-item="{item}"] label.opt:has(input[value="{value}"])').click()


def _link_from_poster(browser, live_server, survey_link, tmp_path) -> str:
    """What a parent's camera reads: the poster the bureau downloads, its QR code decoded."""
    import subprocess

    import zxingcpp
    from PIL import Image

    from .conftest import login, new_context

    live_server.app.config["PUBLIC_URL"] = live_server.url  # the address phones reach
    ctx = new_context(browser, live_server, width=1280)
    try:
        bureau = ctx.new_page()
        login(bureau, "jyj", next_path="/bureau/surveys/")
        url = f"/bureau/surveys/{survey_link['round']}/posters/{survey_link['school']['id']}.pdf"
        response = bureau.request.get(url)
        assert response.status == 200
        (tmp_path / "poster.pdf").write_bytes(response.body())
    finally:
        ctx.close()
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-singlefile", str(tmp_path / "poster.pdf"),
                    str(tmp_path / "poster")], check=True)  # fmt: skip
    found = zxingcpp.read_barcodes(Image.open(tmp_path / "poster.png"))
    assert len(found) == 1
    return found[0].text


def test_parent_answers_offline_then_online_and_is_thanked(
    browser, page, context, live_server, survey_link, shot, tmp_path
):
    code = survey_link["code"]
    link = _link_from_poster(browser, live_server, survey_link, tmp_path)
    assert link == f"{live_server.url}/s/{code}"
    page.goto(link)  # the parent scanned the poster at the school gate
    assert page.locator("header h1").inner_text() == survey_link["school"]["name"]
    page.wait_for_selector("#survey:not([hidden])")
    shot(page, "opened")
    # a boarding question shows only once the parent says the child boards
    dorm = page.locator('fieldset[data-item="boarding_conditions"]')
    assert dorm.is_hidden()
    _pick(page, "aid_satisfaction", "fairly_satisfied")
    _pick(page, "child_boards", "true")
    assert dorm.is_visible()
    _pick(page, "boarding_conditions", "dissatisfied")
    # the answers so far survive closing the page
    page.reload()
    page.wait_for_selector("#survey:not([hidden])")
    assert (
        page.locator('fieldset[data-item="aid_satisfaction"] input:checked').get_attribute("value")
        == "fairly_satisfied"
    )
    assert dorm.is_visible()
    _pick(page, "overall", "satisfied")
    page.fill('fieldset[data-item="comment"] textarea', "希望食堂多些蔬菜")

    context.set_offline(True)
    page.click("#send")
    page.wait_for_selector("#status:has-text('答卷已保存在本机')")
    shot(page, "offline")
    stored = json.loads(page.evaluate(f"localStorage.getItem('survey:{code}')"))
    assert (
        stored["state"] == "pending" and stored["answers"]["boarding_conditions"] == "dissatisfied"
    )
    assert live_server.query("SELECT COUNT(*) AS n FROM survey_responses")[0]["n"] == 0

    context.set_offline(False)  # the phone's 'online' event sends it
    page.wait_for_url(f"**/s/{code}/thanks")
    assert "提交成功，感谢您的参与" in page.locator("#thanks").inner_text()
    shot(page, "thanks")
    rows = live_server.query("SELECT respondent_group, answers FROM survey_responses")
    assert len(rows) == 1 and rows[0]["respondent_group"] == "parent"
    assert json.loads(rows[0]["answers"]) == {
        "aid_satisfaction": "fairly_satisfied", "child_boards": True,
        "boarding_conditions": "dissatisfied", "overall": "satisfied", "comment": "希望食堂多些蔬菜",
    }  # fmt: skip

    # the same phone opens the link again: it has answered already
    page.goto(f"/s/{code}")
    page.wait_for_selector("#done:not([hidden])")
    assert page.locator("#survey").is_hidden()

    # even with the page's record wiped (but the phone's token kept), the server refuses kindly
    page.evaluate(f"localStorage.removeItem('survey:{code}')")
    page.reload()
    page.wait_for_selector("#survey:not([hidden])")
    _pick(page, "overall", "average")
    page.click("#send")
    page.wait_for_selector("#done:not([hidden])")
    assert "已经提交过本次调查" in page.locator("#done").inner_text()
    shot(page, "second-refused")
    assert live_server.query("SELECT COUNT(*) AS n FROM survey_responses")[0]["n"] == 1


def test_a_closed_round_says_so_on_the_phone(page, live_server, survey_link, shot):
    db = live_server.db()
    try:
        surveys.close_round(db, survey_link["round"])
    finally:
        db.close()
    response = page.goto(f"/s/{survey_link['code']}")
    assert response.status == 410
    assert "本次调查已结束" in page.locator("#closed").inner_text()
    shot(page, "closed")


def test_the_page_is_small_and_loads_nothing_from_elsewhere(page, live_server, survey_link):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"/s/{survey_link['code']}")
    page.wait_for_selector("#survey:not([hidden])")
    assert requests and all(url.startswith(live_server.url) for url in requests)
    paths = sorted(url[len(live_server.url) :] for url in requests)
    assert paths == [f"/s/{survey_link['code']}", "/static/js/engine.js", "/static/js/survey.js"]


def test_bureau_opens_a_round_for_a_township_and_reads_the_results(browser, live_server, shot):
    from .conftest import login, new_context

    ctx = new_context(browser, live_server, width=1280)
    page = ctx.new_page()
    try:
        login(page, "jyj", next_path="/bureau/surveys/")
        page.select_option("#survey", "parent_satisfaction")
        township = page.locator("#township_id option").nth(1)
        page.select_option("#township_id", township.get_attribute("value"))
        page.click("#open-round button[type=submit]")
        page.wait_for_selector("#round-schools")
        shot(page, "round-opened", full_page=True)
        rows = page.locator("#round-schools tbody tr")
        assert rows.count() >= 1
        assert "不足 5 份，不显示" in rows.first.inner_text()
        # the poster link is a PDF for that school
        poster = rows.first.locator("a", has_text="下载海报")
        response = page.request.get(poster.get_attribute("href"))
        assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    finally:
        ctx.close()
