"""Bulletins (月点评 / 季通报): the period's figures as a signed PDF in the document library.

The figures are :func:`inspect_app.bureau.figures.overview` — the dashboard's own — rendered with
the reports library's template environment, signed with the bureau's key like every report,
and stored in the ``reports`` table (kind ``bulletin``, subject = the period key).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import date

from sqlite_utils import Database

from inspect_app.bureau import charts, figures, gathering
from inspect_app.common import periods, vocabulary
from inspect_app.documents import issuing
from inspect_app.documents.qr import qr_data_uri
from inspect_app.documents.render import html_to_pdf, render_html
from inspect_app.documents.signing import sign_pdf
from inspect_app.storage import analytics as store
from inspect_app.storage import reports

KIND = "bulletin"


def bulletin_title(period: periods.Period) -> str:
    if period.kind == "month":
        return f"{period.label}教育督导工作点评"
    if period.kind == "quarter":
        return f"{period.label}教育督导检查情况通报"
    return f"{period.label}教育督导检查情况通报"


def bulletin_filters(period: periods.Period, checklist_id: str) -> periods.Filters:
    """A bulletin covers the whole county for a period: only the checklist narrows it."""
    return periods.Filters(period=period, checklist_id=checklist_id)


def build_overview(db: Database, filters: periods.Filters, today: date) -> figures.Overview:
    if not filters.checklist_id:
        filters = filters.with_checklist(store.most_used_checklist(db, filters) or "")
    # The bulletin names each overdue school's first two problems (templates/reports/bulletin.html).
    return figures.overview(gathering.gather(db, filters, today, overdue_rows=2), filters, today)


def view(
    overview: figures.Overview,
    config: Mapping,
    *,
    report_id: str,
    version: int,
    checklist_title: str,
) -> dict:
    """The template context of ``templates/reports/bulletin.html``."""
    s = overview.summary
    period = overview.filters.period
    return {
        "bureau": issuing._bureau(config),
        "title": bulletin_title(period),
        "docno": f"督导通报〔{period.key}〕第{version}版"
        if version > 1
        else f"督导通报〔{period.key}〕",
        "period": period,
        "today": overview.today,
        "checklist_title": checklist_title,
        "summary": s,
        "ranking": overview.ranking,
        "sections": overview.sections,
        "section_averages": overview.section_averages,
        "townships": overview.township_sections,
        "problems": overview.common_problems,
        "overdue": overview.overdue_by_school,
        "not_inspected": figures.not_inspected(overview.schools, overview.ranking),
        "grade_chart": charts.grade_chart(s["grades"], title="学校等次分布", chart_id="grades"),
        "section_chart": charts.bar_chart(
            [(a["title"], a["average"]) for a in overview.section_averages],
            title="各评估内容平均得分率（%）",
            unit="%",
            width=600,
            label_width=170,
            chart_id="sections",
        )
        if overview.section_averages
        else None,
        "township_chart": charts.bar_chart(
            [(t["township"], t["average"]) for t in overview.township_sections],
            title="各乡镇学校平均得分",
            width=600,
            label_width=120,
            chart_id="townships",
        )
        if overview.township_sections
        else None,
        "verify_url": f"{config['PUBLIC_URL'].rstrip('/')}/verify/{report_id}",
        "verify_qr": qr_data_uri(f"{config['PUBLIC_URL'].rstrip('/')}/verify/{report_id}"),
        "status_names": vocabulary.RECTIFICATION_STATUS,
    }


def render(overview: figures.Overview, config: Mapping, *, strict: bool = False, **kwargs) -> bytes:
    """The unsigned bulletin PDF (``kwargs`` as for :func:`view`)."""
    return html_to_pdf(
        render_html("bulletin.html", view(overview, config, **kwargs)), strict=strict
    )


def issue(
    db: Database, config: Mapping, period: periods.Period, checklist_id: str, today: date
) -> dict:
    """Render, sign and store the bulletin for ``period``; an earlier one is superseded."""
    overview = build_overview(db, bulletin_filters(period, checklist_id), today)
    compiled = (
        store.newest_version(db, overview.filters.checklist_id)
        if overview.filters.checklist_id
        else None
    )
    history = reports.for_subject(db, period.key, KIND)
    report_id = str(uuid.uuid4())
    version = len(history) + 1
    pdf = render(
        overview,
        config,
        report_id=report_id,
        version=version,
        checklist_title=compiled["title"] if compiled else "全部检查单",
    )
    signed = sign_pdf(
        pdf,
        issuing.signer(config),
        reason=f"{config['BUREAU_NAME']}签发{bulletin_title(period)}",
        location=config.get("COUNTY_NAME", ""),
    )
    return reports.store(
        db,
        config["REPORTS_DIR"],
        report_id=report_id,
        kind=KIND,
        subject_id=period.key,
        school_id=None,
        version=version,
        sha256=hashlib.sha256(signed).hexdigest(),
        pdf=signed,
    )
