"""The bulletin PDF: issued, signed, stored, superseded on reissue, and its text holds the figures."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from inspect_app.bureau import bulletins, commentary, figures
from inspect_app.common import periods
from inspect_app.common.clock import local_time
from inspect_app.documents.signing import init_keys, load_certs, verify_pdf
from inspect_app.storage import reports

from .support import csrf_token


@pytest.fixture
def keys(app):
    return init_keys(app.config["KEYS_DIR"], organization=app.config["BUREAU_NAME"])


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "b.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


SUBJECT = "2026-2027-1/fupin_comprehensive"


def test_bulletin_is_issued_signed_and_holds_the_figures(
    app, client, auth, db, received, keys, tmp_path
):
    app.config["TODAY_OVERRIDE"] = "2026-12-01"
    auth.login("bureau")
    token = csrf_token(client, "/bureau/bulletins")
    form = {
        "csrf_token": token,
        "period": "term",
        "key_term": "2026-2027-1",
        "checklist": "fupin_comprehensive",
        "commentary": "本学期各校整体向好。\n\n1. 食堂<b>卫生</b>仍需加强\n2. 宿舍安全要常抓不懈",
    }
    response = client.post("/bureau/bulletins", data=form)
    assert response.status_code == 302
    row = reports.current(db, SUBJECT, "bulletin")
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
    # the bureau's 点评 is in the text, numbered, and markup-looking input printed as typed
    assert "督导点评" in flat and "本学期各校整体向好。" in flat
    assert "1.食堂<b>卫生</b>仍需加强" in flat and "2.宿舍安全要常抓不懈" in flat
    assert "2026-2027-1" not in flat and row["id"] not in flat  # no keys on the document
    assert "青督通〔2026〕1号" in flat  # the 文号
    # the list page links the stored PDF and says what it covers, in words and Beijing time
    page = BeautifulSoup(client.get("/bureau/bulletins").get_data(as_text=True), "html.parser")
    cells = [td.get_text(strip=True) for td in page.select("#bulletins tbody tr")[0].select("td")]
    assert cells[0] == row["doc_number"] == "青督通〔2026〕1号"
    assert cells[1] == "2026—2027学年上学期"
    assert cells[2] == received["checklist"]["title"]
    assert cells[4] == "测试bureau"
    assert cells[5] == local_time(row["created_at"]) and "UTC" not in page.get_text()
    assert page.select_one(f"#bulletins a[href='/documents/{row['id']}.pdf']")
    # a reissue supersedes the first
    client.post("/bureau/bulletins", data=form)
    assert reports.get(db, row["id"])["status"] == "superseded"
    assert reports.current(db, SUBJECT, "bulletin")["version"] == 2
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
    draft = bulletins.prepare(db, period, "fupin_comprehensive", "", today)
    assert draft.overview.summary == overview.summary
    pdf = bulletins.render(draft, app.config, report_id="x", version=1)
    flat = "".join(_text(pdf, tmp_path).split())
    assert "2026年第四季度教育督导检查情况通报" in flat
    assert "逾期未整改事项" in flat and "西乡初级中学" in flat


def test_bulletin_form_without_a_period_is_refused(client, auth, county):
    auth.login("bureau")
    token = csrf_token(client, "/bureau/bulletins")
    response = client.post("/bureau/bulletins", data={"csrf_token": token})
    assert response.status_code == 400 and "请选择通报的时段" in response.get_data(as_text=True)


def test_a_bulletin_for_another_checklist_does_not_supersede(app, db, received, keys):
    today = date(2026, 12, 1)
    period = periods.parse_period("term", "2026-2027-1", today)
    first = bulletins.issue(db, app.config, bulletins.prepare(db, period, "", "", today))
    assert first["subject_id"] == SUBJECT  # the most used checklist, named
    db.execute("UPDATE inspections SET checklist_id = 'boarding_special' WHERE id = ?",
               [received["ids"]["b"]])  # fmt: skip
    other = bulletins.prepare(db, period, "boarding_special", "", today)
    assert other.inspected == 1
    bulletins.issue(db, app.config, other)
    assert reports.get(db, first["id"])["status"] == "valid"


def test_a_bulletin_whose_record_fails_leaves_no_document_and_no_number_behind(
    app, db, received, keys, monkeypatch
):
    today = date(2026, 12, 1)
    period = periods.parse_period("term", "2026-2027-1", today)
    draft = bulletins.prepare(db, period, "", "", today)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(bulletins.records, "record", broken)
    with pytest.raises(OSError):
        bulletins.issue(db, app.config, draft)
    # neither the report nor its files, and the 文号 is given back
    assert db.execute("SELECT count(*) FROM reports WHERE kind = 'bulletin'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM bulletins").fetchone()[0] == 0
    folder = Path(app.config["REPORTS_DIR"]) / "bulletin"
    assert not folder.exists() or list(folder.iterdir()) == []
    monkeypatch.undo()
    row = bulletins.issue(db, app.config, draft)
    assert bulletins.records.get(db, row["id"])["period_key"] == "2026-2027-1"
    numbers = [r[0] for r in db.execute("SELECT doc_number FROM reports WHERE kind = 'bulletin'")]
    assert numbers == [row["doc_number"]] and row["doc_number"].endswith("1号")


def test_issuing_over_no_inspections_is_refused_with_a_message(app, client, auth, db, received):
    app.config["TODAY_OVERRIDE"] = "2026-12-01"
    auth.login("bureau")
    token = csrf_token(client, "/bureau/bulletins")
    form = {"csrf_token": token, "period": "month", "key_month": "2026-08",
            "checklist": "fupin_comprehensive", "commentary": "八月点评"}  # fmt: skip
    for path in ("/bureau/bulletins", "/bureau/bulletins/preview"):
        response = client.post(path, data=form)
        assert response.status_code in (400, 422)
        page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        assert "2026年8月没有《" in page.get_text() and "不能签发通报" in page.get_text()
        # the form comes back as it was filled, 点评 included
        assert page.select_one("#commentary").get_text() == "八月点评"
        assert page.select_one("select[name=key_month] option[selected]")["value"] == "2026-08"
    assert db.execute("SELECT COUNT(*) FROM reports WHERE kind = 'bulletin'").fetchone()[0] == 0


def test_preview_shows_the_pages_and_issues_exactly_what_was_previewed(
    app, client, auth, db, received, keys
):
    app.config["TODAY_OVERRIDE"] = "2026-12-01"
    auth.login("bureau")
    token = csrf_token(client, "/bureau/bulletins")
    form = {"csrf_token": token, "period": "quarter", "key_quarter": "2026-Q4",
            "checklist": "fupin_comprehensive", "commentary": "第一段\n\n1. 甲\n2. 乙"}  # fmt: skip
    response = client.post("/bureau/bulletins/preview", data=form)
    assert response.status_code == 200
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    images = page.select(".preview-page img")
    assert images and all(i["src"].startswith("data:image/png;base64,") for i in images)
    assert "2026年第四季度" in page.get_text() and received["checklist"]["title"] in page.get_text()
    assert db.execute("SELECT COUNT(*) FROM reports").fetchone()[0] == 0  # nothing issued yet
    issue = page.select_one("form[action='/bureau/bulletins']")
    fields = {i["name"]: i["value"] for i in issue.select("input[type=hidden]")}
    assert fields["commentary"] == "第一段\n\n1. 甲\n2. 乙" and fields["key_quarter"] == "2026-Q4"
    assert client.post("/bureau/bulletins", data=fields).status_code == 302
    row = reports.current(db, "2026-Q4/fupin_comprehensive", "bulletin")
    assert row is not None
    back = client.post("/bureau/bulletins/edit", data=fields)
    page = BeautifulSoup(back.get_data(as_text=True), "html.parser")
    assert page.select_one("#commentary").get_text() == "第一段\n\n1. 甲\n2. 乙"


def test_the_month_defaults_to_the_last_complete_one(app, client, auth, received):
    app.config["TODAY_OVERRIDE"] = "2026-12-01"
    auth.login("bureau")
    page = BeautifulSoup(client.get("/bureau/bulletins?period=month").get_data(as_text=True),
                         "html.parser")  # fmt: skip
    assert page.select_one("select[name=key_month] option[selected]").get_text() == "2026年11月"
    assert page.select_one("select[name=key_quarter] option[selected]").get_text() == (
        "2026年第三季度"
    )
    assert page.select_one("#period-kind option[selected]")["value"] == "month"
    # the checklist asked for in the address is kept (the no-script path of a kind change)
    page = BeautifulSoup(
        client.get("/bureau/bulletins?period=month&checklist=boarding_special").get_data(
            as_text=True
        ),
        "html.parser",
    )
    assert page.select_one("#bulletin-checklist option[selected]")["value"] == "boarding_special"


def test_last_complete_period():
    assert periods.last_complete_period("month", date(2026, 1, 5)).key == "2025-12"
    assert periods.last_complete_period("month", date(2026, 12, 31)).key == "2026-11"
    assert periods.last_complete_period("quarter", date(2026, 12, 1)).key == "2026-Q3"
    assert periods.last_complete_period("quarter", date(2026, 2, 1)).key == "2025-Q4"
    assert periods.last_complete_period("term", date(2026, 12, 1)).key == "2026-2027-1"
    for key in ("2026-11", "2026-Q4", "2026-2027-1", "2026", "2026-01-01~2026-02-01"):
        assert periods.from_key(key).key == key
    assert periods.from_key("2026-Q4").label == "2026年第四季度"


def test_commentary_paragraphs_and_numbered_lists():
    blocks = commentary.parse(
        "  总体平稳，\n各校重视。\r\n\r\n存在问题：\n1. 食堂\n   卫生\n2、宿舍\n\n（3）其他\x07"
    )
    assert [(b.kind, b.text, b.items, b.start) for b in blocks] == [
        ("p", "总体平稳，各校重视。", (), 1),
        ("p", "存在问题：", (), 1),
        ("ol", "", ("食堂卫生", "宿舍"), 1),
        ("ol", "", ("其他",), 3),
    ]
    assert commentary.parse("") == [] and commentary.parse("   \n\n ") == []
    assert commentary.parse("Line one\nline two")[0].text == "Line one line two"
    with pytest.raises(commentary.CommentaryError, match="不能超过"):
        commentary.parse("字" * (commentary.MAX_CHARS + 1))
