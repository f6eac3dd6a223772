"""The bureau's plan and 回避 forms keep every choice when one field is wrong, and say what is
wrong beside that field (the plan form lost all but one chosen school, the 回避 form all)."""

from __future__ import annotations

from bs4 import BeautifulSoup


def _page(response) -> BeautifulSoup:
    assert response.status_code == 400
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _selected(page: BeautifulSoup, select: str) -> set[str]:
    return {o["value"] for o in page.select(f"{select} option[selected]")}


def test_plan_form_keeps_the_chosen_schools_and_township_when_the_dates_are_wrong(
    login, county, db
):
    township = db.execute("SELECT id FROM regions WHERE name = '西乡'").fetchone()[0]
    chosen = [str(county["school_a"]), str(county["school_b"])]
    page = _page(login("bureau").post(
        "/bureau/plan",
        {"inspector_id": str(county["insp"]), "school_id": chosen, "assign_township": str(township),
         "start": "2026-12-31", "end": "2026-09-01", "planned_visits": "3"},
    ))  # fmt: skip
    assert _selected(page, "#school_id") == set(chosen)
    assert _selected(page, "#assign_township") == {str(township)}
    assert _selected(page, "#inspector_id") == {str(county["insp"])}
    assert page.select_one("#planned_visits")["value"] == "3"
    assert page.select_one("#start")["value"] == "2026-12-31"
    end = page.select_one("#end")
    assert end["aria-invalid"] == "true"
    assert end.find_parent(class_="field").select_one(".error").get_text() == (
        "结束日期不能早于开始日期"
    )
    assert page.select_one("#start").find_parent(class_="field").select_one(".error") is None


def test_plan_form_names_each_missing_choice_beside_its_field(login, county):
    page = _page(login("bureau").post("/bureau/plan", {"start": "2026-09-01", "end": "x",
                                                       "planned_visits": "0"}))  # fmt: skip
    assert page.select_one("#inspector_id-error").get_text() == "请选择督学"
    assert page.select_one("#school_id-error").get_text() == "请选择至少一所学校或一个乡镇"
    assert page.select_one("#end-error").get_text() == "请填写正确的结束日期"
    assert page.select_one("#planned_visits-error").get_text() == "计划次数应为 1 至 20 之间的整数"


def test_conflict_form_keeps_what_was_typed_when_the_reason_is_missing(login, county):
    page = _page(login("bureau").post(
        "/bureau/draws/conflicts",
        {"inspector_id": str(county["insp"]), "school_id": str(county["school_a"]), "reason": " "},
    ))  # fmt: skip
    assert _selected(page, "#c-inspector") == {str(county["insp"])}
    assert _selected(page, "#c-school") == {str(county["school_a"])}
    reason = page.select_one("#c-reason")
    assert reason["aria-invalid"] == "true"
    assert page.select_one("#c-reason-error").get_text() == "请填写回避原因，如「原任职学校」"


def test_conflict_form_says_choose_one_beside_the_school_and_keeps_the_reason(login, county, db):
    township = db.execute("SELECT id FROM regions WHERE name = '东镇'").fetchone()[0]
    page = _page(login("bureau").post(
        "/bureau/draws/conflicts",
        {"inspector_id": str(county["insp"]), "school_id": str(county["school_a"]),
         "township_id": str(township), "reason": "原任职学校"},
    ))  # fmt: skip
    assert page.select_one("#c-school-error").get_text() == "请选择一所学校或一个乡镇（二选一）"
    assert page.select_one("#c-reason")["value"] == "原任职学校"
    assert _selected(page, "#c-township") == {str(township)}
