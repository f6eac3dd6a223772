"""Who may open what: every route, every kind of user."""

from urllib.parse import parse_qs, urlsplit

import pytest

from inspect_app.inspections import catalog, receiving
from inspect_app.storage import surveys, users

from .factories import new_id, payload, sha256
from .support import csrf_token

ROLES = ["anonymous", "insp", "sch_a", "sch_b", "bureau", "admin"]

# path template → expected status per role, in ROLES order. "A" is school_a, whose own
# account is sch_a; sch_b is "a school of another school".
MATRIX = {
    ("GET", "/login"): [200, 302, 302, 302, 302, 302],
    ("POST", "/login"): [400, 302, 302, 302, 302, 302],
    ("POST", "/logout"): [302, 302, 302, 302, 302, 302],
    ("GET", "/"): [302, 200, 200, 200, 200, 200],
    ("GET", "/account/"): [302, 200, 200, 200, 200, 200],
    ("GET", "/account/password"): [302, 200, 200, 200, 200, 200],
    ("POST", "/account/password"): [302, 400, 400, 400, 400, 400],
    # Ending a login that is not one's own (or no longer exists) ends nothing.
    ("POST", "/account/sessions/999999/end"): [302, 302, 302, 302, 302, 302],
    ("POST", "/account/sessions/end-others"): [302, 302, 302, 302, 302, 302],
    ("GET", "/account/notifications"): [302, 200, 200, 200, 200, 200],
    # An empty form is a valid choice: no e-mail, no gateway.
    ("POST", "/account/notifications"): [302, 302, 302, 302, 302, 302],
    ("GET", "/schools"): [302, 200, 302, 302, 200, 200],
    ("GET", "/schools/{school_a}"): [302, 200, 200, 403, 200, 200],
    ("GET", "/admin/users"): [302, 403, 403, 403, 200, 200],
    ("GET", "/admin/users/new"): [302, 403, 403, 403, 200, 200],
    ("GET", "/admin/users/{insp}"): [302, 403, 403, 403, 200, 200],
    ("GET", "/admin/users/{admin}"): [302, 403, 403, 403, 403, 200],
    ("GET", "/admin/schools/new"): [302, 403, 403, 403, 200, 200],
    ("GET", "/admin/schools/{school_a}/edit"): [302, 403, 403, 403, 200, 200],
    ("GET", "/admin/schools/import"): [302, 403, 403, 403, 200, 200],
    ("GET", "/admin/scoring"): [302, 403, 403, 403, 403, 200],
    ("GET", "/admin/documents"): [302, 403, 403, 403, 403, 200],
    ("POST", "/admin/documents/999999/retry"): [302, 403, 403, 403, 403, 404],
    # No document worker runs in the tests, so the service is (truthfully) not healthy.
    ("GET", "/healthz"): [503, 503, 503, 503, 503, 503],
    ("POST", "/admin/users/new"): [302, 403, 403, 403, 400, 400],
    # An empty POST to an edit form re-saves the stored values unchanged (WTForms keeps an
    # object's value for a field missing from the form), hence 302 for those allowed in.
    ("POST", "/admin/users/{insp}"): [302, 403, 403, 403, 302, 302],
    ("POST", "/admin/users/{admin}"): [302, 403, 403, 403, 403, 302],
    ("POST", "/admin/schools/new"): [302, 403, 403, 403, 400, 400],
    ("POST", "/admin/schools/{school_a}/edit"): [302, 403, 403, 403, 302, 302],
    ("POST", "/admin/schools/import"): [302, 403, 403, 403, 400, 400],
    ("GET", "/admin/units"): [302, 403, 403, 403, 200, 200],
    ("POST", "/admin/units"): [302, 403, 403, 403, 400, 400],
    ("GET", "/admin/units/{unit}"): [302, 403, 403, 403, 200, 200],
    ("POST", "/admin/units/{unit}"): [302, 403, 403, 403, 302, 302],
    ("GET", "/api/session"): [401, 200, 200, 200, 200, 200],
    ("GET", "/api/bootstrap"): [401, 200, 403, 403, 200, 200],
    ("GET", "/api/checklists/{checklist_hash}"): [401, 200, 403, 403, 200, 200],
    # insp is planned for school A (tests/support.add_county) but never inspected it: no history
    # yet; an inspector outside the plan is refused it (test_inspection_plan.py).
    ("GET", "/api/schools/{school_a}/previous?checklist=fupin_comprehensive"): [
        401,
        404,
        403,
        403,
        404,
        404,
    ],
    ("PUT", "/api/photos/{photo_hash}"): [401, 415, 403, 403, 415, 415],
    ("POST", "/api/photos/missing"): [401, 400, 403, 403, 400, 400],
    ("GET", "/api/photos/{photo_hash}"): [401, 404, 404, 404, 404, 404],
    ("PUT", "/api/inspections/{new_uuid}"): [401, 400, 403, 403, 400, 400],
    ("GET", "/inspector/"): [302, 200, 403, 403, 200, 200],
    ("GET", "/inspector/new"): [302, 200, 403, 403, 200, 200],
    ("GET", "/inspector/form"): [302, 200, 403, 403, 200, 200],
    # 回头看: the page is a shell; a school's open items only for its planned inspectors (insp
    # for school A) and the reviewers of its items, and the bureau (the others: test_followup_visits).
    ("GET", "/inspector/followup"): [302, 200, 403, 403, 200, 200],
    ("GET", "/api/followups"): [401, 200, 403, 403, 200, 200],
    ("GET", "/api/followups/schools/{school_a}"): [401, 200, 403, 403, 200, 200],
    ("GET", "/api/followups/schools/{school_a}/files/{photo_hash}"): [401, 404, 403, 403, 404, 404],
    ("PUT", "/api/followups/{new_uuid}"): [401, 400, 403, 403, 400, 400],
    ("GET", "/sw.js"): [200, 200, 200, 200, 200, 200],
    ("GET", "/favicon.ico"): [200, 200, 200, 200, 200, 200],
    ("GET", "/inspections/{inspection}"): [302, 200, 200, 403, 200, 200],
    ("GET", "/inspections/{unknown}/report.pdf"): [302, 404, 404, 404, 404, 404],
    ("GET", "/documents/{unknown}.pdf"): [302, 404, 404, 404, 404, 404],
    ("GET", "/documents/{unknown}.docx"): [302, 404, 404, 404, 404, 404],
    ("GET", "/verify/{unknown}"): [404, 404, 404, 404, 404, 404],
    ("GET", "/verify/"): [200, 200, 200, 200, 200, 200],
    ("POST", "/verify/{unknown}"): [404, 404, 404, 404, 404, 404],
    ("POST", "/verify/"): [400, 400, 400, 400, 400, 400],
    ("GET", "/bureau/"): [302, 403, 403, 403, 200, 200],
    ("GET", "/bureau/ranking"): [302, 403, 403, 403, 200, 200],
    ("GET", "/bureau/sections"): [302, 403, 403, 403, 200, 200],
    ("GET", "/bureau/schools/{school_a}"): [302, 403, 403, 403, 200, 200],
    ("GET", "/bureau/plan"): [302, 403, 403, 403, 200, 200],
    ("POST", "/bureau/plan"): [302, 403, 403, 403, 400, 400],
    ("POST", "/bureau/plan/999999/delete"): [302, 403, 403, 403, 404, 404],
    ("POST", "/bureau/exports"): [302, 403, 403, 403, 302, 302],
    ("GET", "/bureau/exports"): [302, 403, 403, 403, 200, 200],
    ("GET", "/bureau/exports/999999"): [302, 403, 403, 403, 404, 404],
    ("GET", "/bureau/exports/999999.json"): [302, 403, 403, 403, 404, 404],
    ("GET", "/bureau/exports/999999/download"): [302, 403, 403, 403, 404, 404],
    ("GET", "/bureau/draws"): [302, 403, 403, 403, 200, 200],
    ("POST", "/bureau/draws"): [302, 403, 403, 403, 400, 400],
    ("GET", "/bureau/draws/999999"): [302, 403, 403, 403, 404, 404],
    ("GET", "/bureau/draws/999999.pdf"): [302, 403, 403, 403, 404, 404],
    ("POST", "/bureau/draws/conflicts"): [302, 403, 403, 403, 400, 400],
    ("POST", "/bureau/draws/conflicts/999999/delete"): [302, 403, 403, 403, 404, 404],
    ("GET", "/bureau/bulletins"): [302, 403, 403, 403, 200, 200],
    ("POST", "/bureau/bulletins"): [302, 403, 403, 403, 400, 400],
    ("POST", "/bureau/bulletins/preview"): [302, 403, 403, 403, 422, 422],
    ("POST", "/bureau/bulletins/edit"): [302, 403, 403, 403, 200, 200],
    ("GET", "/school/rectifications"): [302, 403, 200, 200, 403, 403],
    ("GET", "/school/rectifications?inspection={new_uuid}"): [302, 403, 404, 404, 403, 403],
    ("GET", "/school/rectifications/999"): [302, 403, 404, 404, 403, 403],
    ("GET", "/school/rectifications/999/respond"): [302, 403, 404, 404, 404, 404],
    ("POST", "/school/rectifications/999/respond"): [302, 403, 404, 404, 404, 404],
    ("GET", "/school/rectifications/999/extension"): [302, 403, 404, 404, 404, 404],
    ("POST", "/school/rectifications/999/extension"): [302, 403, 404, 404, 404, 404],
    ("GET", "/school/rectifications/999/photos/{photo_hash}"): [302, 403, 404, 404, 403, 403],
    ("GET", "/school/evidence/{photo_hash}"): [302, 404, 404, 404, 404, 404],
    ("GET", "/school/link/{photo_hash}"): [404, 409, 409, 409, 409, 409],
    ("GET", "/school/notifications"): [302, 403, 200, 200, 403, 403],
    ("POST", "/school/notifications/read"): [302, 403, 302, 302, 403, 403],
    ("GET", "/review/"): [302, 200, 403, 403, 200, 200],
    ("GET", "/review/rectifications/999"): [302, 404, 403, 403, 404, 404],
    ("POST", "/review/rectifications/999/decide"): [302, 404, 403, 403, 404, 404],
    ("POST", "/review/rectifications/999/extension"): [302, 404, 403, 403, 404, 404],
    ("POST", "/review/rectifications/999/reinspect"): [302, 404, 403, 403, 404, 404],
    ("POST", "/review/rectifications/999/unit"): [302, 403, 403, 403, 404, 404],
    ("GET", "/review/clocks"): [302, 403, 403, 403, 200, 200],
    ("GET", "/review/escalations"): [302, 403, 403, 403, 200, 200],
    ("GET", "/school/inspections/{new_uuid}/report"): [302, 403, 404, 404, 403, 403],
    ("POST", "/school/inspections/{new_uuid}/report"): [302, 403, 404, 404, 403, 403],
    ("GET", "/review/inspections/{new_uuid}"): [302, 404, 403, 403, 404, 404],
    ("GET", "/review/schools/{school_a}"): [302, 403, 403, 403, 200, 200],
    ("POST", "/review/schools/{school_a}/links"): [302, 403, 403, 403, 200, 200],
    ("POST", "/review/links/{photo_hash}/revoke"): [302, 403, 403, 403, 404, 404],
    ("GET", "/review/notifications"): [302, 200, 403, 403, 200, 200],
    # A 回头看's record: its inspector's and the bureau's.
    ("GET", "/review/followups/{unknown}"): [302, 404, 404, 404, 404, 404],
    ("GET", "/review/followups/{unknown}/record.pdf"): [302, 404, 404, 404, 404, 404],
    ("POST", "/review/notifications/read"): [302, 302, 403, 403, 302, 302],
    # Surveys: the bureau's pages, and the respondent's public ones (no account at all).
    ("GET", "/bureau/surveys/"): [302, 403, 403, 403, 200, 200],
    ("POST", "/bureau/surveys/"): [302, 403, 403, 403, 400, 400],
    ("GET", "/bureau/surveys/{survey_round}"): [302, 403, 403, 403, 200, 200],
    ("GET", "/bureau/surveys/999999"): [302, 403, 403, 403, 404, 404],
    ("POST", "/bureau/surveys/999999/close"): [302, 403, 403, 403, 404, 404],
    ("GET", "/bureau/surveys/{survey_round}/schools/{school_a}"): [302, 403, 403, 403, 200, 200],
    ("GET", "/bureau/surveys/{survey_round}/schools/{school_c}"): [302, 403, 403, 403, 404, 404],
    ("GET", "/bureau/surveys/999999/posters/{school_a}.pdf"): [302, 403, 403, 403, 404, 404],
    ("GET", "/s/{survey_code}"): [200, 200, 200, 200, 200, 200],
    ("GET", "/s/{survey_code}/thanks"): [200, 200, 200, 200, 200, 200],
    # not JSON: refused before anything is stored, whoever sends it
    ("POST", "/s/{survey_code}"): [400, 400, 400, 400, 400, 400],
    ("GET", "/s/{unknown}"): [404, 404, 404, 404, 404, 404],
    ("POST", "/s/{unknown}"): [404, 404, 404, 404, 404, 404],
    ("GET", "/s/{unknown}/thanks"): [404, 404, 404, 404, 404, 404],
    # The checklist library: the bureau's and the administrator's. An empty upload is a form
    # error (400); uploads and checklists that do not exist are 404.
    ("GET", "/library/"): [302, 403, 403, 403, 200, 200],
    ("POST", "/library/upload"): [302, 403, 403, 403, 400, 400],
    ("GET", "/library/uploads/999999"): [302, 403, 403, 403, 404, 404],
    ("POST", "/library/uploads/999999/publish"): [302, 403, 403, 403, 404, 404],
    ("GET", "/library/checklists/fupin_comprehensive"): [302, 403, 403, 403, 200, 200],
    ("POST", "/library/checklists/nosuch/retire"): [302, 403, 403, 403, 404, 404],
    ("POST", "/library/checklists/nosuch/restore"): [302, 403, 403, 403, 404, 404],
    ("GET", "/library/versions/{checklist_hash}.yaml"): [302, 403, 403, 403, 200, 200],
    ("GET", "/library/versions/{checklist_hash}.xlsx"): [302, 403, 403, 403, 200, 200],
    ("GET", "/library/versions/{checklist_hash}/preview"): [302, 403, 403, 403, 200, 200],
    ("GET", "/library/versions/{unknown}.xlsx"): [302, 403, 403, 403, 404, 404],
    ("GET", "/library/versions/{checklist_hash}/original"): [302, 403, 403, 403, 200, 200],
    ("GET", "/library/uploads/999999/original"): [302, 403, 403, 403, 404, 404],
    ("GET", "/library/uploads/999999/phone"): [302, 403, 403, 403, 404, 404],
    ("GET", "/library/versions/{checklist_hash}/phone"): [302, 403, 403, 403, 200, 200],
    ("GET", "/library/surveys/parent_satisfaction"): [302, 403, 403, 403, 200, 200],
    ("POST", "/library/surveys/nosuch/retire"): [302, 403, 403, 403, 404, 404],
    ("POST", "/library/surveys/nosuch/restore"): [302, 403, 403, 403, 404, 404],
    ("GET", "/library/template.xlsx"): [302, 403, 403, 403, 200, 200],
    ("GET", "/library/guide"): [302, 403, 403, 403, 200, 200],
}

# The department column (role ``department``, account "dept" of 县财政局): kept as its own
# mapping so that a row added above stays a one-line change; test_department_column_is_complete
# says when a route lacks its entry here. A department account answers its unit's items
# (/school/rectifications…) and reads its messages; everything else is closed to it.
DEPARTMENT = {
    # a department opens the 回头看记录 of a visit that checked one of its items
    ("GET", "/review/followups/{unknown}"): 404,
    ("GET", "/review/followups/{unknown}/record.pdf"): 404,
    ("GET", "/login"): 302,
    ("POST", "/login"): 302,
    ("POST", "/logout"): 302,
    ("GET", "/"): 200,
    ("GET", "/account/"): 200,
    ("GET", "/account/password"): 200,
    ("POST", "/account/password"): 400,
    ("POST", "/account/sessions/999999/end"): 302,
    ("POST", "/account/sessions/end-others"): 302,
    ("GET", "/account/notifications"): 200,
    ("POST", "/account/notifications"): 302,
    ("GET", "/healthz"): 503,
    # The phone's API is the inspectors' (and the schools' who-am-I): not a unit's.
    ("GET", "/api/session"): 403,
    ("GET", "/sw.js"): 200,
    ("GET", "/favicon.ico"): 200,
    ("GET", "/verify/{unknown}"): 404,
    ("GET", "/verify/"): 200,
    ("POST", "/verify/{unknown}"): 404,
    ("POST", "/verify/"): 400,
    ("GET", "/school/rectifications"): 200,
    ("GET", "/school/rectifications?inspection={new_uuid}"): 404,
    ("GET", "/school/rectifications/999"): 404,
    ("GET", "/school/rectifications/999/respond"): 404,
    ("POST", "/school/rectifications/999/respond"): 404,
    ("GET", "/school/rectifications/999/extension"): 404,
    ("POST", "/school/rectifications/999/extension"): 404,
    ("GET", "/school/rectifications/999/photos/{photo_hash}"): 404,
    ("GET", "/school/evidence/{photo_hash}"): 404,
    ("GET", "/school/link/{photo_hash}"): 409,
    # The 整改报告 is the school's own, not a unit's.
    ("GET", "/school/inspections/{new_uuid}/report"): 403,
    ("POST", "/school/inspections/{new_uuid}/report"): 403,
    ("GET", "/review/notifications"): 200,
    ("POST", "/review/notifications/read"): 302,
    # Public pages answer a department account as they answer anyone.
    ("GET", "/s/{survey_code}"): 200,
    ("GET", "/s/{survey_code}/thanks"): 200,
    ("POST", "/s/{survey_code}"): 400,
    ("GET", "/s/{unknown}"): 404,
    ("POST", "/s/{unknown}"): 404,
    ("GET", "/s/{unknown}/thanks"): 404,
}
# Every other route: 403 — listed by prefix so a new bureau, admin or inspector page is
# closed to departments without a line here (a new route under another prefix must be added).
DEPARTMENT_CLOSED = ("/schools", "/admin/", "/api/", "/inspector/", "/inspections/", "/documents/",
                     "/bureau/", "/review/", "/school/notifications", "/library/")  # fmt: skip


def department_status(method: str, path: str) -> int | None:
    if (method, path) in DEPARTMENT:
        return DEPARTMENT[(method, path)]
    return 403 if path.startswith(DEPARTMENT_CLOSED) else None


CASES = [
    (method, path, role, statuses[i])
    for (method, path), statuses in MATRIX.items()
    for i, role in enumerate(ROLES)
] + [
    (method, path, "dept", department_status(method, path))
    for (method, path) in MATRIX
    if department_status(method, path) is not None
]


# A thousand cases of a few requests each: one app, a fresh instance folder for every case.
@pytest.mark.same_app
@pytest.mark.parametrize(("method", "path", "role", "expected"), CASES)
def test_access(app, db, client, auth, county, method, path, role, expected):
    with app.app_context():
        checklist = catalog.current()["fupin_comprehensive"].compiled
    inspection = ""
    if "{inspection}" in path:
        # A received inspection of school A by inspector ``insp`` (documents are not issued:
        # the matrix is about who gets in, not about rendering).
        body = payload(county["school_a"], checklist)
        receiving.receive(db, body, body["id"], users.get(db, county["insp"]))
        inspection = body["id"]
    survey_round, survey_code = 0, ""
    if "{survey_" in path:
        # A parents' survey round at school A only (school C is not in it).
        with app.app_context():
            survey = catalog.surveys()["parent_satisfaction"]
        survey_round = surveys.create_round(
            db, survey_id=survey.id, survey_hash=survey.hash, title=survey.title,
            school_ids=[county["school_a"]], created_by=county["bureau"],
        )  # fmt: skip
        survey_code = surveys.round_schools(db, survey_round)[0]["code"]
    if role != "anonymous":
        assert auth.login(role).status_code == 302
    url = path.format(
        **county, checklist_hash=checklist["hash"], photo_hash=sha256(b"x"), new_uuid=new_id(),
        inspection=inspection, unknown="00000000-0000-4000-8000-000000000000",
        survey_round=survey_round, survey_code=survey_code,
    )  # fmt: skip
    if method in ("POST", "PUT"):
        token = csrf_token(client, "/login" if role == "anonymous" else "/")
        response = client.open(url, method=method, data=b"x", headers={"X-CSRFToken": token})
    else:
        response = client.get(url)
    assert response.status_code == expected, f"{role} {method} {url}"
    if role == "anonymous" and expected == 302:
        # a page that needs a login sends the visitor there, and back to it afterwards (the
        # home page has nothing to come back to: after a login it is where anyone lands)
        location = urlsplit(response.headers["Location"])
        back = parse_qs(location.query).get("next")
        assert location.path == "/login" and back == (None if url == "/" else [url])
    if expected == 403:
        assert "无权访问" in response.get_data(as_text=True)
    if url.startswith("/api/") and expected >= 400:
        assert response.is_json, "the phone's API answers errors as JSON"


def test_department_column_is_complete():
    """Every route of the matrix has an expected status for a department account."""
    missing = [f"{m} {p}" for m, p in MATRIX if department_status(m, p) is None]
    assert not missing, f"add these to DEPARTMENT in tests/test_access.py: {missing}"


def test_matrix_covers_every_route(app):
    """A new route (each of its methods) must be added to the matrix above before this passes."""
    adapter = app.url_map.bind("localhost")
    sample = dict.fromkeys(
        ("school_a", "school_c", "insp", "admin", "survey_round", "unit"), 1
    ) | dict.fromkeys(
        ("checklist_hash", "photo_hash", "new_uuid", "inspection", "unknown", "survey_code"),
        "x" * 64,
    )
    covered = set()
    for method, path in MATRIX:
        endpoint, _ = adapter.match(path.format(**sample).split("?")[0], method=method)
        covered.add((endpoint, method))
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (rule.endpoint, method) in covered, f"{method} {rule} missing from access matrix"


def test_every_view_declares_who_may_use_it(app):
    for endpoint, view in app.view_functions.items():
        if endpoint == "static":
            continue
        assert getattr(view, "access", None), f"{endpoint} has neither @public nor @role_required"


def test_school_account_sees_only_its_own_school(client, auth, county):
    auth.login("sch_b")
    assert client.get("/schools").headers["Location"] == f"/schools/{county['school_b']}"
    assert client.get(f"/schools/{county['school_b']}").status_code == 200
    assert client.get(f"/schools/{county['school_c']}").status_code == 403


def test_unknown_page_is_chinese_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_internal_error_shows_no_traceback(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    boom.access = ("public",)
    response = client.get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "服务器出错" in body and "secret internals" not in body and "Traceback" not in body
