"""Evidence PDFs are parsed: active content is refused even inside compressed object streams."""

from __future__ import annotations

import io
import zlib

import pytest
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from inspect_app.rectification.evidence import EvidenceRejected, check

PAGE_TREE = {
    2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
}


def object_stream_pdf(catalog: bytes, extra: dict[int, bytes] | None = None) -> bytes:
    """A PDF 1.5 whose objects all sit in one deflated object stream, with an xref stream:
    nothing of them shows in the raw bytes."""
    objects = {1: catalog, **PAGE_TREE, **(extra or {})}
    numbers = sorted(objects)
    body, offsets = b"", []
    for num in numbers:
        offsets.append(len(body))
        body += objects[num] + b"\n"
    header = b" ".join(b"%d %d" % (n, o) for n, o in zip(numbers, offsets, strict=True)) + b"\n"
    stream_num = max(numbers) + 1
    packed = zlib.compress(header + body)
    out = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"
    stream_at = len(out)
    out += (
        b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (stream_num, len(numbers), len(header), len(packed))
        + packed
        + b"\nendstream\nendobj\n"
    )
    xref_num = stream_num + 1
    xref_at = len(out)
    rows = [b"\x00" + (0).to_bytes(4, "big") + b"\xff\xff"]
    index_of = {num: i for i, num in enumerate(numbers)}
    for num in range(1, xref_num + 1):
        if num in index_of:
            rows.append(b"\x02" + stream_num.to_bytes(4, "big") + index_of[num].to_bytes(2, "big"))
        elif num == stream_num:
            rows.append(b"\x01" + stream_at.to_bytes(4, "big") + b"\x00\x00")
        elif num == xref_num:
            rows.append(b"\x01" + xref_at.to_bytes(4, "big") + b"\x00\x00")
        else:
            rows.append(b"\x00" + (0).to_bytes(4, "big") + b"\x00\x00")
    table = b"".join(rows)
    out += (
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
        % (xref_num, xref_num + 1, len(table))
        + table
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    )
    return out


def test_a_script_inside_an_object_stream_is_refused():
    pdf = object_stream_pdf(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>",
        {5: b"<< /S /JavaScript /JS (app.alert\\(document.cookie\\)) >>"},
    )
    assert b"/JS" not in pdf and b"JavaScript" not in pdf  # invisible to a byte scan
    with pytest.raises(EvidenceRejected, match="含有脚本或嵌入程序"):
        check(pdf)


@pytest.mark.parametrize(
    "catalog",
    [
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [] >> >> >>",
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA 5 0 R >> >>",
        b"<< /Type /Catalog /Pages 2 0 R /AA << /WC << /S /Launch /F (cmd.exe) >> >> >>",
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /SubmitForm /F (http://x) >> >>",
    ],
)
def test_other_active_content_in_object_streams_is_refused(catalog):
    with pytest.raises(EvidenceRejected, match="含有脚本或嵌入程序"):
        check(object_stream_pdf(catalog, {5: b"<< >>"}))


def test_a_plain_document_in_object_streams_is_kept():
    pdf = object_stream_pdf(b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >>")
    kept = check(pdf)
    assert kept.mime == "application/pdf" and kept.data == pdf


def test_a_pdf_written_by_a_real_library_is_kept_and_its_script_refused():
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    clean = io.BytesIO()
    writer.write(clean)
    assert check(clean.getvalue()).mime == "application/pdf"
    writer.root_object[NameObject("/OpenAction")] = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert(1);"),
        }
    )
    scripted = io.BytesIO()
    writer.write(scripted)
    with pytest.raises(EvidenceRejected, match="含有脚本"):
        check(scripted.getvalue())


def test_a_pdf_that_cannot_be_parsed_is_refused_in_chinese():
    with pytest.raises(EvidenceRejected, match="PDF 文件已损坏或无法识别|没有任何页面"):
        check(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ngarbage\n%%EOF\n")


def test_a_password_protected_pdf_is_refused():
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(EvidenceRejected, match="打开密码"):
        check(out.getvalue())
