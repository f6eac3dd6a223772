"""The bulletin PDF: issued, signed, stored, superseded on reissue, and its text holds the figures."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest

from inspect_app.bureau import bulletins, figures
from inspect_app.common import periods
from inspect_app.documents.signing import init_keys, load_certs, verify_pdf
from inspect_app.storage import reports

from . import test_bureau
from .conftest import csrf_token

received = test_bureau.received  # the shared fixture


@pytest.fixture
def keys(app):
    return init_keys(app.config["KEYS_DIR"], organization=app.config["BUREAU_NAME"])


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "b.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_bulletin_is_issued_signed_and_holds_the_figures(
    app, client, auth, db, received, keys, tmp_path
):
    auth.login("bureau")
    token = csrf_token(client, "/bureau/bulletins")
    form = {
        "csrf_token": token,
        "period": "term",
        "key": "2026-2027-1",
        "checklist": "fupin_comprehensive",
    }
    response = client.post("/bureau/bulletins", data=form)
    assert response.status_code == 302
    row = reports.current(db, "2026-2027-1", "bulletin")
    assert row["version"] == 1 and row["school_id"] is None
    pdf = reports.read(app.config["REPORTS_DIR"], row)
    outcome = verify_pdf(pdf, load_certs(keys["ca_cert"]))
    assert outcome.ok and outcome.intact and outcome.signature_valid
    text = _text(pdf, tmp_path)
    flat = "".join(text.split())
    results = received["results"]
    average = figures.mean([results["a_new"]["total"], results["b"]["total"]])
    assert "2026—2027学年上学期教育督导检查情况通报" in flat
    assert "已督导检查2所" in flat and "尚未检查1所" in flat
    assert f"平均得分{average:g}分" in flat
    open_count = sum(len(results[n]["rectifications"]) for n in ("a_old", "a_new", "b"))
    assert f"发现问题{open_count}个" in flat
    assert "东镇中心小学" in flat and "西乡石桥教学点" in flat  # ranking and not-inspected list
    assert "学校得分排名" in flat
    # the list page links the stored PDF; a reissue supersedes the first
    assert row["id"] in client.get("/bureau/bulletins").get_data(as_text=True)
    client.post("/bureau/bulletins", data=form)
    assert reports.get(db, row["id"])["status"] == "superseded"
    assert reports.current(db, "2026-2027-1", "bulletin")["version"] == 2
    assert client.get(f"/documents/{row['id']}.pdf").status_code == 200


def test_quarter_bulletin_lists_overdue_rectifications(app, db, received, keys, tmp_path):
    db.execute(
        "UPDATE rectifications SET deadline = '2026-10-01' WHERE inspection_id = ?",
        [received["ids"]["b"]],
    )
    today = date(2026, 11, 23)
    period = periods.parse_period("quarter", "2026-Q4", today)
    overview = bulletins.build_overview(
        db, bulletins.bulletin_filters(period, "fupin_comprehensive"), today
    )
    assert overview.summary["rectifications"]["overdue"] == len(
        received["results"]["b"]["rectifications"]
    )
    pdf = bulletins.render(
        overview, app.config, report_id="x", version=1, checklist_title="测试", strict=True
    )
    flat = "".join(_text(pdf, tmp_path).split())
    assert "2026年第四季度教育督导检查情况通报" in flat
    assert "逾期未整改事项" in flat and "西乡初级中学" in flat


def test_bulletin_form_without_a_period_is_refused(client, auth, county):
    auth.login("bureau")
    token = csrf_token(client, "/bureau/bulletins")
    response = client.post("/bureau/bulletins", data={"csrf_token": token})
    assert response.status_code == 400 and "请选择通报的时段" in response.get_data(as_text=True)
