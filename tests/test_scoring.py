"""Scoring: totals, grades, vetoes, N/A, relevance, computed items, findings and rectifications.

Expected numbers are worked out by hand from tests/data/checklists/school_basics.yaml (or the
inline checklist of the test) and written in the comments next to them.
"""

import json
import textwrap
from pathlib import Path

import pytest

from inspect_app.checklist import Checklist, load_checklist, score
from inspect_app.checklist.scoring import display_answer

DATA = Path(__file__).parent / "data" / "checklists"


@pytest.fixture(scope="module")
def basics() -> Checklist:
    return load_checklist(DATA / "school_basics.yaml")


def school(**overrides):
    base = {
        "code": "3301001",
        "name": "青山镇中心小学",
        "stage": "小学",
        "boarding": False,
        "township_central": False,
        "poverty_village": False,
        "enrolment": 320,
    }
    base.update(overrides)
    return base


GOOD = {
    "fulltime": 12,
    "backbone": 3,
    "training_plan": True,
    "extinguishers": True,
    "fire_drill": True,
    "drill_rating": "good",
}


def answers(na=(), photos=None, **changes):
    given = dict(GOOD)
    for key, value in changes.items():
        if value is None:
            given.pop(key, None)
        else:
            given[key] = value
    return {"answers": given, "na": list(na), "photos": photos or {}}


def inline(tmp_path, text: str) -> Checklist:
    path = tmp_path / "inline.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_checklist(path)


def test_everything_passes_gives_full_marks(basics):
    result = score(basics, school(), answers())
    # teachers 20/20 -> 40, safety 50/50 -> 40, boarding does not apply -> (40+40)/80 = 100
    assert result["total"] == 100
    assert result["grade"] == "优秀"
    assert result["complete"] is True
    assert result["findings"] == [] and result["rectifications"] == []


def test_low_backbone_ratio_is_a_finding_with_the_percent_sentence(basics):
    result = score(basics, school(), answers(backbone=1))
    # 1/12 = 8.3% < 10%: teachers 10/20 -> 20, safety 40 -> 60/80 = 75
    assert result["total"] == 75
    assert result["grade"] == "合格"
    item = result["items"]["backbone_ratio"]
    assert item["outcome"] == "fail"
    assert item["display_value"] == "8.3%"
    assert item["display_target"] == "10%"
    finding = result["findings"][0]
    assert finding["problem"] == "骨干教师占比 8.3%，低于 10% 的要求"
    assert finding["local"] is True
    assert finding["basis"] == "督导工作方案 四(五)1"


def test_target_depends_on_the_school(basics):
    # 2/12 = 16.7%: passes the ordinary 10% but not the 20% of a 乡镇中心校.
    ordinary = score(basics, school(), answers(backbone=2))
    central = score(basics, school(township_central=True), answers(backbone=2))
    assert ordinary["items"]["backbone_ratio"]["outcome"] == "pass"
    assert central["items"]["backbone_ratio"]["outcome"] == "fail"
    assert central["findings"][0]["problem"] == "骨干教师占比 16.7%，低于 20% 的要求"


def test_rectification_draft_comes_from_fix(basics):
    result = score(basics, school(), answers(backbone=1))
    assert result["rectifications"] == [
        {
            "item": "backbone_ratio",
            "section": "teachers",
            "problem": "骨干教师占比 8.3%，低于 10% 的要求",
            "basis": "督导工作方案 四(五)1",
            "action": "制定骨干教师培养计划并报县教育局备案",
            "owner": "校长",
            "days": 60,
        }
    ]


def test_na_removes_the_item_from_the_maximum(basics):
    failed = score(basics, school(), answers(training_plan=False))
    marked = score(basics, school(), answers(training_plan=None, na=["training_plan"]))
    # failed: teachers 10/20 -> 20; total (20 + 40) / 80 = 75
    assert failed["sections"][0]["possible"] == 20
    assert failed["total"] == 75
    # N/A: teachers 10/10 -> 40; total 80/80 = 100
    assert marked["items"]["training_plan"]["outcome"] == "na"
    assert marked["sections"][0]["possible"] == 10
    assert marked["total"] == 100


def test_na_is_ignored_where_not_allowed(basics):
    result = score(basics, school(), answers(extinguishers=False, na=["extinguishers"]))
    assert result["items"]["extinguishers"]["outcome"] == "fail"


def test_failed_veto_caps_the_grade(basics):
    result = score(
        basics, school(), answers(fire_drill=False, drill_rating=None, photos={"fire_drill": 1})
    )
    # teachers 40; safety: extinguishers 30 of 30 + fire_drill 0 of 10 (drill_rating hidden)
    # -> 30/40 * 40 = 30; total 70/80 = 87.5, which would be 良好, but the veto caps it.
    assert result["total"] == 87.5
    assert result["vetoed"] is True
    assert result["grade"] == "不合格"
    assert result["vetoes"] == [
        {
            "item": "fire_drill",
            "label": "本学期开展消防疏散演练",
            "problem": "本学期开展消防疏散演练：不符合要求",
        }
    ]


def test_relevant_hides_items_and_their_points(basics):
    result = score(
        basics, school(), answers(fire_drill=False, drill_rating="poor", photos={"fire_drill": 1})
    )
    hidden = result["items"]["drill_rating"]
    assert hidden["outcome"] == "not_applicable"
    assert hidden["possible"] == 0
    assert [f["item"] for f in result["findings"]] == ["fire_drill"]


def test_applies_if_removes_a_section_and_redistributes_weight(basics):
    day_school = score(basics, school(), answers())
    boarding = score(basics, school(boarding=True), answers(dorm_guard=False))
    assert day_school["sections"][2]["applicable"] is False
    assert day_school["items"]["dorm_guard"]["outcome"] == "not_applicable"
    assert day_school["total"] == 100  # 80 of the remaining 80 weight
    # boarding: 40 + 40 + 0 of 20 -> 80
    assert boarding["sections"][2]["applicable"] is True
    assert boarding["sections"][2]["score"] == 0
    assert boarding["total"] == 80
    assert boarding["grade"] == "良好"


def test_choice_scores_and_section_percent(basics):
    result = score(basics, school(), answers(drill_rating="fair"))
    # safety: 30 + 10 + 5 of 50 -> 45/50 = 90% -> 36 of 40; total (40 + 36)/80 = 95
    safety = result["sections"][1]
    assert (safety["earned"], safety["possible"], safety["percent"], safety["score"]) == (
        45,
        50,
        90,
        36,
    )
    assert result["total"] == 95
    assert result["items"]["drill_rating"]["display_value"] == "基本规范"


def test_division_by_zero_is_an_error_outcome(basics):
    result = score(basics, school(), answers(fulltime=0, backbone=0))
    item = result["items"]["backbone_ratio"]
    assert item["outcome"] == "error"
    assert item["message"] == "无法计算：除数为零"
    assert item["possible"] == 10 and item["earned"] == 0
    assert {
        "item": "backbone_ratio",
        "label": "骨干教师占专任教师比例",
        "section": "teachers",
        "reason": "无法计算",
    } in result["missing"]
    assert result["complete"] is False


def test_completeness_lists_unanswered_constraints_and_photos(basics):
    result = score(
        basics,
        school(),
        answers(fulltime=None, extinguishers=None, fire_drill=False, drill_rating=None),
    )
    assert result["complete"] is False
    assert result["missing"] == [
        {"item": "fulltime", "label": "专任教师数", "section": "teachers", "reason": "未填写"},
        {
            "item": "extinguishers",
            "label": "灭火器配备齐全且在有效期内",
            "section": "safety",
            "reason": "未填写",
        },
        {
            "item": "fire_drill",
            "label": "本学期开展消防疏散演练",
            "section": "safety",
            "reason": "缺少照片",
        },
    ]
    assert result["items"]["fire_drill"]["evidence_missing"] is True
    # The ratio waits for its input: unanswered, not an error, and it keeps its 10 points.
    ratio = result["items"]["backbone_ratio"]
    assert (ratio["outcome"], ratio["possible"]) == ("unanswered", 10)


def test_constraint_violation_is_reported_with_its_message(basics):
    result = score(basics, school(), answers(backbone=20))
    assert result["items"]["backbone"]["outcome"] == "error"
    assert {
        "item": "backbone",
        "label": "骨干教师数",
        "section": "teachers",
        "reason": "骨干教师数不能超过专任教师数",
    } in result["missing"]


def test_min_gives_an_automatic_message(basics):
    result = score(basics, school(), answers(fulltime=-1))
    assert result["items"]["fulltime"]["message"] == "专任教师数应不小于 0人"


def test_malformed_answers_never_crash(basics):
    result = score(
        basics,
        school(),
        {"answers": {"fulltime": "十二", "fire_drill": "是", "drill_rating": "great"}},
    )
    assert result["items"]["fulltime"]["outcome"] == "error"
    assert result["items"]["fire_drill"]["message"] == "答案格式不正确"
    # the ratio reads a broken input, so it cannot be computed either
    assert result["items"]["backbone_ratio"]["outcome"] == "error"


def test_result_is_json_and_names_the_version(basics):
    result = score(basics, school(), answers())
    assert result["checklist"] == {
        "id": "school_basics",
        "title": basics.title,
        "version": "T1",
        "hash": basics.hash,
    }
    assert json.loads(json.dumps(result, ensure_ascii=False)) == result


def test_compiled_form_scores_the_same(basics):
    stored = json.loads(json.dumps(basics.compiled))
    assert score(stored, school(), answers(backbone=1)) == score(
        basics, school(), answers(backbone=1)
    )


def test_tampered_compiled_form_is_refused(basics):
    stored = json.loads(json.dumps(basics.compiled))
    stored["grades"][0]["min"] = 10
    with pytest.raises(ValueError, match="哈希"):
        Checklist.from_compiled(stored)


def test_applies_to(basics, tmp_path):
    assert basics.applies_to(school()) is True
    kindergarten_only = inline(
        tmp_path,
        """
        id: kg
        title: 幼儿园专项
        version: "1"
        basis: 测试
        grades: [{grade: 合格, min: 0}]
        sections:
          - id: play
            title: 游戏活动
            weight: 100
            applies_if: "school.stage == '幼儿园'"
            items:
              - {id: toys_clean, type: yesno, label: 玩具定期消毒, points: 5, fix: {action: 建立消毒台账, owner: 园长, days: 7}}
    """,
    )
    assert kindergarten_only.applies_to(school(stage="幼儿园")) is True
    assert kindergarten_only.applies_to(school()) is False


MULTI = """
    id: canteen
    title: 食堂专项
    version: "1"
    basis: 学校食品安全与营养健康管理规定
    grades: [{grade: 合格, min: 60}, {grade: 不合格, min: 0}]
    sections:
      - id: canteen
        title: 食堂管理
        weight: 100
        items:
          - id: ledgers
            type: multi
            label: 台账齐全情况
            points: 6
            choices:
              - {value: inbound, label: 入库台账, score: 2}
              - {value: outbound, label: 出库台账, score: 2}
              - {value: samples, label: 留样记录, score: 3}
          - id: sample_grams
            type: decimal
            label: 每份留样重量
            unit: 克
            target: "125"
            pass_if: value >= target
            points: 4
            fix: {action: 按每份不少于125克留样, owner: 食堂管理员, days: 3}
          - id: last_check
            type: date
            label: 最近一次自查日期
            required: false
          - id: days_since
            type: computed
            label: 距上次自查天数
            calculation: days_between(last_check, '2026-03-31')
            decimals: 0
          - id: remark
            type: text
            label: 其他情况
          - id: tip
            type: note
            label: 请先查阅台账再现场查看
"""


def test_multi_is_capped_at_points_and_defaults_read_well(tmp_path):
    checklist = inline(tmp_path, MULTI)
    result = score(
        checklist,
        school(),
        {
            "answers": {
                "ledgers": ["samples", "inbound", "outbound"],
                "sample_grams": 100.0,
                "last_check": "2026-03-01",
            }
        },
    )
    ledgers = result["items"]["ledgers"]
    # 2 + 2 + 3 = 7, capped at 6 points; shown in choice-list order
    assert (ledgers["earned"], ledgers["possible"]) == (6, 6)
    assert ledgers["value"] == ["inbound", "outbound", "samples"]
    assert ledgers["display_value"] == "入库台账、出库台账、留样记录"
    assert result["items"]["sample_grams"]["message"] == "每份留样重量 100，未达到 125 的要求"
    assert result["items"]["days_since"]["display_value"] == "30"
    assert result["items"]["days_since"]["outcome"] == "info"
    assert result["items"]["remark"]["outcome"] == "unanswered"
    assert result["items"]["tip"]["outcome"] == "info"
    # text is optional and the date was made optional: nothing missing
    assert result["complete"] is True
    # 6 + 0 of 10 -> 60 -> 合格
    assert result["total"] == 60
    assert result["grade"] == "合格"


def test_nothing_scorable_gives_no_total(tmp_path):
    checklist = inline(tmp_path, MULTI)
    result = score(checklist, school(), {"answers": {}, "na": []})
    # unanswered items keep their points: 0 of 10
    assert result["total"] == 0
    only_notes = inline(
        tmp_path,
        """
        id: notes
        title: 说明
        version: "1"
        basis: 测试
        grades: [{grade: 合格, min: 0}]
        sections:
          - id: s
            title: 说明
            weight: 100
            items:
              - {id: intro, type: note, label: 本次只做记录}
              - {id: remark, type: text, label: 备注}
    """,
    )
    empty = score(only_notes, school(), {"answers": {"remark": "无"}})
    assert empty["total"] is None and empty["grade"] is None


def test_computed_item_waits_for_inputs_and_drops_out_when_they_are_na(tmp_path):
    checklist = inline(
        tmp_path,
        """
        id: dorm
        title: 宿舍
        version: "1"
        basis: 测试
        grades: [{grade: 合格, min: 0}]
        sections:
          - id: dorm
            title: 宿舍
            weight: 100
            items:
              - {id: boarders, type: integer, label: 住宿生数, min: 0}
              - {id: area, type: decimal, label: 宿舍面积, unit: ㎡, na_allowed: true}
              - id: area_each
                type: computed
                label: 生均宿舍面积
                calculation: area / boarders
                target: "3"
                pass_if: value >= target
                points: 5
                unit: ㎡
                fix: {action: 调整宿舍安排, owner: 总务主任, days: 90}
              - {id: beds_ok, type: yesno, label: 一人一床, points: 5, fix: {action: 补足床位, owner: 总务主任, days: 30}}
    """,
    )
    waiting = score(checklist, school(), {"answers": {"boarders": 100, "beds_ok": True}})
    assert waiting["items"]["area_each"]["outcome"] == "unanswered"
    assert waiting["total"] == 50  # 5 of 10: the ratio keeps its points until answered
    settled = score(
        checklist, school(), {"answers": {"boarders": 100, "beds_ok": True}, "na": ["area"]}
    )
    assert settled["items"]["area_each"]["outcome"] == "na"
    assert settled["total"] == 100
    small = score(checklist, school(), {"answers": {"boarders": 100, "area": 250, "beds_ok": True}})
    assert small["items"]["area_each"]["message"] == "生均宿舍面积 2.5，未达到 3 的要求"


@pytest.mark.parametrize(
    "bad", [1.5e307, 1e300, 10**400, -(10**400), 1e15, -1e15, float("inf"), float("nan")]
)
def test_numbers_of_1e15_and_more_are_malformed_answers(basics, bad):
    # these used to raise OverflowError (round_half_away, math.isfinite on a huge int)
    result = score(basics, school(), answers(fulltime=bad))
    fulltime = result["items"]["fulltime"]
    assert (fulltime["outcome"], fulltime["message"], fulltime["value"]) == (
        "error",
        "答案格式不正确",
        None,
    )
    missing = {"item": "fulltime", "label": "专任教师数", "section": "teachers"}
    assert missing | {"reason": "答案格式不正确"} in result["missing"]
    assert result["items"]["backbone_ratio"]["outcome"] == "error"


def test_largest_accepted_number(basics):
    result = score(basics, school(), answers(fulltime=999999999999999, backbone=0))
    assert result["items"]["fulltime"]["display_value"] == "999999999999999"
    assert result["items"]["backbone_ratio"]["value"] == 0.0


def test_huge_school_numbers_and_photo_counts_never_raise(basics):
    result = score(
        basics,
        school(enrolment=10**400),
        answers(fire_drill=False, photos={"fire_drill": 10**400}),
    )
    assert result["items"]["fire_drill"]["evidence_missing"] is True  # a nonsense count is 0


def test_computed_results_and_targets_of_1e15_and_more_are_uncomputable(tmp_path):
    checklist = inline(
        tmp_path,
        """\
        id: inline
        title: 测试
        version: "1"
        basis: 测试
        grades: [{grade: 合格, min: 60}, {grade: 不合格, min: 0}]
        sections:
          - id: s
            title: 部分
            weight: 100
            items:
              - id: area
                type: decimal
                label: 面积
              - id: scaled
                type: computed
                label: 放大
                calculation: area * 100000000 * 100000000
              - id: judged
                type: decimal
                label: 判定
                target: area * 100000000 * 100000000
                pass_if: value >= target
                points: 5
                fix: {action: 整改, owner: 校长, days: 7}
        """,
    )
    result = score(checklist, {}, {"answers": {"area": 20, "judged": 1}})
    assert result["items"]["scaled"]["message"] == "无法计算：计算结果超出范围"
    judged = result["items"]["judged"]
    assert (judged["outcome"], judged["message"], judged["target"]) == (
        "error",
        "无法计算：计算结果超出范围",
        None,
    )
    small = score(checklist, {}, {"answers": {"area": 0.05, "judged": 1}})
    assert small["items"]["scaled"]["value"] == 0.05 * 100000000 * 100000000
    assert small["items"]["judged"]["outcome"] == "fail"


def test_full_width_digits_are_not_a_date(tmp_path):
    checklist = inline(
        tmp_path,
        """\
        id: inline
        title: 测试
        version: "1"
        basis: 测试
        grades: [{grade: 合格, min: 60}, {grade: 不合格, min: 0}]
        sections:
          - id: s
            title: 部分
            weight: 100
            items:
              - {id: checked_on, type: date, label: 检测日期}
        """,
    )
    bad = score(checklist, {}, {"answers": {"checked_on": "２０２６-０３-０１"}})
    assert bad["items"]["checked_on"]["message"] == "答案格式不正确"
    good = score(checklist, {}, {"answers": {"checked_on": "2026-03-01"}})
    assert good["items"]["checked_on"]["outcome"] == "info"


@pytest.mark.parametrize(
    ("item_id", "raw", "shown"),
    [
        ("drill_rating", "fair", "基本规范"),  # a choice shows its label
        ("training_plan", True, "是"),
        ("extinguishers", False, "否"),
        ("fulltime", 12, "12"),
        ("fulltime", 12.0, "12"),
        ("fulltime", None, ""),  # unanswered
        ("drill_rating", "excellent", "excellent"),  # not a choice: shown as stored
        ("fulltime", "十二", "十二"),  # malformed: shown as stored
        ("no_such_item", 3, "3"),
    ],
)
def test_display_answer_prints_a_stored_answer_as_reports_do(basics, item_id, raw, shown):
    assert display_answer(basics, item_id, raw) == shown


@pytest.mark.parametrize(
    ("cohort", "shown"),
    [((99, 95), "95.96%"), ((1000, 959), "95.9%"), ((100, 96), None)],
)
def test_a_finding_never_says_a_value_misses_the_value_it_is(cohort, shown):
    # 95 of 99 is 95.96 %: 「巩固率 96%，未达到县定 96% 的目标」 went into signed reports
    checklist = load_checklist(
        Path(__file__).parents[1] / "checklists" / "fupin_comprehensive.yaml"
    )
    school = {"code": "X", "name": "X", "stage": "小学", "boarding": False,
              "township_central": False, "poverty_village": False, "enrolment": 600}  # fmt: skip
    base, now = cohort
    answers = {"has_grade6": True, "primary_cohort_base": base, "primary_cohort_now": now}
    item = score(checklist, school, {"answers": answers})["items"]["primary_retention"]
    if shown is None:  # 96 of 100 meets the target, and reads as its own rounding
        assert item["outcome"] == "pass" and item["display_value"] == "96%"
        return
    assert item["outcome"] == "fail" and item["display_value"] == shown
    assert item["message"] == f"小学六年巩固率 {shown}，未达到县定 96% 的目标"
