"""Surveys (满意度测评、调查问卷): the survey language, the index, the privacy threshold, the
respondent's public answer endpoint and its guards, the bureau's pages and the poster."""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
import uuid
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from inspect_app.checklist import Checklist, check_file, load_checklist
from inspect_app.inspections import catalog
from inspect_app.storage import surveys as stored
from inspect_app.surveys import answers as rules
from inspect_app.surveys import gathering
from inspect_app.surveys.results import index, school_results

from .support import User

SURVEYS = Path(__file__).resolve().parent.parent / "checklists" / "surveys"

# A small valid survey; lines 1-14 are the header, sections start on line 15.
GOOD = """\
id: mini
kind: survey
title: 小问卷
version: "1"
basis: 测试
respondents: [parent, student]
satisfaction:
  label: 满意率
  satisfied: [yes_s, fairly]
  excluded: [unknown]
sections:
  - id: one
    title: 第一部分
    items:
      - id: meals
        type: choice
        label: 饭菜满意吗
        choices: &scale
          - {value: yes_s, label: 满意}
          - {value: fairly, label: 比较满意}
          - {value: bad, label: 不满意}
          - {value: unknown, label: 不了解}
      - id: boards
        type: yesno
        label: 住校吗
      - id: dorm
        type: choice
        label: 宿舍满意吗
        relevant: "boards == true"
        choices: *scale
      - id: note
        type: text
        label: 建议
"""


def _write(tmp_path: Path, text: str, name: str = "mini.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _errors(tmp_path: Path, text: str) -> list[str]:
    checklist, errors = check_file(_write(tmp_path, text))
    assert checklist is None, "a broken survey must not load"
    return [str(e) for e in errors]


# --------------------------------------------------------------------------- the language


def test_shipped_surveys_load_as_surveys():
    parent = load_checklist(SURVEYS / "parent_satisfaction.yaml")
    teacher = load_checklist(SURVEYS / "teacher_conditions.yaml")
    assert (parent.kind, parent.respondents) == ("survey", ["parent"])
    assert (teacher.kind, teacher.respondents) == ("survey", ["teacher"])
    # the four themes of seed 001 the parents are asked about, and the teachers' three
    assert [s["title"] for s in parent.sections] == ["学生资助", "营养餐", "寄宿条件", "控辍保学"]
    assert [s["title"] for s in teacher.sections] == ["待遇", "培训", "交流"]
    assert "boarding_conditions" in parent.satisfaction["rated"]
    assert parent.grades == [] and all(not i["points"] for i in parent.items.values())


def test_a_good_survey_loads_and_an_inspection_keeps_its_hash(tmp_path):
    survey = load_checklist(_write(tmp_path, GOOD))
    assert survey.satisfaction == {
        "label": "满意率", "satisfied": ["yes_s", "fairly"], "excluded": ["unknown"],
        "rated": ["meals", "dorm"],
    }  # fmt: skip
    assert survey.items["meals"]["required"] is False  # a respondent may skip a question
    inspection = load_checklist(
        Path(__file__).parent.parent / "checklists" / "canteen_special.yaml"
    )
    assert inspection.kind == "inspection" and "kind" not in inspection.compiled


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("kind: survey", "kind: poll"), "mini.yaml:2:7: 字段 kind：只能是 inspection（检查单）或 survey（调查问卷），不能是 poll"),
        (("respondents: [parent, student]", "respondents: [parents]"), "mini.yaml:6:14: 字段 respondents：未知的调查对象 parents，是否想写 parent？"),
        (("  satisfied: [yes_s, fairly]", "  satisfied: [yes_s, great]"), "mini.yaml:9:14: 字段 satisfaction：选项值 great 不是任何单选题的选项"),
        (("  excluded: [unknown]", "  excluded: [fairly]"), "字段 satisfaction：选项值不能既算满意又不计入：fairly"),
        (("respondents: [parent, student]\n", ""), "mini.yaml:1:1: 字段 respondents：缺少必填字段 respondents"),
        (("        type: yesno\n", "        type: yesno\n        points: 2\n"), "条目 boards 字段 points：调查问卷不评分、不产生整改项，不能设置 points"),
        (("      - id: note\n        type: text", "      - id: note\n        type: photo"), "条目 note 字段 type：调查问卷不能使用照片题"),
        (("sections:\n", "grades:\n  - {grade: 合格, min: 0}\nsections:\n"), "字段 grades：调查问卷不评等级，不能设置 grades"),
        (("{value: bad, label: 不满意}", "{value: bad, label: 不满意, fail: true}"), "条目 meals 字段 choices：调查问卷的选项不判合格与否，不能设置 fail"),
    ],
)  # fmt: skip
def test_bad_survey_files_are_refused_with_a_chinese_error(tmp_path, change, expected):
    old, new = change
    assert old in GOOD
    errors = _errors(tmp_path, GOOD.replace(old, new, 1))
    assert any(expected in e for e in errors), errors


def test_survey_keys_are_refused_on_an_inspection_checklist(tmp_path):
    text = (Path(__file__).parent.parent / "checklists" / "canteen_special.yaml").read_text("utf-8")
    text = text.replace("grades:", "respondents: [parent]\ngrades:", 1)
    _, errors = check_file(_write(tmp_path, text, "canteen_special.yaml"))
    assert any("respondents 只用于调查问卷（kind: survey）" in str(e) for e in errors)


def test_no_rated_question_means_no_index(tmp_path):
    text = GOOD.replace("satisfied: [yes_s, fairly]", "satisfied: [yes_s]").replace(
        "{value: yes_s, label: 满意}", "{value: yes_s2, label: 满意}"
    )
    errors = _errors(tmp_path, text)
    assert any("选项值 yes_s 不是任何单选题的选项" in e for e in errors), errors


# --------------------------------------------------------------------------- index and threshold


@pytest.fixture
def mini(tmp_path) -> Checklist:
    return load_checklist(_write(tmp_path, GOOD))


SCHOOL = {"code": "X", "name": "测试小学", "stage": "小学", "boarding": True}


def test_index_is_satisfied_over_counted_answers_and_excluded_answers_do_not_count(mini):
    responses = [
        {"group": "parent", "answers": {"meals": "yes_s", "boards": True, "dorm": "bad"}},
        {"group": "parent", "answers": {"meals": "fairly", "boards": False, "dorm": "bad"}},
        {"group": "parent", "answers": {"meals": "unknown"}},
        {"group": "parent", "answers": {"meals": "bad"}},
        {"group": "parent", "answers": {"meals": "yes_s", "note": "食堂很好"}},
    ]
    result = school_results(mini, SCHOOL, responses, min_responses=5)
    parent = result["groups"][0]
    # meals: 3 satisfied of 4 counted (不了解 left out); dorm: 0 of 1 (the second answer to
    # dorm was hidden by boards=false, so it is not counted)
    assert (parent["satisfied"], parent["counted"], parent["index"]) == (3, 5, 60.0)
    meals = next(q for q in parent["questions"] if q["id"] == "meals")
    assert [(c["value"], c["count"], c["share"]) for c in meals["choices"]] == [
        ("yes_s", 2, 40.0), ("fairly", 1, 20.0), ("bad", 1, 20.0), ("unknown", 1, 20.0),
    ]  # fmt: skip
    assert meals["index"] == 75.0
    dorm = next(q for q in parent["questions"] if q["id"] == "dorm")
    assert dorm["answered"] == 1 and dorm["index"] == 0.0
    assert next(q for q in parent["questions"] if q["id"] == "note")["texts"] == ["食堂很好"]
    student = result["groups"][1]
    assert student == {"group": "student", "name": "学生", "responses": 0, "shown": False,
                       "index": None, "satisfied": None, "counted": None, "questions": []}  # fmt: skip


def test_four_responses_show_a_count_and_no_figures(mini):
    responses = [{"group": "parent", "answers": {"meals": "yes_s"}}] * 4
    parent = school_results(mini, SCHOOL, responses, min_responses=5)["groups"][0]
    assert parent["responses"] == 4 and parent["shown"] is False
    assert parent["index"] is None and parent["questions"] == []
    parent = school_results(mini, SCHOOL, responses * 2, min_responses=5)["groups"][0]
    assert parent["shown"] is True and parent["index"] == 100.0


def test_index_rounds_half_away_from_zero():
    assert index(1, 3) == 33.3 and index(2, 3) == 66.7 and index(1, 8) == 12.5
    assert index(0, 0) is None


def test_a_submission_is_cleaned_by_the_survey(mini):
    group, answers = rules.clean(
        mini, SCHOOL,
        {"group": "student", "answers": {"meals": "fairly", "boards": False, "dorm": "bad", "note": "  好  "}},
    )  # fmt: skip
    assert group == "student" and answers == {"meals": "fairly", "boards": False, "note": "好"}
    for body, message in [
        ({"group": "teacher", "answers": {"meals": "bad"}}, "请选择您的身份（家长、学生）"),
        ({"group": "parent", "answers": {"meals": "maybe"}}, "“饭菜满意吗”的选项无效，请重新选择"),
        ({"group": "parent", "answers": {"ghost": "x"}}, "问卷已更新，请刷新页面后重新填写"),
        (
            {"group": "parent", "answers": {"note": "字" * 301}},
            "“建议”最多填写 300 个字（现在 301 个字）",
        ),
        ({"group": "parent", "answers": {}}, "您还没有回答任何问题"),
    ]:
        with pytest.raises(rules.SubmissionError) as caught:
            rules.clean(mini, SCHOOL, body)
        assert caught.value.message == message


def test_an_address_is_kept_only_as_a_daily_keyed_hash():
    one = rules.address_key("secret", "10.0.0.1", "2026-12-02")
    assert one == rules.address_key("secret", "10.0.0.1", "2026-12-02")
    assert one != rules.address_key("secret", "10.0.0.1", "2026-12-03")
    assert one != rules.address_key("other", "10.0.0.1", "2026-12-02")
    assert "10.0.0.1" not in one and len(one) == 32


# --------------------------------------------------------------------------- the public endpoint


@pytest.fixture
def parent_round(app, db, county):
    with app.app_context():
        survey = catalog.surveys()["parent_satisfaction"]
    round_id = stored.create_round(
        db, survey_id=survey.id, survey_hash=survey.hash, title="家长满意度测评（测试）",
        school_ids=[county["school_a"], county["school_b"]], created_by=county["bureau"],
    )  # fmt: skip
    codes = {r["school_id"]: r["code"] for r in stored.round_schools(db, round_id)}
    return {"id": round_id, "codes": codes, "survey": survey}


def _token(client, code: str) -> str:
    html = client.get(f"/s/{code}").get_data(as_text=True)
    return json.loads(BeautifulSoup(html, "html.parser").find(id="survey-data").string)["token"]


def _body(token: str, device: str, answers: dict | None = None, **extra) -> dict:
    return {"token": token, "device": device, "id": str(uuid.uuid4()),
            "answers": answers or {"overall": "satisfied"}, **extra}  # fmt: skip


def _count(db, round_id: int) -> int:
    return stored.counts(db, round_id) and sum(stored.counts(db, round_id).values())


def test_respondent_page_is_small_and_names_the_school(client, parent_round, county):
    code = parent_round["codes"][county["school_b"]]
    response = client.get(f"/s/{code}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.find("h1").get_text() == "西乡初级中学"
    # only this server's scripts, no third-party request, no cookie
    sources = [s.get("src") for s in page.find_all("script") if s.get("src")]
    assert sources == ["/static/js/survey.js"]
    assert not page.find_all("link") and "Set-Cookie" not in response.headers
    # the boarding school gets the boarding questions; the questions come from the survey
    assert page.select_one('fieldset[data-item="boarding_conditions"]') is not None
    assert len(response.data) < 40_000
    # The privacy promise on the page is the threshold the server applies.
    assert "每所学校回收满 5 份后才显示统计结果" in page.get_text()


def test_respondent_page_states_the_configured_threshold(app, client, parent_round, county):
    app.config["SURVEY_MIN_RESPONSES"] = 8
    page = client.get(f"/s/{parent_round['codes'][county['school_a']]}").get_data(as_text=True)
    assert "回收满 8 份后才显示" in page and "回收满 5 份" not in page


def test_one_answer_per_device_and_a_resend_is_not_a_second(client, db, parent_round, county):
    code = parent_round["codes"][county["school_a"]]
    token = _token(client, code)
    body = _body(token, "device-token-aaaaaaaa")
    first = client.post(f"/s/{code}", json=body)
    assert first.status_code == 201 and first.json["thanks"] == f"/s/{code}/thanks"
    # the reply was lost and the phone sends the same answer again: accepted, stored once
    assert client.post(f"/s/{code}", json=body).status_code == 200
    again = client.post(f"/s/{code}", json=_body(token, "device-token-aaaaaaaa"))
    assert again.status_code == 409 and "已经提交过" in again.json["message"]
    rows = list(db.query("SELECT * FROM survey_responses"))
    assert len(rows) == 1 and rows[0]["device_hash"] == rules.device_key(
        "device-token-aaaaaaaa", parent_round["id"]
    )
    assert rows[0]["respondent_group"] == "parent" and json.loads(rows[0]["answers"]) == {
        "overall": "satisfied"
    }
    # nothing that could name the person: no address, no time of day, no token in clear
    assert set(rows[0]) == {"id", "round_id", "school_id", "respondent_group", "device_hash",
                            "answers", "received_on"}  # fmt: skip
    assert "device-token" not in json.dumps(rows)


def test_forged_or_foreign_tokens_honeypot_and_sizes_store_nothing(
    client, db, parent_round, county
):
    code_a = parent_round["codes"][county["school_a"]]
    code_b = parent_round["codes"][county["school_b"]]
    token_b = _token(client, code_b)
    forged = client.post(f"/s/{code_a}", json=_body("x" * 40, "device-token-bbbbbbbb"))
    assert forged.status_code == 400 and "页面已过期" in forged.json["message"]
    # a token for school B's link does not open school A's
    assert (
        client.post(f"/s/{code_a}", json=_body(token_b, "device-token-bbbbbbbb")).status_code == 400
    )
    bot = client.post(
        f"/s/{code_b}", json=_body(token_b, "device-token-cccccccc", website="http://spam")
    )
    assert bot.status_code == 201  # thanked like anyone, so it does not learn to adapt
    big = client.post(f"/s/{code_b}", data=b"{" + b" " * rules.MAX_BODY_BYTES + b"}",
                      content_type="application/json")  # fmt: skip
    assert big.status_code == 413
    bad = client.post(
        f"/s/{code_b}", json=_body(token_b, "device-token-dddddddd", {"overall": "great"})
    )
    assert bad.status_code == 422 and bad.json == {
        "message": "“总的来说，您对孩子学校的工作满意吗？”的选项无效，请重新选择",
        "field": "overall",
    }
    assert db.table("survey_responses").count == 0


def test_per_address_limit_answers_429_and_forgets_the_address(
    app, client, db, parent_round, county
):
    app.config["SURVEY_ADDRESS_LIMIT"] = 3
    code = parent_round["codes"][county["school_a"]]
    token = _token(client, code)
    statuses = [
        client.post(f"/s/{code}", json=_body(token, f"device-token-{n:08d}")).status_code
        for n in range(5)
    ]
    assert statuses == [201, 201, 201, 429, 429]
    assert db.table("survey_responses").count == 3
    hashes = {r["address_hash"] for r in db.query("SELECT address_hash FROM survey_throttle")}
    assert len(hashes) == 1 and "127.0.0.1" not in next(iter(hashes))
    # once the window has passed the hashed address is deleted
    db.execute("UPDATE survey_throttle SET at = '2000-01-01T00:00:00Z'")
    db.conn.commit()
    assert client.post(f"/s/{code}", json=_body(token, "device-token-later000")).status_code == 201
    assert db.table("survey_throttle").count == 1


def test_a_closed_round_says_so(client, db, parent_round, county):
    code = parent_round["codes"][county["school_a"]]
    token = _token(client, code)
    stored.close_round(db, parent_round["id"])
    page = client.get(f"/s/{code}")
    assert page.status_code == 410 and "本次调查已结束" in page.get_data(as_text=True)
    late = client.post(f"/s/{code}", json=_body(token, "device-token-eeeeeeee"))
    assert late.status_code == 410 and late.json["closed"] is True
    assert db.table("survey_responses").count == 0


# --------------------------------------------------------------------------- the bureau's pages


def _answer(client, code: str, n: int, answers: dict) -> None:
    response = client.post(
        f"/s/{code}", json=_body(_token(client, code), f"device-{n:012d}", answers)
    )
    assert response.status_code == 201, response.json


def test_round_page_shows_figures_from_five_responses_equal_to_stored_answers(
    app, client, db, parent_round, county
):
    code = parent_round["codes"][county["school_b"]]
    picks = ["satisfied", "fairly_satisfied", "average", "unknown", "dissatisfied"]
    for n in range(4):
        _answer(client, code, n, {"overall": picks[n], "child_boards": True,
                                  "boarding_conditions": picks[n + 1]})  # fmt: skip
    bureau = User(app, "bureau")
    url = f"/bureau/surveys/{parent_round['id']}"
    row = bureau.page(url).select_one(f'tr[data-school="{county["school_b"]}"]')
    assert row.select_one('td[data-group="parent"]').get_text() == "4"
    assert "不足 5 份，不显示" in row.select_one("td.index").get_text()
    detail = bureau.page(f"{url}/schools/{county['school_b']}")
    assert detail.select_one("#below-threshold-parent") is not None
    assert not detail.select(".question")

    _answer(client, code, 4, {"overall": "dissatisfied", "aid_fair": "satisfied"})
    row = bureau.page(url).select_one(f'tr[data-school="{county["school_b"]}"]')
    # straight from the stored rows, counted here without the app's code
    satisfied = counted = 0
    for stored_row in db.query("SELECT answers FROM survey_responses WHERE school_id = ?",
                               [county["school_b"]]):  # fmt: skip
        answers = json.loads(stored_row["answers"])
        for item in parent_round["survey"].satisfaction["rated"]:
            value = answers.get(item)
            if value is not None and value != "unknown":
                counted += 1
                satisfied += value in ("satisfied", "fairly_satisfied")
    assert (satisfied, counted) == (4, 8)
    assert row.select_one("td.index").get_text(strip=True) == f"{satisfied * 100 / counted:.1f}%"
    detail = bureau.page(f"{url}/schools/{county['school_b']}")
    overall = detail.select_one('.question[data-item="overall"]')
    assert [td.get_text() for td in overall.select("td.num")][:2] == ["1", "20.0%"]


def test_open_round_form_errors_in_chinese_and_nothing_lost(app, db, county):
    bureau = User(app, "bureau")
    response = bureau.post("/bureau/surveys/", {"survey": "parent_satisfaction", "period": "2026-T9",
                                                "closes_on": "2020-01-01"})  # fmt: skip
    assert response.status_code == 400
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    errors = [p.get_text() for p in page.select("#open-round .error")]
    assert errors == [
        "请选择调查时段",
        "请选择至少一所学校、一个乡镇或全部学校",
        "截止日期不能早于今天",
    ]
    assert page.select_one("#survey option[selected]")["value"] == "parent_satisfaction"
    assert db.table("survey_rounds").count == 0


def test_bureau_opens_a_round_for_all_schools_and_for_one_inspection(app, db, county):
    from inspect_app.inspections import receiving
    from inspect_app.storage import users

    from .factories import payload

    bureau = User(app, "bureau")
    page = bureau.page("/bureau/surveys/")
    period = page.select_one("#period option")["value"]
    response = bureau.post("/bureau/surveys/", {"survey": "teacher_conditions", "period": period,
                                                "all_schools": "1"})  # fmt: skip
    assert response.status_code == 302
    first = stored.rounds(db)[0]
    assert first["school_count"] == 3 and first["period_key"] == period
    with app.app_context():
        checklist = catalog.current()["fupin_comprehensive"].compiled
    body = payload(county["school_c"], checklist)
    receiving.receive(db, body, body["id"], users.get(db, county["insp"]))
    response = bureau.post("/bureau/surveys/", {"survey": "parent_satisfaction",
                                                "inspection_id": body["id"]})  # fmt: skip
    assert response.status_code == 302
    linked = stored.rounds(db)[0]
    assert linked["inspection_id"] == body["id"] and linked["school_count"] == 1
    assert [r["school_id"] for r in stored.round_schools(db, linked["id"])] == [county["school_c"]]
    # closing it: the link now says the round has ended
    code = stored.round_schools(db, linked["id"])[0]["code"]
    bureau.post(f"/bureau/surveys/{linked['id']}/close")
    assert bureau.get(f"/s/{code}").status_code == 410


def test_surveys_are_never_offered_or_counted_as_inspections(app, db, county):
    inspector = User(app, "insp")
    offered = {c["id"] for c in inspector.get("/api/bootstrap").json["checklists"]}
    assert "fupin_comprehensive" in offered
    assert not offered & {"parent_satisfaction", "teacher_conditions"}
    ids = {r["checklist_id"] for r in db.query("SELECT checklist_id FROM checklist_versions")}
    assert "parent_satisfaction" not in ids
    survey_ids = {r["survey_id"] for r in db.query("SELECT survey_id FROM survey_versions")}
    assert survey_ids == {"parent_satisfaction", "teacher_conditions"}


def test_a_survey_in_the_checklist_folder_stops_the_start_with_a_clear_message(tmp_path):
    from inspect_app.inspections.catalog import ChecklistStartupError

    from .instances import make_app

    folder = tmp_path / "checklists"
    folder.mkdir()
    (folder / "parent_satisfaction.yaml").write_bytes(
        (SURVEYS / "parent_satisfaction.yaml").read_bytes()
    )
    with pytest.raises(ChecklistStartupError) as caught:
        make_app(tmp_path / "instance", CHECKLIST_DIR=str(folder))
    assert "调查问卷（kind: survey）应放在 surveys/ 子目录" in caught.value.format_message()


# --------------------------------------------------------------------------- the poster


def test_poster_is_one_a4_page_whose_qr_opens_the_school_link(app, parent_round, county, tmp_path):
    import zxingcpp
    from PIL import Image

    bureau = User(app, "bureau")
    school_id = county["school_b"]
    response = bureau.get(f"/bureau/surveys/{parent_round['id']}/posters/{school_id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(response.data)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+1\n", info) and "595.276 x 841.89 pts (A4)" in info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    assert "西乡初级中学" in text.stdout and "尊敬的家长" in text.stdout
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-singlefile", str(pdf), str(tmp_path / "poster")],
                   check=True)  # fmt: skip
    found = zxingcpp.read_barcodes(Image.open(tmp_path / "poster.png"))
    code = parent_round["codes"][school_id]
    assert [b.text for b in found] == [f"{app.config['PUBLIC_URL']}/s/{code}"]


def test_the_bureau_page_of_a_school_shows_its_satisfaction(app, client, parent_round, county):
    code = parent_round["codes"][county["school_a"]]
    bureau = User(app, "bureau")
    url = f"/bureau/schools/{county['school_a']}"
    assert bureau.page(url).select_one("#survey-results td.num").get_text() == "0"
    for n in range(5):
        _answer(client, code, n, {"overall": "satisfied" if n < 4 else "dissatisfied"})
    panel = bureau.page(url).select_one("#survey-results")
    assert panel.select_one("th a").get_text() == "家长满意度测评（测试）"
    assert [td.get_text(strip=True) for td in panel.select("td")] == ["家长", "5", "80.0%"]
    # a school that was not asked shows no such section
    assert (
        bureau.page(f"/bureau/schools/{county['school_c']}").select_one("#survey-results") is None
    )


def test_a_school_sees_its_own_satisfaction_and_no_other_schools(app, client, parent_round, county):
    for n in range(5):
        _answer(
            client, parent_round["codes"][county["school_a"]], n, {"overall": "fairly_satisfied"}
        )
    own = User(app, "sch_a").page(f"/schools/{county['school_a']}").select_one("#survey-results")
    assert [td.get_text(strip=True) for td in own.select("td")] == ["家长", "5", "100.0%"]
    assert own.select("a") == []  # the bureau's result pages are not the school's
    assert User(app, "sch_a").get(f"/schools/{county['school_b']}").status_code == 403
    # school B was asked in the same round but has no answers yet: a count, no figure
    other = User(app, "sch_b").page(f"/schools/{county['school_b']}").select_one("#survey-results")
    assert [td.get_text(strip=True) for td in other.select("td")] == [
        "家长",
        "0",
        "不足 5 份，不显示",
    ]


def test_the_xlsx_export_has_a_satisfaction_sheet_with_the_threshold(
    app, client, db, parent_round, county
):
    import io
    import threading

    from openpyxl import load_workbook

    from inspect_app.bureau import export_jobs
    from inspect_app.common import periods
    from inspect_app.common.clock import today_in_china
    from inspect_app.storage.db import open_database

    for n in range(5):
        _answer(client, parent_round["codes"][county["school_b"]], n,
                {"overall": "satisfied" if n else "average"})  # fmt: skip
    _answer(client, parent_round["codes"][county["school_a"]], 9, {"overall": "satisfied"})
    bureau = User(app, "bureau")
    term = periods.current_period("term", today_in_china())
    response = bureau.post("/bureau/exports", {"period": "term", "key": term.key, "format": "xlsx"})
    assert response.status_code == 302
    job = response.headers["Location"].rsplit("/", 1)[1]
    worker_db = open_database(app.config["DATABASE"])
    try:
        assert export_jobs.ExportWorker(app.config, threading.Event()).run_once(worker_db)
    finally:
        worker_db.close()
    status = bureau.get(f"/bureau/exports/{job}.json").get_json()
    book = load_workbook(io.BytesIO(bureau.get(status["download"]).data), read_only=True)
    rows = list(book["满意度测评"].values)
    assert rows[0] == (
        "调查",
        "调查时段",
        "学校代码",
        "学校名称",
        "乡镇",
        "调查对象",
        "答卷数",
        "满意度",
        "说明",
    )
    by_school = {r[3]: r for r in rows[1:]}
    assert set(by_school) == {"西乡初级中学", "东镇中心小学"}  # school C was not asked
    # 4 of 5 answers 满意; the cell is a percentage (0.8 shows as 80.0%)
    assert by_school["西乡初级中学"][5:8] == ("家长", 5, 0.8) and not by_school["西乡初级中学"][8]
    assert by_school["东镇中心小学"][5:] == ("家长", 1, None, "不足 5 份，不显示")


def test_a_round_for_one_inspection_shows_on_that_inspection_page(app, client, db, county):
    from inspect_app.inspections import receiving
    from inspect_app.storage import users

    from .factories import payload

    with app.app_context():
        checklist = catalog.current()["fupin_comprehensive"].compiled
    body = payload(county["school_a"], checklist)
    receiving.receive(db, body, body["id"], users.get(db, county["insp"]))
    bureau = User(app, "bureau")
    bureau.post("/bureau/surveys/", {"survey": "parent_satisfaction", "inspection_id": body["id"]})
    code = stored.round_schools(db, stored.rounds(db)[0]["id"])[0]["code"]
    page = User(app, "sch_a").page(f"/inspections/{body['id']}")
    cells = [td.get_text(strip=True) for td in page.select("#inspection-surveys td")]
    assert cells[1:] == ["家长", "0", "不足 5 份，不显示"]
    for n in range(5):
        _answer(client, code, n, {"overall": "satisfied", "meal_quality": "dissatisfied"})
    page = User(app, "sch_a").page(f"/inspections/{body['id']}")
    assert page.select_one("#inspection-surveys td.index").get_text(strip=True) == "50.0%"


def test_the_round_page_explains_the_index_in_the_respondents_words(app, parent_round):
    page = User(app, "bureau").page(f"/bureau/surveys/{parent_round['id']}")
    text = page.get_text()
    assert "选择“满意、比较满意”的回答占有效回答的比例（“不了解”不计入）" in text
    assert "fairly_satisfied" not in text


def test_the_ranking_has_a_satisfaction_column(app, client, db, received, county):
    from .support import TERM

    with app.app_context():
        survey = catalog.surveys()["parent_satisfaction"]
    round_id = stored.create_round(
        db, survey_id=survey.id, survey_hash=survey.hash, title="家长满意度测评",
        school_ids=[county["school_a"], county["school_b"]], created_by=county["bureau"],
    )  # fmt: skip
    codes = {r["school_id"]: r["code"] for r in stored.round_schools(db, round_id)}
    for n in range(5):
        _answer(client, codes[county["school_a"]], n, {"overall": "satisfied"})
    _answer(client, codes[county["school_b"]], 7, {"overall": "satisfied"})
    page = User(app, "bureau").page(
        "/bureau/ranking?" + "&".join(f"{k}={v}" for k, v in TERM.items())
    )
    headers = [th.get_text(strip=True) for th in page.select("#ranking thead th")]
    column = headers.index("社会认可度")
    cells = {
        tr.select_one("th a").get_text(): tr.find_all(["td", "th"])[column].get_text(strip=True)
        for tr in page.select("#ranking tbody tr")
    }
    assert cells["东镇中心小学"] == "100.0%"
    assert cells["西乡初级中学"] == "1 份"  # below the threshold: the count, not a figure


def test_the_bulletin_prints_satisfaction_only_for_schools_over_the_threshold(
    app, client, db, received, county, tmp_path
):
    from datetime import date

    from inspect_app.bureau import bulletins
    from inspect_app.common import periods

    with app.app_context():
        survey = catalog.surveys()["parent_satisfaction"]
    round_id = stored.create_round(
        db, survey_id=survey.id, survey_hash=survey.hash, title="家长满意度测评（第四季度）",
        school_ids=[county["school_a"], county["school_b"]], created_by=county["bureau"],
    )  # fmt: skip
    codes = {r["school_id"]: r["code"] for r in stored.round_schools(db, round_id)}
    for n in range(5):
        _answer(
            client, codes[county["school_a"]], n, {"overall": "satisfied" if n < 3 else "average"}
        )
    for n in range(5, 9):
        _answer(client, codes[county["school_b"]], n, {"overall": "dissatisfied"})
    today = date(2026, 12, 20)
    period = periods.parse_period("quarter", "2026-Q4", today)
    draft = bulletins.prepare(db, period, "fupin_comprehensive", "", today)
    pdf = bulletins.render(draft, app.config, report_id=None, version=1)
    (tmp_path / "b.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "b.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    flat = "".join(text.split())
    assert "社会认可度（满意度测评）" in flat
    assert "家长满意度测评（第四季度）：共2所学校参加" in flat
    assert "东镇中心小学东镇家长5份60.0%" in flat
    # school B has 4 answers: neither its figure nor its row is printed
    start = flat.index("社会认可度（满意度测评）")
    section = flat[start : flat.index("工作要求", start)]
    assert "西乡初级中学" not in section


def test_a_report_issued_after_the_answers_carries_the_round_of_its_inspection(
    app, client, db, county
):
    from inspect_app.documents import issuing
    from inspect_app.inspections import receiving
    from inspect_app.storage import reports, users

    from .factories import payload

    with app.app_context():
        checklist = catalog.current()["fupin_comprehensive"].compiled
    body = payload(county["school_a"], checklist)
    receiving.receive(db, body, body["id"], users.get(db, county["insp"]))
    User(app, "bureau").post(
        "/bureau/surveys/", {"survey": "parent_satisfaction", "inspection_id": body["id"]}
    )
    code = stored.round_schools(db, stored.rounds(db)[0]["id"])[0]["code"]
    for n in range(6):
        _answer(
            client,
            code,
            n,
            {"overall": "satisfied" if n % 2 else "fairly_satisfied", "aid_fair": "average"},
        )
    issuing.issue_report(db, app.config, body["id"])
    data = reports.read(app.config["REPORTS_DIR"], reports.current(db, body["id"], "report"))
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout
    flat = "".join(text.decode().split())
    assert "四、满意度测评" in flat and "五、整改清单" in flat
    section = flat[flat.index("四、满意度测评") : flat.index("五、整改清单")]
    # 6 parents, 6 of their 12 rated answers satisfied (aid_fair: 一般)
    assert "家长" in section and "6份" in section and "50.0%" in section


def test_one_phone_in_two_rounds_cannot_be_linked_by_its_stored_token(app, client, db, county):
    with app.app_context():
        survey = catalog.surveys()["parent_satisfaction"]
    codes = []
    for title in ("第一轮", "第二轮"):
        round_id = stored.create_round(
            db, survey_id=survey.id, survey_hash=survey.hash, title=title,
            school_ids=[county["school_a"]], created_by=county["bureau"],
        )  # fmt: skip
        codes.append(stored.round_schools(db, round_id)[0]["code"])
    for code in codes:  # the same browser token answers both rounds
        body = _body(_token(client, code), "one-phone-token-0001")
        assert client.post(f"/s/{code}", json=body).status_code == 201
    hashes = [r["device_hash"] for r in db.query("SELECT device_hash FROM survey_responses")]
    assert len(hashes) == 2 and hashes[0] != hashes[1]


def test_a_round_past_its_closing_day_refuses_answers_and_says_so(
    app, client, db, parent_round, county
):
    code = parent_round["codes"][county["school_a"]]
    token = _token(client, code)
    db.execute(
        "UPDATE survey_rounds SET closes_on = '2026-01-31' WHERE id = ?", [parent_round["id"]]
    )
    db.conn.commit()
    assert client.get(f"/s/{code}").status_code == 410
    assert client.post(f"/s/{code}", json=_body(token, "device-token-late0001")).status_code == 410
    page = User(app, "bureau").page(f"/bureau/surveys/{parent_round['id']}")
    assert page.select_one("#round-status").get_text() == "已过截止日期"


def test_checklists_validate_checks_the_surveys_folder_too(tmp_path):
    from flask import Flask

    from inspect_app.cli.checklists import register_cli

    app = Flask(__name__)
    app.config["CHECKLIST_DIR"] = str(SURVEYS.parent)
    register_cli(app)
    runner = app.test_cli_runner()
    with app.app_context():
        ok = runner.invoke(args=["checklists", "validate"])
    assert ok.exit_code == 0, ok.output
    assert "通过  parent_satisfaction" in ok.output and "通过  teacher_conditions" in ok.output
    (tmp_path / "surveys").mkdir()
    _write(
        tmp_path / "surveys", GOOD.replace("respondents: [parent, student]", "respondents: [pupil]")
    )
    app.config["CHECKLIST_DIR"] = str(tmp_path)
    with app.app_context():
        bad = runner.invoke(args=["checklists", "validate"])
    assert bad.exit_code == 1 and "未知的调查对象 pupil" in bad.output


def test_closing_the_round_of_an_inspection_reissues_its_report_with_the_figures(
    app, client, db, county
):
    """The usual order: the report is issued on receipt, the survey runs after the visit.
    Closing the round queues the documents; the worker's pass issues version 2 with the
    figures and records why; a second pass issues nothing more."""
    from inspect_app.documents import issuing
    from inspect_app.inspections import receiving
    from inspect_app.storage import reports, users

    from .factories import payload

    with app.app_context():
        checklist = catalog.current()["fupin_comprehensive"].compiled
    body = payload(county["school_a"], checklist)
    receiving.receive(db, body, body["id"], users.get(db, county["insp"]))
    first = issuing.ensure_documents(db, app.config, body["id"])
    bureau = User(app, "bureau")
    bureau.post("/bureau/surveys/", {"survey": "parent_satisfaction", "inspection_id": body["id"]})
    round_row = stored.rounds(db)[0]
    code = stored.round_schools(db, round_row["id"])[0]["code"]
    for n in range(5):
        _answer(client, code, n, {"overall": "satisfied", "aid_fair": "satisfied"})
    # Answers alone change no signed document.
    assert issuing.ensure_documents(db, app.config, body["id"])["id"] == first["id"]
    bureau.post(f"/bureau/surveys/{round_row['id']}/close", {})
    assert db.execute(
        "SELECT status FROM document_jobs WHERE inspection_id = ?", [body["id"]]
    ).fetchone() == ("queued",)
    second = issuing.ensure_documents(db, app.config, body["id"])
    assert second["id"] != first["id"] and second["version"] == 2
    assert reports.get(db, first["id"])["status"] == "superseded"
    flat = "".join(
        subprocess.run(
            ["pdftotext", "-", "-"],
            input=reports.read(app.config["REPORTS_DIR"], second),
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split()
    )
    assert "四、满意度测评" in flat and "100.0%" in flat and "补充满意度测评结果" in flat
    assert issuing.ensure_documents(db, app.config, body["id"])["id"] == second["id"]
    assert stored.rounds(db)[0]["report_id"] == second["id"]


def test_all_groups_together_never_give_away_a_group_under_the_threshold(app, db, county, tmp_path):
    # 5 parents all 满意 (shown: 100 %) and one student 不满意 (not shown): all 6 together at
    # 83.3 % told the one student's answer, on the ranking's 社会认可度
    mini = load_checklist(_write(tmp_path, GOOD))
    answers = [("parent", "yes_s")] * 5 + [("student", "bad")]
    r = school_results(mini, SCHOOL, [{"group": g, "answers": {"meals": v}} for g, v in answers], 5)
    assert [(g["group"], g["shown"]) for g in r["groups"]] == [("parent", True), ("student", False)]
    assert (r["all"]["shown"], r["all"]["index"], r["all"]["responses"]) == (False, None, 6)
    assert r["all"]["reason"] == "学生答卷不足 5 份，合计不显示"
    stored.store_version(db, mini.hash, mini.compiled)
    round_id = stored.create_round(
        db, survey_id="mini", survey_hash=mini.hash, title="测评",
        school_ids=[county["school_a"]], created_by=county["bureau"],
    )  # fmt: skip
    for n, (group, value) in enumerate(answers):
        stored.add_response(
            db, response_id=str(uuid.uuid4()), round_id=round_id, school_id=county["school_a"],
            group=group, device_hash=f"phone{n}", answers={"meals": value},
            received_on="2026-12-01",
        )  # fmt: skip
    ranked = gathering.satisfaction_by_school(db, "2026-01-01", "2027-12-31", 5)
    assert ranked[county["school_a"]]["index"] is None
    # a group with no answers at all hides nothing: five parents alone are shown together
    alone = school_results(
        mini, SCHOOL, [{"group": "parent", "answers": {"meals": "yes_s"}}] * 5, 5
    )
    assert alone["all"]["shown"] and alone["all"]["index"] == 100.0


def test_a_round_opened_for_last_month_reports_in_last_months_figures(app, db, county):
    # opened on 2 December for 2026年11月 (the form offers past periods): it belongs to the
    # November 月点评 the bureau issues in December, not to December's
    from inspect_app.common import periods

    with app.app_context():
        survey = catalog.surveys()["parent_satisfaction"]
    november, december = periods.month_period(2026, 11), periods.month_period(2026, 12)
    for_november = stored.create_round(
        db, survey_id=survey.id, survey_hash=survey.hash, title=f"{survey.title}（{november.label}）",
        school_ids=[county["school_a"]], created_by=county["bureau"],
        period_key=november.key, period_label=november.label,
    )  # fmt: skip
    unplanned = stored.create_round(
        db, survey_id=survey.id, survey_hash=survey.hash, title=survey.title,
        school_ids=[county["school_a"]], created_by=county["bureau"],
    )  # fmt: skip
    db.execute("UPDATE survey_rounds SET created_at = '2026-12-02T02:00:00Z'")

    def rounds(period) -> set[int]:
        found = gathering.rounds_in(db, period.start.isoformat(), period.end.isoformat())
        return {r["id"] for r in found}

    assert rounds(november) == {for_november}
    assert rounds(december) == {unplanned}  # a round for no period: the day it was opened
    assert for_november in rounds(periods.quarter_period(2026, 4))
