"""抽样 on the phone: the list typed or pasted, the draw, the marks, and the re-check offer."""

from __future__ import annotations

from inspect_app.checklist.sampling import draw_sample

from .conftest import login
from .helpers import start_inspection


def _draft(page, inspection_id: str) -> dict:
    return page.evaluate(
        """async (id) => {
            const store = await import('/static/js/inspector/store.js');
            return await store.get('drafts', id);
        }""",
        inspection_id,
    )


def test_the_phone_draws_the_files_the_server_draws_and_marks_decide(page, live_server, shot):
    login(page)
    inspection_id = start_inspection(page)
    page.fill("#in-poor_students_total", "30")
    item = page.locator("#item-file_sample")
    item.scroll_into_view_if_needed()
    ids = [f"G2015{k:04d}" for k in range(30)]
    # pasted from a spreadsheet column, with one 学籍号 twice and a blank line
    page.locator("#in-file_sample").fill(
        "\n".join(ids[:15]) + "\n\nG20150003\n" + "\n".join(ids[15:])
    )
    info = item.locator(".sample-info")
    assert info.inner_text() == "共 30 份（已去除重复 1 个），按规则应抽查 6 份"  # ⌈√30⌉ = 6
    shot(page, "list-entered")
    item.locator(".sample-draw").click()
    rows = item.locator(".sample-row")
    rows.first.wait_for()
    answer = _draft(page, inspection_id)["answers"]["file_sample"]
    assert answer["population"] == ids and 0 <= answer["seed"] < 2**32
    drawn = [r.get_attribute("data-id") for r in rows.all()]
    assert drawn == draw_sample(ids, answer["seed"], 5, 30)  # the server's draw, id for id
    assert item.get_attribute("data-outcome") == "unanswered"
    assert info.inner_text() == "共 30 份，随机抽取 6 份，已检查 0 份"

    rows.nth(0).locator(".opt[data-value=bad]").click()
    for k in range(1, 6):
        rows.nth(k).locator(".opt[data-value=ok]").click()
    assert item.get_attribute("data-outcome") == "fail"
    message = item.locator(".field-msg")
    assert f"抽查 6 份（共 30 份），1 份不合格：{drawn[0]}" in message.inner_text()
    assert item.locator(".evidence-msg").is_visible()  # a failed archive check needs a photo
    marks = _draft(page, inspection_id)["answers"]["file_sample"]["marks"]
    assert marks == {drawn[0]: False, **{x: True for x in drawn[1:]}}
    item.scroll_into_view_if_needed()
    shot(page, "marked")

    # 修改名单: back to the list (kept), after confirming that the marks will be lost
    page.once("dialog", lambda d: d.accept())
    item.locator(".sample-edit").click()
    assert page.locator("#in-file_sample").is_visible() and rows.count() == 0
    assert page.locator("#in-file_sample").input_value().splitlines() == ids
    assert "file_sample" not in _draft(page, inspection_id)["answers"]


def test_a_re_check_is_offered_the_files_sampled_last_time(page, live_server, shot):
    ids = [f"G2015{k:04d}" for k in range(40)]
    seed = 987654321
    drawn = draw_sample(ids, seed, 5, 30)  # what the server sends as last time's ids
    previous = {
        "inspection_id": "x",
        "date": "2026-10-12",
        "answers": {},
        "samples": {
            "file_sample": {"population": ids, "seed": seed, "ids": drawn, "failed": drawn[:1]}
        },
    }
    page.route("**/api/schools/*/previous*", lambda route: route.fulfill(json=previous))
    login(page)
    inspection_id = start_inspection(page)
    page.fill("#in-poor_students_total", "40")
    item = page.locator("#item-file_sample")
    button = item.locator(".sample-recheck")
    button.wait_for()
    assert button.inner_text() == f"复查上次抽查的 {len(drawn)} 份（2026-10-12）"
    item.scroll_into_view_if_needed()
    shot(page, "re-check-offered")
    button.click()
    rows = item.locator(".sample-row")
    rows.first.wait_for()
    assert [r.get_attribute("data-id") for r in rows.all()] == drawn  # the same files again
    answer = _draft(page, inspection_id)["answers"]["file_sample"]
    assert (answer["population"], answer["seed"], answer["marks"]) == (ids, seed, {})


def test_the_list_can_be_imported_from_a_gbk_csv_of_the_registry(page, live_server, shot):
    # 学籍系统 exports opened in Excel on Chinese Windows and saved as CSV are GBK-encoded
    csv = "序号,姓名,学籍号\n" + "\n".join(f"{k + 1},学生{k},G2015{k:04d}" for k in range(12))
    login(page)
    start_inspection(page)
    page.fill("#in-poor_students_total", "12")
    item = page.locator("#item-file_sample")
    page.locator("#file-sample-file_sample").set_input_files(
        {"name": "学籍名单.csv", "mimeType": "text/csv", "buffer": csv.encode("gbk")}
    )
    info = item.locator(".sample-info")
    info.filter(has_text="共 12 份").wait_for()
    assert page.input_value("#in-file_sample").splitlines() == [f"G2015{k:04d}" for k in range(12)]
    assert info.inner_text() == "共 12 份，按规则应抽查 5 份"  # ⌈√12⌉ = 4, at least 5
    item.scroll_into_view_if_needed()
    shot(page, "imported")
