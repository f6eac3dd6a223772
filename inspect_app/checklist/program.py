"""A checklist's scoring written out as one Python function, item by item (scoring's fast path).

`scoring.score` does the same two passes for every checklist: values in dependency order,
then outcomes in document order. Run as a loop, most of its time goes to asking each item
what it is (type, relevant, N/A allowed, memo kind…) and to keeping per-item state in dicts.
Here each checklist version gets that loop unrolled once: straight-line code for each item
that does only what this item can need, with its state in local variables, calling
scoring's own functions for everything rare (malformed answers, samples, judgements not yet
remembered). An answer no expression reads needs nothing from pass 1 but its own value, so
its two passes are written as one, at its place in pass 2 (`_fused_item`). The Result is
exactly the loop's (bench/check_scoring_identity.py compares them by repr).

Checklists are uploaded by bureau clerks, so the source written here never contains any of
a checklist's content — no item id, label, text, number or expression: only Python keywords,
the names of the runtime functions scoring supplies, and names made up here (`P3`, `I3`,
`s3`…) that are bound to the checklist's values in the function's namespace. Expressions
stay the closures `expressions.compile_expression` built. tests/test_scoring_program.py
checks the source token by token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inspect_app.checklist.expressions import references, walk
from inspect_app.checklist.model import Checklist, ItemPlan

# Compiled code by source text: checklists of the same shape (the differential tests' many
# fresh copies, a version re-read from the database) share one compile.
_CODE_CACHE: dict[str, Any] = {}
_CODE_BY_HASH: dict[str, Any] = {}  # the same code by checklist content hash
_CODE_CACHE_SIZE = 256

# Item counts in one int, so an item adds them with one addition (a section has far fewer
# than 2**20 items): shown + answered << 20 + failed << 40.
COUNT_SHIFT = 20
COUNT_MASK = (1 << COUNT_SHIFT) - 1


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 1

    def __call__(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def indent(self) -> None:
        self.depth += 1

    def dedent(self) -> None:
        self.depth -= 1


def _referenced(checklist: Checklist) -> set[str]:
    """Ids of the items some expression reads: only their values need to be in scope.values."""
    out: set[str] = set()
    for item in checklist.items.values():
        for key in ("applies_if", "relevant", "calculation", "constraint", "target", "pass_if"):
            node = item.get(key)
            if node is not None:
                out.update(references(node))
    return out


def _value_code(w: _Writer, n: int, plan: ItemPlan, stored: bool) -> None:
    """Pass 1 for a shown item: its value into v{n} (None when broken), pending and errors."""
    t = plan.type
    store = f"values[I{n}] = v{n}" if stored else None
    if t == "note":
        w(f"v{n} = None")
        return
    if t == "computed":
        w("try:")
        w.indent()
        w(f"v{n} = P{n}.calculation(scope)")
        w(f"if type(v{n}) is float and not -NUMBER_LIMIT < v{n} < NUMBER_LIMIT:")
        w("    raise EvalError(TOO_BIG)")
        w.dedent()
        w("except EvalError as exc:")
        w.indent()
        w(f"s{n} = BROKEN")
        w(f"errors[I{n}] = uncomputable(exc)")
        w(f"broken.add(I{n})")
        w(f"v{n} = None")
        w.dedent()
        w("else:")
        w.indent()
        w(f"if v{n} is None and not P{n}.calc_refs.isdisjoint(pending):")
        w(f"    pending.add(I{n})")
        if store:
            w(store)
        else:
            w("pass")
        w.dedent()
        return
    if t == "photo":
        w(f"count = photo_count(photos, I{n})")
        w(f"v{n} = float(count) if count else None")
        w(f"if v{n} is None:")
        w(f"    pending.add(I{n})")
        if store:
            w(store)
        return
    if t == "sample":
        # its value is the share marked 合格, once every sampled file is marked
        w(f"sample, ok = parse_sample(answers.get(I{n}), P{n}.sample_min, P{n}.sample_max)")
        w(f"v{n} = None")
        w("if sample is not None:")
        w(f'    v{n} = sample.pop("ratio")')
        w(f"    samples[I{n}] = sample")
        _settle(w, n, store)
        return
    w(f"raw = answers.get(I{n})")
    w("if raw is None:")
    w(f"    v{n} = None")
    w(f"    pending.add(I{n})")
    if t in _INLINE_READS:
        test, value = _INLINE_READS[t]
        w(f"elif {test.format(n=n)}:")
        w(f"    v{n} = {value}")
        if store:
            w(f"    {store}")
    w("else:")  # anything else, out of line: malformed, blank text, dates, multi
    w(f"    v{n}, s{n} = read_answer(P{n}, raw, values, errors, broken, pending)")


# The commonest well-formed answers of each type, read inline (as scoring._normalize_answer
# would read them): (test of `raw`, the value). Anything else goes to scoring.read_answer.
_INLINE_READS = {
    "yesno": ("type(raw) is bool", "raw"),
    "choice": ("type(raw) is str and raw in P{n}.choices", "raw"),
    "integer": ("type(raw) is int and -NUMBER_LIMIT < raw < NUMBER_LIMIT", "float(raw)"),
    # float(raw) is raw itself; NaN fails the range and goes out of line
    "decimal": ("type(raw) is float and -NUMBER_LIMIT < raw < NUMBER_LIMIT", "raw"),
    "text": ("type(raw) is str and raw.strip()", "raw"),  # blank text (unanswered): out of line
    # "" (unanswered) and impossible dates: out of line
    "date": ("type(raw) is str and day_number(raw) is not None", "raw"),
}


def _settle(w: _Writer, n: int, store: str | None) -> None:
    """After a read that may be malformed (`ok`): broken, or the value (pending when null)."""
    w("if not ok:")
    w(f"    s{n} = BROKEN")
    w(f"    errors[I{n}] = BAD_ANSWER")
    w(f"    broken.add(I{n})")
    w(f"    v{n} = None")
    w("else:")
    w(f"    if v{n} is None:")
    w(f"        pending.add(I{n})")
    w(f"    {store or 'pass'}")


def _first_pass(w: _Writer, n: int, plan: ItemPlan, hideable: bool, stored: bool) -> None:
    if hideable:
        w(f"if I{n} in hidden:")
        w(f"    s{n} = HIDDEN_SCHOOL")
        w("else:")
        w.indent()
    w(f"s{n} = SHOWN")
    guarded = False
    if plan.relevant is not None:
        w("try:")
        w(f"    if P{n}.relevant(scope) is not True:")
        w(f"        s{n} = HIDDEN_RELEVANT")
        w("except EvalError as exc:")
        w(f"    s{n} = BROKEN")
        w(f"    errors[I{n}] = uncomputable(exc)")
        w(f"    broken.add(I{n})")
        guarded = True
    if plan.na_allowed:
        w(f"if s{n} is SHOWN and I{n} in marked_na:")
        w(f"    s{n} = MARKED_NA")
        guarded = True
    if guarded:
        w(f"if s{n} is SHOWN:")
        w.indent()
    _value_code(w, n, plan, stored)
    if guarded:
        w.dedent()
    if hideable:
        w.dedent()


# Value type of each item type whose value has one type (or is null): a memo key needs no
# mark to keep 是 apart from 1 at a position that only ever holds one of them.
_SCALAR_TYPES = {
    "yesno": "bool",
    "choice": "str",
    "text": "str",
    "date": "str",
    "integer": "float",
    "decimal": "float",
    "photo": "float",
    "sample": "float",
}


def _inline_key(plan: ItemPlan, items: dict[str, tuple[int, str]]) -> list[str] | None:
    """The memo key of an item that reads other items, written out: (own key, per item read
    its value or BROKEN_KEY and for a number the sign of a zero, whether each item pass_if/
    target read still waits). None where scoring._judge_key is needed: the item reads the
    school, a multi answer (a list) or a calculation (any type)."""
    if not plan.judge_deps or plan.judge_school:
        return None
    if any(ref not in items or items[ref][1] not in _SCALAR_TYPES for ref in plan.judge_deps):
        return None
    if any(ref not in items for ref in plan.judge_waits):
        return None
    lines = []
    parts = ["key"]
    for j, ref in enumerate(plan.judge_deps):
        m, t = items[ref]
        lines.append(f"k{j} = BROKEN_KEY if I{m} in broken else values.get(I{m})")
        parts.append(f"k{j}")
        if _SCALAR_TYPES[t] == "float":  # -0.0 == 0.0 as keys; a target shows the sign
            parts.append(f"copysign(1.0, k{j}) if k{j} == 0 else None")
    parts.extend(f"I{items[ref][0]} in pending" for ref in plan.judge_waits)
    lines.append(f"key = ({', '.join(parts)})")
    return lines


def _record_code(w: _Writer, n: int, plan: ItemPlan, items: dict[str, tuple[int, str]]) -> None:
    """Pass 2 for a shown item: its remembered record into `rec` (worked out when new)."""
    w(f"if v{n} is None:")
    w.indent()
    _record_unanswered(w, n, plan)
    w.dedent()
    w("else:")
    w.indent()
    _record_value(w, n, plan, items)
    w.dedent()


def _record_unanswered(w: _Writer, n: int, plan: ItemPlan) -> None:
    """The record of a shown item without a value."""
    # nothing to judge: the outcome follows from the item (and for a calculation, whether
    # its inputs still wait for answers; a sample drawn and not yet marked says which
    # files, so it is worked out each time)
    if plan.type == "sample":
        w(f"if I{n} in samples:")
        w(f"    rec = record(P{n}, SHOWN, None, None, scope, pending, samples)")
        w("else:")
        w.indent()
    key = f"I{n} in pending" if plan.type == "computed" else "False"
    w(f"key = {key}")
    w(f"rec = P{n}.settled.get(key)")
    w("if rec is None:")
    w(f"    rec = remember(P{n}.settled, key, P{n}, SHOWN, None, None, scope, pending, samples)")
    if plan.type == "sample":
        w.dedent()


def _record_value(w: _Writer, n: int, plan: ItemPlan, items: dict[str, tuple[int, str]]) -> None:
    """The record of a shown item with its value v{n}."""
    v = f"v{n}"
    if plan.judged is None:
        w(f"rec = record(P{n}, SHOWN, {v}, None, scope, pending, samples)")
        return
    if plan.plain_key:
        w(f"rec = J{n}.get({v})")
        w("if rec is None:")
        w(f"    rec = remember(J{n}, {v}, P{n}, SHOWN, {v}, None, scope, pending, samples)")
        return
    if plan.type == "multi":
        w(f"key = tuple({v})")
    elif plan.type == "computed":
        # a calculation of any type: keep 是 apart from 1
        w(
            f"key = tuple({v}) if type({v}) is list else ({v}, BOOL_KEY) if type({v}) is bool else {v}"
        )
    else:
        w(f"key = {v}")
    inline = _inline_key(plan, items)
    if inline is not None:
        for line in inline:
            w(line)
    reads = (plan.judge_deps or plan.judge_school) and inline is None
    if reads:
        w(f"key = judge_key(key, P{n}, scope, pending)")
        w("if key is None:")
        w(f"    rec = record(P{n}, SHOWN, {v}, None, scope, pending, samples)")
        w("else:")
        w.indent()
    w(f"rec = J{n}.get(key)")
    w("if rec is None:")
    w(f"    rec = remember(J{n}, key, P{n}, SHOWN, {v}, None, scope, pending, samples)")
    if reads:
        w.dedent()


# Item types whose value is a str or bool: a remembered entry already holds this very value
# (equal str/bool keys are equal values), so it is not set again. Numbers are (-0.0 and 0.0
# are one key), and so are lists (each Result gets its own).
_OWN_VALUE_TYPES = ("yesno", "choice", "text", "date")


def _replay(w: _Writer, n: int, plan: ItemPlan, k: int, shown: bool) -> None:
    """What a record adds to the Result: the entry (with the value v{n} when `shown`; a
    broken item's record already says null), missing, finding, rectification, cap, then the
    section's counts and sums."""
    if plan.packed_sums:  # the four sums in one (model.SectionPlan.packed_sums)
        w("template, extra, inc, p = rec")
    else:
        w("template, extra, inc, ea, pa, e, p = rec")
    value = shown and plan.type not in _OWN_VALUE_TYPES
    if value or plan.type == "sample" or plan.evidence is not None:
        w(f"items[I{n}] = entry = template.copy()")
    else:  # the entry stays as remembered
        w(f"items[I{n}] = template.copy()")
    if value:
        w(f'entry["value"] = v{n}')
    if plan.type == "sample":  # which files were drawn: the report and the re-check
        w(f"if I{n} in samples:")
        w(f'    entry["sample"] = samples[I{n}]')
    w("if extra is not None:")
    w.indent()
    w("reason, finding, rect, cap_entry, photo_matters = extra")
    if plan.evidence is not None:
        w(f"if photo_matters and photo_count(photos, I{n}) == 0:")
        w('    entry["evidence_missing"] = True')
        w("    if reason is None:")
        w("        reason = NO_PHOTO")
    w("if reason is not None:")
    w(f'    missing_append({{"item": I{n}, "label": L{n}, "section": SID{k}, "reason": reason}})')
    if plan.can_fail or plan.pass_if is not None or plan.type == "sample":  # else never fails
        w("if finding is not None:")
        w("    findings_append(finding.copy())")
        w("    if rect is not None:")
        w("        rectifications_append(rect.copy())")
        w("    if cap_entry is not None:")
        w(f"        {'vetoes' if plan.veto else 'critical'}_append(cap_entry.copy())")
    w.dedent()
    w("counts += inc")
    if plan.points == 0 and not plan.scored_choices:
        return  # an item without points earns and could earn only 0.0: sums stay as they are
    if plan.packed_sums:
        w("earned_sum += p")
    else:
        w("assessed_earned += ea")
        w("assessed_possible += pa")
        w("earned_sum += e")
        w("possible_sum += p")


def _hidden_entry(w: _Writer, n: int, plan: ItemPlan, state: str) -> None:
    """Hidden or 不适用: nothing earned or possible, no finding, no photo needed."""
    if plan.na_allowed and plan.answerable and state != "HIDDEN_SCHOOL":
        if state == f"s{n}":
            w(f"if s{n} is MARKED_NA:")
            w("    counts += NA_COUNTS")
        elif state == "MARKED_NA":
            w("counts += NA_COUNTS")
    w(f"items[I{n}] = P{n}.hidden_results[{state}].copy()")


def _second_pass_item(
    w: _Writer, n: int, plan: ItemPlan, k: int, items: dict[str, tuple[int, str]]
) -> None:
    """Pass 2 for an item pass 1 read: by its state s{n} and value v{n}."""
    w(f"if s{n} is SHOWN:")
    w.indent()
    _record_code(w, n, plan, items)
    _replay(w, n, plan, k, True)
    w.dedent()
    w(f"elif s{n} is BROKEN:")  # 无法计算 or malformed: no value
    w.indent()
    w(f"rec = broken_record(P{n}, errors[I{n}], scope, pending, samples)")
    _replay(w, n, plan, k, False)
    w.dedent()
    if plan.na_allowed or plan.relevant is not None or plan.applies is not None:
        w("else:")
        w.indent()
        _hidden_entry(w, n, plan, f"s{n}")
        w.dedent()


def _fused_item(
    w: _Writer, n: int, plan: ItemPlan, k: int, items: dict[str, tuple[int, str]]
) -> None:
    """Both passes for an answer no expression reads (see `_fusable`), in document order:
    nothing waits for its value, whether it is broken or still pending, so it is read where
    it is judged and each way through goes straight to its record."""
    if plan.applies is not None:  # (a section that does not apply is handled as a whole)
        w(f"if I{n} in hidden:")
        w.indent()
        _hidden_entry(w, n, plan, "HIDDEN_SCHOOL")
        w.dedent()
        w("else:")
        w.indent()
    if plan.relevant is not None:
        w("try:")
        w(f"    s{n} = SHOWN if P{n}.relevant(scope) is True else HIDDEN_RELEVANT")
        w("except EvalError as exc:")
        w(f"    s{n} = BROKEN")
        w(f"    errors[I{n}] = uncomputable(exc)")
        if plan.na_allowed:
            w(f"if s{n} is SHOWN and I{n} in marked_na:")
            w(f"    s{n} = MARKED_NA")
        w(f"if s{n} is SHOWN:")
        w.indent()
    elif plan.na_allowed:
        w(f"if I{n} in marked_na:")
        w.indent()
        _hidden_entry(w, n, plan, "MARKED_NA")
        w.dedent()
        w("else:")
        w.indent()
    test, value = _INLINE_READS[plan.type]
    w(f"raw = answers.get(I{n})")
    w("if raw is None:")
    w.indent()
    w(f"v{n} = None")
    _record_unanswered(w, n, plan)
    w.dedent()
    w(f"elif {test.format(n=n)}:")
    w.indent()
    w(f"v{n} = {value}")
    _record_value(w, n, plan, items)
    w.dedent()
    w("else:")  # out of line, as pass 1 reads it; malformed gives its broken record
    w.indent()
    w(f"v{n}, s{n} = read_answer(P{n}, raw, values, errors, broken, pending)")
    w(f"if s{n} is SHOWN:")
    w.indent()
    _record_code(w, n, plan, items)
    w.dedent()
    w("else:")
    w(f"    rec = broken_record(P{n}, errors[I{n}], scope, pending, samples)")
    w.dedent()
    _replay(w, n, plan, k, True)  # a broken record's null value is v{n} (None) as well
    if plan.relevant is not None:
        w.dedent()
        w(f"elif s{n} is BROKEN:")
        w.indent()
        w(f"rec = broken_record(P{n}, errors[I{n}], scope, pending, samples)")
        _replay(w, n, plan, k, False)
        w.dedent()
        w("else:")
        w.indent()
        _hidden_entry(w, n, plan, f"s{n}")
        w.dedent()
    elif plan.na_allowed:
        w.dedent()
    if plan.applies is not None:
        w.dedent()


def _fusable(plan: ItemPlan, item: dict, referenced: set[str]) -> bool:
    """Whether an item's both passes can be written as one, at its place in the document: an
    answer read inline that no expression reads (so nothing in pass 1 needs its value, its
    being broken or pending), shown by a condition that reads no `value`/`target` (those
    change while pass 2 judges)."""
    if plan.id in referenced or plan.type not in _INLINE_READS:
        return False
    relevant = item.get("relevant")
    return relevant is None or not any(node["k"] in ("value", "target") for node in walk(relevant))


def _section_tail(w: _Writer, k: int, packed: bool) -> None:
    # what the sums give (score, percent, sums as shown) is remembered per section
    if packed:  # earned_sum holds the four sums (model.SectionPlan.packed_sums)
        w(f"totals = SM{k}.get(earned_sum)")
        w("if totals is None:")
        w(f"    totals = packed_totals(SM{k}, earned_sum, W{k})")
        w(
            "raw_score, section_score, percent, earned_shown, possible_shown,"
            " assessed_earned, assessed_possible = totals"
        )
    else:
        w("key = (earned_sum, possible_sum)")
        w(f"totals = SM{k}.get(key)")
        w("if totals is None:")
        w(f"    totals = section_totals(SM{k}, key, W{k})")
        w("raw_score, section_score, percent, earned_shown, possible_shown = totals")
    w("if raw_score is not None:")
    w("    sum_score += raw_score")
    w(f"    sum_weight += W{k}")
    w("shown_count = counts & COUNT_MASK")
    w("answered_count = (counts >> COUNT_SHIFT) & COUNT_MASK")
    w("all_answered += answered_count")
    w("all_shown += shown_count")
    w("all_assessed_earned += assessed_earned")
    w("all_assessed_possible += assessed_possible")
    w("if assessed_possible > 0:")
    w(f"    sum_assessed_score += assessed_earned / assessed_possible * W{k}")
    w(f"    sum_assessed_weight += W{k}")
    w("sections_append({")
    w(f'    "id": SID{k},')
    w(f'    "title": STITLE{k},')
    w(f'    "weight": W{k},')
    w('    "applicable": True,')
    w('    "earned": earned_shown,')
    w('    "possible": possible_shown,')
    w('    "score": section_score,')
    w('    "percent": percent,')
    w('    "answered": answered_count,')
    w('    "items": shown_count,')
    w('    "failed": counts >> (2 * COUNT_SHIFT),')
    w("})")


RESULT_PARTS = (
    "items",
    "sections",
    "missing",
    "findings",
    "rectifications",
    "vetoes",
    "critical",
    "sum_score",
    "sum_weight",
    "sum_assessed_score",
    "sum_assessed_weight",
    "all_assessed_earned",
    "all_assessed_possible",
    "all_answered",
    "all_shown",
)


def _bindings(checklist: Checklist) -> tuple[dict[str, int], dict[str, Any]]:
    """Each item's number (document order) and the checklist values the made-up names of
    the source stand for."""
    index = {
        plan.id: n for n, plan in enumerate(p for s in checklist.section_plans for p in s.items)
    }
    bound: dict[str, Any] = {"ITEMS": dict.fromkeys(index)}
    for k, sec in enumerate(checklist.section_plans):
        bound[f"SID{k}"] = sec.id
        bound[f"STITLE{k}"] = sec.title
        bound[f"W{k}"] = sec.weight
        bound[f"SNA{k}"] = sec.not_applicable_result
        bound[f"SM{k}"] = {}  # (earned, possible) -> scoring.section_totals
        for plan in sec.items:
            n = index[plan.id]
            bound[f"P{n}"] = plan
            bound[f"I{n}"] = plan.id
            bound[f"L{n}"] = plan.label
            bound[f"J{n}"] = plan.judged
    return index, bound


def source(checklist: Checklist) -> tuple[str, dict[str, Any]]:
    """The function's source and the checklist values its made-up names stand for."""
    index, bound = _bindings(checklist)
    by_id = {p.id: p for p in checklist.item_plans}
    referenced = _referenced(checklist)
    kinds = {plan.id: (n, plan.type) for plan_id, n in index.items() for plan in [by_id[plan_id]]}
    section_of = {plan.id: sec for sec in checklist.section_plans for plan in sec.items}

    w = _Writer()
    w.lines.append("def run(scope, answers, marked_na, photos, hidden, section_applies):")
    w("values = scope.values")
    w("broken = scope.broken")
    w("errors = {}")
    w("pending = set()")
    w("samples = {}")
    w("items = ITEMS.copy()")  # every id in document order: filled in place, never resized
    for name in ("sections", "missing", "findings", "rectifications", "vetoes", "critical"):
        w(f"{name} = []")
        w(f"{name}_append = {name}.append")
    for name in RESULT_PARTS[7:13]:
        w(f"{name} = 0.0")
    w("all_answered = 0")
    w("all_shown = 0")

    fused = {p.id for p in checklist.item_plans if _fusable(p, checklist.items[p.id], referenced)}
    # pass 1: values in dependency order
    for plan in checklist.item_plans:
        if plan.id in fused:
            continue
        hideable = plan.applies is not None or section_of[plan.id].applies is not None
        _first_pass(w, index[plan.id], plan, hideable, plan.id in referenced)

    # pass 2: outcomes in document order
    for k, sec in enumerate(checklist.section_plans):
        if sec.applies is not None:
            w(f"if not section_applies[SID{k}]:")
            w.indent()
            # every item hidden by the school: nothing counts, nothing is missing
            for plan in sec.items:
                n = index[plan.id]
                w(f"items[I{n}] = P{n}.hidden_results[HIDDEN_SCHOOL].copy()")
            w(f"sections_append(SNA{k}.copy())")
            w.dedent()
            w("else:")
            w.indent()
        packed = all(plan.packed_sums for plan in sec.items)
        sums = (
            ("earned_sum",)
            if packed
            else ("earned_sum", "possible_sum", "assessed_earned", "assessed_possible")
        )
        for name in sums:
            w(f"{name} = 0.0")
        w("counts = 0")
        for plan in sec.items:
            item_code = _fused_item if plan.id in fused else _second_pass_item
            item_code(w, index[plan.id], plan, k, kinds)
        _section_tail(w, k, packed)
        if sec.applies is not None:
            w.dedent()
    w(f"return ({', '.join(RESULT_PARTS)})")
    return "\n".join(w.lines) + "\n", bound


def build(checklist: Checklist, runtime: dict[str, Any]) -> Callable[..., tuple]:
    """The scoring function of this checklist; `runtime` names the functions and constants
    the source may call (scoring supplies them)."""
    # The source follows from the content, which the hash names: a version rebuilt from its
    # compiled dict (a fresh Checklist per call) is not written out again.
    code = _CODE_BY_HASH.get(checklist.hash)
    if code is not None:
        bound = _bindings(checklist)[1]
    else:
        text, bound = source(checklist)
        code = _CODE_CACHE.get(text)
        if code is None:
            if len(_CODE_CACHE) >= _CODE_CACHE_SIZE:
                _CODE_CACHE.clear()
            code = _CODE_CACHE[text] = compile(text, f"<scoring {checklist.id}>", "exec")
        if len(_CODE_BY_HASH) >= _CODE_CACHE_SIZE:
            _CODE_BY_HASH.clear()
        _CODE_BY_HASH[checklist.hash] = code
    namespace: dict[str, Any] = {
        "__builtins__": {
            "type": type,
            "bool": bool,
            "int": int,
            "float": float,
            "str": str,
            "list": list,
            "tuple": tuple,
            "set": set,
        },
        "COUNT_SHIFT": COUNT_SHIFT,
        "COUNT_MASK": COUNT_MASK,
        "NA_COUNTS": 1 + (1 << COUNT_SHIFT),  # 不适用 counts as shown and answered
        **runtime,
        **bound,
    }
    exec(code, namespace)  # noqa: S102 - source made of this module's names only (see above)
    run: Callable[..., tuple] = namespace["run"]
    return run
