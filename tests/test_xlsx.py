"""The streaming XLSX writer: what openpyxl reads back is exactly what was written."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from inspect_app.bureau import xlsx
from inspect_app.bureau.xlsx import Group, Sheet


def _read(data: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    sheets = {}
    for name in book.sheetnames:
        rows = []
        for row in book[name].values:
            row = list(row)
            while row and row[-1] is None:  # empty trailing cells are not stored
                row.pop()
            rows.append(tuple(row))
        sheets[name] = rows
    return sheets


def _write(sheets: list[Sheet]) -> tuple[dict[str, int], dict[str, list[tuple]]]:
    out = io.BytesIO()
    counts = xlsx.write(out, sheets)
    return counts, _read(out.getvalue())


def test_values_read_back_in_their_columns_with_gaps_kept():
    rows = [
        ["甲校", None, 3, 2.5, "A & B <c>"],
        [None, "", 0, -1.25, "第二行"],
        ["控制\x01字符\x1f被删除", None, None, None, "末列"],
    ]
    counts, book = _write([Sheet("学校", ["名称", "备注", "个数", "得分", "说明"], rows)])
    assert counts == {"学校": 3}
    assert book["学校"] == [
        ("名称", "备注", "个数", "得分", "说明"),
        ("甲校", None, 3, 2.5, "A & B <c>"),
        (None, None, 0, -1.25, "第二行"),
        ("控制字符被删除", None, None, None, "末列"),
    ]


def test_groups_repeat_their_head_and_repeating_tails_are_written_each_time():
    tails = [("条目一", "达标", 2), ("条目二", "不达标", 0)]
    groups = [
        Group(["检查1", "A001"], tails, repeating=True),
        Group(["检查2", "B002"], [tails[1], tails[0], tails[1]], repeating=True),
        ["单独一行"],
    ]
    _, book = _write([Sheet("条目", ["检查", "学校", "条目", "结果", "得分"], groups)])
    assert book["条目"][1:] == [
        ("检查1", "A001", "条目一", "达标", 2),
        ("检查1", "A001", "条目二", "不达标", 0),
        ("检查2", "B002", "条目二", "不达标", 0),
        ("检查2", "B002", "条目一", "达标", 2),
        ("检查2", "B002", "条目二", "不达标", 0),
        ("单独一行",),
    ]


def test_a_full_sheet_continues_on_numbered_sheets_with_the_header_repeated(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_SHEET_ROWS", 3)
    rows = [Group([f"检查{n}"], [(1,), (2,), (3,)]) for n in range(1, 3)] + [["尾行", 9]]
    counts, book = _write([Sheet("条目", ["检查", "序号"], rows), Sheet("另表", ["列"], [["x"]])])
    assert counts == {"条目": 7, "另表": 1}
    assert list(book) == ["条目", "条目(2)", "条目(3)", "另表"]
    assert [len(book[name]) - 1 for name in ("条目", "条目(2)", "条目(3)")] == [3, 3, 1]
    assert all(book[name][0] == ("检查", "序号") for name in ("条目", "条目(2)", "条目(3)"))
    assert book["条目(2)"][1:] == [("检查2", 1), ("检查2", 2), ("检查2", 3)]
    assert book["条目(3)"][1:] == [("尾行", 9)]


def test_strings_past_the_shared_table_limit_are_written_inline(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_SHARED", 3)
    monkeypatch.setattr(xlsx, "MAX_MEMO", 4)
    words = [f"词{n}" for n in range(20)]
    long_text = "很长的说明" * 40  # longer than LONG_TEXT: always inline
    rows = [[w, long_text, n] for n, w in enumerate(words)] * 2
    out = io.BytesIO()
    xlsx.write(out, [Sheet("词", ["词", "说明", "序"], rows)])
    book = _read(out.getvalue())
    assert book["词"][1:] == [tuple(r) for r in rows]
    shared = zipfile.ZipFile(io.BytesIO(out.getvalue())).read("xl/sharedStrings.xml").decode()
    assert shared.count("<si>") == 3 and long_text not in shared


class _FailingFile(io.RawIOBase):
    """A file that breaks once a few bytes are written, like a full disk."""

    def __init__(self):
        self.written = 0

    def writable(self):
        return True

    def seekable(self):
        return False

    def write(self, data):
        self.written += len(data)
        if self.written > 2000:
            raise OSError(28, "No space left on device")
        return len(data)


def test_a_write_error_on_the_deflate_thread_reaches_the_caller():
    rows = ([f"学校{n}", n, "说明" * (n % 50)] for n in range(200_000))
    with pytest.raises(OSError, match="No space left"):
        xlsx.write(_FailingFile(), [Sheet("大表", ["学校", "序", "说明"], rows)])


def test_numbers_are_numbers_whatever_their_python_type():
    rows = [[3, 3.0, 2.5, float("nan"), float("inf"), True, 10**12]]
    _, book = _write([Sheet("数", list("abcdefg"), rows)])
    (row,) = book["数"][1:]
    assert row == (3, 3, 2.5, None, None, 1, 10**12)
    assert all(type(v) is int for v in (row[0], row[1], row[5]))


def test_the_header_row_is_bold_and_frozen():
    out = io.BytesIO()
    xlsx.write(out, [Sheet("表", ["学校", "得分"], [["甲", 1]], widths=[20, 8])])
    book = load_workbook(io.BytesIO(out.getvalue()))
    sheet = book["表"]
    assert sheet["A1"].font.b and sheet["B1"].font.b and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 20


def test_dates_and_percentages_are_typed_cells_and_never_mixed_up_with_numbers():
    from datetime import date, datetime

    rows = [
        [date(2026, 11, 20), xlsx.Percent(0.5), 0.5],
        [date(1900, 3, 1), 0.5, xlsx.Percent(0.5)],
    ]
    out = io.BytesIO()
    xlsx.write(out, [Sheet("类型", ["日期", "甲", "乙"], rows)])
    sheet = load_workbook(io.BytesIO(out.getvalue()))["类型"]
    first, second = list(sheet.iter_rows(min_row=2))
    assert first[0].value == datetime(2026, 11, 20) and first[0].number_format == "yyyy-mm-dd"
    assert second[0].value == datetime(1900, 3, 1)
    # the memo keys a cell's XML by value: 0.5 and 50% must stay what each was
    assert (first[1].value, first[1].number_format) == (0.5, "0.0%")
    assert (first[2].value, first[2].number_format) == (0.5, "General")
    assert (second[1].number_format, second[2].number_format) == ("General", "0.0%")
