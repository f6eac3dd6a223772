"""The bureau routes' rows for the access matrix (tests/test_access.py), checked the same way."""

import pytest

from .conftest import csrf_token

ROLES = ["anonymous", "insp", "sch_a", "sch_b", "bureau", "admin"]
BUREAU_MATRIX = {
    ("GET", "/bureau/"): [302, 403, 403, 403, 200, 200],
    ("GET", "/bureau/ranking"): [302, 403, 403, 403, 200, 200],
    ("GET", "/bureau/sections"): [302, 403, 403, 403, 200, 200],
    ("GET", "/bureau/schools/{school_a}"): [302, 403, 403, 403, 200, 200],
    ("GET", "/bureau/plan"): [302, 403, 403, 403, 200, 200],
    ("POST", "/bureau/plan"): [302, 403, 403, 403, 400, 400],
    ("POST", "/bureau/plan/999999/delete"): [302, 403, 403, 403, 404, 404],
    ("GET", "/bureau/export.xlsx"): [302, 403, 403, 403, 200, 200],
    ("GET", "/bureau/export.zip"): [302, 403, 403, 403, 200, 200],
    ("GET", "/bureau/bulletins"): [302, 403, 403, 403, 200, 200],
    ("POST", "/bureau/bulletins"): [302, 403, 403, 403, 400, 400],
}
CASES = [(m, p, role, s[i]) for (m, p), s in BUREAU_MATRIX.items() for i, role in enumerate(ROLES)]


@pytest.mark.parametrize(("method", "path", "role", "expected"), CASES)
def test_bureau_access_matrix(client, auth, county, method, path, role, expected):
    if role != "anonymous":
        assert auth.login(role).status_code == 302
    url = path.format(**county)
    if method == "POST":
        token = csrf_token(client, "/login" if role == "anonymous" else "/")
        response = client.open(url, method=method, data=b"x", headers={"X-CSRFToken": token})
    else:
        response = client.get(url)
    assert response.status_code == expected, f"{role} {method} {url}"
