"""Responsible units (责任单位): an item a county department or township fixes.

The checklist's fix template (or the bureau) names the unit; the unit's account answers it (or
the bureau on its behalf); the school sees 「由县财政局负责」, cannot answer it, and is not
counted overdue for it.
"""

from __future__ import annotations

from datetime import date

from inspect_app.rectification import rules
from inspect_app.storage import units

from . import factories
from .support import event_kinds, item_row, version_on


def _result(*drafts: dict) -> dict:
    return {
        "rectifications": [
            {"section": "s", "problem": f"问题{n}", "action": "整改", "owner": "校长", "days": 30}
            | d
            for n, d in enumerate(drafts)
        ]
    }


def test_unit_comes_from_the_draft_or_the_fix_template():
    result = _result(
        {"item": "a", "unit": "县财政局"},  # the engine carried the template's unit
        {"item": "b"},  # only the template names it
        {"item": "c", "unit": "学校"},  # the school's own
        {"item": "d", "unit": "乡镇政府"},  # the school's township
        {"item": "e"},  # no unit anywhere: the school's
    )
    fixes = {"b": {"unit": "县编办"}, "d": {"unit": "乡镇政府"}}
    out = rules.items_from_result(result, None, "2026-11-20", fixes, township="东镇")
    assert [(i["item_id"], i["unit"], i["unit_kind"]) for i in out] == [
        ("a", "县财政局", "department"),
        ("b", "县编办", "department"),
        ("c", None, None),
        ("d", "东镇人民政府", "township"),
        ("e", None, None),
    ]


def test_fix_templates_read_from_a_compiled_checklist():
    compiled = {
        "sections": [
            {"items": [{"id": "x", "fix": {"unit": "县财政局"}}, {"id": "y"}]},
            {"items": [{"id": "z", "fix": {"action": "a"}}]},
        ]
    }
    assert rules.fix_templates(compiled) == {"x": {"unit": "县财政局"}, "z": {"action": "a"}}


def test_school_summary_does_not_count_a_units_overdue_item():
    rows = [
        {"status": "pending", "deadline": "2026-11-01", "unit_id": None},
        {"status": "pending", "deadline": "2026-11-01", "unit_id": 7},
        {"status": "closed", "deadline": "2026-11-01", "unit_id": 7},
    ]
    today = date(2026, 11, 25)
    school = rules.summarize(3, rows, today, school=True)
    assert (school.overdue, school.by_units) == (1, 1)
    assert school.units_note == "其中 1 个由县直部门或乡镇负责整改，不计入本校逾期。"
    reviewer = rules.summarize(3, rows, today)
    assert (reviewer.overdue, reviewer.units_note) == (2, "")


def test_receiving_keeps_each_items_unit(receive, db, monkeypatch, checklist):
    # Whatever the shipped checklists say today: a unit named for a finding is stored (created
    # on first use) and the item carries it; the school's own items carry none.
    fixes = rules.fix_templates(checklist)
    named = sorted(fixes)[::2]  # every other item with a template is the county's
    real = rules.items_from_result

    def with_units(result, edits, day, fixes=None, township=None):
        out = real(result, edits, day, fixes, township)
        for item in out:
            if item["item_id"] in named:
                item["unit"], item["unit_kind"] = "县住建局", "department"
            else:
                item["unit"] = item["unit_kind"] = None
        return out

    monkeypatch.setattr(rules, "items_from_result", with_units)
    _, rows = receive()
    unit = units.by_name(db, "县住建局")
    assert unit is not None and unit["kind"] == "department"
    assert {r["item_id"]: r["unit_id"] for r in rows} == {
        r["item_id"]: unit["id"] if r["item_id"] in named else None for r in rows
    }
    assert any(r["unit_id"] for r in rows) and not all(r["unit_id"] for r in rows)


def test_bureau_gives_an_item_to_a_department_which_answers_it(receive, login, db, county, frozen):
    _, rows = receive()
    item_id = rows[0]["id"]
    bureau, school, dept, reviewer = login("bureau"), login("sch_a"), login("dept"), login("insp")

    # The bureau names 县财政局 on the item's review page.
    review_url = f"/review/rectifications/{item_id}"
    page = bureau.page(review_url)
    response = bureau.post(
        f"{review_url}/unit", {"unit_id": county["unit"], "version": version_on(page, "#unit")}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert item_row(db, item_id)["unit_id"] == county["unit"]
    assert event_kinds(db, item_id) == ["created", "assign_unit"]

    # Past the deadline the school is not overdue for it, and sees who is responsible.
    frozen("2027-06-01")
    page = school.page("/school/rectifications")
    li = page.select_one(f"li[data-item='{item_id}']")
    assert "由县财政局负责" in li.get_text()
    assert "unit" in li["class"] and not li.select(".due")
    own_overdue = sum(1 for r in rows if r["id"] != item_id and not r["unit_id"])
    assert page.select_one("[data-summary]").get_text().endswith(f"逾期 {own_overdue} 个")
    assert "由县直部门或乡镇负责" in page.select_one("[data-units-note]").get_text()
    detail = school.page(f"/school/rectifications/{item_id}")
    assert "由其提交整改情况" in detail.select_one("[data-unit-banner]").get_text()
    assert not detail.select(f"a[href$='/{item_id}/respond']")
    refused = school.post(
        f"/school/rectifications/{item_id}/respond",
        {"measures": "m", "result": "r", "done_on": "2027-05-01", "version": "2"},
    )
    assert refused.status_code == 409 and "学校无需提交" in refused.get_data(as_text=True)
    assert item_row(db, item_id)["status"] == "pending"

    # The department lists only its items, and answers this one with evidence.
    listed = dept.page("/school/rectifications")
    ids = [int(li["data-item"]) for li in listed.select("li[data-item]")]
    assert item_id in ids
    assert {item_row(db, i)["unit_id"] for i in ids} == {county["unit"]}
    assert "东镇中心小学" in listed.select_one(f"li[data-item='{item_id}']").get_text()
    schools_own = next(r["id"] for r in rows if r["id"] != item_id and not r["unit_id"])
    assert dept.get(f"/school/rectifications/{schools_own}").status_code == 403
    respond_url = f"/school/rectifications/{item_id}/respond"
    response = dept.post(
        respond_url,
        {"measures": "县财政已拨付补助资金", "result": "资金已到校", "done_on": "2027-05-20",
         "version": version_on(dept.page(respond_url))},
        files={"evidence": [(factories.jpeg_bytes(3), "拨款凭证.jpg")]},
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    event = next(
        db.query(
            "SELECT actor, user_id FROM rectification_events WHERE rectification_id = ?"
            " AND kind = 'respond'",
            [item_id],
        )
    )
    assert event == {"actor": "县财政局", "user_id": county["dept"]}
    # The department sees its evidence; another school's account does not.
    evidence = dept.page(f"/school/rectifications/{item_id}").select_one(".files a")["href"]
    assert dept.get(evidence).status_code == 200
    assert login("sch_b").get(evidence).status_code == 404

    # The reviewer closes it, and the department's account is told.
    page = reviewer.page(review_url)
    response = reviewer.post(
        f"{review_url}/decide", {"action": "accept", "version": version_on(page, "#decide")}
    )
    assert response.status_code == 302
    notes = dept.page("/review/notifications").select_one(".notes").get_text()
    assert "整改已通过复查，已销号" in notes and "东镇中心小学" in notes


def test_bureau_answers_for_a_unit_but_not_for_a_school(receive, login, db, county):
    _, rows = receive()
    unit_item, school_item = [r["id"] for r in rows if not r["unit_id"]][:2]
    db.execute("UPDATE rectifications SET unit_id = ? WHERE id = ?", [county["unit"], unit_item])
    bureau = login("bureau")
    assert bureau.get(f"/school/rectifications/{school_item}/respond").status_code == 403
    url = f"/school/rectifications/{unit_item}/respond"
    page = bureau.page(url)
    assert page.select_one("a.back")["href"] == f"/review/rectifications/{unit_item}"
    response = bureau.post(
        url,
        {"measures": "代为填报", "result": "已完成", "done_on": "2026-11-24",
         "version": version_on(page)},
        files={"evidence": [(factories.jpeg_bytes(4), "x.jpg")]},
    )  # fmt: skip
    assert response.headers["Location"] == f"/review/rectifications/{unit_item}"
    actor = next(
        db.query(
            "SELECT actor FROM rectification_events WHERE rectification_id = ? AND kind = 'respond'",
            [unit_item],
        )
    )["actor"]
    assert actor == "教育局（代县财政局）"


def test_department_account_needs_its_unit(login, db, county):
    admin = login("admin")
    page = admin.page("/admin/users/new")
    assert page.select_one("select[name=unit_id]")
    response = admin.post(
        "/admin/users/new",
        {"username": "caizheng2", "display_name": "财政局王科长", "role": "department",
         "school_id": "0", "unit_id": "0", "password": "Qingshan-2026-cz", "active": "y"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "责任单位账号必须选择所属单位" in response.get_data(as_text=True)
    response = admin.post(
        "/admin/users/new",
        {"username": "caizheng2", "display_name": "财政局王科长", "role": "department",
         "school_id": "0", "unit_id": str(county["unit"]), "password": "Qingshan-2026-cz",
         "active": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    row = next(db.query("SELECT role, unit_id FROM users WHERE username = 'caizheng2'"))
    assert row == {"role": "department", "unit_id": county["unit"]}


def test_units_page_adds_a_township(login, db):
    bureau = login("bureau")
    response = bureau.post("/admin/units", {"name": "学校", "kind": "department"})
    assert response.status_code == 400 and "学校本身不是责任单位" in response.get_data(as_text=True)
    response = bureau.post(
        "/admin/units", {"name": "西乡人民政府", "kind": "township", "head": "乡长", "active": "y"}
    )
    assert response.status_code == 302
    assert units.by_name(db, "西乡人民政府")["kind"] == "township"
    assert "西乡人民政府" in bureau.page("/admin/units").get_text()
