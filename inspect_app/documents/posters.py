"""The survey poster: one A4 page per school with the QR code of its survey link.

Printed and put up at the school gate or in the classroom; parents and teachers scan it with
their phones. Rendered through the documents' locked-down pipeline (render.html_to_pdf: the
CJK font checked, no network, glyph-complete), unsigned: it asks, it does not attest.
"""

from __future__ import annotations

from inspect_app.common.vocabulary import RESPONDENT_GROUPS
from inspect_app.documents.qr import qr_data_uri
from inspect_app.documents.render import html_to_pdf, render_html


def poster_view(
    *,
    bureau: str,
    school_name: str,
    survey: dict,
    url: str,
    closes_on: str | None,
    min_responses: int,
) -> dict:
    groups = "、".join(RESPONDENT_GROUPS[g] for g in survey.get("respondents") or [])
    return {
        "bureau": {"name": bureau, "office": ""},
        "school_name": school_name,
        "title": survey["title"],
        "groups": groups or "各位",
        "url": url,
        # Large modules print crisply and scan from a metre away on a cheap phone camera.
        "qr": qr_data_uri(url, box_size=12, border=4),
        "closes_on": closes_on,
        "min_responses": min_responses,
    }


def render_poster(**kwargs) -> bytes:
    """PDF bytes of the poster (see :func:`poster_view` for the arguments)."""
    return html_to_pdf(render_html("survey_poster.html", poster_view(**kwargs)))
