"""Vetoes and critical items: the language (loader), the cap in the Result, and the shipped
checklists scored as practice would score them (../shared/domain/standards.md, "Vetoes that
practice would apply").

Every shipped-checklist case starts from answers that pass everywhere (tests/shipped.py) and
changes only what the case is about; before critical items existed these schools were graded
良好 or 优秀 (issue 13).
"""

from __future__ import annotations

import json
import shutil

import pytest

from inspect_app.checklist import check_file, score
from tests.parity import NodeEngine, first_difference, same
from tests.shipped import CHECKLISTS, MODEL_SCHOOL, responses

CANTEEN = CHECKLISTS["canteen_special"]
COMPREHENSIVE = CHECKLISTS["fupin_comprehensive"]
BOARDING = CHECKLISTS["boarding_special"]


def scored(checklist, **changes):
    result = score(checklist, MODEL_SCHOOL, responses(checklist, **changes))
    assert result["complete"], result["missing"]
    return result


# --------------------------------------------------------------------------- the issue's cases

ISSUE_CASES = {
    # canteen: no 留样 at all + expired food in the store (was 81.7 良好)
    "canteen_no_samples_expired_food": (
        CANTEEN,
        {"sample_kept": False, "no_expired_food": False},
        "veto",
        ["no_expired_food", "sample_kept"],
    ),
    # no licence + 3 staff without 健康证 + expired food + raw and cooked mixed (was 84.5 良好)
    "canteen_no_licence_uncertified_expired_mixed": (
        CANTEEN,
        {
            "food_license": "none",
            "certified_staff": 3,
            "no_expired_food": False,
            "raw_cooked_separate": False,
        },
        "veto",
        ["food_license", "no_expired_food"],
    ),
    # licence, 留样, 健康证, expired food, disinfection, raw/cooked and 晨检 all failing (was 63.5 合格)
    "canteen_everything_that_matters_fails": (
        CANTEEN,
        {
            "food_license": "expired",
            "sample_kept": False,
            "certified_staff": 4,
            "morning_check": False,
            "no_expired_food": False,
            "raw_cooked_separate": False,
            "tableware_disinfection": False,
        },
        "veto",
        ["food_license", "no_expired_food", "sample_kept"],
    ),
    # comprehensive: subsidy paid as cash + none of the four food-safety rules (was 92.0 优秀)
    "comprehensive_cash_subsidy_no_food_safety": (
        COMPREHENSIVE,
        {"subsidy_use": False, "food_safety_basics": []},
        "veto",
        ["subsidy_use"],
    ),
    # 2.5 m² per boarder + no guard rails + no safe drinking water + no showers (was 92.2 优秀)
    "comprehensive_crowded_unsafe_dorms": (
        COMPREHENSIVE,
        {"dorm_area": 750, "guard_rails": False, "drinking_water": "none", "showers": "none"},
        "critical",
        ["area_per_boarder", "guard_rails", "drinking_water", "showers"],
    ),
    # boarding special: dormitory in a basement + fire exits locked at night (was 86.8 良好)
    "boarding_basement_locked_exits": (
        BOARDING,
        {"no_basement": False, "exits_clear": False},
        "veto",
        ["no_basement", "exits_clear"],
    ),
}


@pytest.mark.parametrize("name", list(ISSUE_CASES))
def test_issue_cases_end_at_most_qualified(name):
    checklist, changes, kind, items = ISSUE_CASES[name]
    result = scored(checklist, **changes)
    assert result["grade"] == "不合格"
    assert result["score_grade"] in ("优秀", "良好", "合格")  # the points alone would pass
    assert result["capped"] is True
    assert result["cap"]["kind"] == kind
    assert result["cap"]["items"] == items
    assert result["cap"]["grade"] == "不合格"


def test_four_critical_failures_name_their_count_and_items():
    result = scored(COMPREHENSIVE, **ISSUE_CASES["comprehensive_crowded_unsafe_dorms"][1])
    assert result["vetoed"] is False
    assert [c["item"] for c in result["critical"]] == result["cap"]["items"]
    assert all(c["cap"] == "合格" for c in result["critical"])
    assert result["cap"]["reason"].startswith("4 项关键项不合格：寄宿生生均宿舍使用面积、")
    assert result["cap"]["reason"].endswith("等级最高为不合格")


# --------------------------------------------------------------------------- vetoes of practice

VETOES = {
    "canteen_no_samples_at_all": (CANTEEN, {"sample_kept": False}),
    "canteen_no_licence": (CANTEEN, {"food_license": "none"}),
    "canteen_expired_licence": (CANTEEN, {"food_license": "expired"}),
    "canteen_expired_food": (CANTEEN, {"no_expired_food": False}),
    "canteen_subsidy_diverted_or_cash": (CANTEEN, {"subsidy_proper_use": False}),
    "comprehensive_subsidy_cash": (COMPREHENSIVE, {"subsidy_use": False}),
    "comprehensive_aid_withheld_or_diverted": (COMPREHENSIVE, {"aid_funds_intact": False}),
    "comprehensive_two_in_one_bed": (COMPREHENSIVE, {"dorm_beds": 290}),
    "boarding_basement_dorm": (BOARDING, {"no_basement": False}),
    "boarding_exits_locked_or_blocked": (BOARDING, {"exits_clear": False}),
    "boarding_two_in_one_bed": (BOARDING, {"dorm_beds": 290}),
}


@pytest.mark.parametrize("name", list(VETOES))
def test_vetoes_of_practice_end_unqualified(name):
    checklist, changes = VETOES[name]
    result = scored(checklist, **changes)
    (item,) = changes
    assert result["grade"] == "不合格"
    assert result["vetoed"] is True
    assert result["score_grade"] in ("优秀", "良好")  # one failed item costs few points
    assert result["cap"]["kind"] == "veto"
    assert result["cap"]["items"] == [
        {"certified_staff": "uncertified_staff", "dorm_area": "area_per_boarder"}.get(item, item)
    ]
    assert result["cap"]["reason"].startswith("一票否决：")


CRITICAL = {
    "canteen_staff_without_health_certificate": (CANTEEN, {"certified_staff": 5}),
    "canteen_raw_and_cooked_mixed": (CANTEEN, {"raw_cooked_separate": False}),
    "canteen_samples_incomplete": (CANTEEN, {"sample_every_dish": False}),
    "comprehensive_no_guard_rails": (COMPREHENSIVE, {"guard_rails": False}),
    "comprehensive_food_safety_rules_missing": (COMPREHENSIVE, {"food_safety_basics": []}),
    "boarding_crowded_dorms": (BOARDING, {"dorm_area": 800}),
    "boarding_no_showers": (BOARDING, {"shower_access": "none"}),
}


@pytest.mark.parametrize("name", list(CRITICAL))
def test_one_critical_failure_caps_at_qualified(name):
    checklist, changes = CRITICAL[name]
    result = scored(checklist, **changes)
    assert result["score_grade"] in ("优秀", "良好")
    assert result["grade"] == "合格"
    assert result["capped"] is True
    assert result["vetoed"] is False
    assert result["cap"]["kind"] == "critical"
    assert len(result["critical"]) == 1
    assert result["cap"]["reason"] == (
        f"关键项不合格：{result['critical'][0]['label']}，等级最高为合格"
    )


def test_critical_caps_count_failures_across_the_checklist():
    two = scored(CANTEEN, morning_check=False, raw_cooked_separate=False)
    assert (two["grade"], two["cap"]["grade"]) == ("合格", "合格")
    three = scored(CANTEEN, morning_check=False, raw_cooked_separate=False, sample_48h=False)
    assert three["grade"] == "不合格"
    assert three["cap"]["reason"].startswith("3 项关键项不合格：")


def test_a_cap_above_the_earned_grade_changes_nothing():
    # Enough failures to fall below 60 anyway: the cap is reported, the grade is the score's.
    changes = {
        k: False
        for k in (
            "principal_responsibility",
            "safety_officer",
            "nonprofit_accounting",
            "supplier_certs",
            "inbound_ledger",
            "outbound_ledger",
            "stock_take",
            "receipts_match",
            "no_iou",
            "accompany_records",
            "parent_accompany",
            "video_surveillance",
            "pest_control",
            "subsidy_standard",
            "subsidy_public",
        )
    }
    result = scored(CANTEEN, raw_cooked_separate=False, tuck_shop="unlicensed", **changes)
    assert result["score_grade"] == "不合格"
    assert result["grade"] == "不合格"
    assert result["cap"]["grade"] == "合格"
    assert result["capped"] is False


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_both_engines_give_the_same_caps_on_the_shipped_checklists():
    engine = NodeEngine(shutil.which("node"))
    try:
        for checklist in (CANTEEN, COMPREHENSIVE, BOARDING):
            cases = [
                (MODEL_SCHOOL, responses(checklist, **changes))
                for table in (ISSUE_CASES, VETOES, CRITICAL)
                for c, changes, *_ in table.values()
                if c is checklist
            ]
            compiled = json.loads(json.dumps(checklist.compiled, ensure_ascii=False))
            theirs = engine.score(compiled, cases)
            for (school, resp), js in zip(cases, theirs, strict=True):
                py = json.loads(json.dumps(score(checklist, school, resp)))
                assert same(py, js), first_difference(py, js)
    finally:
        engine.close()


# --------------------------------------------------------------------------- the language

HEADER = """\
id: demo
title: 演示检查单
version: "1"
basis: 测试用
grades:
  - {grade: 优秀, min: 90}
  - {grade: 合格, min: 60}
  - {grade: 不合格, min: 0}
sections:
  - id: s
    title: 部分
    weight: 100
    items:
      - id: exits
        type: yesno
        label: 安全出口畅通
        points: 5
        fix: {action: 清理, owner: 校长, days: 3}
"""  # the item's keys are at column 9; the next key would be on line 19


def errors_of(tmp_path, text: str) -> list[str]:
    path = tmp_path / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    checklist, errors = check_file(path)
    assert checklist is None
    return [str(e).replace(str(path), "demo.yaml") for e in errors]


def test_critical_is_compiled_with_the_caps(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(
        HEADER + "        critical: 合格\n" + "critical_caps:\n  - {failed: 2, grade: 不合格}\n",
        encoding="utf-8",
    )
    checklist, errors = check_file(path)
    assert errors == []
    assert checklist.compiled["sections"][0]["items"][0]["critical"] == "合格"
    assert checklist.compiled["critical_caps"] == [{"failed": 2, "grade": "不合格"}]
    result = score(checklist, {}, {"answers": {"exits": False}})
    assert result["cap"] == {
        "kind": "critical",
        "grade": "合格",
        "items": ["exits"],
        "reason": "关键项不合格：安全出口畅通，等级最高为合格",
    }
    assert result["total"] == 0 and result["grade"] == "不合格" and result["capped"] is False


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "        critical: 良好\n",
            "demo.yaml:19:19: 条目 exits 字段 critical：等级 良好 不在 grades 中（可用：优秀、合格、不合格）",
        ),
        (
            "        critical: 优秀\n",
            "demo.yaml:19:19: 条目 exits 字段 critical：优秀 是最高等级，以它为上限不起作用，请写较低的等级",
        ),
        (
            "        critical: 不合格\n",
            "demo.yaml:19:19: 条目 exits 字段 critical：关键项以最低等级 不合格 为上限即一票否决，请改用 veto: true",
        ),
        (
            "        critical: 3\n",
            "demo.yaml:19:19: 条目 exits 字段 critical：critical 应为等级名称，如 critical: 合格",
        ),
        (
            "        veto: true\n        critical: 合格\n",
            "demo.yaml:20:19: 条目 exits 字段 critical：一票否决条目已将等级定为最低档，不能再设置 critical",
        ),
    ],
)
def test_critical_mistakes_are_reported_where_they_are(tmp_path, line, message):
    assert errors_of(tmp_path, HEADER + line) == [message]


def test_critical_needs_an_item_that_can_fail(tmp_path):
    text = (
        HEADER
        + "      - id: count\n        type: integer\n        label: 人数\n        critical: 合格\n"
    )
    assert errors_of(tmp_path, text) == [
        "demo.yaml:22:19: 条目 count 字段 critical：关键项必须可能判为不合格（需要 pass_if，或有 fail: true 的选项）"
    ]


def test_critical_caps_mistakes(tmp_path):
    caps = "critical_caps:\n  - {failed: 1, grade: 不合格}\n  - {failed: 2, grade: 差}\n"
    assert errors_of(tmp_path, HEADER + "        critical: 合格\n" + caps) == [
        "demo.yaml:21:14: 字段 critical_caps：failed 应为不小于 2 的整数（1 项关键项不合格时的上限写在条目的 critical 上）",
        "demo.yaml:22:24: 字段 critical_caps：等级 差 不在 grades 中（可用：优秀、合格、不合格）",
    ]
    assert errors_of(tmp_path, HEADER + "critical_caps:\n  - {failed: 2, grade: 不合格}\n") == [
        "demo.yaml:20:3: 字段 critical_caps：设置了 critical_caps，但没有任何条目设置 critical"
    ]


def test_an_unscored_yes_no_is_information_not_a_check(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(
        HEADER + "      - id: canteen\n        type: yesno\n        label: 学校设有食堂\n",
        encoding="utf-8",
    )
    checklist, errors = check_file(path)
    assert errors == []
    result = score(checklist, {}, {"answers": {"exits": True, "canteen": False}})
    assert result["items"]["canteen"]["outcome"] == "info"
    assert result["findings"] == [] and result["total"] == 100.0
