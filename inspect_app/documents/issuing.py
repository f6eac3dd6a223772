"""Issuing the signed documents of a received inspection: the report and the rectification notice.

Rendered once, signed with the bureau's key, stored with their SHA-256 and served as stored.
A correction issues a new version that supersedes the old; both stay on record.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from sqlite_utils import Database

from inspect_app.common.clock import local_time
from inspect_app.common.vocabulary import REPORT_STATUS as STATUS_NAMES
from inspect_app.documents import numbering, word
from inspect_app.documents.render import (
    notice_html,
    rectification_report_html,
    render_notice,
    render_rectification_report,
    render_report,
    report_html,
)
from inspect_app.documents.signing import KEY_FILES, init_keys, load_signer, sign_pdf
from inspect_app.inspections import interviews
from inspect_app.inspections import stamps as stamp_rules
from inspect_app.storage import (
    checklists,
    inspections,
    media,
    rectification_reports,
    reports,
    schools,
)
from inspect_app.storage import surveys as stored_surveys
from inspect_app.surveys import gathering as survey_results

log = logging.getLogger(__name__)


def _local_date(value: str) -> str:
    """The Beijing date of a stored UTC stamp: the first hours of a day there are still the
    day before in UTC, and a document dated by the stamp's own calendar said so."""
    return local_time(value)[:10]


def key_paths(config: Mapping) -> dict:
    """The configured signing material, or the instance's own keys (created on first use)."""
    if config.get("SIGNING_P12") or config.get("SIGNING_KEY"):
        return {
            "key": config.get("SIGNING_KEY"),
            "cert": config.get("SIGNING_CERT"),
            "p12": config.get("SIGNING_P12"),
            "ca_cert": config.get("SIGNING_CA"),
            "passphrase": config.get("SIGNING_PASSPHRASE"),
        }
    directory = Path(config["KEYS_DIR"])
    if not (directory / KEY_FILES["cert"]).exists():
        log.warning("no signing keys configured; creating a self-signed authority in %s", directory)
        init_keys(directory, organization=config["BUREAU_NAME"])
    return {
        "key": directory / KEY_FILES["key"],
        "cert": directory / KEY_FILES["cert"],
        "p12": None,
        "ca_cert": directory / KEY_FILES["ca_cert"],
        "passphrase": None,
    }


@lru_cache(maxsize=4)
def _signer(key, cert, p12, ca_cert, passphrase):
    return load_signer(
        key_path=key, cert_path=cert, ca_path=ca_cert, p12_path=p12, passphrase=passphrase
    )


def signer(config: Mapping):
    paths = key_paths(config)
    return _signer(
        *(str(paths[k]) if paths[k] else None for k in ("key", "cert", "p12", "ca_cert")),
        paths["passphrase"],
    )


def trust_roots(config: Mapping) -> list[str]:
    return [str(key_paths(config)["ca_cert"])]


def _bureau(config: Mapping) -> dict:
    return {
        "name": config["BUREAU_NAME"],
        "office": config.get("BUREAU_OFFICE") or f"{config['BUREAU_NAME']}督导室",
    }


def _base_context(db: Database, config: Mapping, inspection: dict) -> dict:
    school = schools.get(db, inspection["school_id"])
    if school is None:
        raise LookupError(f"school {inspection['school_id']} of inspection {inspection['id']}")
    signatures = inspections.signatures(db, inspection["id"])
    inspector_sig = next((s for s in signatures if s["role"] == "inspector"), None)
    location = json.loads(inspection["location"] or "null")
    return {
        "bureau": _bureau(config),
        "school": school,
        "inspection": {
            "id": inspection["id"],
            "date": inspection["date"],
            "type": inspection["type"],
            "inspectors": [
                {
                    "name": inspector_sig["name"]
                    if inspector_sig
                    else inspection["inspector_name"],
                    "title": (inspector_sig or {}).get("title") or "督学",
                }
            ],  # fmt: skip
            "location": school["address"] or school["name"]
            if location
            else f"{school['name']}（未定位：{inspection['location_note']}）",
        },
        "signatures": [
            {
                "role": s["role"],
                "name": s["name"],
                "title": s["title"],
                "signed_at": local_time(s["signed_at"]),
                "png": s["png"],
            }
            for s in signatures
        ],  # fmt: skip
    }


def _rectification_rows(db: Database, inspection_id: str) -> list[dict]:
    return [
        {"item": r["item_id"], "problem": r["problem"], "basis": r["basis"], "action": r["action"],
         "unit": r["unit_name"] or "学校", "owner": r["owner"], "deadline": r["deadline"]}
        for r in inspections.rectifications(db, inspection_id)
    ]  # fmt: skip


def _surveys(db: Database, config: Mapping, inspection: dict) -> list[dict]:
    """Survey rounds opened for this inspection, with the school's results at the time of
    issue (a report issued before the answers came in has none; a later version does)."""
    threshold = int(config.get("SURVEY_MIN_RESPONSES", 5))
    out = []
    for round_row in stored_surveys.inspection_rounds(db, inspection["id"]):
        result = survey_results.school_result(db, round_row, inspection["school_id"], threshold)
        if result is not None:
            out.append({"title": round_row["title"], "min_responses": threshold,
                        "groups": result["results"]["groups"]})  # fmt: skip
    return out


def _survey_closed_since(db: Database, config: Mapping, inspection_id: str) -> bool:
    """Whether a round opened for the inspection has closed with figures no report carries."""
    inspection = inspections.get(db, inspection_id)
    unreported = [
        r
        for r in stored_surveys.inspection_rounds(db, inspection_id)
        if r["status"] == "closed" and not r["report_id"]
    ]
    return bool(unreported) and inspection is not None and bool(_surveys(db, config, inspection))


def _interviews(inspection: dict) -> list[dict]:
    """The 座谈 records the inspection was received with (checked then; payload is stored whole)."""
    payload = json.loads(inspection.get("payload") or "{}")
    cleaned, _ = interviews.clean(payload.get("interviews"))
    return cleaned


def _issue(db: Database, config: Mapping, inspection: dict, kind: str, render) -> dict:
    history = reports.for_subject(db, inspection["id"], kind)
    report_id = str(uuid.uuid4())
    version = len(history) + 1
    previous = next((r for r in reversed(history) if r["status"] == "valid"), None)
    title = {"report": "督导检查报告", "rectification_report": "整改报告"}.get(kind, "整改通知书")
    # The bureau's key signs every document it keeps; a school's 整改报告 is received, not
    # issued, by the bureau, and its signature says so.
    action = f"收存{inspection['school_name']}" if kind == "rectification_report" else "签发"
    # The 文号 is printed on the document, so it is reserved first; a failure gives it back.
    with numbering.numbered(db, config, kind, report_id) as doc_number:
        pdf, docx = render(report_id, version, previous, doc_number)
        signed = sign_pdf(
            pdf,
            signer(config),
            reason=f"{config['BUREAU_NAME']}{action}{title}",
            location=config.get("COUNTY_NAME", ""),
        )
        return reports.store(
            db, config["REPORTS_DIR"], report_id=report_id, kind=kind, subject_id=inspection["id"],
            school_id=inspection["school_id"], version=version, sha256=hashlib.sha256(signed).hexdigest(), pdf=signed,
            doc_number=doc_number, docx=docx,
        )  # fmt: skip


def issue_report(db: Database, config: Mapping, inspection_id: str, *, reason: str = "") -> dict:
    inspection = inspections.get(db, inspection_id)
    if inspection is None:
        raise LookupError(f"inspection {inspection_id}")
    base_url = config["PUBLIC_URL"].rstrip("/")

    def load_photo(sha256: str) -> bytes:
        row = media.get(db, sha256)
        if row is None:
            raise LookupError("照片未入库")
        return media.read(config["MEDIA_DIR"], row)

    def render(
        report_id: str, version: int, previous: dict | None, doc_number: str
    ) -> tuple[bytes, bytes]:
        context = _base_context(db, config, inspection)
        checklist_version = checklists.title_and_version(db, inspection["checklist_hash"])
        if checklist_version is None:
            raise LookupError(f"checklist version {inspection['checklist_hash']}")
        answers = inspections.answers(db, inspection_id)
        photos: dict[str, list] = {}
        for photo in inspections.photos(db, inspection_id):
            stamp = json.loads(photo["stamp"]) if photo["stamp"] else None
            photos.setdefault(photo["item_id"], []).append(
                {
                    "sha256": photo["photo_sha256"],
                    "caption": photo["caption"],
                    # taken when and where, as the phone stamped it and the server checked it
                    "stamp": stamp_rules.caption(stamp),
                    "warnings": json.loads(photo["stamp_warnings"] or "[]"),
                }
            )
        context.update(
            report_no=doc_number,
            report_version=version,
            supersedes={
                "report_no": previous["doc_number"]
                or _local_date(previous["created_at"]) + "签发的报告",
                "id": "",
                "version": previous["version"],
                "reason": reason or "更正",
            }
            if previous
            else None,
            issued_at=local_time(datetime.now(UTC).isoformat()),
            checklist={**checklist_version, "hash": inspection["checklist_hash"]},
            result=json.loads(inspection["result"]),
            notes={item_id: row["note"] for item_id, row in answers.items() if row["note"]},
            bulk_confirmed=[item_id for item_id, row in answers.items() if row["bulk"]],
            photos=photos,
            rectifications=_rectification_rows(db, inspection_id),
            interviews=_interviews(inspection),
            surveys=_surveys(db, config, inspection),
            verify_url=f"{base_url}/verify/{report_id}",
        )
        # The Word copy is made from the same HTML, now, so it says what the PDF says.
        return render_report(context, photo_loader=load_photo), word.from_html(report_html(context))

    return _issue(db, config, inspection, "report", render)


def issue_notice(db: Database, config: Mapping, inspection_id: str) -> dict | None:
    """The 整改通知书; None when the inspection found nothing to rectify."""
    inspection = inspections.get(db, inspection_id)
    items = _rectification_rows(db, inspection_id)
    if not items:
        return None
    if inspection is None:
        raise LookupError(f"inspection {inspection_id}")
    base_url = config["PUBLIC_URL"].rstrip("/")

    def render(
        report_id: str, version: int, previous: dict | None, doc_number: str
    ) -> tuple[bytes, bytes]:
        context = _base_context(db, config, inspection)
        context.update(
            notice_no=doc_number,
            rectifications=items,
            issued_on=_local_date(inspection["received_at"]),
            reply_days=config.get("RECTIFICATION_REPLY_DAYS", 30),
            rectification_url=f"{base_url}/school/rectifications?inspection={inspection_id}",
            verify_url=f"{base_url}/verify/{report_id}",
        )
        return render_notice(context), word.from_html(notice_html(context))

    return _issue(db, config, inspection, "notice", render)


def issue_rectification_report(db: Database, config: Mapping, inspection_id: str) -> dict | None:
    """The school's 整改报告 for the inspection, as it submitted it (its latest version, which
    supersedes the PDF of the one before); None when not submitted."""
    row = rectification_reports.for_inspection(db, inspection_id)
    inspection = inspections.get(db, inspection_id)
    if row is None:
        return None
    if inspection is None:
        raise LookupError(f"inspection {inspection_id}")
    notice = reports.current(db, inspection_id, "notice")

    def render(
        report_id: str, version: int, previous: dict | None, doc_number: str
    ) -> tuple[bytes, bytes]:
        context = _base_context(db, config, inspection)
        context.update(
            report_no=doc_number,
            report_version=version,
            supersedes={
                "report_no": previous["doc_number"]
                or _local_date(previous["created_at"]) + "报送的整改报告",
                "version": previous["version"],
                "reason": row["reason"],
            }
            if previous
            else None,
            notice_no=notice["doc_number"] if notice else "",
            summary=row["summary"],
            items=row["items"],
            attachments=row["evidence"],
            submitted_on=_local_date(row["submitted_at"]),
            submitted_by=row["submitted_by_name"],
        )
        html = rectification_report_html(context)
        return render_rectification_report(context), word.from_html(html)

    return _issue(db, config, inspection, "rectification_report", render)


def issue_documents(db: Database, config: Mapping, inspection_id: str) -> tuple[dict, dict | None]:
    return issue_report(db, config, inspection_id), issue_notice(db, config, inspection_id)


def status_name(row: dict) -> str:
    return STATUS_NAMES[row["status"]]


def ensure_documents(db: Database, config: Mapping, inspection_id: str) -> dict:
    """Issue the report and the notice, each unless already issued; returns the current report.

    Each kind is checked on its own, so a worker that died between the report and the notice
    issues only the notice when its job is claimed again. Safe to call from several processes
    at once: the unique (subject, kind, version) index lets exactly one issue win, and the
    others read what it stored.
    """
    report = reports.current(db, inspection_id, "report")
    if report is None:
        try:
            report = issue_report(db, config, inspection_id)
        except sqlite3.IntegrityError:
            report = reports.current(db, inspection_id, "report")
    elif _survey_closed_since(db, config, inspection_id):
        # A survey round for this inspection closed after the report was issued: a new
        # version carries the final satisfaction figures (the old one stays on record).
        with contextlib.suppress(sqlite3.IntegrityError):
            issue_report(db, config, inspection_id, reason="补充满意度测评结果")
        report = reports.current(db, inspection_id, "report")
    if report is not None:
        # Whichever version was issued after a round closed carries its figures.
        stored_surveys.mark_reported(db, inspection_id, report["id"])
    # Any notice on record counts: a revoked one was revoked on purpose, not lost.
    if not reports.for_subject(db, inspection_id, "notice"):
        # IntegrityError: another process issued it meanwhile.
        with contextlib.suppress(sqlite3.IntegrityError):
            issue_notice(db, config, inspection_id)
    # The school's 整改报告, once it is submitted, and each revision (the job is queued again
    # then): version N of the report is the N-th PDF.
    submitted = rectification_reports.for_inspection(db, inspection_id)
    if submitted and submitted["version"] > len(
        reports.for_subject(db, inspection_id, "rectification_report")
    ):
        with contextlib.suppress(sqlite3.IntegrityError):
            issue_rectification_report(db, config, inspection_id)
    assert report is not None
    return report
