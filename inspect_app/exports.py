"""Spreadsheet exports of the bureau's figures: one XLSX workbook, or the same sheets as zipped CSV.

Both formats are written from :func:`sheets`, so they always hold the same rows. Rows are
streamed from SQLite into openpyxl's write-only workbook (or the CSV writer) and the file is
built on disk: a province-wide export never holds its rows in memory.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO

from sqlite_utils import Database

from . import analytics
from .checklist.scoring import OUTCOME_NAMES
from .storage import analytics as store

# Excel's row limit is 1 048 576; one row is the header.
MAX_SHEET_ROWS = 1_048_575


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: Iterable[list]
    widths: list[int] | None = None


def _value_text(raw: str | None) -> str:
    """A stored answer (JSON) as a person reads it."""
    if raw is None:
        return ""
    value = json.loads(raw)
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _yes(flag) -> str:
    return "是" if flag else "否"


def _school_rows(overview: analytics.Overview) -> Iterator[list]:
    ranked = {r["school_id"]: r for r in overview.ranking}
    ordered = [
        r["school_id"]
        for r in sorted(
            overview.ranking, key=lambda r: (r["rank"] is None, r["rank"] or 0, r["school_code"])
        )
    ]
    seen = set(ordered)
    ordered += [s["id"] for s in overview.schools if s["id"] not in seen]
    schools = {s["id"]: s for s in overview.schools}
    for school_id in ordered:
        school = schools.get(school_id)
        row = ranked.get(school_id)
        if row is None:
            yield [None, school["code"], school["name"], school["township"], school["stage"], "否",
                   None, None, None, None, None, None, None, None, None,
                   *([None] * len(overview.sections))]  # fmt: skip
            continue
        yield [
            row["rank"], row["school_code"], row["school_name"], row["township"], row["stage"], "是",
            row["date"], row["checklist_id"], row["type"], row["total"], row["grade"] or "",
            _yes(row["vetoed"]), row["findings"], row["prev_total"], row["change"],
            *[row["sections"].get(s["id"]) for s in overview.sections],
        ]  # fmt: skip


class _Labels:
    """Item and section titles by (checklist hash, id), read once per checklist version."""

    def __init__(self, db: Database):
        self.db = db
        self.items: dict[tuple[str, str], tuple[str, str]] = {}
        self.titles: dict[str, str] = {}
        self.loaded: set[str] = set()

    def item(self, checklist_hash: str, item_id: str) -> tuple[str, str]:
        if checklist_hash not in self.loaded:
            self.loaded.add(checklist_hash)
            compiled = store.compiled_version(self.db, checklist_hash) or {
                "sections": [],
                "title": "",
            }
            self.titles[checklist_hash] = compiled["title"]
            for section in compiled["sections"]:
                for entry in section["items"]:
                    self.items[(checklist_hash, entry["id"])] = (
                        section["title"],
                        entry.get("label", entry["id"]),
                    )
        return self.items.get((checklist_hash, item_id), ("", item_id))


def _item_rows(db: Database, f: analytics.Filters) -> Iterator[list]:
    labels = _Labels(db)
    outcome = OUTCOME_NAMES
    for r in store.export_items(db, f):
        section, label = labels.item(r["checklist_hash"], r["item_id"])
        yield [
            r["inspection_id"], r["date"], r["type"], r["school_code"], r["school_name"], r["township"],
            labels.titles.get(r["checklist_hash"], r["checklist_id"]), section, r["item_id"], label,
            outcome.get(r["outcome"], r["outcome"]), r["earned"], r["possible"], _value_text(r["value"]),
            r["note"] or "",
        ]  # fmt: skip


def _finding_rows(db: Database, f: analytics.Filters) -> Iterator[list]:
    labels = store.item_labels(db, {c["id"] for c in store.checklist_titles(db)})
    for r in store.export_findings(db, f):
        info = labels.get((r["checklist_id"], r["item_id"]), {})
        yield [
            r["inspection_id"], r["date"], r["school_code"], r["school_name"], r["township"],
            info.get("checklist_title", r["checklist_id"]), info.get("section_title", r["section_id"]),
            info.get("label", r["item_id"]), _value_text(r["value"]), r["problem"] or "", r["basis"] or "",
            r["action"] or "", r["owner"] or "", r["deadline"] or "",
        ]  # fmt: skip


def _rectification_rows(db: Database, f: analytics.Filters, today: date) -> Iterator[list]:
    status = analytics.RECTIFICATION_STATUS
    for r in store.export_rectifications(db, f):
        due = r["extension_until"] or r["deadline"]
        overdue = r["status"] != "closed" and due < today.isoformat()
        yield [
            r["school_code"], r["school_name"], r["township"], r["inspection_date"], r["seq"], r["problem"],
            r["basis"] or "", r["action"] or "", r["owner"] or "", r["deadline"], status.get(r["status"], r["status"]),
            _yes(overdue), analytics.days_overdue(due, today) if overdue else None, (r["closed_at"] or "")[:10],
        ]  # fmt: skip


def sheets(db: Database, overview: analytics.Overview) -> list[Sheet]:
    """The four sheets of an export, lazily: rows are produced as they are written."""
    f = overview.filters
    return [
        Sheet(
            "学校汇总",
            ["排名", "学校代码", "学校名称", "乡镇", "学段", "本期已检查", "最近检查日期", "检查单",
             "检查类型", "得分", "等次", "一票否决", "问题数", "上次得分", "得分变化",
             *[f"{s['title']}（得分率%）" for s in overview.sections]],
            _school_rows(overview),
            [6, 12, 24, 12, 10, 10, 13, 22, 10, 8, 8, 9, 8, 9, 9, *[14] * len(overview.sections)],
        ),
        Sheet(
            "检查条目",
            ["检查编号", "检查日期", "检查类型", "学校代码", "学校名称", "乡镇", "检查单", "评估内容",
             "条目编号", "检查条目", "结果", "得分", "满分", "填写内容", "督学备注"],
            _item_rows(db, f),
            [38, 12, 10, 12, 24, 12, 22, 18, 20, 40, 9, 7, 7, 20, 30],
        ),
        Sheet(
            "问题清单",
            ["检查编号", "检查日期", "学校代码", "学校名称", "乡镇", "检查单", "评估内容", "检查条目",
             "填写内容", "问题描述", "依据", "整改措施", "责任人", "整改时限"],
            _finding_rows(db, f),
            [38, 12, 12, 24, 12, 22, 18, 40, 16, 50, 40, 40, 10, 12],
        ),
        Sheet(
            "整改情况",
            ["学校代码", "学校名称", "乡镇", "检查日期", "序号", "问题描述", "依据", "整改措施", "责任人",
             "整改时限", "状态", "是否逾期", "逾期天数", "销号日期"],
            _rectification_rows(db, f, overview.today),
            [12, 24, 12, 12, 6, 50, 40, 40, 10, 12, 10, 9, 9, 12],
        ),
    ]  # fmt: skip


_XML_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"}
# Control characters XML 1.0 forbids (openpyxl refuses them too); dropped from the text.
_XML_ESCAPES.update({c: None for c in range(32) if c not in (9, 10, 13)})
_XML_ESCAPES.update({0xFFFE: None, 0xFFFF: None})


def _column_letter(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _row_xml(number: int, row: list, columns: list[str]) -> str:
    cells = []
    for column, value in zip(columns, row, strict=False):
        if value is None:
            continue
        if isinstance(value, str):
            if value:
                cells.append(f'<c r="{column}{number}" t="inlineStr"><is><t xml:space="preserve">'
                             f"{value.translate(_XML_ESCAPES)}</t></is></c>")  # fmt: skip
        elif isinstance(value, bool):
            cells.append(f'<c r="{column}{number}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int | float):
            if value == value and value not in (float("inf"), float("-inf")):
                cells.append(f'<c r="{column}{number}"><v>{value!r}</v></c>')
        else:
            text = str(value).translate(_XML_ESCAPES)
            cells.append(f'<c r="{column}{number}" t="inlineStr"><is><t xml:space="preserve">'
                         f"{text}</t></is></c>")  # fmt: skip
    return f'<row r="{number}">{"".join(cells)}</row>'


_XLSX_PARTS = {
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}


def _sheet_head(widths: list[int] | None) -> str:
    cols = "".join(
        f'<col min="{n}" max="{n}" width="{w}" customWidth="1"/>'
        for n, w in enumerate(widths or [], start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" '
        'sqref="A2"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{cols}</cols>" if cols else "")
        + "<sheetData>"
    )


def write_xlsx(
    db: Database, overview: analytics.Overview, target: str | IO[bytes]
) -> dict[str, int]:
    """Write the workbook; returns rows written per sheet. Long sheets continue on 「名称(2)」…

    The sheets' XML is written straight into the zip as rows arrive (inline strings, no
    shared-string table): openpyxl spent ~25 µs a cell, which made a province's year of
    answers take many minutes; this takes a small fraction of that, in constant memory.
    """
    titles: list[str] = []
    counts: dict[str, int] = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:

        def open_part(title: str, sheet: Sheet):
            titles.append(title)
            raw = zf.open(f"xl/worksheets/sheet{len(titles)}.xml", "w", force_zip64=True)
            out = io.TextIOWrapper(raw, encoding="utf-8", write_through=False)
            out.write(_sheet_head(sheet.widths))
            out.write(_row_xml(1, sheet.headers, columns))
            return out

        def close_part(out) -> None:
            out.write("</sheetData></worksheet>")
            out.flush()
            out.close()

        for sheet in sheets(db, overview):
            width = max(len(sheet.headers), len(sheet.widths or []))
            columns = [_column_letter(n) for n in range(1, width + 64)]
            out = open_part(sheet.title, sheet)
            part, written, count, chunk = 1, 0, 0, []
            for row in sheet.rows:
                if written == MAX_SHEET_ROWS:
                    out.write("".join(chunk))
                    chunk = []
                    close_part(out)
                    part += 1
                    out = open_part(f"{sheet.title}({part})", sheet)
                    written = 0
                written += 1
                count += 1
                if len(row) > len(columns):
                    columns += [_column_letter(n) for n in range(len(columns) + 1, len(row) + 1)]
                chunk.append(_row_xml(written + 1, row, columns))
                if len(chunk) == 2000:
                    out.write("".join(chunk))
                    chunk = []
            out.write("".join(chunk))
            close_part(out)
            counts[sheet.title] = count
        sheet_entries = "".join(
            f'<sheet name="{t.translate(_XML_ESCAPES)}" sheetId="{n}" r:id="rId{n}"/>'
            for n, t in enumerate(titles, start=1)
        )
        zf.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{sheet_entries}</sheets></workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(titles) + 1)
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{rels}<Relationship Id="rId{len(titles) + 1}" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
        )
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for n in range(1, len(titles) + 1)
        )
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>",
        )
        for name, text in _XLSX_PARTS.items():
            zf.writestr(name, text)
    return counts


def write_csv_zip(
    db: Database, overview: analytics.Overview, target: str | IO[bytes]
) -> dict[str, int]:
    """One CSV per sheet (UTF-8 with BOM, so Excel reads the Chinese), zipped."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for n, sheet in enumerate(sheets(db, overview), start=1):
            with archive.open(f"{n}-{sheet.title}.csv", "w", force_zip64=True) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                writer = csv.writer(text)
                writer.writerow(sheet.headers)
                count = 0
                for row in sheet.rows:
                    writer.writerow(["" if v is None else v for v in row])
                    count += 1
                counts[sheet.title] = count
                text.flush()
                text.detach()
    return counts


def filename(overview: analytics.Overview, extension: str) -> str:
    return f"督导检查数据_{overview.filters.period.label}.{extension}"
