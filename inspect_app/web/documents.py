"""An inspection as received, and its signed documents, for everyone allowed to see them."""

from __future__ import annotations

import io
import json

from flask import Blueprint, abort, current_app, g, make_response, render_template, send_file

from inspect_app.common import docnumbers, vocabulary
from inspect_app.documents import followup_record
from inspect_app.inspections import interviews as interview_rules
from inspect_app.inspections import stamps as stamp_rules
from inspect_app.storage import followups as visits
from inspect_app.storage import inspections, jobs, rectification_reports, reports
from inspect_app.storage.assignments import school_ids_for
from inspect_app.storage.db import get_db
from inspect_app.web.followup import may_see_visit
from inspect_app.web.guards import role_required
from inspect_app.web.school import report_clock_for

bp = Blueprint("documents", __name__)

ALL_ROLES = ("inspector", "school", "bureau", "admin")


def may_see_inspection(db, inspection: dict, user: dict) -> bool:
    """Bureau sees all; a school its own; an inspector their own or an assigned school's."""
    if user["role"] in ("bureau", "admin"):
        return True
    if user["role"] == "school":
        return inspection["school_id"] == user["school_id"]
    return inspection["inspector_id"] == user["id"] or inspection["school_id"] in school_ids_for(
        db, user["id"]
    )


def _visible_inspection(inspection_id: str) -> dict:
    db = get_db()
    inspection = inspections.get(db, inspection_id)
    if inspection is None:
        abort(404)
    if not may_see_inspection(db, inspection, g.user):
        abort(403)
    return inspection


@bp.get("/inspections/<inspection_id>")
@role_required(*ALL_ROLES)
def inspection_view(inspection_id: str):
    inspection = _visible_inspection(inspection_id)
    db = get_db()
    documents = reports.for_subject(db, inspection_id, "report") + reports.for_subject(
        db, inspection_id, "notice"
    )
    # The school's 整改报告 and its versions (each its own 文号), due when the visit opened items.
    versions = rectification_reports.versions(db, inspection_id)
    rectifications = inspections.rectifications(db, inspection_id)
    first_sent = versions[0]["submitted_at"] if versions else None
    clock = report_clock_for(inspection, first_sent) if rectifications else None
    return render_template(
        "documents/inspection.html",
        inspection=inspection,
        result=json.loads(inspection["result"]),
        answers=inspections.answers(db, inspection_id),
        photos=[
            # when and where, as stamped on the phone and checked on arrival (stamps.py)
            dict(
                p,
                stamp_line=stamp_rules.caption(json.loads(p["stamp"]) if p["stamp"] else None),
                warnings=json.loads(p["stamp_warnings"] or "[]"),
            )
            for p in inspections.photos(db, inspection_id)
        ],
        signatures=inspections.signatures(db, inspection_id),
        rectifications=rectifications,
        report_versions=versions,
        report_clock=clock,
        documents=sorted(documents, key=lambda r: (r["kind"] != "report", -r["version"])),
        status_names=vocabulary.REPORT_STATUS,
        job=jobs.for_inspection(db, inspection_id),
        interviews=interview_rules.clean(
            json.loads(inspection["payload"] or "{}").get("interviews")
        )[0],
    )


@bp.get("/inspections/<inspection_id>/report.pdf")
@role_required(*ALL_ROLES)
def current_report(inspection_id: str):
    """The current signed report; while the document worker has not issued it yet, a page
    saying it is being prepared (202). Rendering here would hold a web process for seconds
    and share WeasyPrint's font state between its threads."""
    inspection = _visible_inspection(inspection_id)
    db = get_db()
    row = reports.current(db, inspection_id, "report")
    if row is not None:
        return _send(row)
    if reports.for_subject(db, inspection_id, "report"):
        abort(404)  # issued, then revoked with no valid version: nothing is being prepared
    response = make_response(
        render_template(
            "documents/preparing.html",
            inspection=inspection,
            job=jobs.for_inspection(db, inspection_id),
        ),
        202,
    )
    # The page reloads itself until the report is there (documents/preparing.html).
    response.headers["Cache-Control"] = "no-store"
    response.headers["Retry-After"] = "5"
    return response


def _visible_document(report_id: str) -> dict:
    """An issued document's row, if the user may open it: bulletins for staff, a 回头看记录 for
    whoever may read the visit, an inspection's documents for whoever may see the inspection."""
    row = reports.get(get_db(), report_id)
    if row is None:
        abort(404)
    if row["kind"] == "bulletin":
        if g.user["role"] not in ("bureau", "admin", "inspector"):
            abort(403)
    elif row["kind"] == followup_record.KIND:
        # A 回头看记录's subject is the visit, not an inspection: the visit's own rule.
        db = get_db()
        visit = visits.get(db, row["subject_id"])
        if visit is None:
            abort(404)
        if not may_see_visit(db, visit, g.user):
            abort(403)
    else:
        _visible_inspection(row["subject_id"])
    return row


@bp.get("/documents/<report_id>.pdf")
@role_required(*ALL_ROLES)
def document(report_id: str):
    row = _visible_document(report_id)
    return _send(row)


@bp.get("/documents/<report_id>.docx")
@role_required(*ALL_ROLES)
def document_copy(report_id: str):
    """The unsigned Word copy of a document, for those who may open the document itself."""
    row = _visible_document(report_id)
    data = reports.read_copy(current_app.config["REPORTS_DIR"], row)
    if data is None:  # issued before copies were kept: the PDF is all there is
        abort(404)
    names = docnumbers.KINDS
    number = row["doc_number"] or row["id"][:8]
    return send_file(
        io.BytesIO(data),
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        as_attachment=True,
        download_name=f"{names[row['kind']]}-{number}-v{row['version']}（工作副本）.docx",
    )


def _send(row: dict):
    names = docnumbers.KINDS
    path = f"{current_app.config['REPORTS_DIR']}/{row['path']}"
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=False,
        download_name=f"{names[row['kind']]}-{row['doc_number'] or row['id'][:8]}-v{row['version']}.pdf",
        etag=row["sha256"],
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
