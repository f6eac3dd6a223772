"""The four shipped checklists say what the rules in force say (../shared/domain/standards.md).

Each test names the rule it guards. Answers start from a well-run school (tests/shipped.py
GOOD, every item passing) and change only what the case is about, so the outcome seen is
caused by that answer.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inspect_app.checklist import score
from inspect_app.checklist.model import item_can_fail
from inspect_app.common.vocabulary import RESPONSIBLE_UNITS
from tests.shipped import CHECKLISTS, MODEL_SCHOOL, responses

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (ROOT / "checklists" / "SOURCES.md").read_text(encoding="utf-8")
COMPREHENSIVE = CHECKLISTS["fupin_comprehensive"]
CANTEEN = CHECKLISTS["canteen_special"]
BOARDING = CHECKLISTS["boarding_special"]
ROUTINE = CHECKLISTS["routine_visit"]


def school(**changes) -> dict:
    return {**MODEL_SCHOOL, **changes}


def outcome(checklist, item: str, at: dict | None = None, **answers) -> str:
    result = score(checklist, at or MODEL_SCHOOL, responses(checklist, **answers))
    return result["items"][item]["outcome"]


# --------------------------------------------------------------------------- every checklist


def test_four_checklists_ship_at_version_2026_2():
    assert sorted(CHECKLISTS) == [
        "boarding_special",
        "canteen_special",
        "fupin_comprehensive",
        "routine_visit",
    ]
    assert {c.version for c in CHECKLISTS.values()} == {"2026.2"}


@pytest.mark.parametrize("checklist_id", sorted(CHECKLISTS))
def test_every_check_cites_its_rule(checklist_id):
    checklist = CHECKLISTS[checklist_id]
    checks = [i for i in checklist.items.values() if item_can_fail(i) or i["points"]]
    assert checks
    assert [i["id"] for i in checks if not (i["basis"] or "").strip()] == []


@pytest.mark.parametrize("checklist_id", sorted(CHECKLISTS))
def test_every_local_threshold_is_labelled_and_no_other_province_is_cited(checklist_id):
    # Seed 001 is a 宁夏 plan: a number that is not national is the bureau's own (本地标准),
    # never Fujian's, Hebei's or Qingdao's presented as this county's standard.
    for item in CHECKLISTS[checklist_id].items.values():
        basis = item["basis"] or ""
        says_local = "本地标准" in basis or "县定" in basis or "县教育局设定" in basis
        assert item["local"] == says_local or (item["local"] and not item["basis"]), item["id"]
        assert not re.search("福建|河北|青岛|省定", basis + (item["guidance"] or "")), item["id"]


@pytest.mark.parametrize("checklist_id", sorted(CHECKLISTS))
def test_every_fix_names_a_responsible_unit(checklist_id):
    fixes = [i["fix"] for i in CHECKLISTS[checklist_id].items.values() if i["fix"]]
    assert fixes and all(f.get("unit") in RESPONSIBLE_UNITS for f in fixes)


@pytest.mark.parametrize("checklist_id", sorted(CHECKLISTS))
def test_sources_md_maps_every_check_item(checklist_id):
    checklist = CHECKLISTS[checklist_id]
    assert f"## {checklist_id}.yaml" in SOURCES
    block = SOURCES.split(f"## {checklist_id}.yaml", 1)[1].split("\n## ", 1)[0]
    unmapped = [
        i["id"]
        for i in checklist.items.values()
        if i["type"] not in ("note",) and f"`{i['id']}`" not in block
    ]
    assert unmapped == []


def test_sources_md_maps_every_sub_point_of_the_plan_section_four():
    # seed 001 四 (一)1–3, (二)1–5 (4 with its three parts), (三)1–3, (四), (五)1–3, (六), (七)
    block = SOURCES.split("## 方案第四部分逐条对照", 1)[1].split("\n## ", 1)[0]
    points = [f"（一）{n}" for n in (1, 2, 3)]
    points += [f"（二）{n}" for n in (1, 2, 3, 5)] + [f"（二）4（{n}）" for n in (1, 2, 3)]
    points += [f"（三）{n}" for n in (1, 2, 3)] + ["（四）"]
    points += [f"（五）{n}" for n in (1, 2, 3)] + ["（六）", "（七）"]
    rows = {
        line.split("|")[1].strip(): line for line in block.splitlines() if line.startswith("| （")
    }
    assert [p for p in points if p not in rows] == []
    for point in points:  # each names at least one item id (or says why none can)
        assert "`" in rows[point] or "县级" in rows[point], point


# --------------------------------------------------------------------------- 两免一补 (2024 rates)

LIVING = {
    "living_subsidy_primary_boarder": 1250,
    "living_subsidy_junior_boarder": 1500,
    "living_subsidy_primary_day": 625,
    "living_subsidy_junior_day": 750,
}
OLD_RATES = {  # before spring 2024: a school still paying these pays too little
    "living_subsidy_primary_boarder": 1000,
    "living_subsidy_junior_boarder": 1250,
    "living_subsidy_primary_day": 500,
    "living_subsidy_junior_day": 625,
}


@pytest.mark.parametrize("item", sorted(LIVING))
def test_living_subsidy_is_an_amount_compared_with_the_2024_rate(item):
    nine_year = school(stage="九年一贯制")  # every one of the four applies to it
    assert COMPREHENSIVE.items[item]["type"] == "decimal"
    assert outcome(COMPREHENSIVE, item, nine_year, **{item: LIVING[item]}) == "pass"
    assert outcome(COMPREHENSIVE, item, nine_year, **{item: LIVING[item] - 1}) == "fail"
    result = score(COMPREHENSIVE, nine_year, responses(COMPREHENSIVE, **{item: OLD_RATES[item]}))
    finding = next(f for f in result["findings"] if f["item"] == item)
    assert finding["target"] == str(LIVING[item]) and str(OLD_RATES[item]) in finding["problem"]
    assert result["cap"]["kind"] == "critical"  # short payment caps the grade at 合格


def test_living_subsidy_items_follow_the_stage_and_boarding():
    def shown(at):
        result = score(COMPREHENSIVE, at, responses(COMPREHENSIVE))
        return {i for i in LIVING if result["items"][i]["outcome"] != "not_applicable"}

    assert shown(school(stage="小学", boarding=False)) == {"living_subsidy_primary_day"}
    assert shown(school(stage="初中", boarding=True)) == {
        "living_subsidy_junior_boarder",
        "living_subsidy_junior_day",
    }
    assert shown(school(stage="九年一贯制", boarding=True)) == set(LIVING)
    assert shown(school(stage="高中", boarding=True)) == set()  # 两免一补 is compulsory education
    assert "2024" in COMPREHENSIVE.items["living_subsidy_junior_boarder"]["basis"]


# --------------------------------------------------------------------------- citations


def test_the_5_yuan_meal_rate_cites_the_2021_notice_not_the_2022_measures():
    basis = CANTEEN.items["subsidy_standard"]["basis"]
    assert "2021" in basis and "5 元" in basis and "实施办法" not in basis
    use = COMPREHENSIVE.items["subsidy_use"]["basis"]
    assert "2021 年提高膳食补助标准的通知" in use


def test_broadband_is_the_bureaus_own_target_not_fujians_20m():
    item = COMPREHENSIVE.items["broadband_mbps"]
    assert item["local"] and "本地标准" in item["basis"] and "县教育局设定" in item["basis"]
    assert outcome(COMPREHENSIVE, "broadband_mbps", broadband_mbps=20) == "fail"
    assert outcome(COMPREHENSIVE, "broadband_mbps", broadband_mbps=100) == "pass"
    assert item["fix"]["unit"] == "县教育局"  # the county's contract with the operator


def test_diners_per_staff_is_the_bureaus_setting_and_funded_by_the_county():
    item = CANTEEN.items["diners_per_staff"]
    assert item["local"] and "县教育局设定" in item["basis"] and "河北" not in item["basis"]
    assert item["fix"]["unit"] == "县财政局"


@pytest.mark.parametrize(
    "item, where",
    [
        ("boarders_per_tap", "教学楼"),
        ("boarders_per_handwash", "公共区域"),
        ("boys_per_squat", "教学用建筑"),
        ("boys_per_urinal", "教学用建筑"),
        ("girls_per_squat", "教学用建筑"),
    ],
)
def test_tap_and_toilet_ratios_say_they_are_not_dormitory_rules(item, where):
    basis = BOARDING.items[item]["basis"]
    assert BOARDING.items[item]["local"] and "参照" in basis and where in basis


def test_the_evacuation_two_minutes_is_a_guideline_and_night_drills_are_the_bureaus():
    evac = BOARDING.items["evac_minutes"]
    assert "原则上" in evac["basis"] and "原则上" in evac["problem"]
    night = BOARDING.items["night_drills"]
    assert night["local"] and "县教育局设定" in night["basis"] and "青岛" not in night["basis"]


# --------------------------------------------------------------------------- teachers


def test_a_high_school_needs_every_teacher_with_a_bachelor_degree():
    high = school(stage="高中")
    result = score(
        COMPREHENSIVE, high, responses(COMPREHENSIVE, hs_teachers=20, hs_bachelor_teachers=19)
    )
    assert result["items"]["hs_bachelor_ratio"]["outcome"] == "fail"  # 95 % is not enough
    assert "教师法第十一条" in COMPREHENSIVE.items["hs_bachelor_ratio"]["basis"]
    assert result["items"]["qualified_ratio"]["outcome"] == "not_applicable"  # not 专科 75 %
    junior = score(COMPREHENSIVE, MODEL_SCHOOL, responses(COMPREHENSIVE))
    assert junior["items"]["hs_bachelor_ratio"]["outcome"] == "not_applicable"
    assert junior["items"]["qualified_ratio"]["outcome"] == "pass"


# --------------------------------------------------------------------------- tuck shop


@pytest.mark.parametrize(
    "answer, boarding, expected",
    [
        ("none", False, "pass"),
        ("licensed", True, "pass"),  # 「一般不得」: a licensed shop of a boarding school is allowed
        ("licensed", False, "fail"),  # non-boarding schools: not in principle
        ("unlicensed", True, "fail"),
    ],
)
def test_a_tuck_shop_is_judged_by_licence_and_boarding(answer, boarding, expected):
    at = school(boarding=boarding)
    assert outcome(CANTEEN, "tuck_shop", at, tuck_shop=answer) == expected


# --------------------------------------------------------------------------- 巩固率


def test_a_nine_year_school_enters_both_retention_rates():
    nine_year = school(stage="九年一贯制")
    result = score(
        COMPREHENSIVE,
        nine_year,
        responses(COMPREHENSIVE, primary_cohort_now=90, junior_cohort_now=99),
    )
    assert result["items"]["primary_retention"]["outcome"] == "fail"  # 90 % of 小学六年
    assert result["items"]["junior_retention"]["outcome"] == "pass"  # 99 % of 初中三年
    primary = score(COMPREHENSIVE, school(stage="小学"), responses(COMPREHENSIVE))
    assert primary["items"]["junior_retention"]["outcome"] == "not_applicable"
    assert COMPREHENSIVE.items["primary_retention"]["local"]  # 96 % is the bureau's target


# --------------------------------------------------------------------------- plan points added


def test_university_aid_awards_are_amounts_against_the_plan():
    high = school(stage="高中")
    assert outcome(COMPREHENSIVE, "univ_award_first", high, univ_award_first=12000) == "pass"
    assert outcome(COMPREHENSIVE, "univ_award_first", high, univ_award_first=10000) == "fail"
    assert outcome(COMPREHENSIVE, "univ_award_second", high, univ_award_second=9999) == "fail"
    assert COMPREHENSIVE.items["univ_fund_aid"]["fix"]["unit"] == "县学生资助管理中心"


def test_a_village_school_with_a_preschool_class_is_checked_for_it():
    village = school(stage="教学点", boarding=False, poverty_village=True)
    with_class = score(COMPREHENSIVE, village, responses(COMPREHENSIVE))
    assert with_class["items"]["pre_poor_aid"]["outcome"] == "pass"
    # 入园率 against the county's target: 40 of 50 = 80 % < 90 %
    low = score(COMPREHENSIVE, village, responses(COMPREHENSIVE, pre_enrolled=40))
    assert low["items"]["pre_enrolment_rate"]["outcome"] == "fail"
    without = score(COMPREHENSIVE, village, responses(COMPREHENSIVE, has_preschool_class=False))
    assert without["items"]["pre_poor_aid"]["outcome"] == "not_applicable"
    assert not next(s for s in without["sections"] if s["id"] == "preschool")["possible"]


@pytest.mark.parametrize(
    "mode, item", [("small_kitchen", "small_kitchen_conditions"), ("company", "company_supply"),
                   ("family", "family_supply"), ("canteen", "canteen_self_run")],
)  # fmt: skip
def test_each_supply_mode_has_its_own_check(mode, item):
    result = score(COMPREHENSIVE, MODEL_SCHOOL, responses(COMPREHENSIVE, supply_mode=mode))
    shown = {i for i in ("small_kitchen_conditions", "company_supply", "family_supply",
                         "canteen_self_run") if result["items"][i]["outcome"] != "not_applicable"}  # fmt: skip
    assert shown == {item}


def test_high_risk_foods_cap_the_canteen_and_the_pairing_effect_is_scored():
    result = score(CANTEEN, MODEL_SCHOOL, responses(CANTEEN, no_high_risk_foods=False))
    assert result["cap"]["items"] == ["no_high_risk_foods"]
    assert outcome(COMPREHENSIVE, "pairing_result", pairing_result="none") == "fail"
    assert COMPREHENSIVE.items["pairing_result"]["points"] == 3


@pytest.mark.parametrize(
    "item, unit",
    [
        ("student_staff_ratio", "县编办"),
        ("gaibo_projects", "县教育局"),
        ("broadband_mbps", "县教育局"),
        ("area_per_boarder", "县教育局"),
        ("rural_subsidy", "县财政局"),
    ],
)
def test_the_countys_duties_go_to_the_county_unit(item, unit):
    # the five fix templates that named the principal for the county's job
    result = score(COMPREHENSIVE, MODEL_SCHOOL, responses(COMPREHENSIVE))
    assert COMPREHENSIVE.items[item]["fix"]["unit"] == unit
    assert COMPREHENSIVE.items[item]["fix"]["owner"] != "校长"
    assert result["items"][item]["outcome"] == "pass"


# --------------------------------------------------------------------------- the routine visit


def test_the_routine_visit_covers_the_eight_matters_and_is_short():
    titles = [s["title"] for s in ROUTINE.sections]
    for matter in (
        "招生",
        "课程",
        "课业负担",
        "师德",
        "校园及周边安全",
        "交通安全",
        "食堂",
        "三风",
    ):
        assert any(matter in t or matter in t.replace("校风、教风、学风", "三风") for t in titles)
    answered = [i for i in ROUTINE.items.values() if i["type"] not in ("note", "computed")]
    assert len(ROUTINE.sections) == 8 and len(answered) <= 20  # about 20 minutes on site
    assert all(not i["local"] for i in ROUTINE.items.values())  # no invented numbers


def test_the_routine_visit_scores_a_failure_and_caps_a_safety_hazard():
    result = score(ROUTINE, MODEL_SCHOOL, responses(ROUTINE, no_hazards=False))
    assert result["complete"]
    assert result["cap"]["kind"] == "critical" and result["grade"] == "合格"
    assert [r["unit"] for r in result["rectifications"]] == ["学校"]
