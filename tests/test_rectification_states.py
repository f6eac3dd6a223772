"""The state machine: legal moves change the item, illegal ones are refused in Chinese."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspect_app.rectification.rules import REVIEWER_ACTIONS, SCHOOL_ACTIONS, IllegalMove, decide

from .support import event_kinds, evidence, item_row, version_on

TODAY = date(2026, 11, 25)
FORM = {
    "measures": "制定制度",
    "result": "已落实",
    "done_on": "2026-11-24",
    "reason": "需招标采购",
    "until": "2026-12-31",
    "comment": "请补充签字",
    "note": "现场查看",
}


def item(status="pending", extension_until=None, deadline="2026-12-05"):
    return {"status": status, "extension_until": extension_until, "deadline": deadline}


def side_of(action):
    return "school" if action in SCHOOL_ACTIONS else "reviewer"


@pytest.mark.parametrize(
    ("start", "action", "expected"),
    [
        (item("pending"), "respond", {"status": "submitted"}),
        (item("returned"), "respond", {"status": "submitted"}),
        (item("submitted"), "accept", {"status": "closed", "extension_until": None}),
        (item("submitted"), "return", {"status": "returned"}),
        (item("pending"), "request_extension", {"extension_until": "2026-12-31"}),
        (item("returned"), "request_extension", {"extension_until": "2026-12-31"}),
        (
            item("pending", "2026-12-31"),
            "approve_extension",
            {"deadline": "2026-12-31", "extension_until": None},
        ),
        (item("pending", "2026-12-31"), "refuse_extension", {"extension_until": None}),
        (item("closed"), "reinspect", {}),
    ],
)
def test_legal_moves(start, action, expected):
    move = decide(start, action, side_of(action), TODAY, **FORM)
    assert move.changes == expected and move.kind == action


@pytest.mark.parametrize(
    ("start", "action", "message"),
    [
        (item("submitted"), "respond", "正在等待复查，不能重复提交"),
        (item("closed"), "respond", "已销号，不能再变更"),
        (item("pending"), "accept", "学校尚未提交整改情况"),
        (item("returned"), "return", "学校尚未提交整改情况"),
        (item("closed"), "accept", "已销号"),
        (item("submitted"), "request_extension", "无需申请延期"),
        (item("pending", "2026-12-20"), "request_extension", "不能重复申请"),
        (item("pending"), "approve_extension", "没有待审核的延期申请"),
        (item("closed", "2026-12-20"), "refuse_extension", "已销号"),
    ],
)
def test_illegal_moves_are_refused_in_chinese(start, action, message):
    with pytest.raises(IllegalMove, match=message):
        decide(start, action, side_of(action), TODAY, **FORM)


@pytest.mark.parametrize("action", REVIEWER_ACTIONS)
def test_a_school_cannot_take_a_reviewers_action(action):
    with pytest.raises(IllegalMove, match="学校不能进行"):
        decide(item("submitted", "2026-12-31"), action, "school", TODAY, **FORM)


@pytest.mark.parametrize("action", SCHOOL_ACTIONS)
def test_a_reviewer_cannot_answer_for_the_school(action):
    with pytest.raises(IllegalMove, match="复查人不能进行"):
        decide(item("pending"), action, "reviewer", TODAY, **FORM)


@pytest.mark.parametrize(
    ("action", "change", "message"),
    [
        ("respond", {"measures": "  "}, "请填写整改措施"),
        ("respond", {"result": ""}, "请填写整改结果"),
        ("respond", {"done_on": "2026-11-26"}, "不能晚于今天"),
        ("respond", {"done_on": "26/11/2026"}, "YYYY-MM-DD"),
        ("request_extension", {"reason": ""}, "请填写延期理由"),
        ("request_extension", {"until": "2026-12-05"}, "须晚于当前整改时限 2026-12-05"),
        ("request_extension", {"until": "2028-01-01"}, "不能超过一年"),
        ("return", {"comment": ""}, "请填写退回意见"),
        ("reinspect", {"note": ""}, "请填写复查情况"),
    ],
)
def test_moves_need_their_details(action, change, message):
    start = item("submitted") if action == "return" else item("pending")
    with pytest.raises(IllegalMove, match=message):
        decide(start, action, side_of(action), TODAY, **{**FORM, **change})


def test_closing_drops_a_pending_extension_and_says_so():
    move = decide(item("submitted", "2026-12-31"), "accept", "reviewer", TODAY)
    assert move.changes["extension_until"] is None
    assert move.data == {"dropped_extension": "2026-12-31"}


STATES = st.builds(
    item,
    status=st.sampled_from(["pending", "submitted", "returned", "closed"]),
    extension_until=st.sampled_from([None, "2026-12-31"]),
).filter(lambda i: not (i["status"] == "closed" and i["extension_until"]))  # a reachable start
ACTIONS = st.sampled_from(SCHOOL_ACTIONS + REVIEWER_ACTIONS)


@given(st.lists(ACTIONS, max_size=12), STATES)
def test_any_sequence_of_actions_keeps_one_consistent_state(actions, start):
    """Whatever anyone clicks, the item stays in a known state and closed stays closed."""
    state = dict(start)
    for action in actions:
        try:
            move = decide(state, action, side_of(action), TODAY, **FORM)
        except IllegalMove as exc:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc)), "refusals are in Chinese"
            continue
        was_closed = state["status"] == "closed"
        state.update(move.changes)
        assert state["status"] in {"pending", "submitted", "returned", "closed"}
        assert not was_closed or state["status"] == "closed"
        if state["status"] == "closed":
            assert state["extension_until"] is None


# --- The same rules through the pages. ---------------------------------------------------------


def test_school_cannot_answer_twice(receive, login, db, frozen):
    _, rows = receive()
    school = login("sch_a")
    url = f"/school/rectifications/{rows[0]['id']}/respond"
    form = {"measures": "措施", "result": "结果", "done_on": "2026-11-24"}
    version = version_on(school.page(url))
    assert school.post(url, {**form, "version": version}, files=evidence()).status_code == 302
    again = school.post(url, {**form, "version": str(int(version) + 1)}, files=evidence(8))
    assert again.status_code == 409
    assert "正在等待复查，不能重复提交" in again.get_data(as_text=True)
    assert event_kinds(db, rows[0]["id"]) == ["created", "respond"]


def test_reviewer_cannot_close_an_unanswered_item(receive, login, db, frozen):
    _, rows = receive()
    reviewer = login("insp")
    response = reviewer.post(
        f"/review/rectifications/{rows[0]['id']}/decide",
        {"action": "accept", "version": str(rows[0]["version"])},
    )
    assert response.status_code == 409
    assert "学校尚未提交整改情况，不能复查" in response.get_data(as_text=True)
    assert item_row(db, rows[0]["id"])["status"] == "pending"


def test_return_without_a_comment_is_refused(receive, login, db, frozen):
    _, rows = receive()
    school, reviewer = login("sch_a"), login("insp")
    url = f"/school/rectifications/{rows[0]['id']}/respond"
    school.post(url, {"measures": "措施", "result": "结果", "done_on": "2026-11-24",
                      "version": version_on(school.page(url))}, files=evidence())  # fmt: skip
    response = reviewer.post(
        f"/review/rectifications/{rows[0]['id']}/decide",
        {"action": "return", "comment": "", "version": str(rows[0]["version"] + 1)},
    )
    assert response.status_code == 409 and "请填写退回意见" in response.get_data(as_text=True)
    assert item_row(db, rows[0]["id"])["status"] == "submitted"


def test_closed_item_offers_no_forms_and_refuses_an_extension(receive, login, db, frozen):
    _, rows = receive()
    item_id = rows[0]["id"]
    school, reviewer = login("sch_a"), login("bureau")
    url = f"/school/rectifications/{item_id}/respond"
    school.post(url, {"measures": "措施", "result": "结果", "done_on": "2026-11-24",
                      "version": version_on(school.page(url))}, files=evidence())  # fmt: skip
    reviewer.post(f"/review/rectifications/{item_id}/decide", {"action": "accept", "version": "2"})
    assert item_row(db, item_id)["status"] == "closed"
    page = school.page(f"/school/rectifications/{item_id}")
    assert not page.select(f"a[href='{url}']")
    ext = school.page(f"/school/rectifications/{item_id}/extension")
    assert ext.select_one("form.card") is None and "不能申请延期" in ext.get_text()
    response = school.post(
        f"/school/rectifications/{item_id}/extension",
        {"until": "2026-12-31", "reason": "理由", "version": "3"},
    )
    assert response.status_code == 409 and "已销号，不能再变更" in response.get_data(as_text=True)


def test_events_cannot_be_edited_or_deleted(receive, db):
    _, rows = receive()
    for sql in ("UPDATE rectification_events SET text = 'x'", "DELETE FROM rectification_events"):
        with pytest.raises(Exception, match="append-only"):
            db.execute(sql)
