"""Who may see and act on rectification items: schools their own, inspectors what they found,
the bureau everything, anonymous visitors nothing; and the principal's access link."""

from __future__ import annotations

import hashlib
import re

import pytest

from inspect_app.directory.passwords import hash_password
from inspect_app.storage import users

from . import factories
from .support import PASSWORD, User, evidence, pdf_bytes, version_on

ROLES = ["anonymous", "insp", "insp2", "sch_a", "sch_b", "bureau", "admin", "dept"]
L = "login"  # a redirect to the login page

# Item {item} belongs to school A and was found by insp; insp2 is another inspector. Item
# {unit_item} (also school A's, found by insp) is given to 县财政局, whose account is dept: the
# school sees it but cannot answer it (409, with why), the unit and the bureau on its behalf can.
MATRIX = {
    ("GET", "/school/rectifications"): [L, 403, 403, 200, 200, 403, 403, 200],
    ("GET", "/school/rectifications?inspection={inspection}"): [
        L,
        403,
        403,
        200,
        404,
        403,
        403,
        200,
    ],
    ("GET", "/school/rectifications/{item}"): [L, 403, 403, 200, 403, 403, 403, 403],
    ("GET", "/school/rectifications/{item}/respond"): [L, 403, 403, 200, 403, 403, 403, 403],
    ("POST", "/school/rectifications/{item}/respond"): [L, 403, 403, 400, 403, 403, 403, 403],
    ("GET", "/school/rectifications/{item}/extension"): [L, 403, 403, 200, 403, 403, 403, 403],
    ("POST", "/school/rectifications/{item}/extension"): [L, 403, 403, 400, 403, 403, 403, 403],
    ("GET", "/school/rectifications/{item}/photos/{photo}"): [L, 403, 403, 200, 403, 403, 403, 403],
    ("GET", "/school/rectifications/{unit_item}"): [L, 403, 403, 200, 403, 403, 403, 200],
    ("GET", "/school/rectifications/{unit_item}/respond"): [L, 403, 403, 200, 403, 200, 200, 200],
    ("POST", "/school/rectifications/{unit_item}/respond"): [L, 403, 403, 409, 403, 400, 400, 400],
    ("GET", "/school/rectifications/{unit_item}/extension"): [L, 403, 403, 200, 403, 200, 200, 200],
    ("POST", "/school/rectifications/{unit_item}/extension"): [
        L,
        403,
        403,
        409,
        403,
        400,
        400,
        400,
    ],
    ("GET", "/school/inspections/{inspection}/report"): [L, 403, 403, 200, 404, 403, 403, 403],
    ("POST", "/school/inspections/{inspection}/report"): [L, 403, 403, 400, 404, 403, 403, 403],
    ("GET", "/school/evidence/{evidence}"): [L, 200, 404, 200, 404, 200, 200, 404],
    ("GET", "/school/link/{bad_token}"): [404, 409, 409, 409, 409, 409, 409, 409],
    ("GET", "/school/notifications"): [L, 403, 403, 200, 200, 403, 403, 403],
    ("POST", "/school/notifications/read"): [L, 403, 403, 302, 302, 403, 403, 403],
    ("GET", "/review/"): [L, 200, 200, 403, 403, 200, 200, 403],
    ("GET", "/review/rectifications/{item}"): [L, 200, 403, 403, 403, 200, 200, 403],
    ("POST", "/review/rectifications/{item}/decide"): [L, 400, 403, 403, 403, 400, 400, 403],
    ("POST", "/review/rectifications/{item}/extension"): [L, 400, 403, 403, 403, 400, 400, 403],
    ("POST", "/review/rectifications/{item}/reinspect"): [L, 400, 403, 403, 403, 400, 400, 403],
    ("POST", "/review/rectifications/{item}/unit"): [L, 403, 403, 403, 403, 400, 400, 403],
    ("GET", "/review/clocks"): [L, 403, 403, 403, 403, 200, 200, 403],
    ("GET", "/review/escalations"): [L, 403, 403, 403, 403, 200, 200, 403],
    ("GET", "/review/inspections/{inspection}"): [L, 200, 403, 403, 403, 200, 200, 403],
    ("GET", "/review/schools/{school_a}"): [L, 403, 403, 403, 403, 200, 200, 403],
    ("POST", "/review/schools/{school_a}/links"): [L, 403, 403, 403, 403, 200, 200, 403],
    ("POST", "/review/links/{unknown_hash}/revoke"): [L, 403, 403, 403, 403, 404, 404, 403],
    ("GET", "/review/notifications"): [L, 200, 200, 403, 403, 200, 200, 200],
    ("POST", "/review/notifications/read"): [L, 302, 302, 403, 403, 302, 302, 302],
}


@pytest.fixture
def world(app, county, db, receive, login, frozen):
    """School A's received inspection, one answered item with evidence, and a second inspector."""
    with app.app_context():
        users.create(db, username="insp2", display_name="另一位督学", role="inspector",
                     password_hash=hash_password(PASSWORD, app.config))  # fmt: skip
    inspection_id, rows = receive()
    item = rows[0]
    school = login("sch_a")
    url = f"/school/rectifications/{item['id']}/respond"
    response = school.post(
        url,
        {
            "measures": "措施",
            "result": "结果",
            "done_on": "2026-11-24",
            "version": version_on(school.page(url)),
        },
        files={"evidence": [(pdf_bytes(), "报告.pdf")]},
    )
    assert response.status_code == 302
    # The second item is the county's to fix (the bureau could also set this on the item page).
    unit_item = rows[1]["id"]
    db.execute("UPDATE rectifications SET unit_id = ? WHERE id = ?", [county["unit"], unit_item])
    evidence = next(db.query("SELECT sha256 FROM evidence_files"))["sha256"]
    photo = next(db.query("SELECT photo_sha256 FROM inspection_photos"))["photo_sha256"]
    return {
        **county, "inspection": inspection_id, "item": item["id"], "unit_item": unit_item, "evidence": evidence,
        "photo": photo, "bad_token": "x" * 43, "unknown_hash": "0" * 64,
    }  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_access(app, world, role):
    """One user walks the whole matrix (one set-up per role keeps this fast)."""
    user = User(app, None if role == "anonymous" else role)
    wrong = []
    for (method, path), statuses in MATRIX.items():
        expected = statuses[ROLES.index(role)]
        url = path.format(**world)
        response = user.post(url) if method == "POST" else user.get(url)
        if expected == L:
            ok = response.status_code == 302 and "/login?next=" in response.headers["Location"]
        else:
            ok = response.status_code == expected
            if expected == 403:
                ok = ok and "无权访问" in response.get_data(as_text=True)
        if not ok:
            wrong.append(f"{method} {url}: {response.status_code}, expected {expected}")
    assert not wrong, wrong


def test_every_route_of_the_loop_is_in_the_matrix(app):
    mine = {
        str(rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ("school", "review")
    }
    templated = {re.sub(r"\{\w+\}", "X", p.split("?")[0]) for _, p in MATRIX}
    for rule in mine:
        assert re.sub(r"<[^>]+>", "X", rule) in templated, f"{rule} missing from the matrix"


def test_a_school_never_lists_another_schools_items(receive, login, frozen):
    receive("school_a")
    _, rows_b = receive("school_b", seed=1)
    page = login("sch_a").page("/school/rectifications")
    listed = {int(li["data-item"]) for li in page.select("li[data-item]")}
    assert listed and not listed & {r["id"] for r in rows_b}


def test_an_inspectors_queue_holds_only_their_items(app, receive, login, db, frozen):
    _, rows = receive()
    school = login("sch_a")
    url = f"/school/rectifications/{rows[0]['id']}/respond"
    school.post(url, {"measures": "措施", "result": "结果", "done_on": "2026-11-24",
                      "version": version_on(school.page(url))}, files=evidence())  # fmt: skip
    with app.app_context():
        users.create(db, username="insp2", display_name="另一位督学", role="inspector",
                     password_hash=hash_password(PASSWORD, app.config))  # fmt: skip
    assert len(login("insp").page("/review/").select("li[data-item]")) == 1
    assert len(login("bureau").page("/review/").select("li[data-item]")) == 1
    assert not login("insp2").page("/review/").select("li[data-item]")


# --- The principal's access link. ---------------------------------------------------------------


def issue_link(login, school_id: int, days: str = "14") -> str:
    bureau = login("bureau")
    page = bureau.post(f"/review/schools/{school_id}/links", {"days": days})
    assert page.status_code == 200
    return re.search(
        r'id="new-link" type="text" readonly value="([^"]+)"', page.get_data(as_text=True)
    ).group(1)


def test_link_opens_that_schools_items_to_view_and_respond(app, receive, login, db, county, frozen):
    _, rows = receive()
    _, rows_b = receive("school_b", seed=1)
    url = issue_link(login, county["school_a"])
    token = url.rsplit("/", 1)[1]
    # Only a hash of the token is stored.
    stored = next(db.query("SELECT token_hash FROM access_links"))["token_hash"]
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored

    principal = User(app, None)
    opened = principal.get(f"/school/link/{token}")
    assert opened.status_code == 302 and opened.headers["Location"] == "/school/rectifications"
    page = principal.page("/school/rectifications")
    assert "访问链接" in page.select_one(".banner").get_text()
    assert len(page.select("li[data-item]")) == len(rows)

    item = principal.page(f"/school/rectifications/{rows[0]['id']}")
    photo = item.select_one(".photos img")["src"]
    assert photo.startswith(f"/school/rectifications/{rows[0]['id']}/photos/")
    assert principal.get(photo).mimetype == "image/jpeg"

    respond = f"/school/rectifications/{rows[0]['id']}/respond"
    response = principal.post(
        respond,
        {"measures": "校长填报的措施", "result": "已完成", "done_on": "2026-11-24",
         "version": version_on(principal.page(respond))},
        files={"evidence": [(factories.jpeg_bytes(8), "照片.jpg")]},
    )  # fmt: skip
    assert response.status_code == 302
    event = next(db.query("SELECT * FROM rectification_events WHERE kind = 'respond'"))
    assert event["user_id"] is None and event["actor"] == "校长（访问链接）"
    evidence_url = principal.page(f"/school/rectifications/{rows[0]['id']}").select_one(".files a")[
        "href"
    ]
    assert principal.get(evidence_url).status_code == 200

    # Nothing else: not another school's item, not the reviewer's pages, not notifications.
    assert principal.get(f"/school/rectifications/{rows_b[0]['id']}").status_code == 403
    for path in ("/school/notifications", "/review/", f"/schools/{county['school_a']}", "/"):
        assert principal.get(path).status_code == 302, path
        assert "/login" in principal.get(path).headers["Location"]


def test_revoked_and_expired_links_stop_working(app, receive, login, db, county, frozen):
    receive()
    token = issue_link(login, county["school_a"]).rsplit("/", 1)[1]
    principal = User(app, None)
    principal.get(f"/school/link/{token}")
    assert principal.get("/school/rectifications").status_code == 200

    token_hash = hashlib.sha256(token.encode()).hexdigest()
    bureau = login("bureau")
    page = bureau.page(f"/review/schools/{county['school_a']}")
    assert page.select_one(f"form[action='/review/links/{token_hash}/revoke']")
    assert bureau.post(f"/review/links/{token_hash}/revoke").status_code == 302
    # Revocation is immediate, for a session already in use too.
    assert principal.get("/school/rectifications").status_code == 302
    assert principal.get(f"/school/link/{token}").status_code == 404
    assert (
        "已撤销"
        in bureau.page(f"/review/schools/{county['school_a']}").select_one(".link-list").get_text()
    )

    expired = issue_link(login, county["school_a"], days="7").rsplit("/", 1)[1]
    db.execute(
        "UPDATE access_links SET expires_at = '2000-01-01T00:00:00Z' WHERE revoked_at IS NULL"
    )
    late = User(app, None)
    response = late.get(f"/school/link/{expired}")
    assert response.status_code == 404 and "已过期" in response.get_data(as_text=True)


def test_links_are_issued_only_by_the_bureau(receive, login, county, frozen):
    for username in ("insp", "sch_a"):
        response = login(username).post(
            f"/review/schools/{county['school_a']}/links", {"days": "30"}
        )
        assert response.status_code == 403
