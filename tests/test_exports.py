"""XLSX and zipped-CSV exports: the right sheets, Chinese headers and the scored numbers."""

from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import load_workbook

from . import test_bureau
from .test_bureau import TERM

received = test_bureau.received  # the shared fixture


def _workbook(client):
    response = client.get(
        "/bureau/export.xlsx", query_string={**TERM, "checklist": "fupin_comprehensive"}
    )
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(response.data), read_only=True)


def test_xlsx_holds_the_schools_items_findings_and_rectifications(client, auth, received):
    auth.login("bureau")
    wb = _workbook(client)
    assert wb.sheetnames == ["学校汇总", "检查条目", "问题清单", "整改情况"]
    schools = list(wb["学校汇总"].values)
    assert schools[0][:4] == ("排名", "学校代码", "学校名称", "乡镇")
    by_code = {row[1]: row for row in schools[1:]}
    assert by_code["A001"][9] == received["results"]["a_new"]["total"]
    assert by_code["A001"][10] == received["results"]["a_new"]["grade"]
    assert by_code["A001"][13] == received["results"]["a_old"]["total"]
    c003 = by_code["C003"] + (None,) * 20  # empty trailing cells are not stored
    assert c003[5] == "否" and c003[9] is None  # not inspected this term
    items = list(wb["检查条目"].values)
    term_results = [received["results"][n] for n in ("a_old", "a_new", "b")]
    assert len(items) - 1 == sum(len(r["items"]) for r in term_results)
    earned = {}
    for row in items[1:]:
        earned[row[0]] = earned.get(row[0], 0) + (row[11] or 0)
    for name in ("a_old", "a_new", "b"):
        expected = sum(s["earned"] for s in received["results"][name]["sections"])
        assert round(earned[received["ids"][name]], 2) == round(expected, 2)
    findings = list(wb["问题清单"].values)
    assert len(findings) - 1 == sum(len(r["findings"]) for r in term_results)
    problems = {row[9] for row in findings[1:]}
    assert {f["problem"] for r in term_results for f in r["findings"]} == problems
    rect = list(wb["整改情况"].values)
    assert rect[0][10] == "状态" and {row[10] for row in rect[1:]} == {"待整改"}


def test_csv_zip_has_one_bom_csv_per_sheet_with_the_same_rows(client, auth, received):
    auth.login("bureau")
    wb = _workbook(client)
    response = client.get(
        "/bureau/export.zip", query_string={**TERM, "checklist": "fupin_comprehensive"}
    )
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert names == ["1-学校汇总.csv", "2-检查条目.csv", "3-问题清单.csv", "4-整改情况.csv"]
    for name, sheet in zip(names, wb.sheetnames, strict=True):
        raw = archive.read(name)
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert len(rows) == len(list(wb[sheet].values))
        assert rows[0] == [str(v) for v in next(iter(wb[sheet].values))]


def test_export_of_an_empty_period_still_has_headers(client, auth, received):
    auth.login("bureau")
    response = client.get("/bureau/export.xlsx", query_string={"period": "month", "key": "2025-01"})
    wb = load_workbook(io.BytesIO(response.data), read_only=True)
    assert [len(list(wb[name].values)) for name in wb.sheetnames] == [4, 1, 1, 1]
