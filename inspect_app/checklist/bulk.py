"""本部分其余项均符合: which items the phone may set to 符合 in bulk, and to what.

The phone's rule is static/js/inspector/bulk.js `passValue`; this is the same rule for the
server, over the same compiled item (tests/test_bulk_rule.py runs both on the same items: every
shipped checklist's and hand-made edge cases). An item qualifies when its passing answer is
unambiguous and a judgement alone passes it: a scored 是/否 (是), or a choice that can fail
with exactly one full-marks passing choice. Never a veto or critical item (their failure
decides the grade, so each is answered by hand), a number, an item with its own pass rule or
constraint, nor one that needs a photo even when it passes (`evidence: always`). An item that
needs a photo only when it fails (`evidence: on_fail`) qualifies: its pass needs none.
"""

from __future__ import annotations

from typing import Any

# The reasons the server gives when a bulk_confirmed item does not qualify, in rule order.
NOT_A_CHECK = "不是计分的是否题或选择题"
VETO_OR_CRITICAL = "是一票否决项或关键项"
EVIDENCE_ALWAYS = "须拍照留证"
OWN_RULE = "有自己的判定规则或约束"
NO_SINGLE_PASS = "没有唯一的符合选项"


def refusal(item: dict) -> str | None:
    """Why `item` may not be set in bulk; None when it may (see :func:`pass_value`)."""
    if item.get("veto") or item.get("critical") is not None:
        return VETO_OR_CRITICAL
    if item.get("evidence") == "always":
        return EVIDENCE_ALWAYS
    if item.get("pass_if") or item.get("constraint"):
        return OWN_RULE
    if item.get("type") == "yesno":
        return None if (item.get("points") or 0) > 0 else NOT_A_CHECK
    if item.get("type") != "choice":
        return NOT_A_CHECK
    choices = item.get("choices") or []
    if not any(c.get("fail") for c in choices):
        return NOT_A_CHECK
    return None if _best(choices) is not None else NO_SINGLE_PASS


def pass_value(item: dict) -> Any:
    """The one answer 本部分其余项均符合 gives `item`; None when it may not set it."""
    if refusal(item) is not None:
        return None
    if item["type"] == "yesno":
        return True
    return _best(item["choices"])


def _best(choices: list[dict]) -> Any:
    ok = [c for c in choices if not c.get("fail")]
    if not ok:
        return None
    top = max(c.get("score") or 0 for c in ok)
    best = [c for c in ok if (c.get("score") or 0) == top]
    return best[0]["value"] if len(best) == 1 else None
