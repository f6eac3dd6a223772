"""The bureau's pages: dashboard, ranking, sections, a school's record, plan, exports, bulletins."""

from __future__ import annotations

import base64
import os
from datetime import date

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
    url_for,
)
from werkzeug.datastructures import MultiDict

from inspect_app.bureau import (
    bulletins,
    charts,
    commentary,
    draws,
    export_jobs,
    figures,
    stored,
)
from inspect_app.common import periods, vocabulary
from inspect_app.common.clock import local_time, now
from inspect_app.common.vocabulary import INSPECTION_TYPES, STAGES
from inspect_app.documents import preview
from inspect_app.storage import analytics as store
from inspect_app.storage import assignments, jobs, reports, schools, users
from inspect_app.storage import bulletins as bulletin_records
from inspect_app.storage import draws as draw_storage
from inspect_app.storage import exports as export_storage
from inspect_app.storage.db import get_db, write
from inspect_app.web import today
from inspect_app.web.guards import role_required

bp = Blueprint("bureau", __name__, url_prefix="/bureau")
BUREAU = ("bureau", "admin")
HEAT_PAGE = 60  # schools per page of the ranking and heat map
# A worker whose heartbeat (every 5 s) is younger than this is running.
WORKER_ALIVE_SECONDS = 30


def _int(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value and value > 0 else None


def read_filters(args=None) -> periods.Filters:
    """Filters from the query string; an unreadable period is a 400 with a Chinese message."""
    args = request.args if args is None else MultiDict(args)
    kind = args.get("period", periods.DEFAULT_PERIOD)
    key = args.get("key", "")
    if kind == "custom" and args.get("start") and args.get("end"):
        key = f"{args['start']}~{args['end']}"
    try:
        period = periods.parse_period(kind, key, today())
    except periods.PeriodError as exc:
        flash(f"{exc}，已改为显示本学期。", "error")
        period = periods.current_period(periods.DEFAULT_PERIOD, today())
    stage = args.get("stage", "")
    kind_of = args.get("type", "")
    filters = periods.Filters(
        period=period,
        township_id=args.get("township", type=int) or None,
        stage=stage if stage in STAGES else "",
        type=kind_of if kind_of in INSPECTION_TYPES else "",
    )
    checklist = args.get("checklist", "")
    if checklist == "all":
        return filters
    if not checklist:
        checklist = store.most_used_checklist(get_db(), filters) or ""
    return filters.with_checklist(checklist)


def _filter_context(filters: periods.Filters) -> dict:
    db = get_db()
    period = filters.period
    choices = periods.period_choices(period.kind, today()) if period.kind != "custom" else []
    if period.kind != "custom" and period.key not in {p.key for p in choices}:
        choices.insert(0, period)
    return {
        "filters": filters,
        "period_kinds": periods.PERIOD_KINDS,
        "period_choices": choices,
        "townships": schools.townships(db),
        "stages": STAGES,
        "checklists": store.checklist_titles(db),
        "types": INSPECTION_TYPES,
        "args": filters.query_args(),
    }


def _stale_seconds() -> float:
    """How old a stored overview may be when data arrived since: while the document worker
    runs it is already recomputing it, so the page need not wait; without a worker (a test,
    ``flask run`` alone) figures are always recomputed first."""
    moment = now()
    alive = any(
        jobs.heartbeat_age(b, moment) < WORKER_ALIVE_SECONDS for b in jobs.heartbeats(get_db())
    )
    return stored.STALE_SECONDS if alive else 0


def _stored_context(figures_: stored.Figures) -> dict:
    return {"overview": figures_, "summary": figures_.summary,
            "figures_time": local_time(figures_.computed_at)}  # fmt: skip


@bp.get("/")
@role_required(*BUREAU)
def dashboard():
    filters = read_filters()
    overview = stored.dashboard(get_db(), filters, today(), stale_seconds=_stale_seconds())
    s = overview.summary
    return render_template(
        "bureau/dashboard.html",
        grade_chart=charts.grade_chart(s["grades"], chart_id="grades"),
        section_chart=charts.bar_chart(
            [(a["title"], a["average"]) for a in overview.section_averages],
            title="各评估内容平均得分率（%）",
            unit="%",
            label_width=170,
            chart_id="sections",
        )
        if overview.section_averages
        else None,
        **_stored_context(overview),
        **_filter_context(filters),
    )


def _sort_args() -> tuple[str, bool]:
    sort = request.args.get("sort", "total")
    sort = sort if sort in figures.SORT_KEYS else "total"
    default_desc = sort in ("total", "change", "findings", "date")
    order = request.args.get("order", "desc" if default_desc else "asc")
    return sort, order != "asc"


def _ranking_page():
    filters = read_filters()
    sort, descending = _sort_args()
    overview, rows, page, pages = stored.ranking_page(
        get_db(), filters, today(), sort=sort, descending=descending,
        page=request.args.get("page", 1, type=int), per_page=HEAT_PAGE,
        stale_seconds=_stale_seconds(),
    )  # fmt: skip
    return filters, {
        "rows": rows,
        "page": page,
        "pages": pages,
        "sort": sort,
        "descending": descending,
        "heat_class": charts.heat_class,
        **_stored_context(overview),
    }


@bp.get("/ranking")
@role_required(*BUREAU)
def ranking():
    filters, context = _ranking_page()
    return render_template(
        "bureau/ranking.html",
        sort_keys=figures.SORT_KEYS,
        **context,
        **_filter_context(filters),
    )


@bp.get("/sections")
@role_required(*BUREAU)
def sections():
    filters, context = _ranking_page()
    overview = context["overview"]
    return render_template(
        "bureau/sections.html",
        section_chart=charts.bar_chart(
            [(a["title"], a["average"]) for a in overview.section_averages],
            title="各评估内容平均得分率（%）",
            unit="%",
            label_width=170,
            chart_id="sections",
        )
        if overview.section_averages
        else None,
        **context,
        **_filter_context(filters),
    )


@bp.get("/schools/<int:school_id>")
@role_required(*BUREAU)
def school(school_id: int):
    db = get_db()
    record = schools.get(db, school_id)
    if record is None:
        abort(404)
    history = store.school_inspections(db, school_id)
    valid = [i for i in history if i["status"] == "valid"]
    by_checklist: dict[str, list[dict]] = {}
    for row in valid:
        by_checklist.setdefault(row["checklist_id"], []).append(row)
    trends = [
        {
            "checklist_id": checklist_id,
            "title": rows[-1]["checklist_title"],
            "chart": charts.line_chart(
                [(r["date"][5:], r["total"]) for r in rows],
                title=f"{record['name']}·{rows[-1]['checklist_title']}得分变化",
                chart_id=f"trend-{checklist_id}",
            ),
            "rows": rows,
        }
        for checklist_id, rows in by_checklist.items()
    ]
    latest = valid[-1] if valid else None
    latest_sections = []
    if latest:
        compiled = store.compiled_version(db, latest["checklist_hash"]) or {"sections": []}
        sums = {r["section_id"]: r for r in store.school_sections(db, latest["id"])}
        for section in compiled["sections"]:
            summed = sums.get(section["id"])
            if summed and summed["possible"]:
                latest_sections.append(
                    {"title": section["title"], "percent": figures.percent(summed["earned"], summed["possible"]),
                     "failed": summed["failed"]}
                )  # fmt: skip
    return render_template(
        "bureau/school.html",
        school=record,
        history=list(reversed(history)),
        trends=trends,
        latest=latest,
        latest_sections=latest_sections,
        rectifications=store.school_open_rectifications(db, school_id),
        reports=store.school_reports(db, school_id),
        today=today().isoformat(),
        status_names=vocabulary.RECTIFICATION_STATUS,
        report_status=vocabulary.REPORT_STATUS,
        heat_class=charts.heat_class,
    )


# ---------------------------------------------------------------------------
# Supervision plan


# 挂牌督导: the routine visits of a 责任督学 are inspections with this checklist; 教育督导条例
# 第十四条 asks for at least two per school each term.
ROUTINE_CHECKLIST = "routine_visit"
ROUTINE_VISITS_PER_TERM = 2


def _routine_short(db, filters: periods.Filters) -> tuple[periods.Period, list[dict]]:
    """The term the page's period starts in, and the schools with fewer routine visits in it
    (so far) than the 条例 asks, fewest first."""
    term = periods.term_period(*periods.term_of(filters.period.start))
    rows = assignments.routine_visits(
        db,
        ROUTINE_CHECKLIST,
        term.start.isoformat(),
        term.end.isoformat(),
        township_id=filters.township_id,
        stage=filters.stage,
    )
    short = [r for r in rows if r["visits"] < ROUTINE_VISITS_PER_TERM]
    short.sort(key=lambda r: (r["visits"], r["township"], r["code"]))
    return term, short


def _plan_page(
    filters: periods.Filters,
    status: int = 200,
    form: dict | None = None,
    errors: dict[str, str] | None = None,
):
    db = get_db()
    period = filters.period
    start, end = period.start.isoformat(), period.end.isoformat()
    # as the plan stood at the end of the period viewed (today, for the current one)
    rows = figures.plan_rows(
        assignments.progress(db, start, end, township_id=filters.township_id, stage=filters.stage),
        min(today(), period.end),
    )
    unassigned = assignments.unassigned_schools(
        db, start, end, township_id=filters.township_id, stage=filters.stage
    )
    behind = [r for r in rows if r["behind"]]
    routine_term, routine_short = _routine_short(db, filters)
    return render_template(
        "bureau/plan.html",
        routine_term=routine_term,
        routine_short=routine_short,
        routine_minimum=ROUTINE_VISITS_PER_TERM,
        rows=rows,
        totals=figures.plan_totals(rows),
        inspectors_progress=figures.by_inspector(rows),
        behind=behind,
        unassigned=unassigned,
        inspectors=[u for u in users.list_all(db, "inspector") if u["active"]],
        all_schools=schools.search(db, township_id=filters.township_id, stage=filters.stage),
        form=form or {"start": start, "end": end, "planned_visits": 2, "school_ids": []},
        errors=errors or {},
        **_filter_context(filters),
    ), status


def _posted_date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.form.get(name, ""))
    except ValueError:
        return None


@bp.get("/plan")
@role_required(*BUREAU)
def plan():
    return _plan_page(read_filters())


@bp.post("/plan")
@role_required(*BUREAU)
def plan_assign():
    filters = read_filters()
    db = get_db()
    form = request.form
    errors = {}
    inspector = users.get(db, form.get("inspector_id", type=int) or 0)
    if inspector is None or inspector["role"] != "inspector":
        errors["inspector_id"] = "请选择督学"
    school_ids = {int(v) for v in form.getlist("school_id") if v.isdigit()}
    township_id = form.get("assign_township", type=int)
    if township_id:
        school_ids |= {s["id"] for s in schools.search(db, township_id=township_id)}
    school_ids = {sid for sid in school_ids if schools.get(db, sid) is not None}
    if not school_ids:
        errors["school_id"] = "请选择至少一所学校或一个乡镇"
    start, end = _posted_date("start"), _posted_date("end")
    if start is None:
        errors["start"] = "请填写正确的开始日期"
    if end is None:
        errors["end"] = "请填写正确的结束日期"
    elif start is not None and end < start:
        errors["end"] = "结束日期不能早于开始日期"
    planned = form.get("planned_visits", type=int)
    if planned is None or not 1 <= planned <= 20:
        errors["planned_visits"] = "计划次数应为 1 至 20 之间的整数"
    if errors:
        # Every choice comes back as made (a multi-select has several values), with the
        # message beside the field it is about.
        flash("督导任务未保存，请按提示修改。", "error")
        kept = {k: form.get(k, "") for k in ("inspector_id", "assign_township", "start", "end",
                                             "planned_visits")}  # fmt: skip
        return _plan_page(filters, 400, {**kept, "school_ids": form.getlist("school_id")}, errors)
    assert inspector is not None and start is not None and end is not None
    with write(db):
        for school_id in sorted(school_ids):
            assignments.assign(
                db,
                inspector["id"],
                school_id,
                start.isoformat(),
                end.isoformat(),
                planned,
                by=g.user["id"],
            )
    flash(f"已为 {inspector['display_name']} 安排 {len(school_ids)} 所学校的督导任务。", "success")
    return redirect(url_for("bureau.plan", **filters.query_args()))


@bp.post("/plan/<int:assignment_id>/delete")
@role_required(*BUREAU)
def plan_delete(assignment_id: int):
    if not assignments.remove(get_db(), assignment_id):
        abort(404)
    flash("已删除该督导任务。", "success")
    return redirect(url_for("bureau.plan", **read_filters().query_args()))


# ---------------------------------------------------------------------------
# Exports


@bp.post("/exports")
@role_required(*BUREAU)
def export_start():
    """Queue an export of the filters on the page; the worker writes it (bureau/export_jobs.py)."""
    fmt = request.form.get("format", "xlsx")
    if fmt not in export_jobs.FORMATS:
        abort(400)
    filters = read_filters(request.form)
    job_id = export_jobs.start(get_db(), fmt, filters, today(), g.user["id"])
    return redirect(url_for("bureau.export_status", job_id=job_id))


def _export_job(job_id: int) -> dict:
    job = export_storage.get_job(get_db(), job_id)
    if job is None:
        abort(404)
    return job


def _export_view(job: dict) -> dict:
    return {
        **job,
        "percent": export_jobs.percent(job),
        "status_name": export_jobs.STATUS.get(job["status"], job["status"]),
        "format_name": export_jobs.FORMATS.get(job["format"], job["format"]),
        "created": local_time(job["created_at"]),
        "finished": local_time(job["finished_at"]),
        "size_mb": round((job["size"] or 0) / 2**20, 1),
    }


@bp.get("/exports")
@role_required(*BUREAU)
def export_list():
    jobs_ = [_export_view(j) for j in export_storage.recent_jobs(get_db())]
    return render_template("bureau/exports.html", jobs=jobs_, args={})


@bp.get("/exports/<int:job_id>")
@role_required(*BUREAU)
def export_status(job_id: int):
    return render_template("bureau/export.html", job=_export_view(_export_job(job_id)), args={})


@bp.get("/exports/<int:job_id>.json")
@role_required(*BUREAU)
def export_progress(job_id: int):
    """For the page's progress bar (polled while the export runs)."""
    job = _export_view(_export_job(job_id))
    return {
        "status": job["status"],
        "status_name": job["status_name"],
        "percent": job["percent"],
        "stage": job["stage"] or "",
        "error": job["last_error"] or "",
        "download": url_for("bureau.export_download", job_id=job_id)
        if job["status"] == "done"
        else None,
    }


@bp.get("/exports/<int:job_id>/download")
@role_required(*BUREAU)
def export_download(job_id: int):
    job = _export_job(job_id)
    if job["status"] != "done" or not job["path"] or not os.path.exists(job["path"]):
        abort(404)
    mimetype = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if job["format"] == "xlsx"
        else "application/zip"
    )
    return send_file(job["path"], mimetype=mimetype, as_attachment=True,
                     download_name=job["filename"])  # fmt: skip


# ---------------------------------------------------------------------------
# Bulletins


BULLETIN_KINDS = ("month", "quarter", "term", "year")


@bp.get("/bulletins")
@role_required(*BUREAU)
def bulletin_list():
    """The form (a period of each kind to choose from, the checklist, the 点评) and the list."""
    args = request.args
    kind = args.get("period", "quarter")
    kind = kind if kind in BULLETIN_KINDS else "quarter"
    form = {
        "period": kind,
        "checklist": args.get("checklist", ""),
        "commentary": "",
        **{f"key_{k}": args.get(f"key_{k}") or (args.get("key") if k == kind else "") or ""
           for k in BULLETIN_KINDS},
    }  # fmt: skip
    return _bulletin_page(form)


def _bulletin_choices() -> dict[str, list[periods.Period]]:
    """For each kind, the periods offered (the one under way too: a 季通报 may go out in the
    quarter's last week), and the default among them."""
    out = {}
    for kind in BULLETIN_KINDS:
        default = bulletins.default_period(kind, today())
        choices = periods.period_choices(kind, today())
        if default.key not in {p.key for p in choices}:
            choices.insert(0, default)
        out[kind] = choices
    return out


def _bulletin_page(form: dict, status: int = 200):
    db = get_db()
    choices = _bulletin_choices()
    for kind in BULLETIN_KINDS:
        if form.get(f"key_{kind}") not in {p.key for p in choices[kind]}:
            form[f"key_{kind}"] = bulletins.default_period(kind, today()).key
    checklists = store.checklist_titles(db)
    if form.get("checklist") not in {c["id"] for c in checklists}:
        period = periods.parse_period(form["period"], form[f"key_{form['period']}"], today())
        form["checklist"] = store.most_used_checklist(db, periods.Filters(period=period)) or (
            checklists[0]["id"] if checklists else ""
        )
    rows = [
        {**row, "label": _bulletin_label(row), "issued_at": local_time(row["created_at"])}
        for row in bulletin_records.issued(db)
    ]
    return render_template(
        "bureau/bulletins.html",
        form=form,
        kinds={k: periods.PERIOD_KINDS[k] for k in BULLETIN_KINDS},
        choices=choices,
        checklists=checklists,
        bulletins=rows,
        report_status=vocabulary.REPORT_STATUS,
        max_chars=commentary.MAX_CHARS,
        args={},
    ), status


def _bulletin_label(row: dict) -> str:
    """The period in words; bulletins from before their record was kept have only a key."""
    key = row["period_key"] or row["subject_id"].split("/")[0]
    try:
        return periods.from_key(key).label
    except periods.PeriodError:
        return key


def _bulletin_form() -> tuple[dict, bulletins.Draft | None]:
    """The posted form, and its draft; a refusal is flashed and the draft is None."""
    form = request.form
    kind = form.get("period", "")
    values = {
        "period": kind if kind in BULLETIN_KINDS else "quarter",
        "checklist": form.get("checklist", ""),
        "commentary": commentary.clean(form.get("commentary")),
        **{f"key_{k}": form.get(f"key_{k}", "") for k in BULLETIN_KINDS},
    }
    key = form.get(f"key_{kind}") or form.get("key", "")
    try:
        if kind not in BULLETIN_KINDS or not key:
            raise periods.PeriodError("请选择通报的时段")
        period = periods.parse_period(kind, key, today())
        values[f"key_{kind}"] = period.key
        checklist = values["checklist"]
        draft = bulletins.prepare(
            get_db(), period, "" if checklist == "all" else checklist, values["commentary"],
            today(),
        )  # fmt: skip
    except (periods.PeriodError, bulletins.BulletinError) as exc:
        flash(str(exc), "error")
        return values, None
    return values, draft


@bp.post("/bulletins/preview")
@role_required(*BUREAU)
def bulletin_preview():
    """The pages as they will be issued, and the button that issues exactly this."""
    form, draft = _bulletin_form()
    if draft is None:
        return _bulletin_page(form, 422)
    pages: list[str] = []
    try:
        pdf = bulletins.preview(get_db(), current_app.config, draft)
        pages = [
            "data:image/png;base64," + base64.b64encode(png).decode("ascii")
            for png in preview.page_images(pdf)
        ]
    except preview.PreviewError as exc:
        flash(str(exc), "error")
    return render_template(
        "bureau/bulletin_preview.html",
        form=form,
        draft=draft,
        title=bulletins.bulletin_title(draft.period),
        pages=pages,
        kinds=periods.PERIOD_KINDS,
        args={},
    )


@bp.post("/bulletins/edit")
@role_required(*BUREAU)
def bulletin_back():
    """Back from the preview to the form, with what was typed (the 点评 is not in the URL)."""
    form = request.form
    kind = form.get("period", "")
    return _bulletin_page(
        {
            "period": kind if kind in BULLETIN_KINDS else "quarter",
            "checklist": form.get("checklist", ""),
            "commentary": commentary.clean(form.get("commentary")),
            **{f"key_{k}": form.get(f"key_{k}", "") for k in BULLETIN_KINDS},
        }
    )


@bp.post("/bulletins")
@role_required(*BUREAU)
def bulletin_issue():
    form, draft = _bulletin_form()
    if draft is None:
        return _bulletin_page(form, 400)
    row = bulletins.issue(get_db(), current_app.config, draft, issued_by=g.user["id"])
    flash(
        f"已生成并签发《{bulletins.bulletin_title(draft.period)}》（第 {row['version']} 版）。",
        "success",
    )
    return redirect(url_for("bureau.bulletin_list", period=draft.period.kind,
                            **{f"key_{draft.period.kind}": draft.period.key},
                            checklist=draft.checklist_id))  # fmt: skip


# ---------------------------------------------------------------------------
# 双随机 draws and 回避


DRAW_KINDS = ("month", "quarter", "term", "year")


def _draw_page(
    form: dict | None = None,
    status: int = 200,
    conflict: dict | None = None,
    conflict_errors: dict[str, str] | None = None,
):
    db = get_db()
    choices = {k: periods.period_choices(k, today()) for k in DRAW_KINDS}
    form = form or {"period": "term", "key": choices["term"][0].key, "share": 20,
                    "per_school": 2, "planned_visits": 1, "seed": ""}  # fmt: skip
    return render_template(
        "bureau/draws.html",
        form=form,
        kinds={k: periods.PERIOD_KINDS[k] for k in DRAW_KINDS},
        choices=choices,
        draws=[
            {**d, "label": _draw_label(d), "at": local_time(d["created_at"])}
            for d in draw_storage.recent(db)
        ],  # fmt: skip
        conflicts=draw_storage.conflicts(db),
        inspectors=draw_storage.active_inspectors(db),
        townships=schools.townships(db),
        stages=STAGES,
        all_schools=schools.search(db),
        conflict=conflict or {},
        conflict_errors=conflict_errors or {},
        args={},
    ), status


def _draw_label(row: dict) -> str:
    try:
        return periods.from_key(row["period_key"]).label
    except periods.PeriodError:
        return row["period_key"]


@bp.get("/draws")
@role_required(*BUREAU)
def draw_list():
    return _draw_page()


def _posted_int(name: str) -> int | None:
    value = request.form.get(name, "").strip()
    return int(value) if value.isdigit() else None


@bp.post("/draws")
@role_required(*BUREAU)
def draw_make():
    form = request.form
    values = {k: form.get(k, "") for k in
              ("period", "key", "share", "per_school", "planned_visits", "seed", "township",
               "stage")}  # fmt: skip
    errors = []
    kind = values["period"] if values["period"] in DRAW_KINDS else ""
    period = None
    try:
        if not kind:
            raise periods.PeriodError("请选择抽查时段")
        period = periods.parse_period(kind, values["key"], today())
    except periods.PeriodError as exc:
        errors.append(str(exc))
    share, per_school = _posted_int("share"), _posted_int("per_school")
    visits = _posted_int("planned_visits")
    if share is None or not 1 <= share <= 100:
        errors.append("抽取比例应为 1 至 100 之间的整数")
    if per_school is None or not 1 <= per_school <= 10:
        errors.append("每校督学人数应为 1 至 10 之间的整数")
    if visits is None or not 1 <= visits <= 20:
        errors.append("计划次数应为 1 至 20 之间的整数")
    stage = values["stage"] if values["stage"] in STAGES else ""
    if not errors:
        assert period is not None and share and per_school and visits
        request_ = draws.Request(period=period, share=share, per_school=per_school,
                                 township_id=_posted_int("township"), stage=stage,
                                 seed=values["seed"], planned_visits=visits)  # fmt: skip
        try:
            draw_id = draws.perform(get_db(), current_app.config, request_, by=g.user["id"],
                                    today=today())  # fmt: skip
        except draws.DrawError as exc:
            errors.append(str(exc))
        else:
            flash("已完成随机抽取，抽查记录已签发并列入督导计划。", "success")
            return redirect(url_for("bureau.draw_detail", draw_id=draw_id))
    for message in errors:
        flash(message, "error")
    return _draw_page(values, 400)


@bp.get("/draws/<int:draw_id>")
@role_required(*BUREAU)
def draw_detail(draw_id: int):
    db = get_db()
    record = draw_storage.get(db, draw_id)
    if record is None:
        abort(404)
    names = {u["id"]: u["display_name"] for u in users.list_all(db, "inspector")}
    rows = []
    for school_id, chosen in record["result"]:
        school = schools.get(db, school_id) or {"code": "", "name": str(school_id), "township": ""}
        rows.append({**school, "inspectors": [names.get(i, str(i)) for i in chosen]})
    rows.sort(key=lambda r: r["code"])
    return render_template(
        "bureau/draw.html",
        record=record,
        label=_draw_label(record),
        rows=rows,
        consistent=draws.recheck(record),
        at=local_time(record["created_at"]),
        args={},
    )


@bp.get("/draws/<int:draw_id>.pdf")
@role_required(*BUREAU)
def draw_pdf(draw_id: int):
    db = get_db()
    record = draw_storage.get(db, draw_id)
    row = reports.get(db, record["report_id"]) if record and record["report_id"] else None
    if row is None:
        abort(404)
    return send_file(
        os.path.join(current_app.config["REPORTS_DIR"], row["path"]),
        mimetype="application/pdf",
        download_name=f"双随机抽查记录-{row['doc_number'] or row['id'][:8]}.pdf",
        etag=row["sha256"],
    )


@bp.post("/draws/conflicts")
@role_required(*BUREAU)
def conflict_add():
    db = get_db()
    inspector = users.get(db, _posted_int("inspector_id") or 0)
    school_id, township_id = _posted_int("school_id"), _posted_int("township_id")
    reason = request.form.get("reason", "").strip()[:100]
    errors = {}
    if inspector is None or inspector["role"] != "inspector":
        errors["inspector_id"] = "请选择督学"
    if bool(school_id) == bool(township_id):
        errors["school_id"] = "请选择一所学校或一个乡镇（二选一）"
    elif school_id and schools.get(db, school_id) is None:
        errors["school_id"] = "学校不存在"
    elif township_id and township_id not in {t["id"] for t in schools.townships(db)}:
        errors["township_id"] = "乡镇不存在"
    if not reason:
        errors["reason"] = "请填写回避原因，如「原任职学校」"
    if errors:
        flash("回避关系未登记，请按提示修改。", "error")
        typed = {k: request.form.get(k, "") for k in ("inspector_id", "school_id", "township_id")}
        return _draw_page(status=400, conflict={**typed, "reason": reason},
                          conflict_errors=errors)  # fmt: skip
    assert inspector is not None
    draw_storage.add_conflict(db, inspector_id=inspector["id"], school_id=school_id,
                              township_id=township_id, reason=reason, by=g.user["id"])  # fmt: skip
    flash(f"已登记 {inspector['display_name']} 的回避关系。", "success")
    return redirect(url_for("bureau.draw_list"))


@bp.post("/draws/conflicts/<int:conflict_id>/delete")
@role_required(*BUREAU)
def conflict_delete(conflict_id: int):
    if not draw_storage.remove_conflict(get_db(), conflict_id):
        abort(404)
    flash("已删除该回避关系。", "success")
    return redirect(url_for("bureau.draw_list"))
