"""The bureau's record of escalations (/review/escalations): each escalation with whom it was
raised against, the item, its deadline, how late it was, whether it was a repeat finding, and
whom it told when — filtered by period, responsible unit and reason."""

from __future__ import annotations

from datetime import date

from inspect_app.inspections import receiving
from inspect_app.rectification import notifications, rules
from inspect_app.storage import inspections, units, users
from inspect_app.storage import rectifications as items

from . import factories

TODAY = date(2026, 12, 10)


def _visit(db, county, checklist, day: str, school: str = "school_a"):
    body = factories.payload(county[school], checklist, passing=False, date=day)
    receiving.receive(db, body, body["id"], users.get(db, county["insp"]))
    return body["id"], inspections.rectifications(db, body["id"])


def _rows(page) -> dict[int, dict]:
    out = {}
    for tr in page.select("#escalations tr[data-escalation]"):
        out[int(tr["data-item"]), tr.select_one("[data-reason]").get_text(" ", strip=True)] = {
            "owner": tr.select_one("[data-owner]").get_text(" ", strip=True),
            "days": tr.select_one("[data-days]").get_text(),
            "told": [
                (
                    d.select_one("[data-who]").get_text(),
                    d["data-how"],
                    d.select_one("[data-state]").get_text(),
                )
                for d in tr.select("[data-told] div")
            ],
            "link": tr.select_one("a[href^='/review/rectifications/']")["href"],
            "cells": [td.get_text(" ", strip=True) for td in tr.select("td")],
        }
    return out


def test_the_bureau_lists_each_escalation_with_whom_it_told(db, county, checklist, login, frozen):
    # 11-18's items, one given to 县财政局 (whose head has an e-mail and a gateway number);
    # found again on 12-01 after some deadlines (escalated at once: 屡查屡犯), then the daily
    # run of 12-10 escalates every overdue item once for its deadline.
    _, first = _visit(db, county, checklist, "2026-11-18")
    late = sorted((r for r in first if r["deadline"] < "2026-12-01"), key=lambda r: r["id"])
    assert len(late) >= 2
    unit_item = items.get(db, late[0]["id"])
    units.update(db, county["unit"], head="王局长", head_email="wang@czj.gov.cn",
                 head_phone="13800000001")  # fmt: skip
    move = rules.assign_unit(unit_item, {"id": county["unit"], "name": "县财政局"})
    items.apply(db, unit_item, move, version=unit_item["version"], user_id=county["bureau"],
                actor="县教育局")  # fmt: skip
    _visit(db, county, checklist, "2026-12-01")
    # 西乡初级中学's visit, escalated too, then revoked: neither listed nor counted.
    revoked, _ = _visit(db, county, checklist, "2026-11-18", "school_b")
    notifications.run_escalations(db, TODAY)
    db.execute("UPDATE inspections SET status = 'revoked' WHERE id = ?", [revoked])
    recorded = db.execute(
        "SELECT count(*) FROM rectification_escalations WHERE school_id = ?", [county["school_a"]]
    ).fetchone()[0]
    assert recorded < db.execute("SELECT count(*) FROM rectification_escalations").fetchone()[0]
    assert recorded > len(late)  # repeats and overdue ones

    frozen(TODAY.isoformat())
    bureau = login("bureau")
    page = bureau.page("/review/escalations?period=month&key=2026-12")
    assert page.select_one("#escalations").find_previous("h2").get_text() == (
        f"升级记录（{recorded} 条）"
    )
    rows = _rows(page)
    assert len(rows) == recorded
    assert "西乡初级中学" not in page.select_one("#escalations").get_text()
    by_unit = {tr["data-unit"]: [td.get_text() for td in tr.select("td")]
               for tr in page.select("#escalations-by-unit tr[data-unit]")}  # fmt: skip
    assert by_unit[str(county["unit"])][1:] == ["1 所", "1", "2", "1"]
    assert by_unit["school"][1] == "1 所"
    own = late[1]
    deadline = own["deadline"]
    days = (TODAY - date.fromisoformat(deadline)).days

    # The school's own item, escalated for its deadline: the school and the bureau were told.
    row = rows[own["id"], "逾期未整改 屡查屡犯"]
    assert row["owner"] == "东镇中心小学"
    assert row["cells"][3] == deadline and row["days"] == f"{days} 天"
    assert row["link"] == f"/review/rectifications/{own['id']}"
    assert row["told"] == [
        ("东镇中心小学（学校账号）", "站内消息", "未读"),
        ("县教育局（1 个账号）", "站内消息", "0 人已读"),
    ]
    # Once the school has read its messages, the record says so.
    assert login("sch_a").post("/school/notifications/read").status_code == 302
    again = _rows(bureau.page("/review/escalations?period=month&key=2026-12"))
    assert again[own["id"], "逾期未整改 屡查屡犯"]["told"][0][2] == "已读"
    # The same item found again on 12-01 while overdue: its own escalation, 屡查屡犯.
    repeat = rows[own["id"], "逾期后检查再次发现 屡查屡犯"]
    assert repeat["days"] == f"{(date(2026, 12, 1) - date.fromisoformat(deadline)).days} 天"

    # The unit's item: raised against 县财政局, told its account and its head on both channels.
    row = rows[unit_item["id"], "逾期未整改 屡查屡犯"]
    assert row["owner"] == "县财政局 （东镇中心小学的事项）"
    dept = users.get(db, county["dept"])["display_name"]
    assert row["told"] == [
        (f"县财政局 {dept}（单位账号）", "站内消息", "未读"),
        ("县财政局王局长（wang@czj.gov.cn）", "邮件", "待发送"),
        ("县财政局王局长（13800000001）", "短信/微信", "待发送"),
        ("县教育局（1 个账号）", "站内消息", "0 人已读"),
    ]

    # Filtered by unit: only 县财政局's; the by-unit table links there.
    link = page.select_one(f"#escalations-by-unit tr[data-unit='{county['unit']}'] a")["href"]
    only_unit = _rows(bureau.page(link))
    assert {item for item, _ in only_unit} == {unit_item["id"]}
    schools_only = _rows(bureau.page("/review/escalations?period=month&key=2026-12&unit=school"))
    assert unit_item["id"] not in {item for item, _ in schools_only}
    assert len(schools_only) + len(only_unit) == recorded
    repeats = _rows(bureau.page("/review/escalations?period=month&key=2026-12&reason=repeat"))
    assert repeats and all(reason == "逾期后检查再次发现 屡查屡犯" for _, reason in repeats)
    # Counted by the day they were made: November had none.
    november = bureau.page("/review/escalations?period=month&key=2026-11")
    assert not november.select("#escalations tr[data-escalation]")
    assert "本时段没有逾期升级的事项。" in november.select_one("#escalations").get_text()
    # A period that names nothing: a Chinese message, this month shown.
    bad = bureau.get("/review/escalations?period=month&key=2026-13")
    assert bad.status_code == 400 and "已改为显示本月" in bad.get_data(as_text=True)
    # The clocks page leads here.
    clocks = bureau.page("/review/clocks")
    assert clocks.select_one("a[data-escalation-log]")["href"] == "/review/escalations"
