"""Answers a well-run school gives on the shipped checklists, and a search that completes a
checklist for any school — shared by tests/test_critical_items.py and tests/test_completability.py.

GOOD holds, per checklist, an answer for every item a school of any kind may be shown: each one
passes. A case in the critical-item tests then changes only the answers it is about, so the
grade it ends with is caused by those answers and nothing else.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from inspect_app.checklist import Checklist, load_directory, score
from inspect_app.checklist.expressions import STAGES

CHECKLISTS = load_directory(Path(__file__).resolve().parent.parent / "checklists")

# A boarding 初中 that is a 乡镇中心校 in a poverty village: every section of every shipped
# checklist that can apply to a compulsory school applies to it.
MODEL_SCHOOL = {
    "code": "522426011",
    "name": "青山镇中心学校",
    "stage": "初中",
    "boarding": True,
    "township_central": True,
    "poverty_village": True,
    "enrolment": 500,
}

ALL = object()  # marker: every choice of a multi item

GOOD: dict[str, dict] = {
    "canteen_special": {
        "principal_responsibility": True,
        "safety_officer": True,
        "food_license": "valid",
        "tuck_shop": "none",
        "nonprofit_accounting": True,
        "canteen_staff": 6,
        "certified_staff": 6,
        "diners": 500,
        "morning_check": True,
        "supplier_certs": True,
        "inbound_ledger": True,
        "outbound_ledger": True,
        "stock_take": True,
        "receipts_match": True,
        "no_iou": True,
        "no_expired_food": True,
        "sample_kept": True,
        "sample_every_dish": True,
        "sample_weight": 150,
        "sample_48h": True,
        "sample_fridge": True,
        "sample_log": True,
        "raw_cooked_separate": True,
        "no_high_risk_foods": True,
        "meat_egg_milk": True,
        "canteen_self_run": True,
        "tableware_disinfection": True,
        "accompany_records": True,
        "parent_accompany": True,
        "weekly_menu": "planned",
        "subsidy_standard": True,
        "subsidy_proper_use": True,
        "meal_count_match": True,
        "subsidy_public": True,
        "video_surveillance": True,
        "pest_control": True,
    },
    "boarding_special": {
        "boarders": 300,
        "dorm_area": 1200,
        "dorm_beds": 300,
        "bed_type": "bunk",
        "clear_height": 3.2,
        "no_basement": True,
        "guard_rails": True,
        "drinking_taps": 8,
        "handwash_taps": 8,
        "boiled_water_locked": True,
        "water_tank": True,
        "shower_access": "open",
        "toilet_distance": 20,
        "toilet_lighting": True,
        "boys_boarders": 150,
        "girls_boarders": 150,
        "boys_squat": 5,
        "boys_urinals": 10,
        "girls_squat": 12,
        "term_months": 3,
        "drills_this_term": 3,
        "dorm_floors": 4,
        "evac_minutes": 1.5,
        "night_drills": 2,
        "exits_clear": True,
        "emergency_lighting": True,
        "no_electrical_hazards": True,
        "dorm_supervisors": 4,
        "supervisor_norm": True,
        "night_duty": True,
        "bedtime_rollcall": True,
    },
    "routine_visit": {
        "admission_rules": True,
        "fees_public": True,
        "curriculum_complete": True,
        "lesson_observed": "good",
        "homework_control": True,
        "daily_exercise": True,
        "ethics_clean": True,
        "teacher_development": True,
        "gate_duty": True,
        "no_hazards": True,
        "surroundings": True,
        "school_transport": True,
        "traffic_education": True,
        "canteen_hygiene": True,
        "drinking_water_ok": True,
        "dorm_clean": True,
        "ethos_overall": "good",
        "visit_remarks": "家长反映课后服务时间安排合理",
    },
    "fupin_comprehensive": {
        "poor_students_total": 20,
        "dynamic_management": "every_term",
        "file_sample": {
            "population": [f"2015{k:04d}" for k in range(20)],
            "seed": 20261202,
            "marks": {f"2015{k:04d}": True for k in range(20)},  # all 合格, whichever are drawn
        },
        "poor_students_aided": 20,
        "disbursement_sample": True,
        "aid_funds_intact": True,
        "fallback_included": True,
        "aid_notice": ALL,
        "aid_deadline": "2026-06-15",
        "aid_paid_date": "2026-06-10",
        "has_preschool_class": True,
        "pre_construction": True,
        "pre_age_children": 50,
        "pre_enrolled": 48,
        "pre_enrolment_goal": 90,
        "pre_poor_aid": True,
        "pre_equipment": "full",
        "pre_assist": True,
        "dropout_registers": ALL,
        "suspected_count": 0,
        "persuade_records": True,
        "poor_no_dropout": True,
        "enrolment_check": True,
        "has_grade6": True,
        "primary_cohort_base": 100,
        "primary_cohort_now": 98,
        "has_grade9": True,
        "junior_cohort_base": 100,
        "junior_cohort_now": 98,
        "living_subsidy_primary_boarder": 1250,
        "living_subsidy_junior_boarder": 1500,
        "living_subsidy_primary_day": 625,
        "living_subsidy_junior_day": 750,
        "gaibo_projects": True,
        "boarders": 300,
        "dorm_area": 1200,
        "dorm_beds": 300,
        "guard_rails": True,
        "drinking_water": "safe",
        "showers": "open",
        "dorm_toilets": True,
        "dining_seats": True,
        "hs_poor_total": 10,
        "hs_poor_aided": 10,
        "hs_free_education": True,
        "hs_expansion": True,
        "hs_arts_training": True,
        "univ_fund_aid": True,
        "univ_yanbao_plus": True,
        "univ_award_first": 12000,
        "univ_award_second": 10000,
        "univ_loan": True,
        "voc_free_tuition": True,
        "voc_public_funding": 1500,
        "voc_special_funds": True,
        "voc_grant": {
            "population": [f"Z2024{k:04d}" for k in range(30)],
            "seed": 4,
            "marks": {f"Z2024{k:04d}": True for k in range(30)},
        },
        "voc_yulu": "all",
        "voc_training": True,
        "migrant_admission": True,
        "left_behind_measures": ALL,
        "disabled_total": 2,
        "disabled_enrolled": 2,
        "home_teaching": True,
        "broadband_mbps": 100,
        "class_count": 12,
        "bbt_classrooms": 12,
        "bbt_in_use": True,
        "teacher_computers": 40,
        "learning_space": "both",
        "computer_room": "ok",
        "campus_lan": True,
        "campus_broadcast": True,
        "online_classes": True,
        "fulltime_teachers": 40,
        "qualified_teachers": 40,
        "hs_teachers": 20,
        "hs_bachelor_teachers": 20,
        "backbone_teachers": 10,
        "students_total": 500,
        "staff_total": 45,
        "upper_part_students": 200,
        "rural_subsidy": True,
        "teacher_exchange": True,
        "teacher_training": ALL,
        "supply_mode": "canteen",
        "canteen_self_run": True,
        "small_kitchen_conditions": "improved",
        "company_supply": True,
        "family_supply": True,
        "meat_egg_milk": True,
        "demo_canteen": "met",
        "canteen_equipment": True,
        "food_safety_basics": ALL,
        "nutrition_menu": "weekly",
        "subsidy_use": True,
        "nutrition_records": True,
        "pairing_mechanism": True,
        "pairing_areas": ALL,
        "pairing_result": "clear",
        "staff_help_households": True,
        "pairing_effect": "结对学校教研活动每月一次，受援学校评价良好",
    },
}


def good_answers(checklist: Checklist, **changes) -> dict:
    """GOOD for this checklist (multi ALL expanded), with `changes` applied on top."""
    answers = {}
    for item_id, value in {**GOOD[checklist.id], **changes}.items():
        if value is ALL:
            value = [c["value"] for c in checklist.items[item_id]["choices"]]
        answers[item_id] = value
    return answers


def responses(checklist: Checklist, na=(), **changes) -> dict:
    """Good answers plus one photo on every item that can ask for one, so evidence never blocks."""
    photos = {i["id"]: 1 for i in checklist.items.values() if i["evidence"] or i["type"] == "photo"}
    return {"answers": good_answers(checklist, **changes), "na": list(na), "photos": photos}


# --------------------------------------------------------------------------- completability

SCHOOL_KINDS = [
    {
        "code": "X",
        "name": "某校",
        "stage": stage,
        "boarding": boarding,
        "township_central": central,
        "poverty_village": poverty,
        "enrolment": 300,
    }
    for stage, boarding, central, poverty in itertools.product(
        STAGES, (False, True), (False, True), (False, True)
    )
]

# What an inspector may type when GOOD does not fit a school (tried in this order).
NUMBER_TRIES = [0, 1, 2, 5, 10, 20, 40, 100, 1000]


def plain_questions(checklist: Checklist) -> dict[str, list]:
    """Items that state a fact about the school rather than judge it (yes/no or choice with no
    points that cannot fail), which other items' `relevant` reads: every answer to them is a
    kind of school the checklist must be completable for (一所没有毕业年级的教学点)."""
    out: dict[str, list] = {}
    for item in checklist.items.values():
        plan = next(p for p in checklist.item_plans if p.id == item["id"])
        if plan.is_check or item["type"] not in ("yesno", "choice"):
            continue
        out[item["id"]] = (
            [True, False] if item["type"] == "yesno" else [c["value"] for c in item["choices"]]
        )
    return out


def complete(checklist: Checklist, school: dict, fixed: dict, rounds: int = 12) -> dict:
    """Search for answers that complete the checklist for this school, keeping `fixed` answers.

    Starts from GOOD; every item still listed as missing gets its next try (numbers from
    NUMBER_TRIES, then 不适用 where the item allows it) until nothing is missing or no try is
    left. Returns the last Result: `complete` says whether the search succeeded.
    """
    resp = responses(checklist)
    resp["answers"].update(fixed)
    tries: dict[str, int] = {}
    result = score(checklist, school, resp)
    for _ in range(rounds):
        if result["complete"]:
            break
        for m in result["missing"]:
            item = checklist.items[m["item"]]
            if item["id"] in fixed:
                continue
            if m["reason"] == "缺少照片":
                resp["photos"][item["id"]] = 1
                continue
            if item["type"] == "computed":
                if item["na_allowed"] and item["id"] not in resp["na"]:
                    resp["na"].append(item["id"])
                continue  # otherwise its inputs change
            n = tries.get(item["id"], -1) + 1
            tries[item["id"]] = n
            options: list = []
            if item["type"] in ("integer", "decimal"):
                options = NUMBER_TRIES
            elif item["type"] == "yesno":
                options = [True, False]
            elif item["type"] in ("choice", "multi"):
                values = [c["value"] for c in item["choices"]]
                options = values if item["type"] == "choice" else [values, []]
            elif item["type"] == "date":
                options = ["2026-03-01"]
            elif item["type"] == "text":
                options = ["无"]
            elif item["type"] == "photo":
                resp["photos"][item["id"]] = 1
            elif item["type"] == "sample":
                options = [GOOD["fupin_comprehensive"]["file_sample"]]
            if n < len(options):
                resp["answers"][item["id"]] = options[n]
            elif item["na_allowed"] and item["id"] not in resp["na"]:
                resp["na"].append(item["id"])
        result = score(checklist, school, resp)
    return result
