"""本部分其余项均符合: the phone's rule (static/js/inspector/bulk.js passValue) and the server's
(checklist/bulk.py pass_value) give the same answer for the same compiled items — every item
of every shipped checklist and hand-made edge cases — in one node process."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from inspect_app.checklist import bulk
from inspect_app.checklist.loader import checklist_files, load_checklist

ROOT = Path(__file__).resolve().parent.parent
NODE = shutil.which("node")

YES_NO = {"type": "yesno", "points": 2, "veto": False, "critical": None, "evidence": None}
CHOICES = [
    {"value": "good", "score": 3, "fail": False},
    {"value": "fair", "score": 1, "fail": False},
    {"value": "bad", "score": 0, "fail": True},
]
EDGE = {
    "plain": (YES_NO, True),
    "photo_on_fail": (YES_NO | {"evidence": "on_fail"}, True),
    "photo_always": (YES_NO | {"evidence": "always"}, None),
    "veto": (YES_NO | {"veto": True}, None),
    "veto_photo_on_fail": (YES_NO | {"veto": True, "evidence": "on_fail"}, None),
    "critical": (YES_NO | {"critical": "合格"}, None),
    "critical_photo_on_fail": (YES_NO | {"critical": "合格", "evidence": "on_fail"}, None),
    "unscored": (YES_NO | {"points": 0}, None),
    "pass_if": (YES_NO | {"pass_if": ["==", ["answer"], True]}, None),
    "constraint": (YES_NO | {"constraint": [">=", ["answer"], 0]}, None),
    "choice": (YES_NO | {"type": "choice", "choices": CHOICES}, "good"),
    "choice_photo_on_fail": (
        YES_NO | {"type": "choice", "choices": CHOICES, "evidence": "on_fail"},
        "good",
    ),
    "choice_photo_always": (
        YES_NO | {"type": "choice", "choices": CHOICES, "evidence": "always"},
        None,
    ),
    "choice_cannot_fail": (
        YES_NO | {"type": "choice", "choices": [c | {"fail": False} for c in CHOICES]},
        None,
    ),
    "choice_two_best": (
        YES_NO | {"type": "choice", "choices": [*CHOICES, CHOICES[0] | {"value": "also"}]},
        None,
    ),
    "choice_unscored": (
        YES_NO
        | {
            "type": "choice",
            "choices": [{"value": "a", "fail": False}, {"value": "b", "fail": True}],
        },
        "a",
    ),
    "integer": (YES_NO | {"type": "integer"}, None),
    "sample": (YES_NO | {"type": "sample", "evidence": "on_fail"}, None),
    "multi": (YES_NO | {"type": "multi", "choices": CHOICES}, None),
}


def js_pass_values(items: dict[str, dict]) -> dict:
    script = (
        f"import {{ passValue }} from {json.dumps(str(ROOT / 'static/js/inspector/bulk.js'))};\n"
        "let text = ''; for await (const c of process.stdin) text += c;\n"
        "const items = JSON.parse(text); const out = {};\n"
        "for (const [k, it] of Object.entries(items)) out[k] = passValue(it) ?? null;\n"
        "process.stdout.write(JSON.stringify(out));\n"
    )
    run = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(run.stdout)


def shipped_items() -> dict[str, dict]:
    out = {}
    for path in checklist_files(ROOT / "checklists"):
        compiled = load_checklist(path).compiled
        for section in compiled["sections"]:
            for item in section["items"]:
                out[f"{compiled['id']}.{item['id']}"] = item
    return out


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_phone_and_server_agree_on_every_item_and_edge_case():
    items = shipped_items() | {f"edge.{k}": item for k, (item, _) in EDGE.items()}
    phone = js_pass_values(items)
    server = {k: bulk.pass_value(item) for k, item in items.items()}
    assert phone == server
    # the hand-made cases say what the rule is, not only that both sides agree
    assert {k: phone[f"edge.{k}"] for k in EDGE} == {k: want for k, (_, want) in EDGE.items()}
    # the shipped checklists exercise the on_fail case for real
    assert phone["fupin_comprehensive.bbt_in_use"] is True
    assert phone["fupin_comprehensive.canteen_equipment"] is True
    assert phone["fupin_comprehensive.guard_rails"] is None  # critical, though on_fail


def test_the_server_names_why_an_item_is_refused():
    assert bulk.refusal(EDGE["photo_always"][0]) == bulk.EVIDENCE_ALWAYS
    assert bulk.refusal(EDGE["veto_photo_on_fail"][0]) == bulk.VETO_OR_CRITICAL
    assert bulk.refusal(EDGE["integer"][0]) == bulk.NOT_A_CHECK
    assert bulk.refusal(EDGE["choice_two_best"][0]) == bulk.NO_SINGLE_PASS
    assert bulk.refusal(EDGE["photo_on_fail"][0]) is None
