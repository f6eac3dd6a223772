"""回头看 (follow-up visit): what an on-site check of an open item means for the item. Pure.

An inspector goes back to a school and checks its open items on the spot: 已整改（核实）
with at least one photo and a note, 部分整改 with what is still missing, or 未整改 with the
reason. The result always goes on the item's timeline; whether it also changes the item
depends on who checked it:

* the item's reviewer (the inspector who found it) or the bureau may decide the item, so
  their on-site check *is* the 复查: 已整改 is 销号 at once, and a school's submission that the
  site does not bear out (部分整改 / 未整改 of a 已提交整改 item) goes back to the school;
* another inspector of the school (its 责任督学 in the plan) cannot decide someone else's
  item: 已整改 puts it before the reviewer as 已提交整改 with the on-site evidence, and
  anything else only adds to the timeline.

An item not fixed keeps its deadline: past it, it stays overdue and escalated.
The item's state is read when the visit reaches the server, not when the phone cached it
(a visit made offline may arrive after the school answered or the reviewer decided).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

RESULTS = {"fixed": "已整改（现场核实）", "partial": "部分整改", "not_fixed": "未整改"}
# What the inspector must write for each result (the field's label, in the phone's words).
NOTE_LABELS = {"fixed": "核实情况", "partial": "已整改和仍未整改的内容", "not_fixed": "未整改原因"}
MAX_NOTE = 2000
MAX_PHOTOS_PER_ITEM = 10


@dataclass(frozen=True)
class Move:
    """A follow-up result's outcome, shaped like ``rules.Move`` so storage applies it alike."""

    changes: dict
    kind: str
    text: str
    data: dict


def result_problems(result: object, note: object, photos: int) -> dict[str, str]:
    """What is wrong with one item's result (field → Chinese message); empty when it is fine."""
    if result not in RESULTS:
        return {"result": "请选择核实结果：已整改、部分整改或未整改"}
    assert isinstance(result, str)
    problems = {}
    text = note.strip() if isinstance(note, str) else ""
    if not text:
        problems["note"] = f"请填写{NOTE_LABELS[result]}"
    elif len(text) > MAX_NOTE:
        problems["note"] = f"{NOTE_LABELS[result]}不能超过 {MAX_NOTE} 字"
    if result == "fixed" and photos < 1:
        problems["photos"] = "核实为已整改须至少拍摄一张现场照片"
    if photos > MAX_PHOTOS_PER_ITEM:
        problems["photos"] = f"每个事项最多 {MAX_PHOTOS_PER_ITEM} 张照片"
    return problems


def move(item: dict, result: str, note: str, *, may_decide: bool, today: date) -> Move:
    """The change a checked result makes to ``item`` (in its state now) and its timeline entry."""
    status = item["status"]
    note = note.strip()[:MAX_NOTE]
    days_late = (today - date.fromisoformat(item["deadline"])).days
    late = f"（已逾期 {days_late} 天）" if status != "closed" and days_late > 0 else ""
    changes: dict = {}
    outcome = "记入办理记录"
    if status == "closed":
        outcome = "该事项已销号，核实情况记入办理记录"
    elif result == "fixed":
        if may_decide:
            # The pending extension request is moot once the item is closed (as in rules.decide).
            changes = {"status": "closed", "extension_until": None}
            outcome = "现场核实通过，销号"
        elif status != "submitted":
            changes = {"status": "submitted"}
            outcome = "待复查人销号"
    elif status == "submitted" and may_decide:
        changes = {"status": "returned"}
        outcome = "与学校提交的整改情况不符，退回重新整改"
    elif late:
        outcome = f"整改时限 {item['deadline']} 已过，仍按逾期督办"
    text = f"{RESULTS[result]}{late}：{note}"
    data = {
        "result": result,
        "result_name": RESULTS[result],
        "status_before": status,
        "status_after": changes.get("status", status),
        "outcome": outcome,
        "days_late": max(days_late, 0) if status != "closed" else 0,
    }
    if changes.get("status") == "closed" and item.get("extension_until"):
        data["dropped_extension"] = item["extension_until"]
    return Move(changes, "followup", text, data)
