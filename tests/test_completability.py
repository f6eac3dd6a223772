"""Every shipped checklist can be completed by every kind of school.

For each checklist, each stage × boarding × 乡镇中心校 × 扶贫重点村 combination, and each answer
to the checklist's plain questions (facts about the school such as 「本校设有毕业年级」 that decide
which items are shown), a search (tests/shipped.py `complete`) looks for answers that leave
nothing missing. A school the checklist does not apply to at all (no section applies) is skipped:
it is never offered that checklist.
"""

from __future__ import annotations

import itertools

import pytest

from inspect_app.checklist import score
from tests.shipped import CHECKLISTS, SCHOOL_KINDS, complete, plain_questions, responses


def _facts(checklist):
    questions = plain_questions(checklist)
    for values in itertools.product(*questions.values()):
        yield dict(zip(questions, values, strict=True))


@pytest.mark.parametrize("checklist_id", sorted(CHECKLISTS))
def test_every_kind_of_school_can_complete(checklist_id):
    checklist = CHECKLISTS[checklist_id]
    tried = 0
    for school in SCHOOL_KINDS:
        if not checklist.applies_to(school):
            continue
        for facts in _facts(checklist):
            result = complete(checklist, school, facts)
            tried += 1
            assert result["complete"], (school, facts, result["missing"])
    assert tried >= len(SCHOOL_KINDS) // 4  # the loop really ran over many kinds of school


def test_comprehensive_has_a_plain_question_for_each_graduating_grade():
    questions = plain_questions(CHECKLISTS["fupin_comprehensive"])
    assert "has_grade6" in questions and "has_grade9" in questions


def test_a_teaching_point_with_grades_one_to_three_completes_without_a_cohort():
    # 教学点 with only 一至三年级: there is no graduating class, so nothing can honestly be
    # entered as 六年级应在校人数 — before 「本校设有小学六年级」 the form could never complete.
    checklist = CHECKLISTS["fupin_comprehensive"]
    school = {
        "code": "522426101",
        "name": "岩脚教学点",
        "stage": "教学点",
        "boarding": False,
        "township_central": False,
        "poverty_village": True,
        "enrolment": 23,
    }
    resp = responses(checklist, has_grade6=False)
    for item in ("primary_cohort_base", "primary_cohort_now"):
        del resp["answers"][item]
    result = score(checklist, school, resp)
    assert result["complete"], result["missing"]
    for item in ("primary_cohort_base", "primary_cohort_now", "primary_retention"):
        assert result["items"][item]["outcome"] == "not_applicable"
    # a 教学点 has no 初中: the junior cohort is not even asked
    assert result["items"]["has_grade9"]["outcome"] == "not_applicable"
    assert result["items"]["has_grade6"]["outcome"] == "info"
    assert result["grade"] == "优秀"


def test_the_search_fails_when_a_form_cannot_complete():
    # The search must be able to say no: an answer kept fixed at a value the item rejects
    # (min 1) can never complete, whatever else is tried.
    checklist = CHECKLISTS["fupin_comprehensive"]
    result = complete(checklist, SCHOOL_KINDS[-1], {"class_count": 0})
    assert result["complete"] is False
    # bbt_coverage divides by class_count, so it cannot be computed either
    assert [m["item"] for m in result["missing"]] == ["class_count", "bbt_coverage"]
