"""The checklist library (bureau and admin): upload, check, preview, compare, publish, retire.

A clerk uploads a YAML file or an Excel workbook; it is checked by the same loader as the
command line and kept as an upload whatever its state, so a broken file's errors can be read
and acted on. A good upload is previewed as a phone shows it (the phone's own form.js in a
phone-sized frame, static/js/inspector/preview.js) and compared with the current version in words; publishing
makes it the current version in the database, which every server process reads per request.
"""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from inspect_app.checklist import Checklist, workbook
from inspect_app.checklist.diff import diff
from inspect_app.checklist.source import rebuilt_document
from inspect_app.common.clock import local_time
from inspect_app.common.vocabulary import RESPONDENT_GROUPS
from inspect_app.inspections import catalog
from inspect_app.inspections import library as checking
from inspect_app.storage import library, schools
from inspect_app.storage.db import get_db
from inspect_app.surveys.answers import MAX_TEXT_CHARS
from inspect_app.web.guards import role_required
from inspect_app.web.headers import CONTENT_SECURITY_POLICY

bp = Blueprint("library", __name__, url_prefix="/library")
MANAGERS = ("bureau", "admin")


class UploadForm(FlaskForm):
    file = FileField(
        "检查单文件（.xlsx 或 .yaml）", validators=[FileRequired("请选择要上传的文件")]
    )


def _ip() -> str:
    return request.remote_addr or ""


@bp.get("/")
@role_required(*MANAGERS)
def index():
    db = get_db()
    return _index(db, UploadForm())


def _index(db, form: UploadForm):
    return render_template(
        "library/index.html",
        checklists=library.overview(db),
        surveys=library.overview(db, library.SURVEY),
        uploads=library.recent_uploads(db),
        form=form,
    )


@bp.post("/upload")
@role_required(*MANAGERS)
def upload():
    form = UploadForm()
    db = get_db()
    if not form.validate_on_submit():
        return _index(db, form), 400
    stored = form.file.data
    name = stored.filename or "未命名"
    data = stored.read(checking.MAX_UPLOAD_BYTES + 1)
    if len(data) > checking.MAX_UPLOAD_BYTES:
        form.file.errors = ["文件超过 5 MB，检查单文件不应这么大，请确认选择了正确的文件"]
        return _index(db, form), 400
    checked = checking.check_upload(name, data)
    upload_id = library.save_upload(
        db,
        file_name=name,
        fmt=checked.fmt,
        original=data,
        yaml_text=checked.yaml_text,
        compiled=checked.checklist.compiled if checked.checklist else None,
        errors=checked.errors,
        checklist_id=checked.checklist_id,
        user=g.user,
        ip=_ip(),
    )
    return redirect(url_for("library.upload_view", upload_id=upload_id))


def _schools(db) -> list[dict]:
    return [
        {"id": s["id"], "name": s["name"], "township": s.get("township"), "stage": s["stage"],
         "school": schools.as_scoring_school(s)}
        for s in schools.search(db)
    ]  # fmt: skip


def _stored(db, kind: library.Kind, version_hash: str):
    """A stored version of that kind (a Checklist), or None."""
    if kind is library.SURVEY:
        return catalog.survey_by_hash(db, version_hash)
    return catalog.by_hash(db, version_hash)


def _version(db, version_hash: str):
    """(Checklist, Kind) of any stored version, checklist or survey; 404 when unknown."""
    kind = library.kind_of_hash(db, version_hash)
    found = _stored(db, kind, version_hash) if kind else None
    if kind is None or found is None:
        abort(404)
    return found, kind


def _page_of(kind: library.Kind, item_id: str) -> str:
    if kind is library.SURVEY:
        return url_for("library.survey_view", survey_id=item_id)
    return url_for("library.checklist_view", checklist_id=item_id)


def _preview(db, frame_url: str) -> dict:
    """The page around the phone frame: which schools it may be previewed for, and where."""
    return {"schools": _schools(db), "frame_url": frame_url}


@bp.get("/uploads/<int:upload_id>")
@role_required(*MANAGERS)
def upload_view(upload_id: int):
    db = get_db()
    row = library.upload(db, upload_id)
    if row is None:
        abort(404)
    compiled = row["compiled"]
    changes = current = entry = number = None
    kind = library.kind_of(compiled) if compiled is not None else library.INSPECTION
    if compiled is not None:
        entry = library.entry(db, compiled["id"], kind)
        current = _stored(db, kind, entry["current_hash"]) if entry else None
        changes = diff(current.compiled if current else None, compiled)
        if entry:
            number = library.version_numbers(db, compiled["id"], kind).get(entry["current_hash"])
    status = 422 if row["errors"] else 200
    return render_template(
        "library/upload.html",
        upload=row,
        compiled=compiled,
        current=current.compiled if current else None,
        entry=entry,
        kind=kind.name,
        current_number=number,
        changes=changes,
        preview=_preview(db, url_for("library.upload_phone", upload_id=upload_id))
        if compiled
        else None,
    ), status


@bp.post("/uploads/<int:upload_id>/publish")
@role_required(*MANAGERS)
def publish(upload_id: int):
    db = get_db()
    if library.upload(db, upload_id) is None:
        abort(404)
    try:
        done = library.publish(
            # the page's form always says which version its differences were read against
            db,
            upload_id,
            g.user,
            _ip(),
            compared_with=request.form.get("compared_with"),
        )
    except library.PublishRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for("library.upload_view", upload_id=upload_id))
    # what a clerk tells a colleague: 第 3 版 of 12 月 2 日; the hash is only a detail
    reaches = (
        "之后开启的满意度测评使用这个版本；已开启的测评仍使用原来的版本。"
        if done["kind"] == "survey"
        else "督学手机下次同步时取得；已开始的检查仍使用原来的版本。"
    )
    flash(
        f"已发布第 {done['number']} 版（版本号 {done['version']}，"
        f"{local_time(done['published_at'])[:10]}）：即刻生效，{reaches}"
        f"内容哈希 {done['hash'][:12]}",
        "success",
    )
    kind = library.SURVEY if done["kind"] == "survey" else library.INSPECTION
    return redirect(_page_of(kind, done["checklist_id"]))


@bp.get("/checklists/<checklist_id>")
@role_required(*MANAGERS)
def checklist_view(checklist_id: str):
    return _item_page(library.INSPECTION, checklist_id)


@bp.get("/surveys/<survey_id>")
@role_required(*MANAGERS)
def survey_view(survey_id: str):
    return _item_page(library.SURVEY, survey_id)


def _item_page(kind: library.Kind, item_id: str):
    db = get_db()
    entry = library.entry(db, item_id, kind)
    if entry is None:
        abort(404)
    current = _stored(db, kind, entry["current_hash"])
    return render_template(
        "library/checklist.html",
        kind=kind.name,
        entry=entry,
        current=current.compiled if current else None,
        versions=library.versions_of(db, item_id, kind),
        history=library.history(db, item_id, kind=kind),
    )


@bp.post("/checklists/<checklist_id>/retire")
@role_required(*MANAGERS)
def retire(checklist_id: str):
    return _set_retired(library.INSPECTION, checklist_id, True)


@bp.post("/checklists/<checklist_id>/restore")
@role_required(*MANAGERS)
def restore(checklist_id: str):
    return _set_retired(library.INSPECTION, checklist_id, False)


@bp.post("/surveys/<survey_id>/retire")
@role_required(*MANAGERS)
def survey_retire(survey_id: str):
    return _set_retired(library.SURVEY, survey_id, True)


@bp.post("/surveys/<survey_id>/restore")
@role_required(*MANAGERS)
def survey_restore(survey_id: str):
    return _set_retired(library.SURVEY, survey_id, False)


_RETIRE_WORDS = {
    # (retired, changed) → what the clerk is told
    (
        "inspection",
        True,
        True,
    ): "已停用：督学手机下次同步后不再提供这份检查单；已开始的检查仍可完成并上传。",
    ("inspection", True, False): "这份检查单已是停用状态。",
    ("inspection", False, True): "已恢复：督学手机下次同步后重新提供这份检查单。",
    ("inspection", False, False): "这份检查单没有停用。",
    ("survey", True, True): "已停用：不能再用这份问卷开启新的满意度测评；已开启的测评照常进行。",
    ("survey", True, False): "这份调查问卷已是停用状态。",
    ("survey", False, True): "已恢复：又可以用这份问卷开启满意度测评。",
    ("survey", False, False): "这份调查问卷没有停用。",
}


def _set_retired(kind: library.Kind, item_id: str, retired: bool):
    db = get_db()
    if library.entry(db, item_id, kind) is None:
        abort(404)
    changed = library.set_retired(db, item_id, retired, g.user, _ip(), kind=kind)
    flash(_RETIRE_WORDS[(kind.name, retired, changed)], "success" if changed else "info")
    return redirect(_page_of(kind, item_id))


def _version_source(checklist_hash: str) -> tuple[dict, str]:
    db = get_db()
    checklist, kind = _version(db, checklist_hash)
    text = library.source(db, checklist_hash, kind)
    if text is None:
        # a version stored before sources were kept: written back from its compiled form,
        # and only when that compiles to the very same hash
        doc = rebuilt_document(checklist.compiled)
        if doc is None:
            abort(404)
        text = workbook.dump_yaml(doc)
    return checklist.compiled, text


def _file_name(compiled: dict, suffix: str) -> str:
    version = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in compiled["version"])
    return f"{compiled['id']}-{version}-{compiled['hash'][:8]}.{suffix}"


@bp.get("/versions/<checklist_hash>.yaml")
@role_required(*MANAGERS)
def download_yaml(checklist_hash: str):
    compiled, text = _version_source(checklist_hash)
    library.record_download(
        get_db(), checklist_hash, "yaml", g.user, _ip(), kind=library.kind_of(compiled)
    )
    return _attachment(text.encode("utf-8"), "application/yaml; charset=utf-8",
                       _file_name(compiled, "yaml"))  # fmt: skip


@bp.get("/versions/<checklist_hash>.xlsx")
@role_required(*MANAGERS)
def download_xlsx(checklist_hash: str):
    compiled, text = _version_source(checklist_hash)
    library.record_download(
        get_db(), checklist_hash, "xlsx", g.user, _ip(), kind=library.kind_of(compiled)
    )
    return _attachment(checking.source_workbook(text), workbook.XLSX_MIME,
                       _file_name(compiled, "xlsx"))  # fmt: skip


_ORIGINAL_MIME = {"xlsx": workbook.XLSX_MIME, "yaml": "application/yaml; charset=utf-8"}


@bp.get("/uploads/<int:upload_id>/original")
@role_required(*MANAGERS)
def upload_original(upload_id: int):
    """The file exactly as the clerk uploaded it (bytes and name), broken or not."""
    db = get_db()
    row = library.upload(db, upload_id)
    if row is None or row["original"] is None:
        abort(404)
    library.record_download(db, row["hash"] or row["file_name"], "original", g.user, _ip())
    return _attachment(row["original"], _ORIGINAL_MIME.get(row["format"], "application/octet-stream"),
                       row["file_name"])  # fmt: skip


@bp.get("/versions/<checklist_hash>/original")
@role_required(*MANAGERS)
def version_original(checklist_hash: str):
    """A version's original file: the upload it was published from, or for a version that
    came with the system's files, that file's own text (what the deployer wrote)."""
    db = get_db()
    checklist, kind = _version(db, checklist_hash)
    found = library.published_upload(db, checklist_hash)
    text = library.source(db, checklist_hash, kind)
    if found is None and text is None:
        abort(404)  # a version older than the library: only its rebuilt YAML and Excel exist
    library.record_download(db, checklist_hash, "original", g.user, _ip(), kind=kind)
    if found is not None:
        return _attachment(found["original"], _ORIGINAL_MIME.get(found["format"], "application/octet-stream"),
                           found["file_name"])  # fmt: skip
    assert text is not None
    return _attachment(text.encode("utf-8"), _ORIGINAL_MIME["yaml"], f"{checklist.id}.yaml")


@bp.get("/versions/<checklist_hash>/preview")
@role_required(*MANAGERS)
def version_preview(checklist_hash: str):
    db = get_db()
    checklist, kind = _version(db, checklist_hash)
    return render_template(
        "library/version_preview.html",
        compiled=checklist.compiled,
        kind=kind.name,
        number=library.version_numbers(db, checklist.id, kind).get(checklist_hash),
        preview=_preview(db, url_for("library.version_phone", checklist_hash=checklist_hash)),
    )


# The preview page may be framed by the library's own pages (and nothing else): the phone
# form runs in a phone-sized <iframe>, so its CSS, its fixed bars and its scrolling are the
# phone's own, at the phone's width.
_FRAMED_CSP = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'")


def _phone(compiled: dict):
    """The phone's form page (the inspector shell, page "preview") on `compiled` for the
    school ?school= names: static/js/inspector/preview.js boots the real form.js on it. A
    survey is shown as its respondents see it: the answer page (survey.js) in preview mode."""
    db = get_db()
    rows = _schools(db)
    wanted = request.args.get("school", type=int)
    school = next((s for s in rows if s["id"] == wanted), rows[0] if rows else None)
    if school is None:
        abort(404)
    full = schools.get(db, school["id"]) or {}
    if library.kind_of(compiled) is library.SURVEY:
        return _framed(_survey_page(compiled, school))
    data = {
        "checklist": compiled,
        "school_id": school["id"],
        "school": school["school"],
        "school_info": {"township": school["township"] or "", "principal": full.get("principal") or ""},
        "user": {"id": g.user["id"], "username": g.user["username"],
                 "display_name": g.user["display_name"]},
    }  # fmt: skip
    return _framed(
        render_template("library/phone.html", page="preview", version="preview", preview=data)
    )


def _survey_page(compiled: dict, school: dict) -> str:
    survey = Checklist.from_compiled(compiled)
    data = {
        "code": f"preview-{compiled['hash'][:12]}", "token": "", "survey": compiled,
        "school": school["school"], "thanks": "", "maxText": MAX_TEXT_CHARS, "preview": True,
    }  # fmt: skip
    return render_template(
        "respond/survey.html",
        link={"school_name": school["name"]},
        survey=survey,
        groups=[(g, RESPONDENT_GROUPS[g]) for g in survey.respondents],
        data=json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c"),
        max_text=MAX_TEXT_CHARS,
        min_responses=int(current_app.config.get("SURVEY_MIN_RESPONSES", 5)),
        preview=True,
    )


def _framed(html: str) -> Response:
    response = Response(html)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = _FRAMED_CSP
    return response


@bp.get("/uploads/<int:upload_id>/phone")
@role_required(*MANAGERS)
def upload_phone(upload_id: int):
    row = library.upload(get_db(), upload_id)
    if row is None or row["compiled"] is None:
        abort(404)
    return _phone(row["compiled"])


@bp.get("/versions/<checklist_hash>/phone")
@role_required(*MANAGERS)
def version_phone(checklist_hash: str):
    checklist, _ = _version(get_db(), checklist_hash)
    return _phone(checklist.compiled)


@bp.get("/template.xlsx")
@role_required(*MANAGERS)
def template():
    return _attachment(workbook.template_workbook(), workbook.XLSX_MIME, "检查单模板.xlsx")


@bp.get("/guide")
@role_required(*MANAGERS)
def guide():
    return render_template(
        "library/guide.html", sheets=workbook.guide(), types=workbook.type_guide()
    )


def _attachment(data: bytes, mime: str, name: str) -> Response:
    from urllib.parse import quote

    response = Response(data, mimetype=mime.split(";")[0])
    if "charset" in mime:
        response.headers["Content-Type"] = mime
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
