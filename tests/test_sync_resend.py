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


def test_same_inspection_at_a_new_phone_time_is_already_received(api, county, checklist, db):
    body = factories.payload(county["school_a"], checklist, phone_time="2026-11-20T03:00:00Z")
    assert api.send("PUT", f"/api/inspections/{body['id']}", body).status_code == 201
    stale_tab = {**body, "phone_time": "2026-11-20T05:30:00Z"}
    again = api.send("PUT", f"/api/inspections/{body['id']}", stale_tab)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    assert db["inspections"].count == 1


def test_different_content_is_still_a_conflict(api, county, checklist, db):
    body = factories.payload(county["school_a"], checklist)
    assert api.send("PUT", f"/api/inspections/{body['id']}", body).status_code == 201
    changed = {**body, "phone_time": "2026-11-20T05:30:00Z", "location_note": "改过"}
    conflict = api.send("PUT", f"/api/inspections/{body['id']}", changed)
    assert conflict.status_code == 409 and conflict.get_json()["error"] == "数据冲突"
