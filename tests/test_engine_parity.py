"""Differential tests: the Python engine (the reference) and static/js/engine.js give identical
Results on random checklists, schools and answers.

Hypothesis draws a checklist in the whole language (tests/parity.py: every item type,
applies_if/relevant, N/A, evidence, choice scores, multi, computed items with division by zero
and dates, veto, critical and critical_caps, section weights, grade bands), loads it through the
real loader, then draws CASES_PER_CHECKLIST schools with answers. Python scores them here; one
node process, started once for the module, scores the same batch. On a difference Hypothesis
shrinks the case and the failure message is a ready-made vector for tests/vectors/.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspect_app.checklist import score
from tests.parity import (
    NEGATIVE_ZERO,
    NodeEngine,
    canonical,
    checklist_source,
    compile_source,
    first_difference,
    responses,
    same,
    schools,
    to_yaml,
    vector,
)

CHECKLISTS = 300
CASES_PER_CHECKLIST = 8
MIN_CASES = 2000

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


@pytest.fixture(scope="module")
def engine():
    js = NodeEngine(NODE)
    yield js
    js.close()


@st.composite
def inspections(draw):
    source = checklist_source(draw)
    text = to_yaml(source)
    compiled = compile_source(text)
    cases = [(schools(draw), responses(draw, compiled)) for _ in range(CASES_PER_CHECKLIST)]
    return text, compiled, cases


def test_python_and_javascript_agree_on_random_checklists(engine):
    scored = [0]
    # The comparison only covers 抽样 if the generator really produces sample items that
    # pass, fail, wait for marks and are malformed: count the states of the very cases
    # compared (counting them in a second run of the generator cost as much as this one).
    seen: set[str] = set()

    @settings(
        max_examples=CHECKLISTS,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(inspections())
    def check(case):
        text, compiled, cases = case
        ours = [json.loads(json.dumps(score(compiled, s, r))) for s, r in cases]
        theirs, sent = engine.score_and_sent(compiled, cases)
        scored[0] += len(cases)
        decimals = {i["id"]: i.get("decimals", 1) for s in compiled["sections"] for i in s["items"]}
        for result in ours:
            for item_id, entry in result["items"].items():
                if entry["type"] == "sample":
                    seen.add(entry["outcome"])
                    if "sample" in entry:
                        seen.add("drawn")
                # a failing value printed with more decimals than its own, to read apart
                # from its target (scoring._apart)
                shown = re.search(r"\.(\d+)", entry["display_value"] or "")
                if entry["outcome"] == "fail" and shown and len(shown[1]) > decimals[item_id]:
                    seen.add("apart")
        for (school, resp), py, js, answers in zip(cases, ours, theirs, sent, strict=True):
            if not same(py, js):
                raise AssertionError(
                    "Python and engine.js differ at "
                    + first_difference(py, js)
                    + "\n"
                    + vector(text, compiled, school, resp, py)
                )
            # what the phone sends is scored on the server as the phone scored it
            if any(e["outcome"] == "na" for i, e in js["items"].items() if i in answers):
                seen.add("answered yet 不适用, sent")
            on_server = json.loads(
                json.dumps(score(compiled, school, {**resp, "answers": answers}))
            )
            if not same(scored_as(on_server), scored_as(js)):
                raise AssertionError(
                    "the server scores the phone's payload otherwise: "
                    + first_difference(scored_as(on_server), scored_as(js))
                    + "\n"
                    + vector(text, compiled, school, resp, py)
                )

    check()
    assert scored[0] >= MIN_CASES
    expected = {
        "pass",
        "fail",
        "unanswered",
        "error",
        "drawn",
        "apart",
        "answered yet 不适用, sent",
    }
    assert expected <= seen, seen


def scored_as(result: dict) -> dict:
    """What a Result says of the school, without the values of items that are not asked (a
    hidden item's answer is not sent)."""
    return {
        **{k: v for k, v in result.items() if k != "items"},
        "items": {
            i: {k: v for k, v in e.items() if k not in ("value", "display_value")}
            if e["outcome"] == "not_applicable"
            else e
            for i, e in result["items"].items()
        },
    }


def test_comparison_tells_apart_what_json_would_blur():
    # The comparison is what makes these tests able to fail: it must see a sign of zero, a
    # boolean against a number, and a missing key, yet not an int against an equal float.
    assert same({"a": 1, "b": [2.0]}, {"a": 1.0, "b": [2]})
    assert not same({"x": -0.0}, {"x": 0})
    assert same({"x": -0.0}, {"x": NEGATIVE_ZERO})
    assert not same({"x": True}, {"x": 1})
    assert not same({"x": None}, {})
    assert not same([1, 2], [2, 1])
    assert canonical({"n": 3}) == {"n": 3.0}
    assert "b[1]" in first_difference({"b": [1, 2]}, {"b": [1, 3]})


def test_runner_reports_the_old_yes_no_rule(engine):
    # A yes/no with no points and no veto answered 否 is information in both engines; this is
    # the case engine.js once scored as a failure while Python did not (issue 13).
    text = to_yaml(
        {
            "id": "vec_parity",
            "title": "食堂",
            "version": "P1",
            "basis": "测试",
            "grades": [{"grade": "合格", "min": 60}, {"grade": "不合格", "min": 0}],
            "sections": [
                {
                    "id": "s",
                    "title": "部分",
                    "weight": 100,
                    "items": [
                        {"id": "has_canteen", "type": "yesno", "label": "学校设有食堂"},
                        {
                            "id": "clean",
                            "type": "yesno",
                            "label": "整洁",
                            "points": 2,
                            "fix": {"action": "打扫", "owner": "校长", "days": 1},
                        },
                    ],
                }
            ],
        }
    )
    compiled = compile_source(text)
    case = ({"stage": "小学"}, {"answers": {"has_canteen": False, "clean": True}})
    py = json.loads(json.dumps(score(compiled, *case)))
    (js,) = engine.score(compiled, [case])
    assert py["items"]["has_canteen"]["outcome"] == "info"
    assert py["findings"] == []
    assert same(py, js), first_difference(py, js)


def test_both_engines_draw_the_same_sample_for_every_size_and_seed(engine):
    # The draw itself, over population sizes around the ⌈√N⌉ steps and seeds at the edges of
    # 32 bits: one mismatch would show the phone other files than the report names.
    text = to_yaml(
        {
            "id": "vec_sample",
            "title": "档案",
            "version": "S1",
            "basis": "测试",
            "grades": [{"grade": "合格", "min": 60}, {"grade": "不合格", "min": 0}],
            "sections": [
                {
                    "id": "s",
                    "title": "部分",
                    "weight": 100,
                    "items": [
                        {
                            "id": "files",
                            "type": "sample",
                            "label": "抽查档案",
                            "sample": {"min": 5, "max": 30},
                            "points": 3,
                            "fix": {"action": "补齐", "owner": "资助专干", "days": 30},
                        }
                    ],
                }
            ],
        }
    )
    compiled = compile_source(text)
    cases = []
    for n in (1, 4, 5, 24, 25, 26, 99, 100, 101, 899, 900, 901, 2000):
        for seed in (0, 1, 2**31 - 1, 2**31, 2**32 - 1, 987654321):
            population = [f"2015{k:06d}" for k in range(n)]
            cases.append(({}, {"answers": {"files": {"population": population, "seed": seed}}}))
    theirs = engine.score(compiled, cases)
    for (school, resp), js in zip(cases, theirs, strict=True):
        py = json.loads(json.dumps(score(compiled, school, resp)))
        assert same(py, js), first_difference(py, js)
        assert py["items"]["files"]["sample"]["ids"] == js["items"]["files"]["sample"]["ids"]
