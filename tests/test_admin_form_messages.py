"""The bureau's account, school and unit forms refuse bad input in Chinese, beside the field.

WTForms' defaults are English: 「1e3」 as the enrolment showed "Not a valid integer value.", a
long name "Field cannot be longer than 100 characters."
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

ASCII_SENTENCE = re.compile(r"[A-Za-z]{3,} [A-Za-z]{2,}")


def _errors(response) -> dict[str, str]:
    assert response.status_code == 400
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return {p["id"].removesuffix("-error"): p.get_text() for p in page.select("p.error[id]")}


def _township(db) -> str:
    return str(db.execute("SELECT id FROM regions WHERE kind = 'township' LIMIT 1").fetchone()[0])


def test_school_form_numbers_that_do_not_parse(login, county, db):
    errors = _errors(login("admin").post(
        "/admin/schools/new",
        {"code": "Z999", "name": "新学校", "township_id": _township(db), "stage": "小学",
         "enrolment": "1e3", "latitude": "北纬26度", "longitude": "abc"},
    ))  # fmt: skip
    # One message each, in Chinese: the range check adds nothing about an unreadable number.
    assert errors == {
        "enrolment": "在校生数请填写整数，如 356",
        "latitude": "纬度请填写数字，如 26.583",
        "longitude": "经度请填写数字，如 106.707",
    }


def test_school_form_text_too_long_and_choices_not_offered(login, county, db):
    errors = _errors(login("admin").post(
        "/admin/schools/new",
        {"code": "Z" * 33, "name": "学" * 101, "township_id": "x", "stage": "大学",
         "principal": "张" * 33, "phone": "1" * 33, "address": "路" * 201},
    ))  # fmt: skip
    assert errors == {
        "code": "学校代码不能超过 32 个字符",
        "name": "学校名称不能超过 100 个字",
        "township_id": "请选择所属乡镇",
        "stage": "请选择学段",
        "principal": "校长姓名不能超过 32 个字",
        "phone": "联系电话不能超过 32 个字符",
        "address": "地址不能超过 200 个字",
    }


def test_user_and_unit_forms_speak_chinese_too(login, county):
    admin = login("admin")
    user = _errors(admin.post(
        "/admin/users/new",
        {"username": "new_user", "display_name": "名" * 33, "role": "superuser",
         "school_id": "x", "unit_id": "y", "password": ""},
    ))  # fmt: skip
    assert user["display_name"] == "姓名不能超过 32 个字"
    assert not [m for m in user.values() if ASCII_SENTENCE.search(m)], user
    unit = _errors(admin.post(
        "/admin/units", {"name": "局" * 51, "kind": "x", "head": "李" * 33,
                         "head_email": "a" * 116 + "@b.cn", "head_phone": "1" * 65},
    ))  # fmt: skip
    assert unit["name"] == "单位名称不能超过 50 个字"
    assert unit["kind"] == "请选择类别"
    assert unit["head"] == "负责人姓名不能超过 32 个字"
    assert unit["head_email"] == "邮箱地址不能超过 120 个字符"
    assert unit["head_phone"] == "不能超过 64 个字符"


def test_login_and_account_forms_refuse_long_input_in_chinese(app, login, county):
    from .support import csrf_token

    client = app.test_client()
    token = csrf_token(client, "/login")
    page = client.post(
        "/login", data={"csrf_token": token, "username": "x" * 65, "password": "y" * 257}
    ).get_data(as_text=True)
    assert "用户名不能超过 64 个字符" in page and "密码不能超过 256 个字符" in page
    assert not ASCII_SENTENCE.search(BeautifulSoup(page, "html.parser").main.get_text())
    user = login("insp")
    errors = _errors(
        user.post("/account/notifications", {"email": "a" * 120 + "@x.cn", "phone": "1" * 65})
    )
    assert errors == {
        "email": "邮箱地址不能超过 120 个字符",
        "phone": "手机号或微信号不能超过 64 个字符",
    }
