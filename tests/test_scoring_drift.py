"""A phone that scored differently from the server is logged and shown to admins the same day."""

from __future__ import annotations

import json
import logging

from bs4 import BeautifulSoup

from inspect_app.checklist import score
from inspect_app.inspections import catalog
from inspect_app.storage import schools

from . import factories


def _send(client, auth, body) -> int:
    auth.login("insp")
    token = client.get("/api/session").get_json()["csrf_token"]
    response = client.put(
        f"/api/inspections/{body['id']}",
        data=json.dumps(body, ensure_ascii=False),
        headers={"X-CSRFToken": token},
    )
    client.post("/logout", data={"csrf_token": token})
    return response.status_code


def test_a_differing_item_outcome_is_logged_and_listed_for_admins(
    app, client, auth, county, db, caplog
):
    with app.app_context():
        checklist = catalog.current()["fupin_comprehensive"].compiled
    agreeing = factories.payload(county["school_b"], checklist)
    school_b = schools.as_scoring_school(schools.get(db, county["school_b"]))
    agreeing["client_result"] = score(checklist, school_b, agreeing["responses"])
    differing = factories.payload(county["school_a"], checklist)
    school_a = schools.as_scoring_school(schools.get(db, county["school_a"]))
    theirs = score(checklist, school_a, differing["responses"])
    item_id, item = next(iter(theirs["items"].items()))
    theirs["items"][item_id] = {**item, "outcome": "fail" if item["outcome"] != "fail" else "pass"}
    differing["client_result"] = theirs
    no_result = factories.payload(county["school_a"], checklist)

    with caplog.at_level(logging.WARNING, logger="inspect_app.inspections.receiving"):
        assert _send(client, auth, agreeing) == 201
        assert _send(client, auth, differing) == 201
        assert _send(client, auth, no_result) == 201
    warnings = [r.getMessage() for r in caplog.records if "scored inspection" in r.getMessage()]
    assert warnings == [
        f"phone and server scored inspection {differing['id']} differently: items.{item_id}"
    ]

    auth.login("admin")
    page = BeautifulSoup(client.get("/admin/scoring").data, "html.parser")
    assert page.select_one("#drift-count").get_text() == "1"
    cases = page.select("section.mismatch")
    assert len(cases) == 1 and differing["id"] in cases[0].get_text()
    label = next(
        i["label"] for s in checklist["sections"] for i in s["items"] if i["id"] == item_id
    )
    cells = [td.get_text() for td in cases[0].select("tbody td")]
    assert cells[0] == f"{label}（{item_id}）"
    assert "未附手机评分的检查" in page.get_text() and "1" in page.select(".stat .v")[1].get_text()


def test_only_admins_see_the_scoring_page(client, auth, county):
    auth.login("bureau")
    assert client.get("/admin/scoring").status_code == 403
