"""挂牌督导: the routine-visit checklist is received like any other, and the supervision plan
lists the schools with fewer than two routine visits this term (教育督导条例 第十四条)."""

from __future__ import annotations

from bs4 import BeautifulSoup

from inspect_app.inspections import catalog, receiving
from inspect_app.storage import users

from . import factories
from .support import TERM


def _visit(app, db, county, school: str, day: str, *, status_ok: bool = True) -> str:
    with app.app_context():
        compiled = catalog.current()["routine_visit"].compiled
    body = factories.payload(county[school], compiled)
    body["date"] = day
    receiving.receive(db, body, body["id"], users.get(db, county["insp"]))
    if not status_ok:
        db.execute("UPDATE inspections SET status = 'superseded' WHERE id = ?", [body["id"]])
    return body["id"]


def _short(client) -> dict[str, dict]:
    response = client.get("/bureau/plan", query_string=TERM)
    assert response.status_code == 200
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    section = page.select_one("#routine")
    rows = {
        r["data-school"]: {
            "visits": int(r.select_one("td.visits").get_text()),
            "cells": [td.get_text(strip=True) for td in r.select("td")],
        }
        for r in section.select("#routine-short tbody tr")
    }
    return {"heading": section.select_one("h2").get_text(strip=True), "rows": rows}


def test_the_plan_lists_schools_with_fewer_than_two_routine_visits_this_term(
    app, db, client, auth, county
):
    # A001: two routine visits this term → not listed. B002: one this term and one last term
    # (a visit in another term does not count). C003: one visit whose result was superseded.
    _visit(app, db, county, "school_a", "2026-09-15")
    _visit(app, db, county, "school_a", "2026-11-02")
    _visit(app, db, county, "school_b", "2026-10-20")
    _visit(app, db, county, "school_b", "2026-06-10")
    _visit(app, db, county, "school_c", "2026-10-21", status_ok=False)
    # since then C003 was taken out of the plan
    db.execute("DELETE FROM assignments WHERE school_id = ?", [county["school_c"]])
    auth.login("bureau")
    short = _short(client)
    assert set(short["rows"]) == {"B002", "C003"}
    assert short["rows"]["B002"]["visits"] == 1 and short["rows"]["C003"]["visits"] == 0
    assert "2026-10-20" in short["rows"]["B002"]["cells"]
    assert short["heading"] == "挂牌督导不足 2 次的学校（2026—2027学年上学期，2 所）"
    # the fewest first, and a school nobody is assigned to says so
    assert list(short["rows"]) == ["C003", "B002"]
    assert short["rows"]["C003"]["cells"][1] == "未安排"


def test_an_inspection_with_another_checklist_is_not_a_routine_visit(
    app, db, client, auth, county, received
):
    # the term's comprehensive inspections (fixture `received`) do not count as 挂牌督导
    auth.login("bureau")
    assert set(_short(client)["rows"]) == {"A001", "B002", "C003"}
    _visit(app, db, county, "school_a", "2026-09-15")
    _visit(app, db, county, "school_a", "2026-09-29")
    assert set(_short(client)["rows"]) == {"B002", "C003"}
