"""Bulletins (月点评 / 季通报): the period's figures as a signed PDF in the document library.

The figures are :func:`inspect_app.bureau.figures.overview` — the dashboard's own — rendered with
the reports library's template environment, signed with the bureau's key like every report,
and stored in the ``reports`` table (kind ``bulletin``, subject = the period key).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlite_utils import Database

from inspect_app.bureau import charts, figures, gathering
from inspect_app.bureau import commentary as commentary_text
from inspect_app.common import periods, vocabulary
from inspect_app.documents import issuing, numbering, word
from inspect_app.documents.qr import qr_data_uri
from inspect_app.documents.render import html_to_pdf, render_html
from inspect_app.documents.signing import sign_pdf
from inspect_app.storage import analytics as store
from inspect_app.storage import bulletins as records
from inspect_app.storage import rectifications, reports
from inspect_app.surveys import gathering as surveys

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


def default_period(kind: str, today: date) -> periods.Period:
    """What the form offers first: the last month or quarter that is over, or this term/year."""
    return periods.last_complete_period(kind, today)


def subject(period: periods.Period, checklist_id: str) -> str:
    """The reports-table subject: one line of versions per period *and* checklist, so a
    dormitory bulletin never supersedes the comprehensive one for the same quarter."""
    return f"{period.key}/{checklist_id}"


class BulletinError(ValueError):
    """The bulletin cannot be issued as asked; the message is Chinese, for the page."""


@dataclass(frozen=True)
class Draft:
    """A bulletin as it will be issued: the figures, what it covers and the bureau's 点评."""

    overview: figures.Overview
    checklist_id: str
    checklist_title: str
    commentary: str
    blocks: list[commentary_text.Block]
    # The period's survey rounds with every school's counts and indices before the privacy
    # threshold, which view() applies with the deployment's SURVEY_MIN_RESPONSES.
    surveys: list[dict] = field(default_factory=list)
    # 逾期升级 in the period, by whom raised against (storage.rectifications.escalations_by_unit).
    escalations: list[dict] = field(default_factory=list)

    @property
    def period(self) -> periods.Period:
        return self.overview.filters.period

    @property
    def inspected(self) -> int:
        return int(self.overview.summary["inspected"])


def build_overview(db: Database, filters: periods.Filters, today: date) -> figures.Overview:
    if not filters.checklist_id:
        filters = filters.with_checklist(store.most_used_checklist(db, filters) or "")
    # The bulletin names each overdue school's first two problems (templates/reports/bulletin.html).
    return figures.overview(gathering.gather(db, filters, today, overdue_rows=2), filters, today)


def prepare(
    db: Database, period: periods.Period, checklist_id: str, commentary: str, today: date
) -> Draft:
    """The draft a preview shows and an issue signs; refuses what must not be issued.

    A bulletin over no inspections would state, under the bureau's seal, that 「本期检查发现
    的问题均在整改时限内」 about inspections that never happened, so it is refused.
    """
    try:
        blocks = commentary_text.parse(commentary)
    except commentary_text.CommentaryError as exc:
        raise BulletinError(str(exc)) from None
    overview = build_overview(db, bulletin_filters(period, checklist_id), today)
    chosen = overview.filters.checklist_id
    title = _checklist_title(db, chosen)
    if overview.summary["inspected"] == 0:
        raise BulletinError(
            f"{period.label}没有《{title}》的有效检查记录，不能签发通报。"
            "请确认时段和检查单是否选对。"
            if chosen
            else f"{period.label}没有有效的检查记录，不能签发通报。请确认时段是否选对。"
        )
    rounds = [
        {"title": r["title"], "schools": surveys.round_results(db, r, 1)}
        for r in reversed(surveys.rounds_in(db, period.start.isoformat(), period.end.isoformat()))
    ]
    escalated = rectifications.escalations_by_unit(
        db, period.start.isoformat(), period.end.isoformat(), chosen
    )
    return Draft(
        overview, chosen, title, commentary_text.clean(commentary), blocks, rounds, escalated
    )


def escalation_view(rows: list[dict]) -> dict:
    """「本期逾期升级督办 N 项」 and its rows by unit: the schools' own items as 学校, then each
    county department or township (``count``: distinct items, ``repeats``: found again)."""
    by_unit = [
        {"name": r["unit_name"] if r["unit_id"] else "学校（本校负责整改的事项）",
         "unit": bool(r["unit_id"]), "count": r["items"], "schools": r["schools"],
         "repeats": r["repeats"] or 0}
        for r in rows
    ]  # fmt: skip
    return {
        "count": sum(r["count"] for r in by_unit),
        "repeats": sum(r["repeats"] for r in by_unit),
        "by_unit": by_unit,
    }


def survey_view(rounds: list[dict], min_responses: int) -> list[dict]:
    """社会认可度 for the bulletin: per round, the schools whose respondent groups reached the
    threshold with their index, and how many took part. Below it a school is only counted."""
    out = []
    for r in rounds:
        rows, asked = [], 0
        for school in r["schools"]:
            for group in school["results"]["groups"]:
                asked += group["responses"] > 0
                if group["responses"] >= min_responses and group["index"] is not None:
                    rows.append(
                        {"school": school["name"], "township": school["township"],
                         "group": group["name"], "responses": group["responses"],
                         "index": group["index"]}
                    )  # fmt: skip
        rows.sort(key=lambda row: (-row["index"], row["school"]))
        out.append({"title": r["title"], "schools": len(r["schools"]), "answered": asked,
                    "rows": rows})  # fmt: skip
    return out


def _checklist_title(db: Database, checklist_id: str) -> str:
    if not checklist_id:
        return "全部检查单"
    compiled = store.newest_version(db, checklist_id)
    return compiled["title"] if compiled else checklist_id


def view(
    draft: Draft,
    config: Mapping,
    *,
    report_id: str | None,
    version: int,
    doc_number: str = "",
) -> dict:
    """The template context of ``templates/reports/bulletin.html``; ``report_id`` None is a
    preview (not issued: no number, no verification address yet)."""
    overview = draft.overview
    checklist_title = draft.checklist_title
    """The template context of ``templates/reports/bulletin.html``."""
    s = overview.summary
    period = overview.filters.period
    return {
        "bureau": issuing._bureau(config),
        "title": bulletin_title(period),
        "docno": doc_number or ("（文号签发时生成）" if report_id is None else ""),
        "version_label": f"第{version}版" if version > 1 else "",
        "preview": report_id is None,
        "commentary": draft.blocks,
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
        "overdue_units": overview.overdue_by_unit,
        "escalations": escalation_view(draft.escalations),
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
        # Printed under the QR code: the public page, not the document's own key.
        "verify_url": f"{config['PUBLIC_URL'].rstrip('/')}/verify/",
        "verify_qr": qr_data_uri(f"{config['PUBLIC_URL'].rstrip('/')}/verify/{report_id}")
        if report_id
        else None,
        "status_names": vocabulary.RECTIFICATION_STATUS,
        "surveys": survey_view(draft.surveys, int(config.get("SURVEY_MIN_RESPONSES", 5))),
        "survey_min": int(config.get("SURVEY_MIN_RESPONSES", 5)),
    }


def render(draft: Draft, config: Mapping, **kwargs) -> bytes:
    """The unsigned bulletin PDF (``kwargs`` as for :func:`view`)."""
    return html_to_pdf(render_html("bulletin.html", view(draft, config, **kwargs)))


def next_version(db: Database, draft: Draft) -> int:
    return len(reports.for_subject(db, subject(draft.period, draft.checklist_id), KIND)) + 1


def preview(db: Database, config: Mapping, draft: Draft) -> bytes:
    """The PDF as it would be issued now, unsigned and marked as a preview."""
    return render(draft, config, report_id=None, version=next_version(db, draft))


def issue(db: Database, config: Mapping, draft: Draft, *, issued_by: int | None = None) -> dict:
    """Render, sign and store ``draft``; an earlier bulletin of its period and checklist is
    superseded."""
    period = draft.period
    report_id = str(uuid.uuid4())
    version = next_version(db, draft)
    with numbering.numbered(db, config, KIND, report_id) as doc_number:
        html = render_html(
            "bulletin.html", view(draft, config, report_id=report_id, version=version,
                                  doc_number=doc_number)
        )  # fmt: skip
        pdf = html_to_pdf(html)
        signed = sign_pdf(
            pdf,
            issuing.signer(config),
            reason=f"{config['BUREAU_NAME']}签发{bulletin_title(period)}",
            location=config.get("COUNTY_NAME", ""),
        )
        row = reports.store(
            db,
            config["REPORTS_DIR"],
            report_id=report_id,
            kind=KIND,
            subject_id=subject(period, draft.checklist_id),
            school_id=None,
            version=version,
            sha256=hashlib.sha256(signed).hexdigest(),
            pdf=signed,
            doc_number=doc_number,
            docx=word.from_html(html),  # from the same HTML: the copy says what the PDF says
            # the record in the report's own transaction: a bulletin is never issued without
            # what the bureau's list shows of it (period, checklist, 点评, issuer)
            along=lambda tx: records.record(
                tx,
                report_id=report_id,
                period_kind=period.kind,
                period_key=period.key,
                checklist_id=draft.checklist_id,
                checklist_title=draft.checklist_title,
                commentary=draft.commentary,
                inspected=draft.inspected,
                issued_by=issued_by,
            ),
        )
    return row
