"""Shared fixtures: an app on its own instance folder, a test county, clients that log in with
CSRF kept on, and the data sets several test files start from.

Each test's app runs on its own copy of a template instance folder built once per run
(tests/instances.py). A test asking for ``received`` starts from the template holding the
bureau's term of inspections; one asking for ``issued`` from the template with a signed
report and notice; one asking for ``county`` from the migrated one with the test county in
it; every other test from the bare, migrated one. Each copy is the test's own, so a test may
change anything in it.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from flask import Flask

from inspect_app.checklist import score
from inspect_app.checklist.model import content_hash
from inspect_app.directory.passwords import hash_password
from inspect_app.inspections import catalog, receiving
from inspect_app.storage import inspections, media, schools, users
from inspect_app.storage.db import open_database

from . import cpu_profile, factories
from .instances import Template, build_template, make_app
from .support import PASSWORD, SCRIPT_NOTE, Auth, User, add_county, term_payload


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """INSPECT_TEST_CPU=<folder>: each test's CPU and wall time (tests/cpu_profile.py)."""
    folder = os.environ.get("INSPECT_TEST_CPU")
    if not folder:
        yield
        return
    cpu, wall = cpu_profile.clock()
    yield
    cpu_after, wall_after = cpu_profile.clock()
    cpu_profile.record(folder, item.nodeid, cpu_after - cpu, wall_after - wall)


@functools.cache
def _password_hash(time_cost: int, memory_cost: int) -> str:
    # one hash of PASSWORD per run: an argon2 hash is salted, but any one of them verifies
    return hash_password(
        PASSWORD, {"ARGON2_TIME_COST": time_cost, "ARGON2_MEMORY_COST": memory_cost}
    )


def county_password_hash(config) -> str:
    """PASSWORD hashed at the app's cost (computed once per run)."""
    return _password_hash(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"])


@pytest.fixture(scope="session", autouse=True)
def checklists_parsed_once():
    """Parse a checklist folder once per run, not once per app.

    Keyed by the folder and the bytes of each file in it, so a test that writes its own
    folder, or changes a file, gets a fresh parse; a folder that fails to load is never
    cached, so every start-up refusal is real. The Checklist objects are then shared by
    every app in the run, as they are by every request in a deployment; at the end the run
    fails if a test changed one in place (which would make other tests' results depend on
    the order they ran in).
    """
    real = catalog.load_directory
    parsed: dict[tuple, dict] = {}

    def load_directory(path):
        folder = os.fspath(path)
        if not os.path.isdir(folder):
            return real(path)
        names = sorted(name for name in os.listdir(folder) if name.endswith(".yaml"))
        key = (
            os.path.realpath(folder),
            tuple(
                (name, hashlib.sha256(Path(folder, name).read_bytes()).digest()) for name in names
            ),
        )
        if key not in parsed:
            parsed[key] = real(path)
        return dict(parsed[key])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(catalog, "load_directory", load_directory)
        yield
    changed = [
        f"{checklist.path or checklist.id}"
        for loaded in parsed.values()
        for checklist in loaded.values()
        if content_hash(checklist.compiled) != checklist.hash
    ]
    assert not changed, f"a test changed a shared, parsed checklist in place: {changed}"


@pytest.fixture(scope="session", autouse=True)
def url_builders_compiled_once():
    """Compile each route's URL builder once per run, not once per app.

    Werkzeug turns every rule into two Python functions through ``ast`` and ``compile()``
    when a blueprint is registered: measured, that was 80 % of ``create_app`` (0.26 of
    0.33 s), and every test builds an app. The generated code depends only on the rule's
    parsed parts, its defaults and its converters, so functions made from the same inputs
    are the same; each rule still gets its own bound method, and routing and matching are
    untouched. If werkzeug ever renames what this wraps, the cache is simply not used.
    """
    from werkzeug.routing import rules

    real = getattr(rules.Rule, "_compile_builder", None)
    if real is None:
        yield
        return
    built: dict[tuple, object] = {}

    def compile_builder(rule, append_unknown=True):
        try:
            key = (
                rule.rule,
                append_unknown,
                tuple(rule._trace),
                tuple(sorted((k, repr(v)) for k, v in (rule.defaults or {}).items())),
                tuple(
                    (name, type(c), repr({k: v for k, v in vars(c).items() if k != "map"}))
                    for name, c in rule._converters.items()
                ),
            )
        except (AttributeError, TypeError):
            return real(rule, append_unknown)
        if key not in built:
            built[key] = real(rule, append_unknown)
        return built[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rules.Rule, "_compile_builder", compile_builder)
        yield


@pytest.fixture(scope="session")
def bare_template(tmp_path_factory) -> Template:
    """Migrated, with the shipped checklists stored: what a first start leaves behind."""
    return build_template(tmp_path_factory, "bare")


def _county(app: Flask, db) -> dict:
    return {"county": add_county(db, county_password_hash(app.config))}


@pytest.fixture(scope="session")
def county_template(tmp_path_factory, bare_template) -> Template:
    return build_template(tmp_path_factory, "county", _county, bare_template)


def _term(app: Flask, db) -> dict:
    county = add_county(db, county_password_hash(app.config))
    with app.app_context():
        checklist = catalog.current()["fupin_comprehensive"].compiled
    inspector = users.get(db, county["insp"])
    plan = [
        ("a_old", county["school_a"], "2026-09-15", 3, "综合督导"),
        ("a_new", county["school_a"], "2026-11-20", 0, "综合督导"),
        ("b", county["school_b"], "2026-10-08", 2, "暗访"),
        ("c_spring", county["school_c"], "2026-03-10", 4, "综合督导"),
    ]
    received = {"ids": {}, "results": {}}
    for name, school_id, day, fail_every, kind in plan:
        body = term_payload(checklist, school_id, day, fail_every, type=kind)
        receiving.receive(db, body, body["id"], inspector)
        school = schools.as_scoring_school(schools.get(db, school_id))
        received["ids"][name] = body["id"]
        received["results"][name] = score(checklist, school, body["responses"])
    return {"county": county, "received": received}


@pytest.fixture(scope="session")
def term_template(tmp_path_factory, bare_template) -> Template:
    return build_template(tmp_path_factory, "term", _term, bare_template)


def _issued(app: Flask, db) -> dict:
    from inspect_app.documents import issuing
    from inspect_app.inspections.images import clean_photo

    county = add_county(db, county_password_hash(app.config))
    with app.app_context():
        compiled = catalog.current()["fupin_comprehensive"].compiled
    photo = factories.jpeg_bytes(5)
    media.store(
        db, app.config["MEDIA_DIR"], factories.sha256(photo), clean_photo(photo), county["insp"]
    )
    body = factories.payload(
        county["school_a"], compiled, passing=False, photos=[factories.sha256(photo)]
    )
    receiving.receive(db, body, body["id"], users.get(db, county["insp"]))
    issuing.ensure_documents(db, app.config, body["id"])
    return {"county": county, "issued": body["id"]}


@pytest.fixture(scope="session")
def issued_template(tmp_path_factory, bare_template) -> Template:
    return build_template(tmp_path_factory, "issued", _issued, bare_template)


def _demo_term(app: Flask, db) -> dict:
    result = app.test_cli_runner().invoke(args=["seed-demo", "--inspections"])
    assert result.exit_code == 0, result.output
    return {"demo_term": {"output": result.output}}


@pytest.fixture(scope="session")
def demo_term_template(tmp_path_factory, bare_template) -> Template:
    """The demo county with its term (``seed-demo --inspections``, as `make run` seeds it),
    seeded once per run: it costs about 20 s of CPU, and the demo's test and the bulletin
    page's both start from it."""
    return build_template(tmp_path_factory, "demo-term", _demo_term, bare_template)


# A test that asks for the fixture on the left starts from the template on the right (the
# first that applies): ``county`` alone is the bare database with the county added, as its
# fixture would add it (same ids, same rows), without adding it again in every test.
TEMPLATE_BY_FIXTURE = {
    "demo_term": "demo_term_template",
    "received": "term_template",
    "issued": "issued_template",
    "county": "county_template",
}


@pytest.fixture
def instance_template(request, bare_template) -> Template:
    for fixture, template in TEMPLATE_BY_FIXTURE.items():
        if fixture in request.fixturenames:
            return request.getfixturevalue(template)
    return bare_template


@pytest.fixture
def app(request, tmp_path, tmp_path_factory, instance_template):
    if request.node.get_closest_marker("same_app"):
        return _same_app(tmp_path_factory, instance_template)
    folder = tmp_path / "instance"
    instance_template.copy_to(folder)
    return make_app(folder)


# For tests marked ``same_app``: one app per template and worker, its instance folder and
# its settings as they were when it was built.
_same_apps: dict[Path, tuple[Flask, Path, dict]] = {}


def _same_app(tmp_path_factory, template: Template) -> Flask:
    """The app built for ``template`` before, on a fresh copy of it.

    The instance folder is deleted and copied again from the template at the same path, and
    the settings are put back as they were, so the test sees exactly what a new app would:
    everything a request reads (accounts, sessions, login failures, inspections) is in that
    folder. What is saved is building the app itself, for tests that make a few requests
    (the access matrix's thousand cases).
    """
    if template.folder not in _same_apps:
        folder = tmp_path_factory.mktemp("same-app") / "instance"
        template.copy_to(folder)
        app = make_app(folder)
        _same_apps[template.folder] = (app, folder, copy.deepcopy(dict(app.config)))
        return app
    app, folder, config = _same_apps[template.folder]
    shutil.rmtree(folder)
    template.copy_to(folder)
    app.config.clear()
    app.config.update(copy.deepcopy(config))
    return app


@pytest.fixture
def db(app):
    database = open_database(app.config["DATABASE"])
    yield database
    database.close()


@pytest.fixture
def county(app, db, instance_template):
    """Two townships, three schools and one user of every role (ids by name)."""
    if "county" in instance_template.facts:
        return dict(instance_template.facts["county"])
    return add_county(db, county_password_hash(app.config))


@pytest.fixture
def received(app, county, instance_template):
    """The bureau's term: inspections received through the real path, and what the scoring
    function says of each ({"checklist", "ids": {name: id}, "results": {name: Result}})."""
    out = copy.deepcopy(instance_template.facts["received"])
    with app.app_context():
        out["checklist"] = catalog.current()["fupin_comprehensive"].compiled
    return out


@pytest.fixture
def demo_term(instance_template) -> dict:
    """The demo county with its term, seeded by ``seed-demo --inspections`` ({"output"}: what
    the command printed)."""
    return dict(instance_template.facts["demo_term"])


@pytest.fixture
def issued(db, county, instance_template):
    """A failing inspection of 东镇中心小学 with one photo, received as inspector ``insp``,
    with its signed report and rectification notice issued (the inspection's row)."""
    return inspections.get(db, instance_template.facts["issued"])


@pytest.fixture(scope="session")
def sample_report() -> tuple[dict, bytes]:
    """``(context, pdf)``: tests/sample_report.py's report with 4 photos, rendered (unsigned)
    once per run for every test that only reads it; its first item carries SCRIPT_NOTE."""
    from inspect_app.documents.render import render_report

    from .sample_report import sample_context

    context, photos = sample_context(4)
    context["notes"][next(iter(context["result"]["items"]))] = SCRIPT_NOTE
    return context, render_report(context, photo_loader=photos.__getitem__)


@pytest.fixture(scope="session")
def sample_notice() -> tuple[dict, bytes]:
    """``(context, pdf)``: the matching rectification notice, rendered once per run."""
    from inspect_app.documents.render import render_notice

    from .sample_report import sample_notice_context

    context = sample_notice_context()
    return context, render_notice(context)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def login(app, county):
    """``login("insp")``: a client of its own logged in as that user (``login()``: anonymous)."""
    return lambda username=None: User(app, username)


@pytest.fixture
def checklist(app):
    """The compiled 扶贫综合督导 checklist the app serves."""
    with app.app_context():
        return catalog.current()["fupin_comprehensive"].compiled


@pytest.fixture
def receive(app, county, checklist, db):
    """Receive a failing inspection of a school via PUT /api/inspections as ``insp``.

    ``receive(school_key="school_a", seed=0)`` returns ``(inspection_id, [rectification rows
    by seq])``; the first item's finding carries one photo.
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
