"""Periods, ranking rules, the plan's progress, and figures that equal the scoring function's."""

from __future__ import annotations

from datetime import date

import pytest

from inspect_app.bureau import figures, gathering
from inspect_app.common import periods
from inspect_app.storage import analytics as store


@pytest.mark.parametrize(
    ("kind", "key", "start", "end", "label"),
    [
        ("month", "2026-02", "2026-02-01", "2026-02-28", "2026年2月"),
        ("quarter", "2026-Q3", "2026-07-01", "2026-09-30", "2026年第三季度"),
        ("term", "2026-2027-1", "2026-09-01", "2027-01-31", "2026—2027学年上学期"),
        ("term", "2025-2026-2", "2026-02-01", "2026-08-31", "2025—2026学年下学期"),
        ("year", "2026", "2026-01-01", "2026-12-31", "2026年"),
        (
            "custom",
            "2026-11-01~2026-11-30",
            "2026-11-01",
            "2026-11-30",
            "2026年11月1日至2026年11月30日",
        ),
    ],
)
def test_periods(kind, key, start, end, label):
    period = periods.parse_period(kind, key, date(2026, 11, 23))
    assert (period.start.isoformat(), period.end.isoformat(), period.label, period.key) == (
        start,
        end,
        label,
        key,
    )


@pytest.mark.parametrize(
    ("day", "term"),
    [
        ("2026-09-01", "2026-2027-1"),
        ("2027-01-31", "2026-2027-1"),
        ("2027-02-01", "2026-2027-2"),
        ("2027-08-15", "2026-2027-2"),
    ],
)
def test_current_term(day, term):
    assert periods.current_period("term", date.fromisoformat(day)).key == term


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("month", "2026-13"),
        ("term", "2026-2028-1"),
        ("quarter", "2026-Q5"),
        ("custom", "2026-12-01~2026-11-01"),
    ],
)
def test_bad_periods_are_refused_in_chinese(kind, key):
    with pytest.raises(periods.PeriodError, match="时段|日期"):
        periods.parse_period(kind, key, date(2026, 11, 23))


def _row(code, total, prev=None, township="东镇"):
    return {"id": code, "school_id": code, "school_code": code, "school_name": code, "township": township,
            "date": "2026-10-01", "total": total, "prev_total": prev, "findings": 0}  # fmt: skip


def test_ranking_shares_ranks_on_ties_and_puts_unscored_last():
    rows = figures.ranking(
        [_row("C", 80.0), _row("A", 90.0, 85.5), _row("B", 80.0), _row("D", None)], {}
    )
    assert [(r["school_code"], r["rank"]) for r in rows] == [
        ("A", 1),
        ("B", 2),
        ("C", 2),
        ("D", None),
    ]
    assert rows[0]["change"] == 4.5
    by_change = figures.ranking([_row("A", 90.0, 95.0), _row("B", 70.0, 60.0)], {}, "change")
    assert [r["school_code"] for r in by_change] == ["B", "A"]


def test_ranking_puts_a_capped_grade_below_better_grades_whatever_the_score():
    vetoed = _row("V", 92.0) | {"grade": "不合格", "vetoed": 1}
    capped = _row("K", 88.0) | {"grade": "合格"}
    good = _row("G", 78.5) | {"grade": "良好"}
    good_too = _row("H", 78.5) | {"grade": "良好"}
    best = _row("E", 95.0) | {"grade": "优秀"}
    rows = figures.ranking([vetoed, capped, good, good_too, best], {})
    assert [(r["school_code"], r["rank"]) for r in rows] == [
        ("E", 1),
        ("G", 2),
        ("H", 2),
        ("K", 4),
        ("V", 5),
    ]
    ascending = figures.ranking([vetoed, capped, good, best], {}, descending=False)
    assert [r["school_code"] for r in ascending] == ["V", "K", "G", "E"]


@pytest.mark.parametrize(
    ("done", "today", "status"),
    [(2, "2026-10-01", "已完成"), (0, "2026-08-01", "未开始"), (0, "2026-09-10", "按计划"),
     (0, "2026-11-23", "滞后"), (1, "2026-11-23", "按计划"), (1, "2027-02-10", "未完成")],
)  # fmt: skip
def test_plan_status(done, today, status):
    got, _ = figures.plan_status(
        2, done, date(2026, 9, 1), date(2027, 1, 31), date.fromisoformat(today)
    )
    assert got == status


def test_section_sums_equal_the_scoring_result(db, received):
    """The summary table's sums are the Result's section earned/possible, to the last bit."""
    for name, inspection_id in received["ids"].items():
        result = received["results"][name]
        rows = {r["section_id"]: r for r in store.school_sections(db, inspection_id)}
        for section in result["sections"]:
            row = rows[section["id"]]
            assert (
                round(row["earned"], 2) == section["earned"]
                and round(row["possible"], 2) == section["possible"]
            )
            assert figures.percent(row["earned"], row["possible"]) == section["percent"]


def test_overview_figures_equal_the_scoring_function(db, received):
    today = date(2026, 11, 23)
    filters = periods.Filters(
        periods.parse_period("term", "2026-2027-1", today), checklist_id="fupin_comprehensive"
    )
    ov = figures.overview(gathering.gather(db, filters, today), filters, today)
    results = [received["results"]["a_new"], received["results"]["b"]]
    assert ov.summary["inspected"] == 2 and ov.summary["not_inspected"] == 1
    assert ov.summary["average"] == figures.mean(r["total"] for r in results)
    assert ov.summary["vetoed"] == sum(r["vetoed"] for r in results)
    assert ov.summary["findings"] == sum(len(r["findings"]) for r in results)
    by_code = {r["school_code"]: r for r in ov.ranking}
    assert (
        by_code["A001"]["total"] == results[0]["total"]
        and by_code["A001"]["prev_total"] == received["results"]["a_old"]["total"]
    )
    for section in results[1]["sections"]:
        assert by_code["B002"]["sections"].get(section["id"]) == section["percent"]
    fails: dict[str, int] = {}
    for r in results:
        for f in r["findings"]:
            fails[f["item"]] = fails.get(f["item"], 0) + 1
    top = max(fails.values())
    assert ov.common_problems[0]["failed"] == top and fails[ov.common_problems[0]["item_id"]] == top
