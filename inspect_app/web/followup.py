"""回头看 on the phone: the shell page, the JSON the phone takes along and sends back, and the
visit's record (回头看记录).

The page is a shell like the form's (no user data, cached by the service worker); the phone
keeps each school's open items in IndexedDB, so a visit can start and finish with no signal,
and the visit goes up through the same outbox as inspections (PUT, idempotent on its UUID).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    make_response,
    render_template,
    send_file,
    url_for,
)

from inspect_app.common.vocabulary import RECTIFICATION_STATUS
from inspect_app.documents import followup_record
from inspect_app.documents.followup_record import photo_stamp
from inspect_app.rectification import followup_rules, followups, notifications
from inspect_app.storage import evidence as evidence_store
from inspect_app.storage import followups as visits
from inspect_app.storage import media, rectifications, reports, schools, units
from inspect_app.storage.db import get_db
from inspect_app.web import json_object_body, today
from inspect_app.web.guards import role_required
from inspect_app.web.inspector import INSPECTOR_ROLES, _page
from inspect_app.web.school import _viewer as viewer
from inspect_app.web.school import actor_label, evidence_folder
from inspect_app.web.sync import api_roles

bp = Blueprint("followup", __name__)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@bp.route("/inspector/followup")
@role_required(*INSPECTOR_ROLES)
def page():
    return _page("inspector/followup.html", "followup")


@bp.get("/api/followups")
@api_roles(*INSPECTOR_ROLES)
def school_list():
    """The schools with open items this user may go back to (工作台's 回头看 card)."""
    rows = followups.schools_for(get_db(), g.user, today())
    return jsonify(
        schools=[
            {k: r[k] for k in ("school_id", "name", "code", "township", "open", "overdue", "mine")}
            | {"assigned": r["assigned"]}
            for r in rows
        ]
    )


@bp.get("/api/followups/schools/<int:school_id>")
@api_roles(*INSPECTOR_ROLES)
def school_pack(school_id: int):
    db = get_db()
    school = schools.get(db, school_id)
    if school is None:
        return jsonify(error="学校不存在", message="该学校不存在。"), 404
    day = today()
    if not followups.may_visit(db, g.user, school_id, day):
        return jsonify(
            error="无权访问",
            message="该校不在您的督导计划内，您也不是该校整改事项的复查人，不能对其回头看。",
        ), 403
    body = followups.pack(db, g.user, school, day)
    response = jsonify(
        {**body, "fetched_at": day.isoformat(), "note_labels": followup_rules.NOTE_LABELS}
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/api/followups/schools/<int:school_id>/files/<sha256>")
@api_roles(*INSPECTOR_ROLES)
def school_file(school_id: int, sha256: str):
    """A finding photo or the school's evidence image of an open item, for the phone to keep:
    the inspector compares before and after on the spot, with no signal."""
    db = get_db()
    if schools.get(db, school_id) is None:
        return jsonify(error="学校不存在", message="该学校不存在。"), 404
    if not followups.may_visit(db, g.user, school_id, today()):
        return jsonify(error="无权访问", message="您不能对该校回头看。"), 403
    kind = visits.school_file(db, school_id, sha256) if _SHA256.match(sha256) else None
    # Unknown and not this school's look alike: a hash reveals nothing about other schools.
    row = (
        (media.get(db, sha256) if kind == "photo" else evidence_store.get(db, sha256))
        if kind
        else None
    )
    if row is None:
        return jsonify(
            error="文件不存在", message="该文件不存在或不属于该校未销号的整改事项。"
        ), 404
    path = (
        Path(current_app.config["MEDIA_DIR"]) / row["path"]
        if kind == "photo"
        else evidence_store.path_of(evidence_folder(), row)
    )
    response = send_file(path, mimetype="image/jpeg", max_age=86400)
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.put("/api/followups/<visit_id>")
@api_roles(*INSPECTOR_ROLES)
def put_visit(visit_id: str):
    payload = json_object_body()
    if payload is None:
        return jsonify(error="请求有误", message="提交的内容不是有效的回头看数据。"), 400
    db = get_db()
    try:
        received = followups.receive(
            db, payload, visit_id, g.user, today=today(),
            media_dir=current_app.config["MEDIA_DIR"], evidence_dir=evidence_folder(),
            actor=actor_label(),
        )  # fmt: skip
    except followups.Forbidden as exc:
        # 422, not 403: the outbox reads a 403 as a lost login and would ask for one forever;
        # this visit is refused for what it is, and the phone shows why (服务器拒收).
        return jsonify(error="无权回头看", message=str(exc), fields={"school_id": str(exc)}), 422
    except followups.Conflict:
        return jsonify(
            error="数据冲突",
            message="该回头看已提交，且服务器上的内容与本次不同。请导出备份并联系县教育局核对。",
        ), 409
    except followups.PayloadError as exc:
        return jsonify(
            error="数据有误", message=str(exc), fields=exc.fields, missing_photos=exc.missing_photos
        ), 422
    visit = received.visit
    if received.created:
        _notify(received.results)
    return jsonify(
        id=visit["id"],
        received_at=visit["received_at"],
        fixed=visit["fixed"],
        partial=visit["partial"],
        not_fixed=visit["not_fixed"],
        total=None,
        grade=None,
        report_url=url_for(".record", visit_id=visit["id"]),
    ), 201 if received.created else 200


def _notify(results: list[dict]) -> None:
    """Tell whoever must act: the school (or unit) of a closed or returned item, the reviewer
    of an item another inspector found fixed."""
    db = get_db()
    for row in results:
        item = rectifications.get(db, row["rectification_id"])
        assert item is not None  # items are never deleted
        before, after = row["status_before"], row["status_after"]
        if after == before:
            continue
        if after in ("closed", "returned"):
            kind = "accept" if after == "closed" else "return"
            link = url_for("school.rectification_detail", rectification_id=item["id"])
            accounts = (
                [a["id"] for a in units.accounts(db, item["unit_id"])] if item["unit_id"] else []
            )
            for notice in notifications.to_answerers(item, kind, link, accounts):
                notifications.send(db, notice)
        elif after == "submitted" and item["reviewer_id"]:
            notifications.send(
                db,
                notifications.Notice(
                    kind="respond",
                    text=f"回头看现场核实已整改，请复查销号：{item['school_name']} {item['problem'][:40]}",
                    link=url_for("review.rectification_detail", rectification_id=item["id"]),
                    user_id=item["reviewer_id"],
                ),
            )


def may_see_visit(db, visit: dict, user: dict | None, link: dict | None = None) -> bool:
    """Who may read a visit and its 回头看记录: its own inspector, the reviewer of an item it
    checked, the bureau, the school visited (its account or its access link, as for the school's
    items), and a department whose item it checked: both answer the items whose timelines show
    the results."""
    if user is None:
        return link is not None and visit["school_id"] == link["school_id"]
    role = user["role"]
    if role in ("bureau", "admin"):
        return True
    if role == "inspector":
        return visit["inspector_id"] == user["id"] or visits.reviews_an_item_of(
            db, visit["id"], user["id"]
        )
    if role == "school":
        return visit["school_id"] == user["school_id"]
    if role == "department":
        return bool(user["unit_id"]) and visits.checked_an_item_of_unit(
            db, visit["id"], user["unit_id"]
        )
    return False


def _unit_of_department(user: dict | None) -> int | None:
    """The unit whose items alone a department account reads in a visit: the school's own items,
    their notes and photos (a family's circumstances, a student's 学籍号) are not its to read."""
    if user is not None and user["role"] == "department":
        return user["unit_id"]
    return None


def _visit(visit_id: str) -> dict:
    db = get_db()
    visit = visits.get(db, visit_id)
    if visit is None:
        abort(404)
    if not may_see_visit(db, visit, g.user, g.link):
        abort(403)
    return visit


@bp.route("/review/followups/<visit_id>")
@viewer
def record(visit_id: str):
    """回头看记录: what was checked, found and signed, item by item."""
    db = get_db()
    visit = _visit(visit_id)
    results = visits.results(db, visit_id)
    unit_only = _unit_of_department(g.user)
    if unit_only is not None:
        results = [r for r in results if r["unit_id"] == unit_only]
    shown = {r["rectification_id"] for r in results}
    photos: dict[int, list[dict]] = {}
    for p in visits.photos(db, visit_id):
        if p["rectification_id"] not in shown:
            continue
        line, warnings = photo_stamp(p)
        photos.setdefault(p["rectification_id"], []).append(
            {**p, "stamp_line": line, "warnings": warnings}
        )
    return render_template(
        "review/followup.html",
        visit=visit,
        document=reports.current(db, visit_id, followup_record.KIND),
        checking_side=g.user is not None and g.user["role"] in INSPECTOR_ROLES,
        unit_only=unit_only is not None,
        results=results,
        counts=Counter(r["result"] for r in results),
        photos=photos,
        signatures=visits.signatures(db, visit_id),
        result_names=followup_rules.RESULTS,
        status_names=RECTIFICATION_STATUS,
    )


@bp.route("/review/followups/<visit_id>/record.pdf")
@viewer
def record_pdf(visit_id: str):
    """The signed 回头看记录 the document worker issued; while it has not yet, a page saying it
    is being prepared (202), as for reports: no web process renders."""
    db = get_db()
    visit = _visit(visit_id)
    if _unit_of_department(g.user) is not None:
        abort(403)  # the signed record holds the school's own items too, as /documents says
    row = reports.current(db, visit_id, followup_record.KIND)
    if row is None:
        response = make_response(
            render_template("review/followup_preparing.html", visit=visit), 202
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["Retry-After"] = "5"
        return response
    response = send_file(
        f"{current_app.config['REPORTS_DIR']}/{row['path']}",
        mimetype="application/pdf",
        download_name=f"回头看记录-{row['doc_number']}.pdf",
        etag=row["sha256"],
    )
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
