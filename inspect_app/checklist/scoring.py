"""`score`: the one pure function that turns a checklist, a school and answers into a Result.

Every number and sentence the product shows about an inspection (form preview, PDF, findings,
rectification list, dashboards) comes from the dict returned here. static/js/engine.js is a
line-by-line port, so the code keeps to plain loops and IEEE double arithmetic in a fixed
order; where the order of operations matters it is noted.

Two passes:
1. values, in dependency order (`Checklist.item_plans`): is each item shown, marked 不适用,
   answered, computable? The visible value of an item is what other expressions read.
2. outcomes, in document order: range/constraint, target, pass_if, points, evidence,
   findings and rectifications, then section scores, total and grade.
Both passes are written out once per checklist version as straight-line code, item by item
(checklist/program.py); the functions here are what that code calls for each item's work.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from inspect_app.checklist import model, program
from inspect_app.checklist.expressions import EvalError, Scope, day_number, normalize_school
from inspect_app.checklist.formatting import (
    MAX_DECIMALS,
    NUMBER_LIMIT,
    format_number,
    format_percent,
    in_range,
    round_half_away,
)
from inspect_app.checklist.model import Checklist, ItemPlan
from inspect_app.checklist.sampling import describe as describe_sample
from inspect_app.checklist.sampling import parse as parse_sample

# Pass-1 states of an item besides "has a value (possibly null)".
_HIDDEN_SCHOOL = "school"  # applies_if (item or section) is false for this school
_HIDDEN_RELEVANT = "relevant"  # relevant is false for these answers
_MARKED_NA = "na"
_BROKEN = "broken"  # answer malformed or expression failed; message in `errors`
_SHOWN = "shown"

DEFAULT_PROBLEM_NUMERIC = "{label} {value}，未达到 {target} 的要求"
DEFAULT_PROBLEM_NUMERIC_NO_TARGET = "{label} {value}，不符合要求"
DEFAULT_PROBLEM = "{label}：不符合要求"
DEFAULT_PROBLEM_SAMPLE = "{label}：{value}"  # 抽查 5 份（共 86 份），1 份不合格：…
DEFAULT_CONSTRAINT_MESSAGE = "填写的值不符合要求"
# How each item outcome is named to users (reports, exports, dashboards).
OUTCOME_NAMES = {
    "pass": "符合",
    "fail": "不符合",
    "na": "不适用",
    "unanswered": "未填写",
    "not_applicable": "不涉及",
    "error": "无法计算",
    "info": "—",
}
REASON_UNANSWERED = "未填写"
REASON_UNCOMPUTABLE = "无法计算"
REASON_NO_PHOTO = "缺少照片"
REASON_BAD_ANSWER = "答案格式不正确"


def _holds(test: Any, scope: Scope) -> bool:
    """An applies_if/relevant condition: only boolean true counts; a failing one counts as false."""
    try:
        return test(scope) is True
    except EvalError:
        return False


def _normalize_answer(plan: ItemPlan, raw: Any) -> tuple[Any, bool]:
    """The answer as expressions see it, and whether it was well-formed for the item type."""
    if raw is None:
        return None, True
    t = plan.type
    if t == "yesno":
        return (raw, True) if type(raw) is bool else (None, False)
    if t == "choice":
        return (raw, True) if type(raw) is str and raw in plan.choices else (None, False)
    if t == "multi":
        if type(raw) is not list:
            return None, False
        for v in raw:
            if type(v) is not str or v not in plan.choices:
                return None, False
        # Canonical order (the order of the choice list) so that `==` on lists is stable.
        return [v for v in plan.choices if v in raw], True
    if t in ("integer", "decimal"):
        # |x| ≥ 1e15, inf, nan and ints too big for a float (10**400) are malformed, never raise
        if not in_range(raw):
            return None, False
        if t == "integer" and raw != math.floor(raw):
            return None, False
        return float(raw), True
    if t == "text":
        if type(raw) is not str:
            return None, False
        return (raw, True) if raw.strip() else (None, True)
    if t == "date":
        if type(raw) is not str:
            return None, False
        if raw == "":
            return None, True
        return (raw, True) if day_number(raw) is not None else (None, False)
    return None, True


def _apart(
    plan: ItemPlan, v: Any, target: Any, shown: str | None, shown_target: str | None
) -> str | None:
    """A failing number printed as its target prints (「巩固率 96%，未达到县定 96% 的目标」 for
    95.96 %) says nothing: up to three more decimals, until the two read apart ("95.96%").
    The judgment stays the exact value's; engine.js apart() is this line for line."""
    if shown is None or shown != shown_target or plan.type == "photo":
        return shown
    if type(v) is not float or type(target) is not float:
        return shown
    for decimals in range(plan.decimals + 1, min(plan.decimals + 3, MAX_DECIMALS) + 1):
        if plan.format == "percent":
            text = format_percent(v, decimals)
        else:
            text = format_number(v, decimals)
        if text != shown_target:
            return text
    return shown


def _photo_count(photos: Any, item_id: str) -> int:
    n = photos.get(item_id) if isinstance(photos, dict) else None
    return int(n) if in_range(n) and n > 0 else 0


def _display(plan: ItemPlan, v: Any) -> str | None:
    """How a value is printed in the form summary, findings and reports."""
    if v is None:
        return None
    if type(v) is bool:
        return "是" if v else "否"
    if type(v) is float:
        if plan.type == "photo":
            return format_number(v, 0) + " 张"
        if plan.format == "percent":
            return format_percent(v, plan.decimals)
        return format_number(v, plan.decimals)
    if type(v) is list:
        if not v:
            return "无"
        labels = []
        for x in v:
            c = plan.choices.get(x)
            labels.append(c.label if c is not None else str(x))
        return "、".join(labels)
    if plan.type == "choice" and v in plan.choices:
        return plan.choices[v].label
    return str(v)


def display_answer(checklist: Checklist, item_id: str, raw: Any) -> str:
    """A stored answer as the form summary, findings and reports print it: choice labels,
    是/否, numbers in the item's format; "" when unanswered, the raw text when malformed."""
    plan = next((p for p in checklist.item_plans if p.id == item_id), None)
    if plan is None or raw is None:
        return "" if raw is None else str(raw)
    if plan.type == "sample":
        sample, well_formed = parse_sample(raw, plan.sample_min, plan.sample_max)
        if not well_formed:
            return str(raw)
        return describe_sample(sample, plan.unit) if sample is not None else ""
    v, well_formed = _normalize_answer(plan, raw)
    if not well_formed:
        return str(raw)
    return _display(plan, v) or ""


def _range_problem(plan: ItemPlan, v: Any) -> str | None:
    """The automatic message for an integer/decimal answer outside min/max."""
    if type(v) is not float or (plan.min is None and plan.max is None):
        return None
    too_low = plan.min is not None and v < plan.min
    too_high = plan.max is not None and v > plan.max
    if not too_low and not too_high:
        return None
    unit = plan.unit
    low = format_number(plan.min, 6) + unit if plan.min is not None else None
    high = format_number(plan.max, 6) + unit if plan.max is not None else None
    if low is not None and high is not None:
        return f"{plan.label}应在 {low} 到 {high} 之间"
    if too_low:
        return f"{plan.label}应不小于 {low}"
    return f"{plan.label}应不大于 {high}"


def _problem_sentence(plan: ItemPlan, display_value: str | None, display_target: str | None) -> str:
    template = plan.problem
    if template is None and plan.type == "sample":
        template = DEFAULT_PROBLEM_SAMPLE
    if template is None:
        if plan.type in ("integer", "decimal", "computed") and display_value is not None:
            template = (
                DEFAULT_PROBLEM_NUMERIC
                if display_target is not None
                else DEFAULT_PROBLEM_NUMERIC_NO_TARGET
            )
        else:
            template = DEFAULT_PROBLEM
    # Plain replacement (no str.format): braces in labels or values stay as they are.
    return (
        template.replace("{label}", plan.label)
        .replace("{value}", display_value or "")
        .replace("{target}", display_target or "")
        .replace("{unit}", plan.unit)
    )


def _pass_by_default(plan: ItemPlan, v: Any) -> bool:
    if plan.type == "yesno":
        return v is True or not plan.can_fail
    if plan.type == "choice":
        return not plan.choices[v].fail
    if plan.type == "multi":
        return all(not plan.choices[x].fail for x in v)
    if plan.type == "sample":
        return v >= 1  # every sampled file 合格
    return True


def _earned_on_pass(plan: ItemPlan, v: Any) -> float:
    if plan.scored_choices:
        if plan.type == "choice":
            return min(plan.points, plan.choices[v].score or 0.0)
        total = 0.0
        for x in v:  # choice-list order, so the float sum is the same in JavaScript
            total += plan.choices[x].score or 0.0
        return min(plan.points, total)
    return plan.points


_BROKEN_KEY = object()  # stands for an input that is 无法计算 in a judgement key
_BOOL_KEY = object()  # follows a 是/否 value in a key


def _judge_key(own: Any, plan: ItemPlan, scope: Scope, pending: set) -> Any:
    """The memo key of an item that reads other items or the school (see ItemPlan.judged), or
    None when an item it reads has a list value (a multi answer, not hashable as it is)."""
    parts = [own]
    broken = scope.broken
    values = scope.values
    for ref in plan.judge_deps:
        if ref in broken:
            parts.append(_BROKEN_KEY)
            continue
        x = values.get(ref)
        t = type(x)
        if t is list:
            return None
        parts.append(x)
        if t is bool:
            parts.append(_BOOL_KEY)  # True == 1.0 as keys; the engines tell them apart
        elif t is float and x == 0:
            parts.append(math.copysign(1.0, x))  # -0.0 == 0.0 as keys; a target shows the sign
    for ref in plan.judge_waits:
        parts.append(ref in pending)
    school = scope.school
    for attr in plan.judge_school:  # each attribute has one type (normalize_school) or null
        x = school[attr]
        parts.append(x)
        if type(x) is float and x == 0:
            parts.append(math.copysign(1.0, x))
    return tuple(parts)


# Answers remembered per item (Checklist item plans live as long as the checklist version):
# about 1.1 KB each, so at most some 2.3 MB for an item of many distinct answers (a decimal
# answered to one place between 0 and 200 has 2 001).
_JUDGED_SIZE = 2048

# Which sections and items apply depends on the school alone (applies_if may read only
# school.*), and a bureau scores the same schools again and again: remembered per checklist
# (Checklist.school_cache), a few thousand schools at most.
_SCHOOL_CACHE_SIZE = 4096


class _SchoolView:
    """What a checklist looks like for one school, before any answer: which sections apply
    and the items applies_if hides."""

    __slots__ = ("section_applies", "hidden")

    def __init__(self, checklist: Checklist, scope: Scope) -> None:
        section_applies = {}
        for sec in checklist.section_plans:
            section_applies[sec.id] = sec.applies is None or _holds(sec.applies, scope)
        hidden = {
            plan.id
            for plan in checklist.item_plans
            if not section_applies[plan.section]
            or (plan.applies is not None and not _holds(plan.applies, scope))
        }
        self.section_applies = section_applies
        self.hidden = frozenset(hidden)


def _school_view(checklist: Checklist, scope: Scope) -> _SchoolView:
    key = tuple(scope.school.values())  # normalize_school: fixed attributes, fixed order
    cache = checklist.school_cache
    view = cache.get(key)
    if view is None:
        if len(cache) >= _SCHOOL_CACHE_SIZE:
            cache.clear()
        cache[key] = view = _SchoolView(checklist, scope)
    return view


def _uncomputable(exc: EvalError) -> tuple[str, str]:
    """An item's (message, missing reason) when an expression it needs fails."""
    return f"{REASON_UNCOMPUTABLE}：{exc.message}", REASON_UNCOMPUTABLE


def _remember(
    memo: dict,
    key: Any,
    plan: ItemPlan,
    st: str,
    v: Any,
    error: tuple[str, str] | None,
    scope: Scope,
    pending: set,
    samples: dict,
) -> _Record:
    """A judgement not remembered yet: worked out, and kept while the memo has room."""
    rec = _record(plan, st, v, error, scope, pending, samples)
    if len(memo) < _JUDGED_SIZE:
        memo[key] = rec
    return rec


def _read_answer(
    plan: ItemPlan, raw: Any, values: dict, errors: dict, broken: set, pending: set
) -> tuple[Any, str]:
    """Pass 1 for an answer the program does not read inline: (value, state)."""
    v, ok = _normalize_answer(plan, raw)
    if not ok:
        errors[plan.id] = (REASON_BAD_ANSWER, REASON_BAD_ANSWER)
        broken.add(plan.id)
        return None, _BROKEN
    if v is None:
        pending.add(plan.id)
    values[plan.id] = v
    return v, _SHOWN


def _broken_record(
    plan: ItemPlan, error: tuple[str, str], scope: Scope, pending: set, samples: dict
) -> _Record:
    """The record of an item that is 无法计算 or malformed (remembered by its error)."""
    rec = plan.settled.get(error)
    if rec is None:
        rec = _remember(plan.settled, error, plan, _BROKEN, None, error, scope, pending, samples)
    return rec


def _sum_points(x: float) -> float:
    """A section's earned or possible points as the Result shows them."""
    # sums of points are mostly whole: round_half_away gives them back unchanged
    return x if x.is_integer() and x < 1e9 else round_half_away(x, 2)


# Distinct (earned, possible) sums remembered per section; a few hundred occur in practice.
_TOTALS_SIZE = 4096


def _totals(
    earned_sum: float, possible_sum: float, weight: float
) -> tuple[float | None, float | None, float | None, float, float]:
    """What a section's sums give: (raw score or None when nothing is possible, score,
    percent, earned and possible as shown)."""
    raw_score = section_score = percent = None
    if possible_sum > 0:
        ratio = earned_sum / possible_sum
        raw_score = ratio * weight  # (earned / possible) × weight, in this order
        section_score = round_half_away(raw_score, 1)
        percent = round_half_away(ratio * 100, 1)
    return raw_score, section_score, percent, _sum_points(earned_sum), _sum_points(possible_sum)


def _section_totals(
    memo: dict, key: tuple[float, float], weight: float
) -> tuple[float | None, float | None, float | None, float, float]:
    """_totals of (earned, possible), remembered in `memo` while it has room."""
    totals = _totals(key[0], key[1], weight)
    if len(memo) < _TOTALS_SIZE:
        memo[key] = totals
    return totals


# A section's four sums packed in one double (model.SectionPlan.packed_sums): assessed
# earned + assessed possible × B + earned × B² + possible × B³, each below B.
_SUMS_BASE = float(model.PACKED_SUMS_LIMIT)
_SUMS_MASK = model.PACKED_SUMS_LIMIT - 1
_SUMS_BITS = model.PACKED_SUMS_LIMIT.bit_length() - 1


def _packed(
    assessed_earned: float, assessed_possible: float, earned: float, possible: float
) -> float:
    return (
        assessed_earned
        + assessed_possible * _SUMS_BASE
        + earned * _SUMS_BASE**2
        + possible * _SUMS_BASE**3
    )


def _packed_totals(
    memo: dict, key: float, weight: float
) -> tuple[float | None, float | None, float | None, float, float, float, float]:
    """_totals of packed sums, then assessed earned and possible; remembered while there is
    room."""
    x = int(key)
    fields = [float((x >> (i * _SUMS_BITS)) & _SUMS_MASK) for i in range(4)]
    totals = (*_totals(fields[2], fields[3], weight), fields[0], fields[1])
    if len(memo) < _TOTALS_SIZE:
        memo[key] = totals
    return totals


# The names a checklist's scoring program (checklist/program.py) may use besides its own.
_RUNTIME: dict[str, Any] = {
    "EvalError": EvalError,
    "NUMBER_LIMIT": NUMBER_LIMIT,
    "TOO_BIG": "计算结果超出范围",
    "SHOWN": _SHOWN,
    "BROKEN": _BROKEN,
    "MARKED_NA": _MARKED_NA,
    "HIDDEN_SCHOOL": _HIDDEN_SCHOOL,
    "HIDDEN_RELEVANT": _HIDDEN_RELEVANT,
    "BAD_ANSWER": (REASON_BAD_ANSWER, REASON_BAD_ANSWER),
    "NO_PHOTO": REASON_NO_PHOTO,
    "BOOL_KEY": None,  # set below, once _BOOL_KEY and _BROKEN_KEY exist
    "BROKEN_KEY": None,
    "uncomputable": _uncomputable,
    "photo_count": _photo_count,
    "parse_sample": parse_sample,
    # the program's test of a date answer: the same few hundred dates recur across scorings
    "day_number": functools.lru_cache(maxsize=4096)(day_number),
    "copysign": math.copysign,
    "record": None,  # set below
    "remember": _remember,
    "read_answer": _read_answer,
    "broken_record": _broken_record,
    "judge_key": None,  # set below
    "round_half_away": round_half_away,
    "section_totals": _section_totals,
    "packed_totals": _packed_totals,
}


def _program(cl: Checklist) -> Any:
    """The checklist's scoring function, written and compiled on its first scoring."""
    run = cl.program
    if run is None:
        cl.program = run = program.build(cl, _RUNTIME)
    return run


def score(checklist: Checklist | dict, school: dict, responses: dict) -> dict:
    """Score one inspection. Pure: same checklist, school and responses give the same Result.

    `checklist` is a Checklist or its compiled dict; `responses` is
    {"answers": {item: value}, "na": [item, ...], "photos": {item: count}}.
    Malformed answers never raise: the item gets outcome "error" and is listed as missing.
    """
    cl = checklist if isinstance(checklist, Checklist) else Checklist.from_compiled(checklist)
    run = cl.program or _program(cl)
    responses = responses if isinstance(responses, dict) else {}
    scope = Scope({}, normalize_school(school), set())
    answers = responses.get("answers")
    answers = answers if isinstance(answers, dict) else {}
    na_list = responses.get("na")
    marked_na = {x for x in na_list if type(x) is str} if isinstance(na_list, list) else set()
    view = _school_view(cl, scope)
    (
        items,
        sections,
        missing,
        findings,
        rectifications,
        vetoes,
        critical,
        sum_score,
        sum_weight,
        sum_assessed_score,
        sum_assessed_weight,
        all_assessed_earned,
        all_assessed_possible,
        all_answered,
        all_shown,
    ) = run(scope, answers, marked_na, responses.get("photos"), view.hidden, view.section_applies)

    total = round_half_away(sum_score / sum_weight * 100, 1) if sum_weight > 0 else None
    vetoed = len(vetoes) > 0
    cap = _cap(cl, vetoes, critical)
    score_grade = _band(cl, total)
    grade = _capped(cl, score_grade, cap)
    projected = (
        round_half_away(sum_assessed_score / sum_assessed_weight * 100, 1)
        if sum_assessed_weight > 0
        else None
    )

    return {
        "checklist": {"id": cl.id, "title": cl.title, "version": cl.version, "hash": cl.hash},
        "total": total,
        "grade": grade,
        "score_grade": score_grade,
        "capped": cap is not None and grade != score_grade,
        "cap": cap,
        "vetoed": vetoed,
        "vetoes": vetoes,
        "critical": critical,
        "progress": {
            "answered": all_answered,
            "items": all_shown,
            "earned": round_half_away(all_assessed_earned, 2),
            "assessed": round_half_away(all_assessed_possible, 2),
            "total": projected,
            "grade": _capped(cl, _band(cl, projected), cap),
        },
        "sections": sections,
        "items": items,
        "complete": len(missing) == 0,
        "missing": missing,
        "findings": findings,
        "rectifications": rectifications,
    }


# _record's tuple: (entry, extra, items shown + answered << 20 + failed << 40 (program.COUNT_SHIFT:
# one int, one addition), earned and possible as far as assessed (pass/fail), earned,
# possible). `extra` is None for most judgements, else (reason it is missing, finding,
# rectification, cap entry, whether a missing photo matters). The entry, finding,
# rectification and cap entry are templates: each Result gets copies.
_Extra = tuple[str | None, dict | None, dict | None, dict | None, bool] | None
_Record = (
    tuple[dict, _Extra, int, float, float, float, float]
    # in a section of packed sums (model.SectionPlan.packed_sums) the four sums in one
    | tuple[dict, _Extra, int, float]
)


def _record(
    plan: ItemPlan,
    st: str,
    v: Any,
    error: tuple[str, str] | None,
    scope: Scope,
    pending: set,
    samples: dict,
) -> _Record:
    """What a shown or 无法计算 item adds to the Result, before this scoring's photos: its
    entry, the reason it is missing (if any), its finding, rectification and grade cap."""
    outcome = "info"
    earned = 0.0
    possible = 0.0
    message: str | None = None
    reason: str | None = None
    target: Any = None
    display_target: str | None = None
    display_value: str | None = None  # only an item with a value has one (below)

    if st == _BROKEN:
        assert error is not None  # pass 1 records why every broken item is broken
        outcome, message, reason = "error", error[0], error[1]
        possible = plan.points
    elif plan.type == "note":
        outcome = "info"
    elif v is None:
        if plan.type == "computed" and plan.id not in pending:
            # Inputs settled (不适用 or hidden) yet nothing to compute: nothing to judge.
            outcome, message = "na", "缺少计算所需的数据，按不适用处理"
        else:
            outcome = "unanswered"
            message = "待相关条目填写后计算" if plan.type == "computed" else REASON_UNANSWERED
            if plan.id in samples:  # drawn, not every file marked yet
                message = describe_sample(samples[plan.id], plan.unit)
            possible = plan.points if plan.is_check else 0.0
            if plan.required:
                reason = REASON_UNANSWERED
    else:
        display_value = (
            describe_sample(samples[plan.id], plan.unit)
            if plan.type == "sample"
            else _display(plan, v)
        )
        outcome, earned, possible, message, reason, target = _judge(plan, v, scope, pending)
        if target is not None:
            display_target = _display(plan, target)
        if outcome == "fail":
            display_value = _apart(plan, v, target, display_value, display_target)
            message = _problem_sentence(plan, display_value, display_target)

    photo_matters = False
    if plan.evidence == "always":
        photo_matters = outcome in ("pass", "fail", "info") and plan.type != "note"
    elif plan.evidence is not None:
        photo_matters = outcome == "fail"

    finding = rect = cap_entry = None
    if outcome == "fail":
        finding = {
            "item": plan.id,
            "section": plan.section,
            "label": plan.label,
            "problem": message,
            "basis": plan.basis,
            "local": plan.local,
            "veto": plan.veto,
            "value": display_value,
            "target": display_target,
        }
        if plan.fix is not None:
            rect = {
                "item": plan.id,
                "section": plan.section,
                "problem": message,
                "basis": plan.basis,
                "action": plan.fix["action"],
                "owner": plan.fix["owner"],
                "days": plan.fix["days"],
            }
            if "unit" in plan.fix:  # 责任单位 when the template names one
                rect["unit"] = plan.fix["unit"]
        if plan.veto:
            cap_entry = {"item": plan.id, "label": plan.label, "problem": message}
        elif plan.critical is not None:
            cap_entry = {
                "item": plan.id,
                "label": plan.label,
                "problem": message,
                "cap": plan.critical,
            }
    entry = {
        "section": plan.section,
        "label": plan.label,
        "type": plan.type,
        "outcome": outcome,
        "earned": earned,
        "possible": possible,
        "value": v,
        "display_value": display_value,
        "target": target,
        "display_target": display_target,
        "message": message,
        "evidence_missing": False,
    }
    assessed = outcome == "pass" or outcome == "fail"
    extra = None
    if reason is not None or finding is not None or photo_matters:
        extra = (reason, finding, rect, cap_entry, photo_matters)
    # shown or broken here; answered; failed
    counts = (
        (1 if plan.answerable else 0)
        + ((1 if plan.answerable and v is not None else 0) << program.COUNT_SHIFT)
        + ((1 if outcome == "fail" else 0) << (2 * program.COUNT_SHIFT))
    )
    assessed_earned = earned if outcome == "pass" else 0.0
    assessed_possible = possible if assessed else 0.0
    if plan.packed_sums:
        return entry, extra, counts, _packed(assessed_earned, assessed_possible, earned, possible)
    return entry, extra, counts, assessed_earned, assessed_possible, earned, possible


_RUNTIME.update(BOOL_KEY=_BOOL_KEY, BROKEN_KEY=_BROKEN_KEY, record=_record, judge_key=_judge_key)


def _band(cl: Checklist, total: float | None) -> str | None:
    """The grade a total earns by the bands alone."""
    if total is None:
        return None
    for band in cl.grades:
        if total >= band["min"]:
            return band["grade"]
    return None


def _capped(cl: Checklist, grade: str | None, cap: dict | None) -> str | None:
    """A grade under a cap: a veto gives the lowest band even without a total; a critical cap
    only lowers a grade the total has earned (no total, nothing to cap)."""
    if cap is None:
        return grade
    if cap["kind"] == "veto":
        return cap["grade"]
    if grade is None:
        return None
    rank = cl.grade_rank
    return cap["grade"] if rank[cap["grade"]] > rank[grade] else grade


def _cap(cl: Checklist, vetoes: list[dict], critical: list[dict]) -> dict | None:
    """The ceiling on the grade and why: a failed veto item caps at the lowest band; failed
    critical items at the lowest of their own caps, or lower when the checklist's
    `critical_caps` says so for that many failures. None when nothing caps the grade."""
    if vetoes:
        lowest = cl.grades[-1]["grade"]
        labels = "、".join(v["label"] for v in vetoes)
        return {
            "kind": "veto",
            "grade": lowest,
            "items": [v["item"] for v in vetoes],
            "reason": f"一票否决：{labels}，等级为{lowest}",
        }
    if not critical:
        return None
    rank = cl.grade_rank
    grade = critical[0]["cap"]
    for c in critical:
        if rank[c["cap"]] > rank[grade]:
            grade = c["cap"]
    by_count = False
    for rule in cl.critical_caps:
        if len(critical) >= rule["failed"] and rank[rule["grade"]] > rank[grade]:
            grade = rule["grade"]
            by_count = True
    labels = "、".join(c["label"] for c in critical)
    count = f"{len(critical)} 项" if by_count else ""
    return {
        "kind": "critical",
        "grade": grade,
        "items": [c["item"] for c in critical],
        "reason": f"{count}关键项不合格：{labels}，等级最高为{grade}",
    }


def _judge(
    plan: ItemPlan, v: Any, scope: Scope, pending: set
) -> tuple[str, float, float, str | None, str | None, Any]:
    """Outcome of a shown item with a value: (outcome, earned, possible, message, reason, target)."""
    points = plan.points
    if plan.answerable:
        bad = _range_problem(plan, v) if plan.min is not None or plan.max is not None else None
        if bad is None and plan.constraint is not None:
            scope.value = v
            scope.target = None
            try:
                if plan.constraint(scope) is False:
                    bad = plan.constraint_message or DEFAULT_CONSTRAINT_MESSAGE
            except EvalError as exc:
                return (
                    "error",
                    0.0,
                    points,
                    f"{REASON_UNCOMPUTABLE}：{exc.message}",
                    REASON_UNCOMPUTABLE,
                    None,
                )
        if bad is not None:
            return "error", 0.0, points, bad, bad, None
    target = None
    try:
        if plan.target is not None:
            t = plan.target(scope)
            if type(t) is float and not in_range(t):
                raise EvalError("计算结果超出范围")  # target stays null: nothing huge to print
            target = t
        if plan.pass_if is not None:
            scope.value = v
            scope.target = target
            verdict = plan.pass_if(scope)
        else:
            verdict = _pass_by_default(plan, v)
    except EvalError as exc:
        return (
            "error",
            0.0,
            points,
            f"{REASON_UNCOMPUTABLE}：{exc.message}",
            REASON_UNCOMPUTABLE,
            target,
        )
    if verdict is None:
        if not plan.judge_refs.isdisjoint(pending):
            return "unanswered", 0.0, points, "待相关条目填写后判定", None, target
        return "na", 0.0, 0.0, "缺少判定所需的数据，按不适用处理", None, target
    if verdict is not True:
        return "fail", 0.0, points, None, None, target
    if not plan.is_check:
        return "info", 0.0, 0.0, None, None, target
    return "pass", _earned_on_pass(plan, v), points, None, None, target
