"""The phone's uploads (an inspection, a 回头看 visit) refuse a body that is not a JSON object
the same way: 400 with a Chinese message, nothing stored."""

import pytest

from inspect_app.storage import inspections


@pytest.fixture
def put(client, auth, county):
    auth.login("insp")
    token = client.get("/api/session").get_json()["csrf_token"]

    def send(url, data):
        return client.put(
            url, data=data, headers={"X-CSRFToken": token, "Content-Type": "application/json"}
        )

    return send


URLS = {
    "/api/inspections/11111111-1111-4111-8111-111111111111": "检查",
    "/api/followups/22222222-2222-4222-8222-222222222222": "回头看",
}


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("body", ["", "{not json", "[1, 2]", '"text"', "null", "\u00ff\u00fe"])
def test_body_that_is_not_a_json_object_is_refused(put, db, url, body):
    response = put(url, body.encode("utf-8"))
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "请求有误",
        "message": f"提交的内容不是有效的{URLS[url]}数据。",
    }
    assert inspections.get(db, url.rsplit("/", 1)[1]) is None


@pytest.mark.parametrize("url", URLS)
def test_json_object_gets_past_the_body_check(put, url):
    # An object is read and checked for what it says: 422 with the fields wrong, not 400.
    response = put(url, b"{}")
    assert response.status_code == 422
    assert response.get_json()["error"] != "请求有误"
