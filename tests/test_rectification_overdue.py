"""Overdue is derived from the deadline at read time: bands, countdowns, order and counts."""

from __future__ import annotations

from datetime import date

import pytest

from inspect_app.rectification.rules import by_urgency, summarize, urgency


@pytest.mark.parametrize(
    ("today", "band", "label", "countdown"),
    [
        ("2026-11-01", "normal", "正常", "剩余 34 天"),
        ("2026-11-14", "normal", "正常", "剩余 21 天"),
        ("2026-11-15", "due20", "剩余 ≤ 20 天", "剩余 20 天"),
        ("2026-11-24", "due20", "剩余 ≤ 20 天", "剩余 11 天"),
        ("2026-11-25", "due10", "剩余 ≤ 10 天", "剩余 10 天"),
        ("2026-12-05", "due10", "剩余 ≤ 10 天", "今天到期"),
        ("2026-12-06", "overdue", "逾期", "已逾期 1 天"),
        ("2027-01-04", "overdue", "逾期", "已逾期 30 天"),
    ],
)
def test_bands_at_their_edges(today, band, label, countdown):
    due = urgency("pending", "2026-12-05", date.fromisoformat(today))
    assert (due.band, due.label, due.countdown) == (band, label, countdown)


@pytest.mark.parametrize("status", ["pending", "submitted", "returned"])
def test_every_open_item_counts_against_its_deadline(status):
    assert urgency(status, "2026-12-05", date(2026, 12, 10)).label == "逾期"


def test_closed_items_are_never_overdue():
    due = urgency("closed", "2020-01-01", date(2026, 12, 10))
    assert (due.label, due.countdown, due.days_left) == ("已销号", "已销号", None)


def test_open_items_first_by_deadline_then_closed_newest_first():
    rows = [
        {"id": 1, "status": "closed", "deadline": "2026-11-01", "closed_at": "2026-11-02T00:00:00Z", "inspection_id": "a", "seq": 1},
        {"id": 2, "status": "pending", "deadline": "2026-12-20", "inspection_id": "a", "seq": 2},
        {"id": 3, "status": "returned", "deadline": "2026-11-30", "inspection_id": "a", "seq": 3},
        {"id": 4, "status": "closed", "deadline": "2026-12-01", "closed_at": "2026-11-20T00:00:00Z", "inspection_id": "a", "seq": 4},
        {"id": 5, "status": "submitted", "deadline": "2026-12-01", "inspection_id": "a", "seq": 5},
    ]  # fmt: skip
    assert [r["id"] for r in by_urgency(rows, date(2026, 11, 25))] == [3, 5, 2, 4, 1]


def test_summary_line_counts():
    rows = [
        {"status": "closed", "deadline": "2026-11-01"},
        {"status": "pending", "deadline": "2026-11-20"},
        {"status": "submitted", "deadline": "2026-11-24"},
        {"status": "returned", "deadline": "2026-12-20"},
    ]
    summary = summarize(5, rows, date(2026, 11, 25))
    assert summary.line == "发现问题 5 个，整改 4 个，其中整改完成 1 个，正在整改 3 个，逾期 2 个"


@pytest.mark.parametrize(
    ("today", "first_countdown"),
    [("2026-11-20", "剩余 7 天"), ("2026-11-27", "今天到期"), ("2026-11-28", "已逾期 1 天")],
)
def test_pages_use_the_frozen_day(receive, login, frozen, today, first_countdown):
    inspection_id, rows = receive()
    # The shipped checklist's fix templates set the deadlines: overdue is every one passed.
    overdue = sum(1 for r in rows if r["deadline"] < today)
    assert (overdue > 0) == (today == "2026-11-28")
    # An item a county unit fixes is not the school's delay (the reviewer counts every one).
    schools_own = sum(1 for r in rows if r["deadline"] < today and not r["unit_id"])
    frozen(today)
    page = login("sch_a").page("/school/rectifications")
    assert page.select_one("li[data-item] .due").get_text(strip=True) == first_countdown
    assert page.select_one("[data-summary]").get_text().endswith(f"逾期 {schools_own} 个")
    assert len(page.select("li.overdue")) == schools_own
    review = login("insp").page(f"/review/inspections/{inspection_id}")
    assert review.select_one("[data-summary]").get_text().endswith(f"逾期 {overdue} 个")


def test_approved_extension_lifts_an_overdue_item(receive, login, db, frozen):
    _, rows = receive()
    late = next(r for r in rows if r["deadline"] == "2026-11-27")  # a 7-day item
    school = login("sch_a")
    school.post(
        f"/school/rectifications/{late['id']}/extension",
        {"until": "2026-12-31", "reason": "待资金到位", "version": str(late["version"])},
    )
    frozen("2026-11-30")
    page = school.page(f"/school/rectifications/{late['id']}")
    assert page.select_one(".finding .due").get_text(strip=True) == "已逾期 3 天"
    login("bureau").post(
        f"/review/rectifications/{late['id']}/extension",
        {"decision": "approve", "version": str(late["version"] + 1)},
    )
    page = school.page(f"/school/rectifications/{late['id']}")
    assert page.select_one(".finding .due").get_text(strip=True) == "剩余 31 天"
