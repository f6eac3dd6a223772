"""Signed documents of a received inspection: issued once, served as stored, verifiable.

Every test starts from the ``issued`` fixture's copy of one inspection with its report and
notice already signed (rendered once per run).
"""

import io
import json
import subprocess

from bs4 import BeautifulSoup
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from inspect_app.common.clock import today_in_china
from inspect_app.documents import issuing
from inspect_app.storage import reports

from . import factories
from .support import csrf_token


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_report_and_notice_are_issued_once_and_stored_with_hash(app, db, issued):
    report = reports.current(db, issued["id"], "report")
    notice = reports.current(db, issued["id"], "notice")
    data = reports.read(app.config["REPORTS_DIR"], report)
    assert factories.sha256(data) == report["sha256"]
    assert notice is not None and notice["version"] == 1
    # Asking again issues nothing new.
    assert issuing.ensure_documents(db, app.config, issued["id"])["id"] == report["id"]
    assert db["reports"].count == 2


def test_report_text_holds_school_grade_and_findings(app, db, issued):
    data = reports.read(app.config["REPORTS_DIR"], reports.current(db, issued["id"], "report"))
    text = pdf_text(data)
    assert "东镇中心小学" in text and issued["grade"] in text
    first_finding = json.loads(issued["result"])["findings"][0]["problem"]
    assert first_finding[:12] in text.replace("\n", "")
    assert "<script>alert(1)</script>" in text  # the inspector's note, literally
    fonts = subprocess.run(
        ["pdffonts", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    cjk = [line for line in fonts.splitlines() if "Noto-Sans-CJK-SC" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk)  # embedded


def test_signature_verifies_and_tampering_fails(app, db, issued):
    data = reports.read(app.config["REPORTS_DIR"], reports.current(db, issued["id"], "report"))
    from inspect_app.documents.verification import check_pdf

    assert check_pdf(db, data, app.config)["ok"]
    flipped = bytearray(data)
    flipped[len(data) // 3] ^= 0x01
    bad = check_pdf(db, bytes(flipped), app.config)
    assert not bad["ok"] and bad["reasons"]
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    writer.root["/Lang"] = generic.pdf_string("en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    appended = check_pdf(db, out.getvalue(), app.config)
    assert not appended["ok"]


def test_public_verify_page_shows_only_the_public_facts(client, db, issued):
    report = reports.current(db, issued["id"], "report")
    page = BeautifulSoup(client.get(f"/verify/{report['id']}").data, "html.parser")
    facts = page.select_one(".verify-facts").get_text(" ", strip=True)
    assert "有效" in facts and "东镇中心小学" in facts and issued["date"] in facts
    assert report["sha256"] in facts and issued["grade"] in facts
    finding = page.get_text()
    assert "整改" not in finding and "<script>" not in finding  # no findings or notes leak


def test_verify_upload_accepts_original_and_refuses_other_files(app, client, db, issued):
    report = reports.current(db, issued["id"], "report")
    original = reports.read(app.config["REPORTS_DIR"], report)

    def upload(data, name="r.pdf"):
        token = csrf_token(client, f"/verify/{report['id']}")
        return client.post(
            f"/verify/{report['id']}",
            data={"csrf_token": token, "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )

    ok = upload(original)
    assert ok.status_code == 200 and "核验通过" in ok.get_data(as_text=True)
    changed = bytearray(original)
    changed[-200] ^= 0x20
    bad = upload(bytes(changed))
    assert bad.status_code == 422 and "核验未通过" in bad.get_data(as_text=True)
    not_pdf = upload(b"hello", "x.pdf")
    assert "该文件不是 PDF 文件" in not_pdf.get_data(as_text=True)
    notice = reports.read(app.config["REPORTS_DIR"], reports.current(db, issued["id"], "notice"))
    other = upload(notice)
    assert "不是此二维码对应的文件" in other.get_data(as_text=True)


def test_correction_supersedes_and_keeps_both(app, client, db, issued):
    first = reports.current(db, issued["id"], "report")
    second = issuing.issue_report(db, app.config, issued["id"], reason="更正检查日期")
    assert second["version"] == 2
    assert reports.get(db, first["id"])["status"] == "superseded"
    old_page = client.get(f"/verify/{first['id']}").get_data(as_text=True)
    assert "已被新版本取代" in old_page
    text = pdf_text(reports.read(app.config["REPORTS_DIR"], second))
    assert "更正检查日期" in text.replace(" ", "")
    reports.revoke(db, second["id"], "误发")
    assert "已撤销" in client.get(f"/verify/{second['id']}").get_data(as_text=True)


def test_cli_writes_stored_pdf_and_verifies(app, db, issued, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "report.pdf"
    result = runner.invoke(args=["report", "pdf", issued["id"], "-o", str(out)])
    assert result.exit_code == 0, result.output
    stored = reports.current(db, issued["id"], "report")
    assert factories.sha256(out.read_bytes()) == stored["sha256"]
    ok = runner.invoke(args=["report", "verify", str(out)])
    assert ok.exit_code == 0 and "核验通过" in ok.output
    notice = tmp_path / "notice.pdf"
    assert (
        runner.invoke(args=["report", "pdf", issued["id"], "-o", str(notice), "--notice"]).exit_code
        == 0
    )
    assert "整改通知书" in pdf_text(notice.read_bytes()).replace(" ", "")
    data = bytearray(out.read_bytes())
    data[5000] ^= 0x01
    out.write_bytes(bytes(data))
    bad = runner.invoke(args=["report", "verify", str(out)])
    assert bad.exit_code == 1 and "核验未通过" in bad.output


def test_cli_verify_names_the_parser_error_of_a_damaged_file(app, db, issued, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "report.pdf"
    assert runner.invoke(args=["report", "pdf", issued["id"], "-o", str(out)]).exit_code == 0
    data = out.read_bytes()
    out.write_bytes(data[: len(data) // 2])  # a download cut off half way
    bad = runner.invoke(args=["report", "verify", str(out)])
    assert bad.exit_code == 1 and "核验未通过" in bad.output
    assert "技术细节：" in bad.output and "Traceback" not in bad.output


def test_keys_init_and_fonts_commands(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["keys", "init"])
    assert result.exit_code == 0 and "签名密钥已就绪" in result.output
    assert runner.invoke(args=["report", "fonts"]).output.startswith("中文字体正常")


def test_inspection_page_escapes_notes_and_links_documents(client, auth, issued):
    auth.login("insp")
    response = client.get(f"/inspections/{issued['id']}")
    html = response.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    page = BeautifulSoup(html, "html.parser")
    links = [a.text for a in page.select(".card a") if "版" in a.text]
    year = today_in_china().year
    assert links == [
        f"督导检查报告 青督检〔{year}〕1号 第 1 版",
        f"整改通知书 青督改〔{year}〕1号 第 1 版",
    ]


def test_school_sees_own_report_but_not_others(client, auth, county, issued):
    auth.login("sch_a")
    assert client.get(f"/inspections/{issued['id']}/report.pdf").mimetype == "application/pdf"
    auth.logout()
    auth.login("sch_b")
    assert client.get(f"/inspections/{issued['id']}").status_code == 403
    assert client.get(f"/inspections/{issued['id']}/report.pdf").status_code == 403
