"""Issued documents are dated by the Beijing calendar, as every page shows their times.

Stamps are stored in UTC, so between 00:00 and 08:00 in Beijing the stamp's own date is the day
before: a 整改报告 sent at 01:30 on 25 November was dated the 24th on its signed PDF.
"""

from __future__ import annotations

import subprocess

from inspect_app.documents import issuing
from inspect_app.storage import rectification_reports as stored_reports
from inspect_app.storage import reports

# 01:30 on 25 November in Beijing.
EARLY_MORNING_UTC = "2026-11-24T17:30:00Z"


def _pdf_text(app, row: dict, tmp_path) -> str:
    path = tmp_path / f"{row['kind']}.pdf"
    path.write_bytes(reports.read(app.config["REPORTS_DIR"], row))
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    return "".join(out.split())


def test_the_rectification_report_pdf_has_the_beijing_date(
    app, db, receive, login, monkeypatch, tmp_path
):
    inspection_id, _ = receive()
    monkeypatch.setattr(stored_reports, "stamp", lambda *a: EARLY_MORNING_UTC)
    school = login("sch_a")
    url = f"/school/inspections/{inspection_id}/report"
    assert school.post(url, {"summary": "整改完成。"}).status_code == 302
    with app.app_context():
        issuing.ensure_documents(db, app.config, inspection_id)
    # The school's page says it was sent on the 25th; the PDF it sends the bureau agrees.
    assert "2026-11-25 01:30" in school.get(url).get_data(as_text=True)
    text = _pdf_text(app, reports.current(db, inspection_id, "rectification_report"), tmp_path)
    assert "2026年11月25日" in text and "2026年11月24日" not in text


def test_the_rectification_notice_pdf_has_the_beijing_date(app, db, receive, tmp_path):
    inspection_id, _ = receive()
    db.execute(
        "UPDATE inspections SET received_at = ? WHERE id = ?", [EARLY_MORNING_UTC, inspection_id]
    )
    with app.app_context():
        issuing.issue_notice(db, app.config, inspection_id)
    text = _pdf_text(app, reports.current(db, inspection_id, "notice"), tmp_path)
    assert "2026年11月25日" in text and "2026年11月24日" not in text
