"""The Checklist: one validated, compiled checklist version, identified by its content hash.

A Checklist is built from the compiled dict (the JSON the loader produces, the database
stores and the phone receives). On construction it prepares everything scoring needs —
closures for every expression, choice tables, the evaluation order — so that `score` does
no parsing and no look-ups by name.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from inspect_app.checklist.expressions import (
    Compiled,
    EvalError,
    Scope,
    compile_expression,
    normalize_school,
    references,
    walk,
)

# Item types whose answer the inspector types or picks (computed and note have none).
ANSWER_TYPES = (
    "yesno",
    "choice",
    "multi",
    "integer",
    "decimal",
    "text",
    "date",
    "photo",
    "sample",
)
ITEM_TYPES = ANSWER_TYPES + ("computed", "note")
NUMERIC_TYPES = ("integer", "decimal", "computed")
PACKED_SUMS_LIMIT = 1 << 13  # a section's points, for its sums to be added packed (SectionPlan)


def canonical_json(data: Any) -> str:
    """The one JSON spelling of a value that the content hash is taken over."""
    return json.dumps(
        data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    )


def content_hash(compiled: dict) -> str:
    """sha256 hex of the canonical JSON of a compiled checklist, without its "hash" field."""
    body = {k: v for k, v in compiled.items() if k != "hash"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str
    score: float | None
    fail: bool


def _maybe(node: dict | None) -> Compiled | None:
    return compile_expression(node) if node is not None else None


def _number(x: Any) -> float | None:
    return None if x is None else float(x)


class ItemPlan:
    """One item, ready to score: compiled expressions and derived facts."""

    __slots__ = (
        "id",
        "type",
        "label",
        "section",
        "required",
        "applies",
        "relevant",
        "calculation",
        "calc_refs",
        "constraint",
        "constraint_message",
        "min",
        "max",
        "unit",
        "choices",
        "scored_choices",
        "points",
        "pass_if",
        "target",
        "judge_refs",
        "veto",
        "critical",
        "na_allowed",
        "evidence",
        "basis",
        "local",
        "problem",
        "fix",
        "format",
        "decimals",
        "can_fail",
        "is_check",
        "whole_points",
        "packed_sums",
        "answerable",
        "judged",
        "plain_key",
        "settled",
        "judge_deps",
        "judge_waits",
        "judge_school",
        "hidden_results",
        "sample_min",
        "sample_max",
    )

    def __init__(self, item: dict, section_id: str) -> None:
        self.id: str = item["id"]
        self.type: str = item["type"]
        self.label: str = item["label"]
        self.section = section_id
        self.answerable = self.type in ANSWER_TYPES
        self.required: bool = bool(item.get("required"))
        self.applies = _maybe(item.get("applies_if"))
        self.relevant = _maybe(item.get("relevant"))
        calculation = item.get("calculation")
        self.calculation = _maybe(calculation)
        self.calc_refs = frozenset(references(calculation)) if calculation else frozenset()
        self.constraint = _maybe(item.get("constraint"))
        self.constraint_message: str | None = item.get("constraint_message")
        self.min = _number(item.get("min"))
        self.max = _number(item.get("max"))
        self.unit: str = item.get("unit") or ""
        self.choices: dict[str, Choice] = {}
        for c in item.get("choices") or []:
            self.choices[c["value"]] = Choice(
                c["value"], c["label"], _number(c.get("score")), bool(c.get("fail"))
            )
        self.scored_choices = any(c.score is not None for c in self.choices.values())
        self.points: float = float(item.get("points") or 0)
        self.pass_if = _maybe(item.get("pass_if"))
        self.target = _maybe(item.get("target"))
        judge: set[str] = set()
        for key in ("pass_if", "target"):
            if item.get(key) is not None:
                judge.update(references(item[key]))
        self.judge_refs = frozenset(judge)
        self.veto: bool = bool(item.get("veto"))
        # grade name this item caps the result at when it fails (关键项); None: not critical
        self.critical: str | None = item.get("critical")
        self.na_allowed: bool = bool(item.get("na_allowed"))
        self.evidence: str | None = item.get("evidence")
        self.basis: str | None = item.get("basis")
        self.local: bool = bool(item.get("local"))
        self.problem: str | None = item.get("problem")
        self.fix: dict | None = item.get("fix")
        self.format: str = item.get("format") or "number"
        decimals = item.get("decimals")
        self.decimals: int = int(decimals if decimals is not None else 1)
        # 抽样: the sample size rule (sampling.sample_size); None on other types
        rule = item.get("sample") or {}
        self.sample_min: int = int(rule.get("min") or 1)
        self.sample_max: int | None = rule.get("max")
        self.can_fail = item_can_fail(item)
        self.is_check = self.can_fail or self.points > 0
        # Its points and choice scores are whole and not negative, so whatever it earns or
        # makes possible is a whole number 0 ≤ x ≤ points (a score is capped by the points).
        self.whole_points = all(
            x >= 0 and x.is_integer()
            for x in [self.points, *(c.score for c in self.choices.values() if c.score is not None)]
        )
        self.packed_sums = False  # set by its SectionPlan
        # An item's judgement is a function of its own answer, of the items its constraint,
        # target and pass_if read (their values, whether they are 无法计算, and for
        # pass_if/target whether they still wait for an answer) and of the school attributes
        # they read: scoring remembers it under that key here (scoring._judge_key). A zero read
        # from an item or the school goes into the key with its sign, since a target made of
        # it shows -0 apart from 0. None: worked out every time.
        exprs = [item.get(k) for k in ("constraint", "target", "pass_if")]
        self.judge_deps: tuple[str, ...] = tuple(
            dict.fromkeys(r for node in exprs if node is not None for r in references(node))
        )
        self.judge_waits: tuple[str, ...] = tuple(sorted(judge))
        self.judge_school: tuple[str, ...] = tuple(
            dict.fromkeys(
                n["attr"]
                for node in exprs
                if node is not None
                for n in walk(node)
                if n["k"] == "school"
            )
        )
        # a sample's finding names the sampled ids, not only the share: never remembered
        self.judged: dict | None = {} if self.type != "sample" else None
        # an answer that is its own memo key: no inputs, hashable, never a calculation
        self.plain_key = (
            self.judged is not None
            and not self.judge_deps
            and not self.judge_school
            and self.type not in ("computed", "multi")
        )
        # Unanswered or 无法计算, an item's judgement depends on the item alone (and for a
        # calculation on whether its inputs still wait for answers): remembered here.
        self.settled: dict = {}
        # The item's Result entry when it is hidden or marked 不适用 depends on nothing but
        # the item: built once, copied per scoring (the pass-1 states of scoring as keys).
        self.hidden_results = {
            state: {
                "section": section_id,
                "label": self.label,
                "type": self.type,
                "outcome": outcome,
                "earned": 0.0,
                "possible": 0.0,
                "value": None,
                "display_value": None,
                "target": None,
                "display_target": None,
                "message": message,
                "evidence_missing": False,
            }
            for state, outcome, message in (
                ("school", "not_applicable", "本校不适用"),
                ("relevant", "not_applicable", "无需检查"),
                ("na", "na", "不适用"),
            )
        }


def item_can_fail(item: dict) -> bool:
    """Whether an item (YAML or compiled form) can ever be judged 不合格."""
    if item.get("type") in ("note", "text", "photo"):
        return False
    if item.get("pass_if") is not None:
        return True
    if item.get("type") == "sample":
        return True  # by default every sampled file must be 合格
    if item.get("type") == "yesno":
        # An unscored yes/no question without a veto or critical mark (e.g. 学校是否设有食堂) is
        # information that other items' `relevant` can use, not a check: 否 is not a finding.
        # static/js/engine.js itemCanFail is the same rule, line for line.
        points: Any = item.get("points")  # any YAML value; only a real number counts
        return (
            item.get("veto") is True
            or isinstance(item.get("critical"), str)
            or (type(points) in (int, float) and points > 0)
        )
    if item.get("type") in ("choice", "multi"):
        return any(isinstance(c, dict) and c.get("fail") is True for c in item.get("choices") or [])
    return False


class SectionPlan:
    __slots__ = ("id", "title", "weight", "applies", "items", "not_applicable_result")

    def __init__(self, section: dict) -> None:
        self.id: str = section["id"]
        self.title: str = section["title"]
        self.weight = float(section["weight"])
        self.applies = _maybe(section.get("applies_if"))
        self.items = [ItemPlan(item, self.id) for item in section["items"]]
        # Whole points summing below PACKED_SUMS_LIMIT: the scoring program adds an item's four
        # amounts (assessed earned and possible, earned, possible) as one double, a field of
        # 13 bits each (checklist/program.py). Whole doubles below 2**53 add exactly in any
        # order, so each field's sum is the float sum bit for bit.
        packed = all(p.whole_points for p in self.items) and (
            sum(p.points for p in self.items) < PACKED_SUMS_LIMIT
        )
        for plan in self.items:
            plan.packed_sums = packed
        # the section's Result entry for a school it does not apply to (built once)
        self.not_applicable_result = {
            "id": self.id,
            "title": self.title,
            "weight": self.weight,
            "applicable": False,
            "earned": 0.0,
            "possible": 0.0,
            "score": None,
            "percent": None,
            "answered": 0,
            "items": 0,
            "failed": 0,
        }


class Checklist:
    """A compiled checklist version. Build it with `load_checklist` or `Checklist.from_compiled`."""

    def __init__(self, content: dict, path: str | None = None) -> None:
        body = json.loads(canonical_json({k: v for k, v in content.items() if k != "hash"}))
        self.hash: str = content_hash(body)
        self.compiled: dict = {**body, "hash": self.hash}
        self.path = path
        self.id: str = body["id"]
        self.title: str = body["title"]
        self.version: str = body["version"]
        self.basis: str = body["basis"]
        self.description: str | None = body.get("description")
        # "survey" for a questionnaire (respondent groups and a satisfaction index, no grades);
        # inspection checklists carry no such key, so their content hash never saw it.
        self.kind: str = body.get("kind") or "inspection"
        self.respondents: list[str] = body.get("respondents") or []
        self.satisfaction: dict | None = body.get("satisfaction")
        self.grades: list[dict] = body["grades"]
        # Several critical failures may cap lower: [{"failed": n, "grade": name}], ascending n.
        # Versions compiled before critical items existed have no such key.
        self.critical_caps: list[dict] = body.get("critical_caps") or []
        self.grade_rank: dict[str, int] = {g["grade"]: i for i, g in enumerate(self.grades)}
        self.sections: list[dict] = body["sections"]
        self.items: dict[str, dict] = {i["id"]: i for s in self.sections for i in s["items"]}
        self.section_plans = [SectionPlan(s) for s in self.sections]
        plans = {p.id: p for s in self.section_plans for p in s.items}
        self.item_plans: list[ItemPlan] = [plans[i] for i in body["order"]]
        # normalized school attributes → (section applies, items hidden by applies_if);
        # filled by scoring._school_scope, since those depend on the school alone
        self.school_cache: dict[tuple, Any] = {}
        # this version's scoring written out as one function (checklist/program.py), made on
        # its first scoring
        self.program: Any = None

    @classmethod
    def from_compiled(cls, data: dict) -> Checklist:
        """Rebuild a stored version; refuses a dict whose "hash" does not match its content."""
        if "hash" in data and data["hash"] != content_hash(data):
            raise ValueError("检查单内容与其哈希值不符，可能已被改动")
        return cls(data)

    def applies_to(self, school: dict) -> bool:
        """Whether at least one section applies to this school (by `applies_if`)."""
        scope = Scope({}, normalize_school(school))
        for section in self.section_plans:
            try:
                if section.applies is None or section.applies(scope) is True:
                    return True
            except EvalError:
                continue  # a condition that cannot be computed does not apply, as in scoring
        return False

    def __repr__(self) -> str:
        return f"<Checklist {self.id} {self.version} {self.hash[:12]}>"
