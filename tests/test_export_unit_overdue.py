"""The export's 整改情况 sheet counts an overdue item a county unit fixes against that unit, as
the dashboard, the clocks and the bulletin do: 「是（计入县财政局）」, not a plain 「是」 that a
clerk would read as the school's delay; the 问题清单 sheet names the same unit."""

from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import load_workbook

from inspect_app.rectification import rules
from inspect_app.storage import rectifications as items

from .support import TERM
from .test_exports import _export


def test_an_overdue_unit_item_is_counted_against_the_unit(app, client, auth, db, county, received):
    rows = sorted(items.for_inspection(db, received["ids"]["a_old"]), key=lambda r: r["seq"])
    unit_item, own_item = rows[0], rows[1]
    move = rules.assign_unit(unit_item, {"id": county["unit"], "name": "县财政局"})
    items.apply(db, unit_item, move, version=unit_item["version"], user_id=county["bureau"],
                actor="县教育局")  # fmt: skip
    late = max(date.fromisoformat(unit_item["deadline"]), date.fromisoformat(own_item["deadline"]))
    app.config["TODAY_OVERRIDE"] = (late + timedelta(days=2)).isoformat()

    auth.login("bureau")
    response = _export(client, "xlsx", {**TERM, "checklist": "fupin_comprehensive"})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.data), read_only=True)
    sheet = list(wb["整改情况"].values)
    header = sheet[0]
    by_seq = {
        r[header.index("序号")]: dict(zip(header, r, strict=False))
        for r in sheet[1:]
        if r[header.index("学校代码")] == "A001"
        and r[header.index("检查日期")].date().isoformat() == "2026-09-15"
    }
    unit_row, own_row = by_seq[unit_item["seq"]], by_seq[own_item["seq"]]
    assert (unit_row["责任单位"], unit_row["是否逾期"]) == ("县财政局", "是（计入县财政局）")
    assert unit_row["逾期天数"] == (late + timedelta(days=2) - date.fromisoformat(
        unit_item["deadline"])).days  # fmt: skip
    assert (own_row["责任单位"], own_row["是否逾期"]) == ("学校", "是")
    # The 问题清单 sheet names the same unit for that finding.
    findings = list(wb["问题清单"].values)
    f_header = findings[0]
    units_named = {
        r[f_header.index("责任单位")]
        for r in findings[1:]
        if r[f_header.index("问题描述")] == unit_item["problem"]
        and r[f_header.index("学校代码")] == "A001"
    }
    assert "县财政局" in units_named
