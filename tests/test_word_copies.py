"""Word copies: each report, notice and bulletin has an unsigned .docx with the PDF's content,
marked as a working copy; LibreOffice opens it and finds the figures."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import date

import pytest
from docx import Document

from inspect_app.bureau import bulletins
from inspect_app.common import periods
from inspect_app.documents import word
from inspect_app.documents.signing import init_keys
from inspect_app.storage import reports

INSTALL = "apt-get install -y --no-install-recommends libreoffice-writer-nogui"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _num(value: float) -> str:
    """A score as the documents print it (87.5, 80)."""
    text = f"{float(value):.1f}"
    return text.rstrip("0").rstrip(".")


def _docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    parts += [p.text for p in doc.sections[0].header.paragraphs]
    return "\n".join(parts)


def _libreoffice_text(files: dict[str, bytes], tmp_path) -> dict[str, str]:
    """Each .docx converted to plain text by LibreOffice headless, in one run."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip(f"LibreOffice is not installed: {INSTALL}")
    paths = []
    for name, data in files.items():
        path = tmp_path / f"{name}.docx"
        path.write_bytes(data)
        paths.append(str(path))
    out = tmp_path / "txt"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
         "--convert-to", "txt:Text (encoded):UTF8", "--outdir", str(out), *paths],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    return {name: (out / f"{name}.txt").read_text(encoding="utf-8-sig") for name in files}


def test_report_and_notice_copies_say_what_the_pdf_says(app, client, auth, db, issued, tmp_path):
    report = reports.current(db, issued["id"], "report")
    notice = reports.current(db, issued["id"], "notice")
    auth.login("bureau")
    copies = {}
    for name, row in (("report", report), ("notice", notice)):
        response = client.get(f"/documents/{row['id']}.docx")
        assert response.status_code == 200 and response.mimetype == DOCX
        assert "attachment" in response.headers["Content-Disposition"]
        copies[name] = response.data
    result = json.loads(issued["result"])
    text = _docx_text(copies["report"])
    assert word.MARK in text and report["doc_number"] in text
    assert "东镇中心小学督导检查报告" in text and result["grade"] in text
    assert result["findings"][0]["problem"] in text
    lo = _libreoffice_text(copies, tmp_path)
    flat = {k: "".join(v.split()) for k, v in lo.items()}
    mark = "".join(word.MARK.split())
    assert mark in flat["report"] and mark in flat["notice"]
    assert report["doc_number"] in flat["report"] and notice["doc_number"] in flat["notice"]
    assert "综合得分" in flat["report"] and _num(result["total"]) in flat["report"]
    for section in result["sections"]:
        if section.get("possible"):
            assert section["title"] in flat["report"]
    assert "督导整改通知书" in flat["notice"] and "东镇中心小学：" in flat["notice"]
    first = result["rectifications"][0]["problem"] if result.get("rectifications") else None
    assert first is None or "".join(first.split()) in flat["notice"]
    # never a key or a hash in the copy either
    assert issued["id"] not in lo["report"] and report["sha256"][:12] not in lo["report"]


def test_bulletin_copy_holds_the_figures_and_the_commentary(
    app, client, auth, db, received, tmp_path
):
    init_keys(app.config["KEYS_DIR"], organization=app.config["BUREAU_NAME"])
    today = date(2026, 12, 1)
    period = periods.parse_period("term", "2026-2027-1", today)
    draft = bulletins.prepare(
        db, period, "fupin_comprehensive", "总体平稳。\n\n1. 食堂<b>卫生</b>\n2. 宿舍安全", today
    )
    row = bulletins.issue(db, app.config, draft)
    auth.login("bureau")
    data = client.get(f"/documents/{row['id']}.docx").data
    flat = "".join(_libreoffice_text({"bulletin": data}, tmp_path)["bulletin"].split())
    summary = draft.overview.summary
    assert "".join(word.MARK.split()) in flat and row["doc_number"] in flat
    assert "2026—2027学年上学期教育督导检查情况通报" in flat
    assert (
        f"已督导检查{summary['inspected']}所" in flat
        and f"平均得分{_num(summary['average'])}分" in flat
    )
    assert "督导点评" in flat and "1.食堂<b>卫生</b>" in flat and "2.宿舍安全" in flat
    for school in draft.overview.ranking:
        assert school["school_name"] in flat  # the ranking appendix


def test_copies_follow_the_pdf_access_rules(db, login, issued):
    report = reports.current(db, issued["id"], "report")
    assert login("sch_b").get(f"/documents/{report['id']}.docx").status_code == 403
    assert login("sch_a").get(f"/documents/{report['id']}.docx").status_code == 200
    assert login().get(f"/documents/{report['id']}.docx").status_code == 302


def test_text_is_copied_literally_never_as_markup():
    html = (
        '<html><body><h1>标题</h1><p class="lead">&lt;script&gt;x&lt;/script&gt; 甲\n  乙</p>'
        '<table><tr><th>项</th><th colspan="2">值</th></tr><tr><td>a</td><td>1</td><td>2</td></tr>'
        '</table><ol start="3"><li>丙</li><li>丁</li></ol><div class="qr">QR</div></body></html>'
    )
    text = _docx_text(word.from_html(html))
    assert "<script>x</script> 甲乙" in text and "3. 丙" in text and "4. 丁" in text
    assert "QR" not in text and word.MARK in text
    doc = Document(io.BytesIO(word.from_html(html)))
    assert [c.text for c in doc.tables[0].rows[1].cells] == ["a", "1", "2"]
