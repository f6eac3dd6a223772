"""The 回头看记录 as a PDF: a visit's results item by item, both signatures, its photos.

An issued document like the others: the document worker (documents/worker.py) issues it once
the visit is received, under its own 文号 (``followup_record`` in DOCUMENT_NUMBER_PATTERNS),
signed with the bureau's key, stored once, and verifiable through its QR on /verify. It goes
through the same locked-down HTML → PDF path as the reports.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping

from sqlite_utils import Database

from inspect_app.documents import issuing, numbering
from inspect_app.documents.qr import qr_data_uri
from inspect_app.documents.render import PHOTO_SCHEME, html_to_pdf, render_html
from inspect_app.documents.signing import sign_pdf
from inspect_app.inspections import stamps as stamp_rules
from inspect_app.rectification import followup_rules
from inspect_app.storage import followups, media, reports

KIND = "followup_record"

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
    doc_number: str = "",
    verify_url: str = "",
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
         "figures": figures, "signatures": signers, "result_names": result_names,
         "doc_number": doc_number, "verify_url": verify_url,
         "verify_qr": qr_data_uri(verify_url) if verify_url else None},
    )  # fmt: skip
    return html_to_pdf(html, photo_loader=photo_loader)


def issue(db: Database, config: Mapping, visit_id: str) -> dict:
    """Issue the visit's 回头看记录 unless it is on record; returns its ``reports`` row.

    Safe from several processes at once: the unique (subject, kind, version) index lets one
    issue win (the loser's IntegrityError gives its number back; the caller reads the winner).
    """
    existing = reports.current(db, visit_id, KIND)
    if existing is not None:
        followups.mark_recorded(db, visit_id, existing["id"])
        return existing
    visit = followups.get(db, visit_id)
    if visit is None:
        raise LookupError(f"followup visit {visit_id}")
    base_url = config["PUBLIC_URL"].rstrip("/")

    def photo(sha256: str) -> bytes:
        row = media.get(db, sha256)
        if row is None:
            raise LookupError("照片未入库")
        return media.read(config["MEDIA_DIR"], row)

    report_id = str(uuid.uuid4())
    with numbering.numbered(db, config, KIND, report_id) as doc_number:
        pdf = render_followup_record(
            bureau={"name": config["BUREAU_NAME"],
                    "office": config.get("BUREAU_OFFICE") or f"{config['BUREAU_NAME']}督导室"},
            visit=visit, results=followups.results(db, visit_id),
            photos=followups.photos(db, visit_id), signatures=followups.signatures(db, visit_id),
            result_names=followup_rules.RESULTS, photo_loader=photo,
            doc_number=doc_number, verify_url=f"{base_url}/verify/{report_id}",
        )  # fmt: skip
        signed = sign_pdf(
            pdf, issuing.signer(config),
            reason=f"{config['BUREAU_NAME']}签发回头看记录", location=config.get("COUNTY_NAME", ""),
        )  # fmt: skip
        row = reports.store(
            db, config["REPORTS_DIR"], report_id=report_id, kind=KIND, subject_id=visit_id,
            school_id=visit["school_id"], version=1, sha256=hashlib.sha256(signed).hexdigest(),
            pdf=signed, doc_number=doc_number,
            # the visit marked recorded with it: never a record the visit does not point at
            along=lambda tx: followups.mark_recorded(tx, visit_id, report_id),
        )  # fmt: skip
    return row
