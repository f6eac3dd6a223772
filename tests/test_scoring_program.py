"""The scoring program written per checklist (inspect_app/checklist/program.py) is made of the
generator's own words only: checklists are uploaded by bureau clerks, so nothing of theirs —
id, label, title, text, number, expression — may ever become Python source.

Checked token by token on every shipped checklist and on one whose texts are written to break
out of a string literal; a name, string or number the generator did not choose fails it.
"""

from __future__ import annotations

import io
import keyword
import re
import tokenize
from pathlib import Path

from inspect_app.checklist import Checklist, load_directory, score, scoring
from inspect_app.checklist.program import RESULT_PARTS, source

ROOT = Path(__file__).resolve().parent.parent

# names the generator makes up (each bound to one checklist value), per item n / section k
MADE_UP = re.compile(r"(P|I|L|J|s|v|k|SID|STITLE|W|SNA|SM)[0-9]+|ITEMS")
LOCALS = {
    "run", "scope", "answers", "marked_na", "photos", "hidden", "section_applies", "values",
    "broken", "errors", "pending", "samples", "raw", "ok", "sample", "count", "exc", "v",
    "key", "rec", "template", "extra", "inc", "ea", "pa", "e", "p", "entry", "reason",
    "finding", "rect", "cap_entry", "photo_matters", "counts", "earned_sum", "possible_sum",
    "assessed_earned", "assessed_possible", "totals", "raw_score", "section_score", "percent",
    "earned_shown", "possible_shown", "shown_count", "answered_count",
    *RESULT_PARTS,
    *(f"{name}_append" for name in RESULT_PARTS[1:7]),
}  # fmt: skip
# attributes of ItemPlan and methods of builtins the code calls
ATTRIBUTES = {
    "calculation", "relevant", "calc_refs", "isdisjoint", "add", "get", "pop", "choices",
    "sample_min", "sample_max", "settled", "hidden_results", "copy", "values", "broken",
    "append", "strip",
}  # fmt: skip
BUILTINS = {"type", "bool", "int", "float", "str", "list", "tuple", "set"}
CONSTANTS = {"COUNT_SHIFT", "COUNT_MASK", "NA_COUNTS"}
# the Result's own keys and the one key of a sample draw
STRINGS = {
    '"value"', '"sample"', '"ratio"', '"evidence_missing"', '"item"', '"label"', '"section"',
    '"reason"', '"id"', '"title"', '"weight"', '"applicable"', '"earned"', '"possible"',
    '"score"', '"percent"', '"answered"', '"items"', '"failed"',
}  # fmt: skip
NUMBERS = {"0", "0.0", "1", "1.0", "2"}

HOSTILE = '"""\'\'\'"); __import__("os").system("touch /tmp/pwned") #\n{0} \\'


def assert_made_of_generator_words(checklist: Checklist) -> None:
    text, bound = source(checklist)
    allowed = LOCALS | ATTRIBUTES | BUILTINS | CONSTANTS | set(scoring._RUNTIME)
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.NAME:
            ok = keyword.iskeyword(tok.string) or tok.string in allowed
            assert ok or MADE_UP.fullmatch(tok.string), tok
        elif tok.type == tokenize.STRING:
            assert tok.string in STRINGS, tok
        elif tok.type == tokenize.NUMBER:
            assert tok.string in NUMBERS, tok
        elif tok.type in (tokenize.COMMENT, tokenize.ERRORTOKEN):
            raise AssertionError(tok)
    assert set(bound) and all(MADE_UP.fullmatch(name) for name in bound)
    for item in checklist.items.values():
        for text_of_item in (item["id"], item["label"]):
            assert text_of_item not in text


def test_shipped_checklists_become_source_of_generator_words_only():
    for checklist in load_directory(ROOT / "checklists").values():
        assert_made_of_generator_words(checklist)


def test_texts_that_would_break_out_of_a_literal_stay_data():
    shipped = load_directory(ROOT / "checklists")
    compiled = max(shipped.values(), key=lambda c: len(c.items)).compiled
    content = {k: v for k, v in compiled.items() if k != "hash"}
    content["title"] = HOSTILE
    for section in content["sections"]:
        section["title"] = HOSTILE + section["id"]
        for item in section["items"]:
            item["label"] = HOSTILE + item["id"]
            item["problem"] = HOSTILE + "{label}{value}"
            for choice in item.get("choices") or []:
                choice["label"] = HOSTILE
    hostile = Checklist(content)
    assert_made_of_generator_words(hostile)
    result = score(hostile, {"stage": "小学"}, {"answers": {}})
    label = next(iter(result["items"].values()))["label"]
    assert label.startswith(HOSTILE)  # printed as written, never run
    assert not Path("/tmp/pwned").exists()
