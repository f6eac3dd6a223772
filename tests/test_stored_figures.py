"""The bureau's figures kept in the database (bureau/stored.py, migration 0026): computed once,
read by every process, the same numbers and orders as computing them, current after writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from inspect_app.bureau import figures, gathering, stored
from inspect_app.common import periods
from inspect_app.common.clock import stamp, today_in_china
from inspect_app.documents import worker as document_worker
from inspect_app.storage import jobs
from inspect_app.storage.db import open_database

from .support import TERM


def _soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _stats(page) -> dict[str, str]:
    return {
        s.select_one(".k").get_text(): s.select_one(".v").get_text(strip=True)
        for s in page.select(".stat")
    }


@pytest.fixture
def computed(monkeypatch):
    """The filters every computation of a set was for (the expensive gathering)."""
    seen: list[str] = []
    uncached = gathering.gather_uncached

    def counted(db, f, *args, **kwargs):
        seen.append(f.period.key)
        return uncached(db, f, *args, **kwargs)

    monkeypatch.setattr(gathering, "gather_uncached", counted)
    return seen


def _term(app) -> tuple[periods.Filters, object]:
    day = today_in_china(app.config.get("TODAY_OVERRIDE"))
    period = periods.parse_period("term", TERM["key"], day)
    return periods.Filters(period=period, checklist_id="fupin_comprehensive"), day


def test_a_set_is_computed_once_and_read_by_any_process(app, client, auth, received, computed):
    auth.login("bureau")
    query = {**TERM, "checklist": "fupin_comprehensive"}
    first = _stats(_soup(client.get("/bureau/", query_string=query)))
    assert computed == [TERM["key"]]
    # Another process: nothing of the first one's memory, the same database.
    gathering.clear_cache()
    again = _stats(_soup(client.get("/bureau/", query_string=query)))
    assert client.get("/bureau/ranking", query_string=query).status_code == 200
    assert client.get("/bureau/sections", query_string=query).status_code == 200
    assert computed == [TERM["key"]] and again == first
    assert first["已检查"] == "2" and first["未检查"] == "1"


def test_stored_ranking_pages_equal_the_computed_ranking_in_every_order(app, db, received):
    filters, day = _term(app)
    live = figures.overview(gathering.gather_uncached(db, filters, day), filters, day)
    assert len(live.ranking) == 2
    for sort in figures.SORT_KEYS:
        for descending in (True, False):
            expected = figures.ranking(
                live.ranking and [dict(r) for r in live.ranking], {}, sort, descending
            )
            _, rows, page, pages = stored.ranking_page(
                db, filters, day, sort=sort, descending=descending, per_page=1
            )
            _, second, _, _ = stored.ranking_page(
                db, filters, day, sort=sort, descending=descending, per_page=1, page=2
            )
            assert (page, pages) == (1, 2)
            assert [r["school_code"] for r in rows + second] == [
                r["school_code"] for r in expected
            ], (sort, descending)
            assert rows[0]["total"] == expected[0]["total"]
            assert rows[0]["sections"] == next(
                r["sections"] for r in live.ranking if r["id"] == rows[0]["id"]
            )
    head = stored.dashboard(db, filters, day)
    assert head.summary == live.summary
    assert head.section_averages == live.section_averages
    assert head.township_sections == live.township_sections
    assert [p["item_id"] for p in head.common_problems] == [
        p["item_id"] for p in live.common_problems
    ]


def _close_one_rectification(db) -> None:
    row = db.execute(
        "SELECT id FROM rectifications WHERE status != 'closed' ORDER BY id LIMIT 1"
    ).fetchone()
    db.execute(
        "UPDATE rectifications SET status = 'closed', closed_at = ? WHERE id = ?",
        [stamp(), row[0]],
    )


def test_without_a_worker_a_write_is_shown_at_once(app, db, client, auth, received, computed):
    auth.login("bureau")
    query = {**TERM, "checklist": "fupin_comprehensive"}
    before = _stats(_soup(client.get("/bureau/", query_string=query)))
    _close_one_rectification(db)
    page = _soup(client.get("/bureau/", query_string=query))
    after = _stats(page)
    assert int(after["整改已销号"]) == int(before["整改已销号"]) + 1
    assert len(computed) == 2
    assert "正在重新汇总" not in page.select_one("#figures-time").get_text()


def test_with_a_worker_the_page_does_not_wait_and_the_worker_refreshes_it(
    app, db, client, auth, received, computed, monkeypatch
):
    auth.login("bureau")
    query = {**TERM, "checklist": "fupin_comprehensive"}
    before = _stats(_soup(client.get("/bureau/", query_string=query)))
    jobs.beat(db, "test:1", pid=1, started_at=stamp(), job_id=None, issued=0, failed=0)
    _close_one_rectification(db)
    page = _soup(client.get("/bureau/", query_string=query))
    assert _stats(page) == before  # the stored set, computed seconds ago
    assert "正在重新汇总" in page.select_one("#figures-time").get_text()
    assert len(computed) == 1
    # The worker, between documents, recomputes the sets that were viewed — not more often
    # than every few seconds while data keeps arriving.
    other = open_database(app.config["DATABASE"])
    try:
        document_worker.Worker(app.config, worker_id="test:1")._idle(other)
        assert len(computed) == 1  # computed a moment ago
        monkeypatch.setattr(stored, "REFRESH_AT_MOST_EVERY", timedelta(0))
        document_worker.Worker(app.config, worker_id="test:1")._idle(other)
    finally:
        other.close()
    assert len(computed) == 2
    page = _soup(client.get("/bureau/", query_string=query))
    after = _stats(page)
    assert int(after["整改已销号"]) == int(before["整改已销号"]) + 1
    assert "正在重新汇总" not in page.select_one("#figures-time").get_text()
    assert len(computed) == 2
