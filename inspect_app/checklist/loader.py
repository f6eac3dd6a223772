"""Read checklist YAML files, validate them completely and compile them into Checklists.

Validation collects every error of a file before giving up, and each error names the file,
line, column, item and field in plain Chinese, so that a bureau author can fix a checklist in
one pass. Positions come from a SafeLoader subclass that keeps the YAML marks of every
mapping key, value and list entry; errors inside an expression point at the character.
"""

from __future__ import annotations

import difflib
import errno
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from inspect_app.checklist.expressions import (
    KEYWORDS,
    TYPE_NAMES,
    CheckContext,
    ExpressionSyntaxError,
    ItemInfo,
    ParsedExpression,
    check,
    parse_with_positions,
    references,
)
from inspect_app.checklist.formatting import in_range
from inspect_app.checklist.model import ITEM_TYPES, Checklist, item_can_fail
from inspect_app.common.vocabulary import RESPONDENT_GROUPS, RESPONSIBLE_UNITS

SCHEMA_VERSION = 1
SLUG_RE = re.compile(r"[a-z][a-z0-9_]*")
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
PLACEHOLDERS = ("value", "target", "label", "unit")
MAX_DECIMALS = 6

TYPE_LABELS = {
    "yesno": "是否题",
    "choice": "单选题",
    "multi": "多选题",
    "integer": "整数题",
    "decimal": "小数题",
    "text": "文字题",
    "date": "日期题",
    "photo": "照片题",
    "computed": "计算项",
    "note": "说明",
    "sample": "抽样检查",
}
VALUE_TYPES = {
    "yesno": "bool",
    "choice": "string",
    "multi": "list",
    "integer": "number",
    "decimal": "number",
    "text": "string",
    "date": "string",
    "photo": "number",
    "sample": "number",  # the share of the sampled files marked 合格
}

TOP_KEYS = (
    "id",
    "kind",
    "title",
    "version",
    "basis",
    "description",
    "grades",
    "critical_caps",
    "respondents",
    "satisfaction",
    "sections",
)
TOP_REQUIRED = ("id", "title", "version", "basis", "grades", "sections")
# kind: survey — a questionnaire (调查问卷、满意度测评) answered anonymously, not an inspection:
# no grades, no points or targets, no findings; respondents and a satisfaction index instead.
KINDS = ("inspection", "survey")
SURVEY_REQUIRED = (
    "id",
    "kind",
    "title",
    "version",
    "basis",
    "respondents",
    "satisfaction",
    "sections",
)
SURVEY_TOP_FORBIDDEN = ("grades", "critical_caps")
SURVEY_ITEM_TYPES = ("choice", "multi", "yesno", "text", "note")
SURVEY_ITEM_FORBIDDEN = ("points", "pass_if", "target", "veto", "critical", "problem", "fix",
                         "evidence", "na_allowed", "constraint", "constraint_message")  # fmt: skip
SATISFACTION_KEYS = ("label", "satisfied", "excluded")
SECTION_KEYS = ("id", "title", "weight", "applies_if", "guidance", "items")
SECTION_REQUIRED = ("id", "title", "weight", "items")
GRADE_KEYS = ("grade", "min")
CRITICAL_CAP_KEYS = ("failed", "grade")
CHOICE_KEYS = ("value", "label", "score", "fail")
FIX_KEYS = ("action", "owner", "unit", "days")
# Three years, longer than any rebuilding a school may be given; without a bound a checklist
# of 5000000 days published and then failed every inspection it opened an item for (a deadline
# past the year 9999).
MAX_FIX_DAYS = 3 * 365
FIX_REQUIRED = ("action", "owner", "days")

_COMMON = ("id", "type", "label", "guidance", "applies_if", "relevant")
_ANSWER = (
    "required",
    "constraint",
    "constraint_message",
    "na_allowed",
    "evidence",
    "basis",
    "local",
)
_SCORING = ("points", "pass_if", "target", "veto", "critical", "problem", "fix")
ITEM_KEYS: dict[str, tuple[str, ...]] = {
    "yesno": _COMMON + _ANSWER + _SCORING,
    "choice": _COMMON + _ANSWER + _SCORING + ("choices",),
    "multi": _COMMON + _ANSWER + _SCORING + ("choices",),
    "integer": _COMMON + _ANSWER + _SCORING + ("min", "max", "unit", "decimals", "prefill"),
    "decimal": _COMMON + _ANSWER + _SCORING + ("min", "max", "unit", "decimals", "prefill"),
    "date": _COMMON + _ANSWER + _SCORING,
    "text": _COMMON + _ANSWER,
    "photo": _COMMON + ("required", "na_allowed", "basis", "local"),
    "computed": _COMMON
    + _SCORING
    + ("calculation", "format", "decimals", "unit", "na_allowed", "evidence", "basis", "local"),
    "note": _COMMON,
    "sample": _COMMON
    + ("required", "na_allowed", "evidence", "basis", "local")
    + _SCORING
    + ("sample", "unit"),
}
ALL_ITEM_KEYS = tuple(dict.fromkeys(k for keys in ITEM_KEYS.values() for k in keys))
REQUIRED_BY_DEFAULT = ("yesno", "choice", "multi", "integer", "decimal", "date", "sample")
BOOL_EXPRESSIONS = ("applies_if", "relevant", "constraint", "pass_if")
ITEM_EXPRESSIONS = ("applies_if", "relevant", "calculation", "constraint", "target", "pass_if")


@dataclass(frozen=True, order=True)
class LoadError:
    """One problem in a checklist file, at a 1-based line and column."""

    file: str
    line: int
    column: int
    item: str | None
    field: str | None
    message: str
    section: str | None = None

    def __str__(self) -> str:
        where = []
        if self.item:
            where.append(f"条目 {self.item}")
        elif self.section:
            where.append(f"部分 {self.section}")
        if self.field:
            where.append(f"字段 {self.field}")
        prefix = " ".join(where)
        return (
            f"{self.file}:{self.line}:{self.column}: "
            + (f"{prefix}：" if prefix else "")
            + self.message
        )


class ChecklistError(Exception):
    """Raised when checklist files are invalid; `.errors` lists every LoadError, in file order."""

    def __init__(self, errors: Iterable[LoadError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.file, e.line, e.column))
        super().__init__("\n".join(str(e) for e in self.errors))


# --------------------------------------------------------------------------- YAML with marks


class _Map(dict):
    """A YAML mapping that remembers where it, each key and each value started."""

    mark: Any
    key_marks: dict
    value_nodes: dict


class _Seq(list):
    """A YAML sequence that remembers where it and each entry started."""

    mark: Any
    nodes: list


# libyaml's parser is about ten times faster than the pure-Python one and gives the same marks.
if TYPE_CHECKING:
    from yaml import CSafeLoader as _SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _MarkedLoader(_SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[Any, Any]] = []


def _construct_map(loader: _MarkedLoader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    data = _Map()
    data.mark = node.start_mark
    data.key_marks = {}
    data.value_nodes = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            key = str(key)
        if key in data:
            loader.duplicates.append((key, key_node.start_mark))
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_marks[key] = key_node.start_mark
        data.value_nodes[key] = value_node
    return data


def _construct_seq(loader: _MarkedLoader, node: yaml.SequenceNode) -> _Seq:
    data = _Seq(loader.construct_object(n, deep=True) for n in node.value)
    data.mark = node.start_mark
    data.nodes = list(node.value)
    return data


_MarkedLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_MarkedLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)

_YAML_PROBLEMS = (
    ("mapping values are not allowed", "此处不能出现冒号（文字中含“: ”时请加引号，或检查缩进）"),
    ("could not find expected ':'", "缺少冒号，或缩进不一致"),
    ("found character '\\t'", "不能用 Tab 缩进，请改用空格"),
    ("did not find expected key", "缩进不一致，或列表项前缺少 -"),
    ("did not find expected '-' indicator", "列表项缩进不一致"),
    ("found undefined alias", "引用了未定义的锚点（*名称）"),
    ("while scanning a quoted scalar", "引号没有闭合"),
    ("found unexpected end of stream", "文件意外结束（可能引号或括号没有闭合）"),
    ("expected <block end>, but found", "缩进不一致"),
    ("while parsing a flow", "方括号或花括号没有正确闭合"),
    ("found duplicate anchor", "锚点名称重复"),
)


def _yaml_problem(exc: yaml.YAMLError, source: str) -> str:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        lines = source.split("\n")
        if mark.line < len(lines) and "\t" in lines[mark.line][: mark.column + 1]:
            return "YAML 格式错误：不能用 Tab 缩进，请改用空格"
    text = f"{getattr(exc, 'context', '') or ''} {getattr(exc, 'problem', '') or ''}"
    for needle, message in _YAML_PROBLEMS:
        if needle in text:
            return f"YAML 格式错误：{message}"
    return "YAML 格式错误：请检查缩进、冒号和引号"


# --------------------------------------------------------------------------- validation


def _suggestion(word: Any, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f"，是否想写 {close[0]}？" if close else ""


def _is_number(x: Any) -> bool:
    # Comparison, not math.isfinite: an int too big for a float (10**400) must not raise.
    return type(x) in (int, float) and -math.inf < x < math.inf


def _show(x: Any) -> str:
    if type(x) is float and x == int(x):
        return str(int(x))
    return str(x)


@dataclass
class _Expr:
    """An expression field waiting for its static check."""

    parsed: ParsedExpression
    node: Any  # the YAML scalar node, for positions
    field: str
    item: str | None
    section: str | None


@dataclass
class _ItemDraft:
    data: _Map
    compiled: dict
    section: str
    exprs: dict[str, _Expr]


class _FileValidator:
    def __init__(self, file: str, source: str) -> None:
        self.file = file
        self.source = source
        self.errors: list[LoadError] = []
        self.grade_names: list[str] = []  # the checklist's bands, highest first, once read
        self.survey = False  # kind: survey (read before the sections)

    # positions ---------------------------------------------------------------
    def error(
        self,
        mark: Any,
        message: str,
        item: str | None = None,
        field: str | None = None,
        section: str | None = None,
    ) -> None:
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        self.errors.append(LoadError(self.file, line, column, item, field, message, section))

    def error_at(
        self,
        line: int,
        column: int,
        message: str,
        item: str | None,
        field: str | None,
        section: str | None,
    ) -> None:
        self.errors.append(LoadError(self.file, line, column, item, field, message, section))

    @staticmethod
    def value_mark(mapping: _Map, key: str) -> Any:
        node = mapping.value_nodes.get(key)
        return node.start_mark if node is not None else mapping.mark

    def expression_position(self, node: Any, offset: int) -> tuple[int, int]:
        """1-based (line, column) in the file of character `offset` of an expression scalar."""
        start = node.start_mark
        raw = self.source[start.index : node.end_mark.index]
        style = getattr(node, "style", None)
        quote = 1 if style in ("'", '"') else 0
        if style not in ("|", ">") and "\n" not in raw:
            return start.line + 1, start.column + 1 + quote + offset
        lines = raw.split("\n")
        segments: list[tuple[int, int, str]] = []  # (0-based line, 0-based column, text)
        if style in ("|", ">"):
            for i, text in enumerate(lines[1:], start=1):
                indent = len(text) - len(text.lstrip(" "))
                segments.append((start.line + i, indent, text.strip(" ")))
        else:
            segments.append((start.line, start.column + quote, lines[0][quote:]))
            for i, text in enumerate(lines[1:], start=1):
                indent = len(text) - len(text.lstrip(" "))
                segments.append((start.line + i, indent, text.strip(" ")))
        pos = 0
        for line_no, column, text in segments:
            if offset <= pos + len(text):
                return line_no + 1, column + 1 + (offset - pos)
            pos += len(text) + 1
        return start.line + 1, start.column + 1

    # field readers -------------------------------------------------------------
    def check_keys(
        self,
        mapping: _Map,
        allowed: Iterable[str],
        required: Iterable[str],
        item: str | None = None,
        section: str | None = None,
        known: Iterable[str] = (),
        type_label: str | None = None,
    ) -> None:
        allowed = tuple(allowed)
        known = tuple(known)
        for key in mapping:
            if key in allowed:
                continue
            mark = mapping.key_marks.get(key, mapping.mark)
            if key in known and type_label is not None:
                if key in _SCORING:
                    message = f"{type_label}不计分，不能设置 {key}"
                elif key == "required":
                    message = f"{type_label}不由检查人员填写，不能设置 required"
                else:
                    message = f"{type_label}不能使用字段 {key}"
                self.error(mark, message, item, key, section)
            else:
                self.error(
                    mark, f"未知字段 {key}" + _suggestion(key, allowed), item, str(key), section
                )
        for key in required:
            if key not in mapping:
                self.error(mapping.mark, f"缺少必填字段 {key}", item, key, section)

    def text(
        self,
        mapping: _Map,
        key: str,
        item: str | None = None,
        section: str | None = None,
        allow_number: bool = False,
    ) -> str | None:
        if key not in mapping or mapping[key] is None:
            return None
        v = mapping[key]
        if allow_number and _is_number(v) and not isinstance(v, bool):
            return _show(v)
        if not isinstance(v, str) or not v.strip():
            self.error(self.value_mark(mapping, key), f"{key} 应为非空文字", item, key, section)
            return None
        return v.strip()

    def flag(
        self, mapping: _Map, key: str, item: str | None = None, section: str | None = None
    ) -> bool | None:
        if key not in mapping:
            return None
        v = mapping[key]
        if type(v) is not bool:
            self.error(
                self.value_mark(mapping, key), f"{key} 应为 true 或 false", item, key, section
            )
            return None
        return v

    def number(
        self, mapping: _Map, key: str, item: str | None = None, section: str | None = None
    ) -> float | None:
        if key not in mapping:
            return None
        v = mapping[key]
        if not _is_number(v) or isinstance(v, bool):
            self.error(self.value_mark(mapping, key), f"{key} 应为数字", item, key, section)
            return None
        if not in_range(v):
            self.error(
                self.value_mark(mapping, key),
                f"{key} 的数值过大（绝对值应小于 1e15）",
                item,
                key,
                section,
            )
            return None
        return v

    def slug(
        self,
        mapping: _Map,
        key: str,
        what: str,
        item: str | None = None,
        section: str | None = None,
    ) -> str | None:
        v = mapping.get(key)
        if key not in mapping:
            return None
        if not isinstance(v, str) or not SLUG_RE.fullmatch(v):
            self.error(
                self.value_mark(mapping, key),
                f"{what} id “{v}” 格式不对：只能用小写英文字母、数字和下划线，并以字母开头",
                item,
                key,
                section,
            )
            return None
        if v in KEYWORDS:
            self.error(
                self.value_mark(mapping, key), f"{what} id 不能使用保留字 {v}", item, key, section
            )
            return None
        return v

    def expression(
        self, mapping: _Map, key: str, item: str | None, section: str | None
    ) -> _Expr | None:
        if key not in mapping or mapping[key] is None:
            return None
        raw = mapping[key]
        node = mapping.value_nodes[key]
        if type(raw) is bool:
            text = "true" if raw else "false"
        elif _is_number(raw):
            text = repr(float(raw)) if isinstance(raw, float) else str(raw)
        elif isinstance(raw, str):
            text = raw
        else:
            self.error(node.start_mark, f"{key} 应为一条表达式（文字）", item, key, section)
            return None
        try:
            parsed = parse_with_positions(text)
        except ExpressionSyntaxError as exc:
            line, column = self.expression_position(node, exc.offset)
            self.error_at(line, column, f"表达式有误：{exc.message}", item, key, section)
            return None
        return _Expr(parsed, node, key, item, section)

    # document ------------------------------------------------------------------
    def grades(self, top: _Map) -> list[dict]:
        raw = top.get("grades")
        if not isinstance(raw, _Seq) or not raw:
            if "grades" in top:
                self.error(
                    self.value_mark(top, "grades"),
                    "grades 应为等级列表，如 - {grade: 优秀, min: 90}",
                    None,
                    "grades",
                )
            return []
        out: list[dict] = []
        names: set[str] = set()
        previous: tuple[str, float] | None = None
        for entry, node in zip(raw, raw.nodes, strict=True):
            if not isinstance(entry, _Map):
                self.error(
                    node.start_mark, "每个等级应写成 {grade: 名称, min: 最低分}", None, "grades"
                )
                continue
            self.check_keys(entry, GRADE_KEYS, GRADE_KEYS)
            name = self.text(entry, "grade")
            low = self.number(entry, "min")
            if name is None or low is None:
                continue
            if name in names:
                self.error(self.value_mark(entry, "grade"), f"等级 {name} 重复", None, "grades")
            names.add(name)
            if low < 0 or low > 100:
                self.error(
                    self.value_mark(entry, "min"),
                    f"等级 {name} 的 min 应在 0 到 100 之间",
                    None,
                    "grades",
                )
            if previous is not None and low >= previous[1]:
                self.error(
                    self.value_mark(entry, "min"),
                    f"等级须按分数线从高到低排列：{name} 的 min（{_show(low)}）应小于上一档 {previous[0]} 的 min（{_show(previous[1])}）",
                    None,
                    "grades",
                )
            previous = (name, low)
            out.append({"grade": name, "min": low})
        if previous is not None and previous[1] != 0:
            last = raw[-1]
            mark = self.value_mark(last, "min") if isinstance(last, _Map) else raw.mark
            self.error(
                mark,
                f"最后一个等级（{previous[0]}）的 min 应为 0，这样任何得分都有等级",
                None,
                "grades",
            )
        return out

    def choices(self, data: _Map, item: str | None, item_type: str) -> list[dict] | None:
        raw = data.get("choices")
        if not isinstance(raw, _Seq) or not raw:
            if "choices" in data:
                self.error(
                    self.value_mark(data, "choices"),
                    "choices 应为选项列表，每项含 value 和 label",
                    item,
                    "choices",
                )
            return None
        if item_type == "choice" and len(raw) < 2:
            self.error(self.value_mark(data, "choices"), "单选题至少需要两个选项", item, "choices")
        out: list[dict] = []
        seen: set[str] = set()
        scored = 0
        for entry, node in zip(raw, raw.nodes, strict=True):
            if not isinstance(entry, _Map):
                self.error(
                    node.start_mark, "每个选项应写成 {value: 值, label: 显示文字}", item, "choices"
                )
                continue
            self.check_keys(entry, CHOICE_KEYS, ("value", "label"), item)
            value = entry.get("value")
            if "value" in entry and (not isinstance(value, str) or not value.strip()):
                self.error(
                    self.value_mark(entry, "value"),
                    f"选项 value 应为文字（{_show(value)} 请加引号，如 '{_show(value)}'）",
                    item,
                    "choices",
                )
                value = None
            elif isinstance(value, str):
                if value in seen:
                    self.error(
                        self.value_mark(entry, "value"), f"选项值 {value} 重复", item, "choices"
                    )
                seen.add(value)
            label = self.text(entry, "label", item)
            score = self.number(entry, "score", item)
            if score is not None and score < 0:
                self.error(
                    self.value_mark(entry, "score"), "选项 score 不能为负数", item, "choices"
                )
            if "score" in entry:
                scored += 1
            fail = self.flag(entry, "fail", item)
            if fail and self.survey:
                self.error(
                    self.value_mark(entry, "fail"),
                    "调查问卷的选项不判合格与否，不能设置 fail",
                    item,
                    "choices",
                )
            out.append({"value": value, "label": label, "score": score, "fail": bool(fail)})
        if 0 < scored < len(raw):
            self.error(
                self.value_mark(data, "choices"),
                "部分选项设置了 score、部分没有：请为每个选项都设置 score",
                item,
                "choices",
            )
        return out

    def fix(self, data: _Map, item: str | None) -> dict | None:
        raw = data.get("fix")
        if "fix" not in data:
            return None
        if not isinstance(raw, _Map):
            self.error(
                self.value_mark(data, "fix"),
                "fix 应写成 {action: 整改措施, owner: 责任人, days: 天数}",
                item,
                "fix",
            )
            return None
        self.check_keys(raw, FIX_KEYS, FIX_REQUIRED, item)
        action = self.text(raw, "action", item)
        owner = self.text(raw, "owner", item)
        days = raw.get("days")
        if "days" in raw and (type(days) is not int or not 0 < days <= MAX_FIX_DAYS):
            self.error(
                self.value_mark(raw, "days"),
                f"fix.days 应为 1 到 {MAX_FIX_DAYS} 之间的整数（整改期限天数）",
                item,
                "fix",
            )
            days = None
        out = {"action": action, "owner": owner, "days": days}
        if "unit" in raw:
            # Only written when given, so that checklists without units keep their hashes; a
            # draft without a unit is the school's.
            unit = raw.get("unit")
            if unit not in RESPONSIBLE_UNITS:
                self.error(
                    self.value_mark(raw, "unit"),
                    "fix.unit 应为责任单位之一："
                    + "、".join(RESPONSIBLE_UNITS)
                    + _suggestion(unit, RESPONSIBLE_UNITS),
                    item,
                    "fix",
                )
            else:
                out["unit"] = unit
        return out

    def sample_rule(self, data: _Map, item: str | None, section: str) -> dict:
        """`sample: {min: n, max: m}`: ⌈√N⌉ files, at least min, at most max (sampling.py)."""
        raw = data.get("sample")
        if "sample" not in data:
            self.error(
                data.mark,
                "抽样检查缺少必填字段 sample（如 {min: 5, max: 30}）",
                item,
                "sample",
                section,
            )
            return {"min": 1, "max": None}
        if not isinstance(raw, _Map):
            self.error(
                self.value_mark(data, "sample"),
                "sample 应写成 {min: 最少抽查份数, max: 最多抽查份数}",
                item,
                "sample",
                section,
            )
            return {"min": 1, "max": None}
        self.check_keys(raw, ("min", "max"), ("min",), item, section)
        low, high = raw.get("min"), raw.get("max")
        if "min" in raw and (type(low) is not int or not 1 <= low <= 1000):
            self.error(
                self.value_mark(raw, "min"),
                "sample.min 应为 1 到 1000 的整数",
                item,
                "sample",
                section,
            )
            low = 1
        if "max" in raw and (type(high) is not int or not 1 <= high <= 1000):
            self.error(
                self.value_mark(raw, "max"),
                "sample.max 应为 1 到 1000 的整数",
                item,
                "sample",
                section,
            )
            high = None
        if type(low) is int and type(high) is int and high < low:
            self.error(
                self.value_mark(raw, "max"),
                f"sample.max（{high}）不能小于 sample.min（{low}）",
                item,
                "sample",
                section,
            )
            high = None
        return {"min": low if type(low) is int else 1, "max": high}

    def grade_name(
        self, mapping: _Map, key: str, item: str | None, field: str, section: str | None = None
    ) -> str | None:
        """A grade named as a cap (critical, critical_caps): one of the bands, not the highest."""
        raw = mapping.get(key)
        mark = self.value_mark(mapping, key)
        if not isinstance(raw, str) or not raw.strip():
            self.error(mark, f"{key} 应为等级名称，如 {key}: 合格", item, field, section)
            return None
        name = raw.strip()
        if not self.grade_names:
            return name  # grades are missing or wrong: reported there already
        if name not in self.grade_names:
            self.error(
                mark,
                f"等级 {name} 不在 grades 中"
                + _suggestion(name, self.grade_names)
                + "（可用："
                + "、".join(self.grade_names)
                + "）",
                item,
                field,
                section,
            )
            return None
        if name == self.grade_names[0]:
            self.error(
                mark,
                f"{name} 是最高等级，以它为上限不起作用，请写较低的等级",
                item,
                field,
                section,
            )
            return None
        return name

    def critical(self, data: _Map, item: str | None, section: str | None, veto: bool) -> str | None:
        if "critical" not in data:
            return None
        name = self.grade_name(data, "critical", item, "critical", section)
        if name is None:
            return None
        if veto:
            self.error(
                self.value_mark(data, "critical"),
                "一票否决条目已将等级定为最低档，不能再设置 critical",
                item,
                "critical",
                section,
            )
            return None
        if self.grade_names and name == self.grade_names[-1]:
            self.error(
                self.value_mark(data, "critical"),
                f"关键项以最低等级 {name} 为上限即一票否决，请改用 veto: true",
                item,
                "critical",
                section,
            )
            return None
        return name

    def critical_caps(self, top: _Map, has_critical: bool) -> list[dict]:
        """`critical_caps: [{failed: 2, grade: 不合格}]`: a lower cap for several critical failures."""
        if "critical_caps" not in top:
            return []
        raw = top["critical_caps"]
        if not isinstance(raw, _Seq) or not raw:
            self.error(
                self.value_mark(top, "critical_caps"),
                "critical_caps 应为列表，如 - {failed: 2, grade: 不合格}",
                None,
                "critical_caps",
            )
            return []
        if not has_critical:
            self.error(
                self.value_mark(top, "critical_caps"),
                "设置了 critical_caps，但没有任何条目设置 critical",
                None,
                "critical_caps",
            )
        out: list[dict] = []
        seen: set[int] = set()
        for entry, node in zip(raw, raw.nodes, strict=True):
            if not isinstance(entry, _Map):
                self.error(
                    node.start_mark,
                    "每条应写成 {failed: 关键项不合格数, grade: 等级上限}",
                    None,
                    "critical_caps",
                )
                continue
            self.check_keys(entry, CRITICAL_CAP_KEYS, CRITICAL_CAP_KEYS)
            failed = entry.get("failed")
            if "failed" in entry and (type(failed) is not int or failed < 2):
                self.error(
                    self.value_mark(entry, "failed"),
                    "failed 应为不小于 2 的整数（1 项关键项不合格时的上限写在条目的 critical 上）",
                    None,
                    "critical_caps",
                )
                failed = None
            elif type(failed) is int:
                if failed in seen:
                    self.error(
                        self.value_mark(entry, "failed"),
                        f"failed: {failed} 重复",
                        None,
                        "critical_caps",
                    )
                seen.add(failed)
            grade = (
                self.grade_name(entry, "grade", None, "critical_caps") if "grade" in entry else None
            )
            if failed is not None and grade is not None:
                out.append({"failed": failed, "grade": grade})
        return sorted(out, key=lambda c: c["failed"])

    def item(self, data: _Map, section: str, seen_ids: dict[str, Any]) -> _ItemDraft | None:
        item_id = self.slug(data, "id", "条目", section=section)
        if "id" not in data:
            self.error(data.mark, "缺少必填字段 id", None, "id", section)
        if item_id is not None:
            if item_id in seen_ids:
                first = seen_ids[item_id]
                self.error(
                    self.value_mark(data, "id"),
                    f"条目 id {item_id} 重复（第 {first.line + 1} 行已使用）",
                    item_id,
                    "id",
                    section,
                )
            else:
                seen_ids[item_id] = self.value_mark(data, "id")
        label_id = item_id or (data.get("id") if isinstance(data.get("id"), str) else None)
        item_type = data.get("type")
        if "type" not in data:
            self.error(data.mark, "缺少必填字段 type", label_id, "type", section)
            return None
        if item_type not in ITEM_TYPES:
            self.error(
                self.value_mark(data, "type"),
                f"未知的条目类型 {item_type}"
                + _suggestion(item_type, ITEM_TYPES)
                + "（可用："
                + "、".join(ITEM_TYPES)
                + "）",
                label_id,
                "type",
                section,
            )
            return None
        type_label = TYPE_LABELS[item_type]
        if self.survey and item_type not in SURVEY_ITEM_TYPES:
            self.error(
                self.value_mark(data, "type"),
                f"调查问卷不能使用{type_label}（可用：" + "、".join(SURVEY_ITEM_TYPES) + "）",
                label_id,
                "type",
                section,
            )
            return None
        if self.survey:
            for key in SURVEY_ITEM_FORBIDDEN:
                if key in data:
                    self.error(
                        data.key_marks.get(key, data.mark),
                        f"调查问卷不评分、不产生整改项，不能设置 {key}",
                        label_id,
                        key,
                        section,
                    )
        self.check_keys(
            data, ITEM_KEYS[item_type], ("label",), label_id, section, ALL_ITEM_KEYS, type_label
        )
        label = self.text(data, "label", label_id, section)
        out: dict[str, Any] = {"id": item_id, "type": item_type, "label": label}
        out["guidance"] = self.text(data, "guidance", label_id, section)
        required = self.flag(data, "required", label_id, section)
        # A respondent may skip a survey question (未作答) unless the survey says otherwise.
        default_required = item_type in REQUIRED_BY_DEFAULT and not self.survey
        out["required"] = default_required if required is None else required
        for key in ("basis", "unit", "constraint_message", "problem"):
            out[key] = self.text(data, key, label_id, section)
        out["local"] = bool(self.flag(data, "local", label_id, section))
        out["veto"] = bool(self.flag(data, "veto", label_id, section))
        out["critical"] = self.critical(data, label_id, section, out["veto"])
        out["na_allowed"] = bool(self.flag(data, "na_allowed", label_id, section))
        # prefill: a count that rarely changes; the phone may offer the previous inspection's answer
        out["prefill"] = bool(self.flag(data, "prefill", label_id, section))
        out["min"] = self.number(data, "min", label_id, section)
        out["max"] = self.number(data, "max", label_id, section)
        if out["min"] is not None and out["max"] is not None and out["min"] > out["max"]:
            self.error(
                self.value_mark(data, "max"),
                f"max（{_show(out['max'])}）不能小于 min（{_show(out['min'])}）",
                label_id,
                "max",
                section,
            )
        out["choices"] = (
            self.choices(data, label_id, item_type) if item_type in ("choice", "multi") else None
        )
        if item_type in ("choice", "multi") and "choices" not in data:
            self.error(data.mark, "缺少必填字段 choices", label_id, "choices", section)
        if item_type == "computed" and "calculation" not in data:
            self.error(
                data.mark, "计算项缺少必填字段 calculation", label_id, "calculation", section
            )
        fmt = data.get("format")
        if "format" in data and fmt not in ("number", "percent"):
            self.error(
                self.value_mark(data, "format"),
                "format 只能是 number 或 percent",
                label_id,
                "format",
                section,
            )
            fmt = None
        out["format"] = fmt or (
            "number" if item_type in ("computed", "integer", "decimal") else None
        )
        decimals = data.get("decimals")
        if "decimals" in data and (type(decimals) is not int or not 0 <= decimals <= MAX_DECIMALS):
            self.error(
                self.value_mark(data, "decimals"),
                f"decimals 应为 0 到 {MAX_DECIMALS} 的整数",
                label_id,
                "decimals",
                section,
            )
            decimals = None
        out["decimals"] = (
            decimals
            if decimals is not None
            else (1 if item_type in ("computed", "integer", "decimal") else None)
        )
        evidence = data.get("evidence")
        if "evidence" in data and evidence not in ("on_fail", "always"):
            self.error(
                self.value_mark(data, "evidence"),
                "evidence 只能是 on_fail（不合格时须拍照）或 always（始终须拍照）",
                label_id,
                "evidence",
                section,
            )
            evidence = None
        out["evidence"] = evidence
        out["fix"] = self.fix(data, label_id)
        if item_type == "sample":
            # only on sample items, so other items compile (and hash) as before
            out["sample"] = self.sample_rule(data, label_id, section)
            out["unit"] = out["unit"] or "份"

        points = self.number(data, "points", label_id, section)
        if points is not None and points < 0:
            self.error(
                self.value_mark(data, "points"), "points 不能为负数", label_id, "points", section
            )
        if points is None:
            points = 0
            scores = [c["score"] for c in out["choices"] or [] if c["score"] is not None]
            if scores and item_type == "choice":
                points = max(scores)
            elif scores:
                points = sum(scores)
        out["points"] = points

        exprs: dict[str, _Expr] = {}
        for key in ITEM_EXPRESSIONS:
            expr = self.expression(data, key, label_id, section)
            if expr is not None:
                exprs[key] = expr
        if "constraint_message" in data and "constraint" not in data:
            self.error(
                self.value_mark(data, "constraint_message"),
                "设置了 constraint_message 但没有 constraint",
                label_id,
                "constraint_message",
                section,
            )
        if "target" in data and "pass_if" not in data:
            self.error(
                self.value_mark(data, "target"),
                "设置了 target 但没有 pass_if（target 是 pass_if 使用的标准值）",
                label_id,
                "target",
                section,
            )
        if out["problem"] is not None:
            for name in PLACEHOLDER_RE.findall(out["problem"]):
                if name not in PLACEHOLDERS:
                    self.error(
                        self.value_mark(data, "problem"),
                        f"problem 中的 {{{name}}} 无法识别，可用 {{value}}、{{target}}、{{label}}、{{unit}}",
                        label_id,
                        "problem",
                        section,
                    )
                elif name == "target" and "target" not in data:
                    self.error(
                        self.value_mark(data, "problem"),
                        "problem 使用了 {target}，但本条目没有设置 target",
                        label_id,
                        "problem",
                        section,
                    )

        can_fail = item_can_fail(data)
        if out["critical"] is not None and not can_fail:
            self.error(
                self.value_mark(data, "critical"),
                "关键项必须可能判为不合格（需要 pass_if，或有 fail: true 的选项）",
                label_id,
                "critical",
                section,
            )
        if out["veto"] and not can_fail:
            self.error(
                self.value_mark(data, "veto"),
                "一票否决条目必须可能判为不合格（需要 pass_if，或为是否题，或有 fail: true 的选项）",
                label_id,
                "veto",
                section,
            )
        if evidence == "on_fail" and not can_fail:
            self.error(
                self.value_mark(data, "evidence"),
                "evidence: on_fail 要求条目可能判为不合格",
                label_id,
                "evidence",
                section,
            )
        if can_fail and "fix" not in data and not self.survey:
            self.error(
                data.mark,
                "该条目可能判为不合格，需要填写 fix（整改措施 action、责任人 owner、期限 days）",
                label_id,
                "fix",
                section,
            )
        if (
            not can_fail
            and "fix" in data
            and item_type in ITEM_KEYS
            and "fix" in ITEM_KEYS[item_type]
        ):
            self.error(
                self.value_mark(data, "fix"),
                "该条目不会判为不合格，fix 不会被使用（需要 pass_if 或 fail 选项）",
                label_id,
                "fix",
                section,
            )
        if item_id is None or label is None:
            return None
        return _ItemDraft(data, out, section, exprs)

    def section(
        self, data: _Map, seen_sections: set[str], seen_items: dict[str, Any]
    ) -> tuple[dict, list[_ItemDraft], _Expr | None]:
        section_id = self.slug(data, "id", "部分")
        sid = section_id or (data.get("id") if isinstance(data.get("id"), str) else None)
        # A survey's sections only group questions: weight is optional and not summed.
        required = tuple(k for k in SECTION_REQUIRED if not (self.survey and k == "weight"))
        self.check_keys(data, SECTION_KEYS, required, section=sid)
        if section_id is not None:
            if section_id in seen_sections:
                self.error(
                    self.value_mark(data, "id"),
                    f"部分 id {section_id} 重复",
                    None,
                    "id",
                    section_id,
                )
            seen_sections.add(section_id)
        title = self.text(data, "title", section=sid)
        weight = self.number(data, "weight", section=sid)
        if self.survey and "weight" not in data:
            weight = 1.0
        if weight is not None and weight <= 0:
            self.error(self.value_mark(data, "weight"), "weight 应大于 0", None, "weight", sid)
        guidance = self.text(data, "guidance", section=sid)
        applies = self.expression(data, "applies_if", None, sid)
        raw_items = data.get("items")
        drafts: list[_ItemDraft] = []
        if "items" in data and (not isinstance(raw_items, _Seq) or not raw_items):
            self.error(
                self.value_mark(data, "items"), "items 应为非空的条目列表", None, "items", sid
            )
        elif isinstance(raw_items, _Seq):
            for entry, node in zip(raw_items, raw_items.nodes, strict=True):
                if not isinstance(entry, _Map):
                    self.error(node.start_mark, "每个条目应为一组 字段: 值", None, "items", sid)
                    continue
                draft = self.item(entry, sid or "", seen_items)
                if draft is not None:
                    drafts.append(draft)
        out: dict[str, Any] = {
            "id": section_id,
            "title": title,
            "weight": weight,
            "applies_if": None,
            "guidance": guidance,
            "items": [],
        }
        return out, drafts, applies


def _order_items(drafts: list[_ItemDraft]) -> tuple[list[str], list[list[str]]]:
    """Dependency order over calculation/relevant references, and the cycles found (as id paths)."""
    graph: dict[str, list[str]] = {}
    for d in drafts:
        deps: list[str] = []
        for key in ("calculation", "relevant"):
            if key in d.exprs:
                for ref in references(d.exprs[key].parsed.ast):
                    if ref not in deps:
                        deps.append(ref)
        graph[d.compiled["id"]] = deps
    order: list[str] = []
    color: dict[str, int] = {}  # 1 visiting, 2 done
    cycles: list[list[str]] = []
    for root in graph:
        if color.get(root):
            continue
        # Iterative DFS so a long chain of computed items cannot hit the recursion limit.
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        color[root] = 1
        while stack:
            node, i = stack[-1]
            deps = [d for d in graph[node] if d in graph]
            if i < len(deps):
                stack[-1] = (node, i + 1)
                nxt = deps[i]
                state = color.get(nxt, 0)
                if state == 0:
                    color[nxt] = 1
                    stack.append((nxt, 0))
                    path.append(nxt)
                elif state == 1:
                    cycles.append(path[path.index(nxt) :] + [nxt])
            else:
                stack.pop()
                path.pop()
                color[node] = 2
                order.append(node)
    return order, cycles


def _build(file: str, source: str, id_from_name: bool) -> tuple[Checklist | None, list[LoadError]]:
    v = _FileValidator(file, source)
    loader = _MarkedLoader(source)
    try:
        top = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        v.error(mark, _yaml_problem(exc, source))
        return None, v.errors
    finally:
        loader.dispose()
    for key, mark in loader.duplicates:
        v.error(mark, f"字段 {key} 在同一处写了两次", None, str(key))
    if not isinstance(top, _Map):
        v.error(None, "检查单文件应以 id、title、sections 等字段开头（顶层应为一组 字段: 值）")
        return None, v.errors

    kind = _kind(v, top)
    v.survey = kind == "survey"
    v.check_keys(top, TOP_KEYS, SURVEY_REQUIRED if v.survey else TOP_REQUIRED)
    checklist_id = v.slug(top, "id", "检查单")
    stem = os.path.splitext(os.path.basename(file))[0]
    if id_from_name and checklist_id is not None and checklist_id != stem:
        v.error(
            v.value_mark(top, "id"),
            f"文件名应与 id 一致：id 为 {checklist_id}，文件名应为 {checklist_id}.yaml",
            None,
            "id",
        )
    title = v.text(top, "title")
    version = None
    if "version" in top and _is_number(top["version"]):
        v.error(
            v.value_mark(top, "version"),
            f'version 请加引号写成文字，如 "{top["version"]}"（否则 2026.10 会变成 2026.1）',
            None,
            "version",
        )
    else:
        version = v.text(top, "version")
    basis = v.text(top, "basis")
    description = v.text(top, "description")
    grades = [] if v.survey else v.grades(top)
    v.grade_names = [g["grade"] for g in grades]

    sections: list[dict] = []
    drafts: list[_ItemDraft] = []
    section_exprs: list[_Expr | None] = []
    raw_sections = top.get("sections")
    if "sections" in top and (not isinstance(raw_sections, _Seq) or not raw_sections):
        v.error(v.value_mark(top, "sections"), "sections 应为非空的部分列表", None, "sections")
    elif isinstance(raw_sections, _Seq):
        seen_sections: set[str] = set()
        seen_items: dict[str, Any] = {}
        weights = 0.0
        all_weights = True
        for entry, node in zip(raw_sections, raw_sections.nodes, strict=True):
            if not isinstance(entry, _Map):
                v.error(
                    node.start_mark,
                    "每个部分应为一组 字段: 值（id、title、weight、items）",
                    None,
                    "sections",
                )
                all_weights = False
                continue
            section, section_drafts, applies = v.section(entry, seen_sections, seen_items)
            sections.append(section)
            section_exprs.append(applies)
            drafts.extend(section_drafts)
            section["items"] = [d.compiled for d in section_drafts]
            if section["weight"] is None:
                all_weights = False
            else:
                weights += section["weight"]
        if all_weights and sections and abs(weights - 100) > 1e-9 and not v.survey:
            v.error(
                v.value_mark(top, "sections"),
                f"各部分 weight 之和为 {_show(round(weights, 6))}，应为 100",
                None,
                "weight",
            )

    critical_caps = v.critical_caps(top, any(d.compiled["critical"] for d in drafts))
    survey = _survey_terms(v, top, drafts)

    # Expressions: item table, dependency order, then static checks in that order so that
    # computed items have their types before anything reads them.
    infos: dict[str, ItemInfo] = {}
    for d in drafts:
        t = d.compiled["type"]
        choices = (
            tuple(c["value"] for c in d.compiled["choices"] or [] if c["value"] is not None)
            if t in ("choice", "multi")
            else None
        )
        infos[d.compiled["id"]] = ItemInfo(
            None if t == "note" else VALUE_TYPES.get(t, "any"), choices
        )
    order, cycles = _order_items(drafts)
    by_id = {d.compiled["id"]: d for d in drafts}
    for cycle in cycles:
        head = by_id[cycle[0]]
        key = (
            "calculation"
            if "calculation" in head.exprs
            and cycle[1] in references(head.exprs["calculation"].parsed.ast)
            else "relevant"
        )
        expr = head.exprs[key]
        v.error(
            expr.node.start_mark,
            "计算/显示条件出现循环引用：" + " → ".join(cycle),
            cycle[0],
            key,
            head.section,
        )

    def run_check(expr: _Expr, context: CheckContext, want: str) -> str:
        result, problems = check(expr.parsed, context)
        for p in problems:
            line, column = v.expression_position(expr.node, p.offset)
            v.error_at(line, column, p.message, expr.item, expr.field, expr.section)
        if not problems:
            if want == "bool" and result not in ("bool", "any", "null"):
                line, column = v.expression_position(expr.node, 0)
                v.error_at(
                    line,
                    column,
                    f"{expr.field} 应为判断条件（结果为是/否），这里的结果是{_type_name(result)}",
                    expr.item,
                    expr.field,
                    expr.section,
                )
            elif want == "value" and result in ("list", "bool"):
                line, column = v.expression_position(expr.node, 0)
                v.error_at(
                    line,
                    column,
                    f"{expr.field} 的结果应为数字或文字，这里是{_type_name(result)}",
                    expr.item,
                    expr.field,
                    expr.section,
                )
        return result

    school_only = CheckContext(infos, allow_items=False)
    for section, applies in zip(sections, section_exprs, strict=True):
        if applies is not None:
            run_check(applies, school_only, "bool")
            section["applies_if"] = applies.parsed.ast
    for item_id in order:
        d = by_id[item_id]
        calc = d.exprs.get("calculation")
        if calc is not None:
            result = run_check(calc, CheckContext(infos, value=None), "any")
            if result == "list":
                line, column = v.expression_position(calc.node, 0)
                v.error_at(
                    line, column, "calculation 的结果不能是列表", item_id, "calculation", d.section
                )
            infos[item_id] = ItemInfo(result if result != "null" else "any", None)
            if d.compiled["format"] == "percent" and result not in ("number", "any", "null"):
                v.error(
                    v.value_mark(d.data, "format"),
                    "format: percent 只能用于结果为数字的计算项",
                    item_id,
                    "format",
                    d.section,
                )
    for d in drafts:
        item_id = d.compiled["id"]
        own = infos[item_id]
        exprs = d.exprs
        if "applies_if" in exprs:
            run_check(exprs["applies_if"], school_only, "bool")
        if "relevant" in exprs:
            run_check(exprs["relevant"], CheckContext(infos), "bool")
        if "constraint" in exprs:
            run_check(exprs["constraint"], CheckContext(infos, value=own), "bool")
        target_type = None
        if "target" in exprs:
            target_type = run_check(exprs["target"], CheckContext(infos), "value")
        if "pass_if" in exprs:
            ctx = CheckContext(
                infos,
                value=own,
                target_type=target_type if "target" in exprs else None,
                no_target_reason="本条目没有设置 target，不能在 pass_if 中使用 target",
            )
            run_check(exprs["pass_if"], ctx, "bool")
        for key, expr in exprs.items():
            d.compiled[key] = expr.parsed.ast
        for key in ITEM_EXPRESSIONS:
            d.compiled.setdefault(key, None)

    if v.errors:
        return None, v.errors
    content = {
        "schema": SCHEMA_VERSION,
        "id": checklist_id,
        "title": title,
        "version": version,
        "basis": basis,
        "description": description,
        "grades": grades,
        "critical_caps": critical_caps,
        "sections": sections,
        "order": order,
    }
    if survey is not None:
        # Only surveys carry these keys: an inspection checklist's content (and so its hash)
        # stays what it was before surveys existed.
        content.update(survey)
    return Checklist(content, path=file), []


def _kind(v: _FileValidator, top: _Map) -> str:
    """`kind`: inspection (the default) or survey."""
    if "kind" not in top:
        return "inspection"
    kind = top["kind"]
    if kind not in KINDS:
        v.error(
            v.value_mark(top, "kind"),
            f"只能是 inspection（检查单）或 survey（调查问卷），不能是 {_show(kind)}"
            + _suggestion(kind, KINDS),
            None,
            "kind",
        )
        return "inspection"
    return str(kind)


def _value_list(v: _FileValidator, mapping: _Map, key: str, field: str) -> list[str] | None:
    raw = mapping.get(key)
    if not isinstance(raw, _Seq) or not raw or not all(isinstance(x, str) and x for x in raw):
        v.error(v.value_mark(mapping, key), f"{key} 应为非空的文字列表，如 [a, b]", None, field)
        return None
    if len(set(raw)) != len(raw):
        v.error(v.value_mark(mapping, key), f"{key} 中有重复的值", None, field)
    return list(dict.fromkeys(raw))


def _survey_terms(v: _FileValidator, top: _Map, drafts: list[_ItemDraft]) -> dict | None:
    """A survey's respondent groups and satisfaction index, checked against its questions.

    The index is the share of answers to the rated questions (choice questions offering a
    `satisfied` value) that are satisfied; answers in `excluded` (说不清) are left out of the
    count. An inspection checklist may not use these keys, a survey may not use grades.
    """
    if not v.survey:
        for key in ("respondents", "satisfaction"):
            if key in top:
                v.error(
                    top.key_marks.get(key, top.mark),
                    f"{key} 只用于调查问卷（kind: survey）",
                    None,
                    key,
                )
        return None
    for key in SURVEY_TOP_FORBIDDEN:
        if key in top:
            v.error(
                top.key_marks.get(key, top.mark),
                f"调查问卷不评等级，不能设置 {key}",
                None,
                key,
            )
    groups: list[str] = []
    if "respondents" in top:
        listed = _value_list(v, top, "respondents", "respondents") or []
        for group in listed:
            if group not in RESPONDENT_GROUPS:
                v.error(
                    v.value_mark(top, "respondents"),
                    f"未知的调查对象 {group}"
                    + _suggestion(group, RESPONDENT_GROUPS)
                    + "（可用："
                    + "、".join(f"{k}（{n}）" for k, n in RESPONDENT_GROUPS.items())
                    + "）",
                    None,
                    "respondents",
                )
            else:
                groups.append(group)
    raw = top.get("satisfaction")
    if "satisfaction" not in top:
        return None
    if not isinstance(raw, _Map):
        v.error(
            v.value_mark(top, "satisfaction"),
            "satisfaction 应写成 {label: 满意率, satisfied: [满意的选项值], excluded: [不计入的选项值]}",
            None,
            "satisfaction",
        )
        return None
    v.check_keys(raw, SATISFACTION_KEYS, ("satisfied",))
    label = v.text(raw, "label") or "满意率"
    satisfied = _value_list(v, raw, "satisfied", "satisfaction") if "satisfied" in raw else None
    excluded = _value_list(v, raw, "excluded", "satisfaction") if "excluded" in raw else []
    if satisfied is None or excluded is None:
        return None
    both = set(satisfied) & set(excluded)
    if both:
        v.error(
            v.value_mark(raw, "excluded"),
            "选项值不能既算满意又不计入：" + "、".join(sorted(both)),
            None,
            "satisfaction",
        )
    offered = {
        c["value"]
        for d in drafts
        if d.compiled["type"] == "choice"
        for c in d.compiled["choices"] or []
    }
    for value in satisfied + excluded:
        if value not in offered:
            v.error(
                v.value_mark(raw, "satisfied" if value in satisfied else "excluded"),
                f"选项值 {value} 不是任何单选题的选项" + _suggestion(value, offered),
                None,
                "satisfaction",
            )
    rated = [
        d.compiled["id"]
        for d in drafts
        if d.compiled["type"] == "choice"
        and any(c["value"] in satisfied for c in d.compiled["choices"] or [])
    ]
    if not rated and not v.errors:
        v.error(
            v.value_mark(raw, "satisfied"),
            "没有任何单选题提供 satisfied 中的选项，满意度指数无从计算",
            None,
            "satisfaction",
        )
    return {
        "kind": "survey",
        "respondents": groups,
        "satisfaction": {
            "label": label,
            "satisfied": satisfied,
            "excluded": excluded,
            "rated": rated,
        },
    }


def _type_name(t: str) -> str:
    return TYPE_NAMES.get(t, t)


# Why a file cannot be read, in the author's words (the OS's strerror is English).
_READ_FAILURES = {
    errno.ENOENT: "文件不存在",
    errno.EACCES: "没有读取该文件的权限",
    errno.EPERM: "没有读取该文件的权限",
    errno.EISDIR: "这是一个文件夹，不是文件",
}


def read_failure(exc: OSError) -> str:
    """「无法读取文件：…」 for an OSError raised opening or reading a checklist file."""
    reason = _READ_FAILURES.get(exc.errno or 0, f"系统错误（错误码 {exc.errno}）")
    return f"无法读取文件：{reason}"


def _read(path: str) -> str | LoadError:
    """The file's text, or why it cannot be read."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return LoadError(path, 1, 1, None, None, read_failure(exc))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return LoadError(path, line, 1, None, None, "文件不是 UTF-8 编码，请用 UTF-8 保存")


def check_file(
    path: str | os.PathLike, id_from_name: bool = False
) -> tuple[Checklist | None, list[LoadError]]:
    """Load one file and return (checklist or None, every error) without raising.

    With `id_from_name`, the checklist id must equal the file name without `.yaml`.
    """
    file = os.fspath(path)
    source = _read(file)
    if isinstance(source, LoadError):
        return None, [source]
    checklist, errors = _build(file, source, id_from_name)
    return checklist, sorted(errors, key=lambda e: (e.line, e.column))


def load_checklist(path: str | os.PathLike) -> Checklist:
    """Load and validate one checklist file; raises ChecklistError listing every problem."""
    checklist, errors = check_file(path)
    if errors or checklist is None:
        raise ChecklistError(errors)
    return checklist


def checklist_files(directory: str | os.PathLike) -> list[str]:
    """The checklist files of a folder (`*.yaml`), sorted by name."""
    folder = os.fspath(directory)
    return [
        os.path.join(folder, name) for name in sorted(os.listdir(folder)) if name.endswith(".yaml")
    ]


def check_paths(paths: Iterable[str | os.PathLike]) -> tuple[dict[str, Checklist], list[LoadError]]:
    """Validate files and folders (every `*.yaml` in a folder) without raising.

    Returns the checklists that loaded, by id, and every error of every file. In a folder the
    file name must equal the id, because the folder is indexed by name (checklists/<id>.yaml).
    """
    loaded: dict[str, Checklist] = {}
    errors: list[LoadError] = []
    for path in paths:
        target = os.fspath(path)
        if os.path.isdir(target):
            results = [check_file(file, id_from_name=True) for file in checklist_files(target)]
        elif os.path.exists(target):
            results = [check_file(target)]
        else:
            errors.append(LoadError(target, 1, 1, None, None, "文件或目录不存在"))
            continue
        for checklist, problems in results:
            errors.extend(problems)
            if checklist is None:
                continue
            if checklist.id in loaded:
                errors.append(
                    LoadError(
                        checklist.path or target,
                        1,
                        1,
                        None,
                        "id",
                        f"检查单 id {checklist.id} 与 {loaded[checklist.id].path} 重复",
                    )
                )
                continue
            loaded[checklist.id] = checklist
    return loaded, errors


def load_directory(path: str | os.PathLike) -> dict[str, Checklist]:
    """Load every `*.yaml` in a folder; raises ChecklistError with the errors of all files."""
    folder = os.fspath(path)
    if not os.path.isdir(folder):
        raise ChecklistError([LoadError(folder, 1, 1, None, None, "检查单目录不存在")])
    loaded, errors = check_paths([folder])
    if errors:
        raise ChecklistError(errors)
    return loaded
