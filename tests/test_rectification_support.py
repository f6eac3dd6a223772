"""Shared fixtures of the rectification tests: inspections received through the real sync API,
and logged-in clients that keep CSRF on. (Fixtures only; the test files import them.)
"""

from __future__ import annotations

import io
import json

import pytest
from bs4 import BeautifulSoup

from inspect_app.checklist import score
from inspect_app.inspections import catalog
from inspect_app.storage import schools

from . import factories
from .conftest import PASSWORD, csrf_token


class User:
    """A test client logged in as one user, posting forms with a real CSRF token."""

    def __init__(self, app, username: str | None):
        self.client = app.test_client()
        self.username = username
        if username:
            token = csrf_token(self.client)
            response = self.client.post(
                "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
            )
            assert response.status_code == 302, f"login {username}"

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def token(self) -> str:
        return csrf_token(self.client, "/" if self.username else "/login")

    def post(self, url, data=None, files=None, **kwargs):
        """POST a form; ``files`` maps a field to [(bytes, filename), …]."""
        body = {"csrf_token": self.token(), **(data or {})}
        for name, uploads in (files or {}).items():
            body[name] = [(io.BytesIO(content), filename) for content, filename in uploads]
        return self.client.post(url, data=body, content_type="multipart/form-data", **kwargs)

    def page(self, url) -> BeautifulSoup:
        response = self.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def login(app, county):
    return lambda username=None: User(app, username)


@pytest.fixture
def checklist(app):
    with app.app_context():
        return catalog.current()["fupin_comprehensive"].compiled


@pytest.fixture
def receive(app, county, checklist, db):
    """Receive a failing inspection of a school via PUT /api/inspections as ``insp``.

    Returns ``(inspection_id, [rectification rows by seq])``; the first item's finding
    carries one photo.
    """
    inspector = User(app, "insp")
    api_token = inspector.get("/api/session").get_json()["csrf_token"]

    def put(url, data, content_type):
        return inspector.client.put(
            url, data=data, headers={"X-CSRFToken": api_token, "Content-Type": content_type}
        )

    def go(school_key: str = "school_a", seed: int = 0):
        school = schools.as_scoring_school(schools.get(db, county[school_key]))
        body = factories.payload(county[school_key], checklist, passing=False)
        drafts = score(checklist, school, body["responses"])["rectifications"]
        assert drafts, "a failing payload must open rectification items"
        photo = factories.jpeg_bytes(seed + 5)
        assert put(f"/api/photos/{factories.sha256(photo)}", photo, "image/jpeg").status_code in (
            200,
            201,
        )
        body["photos"] = [
            {"sha256": factories.sha256(photo), "item": drafts[0]["item"], "caption": "现场照片"}
        ]
        response = put(
            f"/api/inspections/{body['id']}",
            json.dumps(body, ensure_ascii=False),
            "application/json",
        )
        assert response.status_code == 201, response.get_json()
        rows = list(
            db.query(
                "SELECT * FROM rectifications WHERE inspection_id = ? ORDER BY seq", [body["id"]]
            )
        )
        return body["id"], rows

    return go


@pytest.fixture
def frozen(app):
    """Freeze 'today' for deadline bands: ``frozen("2026-12-01")``."""

    def freeze(day: str):
        app.config["TODAY_OVERRIDE"] = day

    freeze("2026-11-25")
    return freeze


def pdf_bytes(extra: bytes = b"") -> bytes:
    """A small, complete PDF (one blank page, a cross-reference table), ``extra`` between its
    objects. Evidence PDFs are parsed, so it has to be a real one."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj %s endobj\n" % (number, body)
    out += extra
    xref_at = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer << /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref_at


def item_row(db, rectification_id: int) -> dict:
    return next(db.query("SELECT * FROM rectifications WHERE id = ?", [rectification_id]))


def event_kinds(db, rectification_id: int) -> list[str]:
    return [
        r["kind"]
        for r in db.query(
            "SELECT kind FROM rectification_events WHERE rectification_id = ? ORDER BY id",
            [rectification_id],
        )
    ]


def version_on(page: BeautifulSoup, form_selector: str = "form") -> str:
    return page.select_one(f"{form_selector} input[name=version]")["value"]
