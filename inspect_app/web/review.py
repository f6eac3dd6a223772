"""The reviewer's side of the rectification loop: the queue, sign-off (销号), send-back, extensions,
on-site re-inspection (复查), the summary per inspection and per school, and access links.

An inspector reviews the items they found (``reviewer_id``); bureau and admin users review all.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

from flask import (
    Blueprint,
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
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from inspect_app.common import periods
from inspect_app.common.clock import local_time, now, stamp
from inspect_app.common.vocabulary import RECTIFICATION_STATUS, REPORT_STATUS, UNIT_KINDS
from inspect_app.rectification import notifications, rules
from inspect_app.storage import (
    audit,
    escalation_log,
    inspections,
    rectification_reports,
    schools,
    units,
)
from inspect_app.storage import followups as followup_visits
from inspect_app.storage import notifications as notification_store
from inspect_app.storage import rectifications as items
from inspect_app.storage.db import get_db
from inspect_app.web import today
from inspect_app.web.guards import role_required
from inspect_app.web.school import (
    ACCEPT,
    actor_label,
    keep_uploads,
    kept_files,
    report_clock_for,
    stale_message,
    with_urgency,
)

bp = Blueprint("review", __name__, url_prefix="/review")

REVIEWERS = ("inspector", "bureau", "admin")
MANAGERS = ("bureau", "admin")
LINK_DAYS = (7, 14, 30)
DONE = {
    "accept": "已销号。",
    "return": "已退回学校重新整改。",
    "approve_extension": "已同意延期，整改时限已调整。",
    "refuse_extension": "已不同意延期，整改时限不变。",
}


def _reviews_all() -> bool:
    return g.user["role"] in MANAGERS


def _reviewable(rectification_id: int) -> dict:
    item = items.get(get_db(), rectification_id)
    if item is None:
        abort(404)
    if not _reviews_all() and item["reviewer_id"] != g.user["id"]:
        abort(403)
    return item


class DecideForm(FlaskForm):
    comment = TextAreaField(
        "复查意见",
        validators=[Length(max=2000, message="不能超过 2000 字")],
        render_kw={"rows": 3},
    )
    version = HiddenField()


class ExtensionDecisionForm(FlaskForm):
    extension_comment = TextAreaField(
        "审核意见", validators=[Length(max=2000, message="不能超过 2000 字")], render_kw={"rows": 2}
    )
    version = HiddenField()


class UnitForm(FlaskForm):
    """The bureau names the responsible unit (责任单位) of an item."""

    unit_id = SelectField("责任单位", coerce=int, choices=[], validate_choice=False)
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_id.choices = [SelectChoice(0, "学校（本校负责）")] + [
            SelectChoice(u["id"], f"{u['name']}（{UNIT_KINDS[u['kind']]}）")
            for u in units.list_all(get_db(), active_only=True)
        ]

    def validate_unit_id(self, field):
        if field.data not in {c.value for c in self.unit_id.choices}:
            raise ValidationError("请选择责任单位")


class ReinspectForm(FlaskForm):
    note = TextAreaField(
        "复查情况",
        validators=[
            DataRequired("请填写现场复查情况"),
            Length(max=2000, message="不能超过 2000 字"),
        ],
        render_kw={"rows": 3},
    )
    photo = FileField("现场照片", render_kw={"accept": ACCEPT, "capture": "environment"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The photo already kept for this record (shown, and sent again as ``kept``).
        self.stored: list[dict] = kept_files(request.form.getlist("kept"))[:1]

    def validate_photo(self, field):
        # Kept at once, as the school's answer keeps its files: a missing note must not make
        # the inspector, standing at the site, take the photo again. A new one replaces it.
        new, problems = keep_uploads([field.data], photos_only=True)
        self.stored = new[:1] or self.stored
        if problems:
            raise ValidationError("；".join(problems))


@bp.route("/")
@role_required(*REVIEWERS)
def queue():
    day = today()
    rows = with_urgency(items.queue(get_db(), None if _reviews_all() else g.user["id"]), day)
    return render_template(
        "review/queue.html",
        responses=[r for r in rows if r["status"] == "submitted"],
        extensions=[r for r in rows if r["extension_until"]],
    )


def _render_item(item: dict, status: int = 200, error: str | None = None, **forms):
    db = get_db()
    forms.setdefault("decide", DecideForm(formdata=None, version=item["version"]))
    forms.setdefault("extension", ExtensionDecisionForm(formdata=None, version=item["version"]))
    forms.setdefault("reinspect", ReinspectForm(formdata=None))
    if _reviews_all():
        forms.setdefault(
            "unit", UnitForm(formdata=None, version=item["version"], unit_id=item["unit_id"] or 0)
        )
    return render_template(
        "review/item.html",
        item=with_urgency([item], today())[0],
        photos=items.finding_photos(db, item),
        photo_url=lambda sha: url_for("sync.photo", sha256=sha),
        events=items.events(db, item["id"]),
        error=error,
        forms=forms,
    ), status


@bp.route("/rectifications/<int:rectification_id>")
@role_required(*REVIEWERS)
def rectification_detail(rectification_id: int):
    return _render_item(_reviewable(rectification_id))


def _decide(item: dict, action: str, version_text, comment: str, form_key: str, form):
    """Apply a reviewer's decision; on success redirect, otherwise show the item with why."""
    try:
        version = int(version_text)
    except (TypeError, ValueError):
        abort(400)
    # The page the reviewer acted on was out of date: say so, rather than judge the new state.
    if version != item["version"]:
        return _render_item(item, 409, stale_message(item))
    try:
        move = rules.decide(item, action, "reviewer", today(), comment=comment)
    except rules.IllegalMove as exc:
        return _render_item(item, 409, str(exc), **{form_key: form})
    db = get_db()
    try:
        items.apply(db, item, move, version=version, user_id=g.user["id"], actor=actor_label())
    except items.Stale:
        current = items.get(db, item["id"])
        assert current is not None  # items are never deleted
        return _render_item(current, 409, stale_message(item))
    link = url_for("school.rectification_detail", rectification_id=item["id"])
    accounts = [a["id"] for a in units.accounts(db, item["unit_id"])] if item["unit_id"] else []
    for notice in notifications.to_answerers(item, action, link, accounts):
        notifications.send(db, notice)
    flash(DONE[action], "success")
    return redirect(url_for(".rectification_detail", rectification_id=item["id"]))


@bp.route("/rectifications/<int:rectification_id>/decide", methods=["POST"])
@role_required(*REVIEWERS)
def decide(rectification_id: int):
    item = _reviewable(rectification_id)
    form = DecideForm()
    action = request.form.get("action")
    if action not in ("accept", "return"):
        abort(400)
    if not form.validate_on_submit():
        return _render_item(item, 400, "请检查填写的内容。", decide=form)
    return _decide(item, action, form.version.data, form.comment.data, "decide", form)


@bp.route("/rectifications/<int:rectification_id>/extension", methods=["POST"])
@role_required(*REVIEWERS)
def extension(rectification_id: int):
    item = _reviewable(rectification_id)
    form = ExtensionDecisionForm()
    action = {"approve": "approve_extension", "refuse": "refuse_extension"}.get(
        request.form.get("decision", "")
    )
    if action is None:
        abort(400)
    if not form.validate_on_submit():
        return _render_item(item, 400, "请检查填写的内容。", extension=form)
    return _decide(item, action, form.version.data, form.extension_comment.data, "extension", form)


@bp.route("/rectifications/<int:rectification_id>/reinspect", methods=["POST"])
@role_required(*REVIEWERS)
def reinspect(rectification_id: int):
    item = _reviewable(rectification_id)
    form = ReinspectForm()
    if not form.validate_on_submit():
        return _render_item(item, 400, None, reinspect=form)
    move = rules.decide(item, "reinspect", "reviewer", today(), note=form.note.data)
    items.apply(
        get_db(), item, move, version=item["version"], user_id=g.user["id"],
        actor=actor_label(), evidence=form.stored,
    )  # fmt: skip
    flash("现场复查记录已保存。", "success")
    return redirect(url_for(".rectification_detail", rectification_id=item["id"]))


@bp.route("/rectifications/<int:rectification_id>/unit", methods=["POST"])
@role_required(*MANAGERS)
def assign_unit(rectification_id: int):
    """The bureau names who fixes an item: the school, or a county department / township."""
    item = _reviewable(rectification_id)
    form = UnitForm()
    if not form.validate_on_submit():
        return _render_item(item, 400, "请检查填写的内容。", unit=form)
    try:
        version = int(form.version.data)
    except (TypeError, ValueError):
        abort(400)
    if version != item["version"]:
        return _render_item(item, 409, stale_message(item))
    db = get_db()
    unit = units.get(db, form.unit_id.data) if form.unit_id.data else None
    try:
        move = rules.assign_unit(item, unit)
    except rules.IllegalMove as exc:
        return _render_item(item, 409, str(exc), unit=form)
    try:
        items.apply(db, item, move, version=version, user_id=g.user["id"], actor=actor_label())
    except items.Stale:
        current = items.get(db, item["id"])
        assert current is not None  # items are never deleted
        return _render_item(current, 409, stale_message(item))
    flash(f"已将责任单位设为「{unit['name'] if unit else '学校'}」。", "success")
    return redirect(url_for(".rectification_detail", rectification_id=item["id"]))


@bp.route("/inspections/<inspection_id>")
@role_required(*REVIEWERS)
def inspection(inspection_id: str):
    db = get_db()
    row = inspections.get(db, inspection_id)
    if row is None:
        abort(404)
    if not _reviews_all() and row["inspector_id"] != g.user["id"]:
        abort(403)
    day = today()
    rows = with_urgency(items.for_inspection(db, inspection_id), day)
    findings = items.findings_count(db, inspection_id=inspection_id)
    versions = rectification_reports.versions(db, inspection_id)
    return render_template(
        "review/inspection.html",
        inspection=row,
        rows=rows,
        summary=rules.summarize(findings, rows, day),
        report_versions=versions,
        report_clock=report_clock_for(row, versions[0]["submitted_at"] if versions else None),
        report_status=REPORT_STATUS,
    )


# --- The clocks the rules set (bureau): who is late on each. ---------------------------------


def _day(moment: str | None):
    return date.fromisoformat(local_time(moment)[:10]) if moment else None


@bp.route("/clocks")
@role_required(*MANAGERS)
def clocks():
    """整改报告 due 30 days after the inspection, 复查 requests due 15 days after a send-back
    (both configurable): every school's standing, the late ones first."""
    db = get_db()
    day = today()
    report_days = current_app.config.get("RECTIFICATION_REPORT_DAYS", 30)
    request_days = current_app.config.get("RECTIFICATION_REVIEW_REQUEST_DAYS", 15)
    reports_rows = [
        {**r, "clock": rules.clock(date.fromisoformat(r["date"]), report_days,
                                   _day(r["submitted_at"]), day)}
        for r in rectification_reports.report_clock(db)
    ]  # fmt: skip
    request_rows = [
        {**r, "clock": rules.clock(_day(r["returned_at"]) or day, request_days, None, day)}
        for r in rectification_reports.review_request_clock(db)
    ]

    def order(row):
        return (not row["clock"].late, row["clock"].state == "done", row["clock"].due)

    overdue = with_urgency(items.overdue_open(db, day.isoformat()), day)
    return render_template(
        "review/clocks.html",
        overdue=overdue,
        overdue_owners=rules.overdue_by_owner(overdue),
        reports=sorted(reports_rows, key=order),
        requests=sorted(request_rows, key=order),
        report_days=report_days,
        request_days=request_days,
        late_reports=sum(1 for r in reports_rows if r["clock"].state == "late"),
        late_requests=sum(1 for r in request_rows if r["clock"].late),
    )


# --- The record of escalations (逾期升级督办): who, which item, and whom it told. ---------------

ESCALATION_PAGE = 50
ESCALATION_REASONS = {"overdue": "逾期未整改", "repeat": "逾期后检查再次发现"}
HEAD_CHANNELS = {"email": "邮件", "webhook": "短信/微信"}
HEAD_STATES = {"queued": "待发送", "digest": "待汇总", "sending": "发送中",
               "digest_sending": "发送中", "sent": "已发送", "failed": "发送失败"}  # fmt: skip


def _told(escalation: dict, sent: dict) -> list[dict]:
    """Whom ``escalation`` told, one line each: the school (or the unit's accounts), the unit
    head by e-mail and gateway, the bureau's accounts in one line; ``at`` when, ``state``
    read / delivered."""
    lines, bureau = [], []
    for n in sent["notices"]:
        addressee = n["dedupe_key"].rsplit(":", 1)[1]
        if addressee.startswith("b"):
            bureau.append(n)
            continue
        who = (f"{escalation['school_name']}（学校账号）" if n["school_id"]
               else f"{escalation['unit_name'] or ''} {n['display_name'] or ''}（单位账号）")  # fmt: skip
        lines.append({"who": who.strip(), "how": "站内消息", "at": n["created_at"],
                      "state": "已读" if n["read_at"] else "未读", "ok": True})  # fmt: skip
    for h in sent["heads"]:
        head = escalation["unit_head"] or "负责人"
        lines.append(
            {"who": f"{escalation['unit_name']}{head}（{h['address']}）",
             "how": HEAD_CHANNELS.get(h["channel"], h["channel"]),
             "at": h["delivered_at"] or h["created_at"],
             "state": HEAD_STATES.get(h["status"], h["status"])
             + (f"（已尝试 {h['attempts']} 次）" if h["status"] == "failed" else ""),
             "ok": h["status"] != "failed"}
        )  # fmt: skip
    if bureau:
        lines.append({"who": f"县教育局（{len(bureau)} 个账号）", "how": "站内消息",
                      "at": bureau[0]["created_at"],
                      "state": f"{sum(1 for n in bureau if n['read_at'])} 人已读", "ok": True})  # fmt: skip
    return lines


def _unit_filter(value: str) -> int | None:
    """``unit`` in the query: '' every escalation, 'school' the schools' own items (0), else a
    unit's id; anything else is every escalation."""
    if value == "school":
        return 0
    return int(value) if value.isdigit() and int(value) > 0 else None


@bp.route("/escalations")
@role_required(*MANAGERS)
def escalations():
    """Every escalation of the period, newest first: filterable by unit and reason, each with
    the item, its deadline, how late it was, and whom it told (in-app, the unit head)."""
    db = get_db()
    args = request.args
    kind = args.get("period", "month")
    key = args.get("key", "")
    if kind == "custom" and args.get("start") and args.get("end"):
        key = f"{args['start']}~{args['end']}"
    status = 200
    try:
        period = periods.parse_period(kind, key, today())
    except periods.PeriodError as exc:
        flash(f"{exc}，已改为显示本月。", "error")
        period, status = periods.current_period("month", today()), 400
    unit_arg = args.get("unit", "")
    unit = _unit_filter(unit_arg)
    reason = args.get("reason", "")
    reason = reason if reason in ESCALATION_REASONS else ""
    start, end = period.start.isoformat(), period.end.isoformat()
    total = escalation_log.count(db, start, end, unit, reason)
    pages = max(1, -(-total // ESCALATION_PAGE))
    page = min(max(1, args.get("page", 1, type=int) or 1), pages)
    rows = escalation_log.page(
        db, start, end, unit, reason, limit=ESCALATION_PAGE, offset=(page - 1) * ESCALATION_PAGE
    )
    for row in rows:
        row["told"] = _told(row, escalation_log.messages(db, row))
    choices = periods.period_choices(period.kind, today()) if period.kind != "custom" else []
    if period.kind != "custom" and period.key not in {p.key for p in choices}:
        choices.insert(0, period)
    query = {"period": period.kind, "unit": unit_arg if unit is not None else "", "reason": reason}
    if period.kind == "custom":
        query |= {"start": start, "end": end}
    else:
        query["key"] = period.key
    return render_template(
        "review/escalations.html",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        query=query,
        period=period,
        period_kinds=periods.PERIOD_KINDS,
        period_choices=choices,
        units=units.list_all(db),
        unit_kinds=UNIT_KINDS,
        unit=unit,
        reason=reason,
        reasons=ESCALATION_REASONS,
        by_unit=[
            {**u, "href": url_for(".escalations", **(query | {"unit": u["unit_id"] or "school"}))}
            for u in escalation_log.by_unit(db, start, end)
        ],
        status_names=RECTIFICATION_STATUS,
    ), status


# --- Per school (bureau): the summary, the items, and access links for the principal. ---------


class LinkForm(FlaskForm):
    days = SelectField(
        "有效期",
        coerce=int,
        choices=[SelectChoice(d, f"{d} 天") for d in LINK_DAYS],
        default=14,
    )


def _school_page(school_id: int, form: LinkForm, new_link: str | None = None):
    db = get_db()
    school = schools.get(db, school_id)
    if school is None:
        abort(404)
    day = today()
    rows = with_urgency(rules.by_urgency(items.for_school(db, school_id), day), day)
    findings = items.findings_count(db, school_id=school_id)
    return render_template(
        "review/school.html",
        school=school,
        rows=rows,
        # Against the school: an item a county unit fixes is that unit's delay, not the school's.
        summary=rules.summarize(findings, rows, day, school=True),
        links=items.links_for_school(db, school_id),
        followups=followup_visits.for_school(db, school_id),
        now=stamp(),
        form=form,
        new_link=new_link,
    )


@bp.route("/schools/<int:school_id>")
@role_required(*MANAGERS)
def school(school_id: int):
    return _school_page(school_id, LinkForm(formdata=None))


@bp.route("/schools/<int:school_id>/links", methods=["POST"])
@role_required(*MANAGERS)
def create_link(school_id: int):
    form = LinkForm()
    if schools.get(get_db(), school_id) is None:
        abort(404)
    if not form.validate_on_submit():
        return _school_page(school_id, form), 400
    # Only the hash is stored: whoever reads the database cannot use a link.
    token = secrets.token_urlsafe(32)
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    db = get_db()
    items.create_link(
        db,
        token_hash=token_hash,
        school_id=school_id,
        created_by=g.user["id"],
        expires_at=stamp(now() + timedelta(days=form.days.data)),
    )
    audit.record(db, "access_link_created", user=g.user, target=f"school:{school_id}",
                 detail={"token_hash": token_hash, "days": form.days.data}, ip=request.remote_addr or "")  # fmt: skip
    url = url_for("school.open_link", token=token, _external=True)
    return _school_page(school_id, LinkForm(formdata=None), new_link=url)


@bp.route("/links/<token_hash>/revoke", methods=["POST"])
@role_required(*MANAGERS)
def revoke_link(token_hash: str):
    db = get_db()
    link = items.revoke_link(db, token_hash)
    if link is None:
        abort(404)
    audit.record(db, "access_link_revoked", user=g.user, target=f"school:{link['school_id']}",
                 detail={"token_hash": token_hash}, ip=request.remote_addr or "")  # fmt: skip
    flash("访问链接已撤销，立即失效。", "success")
    return redirect(url_for(".school", school_id=link["school_id"]))


# --- Notifications. ----------------------------------------------------------------------------


@bp.route("/notifications")
@role_required(*REVIEWERS, "department")
def notification_list():
    return render_template(
        "notifications/list.html",
        rows=notification_store.for_user(get_db(), g.user),
        mark_read_url=url_for(".notifications_read"),
    )


@bp.route("/notifications/read", methods=["POST"])
@role_required(*REVIEWERS, "department")
def notifications_read():
    notification_store.mark_all_read(get_db(), g.user)
    return redirect(url_for(".notification_list"))
