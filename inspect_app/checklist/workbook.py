"""Checklists as Excel workbooks (.xlsx), in an XLSForm-like layout with Chinese names.

Clerks author forms in spreadsheets, so a checklist may be written as a workbook as well as
YAML. This module converts between the two in the core's own terms: a workbook is read into
the same document (the dict a YAML file holds) and checked by the YAML loader itself, so both
formats obey exactly the same rules and compile to the same content hash. Errors are reported
as 「工作表“检查项”第 12 行“分值”列：……」 — every one at once.

Layout (the sheets, in order; `WORKBOOK_GUIDE` below explains every column):

- 设置: one row per checklist field — columns 项目 (编号, 名称, 版本, 依据, 说明) and 内容.
- 等级: 等级, 最低分 — the grade bands, highest first.
- 关键项上限 (optional): 不合格关键项数, 等级上限 — `critical_caps`.
- 检查项: one row per section (类型 = 部分) or item, in document order: the items after a
  section row belong to it. Columns 类型, 编号, 题目, 权重, 检查方法, 必填, …, 整改期限（天）.
- 选项: the choices of 单选题/多选题 — 条目编号 (the item), 选项值, 选项文字, 得分, 判为不合格.
- 填写说明: the guide, for reading only (ignored when reading the workbook back).

Columns come from the loader's own key lists (TOP_KEYS, SECTION_KEYS, ITEM_KEYS, CHOICE_KEYS,
FIX_KEYS …): a field the loader learns gets a column (headed by its key until it is given a
Chinese name here) and round-trips without a change to this module.

Pure: bytes in, bytes out; no Flask, no database, no files.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import io
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from inspect_app.checklist import loader as _loader
from inspect_app.checklist.loader import (
    ALL_ITEM_KEYS,
    CHOICE_KEYS,
    CRITICAL_CAP_KEYS,
    FIX_KEYS,
    GRADE_KEYS,
    ITEM_EXPRESSIONS,
    ITEM_KEYS,
    SECTION_KEYS,
    TOP_KEYS,
    TYPE_LABELS,
    LoadError,
)
from inspect_app.checklist.model import ITEM_TYPES, Checklist

SETTINGS = "设置"
GRADES = "等级"
CAPS = "关键项上限"
ITEMS = "检查项"
CHOICES = "选项"
GUIDE = "填写说明"
SHEETS = (SETTINGS, GRADES, CAPS, ITEMS, CHOICES)
SECTION_TYPE = "部分"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Value kinds of a column: how a cell is read and written.
TEXT, FLAG, NUMBER, EXPR, ENUM, ANY = "text", "flag", "number", "expr", "enum", "any"


@dataclass(frozen=True)
class Column:
    """One workbook column: the document key it holds, its Chinese header and how to read it."""

    key: str  # document key; "fix.action" for a key of the fix mapping
    header: str
    kind: str
    help: str = ""
    values: tuple[tuple[str, str], ...] = ()  # ENUM: (document value, Chinese word)


# Chinese names and help for the keys the loader knows today. A key missing here still gets a
# column (headed by the key itself, read as a YAML value), so new fields round-trip.
_KNOWN: dict[str, tuple[str, str, str] | tuple[str, str, str, tuple[tuple[str, str], ...]]] = {
    # top level (设置)
    "id": ("编号", TEXT, "小写英文字母、数字和下划线，以字母开头，如 fupin_2027"),
    "title": ("名称", TEXT, "检查单名称"),
    "version": ("版本", TEXT, "版本号，按文本填写，如 2027.1"),
    "basis": ("依据", TEXT, "所依据的文件，如《教育精准扶贫督导工作方案》"),
    "description": ("说明", TEXT, "给督学的较长说明，可不填"),
    # sections and items (检查项)
    "type": (
        "类型",
        ENUM,
        "部分，或条目类型：是否题、单选题、多选题、整数题、小数题、文字题、日期题、照片题、计算项、说明",
    ),
    "label": ("题目", TEXT, "督学看到的问题或指标；部分行填部分名称"),
    "weight": ("权重", NUMBER, "仅部分行：该部分占总分的比重，各部分之和为 100"),
    "guidance": ("检查方法", TEXT, "如何检查：查阅资料、现场查看、访谈……"),
    "required": ("必填", FLAG, "是/否；不填按默认（文字题、照片题非必填，其余必填）"),
    "applies_if": (
        "适用条件",
        EXPR,
        "只读学校属性的条件，如 school.boarding；不成立时该部分/条目对该校不存在",
    ),
    "relevant": ("显示条件", EXPR, "可读其他条目的条件，如 has_canteen；成立时才显示"),
    "constraint": ("约束条件", EXPR, "对答案的限制，如 value <= fulltime"),
    "constraint_message": ("约束提示", TEXT, "不满足约束条件时的提示"),
    "min": ("最小值", NUMBER, "整数题、小数题的最小值"),
    "max": ("最大值", NUMBER, "整数题、小数题的最大值"),
    "unit": ("单位", TEXT, "如 人、元、㎡"),
    "decimals": ("小数位数", NUMBER, "显示的小数位数，0 到 6，默认 1"),
    "prefill": ("沿用上次", FLAG, "是：很少变化的数（教职工数、床位数），手机可带出上次的答案"),
    "calculation": ("计算公式", EXPR, "计算项的公式，如 backbone / fulltime"),
    "format": (
        "显示格式",
        ENUM,
        "计算项：数字 或 百分比（0.083 显示为 8.3%）",
        (("number", "数字"), ("percent", "百分比")),
    ),
    "points": (
        "分值",
        NUMBER,
        "满分，不小于 0；单选题默认取最高选项得分，多选题默认取选项得分之和",
    ),
    "pass_if": (
        "合格条件",
        EXPR,
        "判定合格的条件，如 value >= target；不填按默认（是否题答“是”为合格）",
    ),
    "target": (
        "标准值",
        EXPR,
        "标准值的公式，如 school.township_central ? 0.20 : 0.10；需同时填合格条件",
    ),
    "veto": ("一票否决", FLAG, "是：该项不合格则等级为最低档"),
    "critical": ("关键项", TEXT, "等级名称，如 合格：该项不合格则等级最高为该档"),
    "na_allowed": ("允许不适用", FLAG, "是：督学可标记“不适用”，该项不计入满分"),
    "evidence": (
        "照片要求",
        ENUM,
        "不合格时拍照 或 始终拍照",
        (("on_fail", "不合格时拍照"), ("always", "始终拍照")),
    ),
    "local": ("本地标准", FLAG, "是：该标准为省市县本地规定，报告中标注“本地标准”"),
    "problem": ("问题描述", TEXT, "存在问题的句子，可用 {value}、{target}、{label}、{unit}"),
    "fix.action": ("整改措施", TEXT, "不合格时的整改措施（可能不合格的条目必填）"),
    "fix.owner": ("责任人", TEXT, "整改责任人，如 校长、总务主任"),
    "fix.days": ("整改期限（天）", NUMBER, "整改期限天数，正整数"),
    "fix.unit": (
        "责任单位",
        TEXT,
        "学校以外负责整改的单位（如 县教育局、乡镇人民政府），不填即学校自己",
    ),
    "sample": (
        "抽样规则",
        ANY,
        "抽样检查题：如 {min: 5, max: 30}（抽 √总数 份，至少 5 份、至多 30 份）",
    ),
    # surveys (kind: survey)
    "kind": (
        "类别",
        ENUM,
        "检查单 或 调查问卷；不填即检查单",
        (("inspection", "检查单"), ("survey", "调查问卷")),
    ),
    "respondents": (
        "答卷人",
        ANY,
        "调查问卷：答卷人群体列表，如 [parent]（parent 家长、teacher 教师、student 学生）",
    ),
    "satisfaction": ("满意度", ANY, "调查问卷：满意度的算法，如 {satisfied: [very, fairly]}"),
    # grades, critical caps, choices
    "grade": ("等级", TEXT, "等级名称，如 优秀"),
    "grade.min": ("最低分", NUMBER, "该等级的最低分，从高到低，最后一档为 0"),
    "failed": ("不合格关键项数", NUMBER, "不小于 2：这么多项关键项不合格时"),
    "cap.grade": ("等级上限", TEXT, "等级最高为这一档"),
    "choice.item": ("条目编号", TEXT, "选项所属条目的编号（检查项表中的编号）"),
    "choice.value": ("选项值", TEXT, "选项的值，在表达式中引用，同一条目内不重复"),
    "choice.label": ("选项文字", TEXT, "督学点选的文字"),
    "choice.score": ("得分", NUMBER, "选择该项得到的分数；要么每个选项都填，要么都不填"),
    "choice.fail": ("判为不合格", FLAG, "是：选择该项即判为不合格"),
}
# The basis column of an item says which rule it enforces; a section has none.
_KNOWN_ITEM_BASIS = ("依据", TEXT, "条目依据的规定，如 学校食品安全与营养健康管理规定 第三十六条")


def _column(key: str, known_key: str | None = None) -> Column:
    spec = _KNOWN.get(known_key or key)
    if spec is None:
        # A field this module has no Chinese name for yet: headed by its key, read as YAML.
        return Column(key, key, ANY, "")
    header, kind, help_text = spec[0], spec[1], spec[2]
    values: Any = spec[3] if len(spec) > 3 else ()
    return Column(key, header, kind, help_text, values)


def type_words() -> tuple[tuple[str, str], ...]:
    """(type key, Chinese word) of every item type the model knows, and 部分."""
    return ((SECTION_TYPE, SECTION_TYPE),) + tuple((t, TYPE_LABELS.get(t, t)) for t in ITEM_TYPES)


def settings_columns() -> list[Column]:
    """One row of the 设置 sheet per top-level field (grades, caps and sections have sheets)."""
    return [_column(k) for k in TOP_KEYS if k not in ("grades", "critical_caps", "sections")]


def item_columns() -> list[Column]:
    """The 检查项 sheet's columns: the union of section and item keys, in a clerk's order."""
    keys: list[str] = ["type", "id", "label", "weight"]
    for k in (*SECTION_KEYS, *ALL_ITEM_KEYS):
        if k in ("items", "title", "choices"):
            continue  # title shares 题目 with label; choices have their own sheet
        if k == "fix":
            keys += [f"fix.{f}" for f in FIX_KEYS]
        elif k not in keys:
            keys.append(k)
    out = []
    for k in keys:
        if k == "type":
            out.append(Column("type", "类型", ENUM, _KNOWN["type"][2], type_words()))
        elif k == "basis":
            out.append(Column("basis", *_KNOWN_ITEM_BASIS))
        else:
            out.append(_column(k))
    return out


def grade_columns() -> list[Column]:
    return [_column(k, "grade.min" if k == "min" else k) for k in GRADE_KEYS]


def cap_columns() -> list[Column]:
    return [_column(k, "cap.grade" if k == "grade" else k) for k in CRITICAL_CAP_KEYS]


def choice_columns() -> list[Column]:
    return [Column("item", *_KNOWN["choice.item"][:3])] + [
        _column(k, f"choice.{k}") for k in CHOICE_KEYS
    ]


def sheet_columns() -> dict[str, list[Column]]:
    return {
        GRADES: grade_columns(),
        CAPS: cap_columns(),
        ITEMS: item_columns(),
        CHOICES: choice_columns(),
    }


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class WorkbookError:
    """One problem in a workbook: a sheet, a 1-based row (None: the sheet) and a column header."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if not self.sheet:  # the file as a whole
            return self.message
        where = f"工作表“{self.sheet}”"
        if self.row is not None:
            where += f"第 {self.row} 行"
        if self.column:
            where += f"“{self.column}”列"
        return f"{where}：{self.message}"

    def sort_key(self) -> tuple:
        order = {name: i for i, name in enumerate((*SHEETS, GUIDE))}
        return (order.get(self.sheet, 99), self.row or 0, self.column or "")


class WorkbookProblems(Exception):
    """Raised when a workbook cannot become a checklist; `.errors` lists every problem."""

    def __init__(self, errors: Iterable[WorkbookError]) -> None:
        self.errors = sorted(errors, key=WorkbookError.sort_key)
        super().__init__("\n".join(str(e) for e in self.errors))


# --------------------------------------------------------------------------- cells


def _show(x: Any) -> str:
    if type(x) is float and math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return str(x)


_INT_RE = re.compile(r"[+-]?[0-9]+")
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_TRUE = ("是", "true", "yes", "y", "1", "√", "对")
_FALSE = ("否", "false", "no", "n", "0", "×")


class _Reader:
    """Turns cells into document values, collecting errors in workbook terms."""

    def __init__(self) -> None:
        self.errors: list[WorkbookError] = []

    def error(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        self.errors.append(WorkbookError(sheet, row, column, message))

    def value(self, sheet: str, row: int, col: Column, raw: Any, header: str | None = None) -> Any:
        """A cell's document value; `_MISSING` for an empty cell.

        Problems are recorded under `header` (default: the column's own header).
        """
        if header is not None:
            col = Column(col.key, header, col.kind, col.help, col.values)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return _MISSING
        if isinstance(raw, _dt.datetime):
            raw = raw.date().isoformat() if raw.time() == _dt.time() else raw.isoformat(" ")
        elif isinstance(raw, (_dt.date, _dt.time)):
            raw = raw.isoformat()
        kind = col.kind
        if kind == TEXT:
            if type(raw) is bool:
                return "是" if raw else "否"
            if isinstance(raw, (int, float)):
                if col.key == "version":
                    self.error(
                        sheet, row, col.header,
                        f"版本应按文本填写（在 {_show(raw)} 前加英文单引号 '，或把单元格设为文本格式），"
                        "否则 2026.10 会变成 2026.1",
                    )  # fmt: skip
                return _show(raw)  # (the error above stands; the loader need not add another)
            return raw
        if kind == FLAG:
            if type(raw) is bool:
                return raw
            word = _show(raw).strip().lower()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
            self.error(sheet, row, col.header, f"应填“是”或“否”，这里是“{_show(raw)}”")
            return False  # reported above; the loader need not say it is missing too
        if kind == NUMBER:
            if isinstance(raw, (int, float)):  # a 是/否 cell too: the loader says 应为数字
                return raw
            # full-width digits and signs (５、－３、１．５) are what a Chinese IME often types
            text = unicodedata.normalize("NFKC", raw).strip()
            if _INT_RE.fullmatch(text):
                return int(text)
            if _FLOAT_RE.fullmatch(text):
                return float(text)
            return text  # the loader says "… 应为数字" at this cell
        if kind == EXPR:
            if isinstance(raw, str):
                return raw
            return raw  # numbers and 是/否 cells: the loader turns them into expression text
        if kind == ENUM:
            text = _show(raw).strip()
            for key, word in col.values:
                if text in (key, word):
                    return key
            return text  # the loader names the allowed values at this cell
        # ANY: a field without a Chinese column yet, written as a YAML value
        if isinstance(raw, str):
            try:
                return yaml.safe_load(raw)
            except yaml.YAMLError:
                return raw
        return raw


_MISSING: Any = object()


def _cell_text(col: Column, value: Any) -> Any:
    """What a document value is written as in its column."""
    if col.kind == FLAG and type(value) is bool:
        return "是" if value else "否"
    if col.kind == ENUM:
        for key, word in col.values:
            if value == key:
                return word
        return value
    if col.kind == EXPR:
        if type(value) is bool:
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(float(value)) if isinstance(value, float) else str(value)
        return value
    if col.kind == NUMBER and type(value) is float and value == int(value):
        # Excel and openpyxl would read 60.0 back as the integer 60, which compiles (and
        # hashes) differently: written as text, "60.0" reads back as the float it was.
        return repr(value)
    if col.kind == ANY:
        if isinstance(value, str) and not _needs_yaml_quotes(value):
            return value
        return _flow(value)
    return value


def _needs_yaml_quotes(text: str) -> bool:
    try:
        return yaml.safe_load(text) != text
    except yaml.YAMLError:
        return True


def _flow(value: Any) -> str:
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10**6)
    return text.removesuffix("\n...\n").strip()


# --------------------------------------------------------------------------- writing


def to_workbook(doc: dict) -> bytes:
    """The .xlsx bytes of a checklist document (the dict a YAML checklist file holds)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    head_font = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDE7F3")
    wrap = Alignment(wrap_text=True, vertical="top")

    def sheet(title: str, headers: list[str], first: bool = False, widths: dict | None = None):
        ws = book.active if first else book.create_sheet()
        assert ws is not None
        ws.title = title
        ws.append(headers)
        for cell in ws[1]:
            cell.font = head_font
            cell.fill = head_fill
        ws.freeze_panes = "A2"
        for i, h in enumerate(headers, start=1):
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = (widths or {}).get(h, max(10, len(h) * 2 + 4))
        return ws

    def put(ws, row: int, column: int, value: Any) -> None:
        cell = ws.cell(row=row, column=column, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # text beginning with "=" is text here, not an Excel formula
            cell.alignment = wrap

    settings = sheet(SETTINGS, ["项目", "内容", "填写说明"], first=True,
                     widths={"项目": 14, "内容": 50, "填写说明": 50})  # fmt: skip
    for r, col in enumerate(settings_columns(), start=2):
        put(settings, r, 1, col.header)
        if col.key in doc and doc[col.key] is not None:
            put(settings, r, 2, _cell_text(col, doc[col.key]))
        put(settings, r, 3, col.help)

    def table(title: str, columns: list[Column], rows: list[dict[str, Any]]) -> None:
        ws = sheet(title, [c.header for c in columns],
                   widths={"题目": 40, "检查方法": 30, "依据": 30, "问题描述": 30,
                           "整改措施": 30, "合格条件": 24, "标准值": 24, "计算公式": 24})  # fmt: skip
        for r, values in enumerate(rows, start=2):
            for c, col in enumerate(columns, start=1):
                if col.key in values and values[col.key] is not None:
                    put(ws, r, c, _cell_text(col, values[col.key]))

    table(GRADES, grade_columns(), list(doc.get("grades") or []))
    table(CAPS, cap_columns(), list(doc.get("critical_caps") or []))
    item_rows: list[dict[str, Any]] = []
    choice_rows: list[dict[str, Any]] = []
    for section in doc.get("sections") or []:
        row = {"type": SECTION_TYPE}
        row.update(
            {("label" if k == "title" else k): v for k, v in section.items() if k != "items"}
        )
        item_rows.append(row)
        for item in section.get("items") or []:
            row = {k: v for k, v in item.items() if k not in ("fix", "choices")}
            for k, v in (item.get("fix") or {}).items():
                row[f"fix.{k}"] = v
            item_rows.append(row)
            for choice in item.get("choices") or []:
                choice_rows.append({"item": item.get("id"), **choice})
    table(ITEMS, item_columns(), item_rows)
    table(CHOICES, choice_columns(), choice_rows)

    guide = book.create_sheet(GUIDE)
    guide.column_dimensions["A"].width = 16
    guide.column_dimensions["B"].width = 18
    guide.column_dimensions["C"].width = 80
    for line in guide_rows():
        guide.append(list(line))
    for cell in guide[1]:
        cell.font = head_font
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_document() -> dict:
    """The starting point a clerk downloads: one section, one item of every common kind."""
    return {
        "id": "new_checklist",
        "title": "某某专项督导检查单",
        "version": "2027.1",
        "basis": "《教育精准扶贫督导工作方案》",
        "description": "示例：请按本表格式填写，完成后上传到检查单库。",
        "grades": [
            {"grade": "优秀", "min": 90},
            {"grade": "良好", "min": 80},
            {"grade": "合格", "min": 60},
            {"grade": "不合格", "min": 0},
        ],
        "sections": [
            {
                "id": "staffing",
                "title": "教师配备",
                "weight": 60,
                "guidance": "查阅教师花名册、职称和骨干教师认定文件。",
                "items": [
                    {"id": "fulltime", "type": "integer", "label": "专任教师数", "unit": "人",
                     "min": 0, "prefill": True},
                    {"id": "backbone", "type": "integer", "label": "县级以上骨干教师数",
                     "unit": "人", "min": 0, "constraint": "value <= fulltime",
                     "constraint_message": "骨干教师数不能超过专任教师数"},
                    {"id": "backbone_ratio", "type": "computed", "label": "骨干教师占专任教师比例",
                     "calculation": "backbone / fulltime", "format": "percent",
                     "target": "school.township_central ? 0.20 : 0.10",
                     "pass_if": "value >= target", "points": 5, "local": True,
                     "basis": "督导工作方案 四（五）1",
                     "problem": "骨干教师占比 {value}，低于 {target} 的要求",
                     "fix": {"action": "制定骨干教师培养计划并报县教育局备案", "owner": "校长",
                             "days": 60}},
                    {"id": "training", "type": "choice", "label": "教师培训开展情况",
                     "choices": [
                         {"value": "good", "label": "有计划、有记录", "score": 5},
                         {"value": "partial", "label": "有计划、无记录", "score": 2},
                         {"value": "none", "label": "未开展", "score": 0, "fail": True}],
                     "fix": {"action": "制定并落实年度教师培训计划", "owner": "教务主任",
                             "days": 30}},
                ],
            },
            {
                "id": "boarding",
                "title": "寄宿生管理",
                "weight": 40,
                "applies_if": "school.boarding",
                "items": [
                    {"id": "night_duty", "type": "yesno", "label": "每晚有教师值班并有值班记录",
                     "points": 4, "veto": True, "evidence": "on_fail",
                     "fix": {"action": "建立夜间值班制度并每日记录", "owner": "德育主任",
                             "days": 14}},
                    {"id": "duty_photo", "type": "photo", "label": "值班记录照片"},
                ],
            },
        ],
    }  # fmt: skip


def template_workbook() -> bytes:
    return to_workbook(template_document())


# --------------------------------------------------------------------------- the guide

# One example per item type, in the 检查项 sheet's words.
TYPE_EXAMPLES: dict[str, str] = {
    "yesno": "题目「每晚有教师值班并有值班记录」，分值 4，一票否决 是，整改措施…",
    "choice": "题目「教师培训开展情况」；在“选项”表为它填写 good/有计划、有记录/5 等选项",
    "multi": "题目「学校公示了哪些资助信息」；在“选项”表填写各项，选到“判为不合格”的选项即不合格",
    "integer": "题目「专任教师数」，单位 人，最小值 0，沿用上次 是",
    "decimal": "题目「生均校舍面积」，单位 ㎡，合格条件 value >= 4.5，整改措施…",
    "text": "题目「其他需要说明的情况」（不计分）",
    "date": "题目「最近一次消防演练日期」，合格条件 value >= '2026-09-01'",
    "photo": "题目「食堂后厨照片」（不计分，记录照片张数）",
    "computed": "题目「骨干教师占比」，计算公式 backbone / fulltime，显示格式 百分比",
    "note": "题目「以下各项请对照台账逐项核实」（只是说明，不作答）",
    "sample": "题目「抽查建档立卡学生档案」，抽样规则 {min: 5, max: 30}，分值 6，整改措施…",
}


def guide_rows() -> list[tuple[str, str, str]]:
    """The clerk's guide as (sheet, column, meaning) rows, built from the column definitions."""
    rows: list[tuple[str, str, str]] = [("工作表", "列", "含义")]
    for col in settings_columns():
        rows.append((SETTINGS, col.header, col.help or col.key))
    for title, columns in sheet_columns().items():
        for col in columns:
            rows.append((title, col.header, col.help or f"字段 {col.key}"))
    for key, word in type_words()[1:]:
        rows.append(("类型示例", word, TYPE_EXAMPLES.get(key, key)))
    return rows


def guide() -> list[dict]:
    """The guide for the app's page: per sheet, its columns with meaning and allowed words."""
    out = [{"sheet": SETTINGS, "columns": [
        {"header": c.header, "key": c.key, "help": c.help} for c in settings_columns()]}]  # fmt: skip
    for title, columns in sheet_columns().items():
        out.append(
            {
                "sheet": title,
                "columns": [
                    {
                        "header": c.header,
                        "key": c.key,
                        "help": c.help,
                        "words": [w for _, w in c.values] if c.key != "type" else [],
                    }
                    for c in columns
                ],
            }
        )
    return out


def type_guide() -> list[dict]:
    """Per item type: its Chinese word, the columns it may use and an example."""
    columns = {c.key: c.header for c in item_columns()}
    out = []
    for key, word in type_words()[1:]:
        allowed = ITEM_KEYS.get(key, ())
        headers = []
        for k in allowed:
            if k == "fix":
                headers += [columns[f"fix.{f}"] for f in FIX_KEYS if f"fix.{f}" in columns]
            elif k == "choices":
                headers.append(f"（{CHOICES}表）")
            elif k in columns:
                headers.append(columns[k])
        out.append({"type": key, "word": word, "columns": headers,
                    "example": TYPE_EXAMPLES.get(key, "")})  # fmt: skip
    return out


# --------------------------------------------------------------------------- reading


@dataclass
class _Cell:
    sheet: str
    row: int | None
    column: str | None
    key: str  # document key path the YAML line holds ("fix.days", "choices.value", …)


@dataclass
class _Source:
    """The YAML text a workbook becomes, and where each of its lines came from."""

    lines: list[str] = field(default_factory=list)
    cells: list[_Cell] = field(default_factory=list)
    prefix: list[int] = field(default_factory=list)  # characters before a value's first one
    quoted: list[bool] = field(default_factory=list)

    def add(self, indent: int, key: str, value: Any, cell: _Cell, dash: bool = False) -> None:
        # `indent` is where the mapping's keys start; a list entry's first key has "- " before it
        lead = " " * (indent - 2) + "- " if dash else " " * indent
        if value is _NEST:
            self.lines.append(f"{lead}{key}:")
            self.prefix.append(len(lead))
            self.quoted.append(False)
        else:
            text = _yaml_scalar(value)
            self.lines.append(f"{lead}{key}: {text}")
            self.prefix.append(len(lead) + len(key) + 2)
            self.quoted.append(text.startswith('"'))
        self.cells.append(cell)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


_NEST: Any = object()
# Characters YAML does not allow unescaped, or reads as a line break, escaped in the generated
# text so every value stays on its own line (the line tells the cell).
_YAML_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
)


def _yaml_scalar(value: Any) -> str:
    """One value as a single line of YAML that reads back as exactly that value."""
    if value is None:
        return "null"
    if type(value) is bool:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    # lists and mappings of a field without a column of its own: JSON is YAML flow style
    return json.dumps(value, ensure_ascii=False, default=str)


# A checklist workbook is a few hundred rows; these bounds refuse a zip bomb or a sheet of a
# million rows before openpyxl spends the server's memory on it.
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_ROWS = 5000


class _TooBig(Exception):
    pass


def _open(data: bytes) -> Any:
    import zipfile

    from openpyxl import load_workbook

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise _TooBig
    return load_workbook(io.BytesIO(data), data_only=False, read_only=False)


def _header_map(
    reader: _Reader, sheet: str, header_row: tuple, columns: list[Column]
) -> dict[int, Column]:
    by_name: dict[str, Column] = {}
    for c in columns:
        by_name[c.header] = c
        by_name.setdefault(c.key, c)
    found: dict[int, Column] = {}
    seen: dict[str, int] = {}
    for index, raw in enumerate(header_row):
        if raw is None or not str(raw).strip():
            continue
        name = str(raw).strip()
        col = by_name.get(name)
        if col is None:
            close = difflib.get_close_matches(name, [c.header for c in columns], n=1, cutoff=0.5)
            hint = f"，是否想写“{close[0]}”？" if close else "（可用的列见“填写说明”）"
            reader.error(sheet, 1, name, f"无法识别的列名“{name}”{hint}")
            continue
        if col.key in seen:
            reader.error(sheet, 1, name, f"“{col.header}”列出现了两次")
            continue
        seen[col.key] = index
        found[index] = col
    return found


def _rows(ws: Any) -> list[tuple[int, tuple]]:
    """(1-based row number, cell values) of every non-empty data row below the header."""
    out = []
    for number, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if any(v is not None and not (isinstance(v, str) and not v.strip()) for v in row):
            out.append((number, row))
    return out


def _formulas(reader: _Reader, ws: Any, headers: dict[int, str]) -> None:
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            if cell.data_type == "f":
                column = headers.get(cell.column - 1) if cell.row > 1 else None
                reader.error(
                    ws.title, cell.row, column,
                    "单元格是公式，请改为直接填写内容（可复制后“选择性粘贴 → 数值”）",
                )  # fmt: skip


def read_workbook(data: bytes) -> tuple[dict | None, _Source | None, list[WorkbookError]]:
    """The checklist document a workbook holds, the YAML it is checked as, and its own errors."""
    reader = _Reader()
    try:
        book = _open(data)
    except _TooBig:
        return None, None, [WorkbookError("", None, None,
                                          "文件解压后过大，不像是检查单工作簿，请确认选择了正确的文件")]  # fmt: skip
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        return None, None, [WorkbookError("", None, None,
                                          "无法打开：文件不是 Excel 工作簿（.xlsx）。"
                                          "请用 Excel 或 WPS 另存为 .xlsx 后再上传")]  # fmt: skip
    names = book.sheetnames
    for ws in book.worksheets:
        if ws.max_row > MAX_ROWS and ws.title != GUIDE:
            reader.error(ws.title, None, None,
                         f"有 {ws.max_row} 行，超过 {MAX_ROWS} 行，不像是检查单（请删除多余的行）")  # fmt: skip
    if reader.errors:
        return None, None, reader.errors
    for required in (SETTINGS, GRADES, ITEMS):
        if required not in names:
            close = difflib.get_close_matches(required, names, n=1, cutoff=0.3)
            hint = f"（有一个名为“{close[0]}”的工作表，是否改过名？）" if close else ""
            reader.error(required, None, None, f"缺少工作表“{required}”{hint}")
    if reader.errors:
        return None, None, reader.errors
    src = _Source()
    doc: dict[str, Any] = {}

    # 设置: 项目 / 内容 rows
    ws = book[SETTINGS]
    _formulas(reader, ws, {1: "内容"})
    by_word = {c.header: c for c in settings_columns()} | {c.key: c for c in settings_columns()}
    settings_at: dict[str, int] = {}
    for number, row in _rows(ws):
        name = str(row[0]).strip() if row and row[0] is not None else ""
        col = by_word.get(name)
        if col is None:
            close = difflib.get_close_matches(name, list(by_word), n=1, cutoff=0.5)
            hint = f"，是否想写“{close[0]}”？" if close else ""
            reader.error(SETTINGS, number, "项目", f"无法识别的项目“{name}”{hint}")
            continue
        if col.key in settings_at:
            reader.error(SETTINGS, number, "项目",
                         f"项目“{col.header}”已在第 {settings_at[col.key]} 行填写")  # fmt: skip
            continue
        settings_at[col.key] = number
        value = reader.value(SETTINGS, number, col, row[1] if len(row) > 1 else None, "内容")
        if value is not _MISSING:
            doc[col.key] = value
            src.add(0, col.key, value, _Cell(SETTINGS, number, "内容", col.key))

    def table(title: str, columns: list[Column]) -> list[tuple[int, dict[str, Any]]]:
        if title not in names:
            return []
        ws = book[title]
        header = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
        headers = _header_map(reader, title, header, columns)
        _formulas(reader, ws, {i: c.header for i, c in headers.items()})
        out = []
        for number, row in _rows(ws):
            values: dict[str, Any] = {}
            for index, col in headers.items():
                if index < len(row):
                    v = reader.value(title, number, col, row[index])
                    if v is not _MISSING:
                        values[col.key] = v
            stray = [
                i
                for i in range(len(row))
                if i not in headers
                and row[i] is not None
                and not (isinstance(row[i], str) and not row[i].strip())
                and not (i < len(header) and header[i] is not None and str(header[i]).strip())
            ]  # a bad header is reported once
            # fmt: skip
            for i in stray:
                reader.error(title, number, None, f"第 {i + 1} 列没有列名，其中的内容无法读取")
            out.append((number, values))
        return out

    grades = table(GRADES, grade_columns())
    grade_cols = {c.key: c.header for c in grade_columns()}
    if grades:
        doc["grades"] = []
        src.add(0, "grades", _NEST, _Cell(GRADES, None, None, "grades"))
        for number, values in grades:
            doc["grades"].append(values)
            first = True
            for key, v in values.items():
                src.add(2, key, v, _Cell(GRADES, number, grade_cols[key], key), dash=first)
                first = False
    caps = table(CAPS, cap_columns())
    cap_cols = {c.key: c.header for c in cap_columns()}
    if caps:
        doc["critical_caps"] = []
        src.add(0, "critical_caps", _NEST, _Cell(CAPS, None, None, "critical_caps"))
        for number, values in caps:
            doc["critical_caps"].append(values)
            first = True
            for key, v in values.items():
                src.add(2, key, v, _Cell(CAPS, number, cap_cols[key], key), dash=first)
                first = False

    # 选项, grouped by item id, in row order
    choice_cols = {c.key: c.header for c in choice_columns()}
    choices: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for number, values in table(CHOICES, choice_columns()):
        owner = values.pop("item", None)
        if owner is None:
            reader.error(CHOICES, number, choice_cols["item"], "请填写选项所属条目的编号")
            continue
        choices.setdefault(str(owner).strip(), []).append((number, values))

    item_cols = {c.key: c.header for c in item_columns()}
    rows = table(ITEMS, item_columns())
    if rows:
        src.add(0, "sections", _NEST, _Cell(ITEMS, None, item_cols["weight"], "sections"))
    sections: list[dict] = []
    used_choices: set[str] = set()
    for number, values in rows:
        kind = values.get("type")
        cell = lambda key, n=number: _Cell(ITEMS, n, item_cols.get(key), key)  # noqa: E731
        if kind == SECTION_TYPE:
            section = {
                ("title" if k == "label" else k): v for k, v in values.items() if k != "type"
            }
            section["items"] = []
            sections.append(section)
            first = True
            for key, v in section.items():
                if key == "items":
                    continue
                column = "label" if key == "title" else key
                src.add(2, key, v, cell(column), dash=first)
                first = False
            if first:  # a 部分 row with nothing else
                src.add(2, "id", None, cell("id"), dash=True)
            src.add(2, "items", _NEST, cell("type"))
            continue
        if kind is None:
            reader.error(ITEMS, number, item_cols["type"],
                         "请填写类型（部分，或是否题、单选题等条目类型）")  # fmt: skip
            continue
        if not sections:
            reader.error(ITEMS, number, item_cols["type"],
                         "条目之前须先有一行类型为“部分”的行（说明它属于哪个部分）")  # fmt: skip
            continue
        item: dict[str, Any] = {}
        fix: dict[str, Any] = {}
        for key, v in values.items():
            if key.startswith("fix."):
                fix[key[4:]] = v
            else:
                item[key] = v
        first = True
        for key, v in item.items():
            src.add(6, key, v, cell(key), dash=first)
            first = False
        if fix:
            item["fix"] = fix
            src.add(6, "fix", _NEST, cell(f"fix.{FIX_KEYS[0]}"))
            for key, v in fix.items():
                src.add(8, key, v, cell(f"fix.{key}"))
        item_id = item.get("id")
        own = choices.get(str(item_id)) if isinstance(item_id, str) else None
        if own is not None:
            used_choices.add(str(item_id))
            item["choices"] = []
            src.add(6, "choices", _NEST, cell("type"))
            for c_number, c_values in own:
                item["choices"].append(c_values)
                first = True
                for key, v in c_values.items():
                    src.add(10, key, v, _Cell(CHOICES, c_number, choice_cols.get(key), f"choices.{key}"),
                            dash=first)  # fmt: skip
                    first = False
                if first:
                    src.add(10, "value", None, _Cell(CHOICES, c_number, choice_cols["value"],
                                                     "choices.value"), dash=True)  # fmt: skip
        sections[-1]["items"].append(item)
    if sections:
        doc["sections"] = sections
    item_ids = {i.get("id") for s in sections for i in s["items"] if isinstance(i.get("id"), str)}
    for owner, entries in choices.items():
        if owner in used_choices:
            continue
        near = difflib.get_close_matches(owner, sorted(item_ids), n=1, cutoff=0.6)
        for c_number, _ in entries:
            reader.error(CHOICES, c_number, choice_cols["item"],
                         f"“检查项”表中没有编号为 {owner} 的条目" +
                         (f"，是否想写 {near[0]}？" if near else ""))  # fmt: skip
    return doc, src, reader.errors


# Loader messages that speak YAML, said in the workbook's words instead.
_REWRITES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str] | str], ...] = (
    (re.compile(r"^缺少必填字段 choices$"), f"单选题、多选题须在工作表“{CHOICES}”中填写选项"),
    (re.compile(r"^choices 应为选项列表.*$"), f"单选题、多选题须在工作表“{CHOICES}”中填写选项"),
    (re.compile(r"^fix 应写成.*$"), "请填写整改措施、责任人和整改期限（天）"),
    (
        re.compile(r"^该条目不会判为不合格，fix 不会被使用.*$"),
        "该条目不会判为不合格，不需要整改措施（有“合格条件”、或是计分的是否题、或有“判为不合格”的选项，才可能不合格）",
    ),
    (
        re.compile(r"^该条目可能判为不合格，需要填写 fix.*$"),
        "该条目可能判为不合格，请填写整改措施、责任人和整改期限（天）",
    ),
    (re.compile(r"^每个.*应为一组 字段: 值.*$"), "这一行无法读取"),
    (re.compile(r"^sections 应为非空的部分列表$"), "至少需要一个部分和一个条目"),
    (re.compile(r"^grades 应为等级列表.*$"), "至少需要两个等级，如 优秀 90、不合格 0"),
    (re.compile(r"^items 应为非空的条目列表$"), "该部分下面没有条目"),
)


def _headers_for(sheet: str) -> dict[str, str]:
    if sheet == SETTINGS:
        return {c.key: c.header for c in settings_columns()}
    columns = sheet_columns().get(sheet, [])
    out = {c.key: c.header for c in columns}
    if sheet == ITEMS:
        out["title"] = out["label"]
        out["fix"] = out[f"fix.{FIX_KEYS[0]}"]
        out["choices"] = out["type"]
        for f in FIX_KEYS:
            out.setdefault(f, out.get(f"fix.{f}", f))
    return out


def _enum_words(col: Column) -> str:
    return "或".join(f"“{w}”" for _, w in col.values)


def _translate(message: str, sheet: str, src: _Source) -> str:
    columns = {c.key: c for c in item_columns()}
    m = re.match(r"^未知的条目类型 (.*?)(，是否想写 .*?？)?（可用：.*）$", message)
    if m:
        words = [w for _, w in type_words()]
        close = difflib.get_close_matches(m.group(1), words, n=1, cutoff=0.3)
        hint = f"，是否想写“{close[0]}”？" if close else ""
        return f"无法识别的类型“{m.group(1)}”{hint}（可用：" + "、".join(words) + "）"
    m = re.match(r"^(\w+) 只能是 ", message)
    if m and m.group(1) in columns and columns[m.group(1)].values:
        col = columns[m.group(1)]
        return f"“{col.header}”只能填{_enum_words(col)}"
    message = message.replace("不在 grades 中", f"不在工作表“{GRADES}”中")
    message = re.sub(
        r"fix\.(\w+)",
        lambda f: f"“{_headers_for(ITEMS).get('fix.' + f.group(1), f.group(1))}”",
        message,
    )
    for pattern, replacement in _REWRITES:
        if pattern.search(message):
            return pattern.sub(replacement, message) if isinstance(replacement, str) else \
                pattern.sub(replacement, message)  # fmt: skip

    # 「第 12 行已使用」 counts lines of the generated YAML: say the row instead.
    def row_of(m: re.Match[str]) -> str:
        line = int(m.group(1)) - 1
        if 0 <= line < len(src.cells) and src.cells[line].row is not None:
            return f"第 {src.cells[line].row} 行已使用"
        return m.group(0)

    message = re.sub(r"第 (\d+) 行已使用", row_of, message)
    headers = _headers_for(sheet)
    # A field's key next to Chinese words (points 应为数字、不能设置 points) → its column name.
    keys = sorted((k for k in headers if "." not in k), key=len, reverse=True)
    if keys:
        pattern = re.compile(
            r"(?<![A-Za-z0-9_.{'\"])(" + "|".join(map(re.escape, keys)) + r")(?![A-Za-z0-9_}'\"(])"
        )

        # only where the key is used as a field name: at the start, after 设置/填写/字段/没有, or before 应/的/:
        def field_name(m: re.Match[str]) -> str:
            before = message[: m.start()].rstrip()
            after = message[m.end() :].lstrip()
            if (
                m.start() == 0
                or before.endswith(
                    ("设置", "设置了", "填写", "字段", "没有", "使用了", "需要", "的", "各部分")
                )
                or after.startswith(("应", "的", "：", "不能", "只能", "要求", "之"))
            ):
                return f"“{headers[m.group(1)]}”"
            return m.group(0)

        message = pattern.sub(field_name, message)
    for yaml_words, sheet_words in _YAML_WORDS:
        message = message.replace(yaml_words, sheet_words)
    # Chinese typography: no spaces around a quoted column name
    message = re.sub(r" ?(“[^”]*”) ?", r"\1", message)
    return re.sub(r"^(?:计算项)?缺少必填字段(“[^”]*”)", r"请填写\1", message)


# What the loader says in YAML's words, said as a clerk fills the sheet.
_YAML_WORDS = (
    ("fail: true 的选项", "“判为不合格”为“是”的选项"),
    ("fail 选项", "“判为不合格”的选项"),
    ("evidence: on_fail", "照片要求“不合格时拍照”"),
    ("format: percent", "显示格式“百分比”"),
    ("veto: true", "“一票否决”填“是”"),
    ("true 或 false", "“是”或“否”"),
    ("条目 id", "条目编号"),
    ("部分 id", "部分编号"),
    ("检查单 id", "检查单编号"),
    ("kind: survey", "类别“调查问卷”"),
)


def _locate(error: LoadError, src: _Source) -> WorkbookError:
    index = error.line - 1
    if not 0 <= index < len(src.cells):
        return WorkbookError(ITEMS, None, None, error.message)
    cell = src.cells[index]
    column = cell.column
    message = error.message
    wanted = error.field
    if wanted in ("grades", "critical_caps", "choices") and cell.sheet in (GRADES, CAPS, CHOICES):
        wanted = None  # the loader names the list; the line is the cell
    if wanted and not (cell.key == wanted or cell.key.startswith(wanted + ".")
                       or cell.key.endswith("." + wanted)):  # fmt: skip
        headers = _headers_for(cell.sheet)
        parent = cell.key.rsplit(".", 1)[0] if "." in cell.key else None
        column = headers.get(f"{parent}.{wanted}") if parent else None
        column = column or headers.get(wanted) or headers.get(f"fix.{wanted}") or column
        if column is None and wanted in ("choices", "value", "label", "score", "fail"):
            column = None
    if error.field in ITEM_EXPRESSIONS or error.field == "applies_if":
        offset = error.column - 1 - src.prefix[index] - (1 if src.quoted[index] else 0)
        if cell.key == error.field and offset > 0 and "表达式" in message:
            message += f"（第 {offset + 1} 个字符处）"
    if cell.sheet == SETTINGS and wanted and wanted != cell.key:
        # a top-level field missing (or a problem of the whole): the sheet, not the first row
        return WorkbookError(SETTINGS, None, None, _translate(message, SETTINGS, src))
    return WorkbookError(cell.sheet, cell.row, column, _translate(message, cell.sheet, src))


def check_workbook(
    data: bytes, name: str = "workbook.xlsx"
) -> tuple[Checklist | None, list[WorkbookError]]:
    """Read and validate a workbook: (the checklist, []) or (None, every problem at once)."""
    _, checklist, errors = read_checked(data, name)
    return checklist, errors


def read_checked(
    data: bytes, name: str = "workbook.xlsx"
) -> tuple[dict | None, Checklist | None, list[WorkbookError]]:
    """:func:`check_workbook` that also gives the document read, so a caller who keeps it
    (the library stores its YAML) does not read the workbook a second time."""
    doc, src, errors = read_workbook(data)
    if doc is None or src is None:
        return None, None, errors
    checklist, load_errors = _loader._build(name, src.text(), False)  # noqa: SLF001 (the same rules)
    errors = errors + [_locate(e, src) for e in load_errors]
    # one message per cell is enough (the loader may say the same thing twice for one cell)
    unique = list(dict.fromkeys(errors))
    if unique:
        return None, None, sorted(unique, key=WorkbookError.sort_key)
    return doc, checklist, []


def workbook_document(data: bytes) -> dict:
    """The checklist document of a valid workbook; raises WorkbookProblems otherwise."""
    doc, checklist, errors = read_checked(data)
    if doc is None or checklist is None:
        raise WorkbookProblems(errors)
    return doc


# --------------------------------------------------------------------------- YAML text


def dump_yaml(doc: dict) -> str:
    """A checklist document as readable YAML (what `flask checklists export` and downloads give)."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(doc, Dumper=dumper, allow_unicode=True, sort_keys=False, width=100)


def yaml_document(text: str) -> dict:
    """The document of a YAML checklist (validate it with the loader first)."""
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        raise ValueError("检查单 YAML 的顶层应为一组 字段: 值")
    return doc
