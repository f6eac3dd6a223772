"""The signed report says why a grade is capped, in the 检查结论, beside the score."""

from __future__ import annotations

import json
import subprocess

from inspect_app.documents import issuing
from inspect_app.inspections import catalog, receiving
from inspect_app.storage import inspections, reports, users

from . import factories


def _report_text(app, db, county, answers: dict) -> tuple[dict, str]:
    with app.app_context():
        compiled = catalog.current()["fupin_comprehensive"].compiled
    body = factories.payload(county["school_a"], compiled, passing=True)
    body["responses"]["answers"].update(answers)
    receiving.receive(db, body, body["id"], users.get(db, county["insp"]))
    issuing.ensure_documents(db, app.config, body["id"])
    pdf = reports.read(app.config["REPORTS_DIR"], reports.current(db, body["id"], "report"))
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    # pdftotext breaks lines inside a sentence: compare without any white space.
    return json.loads(inspections.get(db, body["id"])["result"]), "".join(text.split())


def test_a_failed_critical_item_is_named_as_the_reason_for_the_capped_grade(app, db, county):
    result, text = _report_text(app, db, county, {"disbursement_sample": False})
    assert result["cap"]["kind"] == "critical" and result["cap"]["items"] == ["disbursement_sample"]
    assert "等级封顶：" in text
    assert "关键项不合格：对抽查的建档立卡学生逐人核对" in text
    assert f"等级最高为{result['cap']['grade']}" in text
    if result["capped"]:
        assert f"按得分应为{result['score_grade']}" in text


def test_no_cap_line_when_nothing_caps_the_grade(app, db, county):
    result, text = _report_text(app, db, county, {})
    assert result["cap"] is None
    assert "等级封顶" not in text and "一票否决：" not in text


def test_the_report_names_the_sampled_files_and_those_found_wanting(app, db, county):
    # 抽样: the report is where the school reads which files were checked, so the ids drawn
    # and the one found 不合格 must be in the PDF text itself.
    ids = [f"G2015{k:04d}" for k in range(86)]
    answer = {"population": ids, "seed": 12345, "marks": {x: x != "G20150040" for x in ids}}
    result, text = _report_text(app, db, county, {"file_sample": answer})
    sample = result["items"]["file_sample"]["sample"]
    assert len(sample["ids"]) == 10 and sample["failed"] == ["G20150040"]
    assert "抽查10份（共86份），1份不合格：G20150040" in text
    # every drawn id in the 检查明细, so the re-check and the school know which files were read
    listed = text.split("抽查：", 1)[1]
    assert all(x in listed for x in sample["ids"])
    assert "不合格：G20150040（抽样种子12345）" in listed
