"""Helpers the test modules share (plain functions and classes; the fixtures are in conftest.py).

A test module imports from here or from factories, never from another test module, so
running one test file never depends on how another one is written.
"""

from __future__ import annotations

import io
import re

from bs4 import BeautifulSoup
from sqlite_utils import Database

from inspect_app.storage import assignments, schools, units, users

from . import factories

PASSWORD = "correct-horse-1"

# An inspector's note that documents must print literally, never as markup.
SCRIPT_NOTE = "<script>alert('x')</script> & 食堂门锁损坏"

# 上学期 2026-09-01 … 2027-01-31: the term the bureau's inspections (the ``received``
# fixture) fall in.
TERM = {"period": "term", "key": "2026-2027-1"}


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the form on ``path``, as a browser would send it back."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class Auth:
    """Logs the ``client`` fixture in and out through the real login form."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD, **extra):
        token = csrf_token(self.client)
        return self.client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token, **extra},
        )

    def logout(self):
        token = csrf_token(self.client, "/")
        return self.client.post("/logout", data={"csrf_token": token})


class User:
    """A test client of its own, logged in as one user, posting forms with a real CSRF token."""

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


def add_county(db: Database, password_hash: str) -> dict[str, int]:
    """Two townships, three schools and one user of every role, the inspector planned for all
    three schools; returns their ids by name.

    Every user's password is PASSWORD (``password_hash`` is its hash at the test cost).
    """
    county_id = schools.ensure_region(db, "测试县", "county")
    t1 = schools.ensure_region(db, "东镇", "township", county_id)
    t2 = schools.ensure_region(db, "西乡", "township", county_id)
    a = schools.save(
        db,
        {
            "code": "A001",
            "name": "东镇中心小学",
            "township_id": t1,
            "stage": "小学",
            "township_central": 1,
            "enrolment": 500,
        },
    )
    b = schools.save(
        db,
        {
            "code": "B002",
            "name": "西乡初级中学",
            "township_id": t2,
            "stage": "初中",
            "boarding": 1,
            "enrolment": 300,
        },
    )
    c = schools.save(
        db,
        {
            "code": "C003",
            "name": "西乡石桥教学点",
            "township_id": t2,
            "stage": "教学点",
            "poverty_village": 1,
            "enrolment": 20,
        },
    )
    ids = {"school_a": a, "school_b": b, "school_c": c}
    for username, role, school_id in [
        ("insp", "inspector", None),
        ("sch_a", "school", a),
        ("sch_b", "school", b),
        ("bureau", "bureau", None),
        ("admin", "admin", None),
    ]:
        ids[username] = users.create(
            db,
            username=username,
            display_name=f"测试{username}",
            role=role,
            password_hash=password_hash,
            school_id=school_id,
        )
    # A county department (责任单位) with its own account, for items the county must fix.
    ids["unit"] = units.create(db, name="县财政局", kind="department", head="财政局局长")
    ids["dept"] = users.create(
        db, username="dept", display_name="测试dept", role="department",
        password_hash=password_hash, unit_id=ids["unit"],
    )  # fmt: skip
    # insp is the three schools' 责任督学 in every period a test dates an inspection in: the
    # server accepts an inspector's inspections only of planned schools (inspections/plan.py)
    for school in ("school_a", "school_b", "school_c"):
        assignments.assign(db, ids["insp"], ids[school], *PLAN_PERIOD)
    return ids


# Wide enough for any date a test gives an inspection (the term, "today", last year's).
PLAN_PERIOD = ("2020-01-01", "2030-12-31")


def term_payload(checklist: dict, school_id: int, date: str, fail_every: int = 0, **extra) -> dict:
    """A complete inspection; every ``fail_every``-th answerable item gets a failing answer."""
    body = factories.payload(school_id, checklist, date=date, **extra)
    if fail_every:
        items = [i for s in checklist["sections"] for i in s["items"]]
        failing = factories.payload(school_id, checklist, passing=False)["responses"]["answers"]
        for n, item in enumerate(i for i in items if i["id"] in failing):
            if n % fail_every == 0:
                body["responses"]["answers"][item["id"]] = failing[item["id"]]
    return body


def pdf_bytes(
    extra: bytes = b"", *, objects: tuple[bytes, ...] = (), trailer: bytes = b""
) -> bytes:
    """A small, complete PDF (one blank page, a cross-reference table), ``extra`` between its
    objects, ``objects`` numbered after the page's and ``trailer`` entries added to its
    trailer. Evidence PDFs are parsed, so it has to be a real one."""
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        *objects,
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj %s endobj\n" % (number, body)
    out += extra
    xref_at = len(out)
    size = len(bodies) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer << /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        size,
        trailer + b" " if trailer else b"",
        xref_at,
    )


def evidence(seed: int = 7) -> dict:
    """``files=`` for a reply form: one photo, as every item needs evidence unless its fix
    template says otherwise."""
    return {"evidence": [(factories.jpeg_bytes(seed), "整改后照片.jpg")]}


def item_row(db: Database, rectification_id: int) -> dict:
    return next(db.query("SELECT * FROM rectifications WHERE id = ?", [rectification_id]))


def event_kinds(db: Database, rectification_id: int) -> list[str]:
    return [
        r["kind"]
        for r in db.query(
            "SELECT kind FROM rectification_events WHERE rectification_id = ? ORDER BY id",
            [rectification_id],
        )
    ]


def version_on(page: BeautifulSoup, form_selector: str = "form") -> str:
    return page.select_one(f"{form_selector} input[name=version]")["value"]
