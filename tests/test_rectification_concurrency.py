"""Two people acting on one item at once: one wins, the other is told in Chinese, nothing is torn."""

from __future__ import annotations

import threading
from datetime import date

from inspect_app.rectification import rules
from inspect_app.storage import rectifications as items
from inspect_app.storage.db import open_database

from .support import event_kinds, evidence, item_row, version_on

TODAY = date(2026, 11, 25)


def submitted_item(receive, login):
    _, rows = receive()
    school = login("sch_a")
    url = f"/school/rectifications/{rows[0]['id']}/respond"
    response = school.post(
        url,
        {
            "measures": "措施",
            "result": "结果",
            "done_on": "2026-11-24",
            "version": version_on(school.page(url)),
        },
        files=evidence(),
    )
    assert response.status_code == 302
    return rows[0]["id"]


def test_second_reviewer_on_the_same_page_gets_a_clear_message(receive, login, db, frozen):
    item_id = submitted_item(receive, login)
    inspector, bureau = login("insp"), login("bureau")
    url = f"/review/rectifications/{item_id}"
    # Both open the item while it is submitted …
    seen_by_inspector = version_on(inspector.page(url), "#decide")
    seen_by_bureau = version_on(bureau.page(url), "#decide")
    # … the inspector closes it, then the bureau user sends it back from the stale page.
    first = inspector.post(f"{url}/decide", {"action": "accept", "version": seen_by_inspector})
    assert first.status_code == 302
    second = bureau.post(
        f"{url}/decide", {"action": "return", "comment": "不合格", "version": seen_by_bureau}
    )
    assert second.status_code == 409
    body = second.get_data(as_text=True)
    assert "已被他人处理（当前状态：已销号）" in body and "您的操作未生效" in body
    assert item_row(db, item_id)["status"] == "closed"
    assert event_kinds(db, item_id) == ["created", "respond", "accept"]


def test_racing_threads_leave_one_decision(receive, login, app, frozen):
    """Real concurrency: two connections decide on the same version at the same moment."""
    item_id = submitted_item(receive, login)
    path = app.config["DATABASE"]
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def act(action: str, comment: str):
        db = open_database(path)
        try:
            item = items.get(db, item_id)
            move = rules.decide(item, action, "reviewer", TODAY, comment=comment)
            barrier.wait()
            items.apply(db, item, move, version=item["version"], user_id=None, actor="督学")
            outcomes[action] = "won"
        except items.Stale:
            outcomes[action] = "stale"
        finally:
            db.close()

    threads = [
        threading.Thread(target=act, args=("accept", "")),
        threading.Thread(target=act, args=("return", "请补充")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == ["stale", "won"]
    db = open_database(path)
    try:
        winner = next(a for a, o in outcomes.items() if o == "won")
        row = item_row(db, item_id)
        assert row["status"] == {"accept": "closed", "return": "returned"}[winner]
        assert event_kinds(db, item_id) == ["created", "respond", winner]
        assert row["version"] == 3
    finally:
        db.close()


def test_school_answer_and_reviewer_extension_decision_do_not_both_land_on_one_version(
    receive, login, db, frozen
):
    _, rows = receive()
    item_id = rows[1]["id"]
    school, reviewer = login("sch_a"), login("insp")
    ext_url = f"/school/rectifications/{item_id}/extension"
    school.post(
        ext_url,
        {"until": "2026-12-31", "reason": "理由", "version": version_on(school.page(ext_url))},
    )
    respond_url = f"/school/rectifications/{item_id}/respond"
    stale_form = version_on(school.page(respond_url))
    page = reviewer.page(f"/review/rectifications/{item_id}")
    reviewer.post(
        f"/review/rectifications/{item_id}/extension",
        {"decision": "approve", "version": version_on(page, "#extension")},
    )
    response = school.post(
        respond_url,
        {"measures": "措施", "result": "结果", "done_on": "2026-11-24", "version": stale_form},
        files=evidence(),
    )
    assert response.status_code == 409 and "您的操作未生效" in response.get_data(as_text=True)
    # The refused form keeps what the school typed.
    assert "措施" in response.get_data(as_text=True)
    assert item_row(db, item_id)["status"] == "pending"
