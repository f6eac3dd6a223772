"""The whole rectification loop through the web pages: see, answer, send back, answer again, close."""

from __future__ import annotations

from bs4 import BeautifulSoup
from flask import g, render_template_string

from inspect_app.storage import rectifications as items
from inspect_app.storage import users

from . import factories
from .support import User, event_kinds, item_row, pdf_bytes, version_on


def test_school_answers_reviewer_returns_school_answers_again_reviewer_closes(
    receive, login, db, frozen
):
    inspection_id, rows = receive()
    first = rows[0]
    school = login("sch_a")
    reviewer = login("insp")

    # The school's list: open items first, most urgent on top, with countdowns and the summary.
    page = school.page("/school/rectifications")
    listed = [int(li["data-item"]) for li in page.select("ul.items li[data-item]")]
    assert set(listed) == {r["id"] for r in rows}
    deadlines = [item_row(db, i)["deadline"] for i in listed]
    assert deadlines == sorted(deadlines)
    assert page.select_one("[data-summary]").get_text(strip=True) == (
        f"发现问题 {len(rows)} 个，整改 {len(rows)} 个，其中整改完成 0 个，正在整改 {len(rows)} 个，逾期 0 个"
    )
    assert page.select_one("li[data-item] .due").get_text(strip=True) == "剩余 2 天"

    # The item page shows the finding, its rule and the inspector's photo.
    item_page = school.page(f"/school/rectifications/{first['id']}")
    assert first["problem"] in item_page.select_one(".problem-text").get_text()
    photo = item_page.select_one(".photos img")["src"]
    assert school.get(photo).status_code == 200
    assert item_page.select_one(".status").get_text() == "待整改"

    # Respond with measures, result, date and two evidence files.
    respond_url = f"/school/rectifications/{first['id']}/respond"
    form = school.page(respond_url)
    response = school.post(
        respond_url,
        {"measures": "重新比对建档立卡名单并逐月更新", "result": "名单已与扶贫部门一致",
         "done_on": "2026-11-24", "version": version_on(form)},
        files={"evidence": [(factories.jpeg_bytes(9), "台账照片.jpg"), (pdf_bytes(), "比对表.pdf")]},
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    assert item_row(db, first["id"])["status"] == "submitted"

    # The reviewer has it in the queue and a notification waiting.
    queue = reviewer.page("/review/")
    assert first["problem"] in queue.select_one("ul.items").get_text()
    notes = reviewer.page("/review/notifications")
    assert "东镇中心小学提交了整改情况" in notes.select_one(".notes").get_text()

    # Evidence is on the reviewer's timeline; the PDF downloads, the photo shows.
    review_url = f"/review/rectifications/{first['id']}"
    page = reviewer.page(review_url)
    pdf_link = page.select_one(".files a.pdf")["href"]
    pdf = reviewer.get(pdf_link)
    assert pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    image = reviewer.get(page.select_one(".files a.thumb img")["src"])
    assert image.mimetype == "image/jpeg" and image.headers["X-Content-Type-Options"] == "nosniff"

    # Send back with a comment …
    response = reviewer.post(
        f"{review_url}/decide",
        {"action": "return", "comment": "比对记录缺少签字", "version": version_on(page, "#decide")},
    )
    assert response.status_code == 302
    assert item_row(db, first["id"])["status"] == "returned"
    page = school.page(f"/school/rectifications/{first['id']}")
    assert "比对记录缺少签字" in page.select_one(".callout.returned").get_text()
    assert "整改被退回" in school.page("/school/notifications").select_one(".notes").get_text()

    # … the school answers again, and the reviewer closes it.
    form = school.page(respond_url)
    response = school.post(
        respond_url,
        {
            "measures": "补充签字",
            "result": "已签字",
            "done_on": "2026-11-25",
            "version": version_on(form),
        },
        files={"evidence": [(factories.jpeg_bytes(11), "签字页.jpg")]},
    )
    assert response.status_code == 302
    page = reviewer.page(review_url)
    response = reviewer.post(
        f"{review_url}/decide",
        {"action": "accept", "comment": "现场核实已整改", "version": version_on(page, "#decide")},
    )
    assert response.status_code == 302
    closed = item_row(db, first["id"])
    assert closed["status"] == "closed" and closed["closed_by"] and closed["closed_at"]
    assert event_kinds(db, first["id"]) == ["created", "respond", "return", "respond", "accept"]

    # Closed items move below the open ones; the summary counts it as done.
    page = school.page("/school/rectifications")
    closed_section = page.select("ul.items")[1]
    assert [int(li["data-item"]) for li in closed_section.select("li[data-item]")] == [first["id"]]
    assert closed_section.select_one(".status").get_text() == "已销号"
    assert "其中整改完成 1 个" in page.select_one("[data-summary]").get_text()
    timeline = school.page(f"/school/rectifications/{first['id']}").select(".timeline li")
    assert [li.select_one(".what").get_text().split(" · ")[0] for li in timeline] == [
        "下发整改", "提交整改", "退回重新整改", "提交整改", "复查通过，销号",
    ]  # fmt: skip
    # The reviewer's inspection page shows the same summary.
    inspection = reviewer.page(f"/review/inspections/{inspection_id}")
    assert "其中整改完成 1 个" in inspection.select_one("[data-summary]").get_text()


def test_extension_requested_then_approved_moves_the_deadline(receive, login, db, frozen):
    _, rows = receive()
    item = rows[0]
    school, reviewer = login("sch_a"), login("insp")
    url = f"/school/rectifications/{item['id']}/extension"
    response = school.post(
        url,
        {
            "until": "2026-12-31",
            "reason": "设备采购需招标",
            "version": version_on(school.page(url)),
        },
    )
    assert response.status_code == 302
    assert item_row(db, item["id"])["extension_until"] == "2026-12-31"
    queue = reviewer.page("/review/")
    assert item["problem"] in queue.select("ul.items")[1].get_text()
    page = reviewer.page(f"/review/rectifications/{item['id']}")
    response = reviewer.post(
        f"/review/rectifications/{item['id']}/extension",
        {
            "decision": "approve",
            "extension_comment": "同意",
            "version": version_on(page, "#extension"),
        },
    )
    assert response.status_code == 302
    row = item_row(db, item["id"])
    assert row["deadline"] == "2026-12-31" and row["extension_until"] is None
    assert "延期申请已同意" in school.page("/school/notifications").get_text()
    timeline = (
        school.page(f"/school/rectifications/{item['id']}").select_one(".timeline").get_text()
    )
    assert f"整改时限由 {item['deadline']} 调整为 2026-12-31" in timeline


def test_extension_refused_keeps_the_deadline(receive, login, db, frozen):
    _, rows = receive()
    item = rows[1]
    school, reviewer = login("sch_a"), login("bureau")
    url = f"/school/rectifications/{item['id']}/extension"
    school.post(
        url, {"until": "2027-01-10", "reason": "人手不足", "version": version_on(school.page(url))}
    )
    page = reviewer.page(f"/review/rectifications/{item['id']}")
    response = reviewer.post(
        f"/review/rectifications/{item['id']}/extension",
        {
            "decision": "refuse",
            "extension_comment": "理由不充分",
            "version": version_on(page, "#extension"),
        },
    )
    assert response.status_code == 302
    row = item_row(db, item["id"])
    assert row["deadline"] == item["deadline"] and row["extension_until"] is None
    assert event_kinds(db, item["id"])[-1] == "refuse_extension"


def test_reinspection_photo_and_note_join_the_timeline(receive, login, db, frozen):
    _, rows = receive()
    item = rows[2]
    reviewer = login("insp")
    response = reviewer.post(
        f"/review/rectifications/{item['id']}/reinspect",
        {"note": "现场查看台账已补齐"},
        files={"photo": [(factories.jpeg_bytes(3), "复查.jpg")]},
    )
    assert response.status_code == 302
    events = items.events(db, item["id"])
    assert events[-1]["kind"] == "reinspect" and events[-1]["text"] == "现场查看台账已补齐"
    assert events[-1]["evidence"][0]["mime"] == "image/jpeg"
    # A note changes no state, so the school can still answer with the version it saw.
    assert item_row(db, item["id"])["version"] == item["version"]
    school_view = login("sch_a").page(f"/school/rectifications/{item['id']}")
    assert "现场复查" in school_view.select(".timeline li")[-1].get_text()


def test_qr_link_lists_the_inspections_items_after_login(receive, app, county, db):
    inspection_id, rows = receive()
    other_id, _ = receive(seed=1)
    visitor = app.test_client()
    response = visitor.get(f"/school/rectifications?inspection={inspection_id}")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    school = User(app, "sch_a")
    page = school.page(f"/school/rectifications?inspection={inspection_id}")
    assert len(page.select("li[data-item]")) == len(rows)
    assert "本次检查" in page.select_one(".banner").get_text()
    assert school.get("/school/rectifications?inspection=nope").status_code == 404
    # The second visit found the same problems while they were open: one item per problem,
    # listed under both inspections.
    assert len(school.page("/school/rectifications").select("li[data-item]")) == len(rows)
    again = school.page(f"/school/rectifications?inspection={other_id}")
    assert {int(li["data-item"]) for li in again.select("li[data-item]")} == {r["id"] for r in rows}
    assert other_id != inspection_id


def test_home_panels_show_the_summary_and_the_waiting_work(receive, app, db, frozen):
    _, rows = receive()
    frozen("2026-11-28")  # the 7-day items are now overdue
    week = str(sum(1 for r in rows if r["deadline"] == "2026-11-27"))
    # home.html is the lead's; render the panels exactly as its include will.
    with app.test_request_context("/"):
        g.user = users.by_username(db, "sch_a")
        html = render_template_string('{% include "school/_home_panel.html" %}')
        panel = BeautifulSoup(html, "html.parser")
        assert f"逾期 {week} 个" in panel.select_one("[data-summary]").get_text()
        assert panel.select_one("a.primary")["href"] == "/school/rectifications"
        g.user = users.by_username(db, "insp")
        panel = BeautifulSoup(
            render_template_string('{% include "review/_home_panel.html" %}'), "html.parser"
        )
        assert [d.strong.get_text() for d in panel.select(".stats div")] == ["0", "0", week]
