"""Shared fixtures: an app on a fresh instance folder, clients that log in with CSRF kept on."""

from __future__ import annotations

import re

import pytest

from inspect_app import create_app
from inspect_app.directory.passwords import hash_password
from inspect_app.storage import schools, users
from inspect_app.storage.db import open_database

PASSWORD = "correct-horse-1"


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test",
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 8192,
        }
    )
    return app


@pytest.fixture
def db(app):
    database = open_database(app.config["DATABASE"])
    yield database
    database.close()


@pytest.fixture
def county(app, db):
    """Two townships, three schools and one user of every role."""
    with app.app_context():
        pw = hash_password(PASSWORD, app.config)
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
            password_hash=pw,
            school_id=school_id,
        )
    return ids


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class Auth:
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


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth(client):
    return Auth(client)
