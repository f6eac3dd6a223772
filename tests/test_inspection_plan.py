"""Who may inspect which school: one rule (inspections/plan.py, the supervision plan) for the
schools the phone's start page offers (bootstrap ``may_inspect``), for last visit's data
(/api/schools/<id>/previous) and for the inspections the server accepts — a school offered is
never refused its history as 不在督导计划内, a school refused is not offered, and an inspection of
it sent all the same is not filed."""

from __future__ import annotations

from datetime import date, timedelta

from inspect_app.demo import term
from inspect_app.inspections import receiving
from inspect_app.storage import assignments, inspections, schools, users

from . import factories
from .support import PLAN_PERIOD, User

PREVIOUS = "/api/schools/{}/previous?checklist=fupin_comprehensive"


def test_start_page_offers_exactly_the_schools_whose_last_visit_may_be_read(
    login, county, checklist, db, app
):
    today = date.today()
    # another inspector, planned for both, visited 东镇中心小学 and 西乡石桥教学点; insp's plan
    # (in place of the test county's) has the 教学点 now and 西乡初级中学 only in a period that
    # has ended
    db.execute("DELETE FROM assignments WHERE inspector_id = ?", [county["insp"]])
    other = users.create(
        db, username="insp2", display_name="测试insp2", role="inspector", password_hash="x"
    )
    for school in ("school_a", "school_c"):
        assignments.assign(db, other, county[school], *PLAN_PERIOD)
        body = factories.payload(county[school], checklist)
        receiving.receive(db, body, body["id"], users.get(db, other))
    assignments.assign(
        db, county["insp"], county["school_c"], (today - timedelta(days=30)).isoformat(),
        (today + timedelta(days=30)).isoformat(),
    )  # fmt: skip
    assignments.assign(
        db, county["insp"], county["school_b"], (today - timedelta(days=90)).isoformat(),
        (today - timedelta(days=1)).isoformat(),
    )  # fmt: skip

    inspector = login("insp")
    offered = {
        s["id"]: s["may_inspect"] for s in inspector.get("/api/bootstrap").get_json()["schools"]
    }
    assert offered == {
        county["school_a"]: False,
        county["school_b"]: False,
        county["school_c"]: True,
    }
    status = {s: inspector.get(PREVIOUS.format(s)).status_code for s in offered}
    assert status == {county["school_a"]: 403, county["school_b"]: 403, county["school_c"]: 200}
    assert all((status[s] != 403) == may for s, may in offered.items())
    refused = inspector.get(PREVIOUS.format(county["school_a"])).get_json()
    assert refused["message"] == "该校不在您的督导计划内，不能调取其历史检查记录。"

    # the bureau may inspect anywhere, and reads any school's last visit
    bureau = login("bureau")
    rows = bureau.get("/api/bootstrap").get_json()["schools"]
    assert all(s["may_inspect"] for s in rows)
    assert {bureau.get(PREVIOUS.format(s["id"])).status_code for s in rows} == {200, 404}


def test_an_inspection_of_a_school_outside_the_plan_is_not_filed(app, db, county, checklist):
    # The start page offers no such school, but a request can name any, one the inspector must
    # stay away from (回避) among them: it is refused with the reason, beside the school, and
    # nothing is stored; the bureau may inspect anywhere.
    today = date.today()
    db.execute("DELETE FROM assignments WHERE inspector_id = ?", [county["insp"]])
    # 西乡初级中学 was insp's until yesterday
    assignments.assign(
        db, county["insp"], county["school_b"], (today - timedelta(days=60)).isoformat(),
        (today - timedelta(days=1)).isoformat(),
    )  # fmt: skip
    inspector = User(app, "insp")
    token = inspector.get("/api/session").get_json()["csrf_token"]

    def send(user: User, school: str, day: date):
        body = factories.payload(county[school], checklist, date=day.isoformat())
        response = user.client.put(
            f"/api/inspections/{body['id']}", json=body, headers={"X-CSRFToken": token}
        )
        return response, body["id"]

    refused, refused_id = send(inspector, "school_a", today)
    assert refused.status_code == 422
    reason = refused.get_json()["fields"]["school_id"]
    assert reason.startswith(f"东镇中心小学不在您 {today.isoformat()} 的督导计划内")
    assert inspections.get(db, refused_id) is None
    # the day of the inspection counts: one made while the school was in the plan, sent from
    # the outbox after the period ended, is filed; one made today is not
    kept, kept_id = send(inspector, "school_b", today - timedelta(days=2))
    assert kept.status_code == 201 and inspections.get(db, kept_id)
    assert send(inspector, "school_b", today)[0].status_code == 422
    bureau = User(app, "bureau")
    token = bureau.get("/api/session").get_json()["csrf_token"]
    assert send(bureau, "school_a", today)[0].status_code == 201


def test_the_demo_plan_gives_the_demo_inspectors_their_townships(app, db, county):
    # seed-demo plans the term (demo/term.py plan_term): 李志明 (duxue1) and 王秀兰 (duxue2)
    # are 河口乡's team, so the demo 教学点 the phone tests use is theirs to inspect
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    school = next(db.query("SELECT id FROM schools WHERE name = '河口乡石桥村教学点'"))["id"]
    planned = {
        users.get(db, a["inspector_id"])["username"]
        for a in db.query("SELECT inspector_id FROM assignments WHERE school_id = ?", [school])
    }
    assert planned == {"duxue1", "duxue2"}
    duxue3 = users.by_username(db, "duxue3")
    assert school not in assignments.school_ids_for(db, duxue3["id"])
    # every demo school has its township's team, and seeding again changes nothing
    for row in schools.search(db):
        if row["township"] in term.TEAMS:
            ids = assignments.progress(db, today_iso(), today_iso())
            team = {a["inspector_id"] for a in ids if a["school_id"] == row["id"]}
            assert {users.get(db, i)["username"] for i in team} == set(term.TEAMS[row["township"]])
    before = db.execute("SELECT count(*) FROM assignments").fetchone()[0]
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    assert db.execute("SELECT count(*) FROM assignments").fetchone()[0] == before


def today_iso() -> str:
    return date.today().isoformat()
