"""Every day is in exactly one term: the summer holiday counts with the 下学期 just ended.

The 下学期 ended on 31 July while the next 上学期 starts on 1 September, so an inspection made in
August (开学前专项督导) was in no term, and the bureau's default view (this term) left it out.
"""

from __future__ import annotations

from datetime import date, timedelta

from inspect_app.common import periods
from inspect_app.inspections import receiving
from inspect_app.storage import users

from . import factories


def test_every_day_of_a_school_year_is_in_exactly_one_term():
    day, lonely = date(2026, 1, 1), []
    while day < date(2028, 1, 1):
        terms = [
            t
            for y in (day.year - 1, day.year)
            for t in (periods.term_period(y, 1), periods.term_period(y, 2))
            if t.contains(day)
        ]
        if len(terms) != 1 or terms[0].key != periods.current_period("term", day).key:
            lonely.append(day.isoformat())
        day += timedelta(days=1)
    assert lonely == []


def test_an_august_inspection_counts_in_the_term_the_bureau_sees(
    db, county, checklist, login, frozen
):
    body = factories.payload(county["school_a"], checklist, passing=False, date="2026-08-28")
    receiving.receive(db, body, body["id"], users.get(db, county["insp"]))
    frozen("2026-08-31")
    page = login("bureau").page("/bureau/")  # the default period: this term
    assert "2025—2026学年下学期" in page.select_one("select[name=key] option[selected]").get_text()
    assert page.select_one("#grade-table tbody td:last-child").get_text(strip=True) == "1"
