"""The bureau's survey pages (满意度测评、调查问卷): open a round for a period and a set of
schools (or for the school of one inspection), print each school's poster, read the results.

Results follow the privacy threshold of surveys/results.py: a school's group shows figures
only from SURVEY_MIN_RESPONSES responses on; below it only the count.
"""

from __future__ import annotations

import io
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

from inspect_app.checklist import Checklist
from inspect_app.common import periods
from inspect_app.common.vocabulary import RESPONDENT_GROUPS, SURVEY_ROUND_STATUS
from inspect_app.documents.posters import render_poster
from inspect_app.inspections import catalog
from inspect_app.storage import inspections, schools
from inspect_app.storage import surveys as stored
from inspect_app.storage.db import get_db
from inspect_app.surveys import gathering
from inspect_app.web import today
from inspect_app.web.guards import role_required

bp = Blueprint("surveys", __name__, url_prefix="/bureau/surveys")
BUREAU = ("bureau", "admin")
PERIOD_KINDS = ("term", "quarter", "month", "year")


def _min_responses() -> int:
    return int(current_app.config["SURVEY_MIN_RESPONSES"])


def _period_options() -> list[periods.Period]:
    return [p for kind in PERIOD_KINDS for p in periods.period_choices(kind, today(), count=3)]


def _list_page(form: dict | None = None, errors: dict | None = None, status: int = 200):
    db = get_db()
    return render_template(
        "surveys/list.html",
        rounds=stored.rounds(db),
        surveys=list(catalog.surveys().values()),
        period_options=_period_options(),
        townships=schools.townships(db),
        all_schools=schools.search(db),
        form=form or {},
        errors=errors or {},
        status_names=SURVEY_ROUND_STATUS,
        group_names=RESPONDENT_GROUPS,
        args={},
    ), status


@bp.get("/")
@role_required(*BUREAU)
def round_list():
    return _list_page()


@bp.post("/")
@role_required(*BUREAU)
def round_open():
    db = get_db()
    form = request.form
    errors: dict[str, str] = {}
    survey = catalog.surveys().get(form.get("survey", ""))
    if survey is None:
        errors["survey"] = "请选择问卷"
    inspection_id = (form.get("inspection_id") or "").strip()
    school_ids: set[int] = set()
    period = None
    if inspection_id:
        inspection = inspections.get(db, inspection_id) if len(inspection_id) <= 64 else None
        if inspection is None:
            errors["inspection_id"] = "找不到该检查记录，请核对检查编号"
        else:
            school_ids = {inspection["school_id"]}
    else:
        try:
            period = periods.from_key(form.get("period", ""))
        except periods.PeriodError:
            errors["period"] = "请选择调查时段"
        school_ids = {int(v) for v in form.getlist("school_id") if v.isdigit()}
        township_id = form.get("township_id", type=int)
        if township_id:
            school_ids |= {s["id"] for s in schools.search(db, township_id=township_id)}
        if form.get("all_schools"):
            school_ids |= {s["id"] for s in schools.search(db)}
        school_ids = {sid for sid in school_ids if schools.get(db, sid) is not None}
        if not school_ids:
            errors["school_id"] = "请选择至少一所学校、一个乡镇或全部学校"
    closes_on = (form.get("closes_on") or "").strip() or None
    if closes_on:
        try:
            if date.fromisoformat(closes_on) < today():
                errors["closes_on"] = "截止日期不能早于今天"
        except ValueError:
            errors["closes_on"] = "请填写正确的截止日期"
    if errors or survey is None:
        return _list_page(dict(form), errors, 400)
    title = survey.title + (f"（{period.label}）" if period else "")
    round_id = stored.create_round(
        db,
        survey_id=survey.id,
        survey_hash=survey.hash,
        title=title,
        school_ids=sorted(school_ids),
        created_by=g.user["id"],
        period_key=period.key if period else None,
        period_label=period.label if period else None,
        inspection_id=inspection_id or None,
        closes_on=closes_on,
    )
    flash(f"已开启调查：{title}，共 {len(school_ids)} 所学校。请下载各校海报张贴。", "success")
    return redirect(url_for("surveys.round_detail", round_id=round_id))


@bp.app_template_global()
def today_iso() -> str:
    """Today in China as YYYY-MM-DD: a round past its closing day takes no more answers."""
    return today().isoformat()


@bp.app_template_global()
def survey_results_of(school_id: int) -> list[dict]:
    """社会认可度 for a school's page in the bureau's figures: its survey rounds with results."""
    return gathering.school_summary(get_db(), school_id, _min_responses())


@bp.app_template_global()
def satisfaction_of_period(period: periods.Period) -> dict[int, dict]:
    """社会认可度 column of the ranking: school id → its newest round's pooled results."""
    return gathering.satisfaction_by_school(
        get_db(), period.start.isoformat(), period.end.isoformat(), _min_responses()
    )


@bp.app_template_global()
def survey_results_of_inspection(inspection_id: str, school_id: int) -> list[dict]:
    """The rounds opened for one inspection, with its school's results (inspection page)."""
    db = get_db()
    out = []
    for round_row in stored.inspection_rounds(db, inspection_id):
        result = gathering.school_result(db, round_row, school_id, _min_responses())
        if result is not None:
            out.append({"round": round_row, **result})
    return out


def _round(round_id: int) -> dict:
    row = stored.get_round(get_db(), round_id)
    if row is None:
        abort(404)
    return row


def public_link(code: str) -> str:
    """The address a poster's QR code carries (PUBLIC_URL: how phones reach this server)."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for("respond.survey_page", code=code)


@bp.get("/<int:round_id>")
@role_required(*BUREAU)
def round_detail(round_id: int):
    row = _round(round_id)
    db = get_db()
    survey = gathering.survey_of(db, row)
    return render_template(
        "surveys/round.html",
        terms=_index_terms(survey),
        round=row,
        survey=survey,
        schools=gathering.round_results(db, row, _min_responses()),
        min_responses=_min_responses(),
        status_names=SURVEY_ROUND_STATUS,
        group_names=RESPONDENT_GROUPS,
        link=public_link,
        args={},
    )


def _index_terms(survey: Checklist) -> dict[str, str]:
    """The index's satisfied and excluded answers in the respondents' words (满意、比较满意)."""
    labels: dict[str, str] = {}
    for item in survey.items.values():
        for choice in item.get("choices") or []:
            labels.setdefault(choice["value"], choice["label"])
    terms = survey.satisfaction or {}
    return {
        key: "、".join(labels.get(v, v) for v in terms.get(key) or [])
        for key in ("satisfied", "excluded")
    }


@bp.post("/<int:round_id>/close")
@role_required(*BUREAU)
def round_close(round_id: int):
    _round(round_id)
    if stored.close_round(get_db(), round_id):
        flash("调查已结束，不再接受新的答卷。", "success")
    return redirect(url_for("surveys.round_detail", round_id=round_id))


@bp.get("/<int:round_id>/schools/<int:school_id>")
@role_required(*BUREAU)
def school_results(round_id: int, school_id: int):
    row = _round(round_id)
    db = get_db()
    result = gathering.school_result(db, row, school_id, _min_responses())
    if result is None:
        abort(404)
    return render_template(
        "surveys/school.html",
        round=row,
        school=result,
        results=result["results"],
        min_responses=_min_responses(),
        args={},
    )


@bp.get("/<int:round_id>/posters/<int:school_id>.pdf")
@role_required(*BUREAU)
def poster(round_id: int, school_id: int):
    row = _round(round_id)
    db = get_db()
    school = next(
        (s for s in stored.round_schools(db, round_id) if s["school_id"] == school_id), None
    )
    if school is None:
        abort(404)
    survey = gathering.survey_of(db, row)
    pdf = render_poster(
        bureau=current_app.config["BUREAU_NAME"],
        school_name=school["name"],
        survey=survey.compiled,
        url=public_link(school["code"]),
        closes_on=row["closes_on"],
        min_responses=_min_responses(),
    )
    return send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        download_name=f"问卷海报-{school['name']}.pdf",
        as_attachment=False,
    )
