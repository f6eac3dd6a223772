"""A PDF pypdf cannot open (a damaged xref, a certificate-encrypted file) is refused beside the
field with a Chinese reason, and the typed answer stays in the form (it was a 500)."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from inspect_app.rectification.evidence import EvidenceRejected, check

from .support import pdf_bytes, version_on

# An xref table claiming far more entries than the file holds: pypdf's LimitReachedError.
BAD_XREF = pdf_bytes().replace(b"xref\n0 4", b"xref\n0 5475")


def pubsec_pdf() -> bytes:
    """A certificate-encrypted PDF (Adobe.PubSec), as some office systems export: pypdf
    raises NotImplementedError for its security handler."""
    return pdf_bytes(
        objects=(b"<< /Filter /Adobe.PubSec /SubFilter /adbe.pkcs7.s5 /V 4 /R 4 /Length 128 >>",),
        trailer=b"/Encrypt 4 0 R "
        b"/ID [<00112233445566778899aabbccddeeff><00112233445566778899aabbccddeeff>]",
    )


UNREADABLE = "PDF 文件已损坏或无法识别"
ENCRYPTED = "PDF 文件设有打开密码"
BROKEN = pytest.mark.parametrize(
    ("data", "reason"),
    [(BAD_XREF, UNREADABLE), (pubsec_pdf(), ENCRYPTED)],
    ids=["xref-count-too-large", "certificate-encrypted"],
)

FORM = {
    "measures": "已制定资助台账管理制度",
    "result": "台账与银行记录一致",
    "done_on": "2026-11-24",
}


@BROKEN
def test_the_checker_gives_the_reason(data, reason):
    with pytest.raises(EvidenceRejected, match=reason):
        check(data)


@BROKEN
def test_respond_form_says_why_beside_the_field_and_keeps_the_answer(
    receive, login, frozen, data, reason
):
    _, rows = receive()
    school = login("sch_a")
    url = f"/school/rectifications/{rows[0]['id']}/respond"
    response = school.post(
        url,
        {**FORM, "version": version_on(school.page(url))},
        files={"evidence": [(data, "整改报告.pdf")]},
    )
    assert response.status_code == 400
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert f"「整改报告.pdf」{reason}" in page.select_one("#evidence-error").get_text()
    assert page.select_one("#measures").get_text().strip() == FORM["measures"]
    assert page.select_one("#result").get_text().strip() == FORM["result"]


@BROKEN
def test_report_form_says_why_beside_the_field_and_keeps_the_summary(
    receive, login, frozen, data, reason
):
    inspection_id, _ = receive()
    school = login("sch_a")
    response = school.post(
        f"/school/inspections/{inspection_id}/report",
        {"summary": "成立整改领导小组，逐项整改。"},
        files={"evidence": [(data, "附件.pdf")]},
    )
    assert response.status_code == 400
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert f"「附件.pdf」{reason}" in page.select_one("#evidence-error").get_text()
    assert page.select_one("#summary").get_text().strip() == "成立整改领导小组，逐项整改。"
