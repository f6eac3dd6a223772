"""What a 回头看 result does to an item, for every state, result and checker (pure rules)."""

from __future__ import annotations

from datetime import date

import pytest

from inspect_app.rectification import followup_rules

TODAY = date(2026, 12, 10)

# (status before, result, may decide) → status after
CASES = [
    ("pending", "fixed", True, "closed"),
    ("returned", "fixed", True, "closed"),
    ("submitted", "fixed", True, "closed"),
    ("pending", "fixed", False, "submitted"),
    ("returned", "fixed", False, "submitted"),
    ("submitted", "fixed", False, "submitted"),
    ("submitted", "partial", True, "returned"),
    ("submitted", "not_fixed", True, "returned"),
    ("submitted", "not_fixed", False, "submitted"),
    ("pending", "not_fixed", True, "pending"),
    ("returned", "partial", True, "returned"),
    ("closed", "not_fixed", True, "closed"),
    ("closed", "fixed", False, "closed"),
]


@pytest.mark.parametrize(("before", "result", "decides", "after"), CASES)
def test_result_moves_the_item_as_the_checker_may(before, result, decides, after):
    item = {"status": before, "deadline": "2026-12-31", "extension_until": "2027-01-31"}
    move = followup_rules.move(item, result, " 现场查看 ", may_decide=decides, today=TODAY)
    assert move.data["status_after"] == after
    assert move.changes.get("status", before) == after
    assert move.kind == "followup" and move.text == f"{followup_rules.RESULTS[result]}：现场查看"
    # Closing drops a pending extension request, as a reviewer's 销号 does.
    assert ("extension_until" in move.changes) == (after == "closed" and before != "closed")


def test_not_fixed_past_the_deadline_says_how_late_and_stays_overdue():
    item = {"status": "pending", "deadline": "2026-11-30"}
    move = followup_rules.move(item, "not_fixed", "资金未到位", may_decide=True, today=TODAY)
    assert move.changes == {}
    assert move.text == "未整改（已逾期 10 天）：资金未到位"
    assert move.data["outcome"] == "整改时限 2026-11-30 已过，仍按逾期督办"


@pytest.mark.parametrize(
    ("result", "note", "photos", "problems"),
    [
        ("fixed", "已整改", 1, {}),
        ("fixed", "已整改", 0, {"photos": "核实为已整改须至少拍摄一张现场照片"}),
        ("not_fixed", "  ", 0, {"note": "请填写未整改原因"}),
        ("partial", "", 2, {"note": "请填写已整改和仍未整改的内容"}),
        ("partial", "x" * 2001, 0, {"note": "已整改和仍未整改的内容不能超过 2000 字"}),
        ("not_fixed", "原因", 11, {"photos": "每个事项最多 10 张照片"}),
        ("done", "x", 0, {"result": "请选择核实结果：已整改、部分整改或未整改"}),
    ],
)
def test_what_each_result_needs(result, note, photos, problems):
    assert followup_rules.result_problems(result, note, photos) == problems
