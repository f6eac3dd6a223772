"""The JSON API the phone's outbox talks to (contract: docs/sync-api.md).

Every answer is JSON, errors included, and an expired login is a 401 (never a redirect), so
the phone can keep its queue and ask the inspector to log in again.
"""

from __future__ import annotations

import hashlib
import re
from functools import wraps

from flask import Blueprint, abort, current_app, g, jsonify, request, send_file, url_for
from flask_wtf.csrf import generate_csrf

from inspect_app.checklist.sampling import parse as parse_sample
from inspect_app.common import vocabulary
from inspect_app.inspections import catalog, plan, receiving
from inspect_app.inspections.images import (
    MAX_UPLOAD_BYTES,
    ImageRejected,
    clean_photo,
    too_large,
)
from inspect_app.rectification import notifications
from inspect_app.storage import assignments, inspections, media, schools
from inspect_app.storage.db import get_db
from inspect_app.web import json_object_body

bp = Blueprint("sync", __name__, url_prefix="/api")

INSPECTORS = ("inspector", "bureau", "admin")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def api_roles(*roles: str):
    """Like role_required, but answers 403 JSON; anonymous calls never get here (api_login_gate)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if g.user["role"] not in roles:
                return jsonify(error="无权访问", message="您的账号无权进行此操作。"), 403
            return view(*args, **kwargs)

        wrapped.access = roles
        return wrapped

    return decorator


def _user_json(user: dict) -> dict:
    return {k: user[k] for k in ("id", "username", "display_name", "role")}


@bp.get("/session")
@api_roles("inspector", "school", "bureau", "admin")
def session_info():
    response = jsonify(user=_user_json(g.user), csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/bootstrap")
@api_roles(*INSPECTORS)
def bootstrap():
    db = get_db()
    assigned = assignments.school_ids_for(db, g.user["id"])
    # may_inspect: the start page offers these only (the rule /previous applies too)
    allowed = plan.inspectable(db, g.user)
    school_rows = [
        {k: s[k] for k in ("id", "code", "name", "township", "stage", "enrolment", "principal")}
        | {k: bool(s[k]) for k in ("boarding", "township_central", "poverty_village")}
        | {"assigned": s["id"] in assigned, "may_inspect": allowed is None or s["id"] in allowed}
        for s in schools.search(db)
    ]
    checklists = [
        {
            "id": c.compiled["id"],
            "title": c.compiled["title"],
            "version": c.compiled.get("version"),
            "hash": c.hash,
        }
        for c in catalog.current().values()
    ]
    recent = [
        {"id": r["id"], "school_name": r["school_name"], "date": r["date"], "total": r["total"],
         "grade": r["grade"], "received_at": r["received_at"],
         "report_url": url_for("documents.inspection_view", inspection_id=r["id"])}
        for r in inspections.recent_by_inspector(db, g.user["id"])
    ]  # fmt: skip
    return jsonify(
        user=_user_json(g.user),
        schools=school_rows,
        checklists=checklists,
        inspection_types=list(vocabulary.INSPECTION_TYPES),
        recent=recent,
    )


@bp.get("/checklists/<checklist_hash>")
@api_roles(*INSPECTORS)
def checklist_json(checklist_hash: str):
    checklist = catalog.by_hash(get_db(), checklist_hash)
    if checklist is None:
        return jsonify(error="检查单不存在", message="该版本的检查单不存在。"), 404
    response = jsonify(checklist.compiled)
    # A version is immutable: its hash names its content.
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


@bp.get("/schools/<int:school_id>/previous")
@api_roles(*INSPECTORS)
def previous_answers(school_id: int):
    db = get_db()
    checklist_id = request.args.get("checklist", "")
    latest = inspections.latest_for(db, school_id, checklist_id)
    # Whoever may inspect the school (inspections/plan.py: the rule the start page offers
    # schools by) gets its last visit; and anyone their own inspection's.
    if not (
        plan.may_inspect(db, g.user, school_id)
        or (latest is not None and latest["inspector_id"] == g.user["id"])
    ):
        return jsonify(
            error="无权访问", message="该校不在您的督导计划内，不能调取其历史检查记录。"
        ), 403
    checklist = catalog.current().get(checklist_id)
    if latest is None or checklist is None:
        return jsonify(error="无历史记录", message="该校没有使用此检查单的历史检查。"), 404
    prefill = {
        item["id"]
        for section in checklist.compiled["sections"]
        for item in section["items"]
        if item.get("prefill")
    }
    stored = inspections.answers(db, latest["id"])
    answers = {
        item_id: row["value"]
        for item_id, row in stored.items()
        if item_id in prefill and row["value"] is not None
    }
    # 抽样: the list and seed of each sample item, so a re-check can draw the same files again
    # (ids drawn here by the scoring engine's rule, never the phone's record of them)
    samples = {}
    for item_id, item in checklist.items.items():
        row = stored.get(item_id)
        if item["type"] != "sample" or row is None:
            continue
        rule = item.get("sample") or {}
        sample, ok = parse_sample(row["value"], rule.get("min") or 1, rule.get("max"))
        if ok and sample is not None:
            samples[item_id] = {
                "population": row["value"]["population"],
                "seed": sample["seed"],
                "ids": sample["ids"],
                "failed": sample["failed"],
            }
    return jsonify(
        inspection_id=latest["id"], date=latest["date"], answers=answers, samples=samples
    )


def _discard_body() -> None:
    """Read and drop a request body the answer does not need.

    Answering before the phone has sent its last byte makes the server close the connection
    under it: on a slow uplink the phone then sees a reset instead of the answer and retries
    the same photo for ever (issue 14). The stream is bounded by MAX_CONTENT_LENGTH.
    """
    while request.stream.read(64 * 1024):
        pass


@bp.post("/photos/missing")
@api_roles(*INSPECTORS)
def missing_photos():
    """Which of these photos the server lacks, so the phone sends only those bytes."""
    body = request.get_json(silent=True)
    hashes = body.get("sha256") if isinstance(body, dict) else None
    if (
        not isinstance(hashes, list)
        or len(hashes) > 1000
        or not all(isinstance(h, str) and _SHA256.match(h) for h in hashes)
    ):
        return jsonify(error="请求有误", message="照片编号无效。"), 400
    # Per user, as receiving checks it: a photo someone else sent still needs this
    # inspector's bytes before their inspection may cite it.
    return jsonify(missing=media.missing(get_db(), list(dict.fromkeys(hashes)), g.user["id"]))


@bp.put("/photos/<sha256>")
@api_roles(*INSPECTORS)
def upload_photo(sha256: str):
    # A photo is at most MAX_UPLOAD_BYTES: a larger body is refused before it is read, rather
    # than read whole into this process's memory under the evidence forms' far larger cap
    # (one sent without a length stops at the cap, as a 413 too).
    request.max_content_length = MAX_UPLOAD_BYTES
    if problem := too_large(request.content_length or 0):
        return jsonify(error="照片无效", message=problem), 413
    if not _SHA256.match(sha256):
        _discard_body()
        return jsonify(error="请求有误", message="照片编号无效。"), 400
    db = get_db()
    existing = media.get(db, sha256)
    if existing and media.uploaded_by(db, sha256, g.user["id"]):
        _discard_body()
        return jsonify(sha256=sha256, width=existing["width"], height=existing["height"]), 200
    data = request.get_data(cache=False)
    if hashlib.sha256(data).hexdigest() != sha256:
        return jsonify(
            error="照片不完整", message="照片在传输中损坏或不完整，将自动重新上传。"
        ), 400
    if existing:
        # Stored already, from someone else: these bytes prove this inspector has the photo
        # too, so their inspections may now cite it.
        media.record_upload(db, sha256, g.user["id"])
        return jsonify(sha256=sha256, width=existing["width"], height=existing["height"]), 200
    try:
        image = clean_photo(data)
    except ImageRejected as exc:
        status = 413 if "不能超过" in str(exc) else 415
        return jsonify(error="照片无效", message=str(exc)), status
    created = media.store(db, current_app.config["MEDIA_DIR"], sha256, image, g.user["id"])
    return jsonify(sha256=sha256, width=image.width, height=image.height), 201 if created else 200


@bp.get("/photos/<sha256>")
@api_roles("inspector", "school", "bureau", "admin")
def photo(sha256: str):
    db = get_db()
    row = media.get(db, sha256) if _SHA256.match(sha256) else None
    if row is None or not inspections.may_see_photo(db, sha256, g.user):
        abort(404)
    response = send_file(
        f"{current_app.config['MEDIA_DIR']}/{row['path']}", mimetype="image/jpeg", max_age=31536000
    )
    # Content-addressed, so it never changes; but access is checked per user, so no shared
    # cache (a proxy, a CDN) may keep it for the next person who asks.
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.put("/inspections/<inspection_id>")
@api_roles(*INSPECTORS)
def put_inspection(inspection_id: str):
    payload = json_object_body()
    if payload is None:
        return jsonify(error="请求有误", message="提交的内容不是有效的检查数据。"), 400
    db = get_db()
    try:
        received = receiving.receive(db, payload, inspection_id, g.user)
    except receiving.Forbidden as exc:
        # 422, not 403: the outbox reads a 403 as a lost login and would ask for one for ever;
        # this inspection is refused for what it is, and the phone keeps it and shows why.
        return jsonify(error="无权提交", message=str(exc), fields={"school_id": str(exc)}), 422
    except receiving.Conflict:
        return jsonify(
            error="数据冲突",
            message="该检查已提交，且服务器上的内容与本次不同。请导出备份并联系县教育局核对。",
        ), 409
    except receiving.PayloadError as exc:
        return jsonify(
            error="数据有误", message=str(exc), fields=exc.fields, missing_photos=exc.missing_photos
        ), 422
    row = received.inspection
    if received.created:
        # Its documents were queued with it (storage.inspections.insert); the document worker
        # issues them within seconds.
        opened = len(received.result["rectifications"])
        if opened:
            link = url_for("school.rectification_list", inspection=row["id"])
            notifications.send(
                db,
                notifications.new_items(
                    row["id"], row["school_id"], row["date"], row["type"], opened, link
                ),
            )
    body = {
        "id": row["id"],
        "total": row["total"],
        "grade": row["grade"],
        "received_at": row["received_at"],
        "report_url": url_for("documents.inspection_view", inspection_id=row["id"]),
    }
    return jsonify(body), 201 if received.created else 200
