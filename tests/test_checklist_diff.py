"""The differences a clerk reads before publishing, sentence by sentence."""

from __future__ import annotations

import copy
from pathlib import Path

from inspect_app.checklist.diff import diff
from inspect_app.checklist.expressions import parse
from inspect_app.checklist.loader import load_checklist

SOURCE = Path(__file__).parent / "data" / "checklists" / "school_basics.yaml"


def _pair():
    old = load_checklist(SOURCE).compiled
    return old, copy.deepcopy(old)


def _item(compiled: dict, item_id: str) -> dict:
    return next(i for s in compiled["sections"] for i in s["items"] if i["id"] == item_id)


def test_the_same_version_is_said_to_be_the_same():
    old, new = _pair()
    result = diff(old, new)
    assert result["same"] and result["summary"] == ["与当前版本内容完全相同"]


def test_thresholds_points_vetoes_and_fixes_in_words():
    old, new = _pair()
    ratio = _item(new, "backbone_ratio")
    ratio["target"] = parse("school.township_central ? 0.3 : 0.1")
    ratio["points"] = ratio["points"] + 2
    ratio["fix"] = {**ratio["fix"], "days": 30}
    result = diff(old, new)
    (changed,) = result["entries"]["changed"]
    assert changed["id"] == "backbone_ratio"
    assert (
        "标准值由 school.township_central ? 0.2 : 0.1 改为 school.township_central ? 0.3 : 0.1"
        in changed["changes"]
    )
    assert (
        f"分值由 {_item(old, 'backbone_ratio')['points']:g} 改为 {ratio['points']:g}"
        in changed["changes"]
    )
    assert any(
        c.startswith("整改期限（天）由 ") and c.endswith(" 改为 30") for c in changed["changes"]
    )
    assert result["summary"] == ["修改 1 个条目"]


def test_items_added_removed_and_sections_reweighted():
    old, new = _pair()
    first, second = new["sections"][0], new["sections"][1]
    removed = first["items"].pop()
    first["items"].append({**copy.deepcopy(removed), "id": "new_one", "label": "新的条目"})
    first["weight"], second["weight"] = first["weight"] + 10, second["weight"] - 10
    new["grades"][1]["min"] = new["grades"][1]["min"] + 5
    result = diff(old, new)
    assert [i["label"] for i in result["entries"]["added"]] == ["新的条目"]
    assert [i["id"] for i in result["entries"]["removed"]] == [removed["id"]]
    assert any("权重由" in line for line in result["sections"])
    assert result["grades"] == [
        f"等级「{new['grades'][1]['grade']}」的分数线由 {old['grades'][1]['min']:g} 改为 "
        f"{new['grades'][1]['min']:g}"
    ]
    assert result["summary"][0].startswith("新增 1 个条目、删除 1 个条目")


def test_a_veto_set_and_a_choice_rescored():
    old, new = _pair()
    yesno = next(i for s in new["sections"] for i in s["items"] if i["type"] == "yesno")
    yesno["veto"] = not yesno["veto"]
    result = diff(old, new)
    (changed,) = result["entries"]["changed"]
    assert changed["changes"] == ["改为一票否决" if yesno["veto"] else "取消一票否决"]


def test_a_new_checklist():
    _, new = _pair()
    result = diff(None, new)
    items = sum(len(s["items"]) for s in new["sections"])
    assert result["summary"] == [f"新的检查单：{len(new['sections'])} 个部分、{items} 个条目"]
