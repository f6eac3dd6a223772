"""An extension (延期) moves the deadline to a day not yet past: asked for, and again when granted.

Granting a date already past left the item overdue under a new deadline, so it was escalated to
the bureau a second time for the same lateness.
"""

from __future__ import annotations

from datetime import date, timedelta

from bs4 import BeautifulSoup

from inspect_app.rectification import rules

from .support import item_row, version_on


def _earliest(rows) -> dict:
    return min(rows, key=lambda r: r["deadline"])


def _days(day: str, n: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=n)).isoformat()


def test_an_overdue_item_cannot_ask_for_a_date_already_past(receive, login, frozen):
    _, rows = receive()
    item = _earliest(rows)
    today = _days(item["deadline"], 20)
    frozen(today)
    school = login("sch_a")
    url = f"/school/rectifications/{item['id']}/extension"
    page = school.page(url)
    assert page.select_one("#until")["min"] == today  # the picker offers nothing earlier
    assert f"当前整改时限 {item['deadline']} 已过" in page.select_one("#until ~ .hint").get_text()
    response = school.post(
        url,
        {"until": _days(item["deadline"], 5), "reason": "设备到货晚", "version": version_on(page)},
    )
    assert response.status_code == 400
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.select_one("#until-error").get_text() == "申请延期至的日期不能早于今天"
    assert page.select_one("#reason").get_text().strip() == "设备到货晚"
    # Today itself is a date the item can still be done by.
    assert school.post(
        url, {"until": today, "reason": "设备到货晚", "version": version_on(page)}
    ).status_code == 302  # fmt: skip


def test_the_later_of_deadline_and_today_is_the_bound_named():
    today = date(2026, 11, 25)
    problem = rules.extension_date_problem
    assert problem("2026-12-05", "2026-11-20", today) == "申请的日期须晚于当前整改时限 2026-12-05"
    assert problem("2026-11-10", "2026-11-05", today) == "申请延期至的日期不能早于今天"
    assert problem("2026-11-10", "2026-11-24", today) == "申请延期至的日期不能早于今天"
    assert problem("2026-11-10", "2026-11-25", today) is None


def test_a_request_whose_date_passed_while_waiting_cannot_be_granted(receive, login, db, frozen):
    _, rows = receive()
    item = _earliest(rows)
    asked = _days(item["deadline"], 3)
    school, bureau = login("sch_a"), login("bureau")
    url = f"/school/rectifications/{item['id']}/extension"
    assert school.post(
        url, {"until": asked, "reason": "设备到货晚", "version": version_on(school.page(url))}
    ).status_code == 302  # fmt: skip
    frozen(_days(asked, 2))  # the bureau looks at it two days after the date asked for
    page = bureau.page(f"/review/rectifications/{item['id']}")
    response = bureau.post(
        f"/review/rectifications/{item['id']}/extension",
        {"decision": "approve", "extension_comment": "同意", "version": version_on(page, "#extension")},
    )  # fmt: skip
    assert response.status_code == 409
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert (
        f"申请延期至的日期 {asked} 已早于今天，不能同意"
        in page.select_one("[role=alert]").get_text()
    )
    row = item_row(db, item["id"])
    assert row["deadline"] == item["deadline"] and row["extension_until"] == asked
    # Refusing it is still possible, so the school can ask again.
    response = bureau.post(
        f"/review/rectifications/{item['id']}/extension",
        {"decision": "refuse", "extension_comment": "日期已过", "version": version_on(page, "#extension")},
    )  # fmt: skip
    assert response.status_code == 302 and item_row(db, item["id"])["extension_until"] is None
