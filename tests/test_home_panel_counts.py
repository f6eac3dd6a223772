"""The bureau's home panel counts every item from indexes: the same figures as the queue."""

from __future__ import annotations

from bs4 import BeautifulSoup
from flask import g, render_template_string

from inspect_app.storage import rectifications as items
from inspect_app.storage import users
from inspect_app.web import today


def _by_queue(db, day: str) -> dict[str, int]:
    """The panel's figures as the review queue lists them (what the panel used to count)."""
    waiting = items.queue(db, None)
    return {
        "responses": sum(1 for r in waiting if r["status"] == "submitted"),
        "extensions": sum(1 for r in waiting if r["extension_until"]),
        "overdue": items.overdue_count(db, None, day),
    }


def test_bureau_counts_are_the_queues_in_every_state(app, db, received):
    ids = [r for (r,) in db.execute("SELECT id FROM rectifications ORDER BY id")]
    assert len(ids) >= 6
    db.execute("UPDATE rectifications SET status = 'submitted' WHERE id IN (?, ?)", ids[:2])
    db.execute("UPDATE rectifications SET extension_until = '2027-03-01' WHERE id IN (?, ?)",
               [ids[1], ids[2]])  # fmt: skip
    db.execute(
        "UPDATE rectifications SET status = 'closed', extension_until = '2027-03-01' WHERE id = ?",
        [ids[3]],
    )  # a decided request on a closed item: no longer waiting
    day = max(d for (d,) in db.execute("SELECT deadline FROM rectifications"))
    expected = _by_queue(db, day)
    assert expected["responses"] == 2 and expected["extensions"] == 2 and expected["overdue"] > 0
    assert items.waiting_counts(db, day) == expected
    # Items of an inspection no longer valid leave every figure.
    db.execute(
        "UPDATE inspections SET status = 'superseded' WHERE id = "
        "(SELECT inspection_id FROM rectifications WHERE id = ?)",
        [ids[0]],
    )
    after = _by_queue(db, day)
    assert after != expected and items.waiting_counts(db, day) == after


def test_the_bureau_home_panel_shows_them(app, db, received):
    db.execute("UPDATE rectifications SET status = 'submitted' WHERE id = "
               "(SELECT min(id) FROM rectifications)")  # fmt: skip
    with app.test_request_context("/"):
        g.user = users.by_username(db, "bureau")
        html = render_template_string('{% include "review/_home_panel.html" %}')
        figures = _by_queue(db, today().isoformat())
    shown = [d.strong.get_text() for d in BeautifulSoup(html, "html.parser").select(".stats div")]
    assert shown == [str(figures["responses"]), str(figures["extensions"]),
                     str(figures["overdue"])]  # fmt: skip
    assert shown[0] == "1"
