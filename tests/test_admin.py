from bs4 import BeautifulSoup

from inspect_app.storage import schools, users

from .support import csrf_token


def form_errors(response) -> dict[str, str]:
    page = BeautifulSoup(response.data, "html.parser")
    return {p["id"].removesuffix("-error"): p.text for p in page.select("p.error")}


def test_create_school_user(client, auth, county, db):
    auth.login("bureau")
    token = csrf_token(client, "/admin/users/new")
    response = client.post(
        "/admin/users/new",
        data={"csrf_token": token, "username": "new_school", "display_name": "新学校账号", "role": "school",
              "school_id": county["school_c"], "password": "longenough1", "active": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    created = users.by_username(db, "new_school")
    assert created["school_id"] == county["school_c"] and created["password_hash"].startswith(
        "$argon2"
    )
    # The new account can log in.
    auth.logout()
    assert auth.login("new_school", "longenough1").status_code == 302


def test_bad_user_form_shows_errors_beside_fields_and_keeps_input(client, auth, county):
    auth.login("bureau")
    token = csrf_token(client, "/admin/users/new")
    response = client.post(
        "/admin/users/new",
        data={"csrf_token": token, "username": "insp", "display_name": "重名的人", "role": "school",
              "school_id": 0, "password": "short"},
    )  # fmt: skip
    assert response.status_code == 400
    assert form_errors(response) == {
        "username": "该用户名已被使用",
        "school_id": "学校账号必须选择所属学校",
        "password": "密码至少 8 位",
    }
    page = BeautifulSoup(response.data, "html.parser")
    assert page.select_one("input[name=display_name]")["value"] == "重名的人"


def test_bureau_cannot_create_admin(client, auth, county, db):
    auth.login("bureau")
    token = csrf_token(client, "/admin/users/new")
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "username": "sneaky",
            "display_name": "x",
            "role": "admin",
            "password": "longenough1",
        },
    )
    assert response.status_code == 400
    assert users.by_username(db, "sneaky") is None


def test_deactivate_user(client, auth, county, db):
    auth.login("admin")
    token = csrf_token(client, f"/admin/users/{county['insp']}")
    response = client.post(
        f"/admin/users/{county['insp']}",
        data={
            "csrf_token": token,
            "username": "insp",
            "display_name": "测试insp",
            "role": "inspector",
            "school_id": 0,
        },
    )
    assert response.status_code == 302
    assert users.get(db, county["insp"])["active"] == 0


def test_edit_school_with_bad_value_keeps_the_rest(client, auth, county, db):
    auth.login("bureau")
    url = f"/admin/schools/{county['school_a']}/edit"
    token = csrf_token(client, url)
    township = schools.get(db, county["school_a"])["township_id"]
    data = {"csrf_token": token, "code": "B002", "name": "改名小学", "township_id": township, "stage": "小学",
            "enrolment": "-5", "latitude": "95"}  # fmt: skip
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert form_errors(response) == {
        "code": "该学校代码已存在",
        "enrolment": "在校生数应在 0 到 100000 之间",
        "latitude": "纬度应在 -90 到 90 之间",
    }
    assert (
        BeautifulSoup(response.data, "html.parser").select_one("input[name=name]")["value"]
        == "改名小学"
    )
    assert schools.get(db, county["school_a"])["name"] == "东镇中心小学"

    data.update(code="A001", enrolment="520", latitude="26.5", longitude="107.1", boarding="y")
    assert client.post(url, data=data).status_code == 302
    school = schools.get(db, county["school_a"])
    assert (school["name"], school["enrolment"], school["boarding"], school["latitude"]) == (
        "改名小学",
        520,
        1,
        26.5,
    )


def test_school_list_filters(client, auth, county):
    auth.login("insp")
    page = BeautifulSoup(client.get("/schools?q=西乡").data, "html.parser")
    assert [a.strong.text for a in page.select(".list a")] == ["西乡初级中学", "西乡石桥教学点"]
    page = BeautifulSoup(client.get("/schools?stage=教学点").data, "html.parser")
    assert [a.strong.text for a in page.select(".list a")] == ["西乡石桥教学点"]
