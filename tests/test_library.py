"""The checklist library in the app: upload, errors, diff, publish, retire, download, sync.

Through the real routes (test client, real CSRF); the two-process test at the end runs two
real servers on one database and publishes through one of them.
"""

from __future__ import annotations

import copy
import io
import json
import re
import threading
import uuid
from pathlib import Path

import yaml
from openpyxl import load_workbook

from inspect_app.checklist import workbook as wb
from inspect_app.inspections import catalog, receiving
from inspect_app.storage import audit, inspections, users

from . import factories, live_server

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "checklists" / "fupin_comprehensive.yaml"


def fupin_doc() -> dict:
    return yaml.safe_load(SOURCE.read_text(encoding="utf-8"))


def changed_doc() -> dict:
    """The shipped checklist as a bureau would revise it: a new version, one more item, a
    first scored item worth one point more."""
    doc = copy.deepcopy(fupin_doc())
    doc["version"] = "2027.1"
    section = doc["sections"][0]
    scored = next(i for i in section["items"] if i.get("points"))
    scored["points"] = scored["points"] + 1
    section["items"].append(
        {"id": "aid_board", "type": "yesno", "label": "校内公示栏公示资助名单", "points": 2,
         "fix": {"action": "在校内公示栏公示资助名单", "owner": "校长", "days": 7}}
    )  # fmt: skip
    return doc, scored


def upload(user, data: bytes, name: str):
    return user.post("/library/upload", files={"file": [(data, name)]})


def upload_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(re.search(r"/library/uploads/(\d+)$", response.headers["Location"]).group(1))


def current_hash(app, checklist_id="fupin_comprehensive") -> str | None:
    with app.app_context():
        found = catalog.current().get(checklist_id)
    return found.hash if found else None


def test_broken_workbook_lists_every_error_and_publishes_nothing(app, db, login, county):
    bureau = login("bureau")
    before = current_hash(app)
    book = load_workbook(io.BytesIO(wb.to_workbook(fupin_doc())))
    ws = book["检查项"]
    headers = {c.value: c.column for c in ws[1]}
    ws.cell(row=3, column=headers["分值"]).value = "五分"
    ws.cell(row=4, column=headers["类型"]).value = "判断题"
    out = io.BytesIO()
    book.save(out)
    page = bureau.get(f"/library/uploads/{upload_id(upload(bureau, out.getvalue(), '新.xlsx'))}")
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "文件有 2 处错误，不能发布" in html
    assert "工作表“检查项”第 3 行“分值”列：“分值”应为数字" in html
    assert "工作表“检查项”第 4 行“类型”列：无法识别的类型“判断题”" in html
    assert 'id="publish-button"' not in html
    upload_row = db["checklist_uploads"].rows_where(order_by="id desc", limit=1)
    uid = next(upload_row)["id"]
    response = bureau.post(f"/library/uploads/{uid}/publish")
    assert response.status_code == 302
    assert current_hash(app) == before
    assert "还有错误" in bureau.get(response.headers["Location"]).get_data(as_text=True)
    actions = [r["action"] for r in audit.recent(db)]
    assert "checklist.upload" in actions and "checklist.publish" not in actions


def test_broken_yaml_is_reported_by_file_line_and_column(login, county):
    bureau = login("bureau")
    text = SOURCE.read_text(encoding="utf-8").replace("weight: 14", "weight: 19", 1)
    page = bureau.get(f"/library/uploads/{upload_id(upload(bureau, text.encode(), 'f.yaml'))}")
    assert page.status_code == 422
    assert re.search(
        r"f\.yaml:\d+:\d+: 字段 weight：各部分 weight 之和为 105，应为 100",
        page.get_data(as_text=True),
    )


def test_not_a_checklist_file(login, county):
    bureau = login("bureau")
    page = bureau.get(f"/library/uploads/{upload_id(upload(bureau, b'x', 'plan.xls'))}")
    assert "请上传 .xlsx 格式的工作簿" in page.get_data(as_text=True)


def test_publish_a_new_version_phones_get_it_and_a_started_draft_keeps_its_own(
    app, db, login, county
):
    old = current_hash(app)
    inspector = login("insp")
    # a phone that started an inspection before the publication holds the old version
    old_compiled = inspector.get(f"/api/checklists/{old}").get_json()
    draft = factories.payload(county["school_a"], old_compiled)

    doc, scored = changed_doc()
    bureau = login("bureau")
    uid = upload_id(upload(bureau, wb.to_workbook(doc), "扶贫2027.xlsx"))
    page = bureau.get(f"/library/uploads/{uid}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "新增 1 个条目、修改 1 个条目" in html
    assert "「校内公示栏公示资助名单」" in html
    assert f"分值由 {scored['points'] - 1} 改为 {scored['points']}" in html
    assert "版本由「2026" in html
    assert 'id="preview-frame"' in html and 'id="publish-button"' in html
    options = {int(v) for v in re.findall(r'<option value="(\d+)">', html)}
    assert options >= {county["school_a"], county["school_b"]}
    # the frame is the phone's own form page on the uploaded, unpublished version
    phone = bureau.get(f"/library/uploads/{uid}/phone?school={county['school_b']}")
    text = phone.get_data(as_text=True)
    data = json.loads(re.search(r'id="preview-data">(.*?)</script>', text, re.S).group(1))
    assert data["checklist"]["version"] == "2027.1" and data["school_id"] == county["school_b"]
    assert 'data-page="preview"' in text and "/static/js/inspector/preview.js" in text
    assert "预览，不会保存" in text
    # framed by the library's own pages only, never cached
    assert phone.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in phone.headers["Content-Security-Policy"]
    assert "no-store" in phone.headers["Cache-Control"]

    response = bureau.post(f"/library/uploads/{uid}/publish")
    assert response.status_code == 302
    new = current_hash(app)
    assert new != old
    # the phone's next sync offers the new version ...
    boot = inspector.get("/api/bootstrap").get_json()
    offered = {c["id"]: c["hash"] for c in boot["checklists"]}
    assert offered["fupin_comprehensive"] == new
    assert inspector.get(f"/api/checklists/{new}").get_json()["version"] == "2027.1"
    # ... the draft started on the old one is received with it, scored by it
    receiving.receive(db, draft, draft["id"], users.get(db, county["insp"]))
    assert inspections.get(db, draft["id"])["checklist_hash"] == old
    # old inspections stay reproducible: their version scores them as they were scored
    from inspect_app.checklist import score
    from inspect_app.storage import schools

    school = schools.as_scoring_school(schools.get(db, county["school_a"]))
    stored = inspections.get(db, draft["id"])
    rescored = score(catalog.by_hash(db, old), school, draft["responses"])
    assert rescored["total"] == stored["total"] and rescored["grade"] == stored["grade"]
    # and a new inspection on the new version is received with the new one
    fresh = factories.payload(
        county["school_b"], inspector.get(f"/api/checklists/{new}").get_json()
    )
    receiving.receive(db, fresh, fresh["id"], users.get(db, county["insp"]))
    assert inspections.get(db, fresh["id"])["checklist_hash"] == new

    detail = bureau.get("/library/checklists/fupin_comprehensive").get_data(as_text=True)
    assert new[:12] in detail and old[:12] in detail
    rows = dict(re.findall(r'data-hash="(\w+)">.*?<td>(\d+)</td>\s*<td>', detail, re.S))
    assert rows[new] == "1" and rows[old] == "1"  # one inspection used each
    entry = next(r for r in audit.recent(db) if r["action"] == "checklist.publish")
    assert json.loads(entry["detail"])["previous"] == old
    assert entry["username"] == "bureau"
    # publishing it again changes nothing
    again = bureau.post(f"/library/uploads/{uid}/publish")
    assert "这个版本已经是当前版本，无需再次发布" in bureau.get(again.headers["Location"]).get_data(
        as_text=True
    )
    assert current_hash(app) == new
    assert [r["action"] for r in audit.recent(db)].count("checklist.publish") == 1


def test_downloads_of_a_version_round_trip_to_its_hash(app, login, county, tmp_path):
    bureau = login("bureau")
    version = current_hash(app)
    text = bureau.get(f"/library/versions/{version}.yaml")
    assert text.status_code == 200 and "attachment" in text.headers["Content-Disposition"]
    book = bureau.get(f"/library/versions/{version}.xlsx")
    assert book.headers["Content-Type"] == wb.XLSX_MIME
    checklist, errors = wb.check_workbook(book.data)
    assert errors == [] and checklist is not None and checklist.hash == version
    path = tmp_path / "fupin_comprehensive.yaml"
    path.write_bytes(text.data)
    from inspect_app.checklist.loader import check_file

    loaded, errors = check_file(path)
    assert not errors and loaded is not None and loaded.hash == version
    template = bureau.get("/library/template.xlsx")
    assert wb.check_workbook(template.data)[1] == []
    guide = bureau.get("/library/guide").get_data(as_text=True)
    for column in wb.item_columns():
        assert f"<strong>{column.header}</strong>" in guide


def test_retire_and_restore(app, db, login, county):
    bureau, inspector = login("bureau"), login("insp")

    def offered():
        return {c["id"] for c in inspector.get("/api/bootstrap").get_json()["checklists"]}

    assert "boarding_special" in offered()
    old = current_hash(app, "boarding_special")
    bureau.post("/library/checklists/boarding_special/retire")
    assert "boarding_special" not in offered()
    # a retired version still opens for a phone that started an inspection with it
    assert inspector.get(f"/api/checklists/{old}").status_code == 200
    bureau.post("/library/checklists/boarding_special/restore")
    assert "boarding_special" in offered() and current_hash(app, "boarding_special") == old
    actions = [r["action"] for r in audit.recent(db) if r["target"] == "boarding_special"]
    assert actions[:2] == ["checklist.restore", "checklist.retire"]


def test_a_published_version_survives_a_restart_and_a_changed_file_still_publishes(
    app, login, county, tmp_path
):
    from inspect_app import create_app

    doc, _ = changed_doc()
    bureau = login("bureau")
    bureau.post(
        f"/library/uploads/{upload_id(upload(bureau, wb.to_workbook(doc), 'n.xlsx'))}/publish"
    )
    published = current_hash(app)
    # and a survey published in the app, likewise
    bureau.post(
        f"/library/uploads/{upload_id(upload(bureau, wb.to_workbook(revised_survey()), 's.xlsx'))}"
        "/publish"
    )
    with app.app_context():
        survey = catalog.surveys()["parent_satisfaction"]
    assert survey.version == "2027.1"
    again = create_app({"TESTING": True, "INSTANCE_PATH": app.instance_path,
                        "SECRET_KEY": "t", **live_server.FAST})  # fmt: skip
    assert current_hash(again) == published  # the unchanged file did not take over again
    with again.app_context():
        assert catalog.surveys()["parent_satisfaction"].hash == survey.hash


def test_a_server_starts_while_another_holds_the_write_lock(app, monkeypatch):
    """Every server process reads the checklist folder at start-up: files it has read before
    need no write, so a process (re)starting while another writes a long transaction (an
    import, a restore) does not wait for it, or fail with ``database is locked``."""
    import sqlite3

    from inspect_app import create_app
    from inspect_app.storage import db as storage_db

    monkeypatch.setattr(storage_db, "BUSY_TIMEOUT_SECONDS", 0.2)
    writer = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        again = create_app({"TESTING": True, "INSTANCE_PATH": app.instance_path,
                            "SECRET_KEY": "t", **live_server.FAST})  # fmt: skip
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert current_hash(again) == current_hash(app)


# --------------------------------------------------------------------------- two processes


def _multipart(fields: dict, file_field: str, name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        + data + b"\r\n"
    )  # fmt: skip
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def _form_token(client, path: str) -> str:
    html = client.get(path).decode()
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def _upload_via(client, doc: dict) -> str:
    """Upload a workbook through the page's form; returns the publish form's action."""
    body, boundary = _multipart(
        {"csrf_token": _form_token(client, "/library/")}, "file", "new.xlsx", wb.to_workbook(doc)
    )
    _, _, page = client.request(
        "POST", "/library/upload", body,
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )  # fmt: skip
    return re.search(r'action="(/library/uploads/\d+/publish)"', page.decode()).group(1)


def _publish(client, action: str) -> str:
    """Press 发布 on the upload's page (its form as it is); returns the page that follows."""
    html = client.get(action.removesuffix("/publish")).decode()
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
    against = re.search(r'name="compared_with" value="(\w*)"', html).group(1)
    _, _, page = client.request("POST", action, f"csrf_token={token}&compared_with={against}".encode(),
                                {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    return page.decode()


def test_two_server_processes_serve_what_one_of_them_published(tmp_path):
    instance = live_server.prepare_instance(tmp_path / "instance", inspectors=2)
    first, base_a = live_server.serve(instance, tmp_path / "a.log", workers=1)
    try:
        second, base_b = live_server.serve(instance, tmp_path / "b.log", workers=1)
        try:
            phones = [live_server.Client(base_a), live_server.Client(base_b)]
            for phone, name in zip(phones, instance.inspectors, strict=True):
                phone.login(name)
            old = phones[1].checklist()
            # the second phone starts an inspection on the old version before the publication
            started = live_server.Client.prepare_upload(instance.school_ids[0], old, 1)

            admin = live_server.Client(base_a)
            admin.login("admin")
            doc, _ = changed_doc()
            assert "已发布" in _publish(admin, _upload_via(admin, doc))

            # the other process, never restarted, offers the new version at once
            for phone in phones:
                fresh = phone.checklist()
                assert fresh["version"] == "2027.1" and fresh["hash"] != old["hash"]
            # and the inspection started on the old version is received with it
            phones[1].send_upload(started)

            # two clerks, each having read the differences against 2027.1, publish two
            # versions at the same moment, one through each process: one is published, the
            # other is told that the current version changed meanwhile (never a silent
            # replacement), and both processes agree which version is current
            other = live_server.Client(base_b)
            other.login("admin")
            actions = []
            for clerk, label in ((admin, "2027.2"), (other, "2027.3")):
                doc["version"] = label
                action = _upload_via(clerk, doc)
                html = clerk.get(action.removesuffix("/publish")).decode()
                assert "2027.1" in html  # the difference is read against 2027.1
                actions.append((clerk, action))
            start = threading.Barrier(2)
            pages: list[str] = []

            def publish(clerk, action):
                start.wait()
                pages.append(_publish(clerk, action))

            threads = [threading.Thread(target=publish, args=a) for a in actions]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted("已发布" in p for p in pages) == [False, True]
            assert any("已有人发布了这份检查单的另一个版本" in p for p in pages)
            offered = {phone.checklist()["hash"] for phone in phones}
        finally:
            second.stop()
    finally:
        first.stop()
    from inspect_app.storage.db import open_database

    db = open_database(instance.database)
    try:
        hashes = [r["checklist_hash"] for r in db.query("SELECT checklist_hash FROM inspections")]
        assert hashes == [old["hash"]]
        current = db.execute(
            "SELECT current_hash FROM checklist_library WHERE checklist_id = 'fupin_comprehensive'"
        ).fetchone()[0]
        assert offered == {current}
        published = [
            r["version"]
            for r in db.query(
                """SELECT v.version FROM checklist_publications p
                     JOIN checklist_versions v ON v.hash = p.hash
                    WHERE p.checklist_id = 'fupin_comprehensive' ORDER BY p.id"""
            )
        ]
        assert published[1:2] == ["2027.1"] and len(published) == 3
        assert published[2] in ("2027.2", "2027.3")
        assert (
            published[-1]
            == db.execute(
                "SELECT version FROM checklist_versions WHERE hash = ?", [current]
            ).fetchone()[0]
        )
    finally:
        db.close()


def test_a_version_stored_without_its_source_still_downloads_as_itself(app, db, login, county):
    """Versions stored before the library kept sources are written back from their compiled
    form, and only served when that gives the same hash."""
    version = current_hash(app, "canteen_special")
    with db.conn:
        db.execute("DELETE FROM checklist_sources WHERE hash = ?", [version])
    bureau = login("bureau")
    book = bureau.get(f"/library/versions/{version}.xlsx")
    assert book.status_code == 200
    checklist, errors = wb.check_workbook(book.data)
    assert not errors and checklist is not None and checklist.hash == version
    text = bureau.get(f"/library/versions/{version}.yaml").get_data(as_text=True)
    assert yaml.safe_load(text)["id"] == "canteen_special"


def test_every_kind_of_workbook_mistake_is_shown_on_the_upload_page(login, county):
    """The 26 mistakes of tests/test_workbook.py, uploaded through the app: each page names
    the sheet, row and column, and offers no publish button."""
    from tests.test_workbook import MISTAKES

    bureau = login("bureau")
    for name, change, expected in MISTAKES:
        book = load_workbook(io.BytesIO(wb.template_workbook()))
        change(book)
        out = io.BytesIO()
        book.save(out)
        page = bureau.get(f"/library/uploads/{upload_id(upload(bureau, out.getvalue(), 'x.xlsx'))}")
        html = page.get_data(as_text=True)
        items = [
            re.sub(r"<[^>]+>", "", li)
            for li in re.findall(r"<li>(.*?)</li>", html.split('id="upload-errors"')[1], re.S)
        ]
        import html as html_lib

        items = [html_lib.unescape(i) for i in items]
        assert page.status_code == 422, name
        assert any(i.startswith(expected) for i in items), (name, items)
        assert 'id="publish-button"' not in html, name


def test_a_new_checklist_is_published_and_offered(app, login, county):
    bureau, inspector = login("bureau"), login("insp")
    uid = upload_id(upload(bureau, wb.template_workbook(), "模板.xlsx"))
    html = bureau.get(f"/library/uploads/{uid}").get_data(as_text=True)
    assert "新的检查单：2 个部分、6 个条目" in html
    bureau.post(f"/library/uploads/{uid}/publish")
    offered = {c["id"]: c for c in inspector.get("/api/bootstrap").get_json()["checklists"]}
    assert offered["new_checklist"]["title"] == "某某专项督导检查单"
    listing = bureau.get("/library/").get_data(as_text=True)
    assert "某某专项督导检查单" in listing and "已用于 0 次检查" in listing


def test_publishing_after_someone_else_published_is_refused_until_the_diff_is_read_again(
    app, login, county
):
    first, second = login("bureau"), login("admin")
    doc, _ = changed_doc()
    mine = upload_id(upload(first, wb.to_workbook(doc), "a.xlsx"))
    doc["version"] = "2027.9"
    theirs = upload_id(upload(second, wb.to_workbook(doc), "b.xlsx"))
    read = {}
    for user, uid in ((first, mine), (second, theirs)):
        html = user.get(f"/library/uploads/{uid}").get_data(as_text=True)
        read[uid] = re.search(r'name="compared_with" value="(\w*)"', html).group(1)
    before = current_hash(app)
    assert read[mine] == read[theirs] == before
    first.post(f"/library/uploads/{mine}/publish", data={"compared_with": read[mine]})
    published = current_hash(app)
    assert published != before
    refused = second.post(
        f"/library/uploads/{theirs}/publish", data={"compared_with": read[theirs]}
    )
    page = second.get(refused.headers["Location"]).get_data(as_text=True)
    assert "已有人发布了这份检查单的另一个版本" in page
    assert current_hash(app) == published
    # read again, the differences are against the new current version, and it publishes
    assert f'name="compared_with" value="{published}"' in page
    second.post(f"/library/uploads/{theirs}/publish", data={"compared_with": published})
    assert current_hash(app) != published


SURVEY_SOURCE = ROOT / "checklists" / "surveys" / "parent_satisfaction.yaml"


def revised_survey() -> dict:
    """The shipped parent questionnaire as a bureau would revise it: one more question."""
    doc = yaml.safe_load(SURVEY_SOURCE.read_text(encoding="utf-8"))
    doc["version"] = "2027.1"
    doc["sections"][0]["items"].append(
        {"id": "aid_on_time", "type": "choice", "label": "资助款是否按时发放到位？",
         "choices": [{"value": "yes", "label": "按时"}, {"value": "no", "label": "不按时"}]}
    )  # fmt: skip
    return doc


def open_round(bureau, survey_id: str) -> int:
    period = bureau.page("/bureau/surveys/").select_one("#period option")["value"]
    response = bureau.post(
        "/bureau/surveys/", {"survey": survey_id, "period": period, "all_schools": "1"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def test_a_survey_is_published_through_the_library_and_only_later_rounds_use_it(
    app, db, login, county
):
    from inspect_app.storage import surveys as stored_surveys

    bureau = login("bureau")
    with app.app_context():
        shipped = catalog.surveys()["parent_satisfaction"].hash
    listing = bureau.get("/library/").get_data(as_text=True)
    assert 'href="/library/surveys/parent_satisfaction"' in listing
    before = open_round(bureau, "parent_satisfaction")  # a round open before the publication

    uid = upload_id(upload(bureau, wb.to_workbook(revised_survey()), "家长问卷2027.xlsx"))
    page = bureau.get(f"/library/uploads/{uid}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:1000]
    assert "新增 1 个条目" in html and "「资助款是否按时发放到位？」" in html
    assert "之后开启的满意度测评使用这个版本" in html
    # the preview frame is the respondents' own answer page, in preview mode
    phone = bureau.get(f"/library/uploads/{uid}/phone?school={county['school_a']}")
    text = phone.get_data(as_text=True)
    assert phone.status_code == 200 and "资助款是否按时发放到位？" in text
    assert "预览，不会保存" in text and '"preview":true' in text
    assert "/static/js/survey.js" in text and phone.headers["X-Frame-Options"] == "SAMEORIGIN"

    done = bureau.post(f"/library/uploads/{uid}/publish")
    assert done.headers["Location"].endswith("/library/surveys/parent_satisfaction")
    detail = bureau.get(done.headers["Location"]).get_data(as_text=True)
    assert "已发布第 2 版（版本号 2027.1" in detail and "已开启的测评仍使用原来的版本" in detail
    with app.app_context():
        published = catalog.surveys()["parent_satisfaction"].hash
        # never offered to phones as an inspection
        assert "parent_satisfaction" not in catalog.current()
    assert published != shipped
    # the round opened before keeps its version; one opened now uses the published one
    option = bureau.page("/bureau/surveys/").select_one('option[value="parent_satisfaction"]')
    assert option.get_text().endswith("· 版本号 2027.1")
    after = open_round(bureau, "parent_satisfaction")
    hashes = {r["id"]: r["survey_hash"] for r in stored_surveys.rounds(db)}
    assert hashes[before] == shipped and hashes[after] == published
    code = {rid: stored_surveys.round_schools(db, rid)[0]["code"] for rid in (before, after)}
    anonymous = login()
    assert "资助款是否按时发放到位" not in anonymous.get(f"/s/{code[before]}").get_data(
        as_text=True
    )
    assert "资助款是否按时发放到位" in anonymous.get(f"/s/{code[after]}").get_data(as_text=True)
    # the versions list, downloads of a survey version round-trip to its hash
    assert "第 2 版" in detail and "测评轮次" in detail
    book = bureau.get(f"/library/versions/{published}.xlsx")
    checklist, errors = wb.check_workbook(book.data)
    assert errors == [] and checklist is not None and checklist.hash == published
    # the original is the clerk's own upload, byte for byte
    assert (
        bureau.get(f"/library/versions/{published}/original").data
        == (
            next(db.query("SELECT original FROM checklist_uploads WHERE id = ?", [uid]))["original"]
        )
    )
    assert bureau.get(f"/library/versions/{published}/preview").status_code == 200

    # retired: no new round can be opened with it; restored: it can again
    bureau.post("/library/surveys/parent_satisfaction/retire")
    with app.app_context():
        assert "parent_satisfaction" not in catalog.surveys()
    round_page = bureau.page("/bureau/surveys/")
    assert round_page.select_one('option[value="parent_satisfaction"]') is None
    period = round_page.select_one("#period option")["value"]
    refused = bureau.post("/bureau/surveys/", {"survey": "parent_satisfaction", "all_schools": "1",
                                               "period": period})  # fmt: skip
    assert refused.status_code == 400
    assert '<p class="error">请选择问卷</p>' in refused.get_data(as_text=True)
    bureau.post("/library/surveys/parent_satisfaction/restore")
    with app.app_context():
        assert catalog.surveys()["parent_satisfaction"].hash == published
    actions = [r["action"] for r in audit.recent(db) if r["target"] == "parent_satisfaction"]
    assert actions[:3] == ["survey.restore", "survey.retire", "survey.publish"]
    history = bureau.get("/library/surveys/parent_satisfaction").get_data(as_text=True)
    assert "恢复" in history and "停用" in history


def test_a_publication_is_told_as_a_numbered_version_with_its_date(app, db, login, county):
    bureau = login("bureau")
    before = bureau.get("/library/checklists/fupin_comprehensive").get_data(as_text=True)
    # the shipped file is the checklist's first version
    assert "当前为第 1 版（版本号 2026" in before
    doc, _ = changed_doc()
    uid = upload_id(upload(bureau, wb.to_workbook(doc), "扶贫2027.xlsx"))
    assert "（当前第 1 版，版本号 2026" in bureau.get(f"/library/uploads/{uid}").get_data(
        as_text=True
    )
    done = bureau.post(f"/library/uploads/{uid}/publish")
    page = bureau.get(done.headers["Location"]).get_data(as_text=True)
    from inspect_app.common.clock import today_in_china

    new = current_hash(app)
    flash = re.search(r"已发布第 (\d+) 版（版本号 ([^，]+)，([\d-]+)）：[^<]*内容哈希 (\w+)", page)
    assert flash is not None, page[:2000]
    assert flash.groups() == ("2", "2027.1", today_in_china().isoformat(), new[:12])
    assert "当前为第 2 版（版本号 2027.1" in page
    numbers = re.findall(
        r'data-hash="(\w+)">\s*<td><strong class="version-number">第 (\d) 版', page
    )
    assert dict(numbers)[new] == "2" and len(numbers) == 2
    assert "当前第 2 版（版本号 2027.1）" in bureau.get("/library/").get_data(as_text=True)


def test_the_uploaded_file_downloads_back_as_it_was_uploaded(app, db, login, county):
    bureau = login("bureau")
    doc, _ = changed_doc()
    original = wb.to_workbook(doc)
    uid = upload_id(upload(bureau, original, "扶贫 2027（修订）.xlsx"))
    page = bureau.get(f"/library/uploads/{uid}").get_data(as_text=True)
    assert f'href="/library/uploads/{uid}/original"' in page
    bureau.post(f"/library/uploads/{uid}/publish")
    new = current_hash(app)
    listing = bureau.get("/library/checklists/fupin_comprehensive").get_data(as_text=True)
    assert f'href="/library/versions/{new}/original"' in listing
    assert "原始文件（扶贫 2027（修订）.xlsx）" in listing
    got = bureau.get(f"/library/versions/{new}/original")
    assert got.status_code == 200 and got.data == original  # byte for byte
    assert got.headers["Content-Type"] == wb.XLSX_MIME
    assert "filename*=UTF-8''%E6%89%B6%E8%B4%AB" in got.headers["Content-Disposition"]
    # the version that came with the system's files: its original is the file itself
    shipped = next(r for r in re.findall(r'data-hash="(\w+)"', listing) if r != new)
    file_copy = bureau.get(f"/library/versions/{shipped}/original")
    assert file_copy.data == SOURCE.read_bytes()
    # a broken upload's own file downloads too, so the clerk can fix the file they sent
    broken = upload_id(upload(bureau, b"id: [unclosed", "坏.yaml"))
    assert bureau.get(f"/library/uploads/{broken}/original").data == b"id: [unclosed"
    assert bureau.get("/library/versions/0000/original").status_code == 404
    downloads = [json.loads(r["detail"])["format"] for r in audit.recent(db)
                 if r["action"] == "checklist.download"]  # fmt: skip
    assert downloads.count("original") == 3


def test_a_new_survey_is_told_as_a_survey():
    from inspect_app.checklist.diff import diff
    from inspect_app.inspections.library import check_upload

    doc = revised_survey()
    doc["id"] = "parent_satisfaction_2027"
    checked = check_upload("新问卷.yaml", yaml.safe_dump(doc, allow_unicode=True).encode())
    assert checked.errors == [] and checked.checklist is not None and checked.kind == "survey"
    assert diff(None, checked.checklist.compiled)["summary"][0].startswith("新的调查问卷：")
