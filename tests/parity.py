"""Random checklists in the whole checklist language, random schools and answers, and a node
process that scores them with static/js/engine.js — the pieces of the differential tests
(tests/test_engine_parity.py).

The strategies build checklist *source* (the YAML an author writes), so every generated case
also goes through the loader: what is compared is exactly what ships to the phone.
Expressions are generated well-typed (the validator rejects the rest), referring to earlier
items in `calculation` and `relevant` (no cycles) and to any item in `constraint`, `target` and
`pass_if`, so that answers still pending, N/A and hidden inputs all occur.
"""

from __future__ import annotations

import atexit
import functools
import json
import math
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml
from hypothesis import strategies as st

from inspect_app.checklist.expressions import STAGES
from inspect_app.checklist.loader import check_file
from inspect_app.checklist.model import item_can_fail
from inspect_app.checklist.sampling import draw_sample

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "tests" / "js" / "score_stdin.mjs"
NEGATIVE_ZERO = "__negative_zero__"  # the runner's spelling of -0 (JSON has none)

GRADE_NAMES = ["优秀", "良好", "合格", "基本合格", "不合格"]
GRADE_MINS = [95, 90, 85, 80, 72.5, 60, 50, 30]
DATES = ["2024-02-29", "2025-09-25", "2026-01-31", "2026-03-01", "2026-06-15", "2026-12-31"]
BAD_DATES = ["2026-02-30", "2026-2-3", "２０２６-01-01", ""]
TEXTS = ["无", "见附件", "有 ", "   ", "\u3000", "\ufeff"]
NUMBERS = [0, 0, 1, 2, 3, 5, 8, 12, 40, 120, -3, 2.5, 0.125, 1.005, 2.675, -0.05, 7.45, 1e14]
# Targets just above numbers the cases answer (target → that number): a value that fails
# against one prints as the target prints at one or two decimals (2.675 against 2.6751: both
# "2.7"), and is shown with more decimals until the two read apart (scoring._apart).
NEAR_TARGETS = {0.1251: 0.125, 1.0051: 1.005, 2.6751: 2.675, 7.4501: 7.45, 2.5004: 2.5, 3.0004: 3}
_NEAR_SOURCES = {repr(target) for target in NEAR_TARGETS}
MALFORMED = ["yes", 1, 2.5, True, [], ["zzz"], {"a": 1}, "2026-02-30", 1e15, -1e16, 10**20]


# --------------------------------------------------------------------------- drawing
# Plain functions over Hypothesis's `draw`, with the few primitive strategies built once:
# building strategies per draw (composites inside composites) cost most of the run time.


@functools.cache
def _integers(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


def ints(draw, low: int, high: int) -> int:
    return draw(_integers(low, high))


def coin(draw) -> bool:
    return draw(_integers(0, 1)) == 1


def pick(draw, options):
    """One of `options`; shrinks towards the first."""
    options = list(options)
    return options[draw(_integers(0, len(options) - 1))]


def some(draw, options, low: int = 0) -> list:
    """A sub-list of `options` (in their order) with at least `low` entries."""
    options = list(options)
    chosen = [x for x in options if coin(draw)]
    return chosen if len(chosen) >= low else options[:low]


# --------------------------------------------------------------------------- expressions


class _Refs:
    """Items an expression may read, by value type: [(id, choices or None)]."""

    def __init__(self, items: list[dict]) -> None:
        self.by_type: dict[str, list[tuple[str, list[str] | None]]] = {}
        for item in items:
            t = _value_type(item)
            if t is None:
                continue
            choices = [c["value"] for c in item.get("choices") or []] or None
            self.by_type.setdefault(t, []).append((item["id"], choices))

    def of(self, t: str) -> list[tuple[str, list[str] | None]]:
        return self.by_type.get(t, [])


def _value_type(item: dict) -> str | None:
    t = item["type"]
    if t == "computed":
        return item["_vtype"]
    return {
        "yesno": "bool",
        "choice": "choice",
        "multi": "multi",
        "integer": "number",
        "decimal": "number",
        "photo": "number",
        "sample": "number",
        "text": "text",
        "date": "date",
    }.get(t)


def _literal_number(draw) -> str:
    return str(pick(draw, ([0, 1, 2, 3, 5, 10, 0.5, 0.1, 2.5, 100, 0.96])))


def number_expr(draw, refs: _Refs, depth: int = 2, school_only: bool = False) -> str:
    leaves = ["lit", "enrol"]
    if not school_only:
        leaves += ["num"] * 3 * bool(refs.of("number"))
        leaves += ["count"] * bool(refs.of("multi"))
        leaves += ["days"] * bool(refs.of("date"))
    kinds = leaves + (["op"] * 3 + ["fn", "neg", "cond", "coalesce"] if depth > 0 else [])
    kind = pick(draw, (kinds))

    def sub():
        return number_expr(draw, refs, depth - 1, school_only)

    if kind == "lit":
        return _literal_number(draw)
    if kind == "enrol":
        return "school.enrolment"
    if kind == "num":
        return pick(draw, (refs.of("number")))[0]
    if kind == "count":
        return f"count_selected({pick(draw, (refs.of('multi')))[0]})"
    if kind == "days":
        a = pick(draw, (refs.of("date")))[0]
        b = pick(draw, ([f"'{d}'" for d in DATES] + [r[0] for r in refs.of("date")]))
        return f"days_between({a}, {b})" if coin(draw) else f"days_between({b}, {a})"
    if kind == "op":
        op = pick(draw, (["+", "-", "*", "/", "/", "%"]))
        return f"({sub()} {op} {sub()})"
    if kind == "fn":
        fn = pick(draw, (["min", "max", "round", "round2", "abs"]))
        if fn == "round2":
            return f"round({sub()}, {ints(draw, 0, 3)})"
        if fn in ("min", "max"):
            return f"{fn}({sub()}, {sub()})"
        return f"{fn}({sub()})"
    if kind == "neg":
        return f"-{sub()}"
    if kind == "coalesce":
        return f"coalesce({sub()}, {_literal_number(draw)})"
    return f"({bool_expr(draw, refs, depth - 1, school_only)} ? {sub()} : {sub()})"


def bool_expr(draw, refs: _Refs, depth: int = 2, school_only: bool = False) -> str:
    kinds = ["school", "stage", "cmp"]
    if not school_only:
        kinds += ["yesno"] * 2 * bool(refs.of("bool"))
        kinds += ["choice"] * bool(refs.of("choice"))
        kinds += ["selected"] * bool(refs.of("multi"))
        kinds += ["date"] * bool(refs.of("date"))
        kinds += ["text"] * bool(refs.of("text"))
        kinds += ["answered", "isnull"] * bool(refs.by_type)
    if depth > 0:
        kinds += ["and", "or", "not"]
    kind = pick(draw, (kinds))

    def sub():
        return bool_expr(draw, refs, depth - 1, school_only)

    if kind == "school":
        return "school." + pick(draw, ["boarding", "township_central", "poverty_village"])
    if kind == "stage":
        if coin(draw):
            return f"school.stage == '{pick(draw, (STAGES))}'"
        chosen = some(draw, STAGES, 1)[:4]
        return "school.stage in [" + ", ".join(f"'{s}'" for s in chosen) + "]"
    if kind == "cmp":
        op = pick(draw, (["<", "<=", ">", ">=", "==", "!="]))
        left = number_expr(draw, refs, depth - 1, school_only)
        return f"({left} {op} {number_expr(draw, refs, depth - 1, school_only)})"
    if kind == "yesno":
        ref = pick(draw, (refs.of("bool")))[0]
        return pick(draw, ([ref, f"not {ref}", f"{ref} == false"]))
    if kind == "choice":
        ref, choices = pick(draw, (refs.of("choice")))
        if coin(draw):
            return f"{ref} == '{pick(draw, (choices))}'"
        chosen = some(draw, choices, 1)
        return f"{ref} in [" + ", ".join(f"'{c}'" for c in chosen) + "]"
    if kind == "selected":
        ref, choices = pick(draw, (refs.of("multi")))
        return f"selected({ref}, '{pick(draw, (choices))}')"
    if kind == "date":
        ref = pick(draw, (refs.of("date")))[0]
        return f"{ref} {pick(draw, (['<', '>=']))} '{pick(draw, (DATES))}'"
    if kind == "text":
        return f"{pick(draw, (refs.of('text')))[0]} == '无'"
    if kind in ("answered", "isnull"):
        t = pick(draw, (sorted(refs.by_type)))
        ref = pick(draw, (refs.of(t)))[0]
        return f"answered({ref})" if kind == "answered" else f"{ref} == null"
    if kind == "not":
        return f"not {sub()}"
    return f"({sub()} {kind} {sub()})"


def value_test(draw, item: dict, refs: _Refs) -> str:
    """A pass_if (with `target` when the item has one) or constraint on the item's own value."""
    t = _value_type(item)
    choices = [c["value"] for c in item.get("choices") or []]
    has_target = "target" in item
    if t == "number":
        if has_target and item["target"] in _NEAR_SOURCES and coin(draw):
            return "value >= target"  # the answer drawn just below it fails
        right = "target" if has_target else number_expr(draw, refs, 1)
        op = pick(draw, (["<", "<=", ">=", ">", "!="]))
        if ints(draw, 0, 5) == 0:
            return f"(value % 2 == 0) or (value {op} {right})"
        return f"value {op} {right}"
    if t == "date":
        right = "target" if has_target else f"'{pick(draw, (DATES))}'"
        if coin(draw):
            return f"days_between(value, {right}) >= {pick(draw, ([0, 30, -10]))}"
        return f"value <= {right}"
    if t == "bool":
        return pick(draw, (["value", "not value", "value == true"]))
    if t == "choice":
        chosen = some(draw, choices, 1)
        return "value in [" + ", ".join(f"'{c}'" for c in chosen) + "]"
    if t == "multi":
        if coin(draw):
            return f"count_selected(value) >= {ints(draw, 0, len(choices))}"
        return f"selected(value, '{pick(draw, (choices))}')"
    return "value != '无'"  # text


# --------------------------------------------------------------------------- checklists

ANSWER_TYPES = ["yesno", "choice", "multi", "integer", "decimal", "text", "date", "photo", "sample"]
ITEM_TYPES = ANSWER_TYPES + ["computed", "computed", "note"]


def item_source(draw, n: int, t: str, earlier: list[dict], later: list[str], grades: list[str]):
    """One item of type t in source form. `earlier` are the items before it (any expression may
    read them); `later` the ids of numeric answer items after it (constraint, target and
    pass_if may read those too, so a verdict can wait for an answer still to come)."""
    item: dict = {"id": f"i{n}", "type": t, "label": f"条目{n}"}
    refs = _Refs(earlier)
    scored = t not in ("text", "photo", "note")
    answered = t in ANSWER_TYPES
    if ints(draw, 0, 6) == 0:
        item["applies_if"] = bool_expr(draw, refs, 1, school_only=True)
    if earlier and ints(draw, 0, 3) == 0:
        item["relevant"] = bool_expr(draw, refs, 1)
    if t == "note":
        return item
    if t in ("choice", "multi"):
        count = ints(draw, 2 if t == "choice" else 1, 4)
        with_scores = coin(draw)
        item["choices"] = []
        for k in range(count):
            choice: dict = {"value": f"c{k}", "label": f"选项{k}"}
            if with_scores:
                choice["score"] = pick(draw, ([0, 1, 2, 2.5, 3]))
            if ints(draw, 0, 3) == 0:
                choice["fail"] = True
            item["choices"].append(choice)
    if t in ("integer", "decimal"):
        if coin(draw):
            item["min"] = pick(draw, ([0, 1, -5]))
        if ints(draw, 0, 2) == 0:
            item["max"] = pick(draw, ([10, 50, 1000]))
        if ints(draw, 0, 3) == 0:
            item["decimals"] = ints(draw, 0, 4)
        if coin(draw):
            item["unit"] = pick(draw, (["人", "㎡", "%"]))
    if t == "sample":
        item["sample"] = {"min": pick(draw, [1, 5, 2])}
        if coin(draw):
            item["sample"]["max"] = pick(draw, [10, 5, 30])
        if coin(draw):
            item["unit"] = pick(draw, ["人", "份"])
    if t == "computed":
        if ints(draw, 0, 5) == 0:
            item["_vtype"] = "bool"
            item["calculation"] = bool_expr(draw, refs, 2)
        else:
            item["_vtype"] = "number"
            item["calculation"] = number_expr(draw, refs, 3)
            if coin(draw):
                item["format"] = pick(draw, (["number", "percent"]))
            if ints(draw, 0, 2) == 0:
                item["decimals"] = ints(draw, 0, 3)
    if answered and t != "photo" and ints(draw, 0, 4) == 0:
        item["required"] = coin(draw)
    if t == "photo" and coin(draw):
        item["required"] = True
    if t != "note" and ints(draw, 0, 3) == 0:
        item["na_allowed"] = True
    if not scored:
        if t == "text" and ints(draw, 0, 3) == 0:
            item["constraint"] = "value != '无'"
        if t == "text" and ints(draw, 0, 4) == 0:
            item["evidence"] = "always"
        return item

    everyone = _Refs(earlier + [{"id": i, "type": "integer"} for i in later])
    if answered and t not in ("yesno", "choice", "multi", "sample") and ints(draw, 0, 3) == 0:
        item["constraint"] = value_test(draw, item, everyone)
        if coin(draw):
            item["constraint_message"] = "不符合填写要求"
    if ints(draw, 0, 2) > 0 or t not in ("choice", "multi"):
        item["points"] = pick(draw, ([0, 1, 2, 3, 5, 4.5]))
    if _value_type(item) in ("number", "date") and ints(draw, 0, 2) > 0:
        if _value_type(item) == "number":
            if coin(draw):
                item["target"] = repr(pick(draw, sorted(NEAR_TARGETS)))
            else:
                item["target"] = number_expr(draw, everyone, 2)
        else:
            dates = [f"'{d}'" for d in DATES] + [r[0] for r in everyone.of("date")]
            item["target"] = pick(draw, (dates))
        item["pass_if"] = value_test(draw, item, everyone)
    elif ints(draw, 0, 3) == 0:
        item["pass_if"] = value_test(draw, item, everyone)
    if ints(draw, 0, 4) == 0:
        item["problem"] = pick(
            draw, ["{label} 为 {value}{unit}", "{value} 未达 {target}", "问题 {label}"]
        )
        if "{target}" in item["problem"] and "target" not in item:
            item["problem"] = "{label}：{value}"
    flag = ints(draw, 0, 9)
    if flag == 0:
        item["veto"] = True
    elif flag == 1 and len(grades) > 2:
        item["critical"] = pick(draw, (grades[1:-1]))
    if item_can_fail(item):
        if ints(draw, 0, 3) == 0:
            item["evidence"] = pick(draw, (["on_fail", "always"]))
        item["fix"] = {"action": "整改", "owner": "校长", "days": 7}
        if ints(draw, 0, 2) == 0:  # 责任单位: both engines copy it into the draft
            item["fix"]["unit"] = pick(draw, ["学校", "县财政局", "乡镇政府"])
    else:
        item.pop("veto", None)
        item.pop("critical", None)
        if ints(draw, 0, 5) == 0:
            item["evidence"] = "always"
    return item


def checklist_source(draw) -> dict:
    """A whole checklist in source form (`_vtype` keys are the generator's own, dropped on dump)."""
    band_count = ints(draw, 2, 4)
    mins = sorted(some(draw, GRADE_MINS)[: band_count - 1] or [60], reverse=True)
    band_count = len(mins) + 1
    names = list(GRADE_NAMES)
    for k in range(len(names) - 1):  # a shuffle that shrinks towards the list as written
        j = ints(draw, k, len(names) - 1)
        names[k], names[j] = names[j], names[k]
    names = names[:band_count]
    grades = [{"grade": g, "min": m} for g, m in zip(names, [*mins, 0], strict=True)]
    grade_names = [g["grade"] for g in grades]
    section_count = ints(draw, 1, 3)
    weights = [100] if section_count == 1 else None
    if weights is None:
        cuts = sorted({ints(draw, 1, 99) for _ in range(section_count - 1)})
        weights = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    # equal cuts merge: as many sections as there are weights
    sizes = [ints(draw, 1, 5) for _ in range(len(weights))]
    types = [pick(draw, ITEM_TYPES) for _ in range(sum(sizes))]
    items: list[dict] = []
    sections = []
    n = 0
    for s, (weight, size) in enumerate(zip(weights, sizes, strict=True)):
        section: dict = {"id": f"s{s}", "title": f"部分{s}", "weight": weight, "items": []}
        if ints(draw, 0, 4) == 0:
            section["applies_if"] = bool_expr(draw, _Refs([]), 1, school_only=True)
        for _ in range(size):
            later = [
                f"i{k}" for k in range(n + 1, len(types)) if types[k] in ("integer", "decimal")
            ]
            item = item_source(draw, n, types[n], list(items), later, grade_names)
            items.append(item)
            section["items"].append(item)
            n += 1
        sections.append(section)
    source: dict = {
        "id": "vec_parity",
        "title": "随机检查单",
        "version": "P1",
        "basis": "差异测试生成",
        "grades": grades,
        "sections": sections,
    }
    if any("critical" in i for i in items) and coin(draw):
        source["critical_caps"] = [
            {"failed": ints(draw, 2, 3), "grade": pick(draw, grade_names[1:])}
        ]
    return source


def to_yaml(source: dict) -> str:
    def clean(x):
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items() if not k.startswith("_")}
        if isinstance(x, list):
            return [clean(v) for v in x]
        return x

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: ten times faster
    return yaml.dump(clean(source), Dumper=dumper, allow_unicode=True, sort_keys=False, width=1000)


_TMP = tempfile.mkdtemp(prefix="parity-")
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)  # each worker of each run made one


def compile_source(text: str) -> dict:
    """Load checklist YAML through the real loader; a generator that writes an invalid
    checklist is a bug in these strategies (or the loader), so the errors are raised."""
    path = os.path.join(_TMP, "vec_parity.yaml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    checklist, errors = check_file(path)
    if errors or checklist is None:
        raise AssertionError(
            "generated checklist does not load:\n" + "\n".join(map(str, errors)) + "\n" + text
        )
    return json.loads(json.dumps(checklist.compiled, ensure_ascii=False))


# --------------------------------------------------------------------------- schools, answers


def schools(draw) -> dict:
    school = {
        "code": "P0001",
        "name": "随机学校",
        "stage": pick(draw, (STAGES)),
        "boarding": coin(draw),
        "township_central": coin(draw),
        "poverty_village": coin(draw),
        "enrolment": pick(draw, ([0, 1, 37, 240, 600, 2.5, 1500])),
    }
    if ints(draw, 0, 9) == 0:  # incomplete or mistyped school records read as null
        school[pick(draw, (sorted(school)))] = pick(draw, ([None, "1", 1]))
    return school


def answer(draw, item: dict):
    t = item["type"]
    if ints(draw, 0, 19) == 0:
        return pick(draw, (MALFORMED))
    if t == "yesno":
        return coin(draw)
    if t == "choice":
        return pick(draw, ([c["value"] for c in item["choices"]]))
    if t == "multi":
        return some(draw, [c["value"] for c in item["choices"]])
    near = NEAR_TARGETS.get((item.get("target") or {}).get("v"))
    if near is not None and t in ("integer", "decimal") and coin(draw):
        return near  # just below its target
    if t == "integer":
        return pick(draw, ([n for n in NUMBERS if n == int(n)]))
    if t == "decimal":
        return pick(draw, NUMBERS) if coin(draw) else ints(draw, -20, 200) / 8
    if t == "date":
        return pick(draw, (DATES * 3 + BAD_DATES))
    if t == "sample":
        return sample_answer(draw, item)
    return pick(draw, (TEXTS))  # text


SAMPLE_SEEDS = [0, 1, 12345, 2**32 - 1, 2**31, 7.0]
BAD_SAMPLE_IDS = [" S1", "S1 ", "", "\u3000S", 5, None]


def sample_answer(draw, item: dict):
    """A list of ids (sometimes malformed), a seed, and marks for part or all of the draw."""
    population = [f"S{k:03d}" for k in range(pick(draw, [0, 1, 3, 8, 26, 50, 120]))]
    if ints(draw, 0, 9) == 0 and population:
        population[-1] = pick(draw, BAD_SAMPLE_IDS + [population[0]])  # blank edge or a duplicate
    seed = pick(draw, SAMPLE_SEEDS) if ints(draw, 0, 9) else pick(draw, [-1, 2**32, 1.5, "1", None])
    rule = item.get("sample") or {}
    try:
        drawn = draw_sample(population, int(seed), rule.get("min", 1), rule.get("max"))
    except (TypeError, ValueError):
        drawn = population[:3]
    marks: dict = {}
    everything = ints(draw, 0, 2) > 0
    for x in drawn if isinstance(drawn, list) else []:
        if everything or coin(draw):
            marks[x] = (
                pick(draw, [True, True, False]) if ints(draw, 0, 19) else pick(draw, [1, "是"])
            )
    if ints(draw, 0, 4) == 0:
        marks["X999"] = False  # a mark for an id outside the sample is ignored
    return {"population": population, "seed": seed, "marks": marks}


def responses(draw, compiled: dict) -> dict:
    answers, na, photos = {}, [], {}
    for section in compiled["sections"]:
        for item in section["items"]:
            t = item["type"]
            if t == "note":
                continue
            if ints(draw, 0, 5) == 0:
                na.append(item["id"])  # N/A on an item without na_allowed is ignored
            if t == "photo" or item.get("evidence"):
                count = pick(draw, ([0, 0, 1, 3, 1.5, -1, "2"]))
                if count:
                    photos[item["id"]] = count
            if t in ("computed", "photo") or ints(draw, 0, 4) == 0:
                continue  # left unanswered (or nothing to answer)
            answers[item["id"]] = answer(draw, item)
    return {"answers": answers, "na": na, "photos": photos}


# --------------------------------------------------------------------------- comparison


def canonical(x):
    """A spelling of a Result in which Python and JavaScript agree exactly when the values do:
    every number as a float (JS has no int), -0.0 as the runner's marker, booleans kept apart
    from numbers (True == 1 in Python, not in the engines)."""
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, (int, float)):
        x = float(x)
        return NEGATIVE_ZERO if x == 0 and math.copysign(1, x) < 0 else x
    if isinstance(x, dict):
        return {k: canonical(v) for k, v in x.items()}
    if isinstance(x, list):
        return [canonical(v) for v in x]
    raise TypeError(f"not a JSON value: {x!r}")


def same(a, b) -> bool:
    return json.dumps(canonical(a), sort_keys=True) == json.dumps(canonical(b), sort_keys=True)


def first_difference(a, b, path: str = "") -> str:
    """Where two JSON values first differ, for the failure message."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: only in {'Python' if key in a else 'JavaScript'}"
            if not same(a[key], b[key]):
                return first_difference(a[key], b[key], f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if not same(x, y):
                return first_difference(x, y, f"{path}[{i}]")
    return f"{path}: Python {json.dumps(canonical(a), ensure_ascii=False)} ≠ JavaScript {json.dumps(canonical(b), ensure_ascii=False)}"


def vector(source_yaml: str, compiled: dict, school: dict, resp: dict, expected: dict) -> str:
    """A failing case as a ready-made shared vector (tests/vectors format, see generate.py)."""
    data = {
        "source": "src/vec_parity.yaml",
        "compiled": compiled,
        "cases": [
            {
                "name": "vec_parity_mismatch",
                "hand_checked": False,
                "note": "found by tests/test_engine_parity.py; expected is the Python Result",
                "school": school,
                "responses": resp,
                "expected": expected,
                "full": True,
            }
        ],
    }
    return (
        "---- tests/vectors/src/vec_parity.yaml ----\n"
        + source_yaml
        + "---- tests/vectors/vec_parity.json ----\n"
        + json.dumps(data, ensure_ascii=False, indent=1)
        + "\n"
    )


# --------------------------------------------------------------------------- node


class NodeEngine:
    """One node process running tests/js/score_stdin.mjs, fed a JSON line per batch."""

    def __init__(self, node: str = "node") -> None:
        self.proc = subprocess.Popen(
            [node, str(RUNNER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )

    def score(self, compiled: dict, cases: list[tuple[dict, dict]]) -> list[dict]:
        return self.score_and_sent(compiled, cases)[0]

    def score_and_sent(
        self, compiled: dict, cases: list[tuple[dict, dict]]
    ) -> tuple[list[dict], list[dict]]:
        """Each case's Result, and the answers the phone would send with it (form.js payload)."""
        request = json.dumps({"compiled": compiled, "cases": cases}, ensure_ascii=False)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(request + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"node exited with {self.proc.wait()}")
        answer = json.loads(line)
        if "error" in answer:
            raise AssertionError("engine.js raised: " + answer["error"])
        return answer["results"], answer["sent"]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)
