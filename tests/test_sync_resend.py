"""Sending again: which photos the server lacks, and bodies it does not need."""

import json

import pytest

from inspect_app.inspections import catalog

from . import factories


@pytest.fixture
def api(client, auth, county):
    auth.login("insp")
    token = client.get("/api/session").get_json()["csrf_token"]

    class Api:
        def send(self, method, url, body=None, data=None, **headers):
            if body is not None:
                data = json.dumps(body, ensure_ascii=False)
            return client.open(
                url, method=method, data=data, headers={"X-CSRFToken": token, **headers}
            )

    return Api()


@pytest.fixture
def checklist(app):
    with app.app_context():
        return catalog.current()["fupin_comprehensive"].compiled


def test_phone_learns_which_photos_to_send(api):
    stored, fresh = factories.jpeg_bytes(11), factories.jpeg_bytes(12)
    put = api.send(
        "PUT",
        f"/api/photos/{factories.sha256(stored)}",
        data=stored,
        **{"Content-Type": "image/jpeg"},
    )
    assert put.status_code == 201
    hashes = [factories.sha256(stored), factories.sha256(fresh), factories.sha256(fresh)]
    answer = api.send(
        "POST", "/api/photos/missing", {"sha256": hashes}, **{"Content-Type": "application/json"}
    )
    assert answer.status_code == 200
    assert answer.get_json() == {"missing": [factories.sha256(fresh)]}


@pytest.mark.parametrize("body", [None, {}, {"sha256": "abc"}, {"sha256": ["../etc/passwd"]}])
def test_missing_photos_refuses_a_bad_list(api, body):
    answer = api.send("POST", "/api/photos/missing", body, **{"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.get_json()["error"] == "请求有误"


def test_missing_photos_needs_a_login(client, county):
    assert client.post("/api/photos/missing", json={"sha256": []}).status_code == 401
