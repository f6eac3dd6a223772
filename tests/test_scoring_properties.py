"""Properties of `score` that must hold for any answers (hypothesis).

The monotonicity properties are stated exactly as they hold. Marking an item 不适用 removes it
from both earned and possible, so it can lower a section's percentage when the item had passed;
what holds is: N/A on an item that earned nothing never lowers the total, and N/A on an item
that earned its full points never raises it. Both need the item to be one no other item reads
(otherwise relevance or a calculation may change). Likewise a failed yes/no turned into a pass
never lowers the total when no other item reads it (a `relevant` could otherwise reveal new,
unanswered items).
"""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspect_app.checklist import Checklist, load_checklist, score
from inspect_app.checklist.expressions import STAGES, references
from inspect_app.checklist.loader import ITEM_EXPRESSIONS

DATA = Path(__file__).parent / "data" / "checklists"
CHECKLISTS = {
    name: load_checklist(DATA / f"{name}.yaml") for name in ("school_basics", "mixed_types")
}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

schools = st.fixed_dictionaries(
    {
        "code": st.just("3301001"),
        "name": st.just("测试学校"),
        "stage": st.sampled_from(STAGES),
        "boarding": st.booleans(),
        "township_central": st.booleans(),
        "poverty_village": st.booleans(),
        "enrolment": st.integers(0, 3000),
    }
)
garbage = st.one_of(
    st.none(),
    st.text(max_size=3),
    st.integers(-5, 5),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.text(max_size=2), max_size=2),
)


def valid_value(item: dict) -> st.SearchStrategy:
    t = item["type"]
    if t == "yesno":
        return st.booleans()
    if t in ("choice", "multi"):
        values = [c["value"] for c in item["choices"]]
        return (
            st.sampled_from(values)
            if t == "choice"
            else st.lists(st.sampled_from(values), unique=True)
        )
    if t == "integer":
        return st.integers(-2, 60)
    if t == "decimal":
        return st.floats(-10, 2000, allow_nan=False)
    if t == "date":
        return st.dates().map(lambda d: d.isoformat())
    return st.text(max_size=5)


def answerable(checklist: Checklist) -> list[dict]:
    return [i for i in checklist.items.values() if i["type"] not in ("computed", "note", "photo")]


@st.composite
def responses(draw, checklist: Checklist, allow_garbage: bool = False) -> dict:
    answers = {}
    for item in answerable(checklist):
        choice = draw(st.integers(0, 9))
        if choice == 0:
            continue  # unanswered
        if allow_garbage and choice == 1:
            answers[item["id"]] = draw(garbage)
        else:
            answers[item["id"]] = draw(valid_value(item))
    na = [
        i["id"]
        for i in checklist.items.values()
        if i["na_allowed"] and draw(st.integers(0, 4)) == 0
    ]
    photos = {i: draw(st.integers(0, 2)) for i in checklist.items if draw(st.booleans())}
    return {"answers": answers, "na": na, "photos": photos}


def read_by_others(checklist: Checklist) -> set[str]:
    """Items some other item's expression refers to."""
    out: set[str] = set()
    for item in checklist.items.values():
        for key in ITEM_EXPRESSIONS:
            if item.get(key) is not None:
                out.update(r for r in references(item[key]) if r != item["id"])
    return out


def lone(checklist: Checklist, predicate) -> list[str]:
    others = read_by_others(checklist)
    return [i["id"] for i in checklist.items.values() if i["id"] not in others and predicate(i)]


@pytest.mark.parametrize("name", sorted(CHECKLISTS))
@SETTINGS
@given(data=st.data())
def test_random_answers_never_crash_and_stay_in_range(name, data):
    checklist = CHECKLISTS[name]
    school = data.draw(schools)
    given_responses = data.draw(responses(checklist, allow_garbage=True))
    result = score(checklist, school, given_responses)
    json.dumps(result, allow_nan=False)
    assert result["total"] is None or 0 <= result["total"] <= 100
    for section in result["sections"]:
        assert section["percent"] is None or 0 <= section["percent"] <= 100
        assert 0 <= section["earned"] <= section["possible"]
    for item in result["items"].values():
        assert 0 <= item["earned"] <= item["possible"] or item["possible"] == 0 == item["earned"]
    assert result["complete"] == (result["missing"] == [])
    if result["vetoed"]:
        assert result["grade"] == checklist.grades[-1]["grade"]
    # pure: same input, same output, also from the stored compiled form
    assert score(checklist.compiled, school, given_responses) == result


@pytest.mark.parametrize("name", sorted(CHECKLISTS))
@SETTINGS
@given(data=st.data())
def test_na_on_an_item_that_earned_nothing_never_lowers_the_total(name, data):
    checklist = CHECKLISTS[name]
    candidates = lone(checklist, lambda i: i["na_allowed"])
    school = data.draw(schools)
    given_responses = data.draw(responses(checklist))
    item_id = data.draw(st.sampled_from(candidates))
    given_responses["na"] = [x for x in given_responses["na"] if x != item_id]
    before = score(checklist, school, given_responses)
    item = before["items"][item_id]
    marked = dict(given_responses, na=given_responses["na"] + [item_id])
    after = score(checklist, school, marked)
    if before["total"] is None or after["total"] is None:
        return
    if item["earned"] == 0:
        assert after["total"] >= before["total"]
    if item["possible"] > 0 and item["earned"] == item["possible"]:
        assert after["total"] <= before["total"]


@pytest.mark.parametrize("name", sorted(CHECKLISTS))
@SETTINGS
@given(data=st.data())
def test_turning_a_failed_yesno_into_pass_never_lowers_the_total(name, data):
    checklist = CHECKLISTS[name]
    candidates = lone(checklist, lambda i: i["type"] == "yesno")
    school = data.draw(schools)
    given_responses = data.draw(responses(checklist))
    item_id = data.draw(st.sampled_from(candidates))
    failed = dict(given_responses, answers=dict(given_responses["answers"], **{item_id: False}))
    passed = dict(given_responses, answers=dict(given_responses["answers"], **{item_id: True}))
    before = score(checklist, school, failed)
    after = score(checklist, school, passed)
    assert (before["total"] is None) == (after["total"] is None)
    if before["total"] is not None:
        assert after["total"] >= before["total"]
    assert len(after["findings"]) <= len(before["findings"])
