"""The clocks the rules set: a 整改报告 within 30 days of the notice (one per inspection, issued
as a numbered PDF), a new answer within 15 days of a send-back; the bureau sees who is late."""

from __future__ import annotations

import subprocess
from datetime import date

from bs4 import BeautifulSoup

from inspect_app.common.clock import local_time
from inspect_app.documents import issuing
from inspect_app.rectification import rules
from inspect_app.storage import jobs, reports

from .support import evidence, version_on


def test_clock_states():
    start = date(2026, 11, 20)
    assert rules.clock(start, 30, None, date(2026, 12, 1)).label == "剩余 19 天"
    assert rules.clock(start, 30, None, date(2026, 12, 20)).label == "今天到期"
    late = rules.clock(start, 30, None, date(2026, 12, 25))
    assert (late.state, late.label, late.due) == ("late", "已逾期 5 天", date(2026, 12, 20))
    assert rules.clock(start, 30, date(2026, 12, 20), date(2027, 1, 5)).label == "已按时报送"
    assert rules.clock(start, 30, date(2026, 12, 22), date(2027, 1, 5)).label == "逾期 2 天后报送"


def test_school_sends_its_report_late_and_gets_a_numbered_pdf(
    receive, login, db, app, frozen, tmp_path
):
    inspection_id, rows = receive()  # inspected 2026-11-20
    school, bureau = login("sch_a"), login("bureau")
    # One item answered beforehand: its measures go into the report by themselves.
    url = f"/school/rectifications/{rows[0]['id']}/respond"
    school.post(
        url,
        {"measures": "建立资助台账月度核对制度", "result": "台账已核对", "done_on": "2026-11-24",
         "version": version_on(school.page(url))},
        files=evidence(),
    )  # fmt: skip

    frozen("2026-12-25")  # five days past the 30
    listed = school.page(f"/school/rectifications?inspection={inspection_id}")
    banner = listed.select_one("[data-report-clock]").get_text()
    assert "应于 2026-12-20 前报送" in banner and "已逾期 5 天" in banner
    clocks = bureau.page("/review/clocks")
    row = clocks.select_one(f"[data-clock=reports] tr[data-inspection='{inspection_id}']")
    assert "late" in row["class"] and "未报送，已逾期 5 天" in row.get_text()
    assert "逾期未报 1 份" in clocks.select_one("[data-clock=reports] h2").get_text()

    # The form lists every item with its latest measures; the summary is required.
    report_url = f"/school/inspections/{inspection_id}/report"
    page = school.page(report_url)
    assert len(page.select(".report-items li")) == len(rows)
    assert "建立资助台账月度核对制度" in page.select_one(".report-items").get_text()
    refused = school.post(report_url, {"summary": " "})
    assert refused.status_code == 400 and "请填写总体整改情况" in refused.get_data(as_text=True)
    response = school.post(
        report_url,
        {"summary": "学校成立整改工作领导小组，逐项制定措施，已完成资助台账整改。"},
        files={"evidence": [(evidence()["evidence"][0][0], "整改方案.jpg")]},
    )
    assert response.status_code == 302
    # A second submission (another tab) changes nothing.
    assert school.post(report_url, {"summary": "再交一次"}).status_code == 409
    stored = next(db.query("SELECT * FROM rectification_reports"))
    assert stored["summary"].startswith("学校成立整改工作领导小组")
    # Its documents job is queued again, and the worker issues the PDF with its own 文号.
    assert jobs.for_inspection(db, inspection_id)["status"] == "queued"
    with app.app_context():
        issuing.ensure_documents(db, app.config, inspection_id)
    pdf_row = reports.current(db, inspection_id, "rectification_report")
    assert pdf_row is not None and pdf_row["doc_number"] == "青督改报〔2026〕1号"
    page = school.page(report_url)
    link = page.select_one("[data-report] a.primary")
    assert "青督改报〔2026〕1号" in link.get_text()
    pdf = school.get(link["href"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "整改报告" in text and "建立资助台账月度核对制度" in text and "整改方案.jpg" in text
    # Another school's account cannot open it.
    assert login("sch_b").get(link["href"]).status_code == 403

    # Sent: judged by the day it was stored (the real clock; only "today" is frozen here).
    sent = date.fromisoformat(local_time(stored["submitted_at"])[:10])
    expected = rules.clock(date(2026, 11, 20), 30, sent, date(2026, 12, 25)).label
    clocks = bureau.page("/review/clocks")
    row = clocks.select_one(f"[data-clock=reports] tr[data-inspection='{inspection_id}']")
    assert row.select_one("[data-state]").get_text() == expected
    assert "逾期未报 0 份" in clocks.select_one("[data-clock=reports] h2").get_text()


def test_a_send_back_starts_the_15_day_clock(receive, login, db, frozen):
    _, rows = receive()
    item_id = rows[0]["id"]
    school, reviewer, bureau = login("sch_a"), login("insp"), login("bureau")
    url = f"/school/rectifications/{item_id}/respond"
    school.post(
        url,
        {"measures": "措施", "result": "结果", "done_on": "2026-11-24",
         "version": version_on(school.page(url))},
        files=evidence(),
    )  # fmt: skip
    page = reviewer.page(f"/review/rectifications/{item_id}")
    reviewer.post(
        f"/review/rectifications/{item_id}/decide",
        {"action": "return", "comment": "缺少签字", "version": version_on(page, "#decide")},
    )
    # The decision was made today (real time), so the clock runs from today's date.
    returned = next(
        db.query("SELECT at FROM rectification_events WHERE kind = 'return' AND rectification_id = ?",
                 [item_id])
    )["at"]  # fmt: skip
    start = date.fromisoformat(local_time(returned)[:10])
    due = date.fromordinal(start.toordinal() + 15)
    frozen(date.fromordinal(due.toordinal() + 3).isoformat())
    clocks = bureau.page("/review/clocks")
    row = clocks.select_one(f"[data-clock=requests] tr[data-item='{item_id}']")
    assert row is not None and "late" in row["class"]
    assert due.isoformat() in row.get_text() and "已逾期 3 天" in row.get_text()
    assert school.get("/review/clocks").status_code == 403
    # Answered again: off the list.
    url = f"/school/rectifications/{item_id}/respond"
    frozen(due.isoformat())
    school.post(
        url,
        {"measures": "补签", "result": "已签", "done_on": due.isoformat(),
         "version": version_on(school.page(url))},
        files=evidence(3),
    )  # fmt: skip
    clocks = BeautifulSoup(bureau.get("/review/clocks").get_data(as_text=True), "html.parser")
    assert clocks.select_one(f"[data-clock=requests] tr[data-item='{item_id}']") is None


def test_overdue_items_are_escalated_once_to_the_school_the_unit_and_the_bureau(
    receive, login, db, county, frozen
):
    from inspect_app.rectification import notifications

    _, rows = receive()
    overdue = [r for r in rows if r["deadline"] < "2026-11-28"]
    assert len(overdue) >= 2  # the shipped checklist's 7-day items
    # One of them is the county's to fix: its escalation goes to the unit's account.
    unit_item = overdue[0]["id"]
    db.execute("UPDATE rectifications SET unit_id = ? WHERE id = ?", [county["unit"], unit_item])
    day = date(2026, 11, 28)
    sent = notifications.run_escalations(db, day)
    assert notifications.run_escalations(db, day) == 0  # once per deadline
    notes = list(db.query("SELECT * FROM notifications WHERE kind = 'escalated'"))
    # Each overdue item: one to its answerer (the school, or each unit account), one per bureau user.
    assert sent == len(notes) == 2 * len(overdue)
    to_school = [n for n in notes if n["school_id"]]
    assert len(to_school) == len(overdue) - 1 and {n["school_id"] for n in to_school} == {
        county["school_a"]
    }
    assert [n["user_id"] for n in notes if n["user_id"] == county["dept"]] == [county["dept"]]
    bureau_notes = [n for n in notes if n["user_id"] == county["bureau"]]
    assert len(bureau_notes) == len(overdue)
    assert all("已升级至县教育局督办" in n["text"] for n in notes)
    # The bureau's page lists them until they are closed.
    frozen("2026-11-28")
    page = login("bureau").page("/review/clocks")
    listed = {int(li["data-item"]) for li in page.select("[data-clock=escalated] li[data-item]")}
    assert listed == {r["id"] for r in overdue}
