"""Passwords that are easy to guess are refused, and an administrator's choice is temporary."""

import pytest
from bs4 import BeautifulSoup

from inspect_app.directory.passwords import weakness
from inspect_app.storage import users

from .support import csrf_token


@pytest.mark.parametrize(
    "password",
    ["12345678", "password", "11111111", "qwertyuiop", "woaini1314", "19900101", "jiaoyu2026",
     "Password1", "abc12345"],
)  # fmt: skip
def test_common_and_trivial_passwords_are_refused(password):
    reason = weakness(password)
    assert reason and reason.startswith(("密码太容易被猜到", "密码至少需要"))


def test_a_password_built_from_the_username_is_refused():
    assert "用户名、姓名或学校代码" in weakness("xx522426011", ["xx522426011", "青山小学"])


@pytest.mark.parametrize("password", ["Quiet-Orchard-5163", "correct-horse-1", "mzq7ke4pv2"])
def test_long_irregular_passwords_pass(password):
    assert weakness(password) is None


def test_reasons_are_chinese_and_specific():
    assert "连续" in weakness("abcdefgh1")
    assert "键盘" in weakness("1qaz2wsx3edc") or "常见密码" in weakness("1qaz2wsx3edc")
    assert weakness("short") == "密码至少需要 8 位。"


def new_user(client, password: str, username: str = "new_insp"):
    token = csrf_token(client, "/admin/users/new")
    return client.post(
        "/admin/users/new",
        data={"csrf_token": token, "username": username, "display_name": "新督学",
              "role": "inspector", "school_id": 0, "password": password, "active": "y"},
    )  # fmt: skip


def test_admin_cannot_set_a_weak_password(client, auth, county, db):
    auth.login("admin")
    response = new_user(client, "12345678")
    assert response.status_code == 400
    error = BeautifulSoup(response.data, "html.parser").select_one("#password-error").text
    assert error.startswith("密码太容易被猜到")
    assert users.by_username(db, "new_insp") is None


def test_account_an_admin_created_must_change_password_at_first_login(
    app, client, auth, county, db
):
    auth.login("admin")
    assert new_user(client, "Temp-Lantern-8842").status_code == 302
    assert users.by_username(db, "new_insp")["must_change_password"] == 1
    auth.logout()
    response = auth.login("new_insp", "Temp-Lantern-8842")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/account/password"
    assert client.get("/").headers["Location"] == "/account/password"
    # Logging out still works while the change is pending.
    token = csrf_token(client, "/account/password")
    assert client.post("/logout", data={"csrf_token": token}).headers["Location"] == "/login"


def test_cli_create_user_refuses_weak_passwords_and_forces_a_change(app, db, county):
    runner = app.test_cli_runner()
    weak = runner.invoke(
        args=["create-user", "cli_user", "--name", "命令行", "--role", "inspector",
              "--password", "password"]
    )  # fmt: skip
    assert weak.exit_code != 0 and "密码太容易被猜到" in weak.output
    assert users.by_username(db, "cli_user") is None
    ok = runner.invoke(
        args=["create-user", "cli_user", "--name", "命令行", "--role", "inspector",
              "--password", "Temp-Lantern-8842"]
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert users.by_username(db, "cli_user")["must_change_password"] == 1
