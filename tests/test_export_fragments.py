"""Kept export fragments: a workbook copied from each inspection's kept rows is the workbook
rendered afresh, on every day and after every change to what the rows show."""

from __future__ import annotations

import io
import zipfile
import zlib
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from inspect_app.bureau import exports, figures, gathering, xlsx
from inspect_app.common import periods
from inspect_app.storage import exports as storage

TODAY = date(2026, 11, 23)


def _overview(db, today: date = TODAY, checklist: str = "fupin_comprehensive"):
    f = periods.Filters(
        period=periods.parse_period("term", "2026-2027-1", today), checklist_id=checklist
    )
    return figures.overview(gathering.gather(db, f, today), f, today)


def _cells(data: bytes) -> dict[str, list[tuple]]:
    """Every sheet's cells as a user sees them: value, type and number format."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    sheets = {}
    for name in book.sheetnames:
        rows = []
        for row in book[name].iter_rows():
            cells = [(c.value, c.data_type, c.number_format) for c in row]
            while cells and cells[-1][0] is None:  # empty trailing cells are not stored
                cells.pop()
            rows.append(tuple(cells))
        sheets[name] = rows
    return sheets


def _fresh(db, today: date = TODAY, checklist: str = "fupin_comprehensive") -> dict:
    """The workbook rendered from the rows themselves (the rendering the CSV shares)."""
    out = io.BytesIO()
    xlsx.write(out, exports.sheets(db, _overview(db, today, checklist)))
    return _cells(out.getvalue())


def _kept(db, today: date = TODAY, checklist: str = "fupin_comprehensive") -> dict:
    out = io.BytesIO()
    exports.write_xlsx(db, _overview(db, today, checklist), out)
    data = out.getvalue()
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None  # every part's CRC holds
    return _cells(data)


def _no_rendering(monkeypatch):
    """From here on, reading an inspection's rows fails: only kept fragments can be written."""

    def refused(*_args):
        raise AssertionError("rendered again instead of copying the kept rows")

    for name in ("answers", "findings", "rectifications"):
        monkeypatch.setattr(storage, name, refused)


def test_the_kept_workbook_is_the_fresh_one_and_the_next_export_only_copies(
    db, received, monkeypatch
):
    fresh = _fresh(db)
    assert len(fresh["检查条目"]) > 100 and len(fresh["问题清单"]) > 10
    assert _kept(db) == fresh  # rendered now, and kept
    kept = db.execute(
        "SELECT sheet, count(*) FROM export_fragments WHERE data IS NOT NULL GROUP BY sheet"
    ).fetchall()
    assert dict(kept) == {"items": 3, "findings": 3, "rectifications": 3}
    _no_rendering(monkeypatch)
    assert _kept(db) == fresh
    # All checklists: the routine-visit and any other version's wording comes along too.
    monkeypatch.undo()
    assert _kept(db, checklist="") == _fresh(db, checklist="")


def test_what_the_rows_show_changing_reaches_the_next_export(db, received):
    _kept(db)
    a_old = received["ids"]["a_old"]
    item = db.execute(
        "SELECT rectification_id FROM rectification_findings WHERE inspection_id = ? LIMIT 1",
        [a_old],
    ).fetchone()[0]
    db.execute(
        "UPDATE rectifications SET status = 'closed', closed_at = '2026-11-21T02:00:00Z', "
        "action = '已更换全部灯具' WHERE id = ?",
        [item],
    )
    school = db.execute("SELECT school_id FROM inspections WHERE id = ?", [a_old]).fetchone()[0]
    db.execute("UPDATE schools SET name = '东镇中心小学（新址）' WHERE id = ?", [school])
    unit = db.execute("SELECT id FROM units LIMIT 1").fetchone()
    if unit:
        db.execute("UPDATE rectifications SET unit_id = ? WHERE id = ?", [unit[0], item])
        db.execute("UPDATE units SET name = '县教育局（改名）' WHERE id = ?", [unit[0]])
    kept = _kept(db)
    assert kept == _fresh(db)
    rows = [r for r in kept["整改情况"] if r[1][0] == "东镇中心小学（新址）"]
    assert rows and any(cell[0] == "已销号" for row in rows for cell in row)
    assert any(cell[0] == "已更换全部灯具" for row in kept["问题清单"] for cell in row)
    if unit:
        assert any(cell[0] == "县教育局（改名）" for row in kept["整改情况"] for cell in row)


def test_overdue_days_are_those_of_the_day_of_the_export_and_kept_rows_hold_every_day(
    db, received, monkeypatch
):
    deadlines = [
        date.fromisoformat(d)
        for (d,) in db.execute("SELECT deadline FROM rectifications WHERE status != 'closed'")
    ]
    assert deadlines
    before = min(deadlines) - timedelta(days=1)
    after = max(deadlines) + timedelta(days=3)
    fresh = {day: _fresh(db, day) for day in (before, after, after + timedelta(days=1))}
    assert _kept(db, before) == fresh[before]  # rendered on this day, and kept
    _no_rendering(monkeypatch)  # every later day only copies them, its own cells filled in
    for day in (after, after + timedelta(days=1), before):
        kept = _kept(db, day)
        assert kept == fresh[day], day
        header = [c[0] for c in kept["整改情况"][0]]
        # 「是」, or 「是（计入县教育局）」 for an item a county unit fixes
        overdue = {r[header.index("是否逾期")][0][:1] for r in kept["整改情况"][1:]}
        assert overdue == ({"否"} if day == before else {"是"})
        if day != before:  # typed numbers
            days = [r[header.index("逾期天数")] for r in kept["整改情况"][1:]]
            assert {d[1] for d in days} == {"n"} and min(d[0] for d in days) >= 3
    late = _kept(db, after + timedelta(days=1))["整改情况"]
    column = [c[0] for c in late[0]].index("逾期天数")
    earlier = _kept(db, after)["整改情况"]
    assert [r[column][0] - 1 for r in late[1:]] == [r[column][0] for r in earlier[1:]]


def test_a_fragment_rendered_while_its_data_changes_is_not_kept(db, received):
    a_old = received["ids"]["a_old"]
    prints = {a_old: "f" * 24}
    token = storage.reserve_fragments(db, "rectifications", prints)
    fragment = xlsx.deflate(b"<row><c/></row>", 1)
    # An item of the inspection changes after its rows were read, before they are kept.
    db.execute(
        "UPDATE rectifications SET owner = '副校长' WHERE id IN "
        "(SELECT rectification_id FROM rectification_findings WHERE inspection_id = ?)",
        [a_old],
    )
    storage.keep_fragments(
        db, "rectifications", token,
        [(a_old, 1, fragment.crc, fragment.size, fragment.data, b"")],
    )  # fmt: skip
    assert storage.kept_fragments(db, "rectifications", prints) == {}
    # Without a change in between, the same steps keep it.
    token = storage.reserve_fragments(db, "rectifications", prints)
    storage.keep_fragments(
        db, "rectifications", token,
        [(a_old, 1, fragment.crc, fragment.size, fragment.data, b"")],
    )  # fmt: skip
    assert list(storage.kept_fragments(db, "rectifications", prints)) == [a_old]


def test_fragments_of_an_inspection_no_longer_valid_or_deleted_are_removed(db, received):
    _kept(db)
    a_old, a_new = received["ids"]["a_old"], received["ids"]["a_new"]

    def kept(iid):
        return db.execute(
            "SELECT count(*) FROM export_fragments WHERE inspection_id = ?", [iid]
        ).fetchone()[0]

    assert kept(a_old) == 3 and kept(a_new) == 3
    db.execute("UPDATE inspections SET status = 'revoked' WHERE id = ?", [a_old])
    assert kept(a_old) == 0 and kept(a_new) == 3
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("DELETE FROM inspections WHERE id = ?", [a_new])
    assert kept(a_new) == 0


def test_kept_rows_that_straddle_a_full_sheet_continue_on_the_next(db, received, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_SHEET_ROWS", 7)
    fresh = _fresh(db)
    assert "检查条目(2)" in fresh and all(len(rows) <= 8 for rows in fresh.values())
    assert _kept(db) == fresh
    assert _kept(db) == fresh  # copied this time, cut the same way


@pytest.mark.parametrize("seekable", [True, False])
def test_a_part_of_fragments_and_plain_rows_reads_back_whole(seekable):
    class Stream(io.BytesIO):
        def seekable(self):
            return seekable

    cells = xlsx.Cells(None, {"符合": 0})
    first = cells.fragment(
        [xlsx.Group(["检查1", date(2026, 11, 20)], [("符合", 2), ("说明", 1.5)])]
    )
    empty = cells.fragment([])
    rows = [["开头", 1], first, empty, ["中间", 2], first, ["末尾", xlsx.Percent(0.5)]]
    out = Stream()
    counts = xlsx.write(
        out, [xlsx.Sheet("表", ["甲", "乙", "丙", "丁"], rows)], {"符合": 0},
        lambda: [(0, "符合"), (2, "未用")],
    )  # fmt: skip
    assert counts == {"表": 7}
    data = out.getvalue()
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    values = [tuple(r) for r in load_workbook(io.BytesIO(data)).active.values]
    day = datetime(2026, 11, 20)
    assert values == [
        ("甲", "乙", "丙", "丁"),
        ("开头", 1, None, None),
        ("检查1", day, "符合", 2),
        ("检查1", day, "说明", 1.5),
        ("中间", 2, None, None),
        ("检查1", day, "符合", 2),
        ("检查1", day, "说明", 1.5),
        ("末尾", 0.5, None, None),
    ]


@pytest.mark.parametrize("combine", ["zlib", "python"])
def test_the_slots_of_kept_rows_are_written_for_each_workbooks_day(combine, monkeypatch):
    if combine == "python":
        monkeypatch.setattr(xlsx, "crc32_combine", xlsx._crc32_combine_zeros)
        monkeypatch.setattr(xlsx, "crc32_op", xlsx._crc32_op_zeros)
        monkeypatch.setattr(xlsx, "crc32_by_op", xlsx._crc32_by_op_zeros)
    refs = {"是（计入县住建局）": 0, "否": 1}
    cells = xlsx.Cells(None, refs)
    kept = cells.fragment(
        [xlsx.Group(["甲校", date(2026, 11, 20)],
                    [("一", xlsx.Slot(5, 0), "末"), ("二", xlsx.Slot(9, 0), "末")]),
         ["三", xlsx.Slot(5, 0), None]]
    )  # fmt: skip
    assert kept.rows == 3 and kept.slots
    for day in (3, 7, 11):

        def overdue(deadline: int, shown: int, day=day) -> str:
            texts = {n: t for t, n in refs.items()}
            return cells.cells([texts[shown], day - deadline] if day > deadline else ["否", None])

        out = io.BytesIO()
        rows = [kept.filled(xlsx.SlotCells(overdue)), ["之后", 1]]
        xlsx.write(
            out, [xlsx.Sheet("表", ["甲", "乙", "丙", "丁", "戊", "己"], rows)], refs,
            lambda: sorted((n, t) for t, n in refs.items()),
        )  # fmt: skip
        data = out.getvalue()
        assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None  # the filled CRC holds
        values = [tuple(r) for r in load_workbook(io.BytesIO(data)).active.values][1:]

        def cells_on(deadline: int, day=day) -> tuple:
            return ("是（计入县住建局）", day - deadline) if day > deadline else ("否", None)

        at = datetime(2026, 11, 20)
        assert values == [
            ("甲校", at, "一", *cells_on(5), "末"),
            ("甲校", at, "二", *cells_on(9), "末"),
            ("三", *cells_on(5), None, None, None),
            ("之后", 1, None, None, None, None),
        ], day


def test_crc_of_joined_parts_with_or_without_zlibs_own_combine():
    a, b = "学校".encode() * 1000, b"<row/>" * 333
    for combine in (xlsx.crc32_combine, xlsx._crc32_combine_zeros):
        assert combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
        assert combine(0, zlib.crc32(b), len(b)) == zlib.crc32(b)
    # Carried over two distances at once: by the sum of their multipliers.
    for op, by_op in ((xlsx.crc32_op, xlsx.crc32_by_op),
                      (xlsx._crc32_op_zeros, xlsx._crc32_by_op_zeros)):  # fmt: skip
        assert by_op(zlib.crc32(a), zlib.crc32(b), op(len(b))) == zlib.crc32(a + b)
        value = zlib.crc32(a)
        both = by_op(value, 0, op(len(b)) ^ op(7))
        assert both == xlsx.crc32_combine(value, 0, len(b)) ^ xlsx.crc32_combine(value, 0, 7)


def test_the_idle_worker_renders_again_what_a_write_removed(app, db, received, monkeypatch):
    import threading

    from inspect_app.bureau import export_jobs

    f = _overview(db).filters
    bureau = db.execute("SELECT id FROM users WHERE role = 'bureau' LIMIT 1").fetchone()[0]
    export_jobs.start(db, "xlsx", f, TODAY, by=bureau)
    worker = export_jobs.ExportWorker(app.config, threading.Event())
    assert worker.run_once(db)  # the export keeps every inspection's rows
    assert _held(db) == 9
    # A write: one of an inspection's items is closed, which removes its rows.
    db.execute(
        "UPDATE rectifications SET status = 'closed', closed_at = '2026-11-22T02:00:00Z' WHERE id ="
        " (SELECT rectification_id FROM rectification_findings WHERE inspection_id = ? LIMIT 1)",
        [received["ids"]["a_old"]],
    )
    held = _held(db)
    assert held < 9
    # An export waiting is written first: preparing gives way.
    waiting = export_jobs.start(db, "zip", f, TODAY, by=bureau)
    worker.prepare(db)
    assert _held(db) == held
    db.execute("UPDATE export_jobs SET status = 'done' WHERE id = ?", [waiting])
    worker.prepare(db)
    assert _held(db) == 9
    later = TODAY + timedelta(days=40)  # kept rows hold on any day
    fresh = _fresh(db, later)
    _no_rendering(monkeypatch)
    assert _kept(db, later) == fresh

    def refused(*_args):
        raise AssertionError("looked for rows to render with nothing changed")

    monkeypatch.setattr(storage, "inspections", refused)
    worker.prepare(db)


def _held(db) -> int:
    """How many inspections' rows of a sheet are kept."""
    return db.execute("SELECT count(*) FROM export_fragments WHERE data IS NOT NULL").fetchone()[0]
