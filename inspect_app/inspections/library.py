"""Checking an uploaded checklist (or survey) file, YAML or Excel, the way the command line does.

The result is what the library stores for an upload: the compiled version (or None), the
document as YAML (the source downloads are made from), and every error as a Chinese line —
file:line:column for YAML, 工作表/行/列 for a workbook.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import yaml

from inspect_app.checklist import loader, workbook
from inspect_app.checklist.model import Checklist

YAML_SUFFIXES = (".yaml", ".yml")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@dataclass
class Checked:
    fmt: str  # "yaml" | "xlsx"
    checklist: Checklist | None  # a checklist, or a survey (kind "survey")
    yaml_text: str | None
    errors: list[str]
    checklist_id: str | None

    @property
    def kind(self) -> str:
        return getattr(self.checklist, "kind", "inspection") or "inspection"


def check_upload(file_name: str, data: bytes) -> Checked:
    name = os.path.basename(file_name or "")
    lower = name.lower()
    if lower.endswith(".xlsx"):
        return _workbook(name, data)
    if lower.endswith(YAML_SUFFIXES):
        return _yaml(name, data)
    if lower.endswith((".xls", ".et", ".csv")):
        message = "请上传 .xlsx 格式的工作簿（在 Excel 或 WPS 中“另存为” Excel 工作簿 .xlsx）"
    else:
        message = "只能上传 Excel 工作簿（.xlsx）或 YAML 检查单文件（.yaml）"
    return Checked("xlsx" if lower.endswith(".xls") else "yaml", None, None, [message], None)


def _yaml(name: str, data: bytes) -> Checked:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return Checked(
            "yaml", None, None, [f"{name}:{line}:1: 文件不是 UTF-8 编码，请用 UTF-8 保存"], None
        )
    # The same rules as `flask checklists validate` (the loader's own check of a file's text).
    checklist, load_errors = loader._build(name, text, False)  # noqa: SLF001
    errors = [str(e) for e in sorted(load_errors, key=lambda e: (e.line, e.column))]
    checklist_id = checklist.id if checklist is not None else _guess_id(text)
    return Checked("yaml", checklist, text if checklist is not None else None, errors, checklist_id)


def _workbook(name: str, data: bytes) -> Checked:
    doc, checklist, book_errors = workbook.read_checked(data, name)
    errors = [str(e) for e in book_errors]
    text = workbook.dump_yaml(doc) if doc is not None else None
    return Checked("xlsx", checklist, text, errors, checklist.id if checklist else None)


def _guess_id(text: str) -> str | None:
    """The id a broken YAML file names, to file the upload under its checklist if possible."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    value = doc.get("id") if isinstance(doc, dict) else None
    return value if isinstance(value, str) and loader.SLUG_RE.fullmatch(value) else None


def source_workbook(yaml_text: str) -> bytes:
    """The .xlsx of a stored version's YAML source."""
    return workbook.to_workbook(workbook.yaml_document(yaml_text))
