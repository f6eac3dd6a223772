from inspect_app.demo import county


def test_seed_demo_twice_creates_once(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    counts = {t: db[t].count for t in ("regions", "schools", "users")}
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert {t: db[t].count for t in ("regions", "schools", "users")} == counts
    assert counts["schools"] >= 28 and counts["regions"] >= 4
    assert f"密码均为：{county.DEMO_PASSWORD}" in first.output and "duxue1" in first.output


def test_demo_county_is_mixed(app, db):
    app.test_cli_runner().invoke(args=["seed-demo"])
    rows = list(db.query("SELECT * FROM schools"))
    assert len({r["stage"] for r in rows}) >= 7
    assert sum(r["boarding"] for r in rows) >= 5
    assert sum(r["township_central"] for r in rows) >= 4
    assert sum(r["poverty_village"] for r in rows) >= 8
    roles = [r["role"] for r in db.query("SELECT role FROM users")]
    assert roles.count("inspector") == 3 and roles.count("school") == len(rows)
    assert {"bureau", "admin"} <= set(roles)


def test_demo_logins_work(app, db, client, auth):
    app.test_cli_runner().invoke(args=["seed-demo"])
    assert auth.login("duxue1", county.DEMO_PASSWORD).status_code == 302
    assert "李志明" in client.get("/").get_data(as_text=True)


def test_seed_demo_with_inspections_spreads_grades_through_the_real_engine(app, db, demo_term):
    import json

    from inspect_app.checklist import score
    from inspect_app.inspections import catalog
    from inspect_app.storage import schools

    # seeded once per run by `seed-demo --inspections` (the demo_term template)
    assert "duxue1" in demo_term["output"]
    rows = list(db.query("SELECT * FROM inspections"))
    assert len(rows) >= 50
    assert {r["grade"] for r in rows if r["checklist_id"] == "fupin_comprehensive"} == {
        "优秀",
        "良好",
        "合格",
        "不合格",
    }
    # some schools have fewer than two routine visits this term, as the plan page shows
    visits = db.execute(
        "SELECT count(*) FROM schools s WHERE (SELECT count(*) FROM inspections i WHERE"
        " i.school_id = s.id AND i.checklist_id = 'routine_visit') < 2"
    ).fetchone()[0]
    assert 0 < visits < db["schools"].count
    assert any(r["vetoed"] for r in rows)
    with app.app_context():
        shipped = catalog.current()
    by_checklist = {r["checklist_id"] for r in rows}
    assert by_checklist == {"fupin_comprehensive", "routine_visit"}  # 挂牌督导 visits too
    for row in rows[:10] + [r for r in rows if r["checklist_id"] == "routine_visit"][:10]:
        payload = json.loads(row["payload"])
        school = schools.as_scoring_school(schools.get(db, row["school_id"]))
        checklist = shipped[row["checklist_id"]]
        assert score(checklist, school, payload["responses"])["total"] == row["total"]
        assert json.loads(row["client_mismatch"]) == {}
    assert db["rectifications"].count > 50
    assert (
        db.execute("SELECT count(DISTINCT school_id) FROM assignments").fetchone()[0]
        == db["schools"].count
    )
    again = app.test_cli_runner().invoke(args=["seed-demo", "--inspections"])
    assert "未重复生成" in again.output and db["inspections"].count == len(rows)
