"""The 回头看记录 (follow-up visit record) opens like the school's other documents: through
/documents/<id>.pdf for whoever may read the visit, and through its own page for the school's
access-link holder, who has no account."""

from __future__ import annotations

import pytest

from inspect_app.storage import reports

from .support import User
from .test_followup_visits import Phone, found, issue_records, visit  # noqa: F401  (fixture)
from .test_rectification_access import issue_link


@pytest.fixture
def record(app, db, county, found):  # noqa: F811
    phone = Phone(app, "insp")
    body = visit(
        county["school_a"],
        [{"rectification_id": found[0]["id"], "result": "not_fixed", "note": "资金未到位"}],
        [{"sha256": phone.photo(44), "item": found[0]["id"]}],
    )
    assert phone.send(body).status_code == 201
    assert issue_records(app, db) == 1
    [row] = reports.for_subject(db, body["id"], "followup_record")
    pdf = reports.read(app.config["REPORTS_DIR"], row)
    return {"visit": body["id"], "item": found[0]["id"], "row": row, "pdf": pdf}


# role → status of /documents/<id>.pdf for the visit's record (school A's, made by insp).
DOCUMENT = {"insp": 200, "sch_a": 200, "bureau": 200, "admin": 200, "sch_b": 403, "dept": 403}


@pytest.mark.parametrize(("role", "expected"), DOCUMENT.items())
def test_documents_url_serves_the_record_to_whoever_may_read_the_visit(app, record, role, expected):
    response = User(app, role).get(f"/documents/{record['row']['id']}.pdf")
    assert response.status_code == expected
    if expected == 200:
        assert response.mimetype == "application/pdf" and response.data == record["pdf"]
    else:
        assert "无权访问" in response.get_data(as_text=True)


def test_documents_url_of_a_record_needs_a_login(app, record):
    response = User(app, None).get(f"/documents/{record['row']['id']}.pdf")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def link_holder(app, login, school_id: int) -> User:
    token = issue_link(login, school_id).rsplit("/", 1)[1]
    principal = User(app, None)
    assert principal.get(f"/school/link/{token}").status_code == 302
    return principal


def test_the_schools_link_holder_opens_its_record_and_pdf(app, record, login, county):
    principal = link_holder(app, login, county["school_a"])
    page = f"/review/followups/{record['visit']}"
    shown = principal.page(page)
    assert shown.select_one("#doc-number").text == record["row"]["doc_number"]
    assert "资金未到位" in shown.get_text()
    pdf = principal.get(shown.select_one("#record-pdf")["href"])
    assert pdf.status_code == 200 and pdf.data == record["pdf"]
    # The timeline the link opens points to it.
    item = principal.page(f"/school/rectifications/{record['item']}")
    assert item.select_one("a.followup-record")["href"] == page


def test_another_schools_link_holder_is_refused_and_no_link_means_login(app, record, login, county):
    page = f"/review/followups/{record['visit']}"
    other = link_holder(app, login, county["school_b"])
    for url in (page, f"{page}/record.pdf"):
        response = other.get(url)
        assert response.status_code == 403 and "无权访问" in response.get_data(as_text=True)
        anonymous = User(app, None).get(url)
        assert anonymous.status_code == 302 and "/login?next=" in anonymous.headers["Location"]
