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

The layout itself, with WeasyPrint, is :mod:`inspect_app.documents.layout`. One document is
laid out at a time per process (its ``_render_lock``), each with its own ``FontConfiguration``:
Pango, fontconfig and FreeType state is not safe to share between threads. Measured before
the lock (issue 12): four threads rendering at once embedded DejaVu Sans for Chinese headings
in half the documents, with no warning, and six threads hung.
"""

from __future__ import annotations

import base64
import contextvars
import datetime as dt
import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from inspect_app.checklist.formatting import format_number, round_half_away
from inspect_app.checklist.scoring import OUTCOME_NAMES
from inspect_app.documents.fonts import CJK_FAMILY, drawable_characters
from inspect_app.documents.qr import qr_data_uri

log = logging.getLogger("inspect_app.documents")

_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = _ROOT / "templates" / "reports"
ASSET_DIRS = (TEMPLATE_DIR, _ROOT / "static" / "reports")

PHOTO_SCHEME = "photo"
PHOTO_MAX_PX = 800  # thumbnails print 8 cm wide: 800 px is ~250 dpi
PHOTO_JPEG_QUALITY = 72
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")

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
    """Format a score: 87.5 → "87.5", 5.0 → "5", None → "—"; halves away from zero, as the
    scoring engines and every page round (Python's own format rounds 81.25 to 81.2)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    return format_number(float(value), decimals)


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
        # From earned/possible, rounded as the ranking and the exports round it (bureau/figures),
        # so the report prints the section's percentage they print.
        possible = section.get("possible") or 0
        earned = section.get("earned") or 0
        percent = round_half_away(earned / possible * 100, 1) if possible else None
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
            if not SHA256_RE.match(sha):
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


def html_to_pdf(html: str, *, photo_loader: PhotoLoader | None = None) -> bytes:
    """Lay out report HTML with the locked-down fetcher; glyph-complete or an error
    (:func:`inspect_app.documents.layout.html_to_pdf`).

    WeasyPrint and pyHanko load here, at a process's first document, not when the app
    starts: the processes that never lay out a page (every CLI command, the serving
    supervisor) start about a second sooner. gunicorn's master loads them before it forks.
    """
    from inspect_app.documents import layout

    return layout.html_to_pdf(html, photo_loader=photo_loader)


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
