"""Overdue and repeat escalations reach the same people: the unit's accounts (or the school)
and every bureau account, each with its own de-duplication key."""

from datetime import date

from inspect_app.rectification import notifications

TODAY = date(2026, 11, 20)


def item(**extra) -> dict:
    return {
        "id": 7,
        "status": "pending",
        "deadline": "2026-11-01",
        "problem": "食堂消毒记录缺失",
        "school_name": "城关小学",
        "school_id": 3,
        "unit_id": None,
        "unit_name": None,
        "escalation_key": "v9",
        "escalation_days": 19,
        **extra,
    }


def addressees(notices) -> list[tuple]:
    return [(n.user_id, n.school_id, n.link, n.dedupe_key) for n in notices]


def run_both(entry: dict):
    args = (lambda unit: [41, 42], lambda i: f"/item/{i}", [1, 2], lambda i: f"/review/{i}")
    overdue = notifications.escalations([entry], TODAY, *args)
    repeat = notifications.repeat_escalations([entry], *args)
    return overdue, repeat


def test_school_item_goes_to_the_school_and_each_bureau_account():
    overdue, repeat = run_both(item())
    assert addressees(overdue) == [
        (None, 3, "/item/7", "esc:7:2026-11-01:s"),
        (1, None, "/review/7", "esc:7:2026-11-01:b1"),
        (2, None, "/review/7", "esc:7:2026-11-01:b2"),
    ]
    assert addressees(repeat) == [
        (None, 3, "/item/7", "esc-v9:7:s"),
        (1, None, "/review/7", "esc-v9:7:b1"),
        (2, None, "/review/7", "esc-v9:7:b2"),
    ]
    assert "再次发现（屡查屡犯）" in repeat[0].text and "城关小学" in repeat[0].text
    assert overdue[1].text.startswith("城关小学整改事项")


def test_unit_item_goes_to_the_units_accounts_not_the_school():
    overdue, repeat = run_both(item(unit_id=5, unit_name="县卫健局"))
    for notices, key in ((overdue, "esc:7:2026-11-01"), (repeat, "esc-v9:7")):
        assert addressees(notices)[:2] == [
            (41, None, "/item/7", f"{key}:u41"),
            (42, None, "/item/7", f"{key}:u42"),
        ]
        assert [n.user_id for n in notices[2:]] == [1, 2]
        assert all(n.school_id is None for n in notices)
        assert "县卫健局" in notices[0].text


def test_item_not_overdue_is_not_escalated_by_the_deadline_run():
    overdue, repeat = run_both(item(deadline="2026-12-31"))
    assert overdue == []
    assert len(repeat) == 3  # a repeat finding is escalated by the visit, not the deadline
