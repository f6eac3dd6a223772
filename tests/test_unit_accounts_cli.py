"""``flask create-user`` for a department account: it belongs to a responsible unit (--unit),
an existing one or one created on the spot (--new-unit); mistakes are refused in Chinese."""

from __future__ import annotations

from inspect_app.storage import units, users

PASSWORD = "Temp-Lantern-8842"


def _create(runner, username: str, *extra: str):
    return runner.invoke(
        args=["create-user", username, "--name", "财政局联络员", "--role", "department",
              *extra, "--password", PASSWORD]
    )  # fmt: skip


def test_a_department_account_belongs_to_its_unit(app, db, county):
    runner = app.test_cli_runner()
    ok = _create(runner, "czj2", "--unit", "县财政局")
    assert ok.exit_code == 0, ok.output
    user = users.by_username(db, "czj2")
    assert (user["role"], user["unit_id"], user["must_change_password"]) == (
        "department", county["unit"], 1
    )  # fmt: skip
    assert [a["username"] for a in units.accounts(db, county["unit"])] == ["dept", "czj2"]


def test_a_missing_unit_is_refused_or_created_when_asked(app, db, county):
    runner = app.test_cli_runner()
    none = _create(runner, "jyj")
    assert none.exit_code != 0 and "需要用 --unit 指定所属单位" in none.output
    unknown = _create(runner, "jyj", "--unit", "县住建局")
    assert unknown.exit_code != 0
    assert "责任单位「县住建局」不存在。已有的单位：县财政局。" in unknown.output
    assert users.by_username(db, "jyj") is None and units.by_name(db, "县住建局") is None
    made = _create(runner, "jyj", "--unit", "县住建局", "--new-unit", "department")
    assert made.exit_code == 0, made.output
    unit = units.by_name(db, "县住建局")
    assert unit["kind"] == "department"
    assert users.by_username(db, "jyj")["unit_id"] == unit["id"]
    # A unit on another role's account is a mistake, not silently dropped.
    wrong = runner.invoke(
        args=["create-user", "insp9", "--name", "督学", "--role", "inspector", "--unit", "县财政局",
              "--password", PASSWORD]
    )  # fmt: skip
    assert wrong.exit_code != 0 and "只有责任单位账号" in wrong.output
    assert users.by_username(db, "insp9") is None
