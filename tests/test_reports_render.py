"""The inspection report and the rectification notice, read back from the PDF."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from inspect_app.documents.qr import qr_png
from inspect_app.documents.render import render_report
from tests.sample_report import sample_context
from tests.support import SCRIPT_NOTE

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext, pdffonts) not installed"
)


def pdftext(pdf: bytes, first: int | None = None, last: int | None = None) -> str:
    args = ["pdftotext", "-raw"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    return subprocess.run(
        args + ["-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")


def squash(text: str) -> str:
    """pdftotext breaks lines inside table cells and spaces out some runs."""
    return re.sub(r"\s+", "", text)


def cn_date(iso: str) -> str:
    year, month, day = (int(part) for part in iso.split("-"))
    return f"{year}年{month}月{day}日"


def test_report_is_a_pdf_with_school_grade_and_findings(sample_report):
    context, pdf = sample_report
    assert pdf.startswith(b"%PDF-")
    text = squash(pdftext(pdf))
    assert context["school"]["name"] in text
    assert "评定等级" + context["result"]["grade"] in text
    assert context["result"]["vetoed"] and "一票否决" in text
    for finding in context["result"]["findings"]:
        assert squash(finding["problem"]) in text, finding["problem"]
        assert "依据：" + squash(finding["basis"]) in text, finding["basis"]
    local = next(f for f in context["result"]["findings"] if f["local"])
    assert squash(local["problem"]) + "本地标准" in text


def test_every_page_has_bureau_header_and_page_x_of_y(sample_report):
    _, pdf = sample_report
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(
                ["pdfinfo", "-"], input=pdf, capture_output=True, check=True
            ).stdout.decode(),
        ).group(1)
    )
    assert pages >= 3
    for n in range(1, pages + 1):
        text = squash(pdftext(pdf, n, n))
        assert "青川县教育局·督导检查报告" in text
        assert f"第{n}页共{pages}页" in text


def test_noto_sans_cjk_is_embedded(sample_report):
    _, pdf = sample_report
    out = subprocess.run(
        ["pdffonts", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    rows = [line for line in out.splitlines() if "Noto-Sans-CJK-SC" in line]
    assert rows, out
    for row in rows:
        assert re.search(r"\byes\s+yes\s+yes\b", row), row  # embedded, subset, unicode map


def test_free_text_is_escaped_and_shown_literally(sample_report):
    _, pdf = sample_report
    text = squash(pdftext(pdf))
    assert squash(SCRIPT_NOTE) in text


def test_rectification_table_has_official_columns_and_deadlines(sample_report):
    context, pdf = sample_report
    text = squash(pdftext(pdf))
    assert "序号问题描述依据整改措施责任单位责任人整改时限" in text
    assert context["rectifications"], "the sample must have findings to rectify"
    # The county's duties go to the county's units (编制, projects, subsidies), not the principal.
    assert {"学校"} < {item["unit"] for item in context["rectifications"]}
    for item in context["rectifications"]:
        assert squash(item["action"]) in text
        assert squash(item["unit"]) in text
        assert cn_date(item["deadline"]) in text


def test_photos_and_signatures_are_embedded(sample_report):
    context, pdf = sample_report
    out = subprocess.run(
        ["pdfimages", "-list", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    jpegs = [line for line in out.splitlines() if " jpeg " in line]
    assert len(jpegs) == 4  # the photos, re-encoded as JPEG thumbnails
    text = squash(pdftext(pdf))
    assert "附件：现场照片" in text
    for refs in context["photos"].values():
        assert all(squash(ref["caption"]) in text for ref in refs)
    assert "王建国责任督学" in text and "赵明校长" in text


def test_supersedes_notice_is_shown():
    context, photos = sample_context(1)
    context["report_version"] = 2
    context["supersedes"] = {
        "report_no": "青教督〔2026〕17号",
        "version": 1,
        "reason": "更正食堂检查项目的实测值",
    }
    pdf = render_report(context, photo_loader=photos.__getitem__)
    text = squash(pdftext(pdf, 1, 1))
    assert "本报告为第2版，替代青教督〔2026〕17号（第1版）" in text
    assert "更正原因：更正食堂检查项目的实测值" in text


def test_notice_lists_rectifications_with_deadlines_and_qr(sample_notice):
    context, pdf = sample_notice
    text = squash(pdftext(pdf))
    assert "督导整改通知书" in text
    assert context["school"]["name"] + "：" in text
    for item in context["rectifications"]:
        assert squash(item["action"]) in text and cn_date(item["deadline"]) in text
    assert "整改时限" in text
    assert context["rectification_url"] in text
    out = subprocess.run(
        ["pdfimages", "-list", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert len([line for line in out.splitlines() if " image " in line]) == 1  # the QR


def test_qr_png_is_a_png():
    png = qr_png("https://example.gov.cn/verify/1")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_a_sections_percentage_reads_as_the_ranking_and_the_exports_print_it():
    # 13 of 16 points is 81.25 %: the ranking, the exports and the school's page say 81.3 %,
    # and the signed report said 81.2 % (Python's own format rounds halves to even)
    from bs4 import BeautifulSoup

    from inspect_app.bureau.figures import percent
    from inspect_app.documents.render import report_html

    context, _ = sample_context()
    section = context["result"]["sections"][0]
    section.update(earned=13.0, possible=16.0)
    page = BeautifulSoup(report_html(context), "html.parser")
    shown = page.select(".barline .pct")[0].get_text()
    assert shown == f"{percent(13.0, 16.0)}%" == "81.3%"
