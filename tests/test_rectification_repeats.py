"""One item per problem: a finding repeated at the next visit joins the open item (屡查屡犯),
and item numbers are unique across the school's list (2026-017)."""

from __future__ import annotations

import json
import threading

from inspect_app.inspections import receiving
from inspect_app.storage import inspections, users
from inspect_app.storage.db import open_database

from . import factories, live_server
from .support import event_kinds, item_row, version_on


def _visit(db, county, checklist, day: str, school: str = "school_a"):
    """A failing inspection of ``school`` on ``day``, received as ``insp``; its findings' items."""
    body = factories.payload(county[school], checklist, passing=False, date=day)
    try:
        receiving.receive(db, body, body["id"], users.get(db, county["insp"]))
    except receiving.PayloadError as exc:
        raise AssertionError(exc.fields) from exc
    return body["id"], inspections.rectifications(db, body["id"])


def test_a_repeat_finding_joins_the_open_item(db, county, checklist, login, frozen):
    first_id, first = _visit(db, county, checklist, "2026-11-18")
    numbers = [r["number"] for r in first]
    assert numbers == [f"2026-{n:03d}" for n in range(1, len(first) + 1)]

    # The school closes one problem before the next visit; the others stay open.
    closed = first[0]
    db.execute("UPDATE rectifications SET status = 'closed' WHERE id = ?", [closed["id"]])
    second_id, second = _visit(db, county, checklist, "2026-12-01")

    # The same problems were found: every open one was joined, the closed one opened anew.
    assert len(second) == len(first)
    by_item = {r["item_id"]: r for r in second}
    reopened = by_item[closed["item_id"]]
    assert reopened["id"] != closed["id"] and reopened["inspection_id"] == second_id
    assert reopened["number"] == f"2026-{len(first) + 1:03d}"
    joined = [r for r in second if r["item_id"] != closed["item_id"]]
    assert {r["id"] for r in joined} == {r["id"] for r in first[1:]}
    all_items = list(
        db.query("SELECT * FROM rectifications WHERE school_id = ?", [county["school_a"]])
    )
    assert len(all_items) == len(first) + 1
    assert len({r["number"] for r in all_items}) == len(all_items)
    item = item_row(db, joined[0]["id"])
    assert item["repeats"] == 1 and item["inspection_id"] == first_id
    assert event_kinds(db, item["id"]) == ["created", "repeat"]

    # The school sees one item per problem, marked 屡查屡犯, with the repeat on its timeline.
    school = login("sch_a")
    page = school.page("/school/rectifications")
    assert len(page.select("li[data-item]")) == len(first) + 1
    li = page.select_one(f"li[data-item='{item['id']}']")
    assert "屡查屡犯 · 2 次发现" in li.get_text() and item["number"] in li.get_text()
    detail = school.page(f"/school/rectifications/{item['id']}")
    repeat = detail.select_one(".timeline li.kind-repeat")
    assert "2026-12-01 检查再次发现" in repeat.get_text()
    # Both inspections' lists carry it; the second visit's 整改清单 lists every problem it found.
    for inspection_id in (first_id, second_id):
        listed = school.page(f"/school/rectifications?inspection={inspection_id}")
        assert listed.select_one(f"li[data-item='{item['id']}']")
    assert [r["seq"] for r in second] == list(range(1, len(second) + 1))


def test_a_repeat_at_another_school_or_after_closing_opens_its_own_item(db, county, checklist):
    _, at_a = _visit(db, county, checklist, "2026-11-18")
    _, at_b = _visit(db, county, checklist, "2026-11-19", school="school_c")
    assert not {r["id"] for r in at_a} & {r["id"] for r in at_b}
    # Numbers are per school; a later visit joins the open items, it does not renumber them.
    assert at_b[0]["number"] == "2026-001"
    _, later = _visit(db, county, checklist, "2026-11-30", school="school_c")
    assert all(r["repeats"] == 1 for r in later)
    assert [r["number"] for r in later] == [r["number"] for r in at_b]


def test_a_joined_item_keeps_its_state_and_answers(db, county, checklist, login, frozen):
    _, first = _visit(db, county, checklist, "2026-11-18")
    item_id = first[0]["id"]
    school = login("sch_a")
    url = f"/school/rectifications/{item_id}/respond"
    response = school.post(
        url,
        {"measures": "措施", "result": "结果", "done_on": "2026-11-24",
         "version": version_on(school.page(url))},
        files={"evidence": [(factories.jpeg_bytes(2), "a.jpg")]},
    )  # fmt: skip
    assert response.status_code == 302
    before = item_row(db, item_id)
    _visit(db, county, checklist, "2026-12-01")
    after = item_row(db, item_id)
    # Still waiting for the reviewer, who now also sees that the problem was found again; the
    # version moved, so a reviewer's page from before the repeat is stale.
    assert after["status"] == "submitted" and after["version"] == before["version"] + 1
    assert event_kinds(db, item_id) == ["created", "respond", "repeat"]


def test_inspectors_sending_visits_of_one_school_at_once_open_one_item_per_problem(tmp_path):
    """Real server, real concurrency: four inspectors upload failing visits of one school at
    the same moment; each problem has one item, found four times, numbered once."""
    instance = live_server.prepare_instance(tmp_path / "instance", inspectors=4, school_count=1)
    server, base = live_server.serve(instance, tmp_path / "serve.log", workers=2)
    try:
        phones = [live_server.Client(base) for _ in instance.inspectors]
        for phone, name in zip(phones, instance.inspectors, strict=True):
            phone.login(name)
        checklist = phones[0].checklist()
        school_id = instance.school_ids[0]
        bodies = [
            json.dumps(
                factories.payload(school_id, checklist, passing=False, date=f"2026-11-{20 + n}"),
                ensure_ascii=False,
            ).encode()
            for n in range(len(phones))
        ]
        barrier = threading.Barrier(len(phones))
        errors: list[BaseException] = []

        def send(phone, body):
            try:
                barrier.wait()
                inspection_id = json.loads(body)["id"]
                phone.put(f"/api/inspections/{inspection_id}", body, "application/json")
            except BaseException as exc:  # reported below, with the server's log
                errors.append(exc)

        threads = [
            threading.Thread(target=send, args=pair) for pair in zip(phones, bodies, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, (errors, server.output())
    finally:
        server.stop()
    db = open_database(instance.database)
    try:
        per_visit = db.execute("SELECT count(*) FROM rectification_findings").fetchone()[0]
        assert per_visit % 4 == 0 and per_visit > 0
        rows = list(db.query("SELECT * FROM rectifications ORDER BY number"))
        assert len(rows) == per_visit // 4
        assert [r["number"] for r in rows] == [f"2026-{n:03d}" for n in range(1, len(rows) + 1)]
        assert {r["repeats"] for r in rows} == {3}
        for r in rows:
            kinds = [
                e["kind"]
                for e in db.query(
                    "SELECT kind FROM rectification_events WHERE rectification_id = ? ORDER BY id",
                    [r["id"]],
                )
            ]
            assert kinds == ["created", "repeat", "repeat", "repeat"]
    finally:
        db.close()
