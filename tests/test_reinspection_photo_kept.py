"""A 复查 photo survives a missing note: it is kept and shown, so the inspector at the site
writes the note and saves, without taking the photo again (it was dropped)."""

from __future__ import annotations

from bs4 import BeautifulSoup

from inspect_app.storage import rectifications as items

from . import factories


def test_the_photo_is_kept_when_the_note_is_missing_and_saved_with_it(receive, login, db, frozen):
    _, rows = receive()
    item = rows[2]
    url = f"/review/rectifications/{item['id']}/reinspect"
    inspector = login("insp")
    response = inspector.post(
        url, {"note": ""}, files={"photo": [(factories.jpeg_bytes(3), "现场.jpg")]}
    )
    assert response.status_code == 400
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    form = page.select_one("#reinspect")
    assert form.has_attr("open")
    assert form.select_one("#note-error").get_text() == "请填写现场复查情况"
    kept = form.select_one(".kept li")
    assert kept.select_one(".name").get_text() == "现场.jpg"
    assert inspector.get(kept.select_one("img")["src"]).mimetype == "image/jpeg"
    assert "以上照片已保留" in form.get_text()

    sha = kept.select_one("input[name=kept]")["value"]
    assert inspector.post(url, {"note": "台账已补齐", "kept": sha}).status_code == 302
    event = items.events(db, item["id"])[-1]
    assert event["kind"] == "reinspect" and [e["sha256"] for e in event["evidence"]] == [sha]


def test_a_kept_photo_of_another_login_is_not_attached(receive, login, db, frozen):
    _, rows = receive()
    item = rows[2]
    url = f"/review/rectifications/{item['id']}/reinspect"
    response = login("insp").post(
        url, {"note": ""}, files={"photo": [(factories.jpeg_bytes(4), "现场.jpg")]}
    )
    sha = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one(
        "#reinspect input[name=kept]"
    )["value"]
    # Only the session that uploaded a file may send its hash back (a hash proves nothing).
    assert login("bureau").post(url, {"note": "复查", "kept": sha}).status_code == 302
    assert items.events(db, item["id"])[-1]["evidence"] == []
