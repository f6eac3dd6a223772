"""The bureau's pages: figures, filters, ranking, a school's record and the supervision plan.

Who may open them is the access matrix's job (test_access.py)."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from inspect_app.storage import assignments, schools

from .support import TERM, csrf_token


def _soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_dashboard_shows_the_scored_figures(client, auth, received):
    auth.login("bureau")
    page = _soup(client.get("/bureau/", query_string=TERM))
    stats = {
        s.select_one(".k").get_text(): s.select_one(".v").get_text(strip=True)
        for s in page.select(".stat")
    }
    totals = [received["results"]["a_new"]["total"], received["results"]["b"]["total"]]
    assert stats["纳入学校"] == "3"
    assert stats["已检查"] == "2"
    assert stats["未检查"] == "1"
    average = round(sum(totals) / 2 + 1e-9, 1)
    assert float(stats["平均得分"]) == pytest.approx(average)
    grades = {
        td["data-grade"]: int(td.get_text()) for td in page.select("#grade-table td[data-grade]")
    }
    expected = {}
    for name in ("a_new", "b"):
        grade = received["results"][name]["grade"]
        expected[grade] = expected.get(grade, 0) + 1
    assert {g: n for g, n in grades.items() if n} == expected
    findings = (
        received["results"]["a_new"]["rectifications"] + received["results"]["b"]["rectifications"]
    )
    old = received["results"]["a_old"]["rectifications"]
    assert stats["整改未销号"] == str(len(findings) + len(old))  # all of the term's inspections
    assert stats["整改已销号"] == "0"


def test_ranking_orders_by_score_and_shows_change(client, auth, received, county):
    auth.login("bureau")
    page = _soup(client.get("/bureau/ranking", query_string=TERM))
    rows = page.select("#ranking tbody tr")
    assert [r["data-school"] for r in rows] == ["A001", "B002"]
    a_new, a_old = received["results"]["a_new"]["total"], received["results"]["a_old"]["total"]
    assert rows[0].select_one("td.total").get_text() == f"{a_new:g}"
    assert "↑" in rows[0].get_text() and f"{round(a_new - a_old, 1):g}" in rows[0].get_text()
    # one column per applicable section, each the Result's own section percent
    header = [th.get_text(strip=True) for th in page.select("#ranking thead th.sec")]
    sections = {
        s["title"]: s["percent"]
        for s in received["results"]["a_new"]["sections"]
        if s["percent"] is not None
    }
    assert header and set(sections) <= set(header)
    cells = [td.get_text() for td in rows[0].select("td.heat")]
    assert [None if c == "—" else float(c) for c in cells] == [sections.get(h) for h in header]
    ascending = _soup(
        client.get("/bureau/ranking", query_string={**TERM, "sort": "total", "order": "asc"})
    )
    assert [r["data-school"] for r in ascending.select("#ranking tbody tr")] == ["B002", "A001"]
    link = rows[0].select_one("a")["href"]
    assert link == f"/bureau/schools/{county['school_a']}"


def test_filters_narrow_the_ranking(client, auth, received, county, db):
    auth.login("bureau")

    def codes(**extra):
        page = _soup(client.get("/bureau/ranking", query_string={**TERM, **extra}))
        return [r["data-school"] for r in page.select("#ranking tbody tr[data-school]")]

    west = schools.township_by_name(db, "西乡")["id"]
    assert codes(township=west) == ["B002"]
    assert codes(stage="小学") == ["A001"]
    assert codes(type="暗访") == ["B002"]
    assert codes(checklist="canteen_special") == []
    assert codes(period="month", key="2026-10") == ["B002"]
    assert codes(period="quarter", key="2026-Q3") == ["A001"]  # only the September one
    assert codes(period="term", key="2025-2026-2") == ["C003"]
    assert codes(period="custom", start="2026-11-01", end="2026-11-30") == ["A001"]
    assert sorted(codes(period="year", key="2026")) == ["A001", "B002", "C003"]


def test_sections_page_heat_map_and_common_problems(client, auth, received):
    auth.login("bureau")
    page = _soup(client.get("/bureau/sections", query_string=TERM))
    assert len(page.select("#heatmap tbody tr")) == 2
    assert page.select_one("svg.chart title").get_text() == "各评估内容平均得分率（%）"
    assert page.select("#townships tbody tr")
    failed_b = {f["item"] for f in received["results"]["b"]["findings"]}
    failed_a = {f["item"] for f in received["results"]["a_new"]["findings"]}
    first = page.select_one("#problems tbody tr")
    assert first["data-item"] in failed_a | failed_b
    tds = first.select("td")
    expected = (first["data-item"] in failed_a) + (first["data-item"] in failed_b)
    assert int(tds[3].get_text()) == expected


def test_school_page_lists_every_inspection_and_open_rectifications(client, auth, received, county):
    auth.login("bureau")
    page = _soup(client.get(f"/bureau/schools/{county['school_a']}"))
    assert len(page.select("#history tbody tr")) == 2
    chart = page.select_one("svg.chart")
    assert "得分变化" in chart.select_one("title").get_text()
    desc = chart.select_one("desc").get_text()
    assert f"{received['results']['a_new']['total']:g}" in desc
    open_items = (
        received["results"]["a_old"]["rectifications"]
        + received["results"]["a_new"]["rectifications"]
    )
    assert len(page.select("#rectifications tbody tr")) == len(open_items)
    assert client.get("/bureau/schools/99999").status_code == 404


def test_supervision_plan_counts_visits_and_flags_schools_behind(
    client, auth, received, county, db
):
    db.execute("DELETE FROM assignments")  # the plan this test makes, not the test county's
    auth.login("bureau")
    token = csrf_token(client, "/bureau/plan")
    response = client.post(
        "/bureau/plan",
        query_string=TERM,
        data={"csrf_token": token, "inspector_id": county["insp"], "school_id": [county["school_a"], county["school_b"], county["school_c"]],
              "start": "2026-09-01", "end": "2027-01-31", "planned_visits": 2},
    )  # fmt: skip
    assert response.status_code == 302
    page = _soup(client.get("/bureau/plan", query_string=TERM))
    done = {
        r["data-school"]: int(r.select_one("td.done").get_text())
        for r in page.select("#plan tbody tr")
    }
    assert done == {"A001": 2, "B002": 1, "C003": 0}  # C003's visit was last term
    statuses = {
        r["data-school"]: r.select_one(".status").get_text() for r in page.select("#plan tbody tr")
    }
    assert statuses["A001"] == "已完成"
    # 2026-11-23 is day 84 of 153: one visit is due by now, so C003 with none is behind
    assert statuses["C003"] == "滞后"
    assert "西乡石桥教学点" in page.select_one("#behind").get_text()

    def plan_in(period: dict) -> dict[str, tuple[int, str]]:
        shown = _soup(client.get("/bureau/plan", query_string=period))
        return {
            r["data-school"]: (int(r.select_one("td.done").get_text()), r.select_one(".status").get_text())
            for r in shown.select("#plan tbody tr")
        }  # fmt: skip

    # the current month shows the term's plan as it stands, not the month's visits against
    # the term's planned ones; a past month, the plan as it stood at its end
    assert plan_in({"period": "month", "key": "2026-11"}) == plan_in(TERM)
    assert plan_in({"period": "month", "key": "2026-10"}) == {
        "A001": (1, "按计划"), "B002": (1, "按计划"), "C003": (0, "按计划")
    }  # fmt: skip
    row = next(iter(assignments.progress(db, "2026-09-01", "2027-01-31")))
    token = csrf_token(client, "/bureau/plan")
    assert (
        client.post(f"/bureau/plan/{row['id']}/delete", data={"csrf_token": token}).status_code
        == 302
    )
    assert len(assignments.progress(db, "2026-09-01", "2027-01-31")) == 2
    assert client.post("/bureau/plan/99999/delete", data={"csrf_token": token}).status_code == 404


def test_plan_form_errors_are_shown(client, auth, county):
    auth.login("bureau")
    token = csrf_token(client, "/bureau/plan")
    response = client.post("/bureau/plan", data={"csrf_token": token, "planned_visits": "0"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "请选择督学" in text and "请选择至少一所学校" in text


def test_bad_period_falls_back_with_a_message(client, auth, county):
    auth.login("bureau")
    page = _soup(client.get("/bureau/", query_string={"period": "month", "key": "2026-13x"}))
    assert "格式不正确" in page.select_one(".flash-error").get_text()
