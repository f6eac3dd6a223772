"""The public verify page explains a refused PDF briefly in Chinese, never with library internals."""

from __future__ import annotations

import io
import re

import pytest
from bs4 import BeautifulSoup

from inspect_app.common.clock import stamp


def pdf(objects: list[bytes]) -> bytes:
    out, offsets = b"%PDF-1.7\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj %s endobj\n" % (number, body)
    xref_at = len(out)
    size = len(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref_at)


# A signature field whose signature is garbage: pyHanko finds it and fails in English.
FORGED = pdf(
    [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots [4 0 R] >>",
        b"<< /FT /Sig /T (Signature1) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R"
        b" /V 5 0 R >>",
        b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached"
        b" /ByteRange [0 10 20 30] /Contents <3082000a0201> /M (D:" + stamp()[:4].encode() + b")"
        b" >>",
    ]
)


def verify_page(client, data: bytes):
    html = client.get("/verify/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
    response = client.post(
        "/verify/",
        data={"csrf_token": token, "file": (io.BytesIO(data), "报告.pdf")},
        content_type="multipart/form-data",
    )
    page = BeautifulSoup(response.data, "html.parser")
    return response, [li.get_text() for li in page.select("ul.errors li")]


@pytest.mark.parametrize(
    "data", [FORGED, b"%PDF-1.7\n\x00\x01 not a pdf at all", FORGED[: len(FORGED) // 2]]
)
def test_crafted_pdfs_get_short_chinese_reasons(client, data):
    response, reasons = verify_page(client, data)
    assert response.status_code == 422
    assert reasons
    for reason in reasons:
        assert len(reason) <= 60, reason
        # Chinese only: no English words from pyHanko or Python ("PDF" is what users call it).
        assert not re.search(r"[A-Za-z]{3,}", reason.replace("PDF", "")), reason


def test_the_library_detail_is_kept_for_the_command_line(app, db):
    from inspect_app.documents import verification

    with app.app_context():
        result = verification.check_pdf(db, FORGED, app.config)
    assert not result["ok"] and result["detail"]
