"""WeasyPrint's side of the documents: report HTML to PDF bytes, locked down and glyph-checked.

:mod:`inspect_app.documents.render` makes the HTML and calls :func:`html_to_pdf` through its
own ``html_to_pdf``, which imports this module at a process's first document. That keeps
WeasyPrint and pyHanko (about 0.9 s of CPU to import) out of the processes that never lay out
a page: every CLI command and the serving supervisor. Here are the URL fetcher that lets a
template reach only the report assets, photos and image data URIs; the trimmed user-agent
stylesheet and the report stylesheet, parsed once per process; the capture of WeasyPrint's
warnings; and the check of the fonts a finished PDF embeds. What the module docstring of
render says about glyphs and the one-document-at-a-time lock applies here.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import io
import logging
import os
import re
import threading
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint.css
from PIL import Image, ImageOps
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from inspect_app.documents.fonts import check_cjk_font, document_fonts
from inspect_app.documents.render import (
    ASSET_DIRS,
    PHOTO_JPEG_QUALITY,
    PHOTO_MAX_PX,
    PHOTO_SCHEME,
    SHA256_RE,
    TEMPLATE_DIR,
    MissingGlyphError,
    PhotoLoader,
    ReportAssetError,
    ReportError,
    ReportRenderError,
)

log = logging.getLogger("inspect_app.documents")

_DATA_URI_RE = re.compile(r"^data:(image/(?:png|jpeg))(;base64)?,(.*)$", re.S)


# ---------------------------------------------------------------------------
# URL fetcher


class ForbiddenURLError(ValueError):
    """Raised by :class:`ReportURLFetcher` for any URL it does not serve."""


class ReportURLFetcher(URLFetcher):
    """WeasyPrint fetcher that serves report assets, photos and image data URIs only.

    Errors are fatal (``fail_on_errors``): a report with a silently missing photo or
    stylesheet must not be issued.
    """

    def __init__(
        self, photo_loader: PhotoLoader | None = None, asset_dirs: tuple[Path, ...] = ASSET_DIRS
    ):
        super().__init__(fail_on_errors=True, allowed_protocols=("file", "data", PHOTO_SCHEME))
        self._photo_loader = photo_loader
        self._asset_dirs = tuple(Path(os.path.realpath(d)) for d in asset_dirs)

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return self._data(url)
        if scheme == PHOTO_SCHEME:
            return self._photo(url)
        if scheme == "file":
            return self._file(url)
        raise ForbiddenURLError(f"报告不允许访问该地址: {url[:200]}")

    def _data(self, url: str) -> URLFetcherResponse:
        match = _DATA_URI_RE.match(url)
        if not match or not match.group(2):
            raise ForbiddenURLError("报告只接受 base64 编码的 PNG/JPEG data URI")
        try:
            body = base64.b64decode(match.group(3), validate=False)
        except binascii.Error as exc:
            raise ForbiddenURLError("data URI 的 base64 内容无效") from exc
        return URLFetcherResponse(url="data:", body=body, headers={"Content-Type": match.group(1)})

    def _photo(self, url: str) -> URLFetcherResponse:
        sha = url.split(":", 1)[1].strip("/").lower()
        if not SHA256_RE.match(sha):
            raise ForbiddenURLError(f"照片地址无效: {url[:100]}")
        if self._photo_loader is None:
            raise ForbiddenURLError("未提供照片读取函数 (photo_loader)")
        try:
            raw = self._photo_loader(sha)
        except Exception as exc:
            raise ReportAssetError(f"无法读取照片 {sha[:12]}: {exc}") from exc
        return URLFetcherResponse(
            url=url, body=thumbnail_jpeg(raw), headers={"Content-Type": "image/jpeg"}
        )

    def _file(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise ForbiddenURLError(f"报告不允许访问该地址: {url[:200]}")
        path = Path(os.path.realpath(unquote(parts.path)))
        if not any(path.is_relative_to(root) for root in self._asset_dirs) or not path.is_file():
            raise ForbiddenURLError(f"报告不允许访问该文件: {parts.path[:200]}")
        content_type = {
            ".css": "text/css",
            ".png": "image/png",
            ".jpg": "image/jpeg",
            ".jpeg": "image/jpeg",
            ".svg": "image/svg+xml",
        }.get(path.suffix.lower())
        if content_type is None:
            raise ForbiddenURLError(f"报告不允许访问该类型的文件: {path.name}")
        return URLFetcherResponse(
            url=path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
        )


def thumbnail_jpeg(raw: bytes, max_px: int = PHOTO_MAX_PX) -> bytes:
    """Decode an uploaded photo with Pillow and re-encode it as a small RGB JPEG.

    Re-encoding both bounds the PDF size and means WeasyPrint never parses user bytes.
    """
    try:
        with Image.open(io.BytesIO(raw)) as source:
            # JPEG draft mode decodes at a reduced scale (1/2, 1/4, 1/8): several times faster
            # than full size. Ask for the thumbnail's own size, not the max_px square: Pillow
            # only picks a scale at which *both* sides stay ≥ the request, so (800, 800) never
            # reduced a 4:3 photo whose short side is < 1600 px.
            scale = max_px / max(source.size)
            if scale < 1:
                source.draft("RGB", (int(source.width * scale), int(source.height * scale)))
            image = ImageOps.exif_transpose(source)
            image.thumbnail((max_px, max_px))
            if image.mode != "RGB":
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=PHOTO_JPEG_QUALITY, optimize=True)
    except Exception as exc:  # Pillow raises many types for broken input
        raise ReportAssetError(f"照片无法解码: {exc}") from exc
    return out.getvalue()


# ---------------------------------------------------------------------------
# WeasyPrint log capture


class _ThreadRecords(logging.Handler):
    """Collect WeasyPrint records emitted by one thread (the logger is process-global)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.thread = threading.get_ident()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.records.append(record)


@contextlib.contextmanager
def capture_weasyprint_log() -> Iterator[list[logging.LogRecord]]:
    """Collect WeasyPrint warnings and errors raised in this thread while the block runs."""
    logger = logging.getLogger("weasyprint")
    handler = _ThreadRecords()
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


def _is_missing_glyph(record: logging.LogRecord) -> bool:
    return ".notdef glyph" in str(record.msg)


def _check_records(records: list[logging.LogRecord]) -> None:
    missing = [r.getMessage() for r in records if _is_missing_glyph(r)]
    errors = [
        r.getMessage() for r in records if r.levelno >= logging.ERROR and not _is_missing_glyph(r)
    ]
    if errors:
        raise ReportRenderError("生成 PDF 时出错: " + "; ".join(errors[:5]))
    if missing:
        raise MissingGlyphError("字体缺少字符，PDF 中会显示为方框: " + "; ".join(missing[:5]))
    for record in records:
        if record.levelno < logging.ERROR and not _is_missing_glyph(record):
            log.warning("WeasyPrint: %s", record.getMessage())


# ---------------------------------------------------------------------------
# Fonts embedded in the PDF


def _normalized(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _resolved(value):
    """A PDF object with any indirect reference followed (``get`` and iteration do not)."""
    return value.get_object() if value is not None else None


def embedded_fonts(pdf: bytes) -> set[str]:
    """The ``BaseFont`` names (subset tag removed) of every font a PDF's pages use.

    Walks each page's resources and the form XObjects, patterns and Type 3 fonts inside them,
    which is everywhere a content stream can pick a font.
    """
    names: set[str] = set()
    seen: set[int] = set()

    def resources(res) -> None:
        res = _resolved(res)
        if not isinstance(res, generic.DictionaryObject) or id(res) in seen:
            return
        seen.add(id(res))
        for ref in (_resolved(res.get("/Font")) or {}).values():
            font = _resolved(ref)
            base = str(_resolved(font.get("/BaseFont")) or _resolved(font.get("/Name")) or "?")
            names.add(base.lstrip("/").split("+", 1)[-1])
            resources(font.get("/Resources"))
        for category in ("/XObject", "/Pattern"):
            for ref in (_resolved(res.get(category)) or {}).values():
                entry = _resolved(ref)
                if isinstance(entry, generic.DictionaryObject):
                    resources(entry.get("/Resources"))

    def pages(node, inherited) -> None:
        node = _resolved(node)
        own = node.get("/Resources", inherited)
        if node.get("/Type") == "/Pages":
            for kid in _resolved(node["/Kids"]):
                pages(kid, own)
        else:
            resources(own)

    try:
        pages(PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"], None)
    except (PdfError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReportRenderError(f"生成的 PDF 无法读取: {exc}") from exc
    return names


def check_embedded_fonts(pdf: bytes) -> None:
    """Refuse a PDF that embeds a font outside the document stack.

    A fallback font (DejaVu Sans, in issue 12) means fontconfig chose another font than the
    stylesheet names: Chinese drawn with it is boxes, and WeasyPrint does not always warn.
    """
    allowed = [_normalized(font.family) for font in document_fonts()]
    foreign = sorted(
        name for name in embedded_fonts(pdf) if not _normalized(name).startswith(tuple(allowed))
    )
    if foreign:
        raise MissingGlyphError(
            f"PDF 中使用了指定字体以外的字体（{'、'.join(foreign)}），部分文字可能显示为方框，"
            "文件未签发"
        )


# WeasyPrint's user-agent stylesheet has universal rules for footnote and note
# pseudo-elements (``::footnote-call``, ``::note-marker``, …). They match *every* element, and
# WeasyPrint computes a full style for each matched pseudo-element: five extra computed
# styles per table cell, about a fifth of a report's rendering time. Reports use neither
# footnotes nor notes, so they get the same stylesheet without those rules.
_UNUSED_UA_RULES = re.compile(
    r"^::(?:footnote-call|footnote-marker|note-call|note-marker|note-callback)\s*\{[^}]*\}\s*$",
    re.M,
)


@functools.cache
def _report_ua_stylesheets() -> tuple[CSS, ...] | None:
    """WeasyPrint's own UA stylesheet minus the note rules; ``None`` to keep the default."""
    try:
        text = (files(weasyprint.css) / "html5_ua.css").read_text("utf-8")
    except OSError:  # pragma: no cover - an unusual WeasyPrint install
        return None
    trimmed, count = _UNUSED_UA_RULES.subn("", text)
    if not count:  # another WeasyPrint version: nothing to trim
        return None
    # A private CounterStyle: the shared UA one already holds these @counter-style rules.
    return (CSS(string=trimmed, counter_style=CounterStyle()),)


_css_lock = threading.Lock()
_css_cache: dict[Path, tuple[int, CSS]] = {}


def report_stylesheet(path: Path = TEMPLATE_DIR / "report.css") -> CSS:
    """``report.css`` parsed once per process (re-parsed when the file changes).

    ``_base.html`` does not link it: parsing it for every document cost more than laying
    out a page of the report. It is passed as a user stylesheet, which only matters against
    the document's own ``<style>`` (bulletin.html), which wins as it did when it came after
    the ``<link>``. ``CSS`` objects are read-only once built and are shared between threads.
    """
    mtime = path.stat().st_mtime_ns
    with _css_lock:
        cached = _css_cache.get(path)
        if cached is None or cached[0] != mtime:
            # No font_config: the sheet has no @font-face (fonts come from fontconfig), and
            # each render has its own FontConfiguration.
            sheet = CSS(
                filename=str(path),
                url_fetcher=ReportURLFetcher(None),
                counter_style=CounterStyle(),
            )
            cached = _css_cache[path] = (mtime, sheet)
        return cached[1]


class _ReportHTML(HTML):
    """``HTML`` with the trimmed user-agent stylesheet (forms keep WeasyPrint's default)."""

    def _ua_stylesheets(self, forms=False):
        sheets = None if forms else _report_ua_stylesheets()
        return list(sheets) if sheets else super()._ua_stylesheets(forms)


# The process-wide lock around all WeasyPrint work (see the module docstring). Waiting longer
# than this means a render is stuck; the caller gets an error it can retry rather than a hang.
_render_lock = threading.Lock()
RENDER_WAIT_SECONDS = 300


def html_to_pdf(html: str, *, photo_loader: PhotoLoader | None = None) -> bytes:
    """Lay out report HTML with the locked-down fetcher; glyph-complete or an error.

    Raises :class:`MissingGlyphError` when the PDF would show a box or embeds a font outside
    the document stack, :class:`ReportAssetError` for a refused or unreadable asset.
    """
    check_cjk_font()
    fetcher = ReportURLFetcher(photo_loader)
    if not _render_lock.acquire(timeout=RENDER_WAIT_SECONDS):
        raise ReportRenderError("排版服务繁忙（等待其他文件排版超时），请稍后重试")
    try:
        with capture_weasyprint_log() as records:
            document = _ReportHTML(
                string=html, base_url=TEMPLATE_DIR.as_uri() + "/", url_fetcher=fetcher
            )
            pdf = document.write_pdf(
                font_config=FontConfiguration(), stylesheets=[report_stylesheet()]
            )
            del document  # its Pango objects are freed here, under the lock
    except FatalURLFetchingError as exc:
        cause = exc.__cause__
        if isinstance(cause, ReportError):
            raise ReportAssetError(str(cause)) from cause
        raise ReportAssetError(f"{exc}: {cause}") from cause
    finally:
        _render_lock.release()
    _check_records(records)
    check_embedded_fonts(pdf)
    return pdf
