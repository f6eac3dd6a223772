"""The 回头看记录 as a PDF: a visit's results item by item, both signatures, its photos.

Rendered when asked for (it is a record of the visit, not an issued document: no number, no
seal), through the same locked-down HTML → PDF path as the reports.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from inspect_app.documents.render import PHOTO_SCHEME, html_to_pdf, render_html
from inspect_app.inspections import stamps as stamp_rules

ROLE_LABELS = {"inspector": "督学", "school": "学校代表"}


def photo_stamp(photo: dict) -> tuple[str, list[str]]:
    """A ``followup_photos`` row's caption line (time, place) and its stamp's doubts.

    Visits received before stamps were checked (0033) kept the phone's data as sent: it is read
    through the same check, and data that fails it is not printed as if it were evidence.
    """
    warnings = json.loads(photo.get("stamp_warnings") or "[]")
    if not photo.get("stamp"):
        return stamp_rules.caption(None), warnings
    try:
        clean = stamp_rules.clean(json.loads(photo["stamp"]))
    except (ValueError, stamp_rules.StampRejected):
        return "水印数据无效，未采信", warnings
    return stamp_rules.caption(clean), warnings


def render_followup_record(
    *,
    bureau: dict,
    visit: dict,
    results: list[dict],
    photos: list[dict],
    signatures: dict[str, dict],
    result_names: dict[str, str],
    photo_loader: Callable[[str], bytes],
) -> bytes:
    """``photo_loader(sha256)`` returns a stored photo's bytes (photos as ``followup_photos`` rows)."""
    numbers = {r["rectification_id"]: r["number"] or str(r["seq"]) for r in results}
    figures: list[dict] = []
    by_item: dict[int, list[dict]] = {}
    for n, p in enumerate(photos, start=1):
        line, warnings = photo_stamp(p)
        figure = {"figure": n, "src": f"{PHOTO_SCHEME}:{p['photo_sha256']}",
                  "number": numbers.get(p["rectification_id"], ""),
                  "stamp": line, "warnings": warnings}  # fmt: skip
        figures.append(figure)
        by_item.setdefault(p["rectification_id"], []).append(figure)
    signers = []
    for role in ("inspector", "school"):
        sig = signatures.get(role)
        png = f"data:image/png;base64,{base64.b64encode(sig['png']).decode()}" if sig else None
        signers.append(
            {"role_label": ROLE_LABELS[role], "png": png, "name": sig["name"] if sig else "",
             "title": sig["title"] if sig else "",
             "absent_reason": visit["school_absent_reason"] if role == "school" and not sig else ""}
        )  # fmt: skip
    html = render_html(
        "followup.html",
        {"bureau": bureau, "visit": visit, "results": results, "photos": by_item,
         "figures": figures, "signatures": signers, "result_names": result_names},
    )  # fmt: skip
    return html_to_pdf(html, photo_loader=photo_loader)
