"""Reading a school list from CSV or XLSX with Chinese headers, validating every row.

Pure parsing: returns the clean records and every problem found, so the caller can import
all rows or none.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from inspect_app.common.vocabulary import STAGES

# Header → (field, required). Headers are matched after trimming spaces.
COLUMNS = {
    "学校代码": ("code", True),
    "学校名称": ("name", True),
    "乡镇": ("township", True),
    "学段": ("stage", True),
    "寄宿制": ("boarding", False),
    "乡镇中心校": ("township_central", False),
    "贫困村所在地": ("poverty_village", False),
    "在校生数": ("enrolment", False),
    "校长": ("principal", False),
    "联系电话": ("phone", False),
    "地址": ("address", False),
    "纬度": ("latitude", False),
    "经度": ("longitude", False),
}
TRUE_WORDS = {"是", "有", "1", "true", "yes", "y", "√"}
FALSE_WORDS = {"否", "无", "0", "false", "no", "n", ""}


@dataclass
class ImportResult:
    records: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_rows(filename: str, data: bytes) -> list[list[str]]:
    """Return the sheet as rows of strings. Raises ValueError with a Chinese reason."""
    name = filename.lower()
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValueError("无法识别文件编码，请另存为 UTF-8 编码的 CSV。")
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook  # heavy; only needed for spreadsheets

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        except Exception as exc:  # openpyxl raises many kinds for a corrupt file
            raise ValueError("无法读取该 XLSX 文件，文件可能已损坏。") from exc
        if sheet is None:  # a workbook without sheets
            raise ValueError("无法读取该 XLSX 文件，文件可能已损坏。")
        return [
            ["" if cell is None else _cell_text(cell) for cell in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    raise ValueError("只支持 .csv 或 .xlsx 文件。")


def _cell_text(cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def parse(rows: list[list[str]]) -> ImportResult:
    result = ImportResult()
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows:
        result.errors.append("文件中没有数据。")
        return result
    header = [cell.strip() for cell in rows[0]]
    missing = [name for name, (_, required) in COLUMNS.items() if required and name not in header]
    if missing:
        result.errors.append(f"第 1 行：表头：缺少必填列「{'」「'.join(missing)}」")
        return result
    index = {COLUMNS[name][0]: i for i, name in enumerate(header) if name in COLUMNS}
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        raw = {key: (row[i].strip() if i < len(row) else "") for key, i in index.items()}
        record, problems = _clean(raw)
        code = record.get("code")
        if code and code in seen:
            problems.append(f"学校代码：与第 {seen[code]} 行重复")
        elif code:
            seen[code] = number
        result.errors.extend(f"第 {number} 行：{problem}" for problem in problems)
        if not problems:
            result.records.append(record)
    if not result.errors and not result.records:
        result.errors.append("文件中没有学校数据行。")
    return result


def _clean(raw: dict[str, str]) -> tuple[dict, list[str]]:
    record: dict = {}
    problems: list[str] = []
    for header, (key, required) in COLUMNS.items():
        value = raw.get(key, "")
        if required and not value:
            problems.append(f"{header}：不能为空")
            continue
        if key in ("boarding", "township_central", "poverty_village"):
            word = value.lower()
            if word in TRUE_WORDS:
                record[key] = True
            elif word in FALSE_WORDS:
                record[key] = False
            else:
                problems.append(f"{header}：应填「是」或「否」，实际为「{value}」")
        elif key == "enrolment":
            if not value:
                record[key] = 0
            elif value.isdigit():
                record[key] = int(value)
            else:
                problems.append(f"{header}：应为非负整数，实际为「{value}」")
        elif key in ("latitude", "longitude"):
            if value:
                limit = 90 if key == "latitude" else 180
                try:
                    number = float(value)
                except ValueError:
                    number = None
                if number is None or not -limit <= number <= limit:
                    problems.append(
                        f"{header}：应为 -{limit} 到 {limit} 之间的数字，实际为「{value}」"
                    )
                else:
                    record[key] = number
        elif key == "stage":
            if value not in STAGES:
                problems.append(f"{header}：「{value}」不是有效学段（可选：{'、'.join(STAGES)}）")
            record[key] = value
        else:
            if len(value) > 200:
                problems.append(f"{header}：内容过长（最多 200 字）")
            record[key] = value
    return record, problems
