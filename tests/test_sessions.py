"""Logins kept on the server: a copied cookie stops working when the login ends."""

from datetime import timedelta

from bs4 import BeautifulSoup

from inspect_app.common.clock import now, stamp
from inspect_app.common.devices import describe
from inspect_app.storage import sessions, users

from .support import PASSWORD, Auth, csrf_token

PHONE = (
    "Mozilla/5.0 (Linux; Android 13; V2183A Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 MicroMessenger/8.0.47"
)
DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
)


def logged_in(app, username: str, user_agent: str = DESKTOP):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    assert Auth(client).login(username).status_code == 302
    return client


def copy_of(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_copied_cookie_is_refused_after_logout(app, county):
    client = logged_in(app, "insp")
    thief = copy_of(app, client)
    assert thief.get("/api/session").status_code == 200
    assert Auth(client).logout().status_code == 302
    response = thief.get("/api/session")
    assert response.status_code == 401 and response.json["error"] == "需要登录"
    assert thief.get("/").headers["Location"].startswith("/login")


def test_cookie_holds_no_user_id(app, county):
    client = logged_in(app, "insp")
    data = app.session_interface.get_signing_serializer(app).loads(
        client.get_cookie("session").value
    )
    assert "user_id" not in data and isinstance(data["sid"], str) and len(data["sid"]) >= 32


def test_cookie_from_before_server_sessions_no_longer_logs_in(app, county):
    forged = app.session_interface.get_signing_serializer(app).dumps({"user_id": county["admin"]})
    client = app.test_client()
    client.set_cookie("session", forged)
    assert client.get("/api/session").status_code == 401


def test_database_keeps_only_a_hash_of_the_token(app, db, county):
    client = logged_in(app, "insp")
    data = app.session_interface.get_signing_serializer(app).loads(
        client.get_cookie("session").value
    )
    stored = db.execute("SELECT token_sha256 FROM sessions").fetchall()
    assert len(stored) == 1 and data["sid"] not in stored[0][0]


def test_admin_password_reset_ends_every_login_and_forces_a_change(app, db, client, county):
    phone = logged_in(app, "insp", PHONE)
    laptop = logged_in(app, "insp", DESKTOP)
    admin = Auth(client)
    admin.login("admin")
    token = csrf_token(client, f"/admin/users/{county['insp']}")
    response = client.post(
        f"/admin/users/{county['insp']}",
        data={"csrf_token": token, "username": "insp", "display_name": "测试insp",
              "role": "inspector", "school_id": 0, "password": "Temp-Lantern-8842", "active": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    assert phone.get("/api/session").status_code == 401
    assert laptop.get("/api/session").status_code == 401
    # The administrator's own login is untouched.
    assert client.get("/admin/users").status_code == 200
    # The next login asks for a password of the user's own before anything else.
    again = app.test_client()
    response = Auth(again).login("insp", "Temp-Lantern-8842")
    assert response.headers["Location"] == "/account/password"
    assert again.get("/inspector/").headers["Location"] == "/account/password"
    blocked = again.get("/api/bootstrap")
    assert blocked.status_code == 403 and "修改密码" in blocked.json["message"]


def test_an_administrator_setting_their_own_password_keeps_only_this_browser(app, db, county):
    admin = logged_in(app, "admin")
    elsewhere = logged_in(app, "admin", PHONE)
    thief = copy_of(app, admin)
    token = csrf_token(admin, f"/admin/users/{county['admin']}")
    response = admin.post(
        f"/admin/users/{county['admin']}",
        data={"csrf_token": token, "username": "admin", "display_name": "管理员",
              "role": "admin", "school_id": 0, "password": "Amber-Quarry-6620", "active": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    assert admin.get("/admin/users").status_code == 200
    assert elsewhere.get("/api/session").status_code == 401
    assert thief.get("/api/session").status_code == 401
    assert users.get(db, county["admin"])["must_change_password"] == 0


def test_deactivation_ends_every_login(app, db, client, county):
    phone = logged_in(app, "insp", PHONE)
    Auth(client).login("admin")
    token = csrf_token(client, f"/admin/users/{county['insp']}")
    response = client.post(
        f"/admin/users/{county['insp']}",
        data={"csrf_token": token, "username": "insp", "display_name": "测试insp",
              "role": "inspector", "school_id": 0, "password": ""},
    )  # fmt: skip
    assert response.status_code == 302
    assert users.get(db, county["insp"])["active"] == 0
    assert phone.get("/api/session").status_code == 401
    assert (
        db.execute("SELECT count(*) FROM sessions WHERE user_id = ?", [county["insp"]]).fetchone()[
            0
        ]
        == 0
    )


def test_user_sees_own_logins_by_device_and_ends_one(app, db, county):
    phone = logged_in(app, "insp", PHONE)
    laptop = logged_in(app, "insp", DESKTOP)
    logged_in(app, "bureau", DESKTOP)  # someone else's login is not listed
    page = BeautifulSoup(laptop.get("/account/").data, "html.parser")
    rows = page.select("ul.logins > li")
    assert len(rows) == 2
    assert "本机" in rows[0].text and "Windows 电脑 · Edge" in rows[0].text
    assert "安卓手机 · 微信" in rows[1].text and "最近使用" in rows[1].text
    # End the phone's login from the laptop: the phone is logged out, the laptop is not.
    action = rows[1].select_one("form")["action"]
    token = csrf_token(laptop, "/account/")
    assert laptop.post(action, data={"csrf_token": token}).status_code == 302
    assert phone.get("/api/session").status_code == 401
    assert laptop.get("/api/session").status_code == 200


def test_a_user_cannot_end_someone_elses_login(app, db, county):
    victim = logged_in(app, "bureau")
    attacker = logged_in(app, "insp")
    (victim_session,) = sessions.for_user(db, county["bureau"])
    token = csrf_token(attacker, "/account/")
    attacker.post(f"/account/sessions/{victim_session['id']}/end", data={"csrf_token": token})
    assert victim.get("/api/session").status_code == 200


def test_end_all_other_logins(app, county):
    phones = [logged_in(app, "insp", PHONE) for _ in range(2)]
    laptop = logged_in(app, "insp", DESKTOP)
    token = csrf_token(laptop, "/account/")
    response = laptop.post("/account/sessions/end-others", data={"csrf_token": token})
    assert response.status_code == 302
    assert "已退出其他设备上的 2 个登录" in laptop.get("/account/").get_data(as_text=True)
    assert all(p.get("/api/session").status_code == 401 for p in phones)
    assert laptop.get("/api/session").status_code == 200


def test_ending_this_browsers_login_logs_out(app, db, county):
    client = logged_in(app, "insp")
    (row,) = sessions.for_user(db, county["insp"])
    token = csrf_token(client, "/account/")
    response = client.post(f"/account/sessions/{row['id']}/end", data={"csrf_token": token})
    assert response.headers["Location"] == "/login"
    assert client.get("/api/session").status_code == 401


def test_idle_login_expires_on_the_server(app, db, county):
    client = logged_in(app, "insp")
    idle = app.permanent_session_lifetime + timedelta(minutes=1)
    db.execute("UPDATE sessions SET last_seen_at = ?", [stamp(now() - idle)])
    assert client.get("/api/session").status_code == 401
    assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_a_login_kept_busy_still_ends_after_its_days(app, db, county):
    # a copied cookie used every few hours would otherwise last for ever
    client = logged_in(app, "insp")
    began = now() - timedelta(days=app.config["SESSION_MAX_AGE_DAYS"], minutes=1)
    db.execute("UPDATE sessions SET created_at = ?, last_seen_at = ?", [stamp(began), stamp()])
    assert client.get("/api/session").status_code == 401
    assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
    # one a day younger still works, and the next login clears out any that expired
    fresh = logged_in(app, "insp")
    other = logged_in(app, "sch_a")
    younger = now() - timedelta(days=app.config["SESSION_MAX_AGE_DAYS"] - 1)
    db.execute("UPDATE sessions SET created_at = ?", [stamp(younger)])
    assert fresh.get("/api/session").status_code == 200
    db.execute(
        "UPDATE sessions SET created_at = ? WHERE user_id = ?", [stamp(began), county["sch_a"]]
    )
    logged_in(app, "admin")
    assert not sessions.for_user(db, county["sch_a"])
    assert other.get("/school/rectifications").status_code == 302


def test_last_seen_is_updated_when_used(app, db, county):
    client = logged_in(app, "insp")
    old = stamp(now() - timedelta(minutes=5))
    db.execute("UPDATE sessions SET last_seen_at = ?", [old])
    client.get("/")
    (row,) = sessions.for_user(db, county["insp"])
    assert row["last_seen_at"] > old


def test_files_that_are_the_same_for_everyone_skip_the_login_lookup(app, county, monkeypatch):
    """A logged-in phone filling its offline cache opens no database for a script or an icon;
    its pages still look the login up."""
    from inspect_app.storage import db as storage_db

    client = logged_in(app, "insp")
    opened: list[str] = []
    real_open = storage_db.open_database
    monkeypatch.setattr(
        storage_db, "open_database", lambda path: opened.append(path) or real_open(path)
    )
    for url in ("/static/js/inspector/form.js", "/static/css/app.css", "/sw.js", "/favicon.ico"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Cookie" not in response.vary, url  # cacheable by anyone: it read no cookie
    assert opened == []
    assert client.get("/api/session").json["user"]["username"] == "insp"
    assert len(opened) == 1


def test_change_own_password(app, db, county):
    laptop = logged_in(app, "insp", DESKTOP)
    phone = logged_in(app, "insp", PHONE)
    thief = copy_of(app, laptop)
    token = csrf_token(laptop, "/account/password")

    def change(current, new, confirm=None):
        return laptop.post(
            "/account/password",
            data={"csrf_token": token, "current": current, "new": new, "confirm": confirm or new},
        )

    def errors(response):
        page = BeautifulSoup(response.data, "html.parser")
        return {p["id"].removesuffix("-error"): p.text for p in page.select("p.error")}

    assert errors(change("wrong", "Quiet-Orchard-5163")) == {"current": "当前密码不正确"}
    assert errors(change(PASSWORD, "Quiet-Orchard-5163", "typo")) == {
        "confirm": "两次输入的新密码不一致"
    }
    weak = errors(change(PASSWORD, "12345678"))
    assert weak["new"].startswith("密码太容易被猜到")
    assert errors(change(PASSWORD, "insp-insp-insp"))["new"].startswith("密码太容易被猜到")
    response = change(PASSWORD, "Quiet-Orchard-5163")
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    assert "其他设备上的 1 个登录已全部退出" in laptop.get("/account/").get_data(as_text=True)
    assert phone.get("/api/session").status_code == 401
    assert laptop.get("/api/session").status_code == 200
    # a copy of the laptop's own cookie, taken before the change, is worth nothing after it
    assert thief.get("/api/session").status_code == 401
    assert len(sessions.for_user(db, county["insp"])) == 1
    fresh = app.test_client()
    assert Auth(fresh).login("insp", PASSWORD).status_code == 401
    assert Auth(fresh).login("insp", "Quiet-Orchard-5163").headers["Location"] == "/"


def test_forced_change_clears_the_flag(app, db, county):
    users.update(db, county["sch_a"], must_change_password=True)
    client = logged_in(app, "sch_a")
    page = client.get("/account/password").get_data(as_text=True)
    assert "请先设置一个只有您自己知道的新密码" in page
    token = csrf_token(client, "/account/password")
    response = client.post(
        "/account/password",
        data={"csrf_token": token, "current": PASSWORD, "new": "Maple-Ferry-7719",
              "confirm": "Maple-Ferry-7719"},
    )  # fmt: skip
    assert response.status_code == 302
    assert users.get(db, county["sch_a"])["must_change_password"] == 0
    assert client.get("/school/rectifications").status_code == 200


def test_wrong_current_passwords_lock_the_change_form(app, county):
    client = logged_in(app, "insp")
    token = csrf_token(client, "/account/password")
    data = {"csrf_token": token, "current": "wrong", "new": "Quiet-Orchard-5163",
            "confirm": "Quiet-Orchard-5163"}  # fmt: skip
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert client.post("/account/password", data=data).status_code == 400
    response = client.post("/account/password", data=data | {"current": PASSWORD})
    assert response.status_code == 429 and "密码错误次数过多" in response.get_data(as_text=True)


def test_devices_are_named_in_chinese():
    assert describe(PHONE) == "安卓手机 · 微信"
    assert describe(DESKTOP) == "Windows 电脑 · Edge"
    iphone = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
    )
    assert describe(iphone) == "苹果手机 · Safari"
    assert describe("") == "未知设备"
