"""A photo belongs to the inspector who sent its bytes and to the inspections they cite it in.

Knowing a photo's hash (it shows in addresses and reports) grants nothing: not the photo, and
not the right to cite it in another inspection of another school.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from inspect_app.directory.passwords import hash_password
from inspect_app.inspections import catalog
from inspect_app.storage import assignments, users

from . import factories
from .support import PASSWORD, PLAN_PERIOD, Auth


class Phone:
    """An inspector's phone talking to the JSON API."""

    def __init__(self, app, username: str):
        self.client = app.test_client()
        assert Auth(self.client).login(username).status_code == 302
        self.token = self.client.get("/api/session").json["csrf_token"]

    def put_photo(self, sha256: str, data: bytes):
        return self.client.put(
            f"/api/photos/{sha256}", data=data, headers={"X-CSRFToken": self.token},
            content_type="image/jpeg",
        )  # fmt: skip

    def put_inspection(self, body: dict):
        return self.client.put(
            f"/api/inspections/{body['id']}", data=json.dumps(body),
            headers={"X-CSRFToken": self.token}, content_type="application/json",
        )  # fmt: skip

    def get(self, url: str):
        return self.client.get(url)


def second_inspector(app, db, county) -> int:
    """insp2, the planned inspector of 西乡初级中学 (school B), not of school A."""
    with app.app_context():
        pw = hash_password(PASSWORD, app.config)
    insp2 = users.create(
        db, username="insp2", display_name="第二督学", role="inspector", password_hash=pw
    )
    assignments.assign(db, insp2, county["school_b"], *PLAN_PERIOD)
    return insp2


def compiled(app) -> dict:
    with app.app_context():
        return catalog.current()["fupin_comprehensive"].compiled


def test_a_cited_hash_does_not_lend_the_photo_to_another_inspection(app, db, county):
    second_inspector(app, db, county)
    photo = factories.jpeg_bytes(31)
    digest = factories.sha256(photo)
    owner = Phone(app, "insp")
    assert owner.put_photo(digest, photo).status_code == 201
    body = factories.payload(county["school_a"], compiled(app), photos=[digest])
    assert owner.put_inspection(body).status_code == 201

    thief = Phone(app, "insp2")
    # Naming the hash without the bytes used to answer "already here" (200).
    assert thief.put_photo(digest, b"").status_code == 400
    # Citing it in an inspection of another school is answered as a photo still to upload.
    theirs = factories.payload(county["school_b"], compiled(app), photos=[digest])
    refused = thief.put_inspection(theirs)
    assert refused.status_code == 422 and refused.json["missing_photos"] == [digest]
    assert thief.get(f"/api/photos/{digest}").status_code == 404
    # Nor does the other school's account see it.
    school_b = Phone(app, "sch_b")
    assert school_b.get(f"/api/photos/{digest}").status_code == 404
    # The photo's own school and inspector still do.
    assert Phone(app, "sch_a").get(f"/api/photos/{digest}").status_code == 200
    assert owner.get(f"/api/photos/{digest}").status_code == 200


def test_an_inspector_who_really_has_the_bytes_may_cite_them(app, db, county):
    second_inspector(app, db, county)
    photo = factories.jpeg_bytes(32)
    digest = factories.sha256(photo)
    assert Phone(app, "insp").put_photo(digest, photo).status_code == 201
    other = Phone(app, "insp2")
    assert other.put_photo(digest, photo).status_code == 200  # already stored, bytes shown
    body = factories.payload(county["school_b"], compiled(app), photos=[digest])
    assert other.put_inspection(body).status_code == 201
    assert other.get(f"/api/photos/{digest}").status_code == 200
    # A repeated upload by the same phone needs no bytes check again: it is simply known.
    assert other.put_photo(digest, photo).status_code == 200


def test_photos_are_cached_only_privately(app, db, county):
    photo = factories.jpeg_bytes(33)
    digest = factories.sha256(photo)
    phone = Phone(app, "insp")
    phone.put_photo(digest, photo)
    response = phone.get(f"/api/photos/{digest}")
    assert response.status_code == 200
    cache = response.headers["Cache-Control"]
    assert "private" in cache and "public" not in cache


def test_previous_answers_only_for_schools_the_inspector_may_inspect(app, db, county):
    second_inspector(app, db, county)
    body = factories.payload(county["school_a"], compiled(app))
    assert Phone(app, "insp").put_inspection(body).status_code == 201
    url = f"/api/schools/{county['school_a']}/previous?checklist=fupin_comprehensive"
    # Their own inspection of the school: yes.
    assert Phone(app, "insp").get(url).status_code == 200
    # Another inspector, not planned for that school: no, in Chinese.
    stranger = Phone(app, "insp2")
    refused = stranger.get(url)
    assert refused.status_code == 403 and "督导计划" in refused.json["message"]
    # Once the plan gives them the school, yes.
    today = date.today()
    assignments.assign(
        db, users.by_username(db, "insp2")["id"], county["school_a"],
        (today - timedelta(days=1)).isoformat(), (today + timedelta(days=30)).isoformat(),
    )  # fmt: skip
    assert stranger.get(url).status_code == 200
    # The bureau sees every school's.
    assert Phone(app, "bureau").get(url).status_code == 200
