"""Checking a school's evidence upload (整改佐证材料): a clean JPEG, or a PDF that is harmless.

Type is decided by content, never by the file name. Images are re-encoded by ``clean_photo``;
PDFs are kept byte for byte, so they must be complete and carry no active content: the raw
bytes are scanned here, and ``documents.pdf_content`` parses the PDF so that names inside
compressed object streams are seen too. PDFs are always served as downloads with
``nosniff``, so a file that slipped past these checks would still never run in the browser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from inspect_app.documents import pdf_content
from inspect_app.inspections.images import ImageRejected, clean_photo

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
ACCEPTED = "只接受 JPEG、PNG 图片或 PDF 文件"

# Names that make a PDF act rather than show: scripts, launching programs, embedded files.
_ACTIVE_NAMES = (b"/JS", b"/JavaScript", b"/Launch", b"/EmbeddedFile", b"/RichMedia")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_ACTIVE = "PDF 文件含有脚本或嵌入程序，出于安全原因不能上传。"
_PROBLEMS = {
    "encrypted": "PDF 文件设有打开密码，无法检查其内容，请去掉密码后上传。",
    "no_pages": "PDF 文件没有任何页面，请重新导出后上传。",
    "unreadable": "PDF 文件已损坏或无法识别，请重新导出后上传。",
}


class EvidenceRejected(ValueError):
    """The upload cannot be kept as evidence; ``str()`` is the Chinese reason."""


@dataclass(frozen=True)
class CleanEvidence:
    data: bytes
    mime: str  # image/jpeg or application/pdf
    extension: str  # jpg or pdf


def check(data: bytes) -> CleanEvidence:
    """Accept ``data`` as evidence (re-encoding images) or raise :class:`EvidenceRejected`."""
    if not data:
        raise EvidenceRejected("文件为空。")
    if len(data) > MAX_EVIDENCE_BYTES:
        raise EvidenceRejected(f"文件过大（{len(data) / 1048576:.1f} MB），不能超过 10 MB。")
    if data.startswith(b"%PDF-"):
        _check_pdf(data)
        return CleanEvidence(data, "application/pdf", "pdf")
    try:
        image = clean_photo(data)
    except ImageRejected as exc:
        if "不是有效的图片" in str(exc):
            raise EvidenceRejected(f"无法识别的文件内容，{ACCEPTED}。") from exc
        raise EvidenceRejected(str(exc)) from exc
    return CleanEvidence(image.data, image.mime, "jpg")


def _check_pdf(data: bytes) -> None:
    # A PDF ends with %%EOF (some writers add a little whitespace or junk after it).
    if b"%%EOF" not in data[-1024:]:
        raise EvidenceRejected("PDF 文件不完整或已损坏（缺少文件结束标记），请重新导出后上传。")
    # Names may hide behind #xx escapes (/J#61vaScript), so undo them before looking.
    plain = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)
    for name in _ACTIVE_NAMES:
        if re.search(re.escape(name) + rb"(?![A-Za-z])", plain):
            raise EvidenceRejected(_ACTIVE)
    # Compressed object streams hide names from the scan above, so parse every object too.
    problem = pdf_content.problem(data)
    if problem == "active":
        raise EvidenceRejected(_ACTIVE)
    if problem:
        raise EvidenceRejected(_PROBLEMS[problem])
