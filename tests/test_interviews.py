"""Interview records (座谈了解) in an inspection: checked like the rest of the payload, a
statement marked as a finding becomes a rectification item, and the report prints them."""

from __future__ import annotations

import subprocess

import pytest

from inspect_app.documents import issuing
from inspect_app.inspections import catalog, interviews, receiving
from inspect_app.storage import inspections, reports, users

from . import factories

TEACHERS = {
    "group": "教师",
    "participants": 6,
    "topics": "乡村教师生活补助、培训",
    "statements": [
        {"text": "生活补助按月足额发放", "finding": False},
        {"text": "近两年没有参加过县级以上培训", "finding": True,
         "action": "制定本校教师培训计划，本学期内每人至少参加一次县级培训", "owner": "校长", "days": 45},
    ],
}  # fmt: skip


def test_good_interviews_are_kept_and_findings_become_rectification_rows():
    kept, problems = interviews.clean([TEACHERS])
    assert problems == {} and kept[0]["statements"][1]["days"] == 45
    rows = interviews.rectification_rows(kept, "2026-11-20", first_seq=4)
    assert rows == [{
        "item_id": "interview", "section_id": "interviews", "seq": 4,
        "problem": "座谈中教师反映：近两年没有参加过县级以上培训",
        "basis": "座谈了解：教师座谈（6 人）",
        "action": "制定本校教师培训计划，本学期内每人至少参加一次县级培训", "owner": "校长",
        "deadline": "2027-01-04", "unit": None, "unit_kind": None, "evidence_required": 1,
    }]  # fmt: skip
    assert interviews.clean(None) == ([], {})


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"group": "领导"}, "interviews.0.group", "第 1 场座谈：请选择座谈对象（教师、学生、家长、村干部、学校领导、其他）"),
        ({"participants": 0}, "interviews.0.participants", "第 1 场座谈：参加人数应为 1 至 1000 的整数"),
        ({"topics": "  "}, "interviews.0.topics", "第 1 场座谈：请填写座谈主题（不超过 300 字）"),
        ({"statements": []}, "interviews.0.statements", "第 1 场座谈：请至少记录一条主要反映"),
        ({"statements": [{"text": "x", "finding": True, "action": "", "owner": "校长", "days": 10}]},
         "interviews.0.statements.0.action", "第 1 场座谈第 1 条反映：列为问题时须填写整改措施"),
        ({"statements": [{"text": "x", "finding": True, "action": "a", "owner": "校长", "days": 400}]},
         "interviews.0.statements.0.days", "第 1 场座谈第 1 条反映：整改期限应为 1 至 365 天"),
        ({"statements": [{"text": "字" * 501}]}, "interviews.0.statements.0.text", "第 1 场座谈第 1 条反映：请填写内容（不超过 500 字）"),
    ],
)  # fmt: skip
def test_bad_interviews_are_refused_field_by_field(change, field, message):
    kept, problems = interviews.clean([{**TEACHERS, **change}])
    assert kept == [] and problems[field] == message


@pytest.fixture
def checklist(app):
    with app.app_context():
        return catalog.current()["fupin_comprehensive"].compiled


def test_the_phone_api_refuses_a_bad_interview_with_its_field(client, auth, county, checklist):
    auth.login("insp")
    token = client.get("/api/session").get_json()["csrf_token"]
    body = factories.payload(county["school_a"], checklist)
    body["interviews"] = [{**TEACHERS, "participants": "六"}]
    response = client.put(
        f"/api/inspections/{body['id']}", json=body, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 422
    assert response.get_json()["fields"] == {
        "interviews.0.participants": "第 1 场座谈：参加人数应为 1 至 1000 的整数"
    }
    body["interviews"] = [TEACHERS]
    assert (
        client.put(
            f"/api/inspections/{body['id']}", json=body, headers={"X-CSRFToken": token}
        ).status_code
        == 201
    )


def test_a_finding_from_an_interview_is_on_the_rectification_list_and_in_the_report(
    app, db, county, checklist
):
    body = factories.payload(county["school_a"], checklist, passing=False)
    body["interviews"] = [TEACHERS, {**TEACHERS, "group": "家长", "participants": 12,
                                     "topics": "营养餐", "statements": [{"text": "饭菜分量够"}]}]  # fmt: skip
    receiving.receive(db, body, body["id"], users.get(db, county["insp"]))
    rows = inspections.rectifications(db, body["id"])
    from_checklist = [r for r in rows if r["item_id"] != "interview"]
    interview_rows = [r for r in rows if r["item_id"] == "interview"]
    assert len(interview_rows) == 1 and from_checklist
    assert interview_rows[0]["seq"] == len(from_checklist) + 1
    assert interview_rows[0]["problem"] == "座谈中教师反映：近两年没有参加过县级以上培训"
    assert interview_rows[0]["deadline"] == "2027-01-04"

    issuing.issue_report(db, app.config, body["id"])
    data = reports.read(app.config["REPORTS_DIR"], reports.current(db, body["id"], "report"))
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    flat = text.replace("\n", "")
    assert "四、座谈了解" in text and "五、整改清单" in text and "六、签字确认" in text
    assert "教师座谈（6 人）" in text and "家长座谈（12 人）" in text
    assert "近两年没有参加过县级以上培训" in flat and "饭菜分量够" in flat
    assert "制定本校教师培训计划" in flat  # on the rectification list


def test_a_report_without_interviews_keeps_its_headings(app, db, county, checklist):
    body = factories.payload(county["school_a"], checklist)
    receiving.receive(db, body, body["id"], users.get(db, county["insp"]))
    issuing.issue_report(db, app.config, body["id"])
    data = reports.read(app.config["REPORTS_DIR"], reports.current(db, body["id"], "report"))
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    assert "、座谈了解" not in text and "四、整改清单" in text and "五、签字确认" in text


def test_the_inspection_page_lists_the_interviews(app, db, county, checklist):
    from .support import User

    body = factories.payload(county["school_a"], checklist)
    body["interviews"] = [TEACHERS]
    receiving.receive(db, body, body["id"], users.get(db, county["insp"]))
    page = User(app, "sch_a").page(f"/inspections/{body['id']}")
    card = page.select_one("#interviews")
    assert card.select_one("h3").get_text() == "教师座谈（6 人）"
    assert [li.get_text(" ", strip=True) for li in card.select("li")] == [
        "生活补助按月足额发放", "近两年没有参加过县级以上培训 列为问题",
    ]  # fmt: skip
