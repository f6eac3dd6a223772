"""Render inspection reports and rectification notices to PDF (HTML → WeasyPrint).

A library: no Flask, no database. The caller gathers everything into a plain ``dict`` (the
*context*, below), hands over a ``photo_loader`` for photo bytes, and gets PDF bytes back.
The PDF is unsigned; :mod:`inspect_app.documents.signing` signs it.

Nothing the templates reference may reach the network or the file system: the URL fetcher
allows only the report assets (``templates/reports/``, ``static/reports/``), photos through
the ``photo:<sha256>`` scheme (resolved by ``photo_loader`` and re-encoded as JPEG
thumbnails) and ``data:image/png`` / ``data:image/jpeg`` URIs (QR codes, signatures).
Anything else stops the rendering with :class:`ReportAssetError`.

Report context (``render_report``)
----------------------------------
::

    {
      "bureau": "青川县教育局",                  # str, or {"name": ..., "office": "青川县人民政府教育督导室"}
      "report_no": "青教督〔2026〕017号",        # optional document number
      "report_version": 1,                      # int, 1 for the first issue
      "supersedes": None,                       # or {"report_no"|"id": ..., "version": 1, "reason": "..."}
      "issued_at": "2026-03-18 16:20",          # optional; str, date or datetime
      "inspection": {
        "id": "6f1c…",                          # the inspection UUID
        "date": "2026-03-18",                   # str "YYYY-MM-DD" or date
        "type": "责任督学经常性督导",
        "inspectors": ["王建国", {"name": "李芳", "title": "责任督学"}],   # str or {name, title}
        "location": "青川县乔庄镇中心小学",
      },
      "school": {"name": ..., "code": ..., "stage": "小学", "address": ..., "principal": ...,
                 "phone": ..., "enrolment": 1286, "boarding": True, "township_central": True},
      "checklist": {"title": ..., "version": "2026.1", "hash": "<sha256 hex>"},
      "result": {...},                          # the scoring Result, docs/checklist-contract.md
      "notes": {"<item_id>": "free text"},      # inspector notes per item (escaped, shown literally)
      "photos": {"<item_id>": [{"sha256": "<hex>", "caption": "厨房操作间",
                  "stamp": "2026-03-18 10:31（北京时间） · 26.58000, 107.51000 ±15 米",  # optional
                  "warnings": ["拍摄时间…"]}]},   # optional: doubts about the stamp
      "bulk_confirmed": ["<item_id>", ...],     # optional: answers set by 本部分其余项均符合
      "rectifications": [                       # optional; default: result["rectifications"]
        {"item": ..., "problem": ..., "basis": ..., "action": ..., "owner": "校长",
         "deadline": "2026-05-17"},             # or "days": 60 → deadline = inspection date + days
      ],
      "interviews": [                           # optional: 座谈 records (inspections/interviews.py)
        {"group": "教师", "participants": 6, "topics": "待遇、培训",
         "statements": [{"text": "...", "finding": False}, {"text": "...", "finding": True, ...}]},
      ],
      "surveys": [                              # optional: survey rounds opened for this inspection
        {"title": "...", "min_responses": 5, "groups": [...]},   # surveys/results.py groups
      ],
      "signatures": [
        {"role": "inspector" | "school", "name": "王建国", "title": "责任督学",
         "signed_at": "2026-03-18 16:05", "png": b"..." or "data:image/png;base64,..."},
      ],
      "verify_url": "https://jyj.example.gov.cn/verify/6f1c…",
    }

Notice context (``render_notice``)
----------------------------------
The same ``bureau``, ``school``, ``inspection`` and ``rectifications`` (with deadlines), plus
``"notice_no"`` (optional), ``"issued_on"`` (date of the notice; default today),
``"reply_days"`` (optional: report back within N days after the last deadline),
``"contact"`` (optional: ``{"name", "phone"}``) and ``"rectification_url"`` (QR target).

Glyphs: a document is only ever set in the fonts of :func:`fonts.document_fonts` (Noto Sans
CJK SC, then the emoji and symbol fonts when installed). Text the templates print that none of
them can draw (a rare character or a new emoji in a note) is replaced by its code, e.g.
``[U+1F972]``, logged, and listed in a note at the end of the document (:func:`printable`).
Anything that still comes out wrong stops the document with :class:`MissingGlyphError` before
it can be signed: a ``.notdef`` box (WeasyPrint's warning) or any other font embedded in the
PDF (how a fontconfig fallback shows).

One document is laid out at a time per process (:data:`_render_lock`), each with its own
``FontConfiguration``: Pango, fontconfig and FreeType state is not safe to share between
threads. Measured before the lock (issue 12): four threads rendering at once embedded DejaVu
Sans for Chinese headings in half the documents, with no warning, and six threads hung.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import contextvars
import datetime as dt
import functools
import io
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
import weasyprint.css
from markupsafe import Markup
from PIL import Image, ImageOps
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from inspect_app.checklist.scoring import OUTCOME_NAMES
from inspect_app.documents.fonts import (
    CJK_FAMILY,
    check_cjk_font,
    document_fonts,
    drawable_characters,
)
from inspect_app.documents.qr import qr_data_uri

log = logging.getLogger("inspect_app.documents")

_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = _ROOT / "templates" / "reports"
ASSET_DIRS = (TEMPLATE_DIR, _ROOT / "static" / "reports")

PHOTO_SCHEME = "photo"
PHOTO_MAX_PX = 800  # thumbnails print 8 cm wide: 800 px is ~250 dpi
PHOTO_JPEG_QUALITY = 72
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_DATA_URI_RE = re.compile(r"^data:(image/(?:png|jpeg))(;base64)?,(.*)$", re.S)

PhotoLoader = Callable[[str], bytes]


class ReportError(Exception):
    """Base class of the document layer's errors."""


class ReportAssetError(ReportError):
    """A template referenced something the fetcher refuses, or a photo could not be loaded."""


class ReportRenderError(ReportError):
    """WeasyPrint reported an error while rendering (e.g. an unreadable image)."""


class MissingGlyphError(ReportRenderError):
    """The PDF would show a box for a character, or embeds a font outside the stack.

    Such a PDF is never signed; the message (Chinese) names the characters or the font.
    """


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
        if not _SHA256_RE.match(sha):
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


# ---------------------------------------------------------------------------
# Characters no font of the stack can draw

# The characters the template being rendered replaced, in order of first appearance (one list
# per render_html call; a contextvar so that threads rendering templates never mix them).
_replaced: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "replaced", default=None
)


def character_code(char: str) -> str:
    """How an undrawable character is printed instead: ``[U+1F972]``."""
    return f"[U+{ord(char):04X}]"


def printable(value: Any) -> Any:
    """Jinja's ``finalize``: each printed value with undrawable characters replaced by codes.

    Every value a template prints passes here (names, notes, captions, commentary), so a
    character no font has never reaches WeasyPrint as a silent ``.notdef`` box. The codes are
    ASCII, so a ``Markup`` value stays safe markup.
    """
    if not isinstance(value, str):
        return value
    missing = set(value).difference(drawable_characters())
    if not missing:
        return value
    replaced = _replaced.get()
    if replaced is not None:
        replaced.extend(sorted(c for c in missing if c not in replaced))
    text = "".join(character_code(c) if c in missing else c for c in value)
    return Markup(text) if isinstance(value, Markup) else text


def _replaced_characters() -> list[str]:
    """For ``_base.html``'s closing note: codes of the characters replaced so far."""
    return [character_code(c) for c in _replaced.get() or []]


# ---------------------------------------------------------------------------
# Jinja environment and context preparation

ROLE_LABELS = {"inspector": "督学", "school": "学校负责人"}


def _num(value: Any, decimals: int = 1) -> str:
    """Format a score: 87.5 → "87.5", 5.0 → "5", None → "—"."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    text = f"{float(value):.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _date(value: Any) -> str:
    """Dates as 2026年3月18日 (how Chinese official documents write them)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value.year}年{value.month}月{value.day}日"


def _datetime(value: Any) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return f"{_date(value)} {value:%H:%M}"
    return _date(value)


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _png_uri(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        return "data:image/png;base64," + base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, str) and value.startswith("data:image/"):
        return value
    raise ReportError("签名图片必须是 PNG 字节或 data:image/png URI")


_env: jinja2.Environment | None = None
_env_lock = threading.Lock()


def environment() -> jinja2.Environment:
    """The document layer's own Jinja2 environment (autoescaping on, strict undefined)."""
    global _env
    with _env_lock:
        if _env is None:
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
                autoescape=True,
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                finalize=printable,
            )
            env.filters.update(num=_num, cn_date=_date, cn_datetime=_datetime)
            env.globals.update(
                outcome_labels=OUTCOME_NAMES,
                role_labels=ROLE_LABELS,
                font_family=CJK_FAMILY,
                replaced_characters=_replaced_characters,
            )
            _env = env
        return _env


def _bureau(context: dict) -> dict:
    bureau = context.get("bureau") or ""
    if isinstance(bureau, str):
        return {"name": bureau, "office": ""}
    return {"name": bureau.get("name", ""), "office": bureau.get("office", "")}


def _inspectors(inspection: dict) -> list[dict]:
    people = []
    for person in inspection.get("inspectors") or []:
        if isinstance(person, str):
            people.append({"name": person, "title": ""})
        else:
            people.append({"name": person.get("name", ""), "title": person.get("title", "")})
    return people


def rectifications_with_deadlines(context: dict) -> list[dict]:
    """The context's rectifications (or the Result's) with a ``deadline`` date on each.

    An entry with ``days`` and no ``deadline`` is due ``days`` after the inspection date.
    """
    source = context.get("rectifications")
    if source is None:
        source = (context.get("result") or {}).get("rectifications") or []
    start = _parse_date((context.get("inspection") or {}).get("date"))
    rows = []
    for entry in source:
        row = dict(entry)
        deadline = _parse_date(row.get("deadline"))
        if deadline is None and row.get("days") is not None and start is not None:
            deadline = start + dt.timedelta(days=int(row["days"]))
        row["deadline"] = deadline
        rows.append(row)
    return rows


def _section_rows(
    result: dict, notes: dict, photos: dict, bulk: frozenset[str] = frozenset()
) -> list[dict]:
    """Group the Result's items under their sections, in section order."""
    by_section: dict[str, list[dict]] = {}
    for item_id, item in (result.get("items") or {}).items():
        row = dict(
            item,
            id=item_id,
            note=notes.get(item_id) or "",
            photo_count=len(photos.get(item_id) or []),
            bulk=item_id in bulk,
        )
        by_section.setdefault(item.get("section"), []).append(row)
    sections = []
    for section in result.get("sections") or []:
        # Recomputed from earned/possible so the bar never depends on percent's scale.
        possible = section.get("possible") or 0
        percent = (section.get("earned") or 0) / possible * 100 if possible else None
        sections.append(dict(section, percent=percent, rows=by_section.pop(section.get("id"), [])))
    for section_id, rows in by_section.items():  # items whose section is not listed
        sections.append(
            {
                "id": section_id,
                "title": section_id or "其他",
                "rows": rows,
                "applicable": True,
                "percent": None,
            }
        )
    return sections


def _report_view(context: dict) -> dict:
    result = context.get("result") or {}
    notes = context.get("notes") or {}
    photos = context.get("photos") or {}
    items = result.get("items") or {}
    # only answered items count: a bulk answer is an answer the inspector confirmed in bulk
    bulk = frozenset(
        i
        for i in context.get("bulk_confirmed") or ()
        if (items.get(i) or {}).get("outcome") == "pass"
    )
    checklist = dict(result.get("checklist") or {}, **(context.get("checklist") or {}))
    inspection = dict(context.get("inspection") or {})
    inspection["inspectors"] = _inspectors(inspection)
    photo_rows = []
    for item_id, entries in photos.items():
        label = (items.get(item_id) or {}).get("label", item_id)
        for entry in entries:
            sha = str(entry["sha256"]).lower()
            if not _SHA256_RE.match(sha):
                raise ReportError(f"照片编号无效: {sha[:20]}")
            photo_rows.append(
                {
                    "src": f"{PHOTO_SCHEME}:{sha}",
                    "caption": entry.get("caption") or "",
                    "item_label": label,
                    "sha256": sha,
                    "stamp": entry.get("stamp") or "",
                    "warnings": list(entry.get("warnings") or []),
                }
            )
    signatures = []
    for sig in context.get("signatures") or []:
        signatures.append(
            dict(
                sig,
                png=_png_uri(sig.get("png") or sig.get("png_bytes")),
                role_label=ROLE_LABELS.get(sig.get("role"), sig.get("role", "")),
            )
        )
    verify_url = context.get("verify_url") or ""
    return {
        "bureau": _bureau(context),
        "report_no": context.get("report_no") or "",
        "report_version": int(context.get("report_version") or 1),
        "supersedes": context.get("supersedes"),
        "issued_at": context.get("issued_at"),
        "inspection": inspection,
        "school": context.get("school") or {},
        "checklist": checklist,
        "result": result,
        "sections": _section_rows(result, notes, photos, bulk),
        "bulk_count": len(bulk),
        "findings": result.get("findings") or [],
        "vetoes": result.get("vetoes") or [],
        "rectifications": rectifications_with_deadlines(context),
        "photos": photo_rows,
        "interviews": context.get("interviews") or [],
        "surveys": context.get("surveys") or [],
        "signatures": signatures,
        "verify_url": verify_url,
        "verify_qr": qr_data_uri(verify_url) if verify_url else None,
    }


def _notice_view(context: dict) -> dict:
    inspection = dict(context.get("inspection") or {})
    inspection["inspectors"] = _inspectors(inspection)
    rows = rectifications_with_deadlines(context)
    deadlines = [r["deadline"] for r in rows if r["deadline"]]
    url = context.get("rectification_url") or ""
    return {
        "bureau": _bureau(context),
        "notice_no": context.get("notice_no") or "",
        "issued_on": _parse_date(context.get("issued_on")) or dt.date.today(),
        "reply_days": context.get("reply_days"),
        "contact": context.get("contact"),
        "school": context.get("school") or {},
        "inspection": inspection,
        "rectifications": rows,
        "last_deadline": max(deadlines) if deadlines else None,
        "rectification_url": url,
        "rectification_qr": qr_data_uri(url) if url else None,
    }


# ---------------------------------------------------------------------------
# Public API


def render_html(template: str, view: dict) -> str:
    """Render one of the ``templates/reports/`` templates to an HTML string.

    Characters no document font can draw come out as codes (:func:`printable`); they are
    logged here and listed at the end of the document by ``_base.html``.
    """
    replaced: list[str] = []
    token = _replaced.set(replaced)
    try:
        html = environment().get_template(template).render(**view)
    finally:
        _replaced.reset(token)
    if replaced:
        log.warning(
            "%s: characters no installed font can draw were printed as codes: %s",
            template,
            " ".join(character_code(c) for c in replaced),
        )
    return html


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


def report_html(context: dict) -> str:
    """The report's HTML, as :func:`render_report` lays it out (its Word copy is made from it)."""
    return render_html("report.html", _report_view(context))


def notice_html(context: dict) -> str:
    """The notice's HTML, as :func:`render_notice` lays it out."""
    return render_html("notice.html", _notice_view(context))


def _rectification_report_view(context: dict) -> dict:
    return {
        "bureau": _bureau(context),
        "school": context.get("school") or {},
        "inspection": dict(context.get("inspection") or {}),
        "report_no": context.get("report_no") or "",
        "report_version": context.get("report_version") or 1,
        "supersedes": context.get("supersedes"),
        "notice_no": context.get("notice_no") or "",
        "summary": context.get("summary") or "",
        "items": context.get("items") or [],
        "attachments": context.get("attachments") or [],
        "submitted_on": _parse_date(context.get("submitted_on")) or dt.date.today(),
        "submitted_by": context.get("submitted_by") or "",
    }


def rectification_report_html(context: dict) -> str:
    """The school's 整改报告 as HTML: what :func:`render_rectification_report` lays out."""
    return render_html("rectification_report.html", _rectification_report_view(context))


def render_rectification_report(context: dict) -> bytes:
    """Render a school's 整改报告 for one inspection (its items' measures) to PDF bytes."""
    return html_to_pdf(rectification_report_html(context))


def render_report(context: dict, *, photo_loader: PhotoLoader) -> bytes:
    """Render the inspection report (督导检查报告) described by ``context`` to PDF bytes.

    ``photo_loader(sha256_hex) -> bytes`` returns a stored photo's original bytes.
    """
    return html_to_pdf(render_html("report.html", _report_view(context)), photo_loader=photo_loader)


def render_notice(context: dict) -> bytes:
    """Render the rectification notice (整改通知书) for the school to PDF bytes."""
    return html_to_pdf(render_html("notice.html", _notice_view(context)))
