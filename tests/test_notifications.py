"""In-app notifications: who is told what, once, and the unread count every page shows."""

from __future__ import annotations

from datetime import date

import pytest

from inspect_app.rectification import notifications
from inspect_app.rectification.notifications import Notice

from .support import evidence, version_on


class Recorder:
    """A stand-in for an SMS or e-mail channel."""

    def __init__(self):
        self.seen: list[Notice] = []

    def deliver(self, db, notice):
        self.seen.append(notice)


@pytest.fixture
def recorder():
    channel = Recorder()
    notifications.add_channel(channel)
    yield channel
    notifications.remove_channel(channel)


def test_every_channel_gets_a_notice_once(db, county, recorder):
    notice = Notice(
        kind="deadline", text="剩余 5 天", link="/x", school_id=county["school_a"], dedupe_key="k1"
    )
    assert notifications.send(db, notice) is True
    assert notifications.send(db, notice) is False
    assert [n.text for n in recorder.seen] == ["剩余 5 天"]
    assert db["notifications"].count == 1


def test_a_notice_for_nobody_is_not_sent(db, recorder):
    assert notifications.send(db, Notice(kind="x", text="无人", link="/")) is False
    assert not recorder.seen


def test_reminders_follow_the_bands_and_restart_after_an_extension():
    rows = [
        {"id": 1, "inspection_id": "i", "inspection_date": "2026-11-20", "inspection_type": "综合督导",
         "school_id": 7, "status": "pending", "deadline": "2026-12-01", "problem": "问题一"},
        {"id": 2, "inspection_id": "i", "inspection_date": "2026-11-20", "inspection_type": "综合督导",
         "school_id": 7, "status": "submitted", "deadline": "2026-11-21", "problem": "问题二"},
        {"id": 3, "inspection_id": "i", "inspection_date": "2026-11-20", "inspection_type": "综合督导",
         "school_id": 7, "status": "returned", "deadline": "2027-03-01", "problem": "问题三"},
    ]  # fmt: skip

    def keys(day, items=rows):
        found = notifications.school_reminders(items, day, lambda i: f"/i/{i}", lambda r: f"/r/{r}")
        return [n.dedupe_key for n in found]

    assert keys(date(2026, 11, 1)) == ["new:i"]
    assert keys(date(2026, 11, 15)) == ["new:i", "due:1:2026-12-01:due20"]
    assert keys(date(2026, 11, 25)) == ["new:i", "due:1:2026-12-01:due10"]
    assert keys(date(2026, 12, 2)) == ["new:i", "due:1:2026-12-01:overdue"]
    moved = [{**rows[0], "deadline": "2026-12-20"}]
    assert keys(date(2026, 12, 2), moved) == ["new:i", "due:1:2026-12-20:due20"]


def test_school_is_told_of_new_items_and_near_deadlines_once(receive, login, db, frozen, recorder):
    inspection_id, rows = receive()
    school = login("sch_a")
    page = school.page("/school/notifications")
    texts = [a.get_text() for a in page.select(".notes a")]
    assert any(f"下发整改事项 {len(rows)} 项" in t for t in texts)
    near = [r for r in rows if r["deadline"] <= "2026-12-05"]
    assert sum("剩余" in t for t in texts) == len(near)
    assert page.select_one("[data-unread]")["data-unread"] == str(len(near) + 1)
    new_items = page.select_one(".notes a[href^='/school/rectifications?inspection=']")
    assert new_items["href"] == f"/school/rectifications?inspection={inspection_id}"
    # Reading pages again makes no repeats, on any channel.
    school.page("/school/rectifications")
    school.page("/school/notifications")
    assert db["notifications"].count == len(near) + 1
    assert len(recorder.seen) == len(near) + 1
    # A day later the 7-day items cross into overdue: one new notice each.
    frozen("2026-11-28")
    school.page("/school/rectifications")
    week = sum(1 for r in rows if r["deadline"] == "2026-11-27")
    assert week > 0
    assert db["notifications"].count == len(near) + 1 + week


def test_unread_count_shows_and_clears(receive, login, frozen):
    receive()
    school = login("sch_a")
    page = school.page("/school/rectifications")
    assert int(page.select_one(".heading-row .count").get_text()) > 0
    assert school.post("/school/notifications/read").status_code == 302
    page = school.page("/school/notifications")
    assert page.select_one("[data-unread]")["data-unread"] == "0"
    assert not page.select(".notes li.unread")
    assert school.page("/school/rectifications").select_one(".heading-row .count") is None


def test_reviewer_is_told_of_answers_and_extension_requests_school_of_decisions(
    receive, login, frozen
):
    _, rows = receive()
    school, reviewer, other = login("sch_a"), login("insp"), login("bureau")
    respond = f"/school/rectifications/{rows[0]['id']}/respond"
    school.post(respond, {"measures": "措施", "result": "结果", "done_on": "2026-11-24",
                          "version": version_on(school.page(respond))}, files=evidence())  # fmt: skip
    extension = f"/school/rectifications/{rows[1]['id']}/extension"
    school.post(
        extension,
        {"until": "2026-12-31", "reason": "理由", "version": version_on(school.page(extension))},
    )
    notes = reviewer.page("/review/notifications").select(".notes a")
    assert ["东镇中心小学申请延期至 2026-12-31" in notes[0].get_text(),
            "东镇中心小学提交了整改情况" in notes[1].get_text()] == [True, True]  # fmt: skip
    assert notes[1]["href"] == f"/review/rectifications/{rows[0]['id']}"
    assert not other.page("/review/notifications").select(".notes li.unread")

    page = reviewer.page(f"/review/rectifications/{rows[1]['id']}")
    reviewer.post(
        f"/review/rectifications/{rows[1]['id']}/extension",
        {"decision": "refuse", "version": version_on(page, "#extension")},
    )
    school_notes = school.page("/school/notifications").select_one(".notes a")
    assert "延期申请未获同意" in school_notes.get_text()
    assert school_notes["href"] == f"/school/rectifications/{rows[1]['id']}"


def test_another_school_sees_none_of_it(receive, login, frozen):
    receive()
    page = login("sch_b").page("/school/notifications")
    assert not page.select(".notes a") and page.select_one("[data-unread]")["data-unread"] == "0"
