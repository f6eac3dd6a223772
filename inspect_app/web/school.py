"""The answering side of the rectification loop: the items, answering them, asking for more time.

A school account sees only its own school, and answers the items that are the school's own; an
item a county unit fixes (责任单位: a department or a township) it sees as 「由县财政局负责」.
A department account (role ``department``) sees and answers only its unit's items, at every
school; the bureau may answer a unit's item on the unit's behalf. A principal without an
account may hold an access link (``/school/link/<token>``) issued by the bureau: it opens the
same pages for that one school — view and respond, nothing else — until it expires or is revoked.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import HiddenField, MultipleFileField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from inspect_app.common import vocabulary
from inspect_app.common.clock import local_time
from inspect_app.common.vocabulary import RECTIFICATION_STATUS, ROLE_NAMES
from inspect_app.rectification import evidence, notifications, rules
from inspect_app.storage import evidence as evidence_store
from inspect_app.storage import inspections, media, rectification_reports, schools, units
from inspect_app.storage import notifications as notification_store
from inspect_app.storage import rectifications as items
from inspect_app.storage.db import get_db
from inspect_app.web import today
from inspect_app.web.guards import public, role_required

bp = Blueprint("school", __name__, url_prefix="/school")

MAX_FILES = 10
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
ACCEPT = "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf"


def with_urgency(rows: list[dict], day: date) -> list[dict]:
    """Rows with ``due`` (band, countdown), ``status_name`` and ``unit_label`` for the templates."""
    return [
        {
            **row,
            "due": rules.urgency(row["status"], row["deadline"], day),
            "status_name": vocabulary.RECTIFICATION_STATUS[row["status"]],
            "unit_label": rules.unit_label(row),
        }
        for row in rows
    ]


def evidence_folder() -> str:
    return current_app.config.get("EVIDENCE_DIR") or f"{current_app.instance_path}/evidence"


def store_uploads(checked, user_id: int | None) -> list[dict]:
    db = get_db()
    return [
        evidence_store.store(db, evidence_folder(), clean, name, user_id) for clean, name in checked
    ]


def actor_label(item: dict | None = None) -> str:
    if g.user is None:
        return "校长（访问链接）"
    if g.user["role"] == "department" and item and item.get("unit_name"):
        return item["unit_name"]
    if g.user["role"] in ("bureau", "admin") and item and item.get("unit_id"):
        # The bureau answering for a county unit (the issue's 「代为办理」).
        return f"{ROLE_NAMES[g.user['role']]}（代{item['unit_name']}）"
    return ROLE_NAMES[g.user["role"]]


def stale_message(item: dict) -> str:
    current = items.get(get_db(), item["id"])
    assert current is not None  # items are never deleted
    return (
        f"该事项刚刚已被他人处理（当前状态：{RECTIFICATION_STATUS[current['status']]}），"
        "您的操作未生效。请查看最新情况后再操作。"
    )


# --- Who is on the school's side: a school account, or a valid access link. ------------------


def _active_link() -> dict | None:
    token_hash = session.get("access_link")
    if not token_hash:
        return None
    link = items.active_link(get_db(), token_hash)
    if link is None:
        session.pop("access_link", None)
    return link


def _answering_side(*roles: str):
    """School accounts, access-link holders and ``roles``; sets ``g.school_id`` (the school a
    school account or link acts for) and ``g.unit_id`` (the unit a department account acts for)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            g.school_id = g.unit_id = g.link = None
            if g.user is not None:
                role = g.user["role"]
                if role not in ("school", *roles):
                    abort(403)
                if role == "school":
                    g.school_id = g.user["school_id"]
                elif role == "department":
                    g.unit_id = g.user["unit_id"]
            else:
                g.link = _active_link()
                if g.link is None:
                    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
                g.school_id = g.link["school_id"]
            return view(*args, **kwargs)

        wrapped.access = ("school", *roles, "access_link")
        return wrapped

    return decorator


# The pages of the loop: schools, links and department accounts.
school_side = _answering_side("department")
# The forms that answer an item: also the bureau, for an item of a county unit (代为办理).
answer_side = _answering_side("department", "bureau", "admin")


def _own_item(rectification_id: int) -> dict:
    item = items.get(get_db(), rectification_id)
    if item is None:
        abort(404)
    role = g.user["role"] if g.user is not None else "school"
    if role == "school" and item["school_id"] != g.school_id:
        abort(403)
    if role == "department" and (g.unit_id is None or item["unit_id"] != g.unit_id):
        abort(403)
    if role in ("bureau", "admin") and not item["unit_id"]:
        # The bureau answers only for a county unit; a school answers its own items.
        abort(403)
    return item


def answer_problem(item: dict) -> str | None:
    """Why the current user may not answer ``item`` (None when they may)."""
    role = g.user["role"] if g.user is not None else "school"
    if role == "school" and item["unit_id"]:
        return f"该事项由{item['unit_name']}负责整改，由其提交整改情况，学校无需提交。"
    return None


def _photo_url(item: dict):
    # Logged-in schools use the shared photo route; a link holder has no login for /api/, and
    # a department account sees only the photos of its own items, through this blueprint.
    if g.user is not None and g.user["role"] != "department":
        return lambda sha: url_for("sync.photo", sha256=sha)
    return lambda sha: url_for("school.finding_photo", rectification_id=item["id"], sha256=sha)


# --- Pages. ----------------------------------------------------------------------------------


@bp.route("/rectifications")
@school_side
def rectification_list():
    db = get_db()
    day = today()
    inspection_id = request.args.get("inspection") or None
    inspection = inspections.get(db, inspection_id) if inspection_id else None
    if g.unit_id is not None:
        if inspection_id and inspection is None:
            abort(404)
        return _unit_list(g.unit_id, day, inspection)
    if inspection_id and (inspection is None or inspection["school_id"] != g.school_id):
        abort(404)
    rows = with_urgency(
        rules.by_urgency(items.for_school(db, g.school_id, inspection_id), day), day
    )
    findings = items.findings_count(db, school_id=g.school_id, inspection_id=inspection_id)
    report = rectification_reports.for_inspection(db, inspection_id) if inspection else None
    return render_template(
        "school/list.html",
        report=report,
        report_clock=report_clock_for(inspection, report["first_submitted_at"] if report else None)
        if inspection and rows
        else None,
        school=schools.get(db, g.school_id),
        open_items=[r for r in rows if r["status"] != "closed"],
        closed_items=[r for r in rows if r["status"] == "closed"],
        summary=rules.summarize(findings, rows, day, school=True),
        inspection=inspection,
        link=g.link,
        school_view=True,
    )


def _unit_list(unit_id: int, day: date, inspection: dict | None):
    """A department account's list: its unit's items at every school (or of one inspection)."""
    db = get_db()
    unit = units.get(db, unit_id)
    if unit is None:
        abort(403)
    rows = items.for_unit(db, unit_id, inspection["id"] if inspection else None)
    rows = with_urgency(rules.by_urgency(rows, day), day)
    return render_template(
        "school/list.html",
        unit=unit,
        open_items=[r for r in rows if r["status"] != "closed"],
        closed_items=[r for r in rows if r["status"] == "closed"],
        summary=rules.summarize(len(rows), rows, day),
        inspection=inspection,
        link=None,
        school_view=False,
    )


@bp.route("/rectifications/<int:rectification_id>")
@school_side
def rectification_detail(rectification_id: int):
    item = _own_item(rectification_id)
    db = get_db()
    return render_template(
        "school/item.html",
        item=with_urgency([item], today())[0],
        photos=items.finding_photos(db, item),
        photo_url=_photo_url(item),
        events=items.events(db, item["id"]),
        link=g.link,
        answer_problem=answer_problem(item),
        school_view=g.school_id is not None,
    )


class RespondForm(FlaskForm):
    measures = TextAreaField(
        "整改措施",
        validators=[
            DataRequired("请填写采取的整改措施"),
            Length(max=2000, message="不能超过 2000 字"),
        ],
        render_kw={"rows": 5},
    )
    result = TextAreaField(
        "整改结果",
        validators=[DataRequired("请填写整改结果"), Length(max=2000, message="不能超过 2000 字")],
        render_kw={"rows": 4},
    )
    done_on = StringField("整改完成日期", render_kw={"type": "date"})
    evidence = MultipleFileField("佐证材料", render_kw={"accept": ACCEPT})
    version = HiddenField()

    def __init__(self, *args, required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.required = required
        # Files already kept for this answer (shown, and sent again as ``kept``).
        self.stored: list[dict] = kept_files(request.form.getlist("kept"))
        # The browser refuses a future date too (static/js/rectification.js reads ``max``).
        self.done_on.render_kw = {"type": "date", "max": today().isoformat()}

    def validate_done_on(self, field):
        if problem := rules.done_date_problem(field.data, today()):
            raise ValidationError(problem)

    def validate_evidence(self, field):
        # Every good file is kept at once, so that a mistake anywhere on the form (or a bad
        # file beside it) never makes the school choose its photos again.
        new, problems = keep_uploads(field.data)
        self.stored = _unique(self.stored + new)
        if problems:
            raise ValidationError("；".join(problems))
        if len(self.stored) > MAX_FILES:
            raise ValidationError(f"最多上传 {MAX_FILES} 个文件，请移除一些。")
        if self.required and not self.stored:
            raise ValidationError("该事项须上传佐证材料：整改后的现场照片或 PDF 文件，至少 1 个。")


_KEPT = "kept_evidence"


def keep_uploads(uploads, *, photos_only: bool = False) -> tuple[list[dict], list[str]]:
    """Check and store each uploaded file; the good ones are remembered for this session (so
    the form can show them again), the bad ones are named in Chinese. ``photos_only`` refuses
    PDFs (a 复查 record carries a photo of the site)."""
    kept, problems = [], []
    user_id = g.user["id"] if g.user else None
    for upload in [f for f in uploads or [] if f and f.filename]:
        data = upload.read(evidence.MAX_EVIDENCE_BYTES + 1)
        try:
            clean = evidence.check(data)
        except evidence.EvidenceRejected as exc:
            problems.append(f"「{upload.filename}」{exc}")
            continue
        if photos_only and clean.mime != "image/jpeg":
            problems.append(f"「{upload.filename}」复查照片只接受 JPEG 或 PNG 图片。")
            continue
        kept += store_uploads([(clean, upload.filename)], user_id)
    if kept:
        session[_KEPT] = (session.get(_KEPT, []) + [k["sha256"] for k in kept])[-50:]
    return kept, problems


def kept_files(shas: list[str]) -> list[dict]:
    """The files of ``shas`` this session uploaded (anything else is ignored, never trusted)."""
    mine = set(session.get(_KEPT, []))
    out = []
    for sha in shas:
        row = evidence_store.get(get_db(), sha) if sha in mine and _SHA256.match(sha) else None
        if row is not None:
            out.append({"sha256": sha, "mime": row["mime"], "name": row["original_name"] or ""})
    return _unique(out)


def _unique(files: list[dict]) -> list[dict]:
    """``files`` without repeats (the same photo chosen twice is one file), in their order."""
    return list({f["sha256"]: f for f in files}.values())


class ExtensionForm(FlaskForm):
    until = StringField("申请延期至", render_kw={"type": "date"})
    reason = TextAreaField(
        "延期理由",
        validators=[DataRequired("请填写延期理由"), Length(max=2000, message="不能超过 2000 字")],
        render_kw={"rows": 4},
    )
    version = HiddenField()

    def __init__(self, *args, deadline: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.deadline = deadline
        # The earliest date the rules accept: the day after the deadline, or today once the
        # deadline has passed (the browser's date picker offers nothing before ``min``).
        day = today()
        earliest = max(date.fromisoformat(deadline) + timedelta(days=1), day)
        self.until.render_kw = {"type": "date", "min": earliest.isoformat()}
        self.until_hint = (
            f"须晚于当前整改时限 {deadline}"
            if deadline >= day.isoformat()
            else f"当前整改时限 {deadline} 已过，不能早于今天"
        )

    def validate_until(self, field):
        if problem := rules.extension_date_problem(self.deadline, field.data, today()):
            raise ValidationError(problem)


def _school_form(item: dict, form, action: str, fields: tuple[str, ...], template: str):
    """Show a school action's form; on a valid submission act and go back to the item."""
    error, status = None, 200
    if (problem := answer_problem(item)) is not None:
        # Shown instead of the form; a POST is refused without looking at it.
        return render_template(
            template, item=with_urgency([item], today())[0], form=form, error=problem,
            link=g.link, refused=True,
        ), (409 if request.method == "POST" else 200)  # fmt: skip
    if form.validate_on_submit():
        values = {name: form[name].data for name in fields}
        # Evidence files, already checked and stored by the form's validation (respond only).
        error = _act(item, form, action, values, getattr(form, "stored", ()))
        if error is None:
            flash("提交成功。", "success")
            if g.user is not None and g.user["role"] in ("bureau", "admin"):
                return redirect(url_for("review.rectification_detail", rectification_id=item["id"]))
            return redirect(url_for(".rectification_detail", rectification_id=item["id"]))
        status = 409
    elif request.method == "POST":
        status = 400
    return render_template(
        template, item=with_urgency([item], today())[0], form=form, error=error, link=g.link,
        refused=False,
    ), status  # fmt: skip


def _act(item: dict, form, action: str, fields: dict, stored=()):
    """Decide and apply a school action; returns an error message, or None when it is done."""
    try:
        version = int(form.version.data)
    except (TypeError, ValueError):
        abort(400)
    # The page the user acted on was out of date: say so, rather than judge the new state.
    if version != item["version"]:
        return stale_message(item)
    try:
        move = rules.decide(item, action, "school", today(), **fields)
    except rules.IllegalMove as exc:
        return str(exc)
    user_id = g.user["id"] if g.user else None
    db = get_db()
    try:
        items.apply(
            db, item, move, version=version, user_id=user_id, actor=actor_label(item),
            evidence=stored,
        )  # fmt: skip
    except items.Stale:
        return stale_message(item)
    if item["reviewer_id"]:
        notifications.send(
            db,
            notifications.to_reviewer(
                {**item, **move.changes},
                action,
                url_for("review.rectification_detail", rectification_id=item["id"]),
            ),
        )
    return None


@bp.route("/rectifications/<int:rectification_id>/respond", methods=["GET", "POST"])
@answer_side
def respond(rectification_id: int):
    item = _own_item(rectification_id)
    form = RespondForm(version=item["version"], required=bool(item["evidence_required"]))
    return _school_form(
        item, form, "respond", ("measures", "result", "done_on"), "school/respond.html"
    )


@bp.route("/rectifications/<int:rectification_id>/extension", methods=["GET", "POST"])
@answer_side
def extension(rectification_id: int):
    item = _own_item(rectification_id)
    form = ExtensionForm(version=item["version"], deadline=item["deadline"])
    return _school_form(
        item, form, "request_extension", ("reason", "until"), "school/extension.html"
    )


# --- 整改报告: one written report per inspection, gathering its items' measures. -------------

# The school's pages (and a link holder's); not a department's: the report is the school's.
report_side = _answering_side()


class ReportForm(FlaskForm):
    summary = TextAreaField(
        "总体整改情况",
        validators=[
            DataRequired("请填写总体整改情况：组织领导、采取的措施、取得的成效、仍需解决的问题"),
            Length(max=5000, message="不能超过 5000 字"),
        ],
        render_kw={"rows": 8},
    )
    evidence = MultipleFileField("附件", render_kw={"accept": ACCEPT})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored: list[dict] = kept_files(request.form.getlist("kept"))
        self.required = False

    def validate_evidence(self, field):
        new, problems = keep_uploads(field.data)
        self.stored = _unique(self.stored + new)
        if problems:
            raise ValidationError("；".join(problems))
        if len(self.stored) > MAX_FILES:
            raise ValidationError(f"最多上传 {MAX_FILES} 个文件，请移除一些。")


class ReviseForm(ReportForm):
    """A revised 整改报告 (第 N 版): why it replaces the previous one, and the report again."""

    reason = TextAreaField(
        "修订原因",
        validators=[
            DataRequired("请填写修订原因，如：补充后续完成的整改措施、更正报告中的错误"),
            Length(max=500, message="不能超过 500 字"),
        ],
        render_kw={"rows": 2},
    )
    version = HiddenField()


def gathered_items(db, school_id: int, inspection_id: str) -> list[dict]:
    """The inspection's items as the report lists them: each one's latest answer."""
    out = []
    for item in rules.by_urgency(items.for_school(db, school_id, inspection_id), today()):
        answer = next(
            (e for e in reversed(items.events(db, item["id"])) if e["kind"] == "respond"), None
        )
        out.append(
            {"id": item["id"], "number": item["number"] or str(item["seq"]), "problem": item["problem"],
             "status": RECTIFICATION_STATUS[item["status"]], "unit": item["unit_name"] or "学校",
             "measures": answer["data"].get("measures", "") if answer else "",
             "result": answer["data"].get("result", "") if answer else "",
             "done_on": answer["data"].get("done_on", "") if answer else ""}
        )  # fmt: skip
    return out


def report_clock_for(inspection: dict, submitted_at: str | None) -> rules.Clock:
    days = current_app.config.get("RECTIFICATION_REPORT_DAYS", 30)
    done = date.fromisoformat(local_time(submitted_at)[:10]) if submitted_at else None
    return rules.clock(date.fromisoformat(inspection["date"]), days, done, today())


@bp.route("/inspections/<inspection_id>/report", methods=["GET", "POST"])
@report_side
def rectification_report(inspection_id: str):
    """The school's 整改报告 for one inspection: written once, issued as a numbered PDF."""
    db = get_db()
    inspection = inspections.get(db, inspection_id)
    if inspection is None or inspection["school_id"] != g.school_id:
        abort(404)
    rows = gathered_items(db, g.school_id, inspection_id)
    if not rows:
        abort(404)
    submitted = rectification_reports.for_inspection(db, inspection_id)
    if submitted is not None:
        return _revise_report(inspection, rows, submitted)
    form = ReportForm()
    status = 200
    if form.validate_on_submit():
        name = g.user["display_name"] if g.user else f"{inspection['school_name']}校长（访问链接）"
        try:
            rectification_reports.submit(
                db, inspection_id=inspection_id, school_id=g.school_id,
                summary=form.summary.data.strip(), items=rows, evidence=form.stored,
                user_id=g.user["id"] if g.user else None, user_name=name,
            )  # fmt: skip
        except rectification_reports.AlreadySubmitted:
            flash("该次检查的整改报告已经提交过了。", "error")
        else:
            flash("整改报告已提交，正在生成带文号的 PDF。", "success")
        return redirect(url_for(".rectification_report", inspection_id=inspection_id))
    if request.method == "POST":
        status = 400
    return render_template(
        "school/report.html", inspection=inspection, rows=rows, form=form, submitted=None,
        clock=report_clock_for(inspection, None), link=g.link,
    ), status  # fmt: skip


def _revise_report(inspection: dict, rows: list[dict], submitted: dict):
    """The submitted report, its versions, and the form for the next one (修订版).

    A revision waits until the previous version's PDF is issued (its 文号 is what the new one
    names as superseded); the version posted is the one the school saw, so a second tab's
    revision of the same version is refused rather than stacked.
    """
    db = get_db()
    if request.method == "GET":  # the previous version's summary and files to start from
        form = ReviseForm(formdata=None, summary=submitted["summary"], version=submitted["version"])
        form.stored = list(submitted["evidence"])
    else:
        form = ReviseForm()
    status, error = 200, None
    if request.method == "POST":
        status = 400
        if str(submitted["version"]) != (form.version.data or ""):
            status, error = 409, "整改报告已有更新的版本，请查看最新版本后再修订。"
        elif not submitted["pdf_id"]:
            status, error = (
                409,
                "上一版整改报告正在生成 PDF，生成后才能提交修订版，请稍后刷新本页。",
            )
        elif form.validate_on_submit():
            name = (
                g.user["display_name"] if g.user else f"{inspection['school_name']}校长（访问链接）"
            )
            try:
                rectification_reports.submit(
                    db, inspection_id=inspection["id"], school_id=g.school_id,
                    summary=form.summary.data.strip(), items=rows, evidence=form.stored,
                    user_id=g.user["id"] if g.user else None, user_name=name,
                    version=submitted["version"] + 1, reason=form.reason.data.strip(),
                )  # fmt: skip
            except rectification_reports.AlreadySubmitted:
                flash("整改报告已有更新的版本，请查看最新版本。", "error")
            else:
                flash(
                    f"第 {submitted['version'] + 1} 版整改报告已提交，正在生成带新文号的 PDF。",
                    "success",
                )
            return redirect(url_for(".rectification_report", inspection_id=inspection["id"]))
    return render_template(
        "school/report.html", inspection=inspection, rows=rows, form=form, submitted=submitted,
        versions=rectification_reports.versions(db, inspection["id"]), revise_error=error,
        clock=report_clock_for(inspection, submitted["first_submitted_at"]), link=g.link,
    ), status  # fmt: skip


@bp.route("/rectifications/<int:rectification_id>/photos/<sha256>")
@school_side
def finding_photo(rectification_id: int, sha256: str):
    """A photo of the finding, for link holders (they have no login for ``/api/photos``)."""
    item = _own_item(rectification_id)
    db = get_db()
    if sha256 not in {p["photo_sha256"] for p in items.finding_photos(db, item)}:
        abort(404)
    row = media.get(db, sha256)
    if row is None:
        abort(404)
    response = send_file(f"{current_app.config['MEDIA_DIR']}/{row['path']}", mimetype="image/jpeg")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- Evidence files: for everyone who may see an item that carries them. ----------------------


def _viewer(view):
    """Any logged-in user, or an access-link holder; the view checks the item itself."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        g.link = _active_link() if g.user is None else None
        if g.user is None and g.link is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    wrapped.access = ("inspector", "school", "bureau", "admin", "department", "access_link")
    return wrapped


def _may_see(row: dict) -> bool:
    if row.get("kept"):
        return True
    if g.user is None:
        return row["school_id"] == g.link["school_id"]
    role = g.user["role"]
    if role in ("bureau", "admin"):
        return True
    if role == "inspector":
        return row["reviewer_id"] == g.user["id"]
    if role == "department":
        return row["unit_id"] is not None and row["unit_id"] == g.user["unit_id"]
    return row["school_id"] == g.user["school_id"]


@bp.route("/evidence/<sha256>")
@_viewer
def evidence_file(sha256: str):
    db = get_db()
    row = evidence_store.get(db, sha256) if _SHA256.match(sha256) else None
    # Unknown and forbidden look the same, so a hash reveals nothing about other schools.
    # A file this session just uploaded for an answer not sent yet is its own to see again.
    kept = [{"kept": True}] if sha256 in session.get(_KEPT, []) else []
    if row is None or not any(_may_see(r) for r in items.evidence_items(db, sha256) + kept):
        abort(404)
    is_pdf = row["mime"] == "application/pdf"
    response = send_file(
        evidence_store.path_of(evidence_folder(), row),
        mimetype=row["mime"],
        as_attachment=is_pdf,
        download_name=f"整改佐证材料-{sha256[:8]}.{'pdf' if is_pdf else 'jpg'}",
        max_age=3600,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


# --- Access links. -----------------------------------------------------------------------------


@bp.route("/link/<token>")
@public
def open_link(token: str):
    if g.user is not None:
        return render_template(
            "errors/error.html",
            status=409,
            title="请先退出登录",
            message="您已登录账号。访问链接供没有账号的校长使用，请退出登录后再打开，或直接使用账号办理。",
        ), 409
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    if items.active_link(get_db(), token_hash) is None:
        return render_template(
            "errors/error.html",
            status=404,
            title="链接无效",
            message="访问链接无效、已过期或已被撤销，请联系县教育局重新获取。",
        ), 404
    session["access_link"] = token_hash
    return redirect(url_for(".rectification_list"))


# --- Notifications. ----------------------------------------------------------------------------


@bp.route("/notifications")
@role_required("school")
def notification_list():
    refresh_school_notices(g.user["school_id"])  # before listing, so today's notices are there
    return render_template(
        "notifications/list.html",
        rows=notification_store.for_user(get_db(), g.user),
        mark_read_url=url_for(".notifications_read"),
    )


@bp.route("/notifications/read", methods=["POST"])
@role_required("school")
def notifications_read():
    notification_store.mark_all_read(get_db(), g.user)
    return redirect(url_for(".notification_list"))


def refresh_school_notices(school_id: int) -> None:
    """Make the read-time notices (new items, deadlines near) a school should have today."""
    db = get_db()
    notices = notifications.school_reminders(
        items.for_school(db, school_id),
        today(),
        inspection_link=lambda i: url_for("school.rectification_list", inspection=i),
        item_link=lambda r: url_for("school.rectification_detail", rectification_id=r),
    )
    notifications.send_new(db, notices)


def refresh_unit_notices(unit_id: int) -> None:
    """The read-time notices of a department account: items given to its unit, deadlines near."""
    db = get_db()
    notices = notifications.unit_reminders(
        items.for_unit(db, unit_id),
        today(),
        [a["id"] for a in units.accounts(db, unit_id)],
        item_link=lambda r: url_for("school.rectification_detail", rectification_id=r),
    )
    notifications.send_new(db, notices)


def home_panel() -> dict | None:
    """What the home page panels show: a school's summary, or a reviewer's waiting work."""
    user = g.get("user")
    if user is None:
        return None
    db = get_db()
    day = today()
    if user["role"] == "school":
        rows = items.for_school(db, user["school_id"])
        findings = items.findings_count(db, school_id=user["school_id"])
        return {"summary": rules.summarize(findings, rows, day, school=True)}
    if user["role"] == "department":
        if not user["unit_id"]:
            return None
        rows = items.for_unit(db, user["unit_id"])
        return {"summary": rules.summarize(len(rows), rows, day)}
    if user["role"] in ("bureau", "admin"):  # every item: counted from indexes
        return items.waiting_counts(db, day.isoformat())
    reviewer_id = user["id"]
    waiting = items.queue(db, reviewer_id)
    return {
        "responses": sum(1 for r in waiting if r["status"] == "submitted"),
        "extensions": sum(1 for r in waiting if r["extension_until"]),
        "overdue": items.overdue_count(db, reviewer_id, day.isoformat()),
    }


@bp.app_context_processor
def rectification_globals():
    """For every page: the unread count and where to read them; the home panels' data."""
    user = g.get("user")
    names = {"event_names": rules.EVENT_NAMES, "rectification_panel": home_panel}
    if user is None:
        return names
    db = get_db()
    if user["role"] == "school":
        refresh_school_notices(user["school_id"])
        url = url_for("school.notification_list")
    elif user["role"] == "department":
        if user["unit_id"]:
            refresh_unit_notices(user["unit_id"])
        url = url_for("review.notification_list")
    else:
        url = url_for("review.notification_list")
    count = notification_store.unread_count(db, user)
    return names | {"notification_count": count, "notifications_url": url}


bp.add_app_template_filter(local_time, "local_time")
