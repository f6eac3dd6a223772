import statistics
import time

from bs4 import BeautifulSoup

from inspect_app.directory.passwords import hash_password
from inspect_app.storage import audit, users

from .support import csrf_token


def test_login_and_logout(client, auth, county, db):
    response = auth.login("insp")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "您好，测试insp" in home
    assert auth.logout().status_code == 302
    assert client.get("/").headers["Location"].startswith("/login")
    actions = [row["action"] for row in audit.recent(db)]
    assert actions[:2] == ["logout", "login"]


def test_wrong_password_is_refused_in_chinese(auth, county):
    response = auth.login("insp", "wrong-password")
    assert response.status_code == 401
    page = BeautifulSoup(response.data, "html.parser")
    assert "用户名或密码错误" in page.select_one("[role=alert]").text
    # The username typed stays in the form.
    assert page.select_one("input[name=username]")["value"] == "insp"


def test_unknown_user_gets_the_same_message(auth, county):
    response = auth.login("nobody", "whatever")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_inactive_user_cannot_log_in(auth, county, db):
    users.update(db, county["insp"], active=False)
    assert auth.login("insp").status_code == 401


def test_lockout_after_repeated_failures(app, auth, county):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert auth.login("insp", "bad").status_code == 401
    # Even the right password is refused while locked.
    response = auth.login("insp")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.get_data(as_text=True)


def test_lockout_per_address_covers_other_usernames(app, auth, county):
    for i in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        auth.login(f"guess{i}", "bad")
    assert auth.login("bureau").status_code == 429


def test_post_without_csrf_token_is_refused(client, county):
    response = client.post("/login", data={"username": "insp", "password": "x"})
    assert response.status_code == 400
    assert "安全校验失败" in response.get_data(as_text=True)


def test_logout_requires_csrf(client, auth, county):
    auth.login("insp")
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still logged in


def test_next_parameter_only_allows_local_paths(client, county):
    token = csrf_token(client)
    response = client.post(
        "/login?next=//evil.example/x",
        data={"username": "insp", "password": "correct-horse-1", "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_next_parameter_returns_to_page(client, county):
    assert client.get("/schools").headers["Location"].startswith("/login?next=/schools")
    token = csrf_token(client)
    response = client.post(
        "/login?next=/schools",
        data={"username": "insp", "password": "correct-horse-1", "csrf_token": token},
    )
    assert response.headers["Location"] == "/schools"


def test_session_lifetime_configurable(app, auth, client, county):
    app.config["PERMANENT_SESSION_LIFETIME"] = 60
    auth.login("insp", remember="y")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None


def test_passwords_are_argon2_hashed(db, county):
    stored = users.get(db, county["insp"])["password_hash"]
    assert stored.startswith("$argon2id$")
    assert "correct-horse" not in stored


def test_a_success_does_not_reset_the_address_count(app, auth, county):
    """Interleaving one's own valid login used to clear the address's failures."""
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 4
    for round_ in range(2):
        for i in range(2):
            assert auth.login(f"guess{round_}{i}", "bad").status_code == 401
        if round_ == 0:
            assert auth.login("insp").status_code == 302
            auth.logout()
    assert auth.login("bureau").status_code == 429


def test_a_success_clears_the_usernames_own_count(app, auth, county):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        auth.login("insp", "bad")
    assert auth.login("insp").status_code == 302
    auth.logout()
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        auth.login("insp", "bad")
    assert auth.login("insp").status_code == 302


def test_unknown_and_known_usernames_take_the_same_time(app, db, client, county):
    """argon2 runs for unknown and disabled accounts too, so timing does not reveal either."""
    # A real cost, so hashing (not the page around it) is what a missing dummy would skip.
    app.config.update(ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=32768, LOGIN_MAX_FAILURES=1000,
                      LOGIN_MAX_FAILURES_PER_ADDRESS=1000)  # fmt: skip
    with app.app_context():
        stored = hash_password("Slow-Hash-Check-1", app.config)
    users.update(db, county["insp"], password_hash=stored)
    users.update(db, county["sch_b"], password_hash=stored, active=False)
    token = csrf_token(client)

    def timed(username: str) -> float:
        start = time.perf_counter()
        response = client.post(
            "/login", data={"username": username, "password": "wrong", "csrf_token": token}
        )
        assert response.status_code == 401
        return time.perf_counter() - start

    timed("insp")  # warm-up: the dummy hash is made on first use
    samples: dict[str, list[float]] = {"insp": [], "nobody-here": [], "sch_b": []}
    for _ in range(7):
        for username, times in samples.items():
            times.append(timed(username))
    medians = {name: statistics.median(times) for name, times in samples.items()}
    slowest, fastest = max(medians.values()), min(medians.values())
    # Without the dummy hash the unknown name answers about 12 times faster.
    assert slowest / fastest < 2, medians


def test_login_rehashes_a_password_stored_at_an_old_cost(app, db, auth, county):
    app.config["ARGON2_TIME_COST"] = 2
    assert auth.login("insp").status_code == 302
    assert "t=2" in users.get(db, county["insp"])["password_hash"]
