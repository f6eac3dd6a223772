"""回头看: a follow-up visit sent from the phone puts each checked result on its item's timeline,
closes or returns items as the checker's right allows, is recognised when sent again, and is
refused with Chinese reasons (nothing stored) when incomplete."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from inspect_app.documents import worker
from inspect_app.rectification import notifications
from inspect_app.storage import assignments, reports, users

from . import factories
from .support import User

PUT_HEADERS = "application/json"


class Phone:
    """An inspector's phone talking to the JSON API, with a fresh CSRF token."""

    def __init__(self, app, username: str):
        self.user = User(app, username)
        self.token = self.user.get("/api/session").get_json()["csrf_token"]

    def put(self, url, data, content_type=PUT_HEADERS):
        return self.user.client.put(
            url, data=data, headers={"X-CSRFToken": self.token, "Content-Type": content_type}
        )

    def photo(self, seed: int) -> str:
        data = factories.jpeg_bytes(seed)
        sha = factories.sha256(data)
        assert self.put(f"/api/photos/{sha}", data, "image/jpeg").status_code in (200, 201)
        return sha

    def send(self, body: dict):
        return self.put(
            f"/api/followups/{body['id']}", json.dumps(body, ensure_ascii=False), PUT_HEADERS
        )


def visit(school_id: int, results: list[dict], photos: list[dict], **extra) -> dict:
    return {
        "id": factories.new_id(),
        "type": "回头看",
        "school_id": school_id,
        "date": "2026-11-25",
        "started_at": "2026-11-25T01:00:00Z",
        "phone_time": "2026-11-25T02:00:00Z",
        "location": {"latitude": 26.58, "longitude": 107.51, "accuracy": 12},
        "results": results,
        "photos": photos,
        "signatures": {
            "inspector": {"name": "测试insp", "png": factories.signature_uri()},
            "school": {"name": "孙德明", "title": "校长", "png": factories.signature_uri()},
        },
        "school_absent_reason": "",
        **extra,
    }


def pdf_to_text(pdf: bytes, folder) -> str:
    path = folder / "record.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode()


def issue_records(app, db) -> int:
    """The document worker's idle passes: the 回头看记录 of received visits, one per pass."""
    w = worker.Worker(app.config, "test-followup")
    n = 0
    while w.followup_records(db):
        n += 1
    return n


def item_row(db, rid: int) -> dict:
    return next(db.query("SELECT * FROM rectifications WHERE id = ?", [rid]))


def events(db, rid: int, kind: str = "followup") -> list[dict]:
    return list(
        db.query(
            "SELECT * FROM rectification_events WHERE rectification_id = ? AND kind = ? ORDER BY id",
            [rid, kind],
        )
    )


@pytest.fixture
def found(receive, frozen):
    """A failing inspection of school A by ``insp`` (its reviewer): its open items."""
    frozen("2026-11-25")
    _, rows = receive("school_a")
    assert len(rows) >= 4
    return rows


def test_reviewer_visit_closes_fixed_keeps_the_rest_and_shows_on_timelines(
    app, db, county, found, tmp_path
):
    phone = Phone(app, "insp")
    first, second, third = found[:3]
    # The school had answered the third item: the site does not bear it out.
    db.execute("UPDATE rectifications SET status = 'submitted' WHERE id = ?", [third["id"]])
    # The school answered a fourth with a photo: the phone takes that along too.
    fourth = found[3]
    school = User(app, "sch_a")
    respond = f"/school/rectifications/{fourth['id']}/respond"
    version = school.page(respond).select_one("input[name=version]")["value"]
    answered = school.post(
        respond,
        {"measures": "已采购", "result": "已到位", "done_on": "2026-11-24", "version": version},
        files={"evidence": [(factories.jpeg_bytes(9), "照片.jpg")]},
    )
    assert answered.status_code == 302
    pack = phone.user.get(f"/api/followups/schools/{county['school_a']}").get_json()
    assert {i["id"] for i in pack["items"]} >= {first["id"], second["id"], third["id"]}
    assert all(i["may_decide"] for i in pack["items"])
    # 整改前 and 整改后 for the phone to keep: the finding's photo, the school's evidence image.
    files = f"/api/followups/schools/{county['school_a']}/files"
    before = next(i for i in pack["items"] if i["finding_photos"])["finding_photos"][0]
    [after] = next(i for i in pack["items"] if i["id"] == fourth["id"])["reply"]["photos"]
    for sha in (before, after):
        got = phone.user.get(f"{files}/{sha}")
        assert (got.status_code, got.mimetype) == (200, "image/jpeg")
    assert phone.user.get(f"{files}/{factories.sha256(b'x')}").status_code == 404
    sha = phone.photo(40)
    body = visit(
        county["school_a"],
        [
            {"rectification_id": first["id"], "result": "fixed", "note": "图书已补齐并登记上架"},
            {"rectification_id": second["id"], "result": "not_fixed", "note": "资金未到位"},
            {"rectification_id": third["id"], "result": "partial", "note": "只完成一半"},
        ],
        [{"sha256": sha, "item": first["id"], "caption": "回头看"}],
    )
    response = phone.send(body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["fixed"] == 1 and response.get_json()["not_fixed"] == 1

    closed = item_row(db, first["id"])
    assert (closed["status"], closed["closed_by"]) == ("closed", county["insp"])
    assert item_row(db, second["id"])["status"] == "pending"
    assert item_row(db, third["id"])["status"] == "returned"
    [entry] = events(db, first["id"])
    assert entry["text"].startswith("已整改（现场核实）：图书已补齐")
    assert json.loads(entry["data"])["outcome"] == "现场核实通过，销号"
    [evidence] = json.loads(entry["evidence"])
    assert events(db, second["id"])[0]["text"] == "未整改：资金未到位"

    # The school sees the results on its items' timelines, the photo included.
    page = school.page(f"/school/rectifications/{first['id']}")
    timeline = page.select_one("ol.timeline li.kind-followup")
    assert "回头看核实" in timeline.get_text() and "图书已补齐" in timeline.get_text()
    assert school.get(f"/school/evidence/{evidence['sha256']}").status_code == 200
    text = school.page(f"/school/rectifications/{second['id']}").get_text()
    assert "未整改：资金未到位" in text
    # The visit's record, for its inspector.
    record = phone.user.page(response.get_json()["report_url"])
    assert "已整改 1 个，部分整改 1 个，未整改 1 个" in record.select_one("[data-summary]").text
    assert record.select_one("#record-pdf").text == "PDF 记录正在生成"
    waiting = phone.user.get(record.select_one("#record-pdf")["href"])
    assert waiting.status_code == 202 and "回头看记录正在生成" in waiting.get_data(as_text=True)
    assert issue_records(app, db) == 1
    pdf = phone.user.get(record.select_one("#record-pdf")["href"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    pdf_text = pdf_to_text(pdf.data, tmp_path)
    assert "整改回头看记录" in pdf_text and "资金未到位" in pdf_text and "孙德明" in pdf_text

    # The same visit again (a lost confirmation, a second tap): recognised, nothing re-applied.
    again = phone.send({**body, "phone_time": "2026-11-25T03:00:00Z"})
    assert again.status_code == 200
    assert len(events(db, first["id"])) == 1 and len(events(db, second["id"])) == 1
    # A different visit under the same id is a conflict, not an overwrite.
    body["results"][1]["note"] = "改过的原因"
    conflict = phone.send(body)
    assert conflict.status_code == 409 and "内容与本次不同" in conflict.get_json()["message"]
    assert db.execute("SELECT count(*) FROM followup_visits").fetchone()[0] == 1


def test_incomplete_visit_is_refused_in_chinese_and_nothing_is_stored(app, db, county, found):
    phone = Phone(app, "insp")
    first, second = found[:2]
    body = visit(
        county["school_a"],
        [
            {"rectification_id": first["id"], "result": "fixed", "note": "已整改"},
            {"rectification_id": second["id"], "result": "not_fixed", "note": "  "},
        ],
        [],
        signatures={"inspector": {"name": "测试insp", "png": factories.signature_uri()}},
    )
    response = phone.send(body)
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert "至少拍摄一张现场照片" in fields[f"results.{first['id']}.photos"]
    assert "请填写未整改原因" in fields[f"results.{second['id']}.note"]
    assert "未签名的原因" in fields["signatures.school"]
    # The school's representative away: a reason instead of a signature is accepted.
    body["school_absent_reason"] = "校长外出开会"
    body["results"] = [{"rectification_id": second["id"], "result": "maybe", "note": "x"}]
    fields = phone.send(body).get_json()["fields"]
    assert set(fields) == {f"results.{second['id']}.result"}
    assert "已整改、部分整改或未整改" in fields[f"results.{second['id']}.result"]
    # An item of another school cannot be checked here.
    body["results"] = [{"rectification_id": 999999, "result": "not_fixed", "note": "x"}]
    assert phone.send(body).get_json()["fields"]["results.999999"] == "该整改事项不属于本校"
    # A visit dated before the inspection that found the problem is not a visit to it.
    body["results"] = [{"rectification_id": second["id"], "result": "not_fixed", "note": "x"}]
    body["date"] = "2020-01-01"
    assert (
        "早于发现该问题的检查日期"
        in phone.send(body).get_json()["fields"][f"results.{second['id']}"]
    )
    body["date"] = "2026-11-25"
    # A photo the phone never uploaded: the phone is told which to send first.
    body["results"] = [{"rectification_id": first["id"], "result": "fixed", "note": "好"}]
    body["photos"] = [{"sha256": factories.sha256(b"never sent"), "item": first["id"]}]
    missing = phone.send(body).get_json()
    assert missing["missing_photos"] == [factories.sha256(b"never sent")]
    assert db.execute("SELECT count(*) FROM followup_visits").fetchone()[0] == 0
    assert not events(db, first["id"]) and item_row(db, first["id"])["status"] == "pending"
    assert phone.put(f"/api/followups/{body['id']}", b"not json").status_code == 400


def test_who_may_go_back_and_what_anothers_check_does(app, db, county, found, frozen):
    password = db.execute("SELECT password_hash FROM users WHERE username = 'insp'").fetchone()[0]
    other = users.create(
        db, username="insp2", display_name="测试insp2", role="inspector", password_hash=password
    )
    school = county["school_a"]
    phone = Phone(app, "insp2")
    # Neither planned for the school nor the reviewer of its items: refused, in Chinese.
    refused = phone.user.get(f"/api/followups/schools/{school}")
    assert refused.status_code == 403 and "不在您的督导计划内" in refused.get_json()["message"]
    assert phone.user.get("/api/followups").get_json()["schools"] == []
    body = visit(
        school, [{"rectification_id": found[1]["id"], "result": "not_fixed", "note": "x"}], []
    )
    refused = phone.send(body)
    assert refused.status_code == 422 and "不能对其回头看" in refused.get_json()["message"]
    assert User(app, "sch_a").get("/api/followups").status_code == 403

    # Planned for it (责任督学) but not the reviewer: a verified fix goes to the reviewer.
    assignments.assign(db, other, school, "2026-09-01", "2027-03-15")
    listed = phone.user.get("/api/followups").get_json()["schools"]
    assert [(s["school_id"], s["assigned"]) for s in listed] == [(school, True)]
    pack = phone.user.get(f"/api/followups/schools/{school}").get_json()
    assert not any(i["may_decide"] for i in pack["items"])
    # Made on 2027-03-01, in the plan's period, and sent after it ended (it waited in the
    # outbox): still accepted. By then every deadline has passed.
    frozen("2027-04-01")
    sha = phone.photo(41)
    first, second = found[:2]
    body = visit(
        school,
        [
            {"rectification_id": first["id"], "result": "fixed", "note": "已整改到位"},
            {"rectification_id": second["id"], "result": "not_fixed", "note": "尚未动工"},
        ],
        [{"sha256": sha, "item": first["id"]}],
        date="2027-03-01",
    )
    assert phone.send(body).status_code == 201
    assert item_row(db, first["id"])["status"] == "submitted"
    assert json.loads(events(db, first["id"])[0]["data"])["outcome"] == "待复查人销号"
    # Not fixed past the deadline: still open, still overdue, and the timeline says so; the
    # daily escalation raises it, and leaves the one now before its reviewer to the reviewer.
    assert item_row(db, second["id"])["status"] == "pending"
    assert "已逾期" in events(db, second["id"])[0]["text"]
    notifications.run_escalations(db, date(2027, 3, 1))
    assert events(db, second["id"], "escalate"), "an overdue item not fixed is escalated"
    notice = next(
        db.query("SELECT * FROM notifications WHERE user_id = ? ORDER BY id DESC", [county["insp"]])
    )
    assert "回头看现场核实已整改" in notice["text"]
    # The reviewer sees it in the queue and the school's overdue list keeps the open one.
    queue = User(app, "insp").page("/review/").get_text()
    assert first["problem"][:10] in queue
    # The reviewer decides with the site check above the buttons, the record one tap away.
    visit_url = f"/review/followups/{body['id']}"
    reviewer = User(app, "insp")
    check = reviewer.page(f"/review/rectifications/{first['id']}").select_one("#followup-check")
    assert "已整改（现场核实）" in check.h3.get_text() and "测试insp2" in check.h3.get_text()
    assert check.select_one(".shots img") is not None
    assert check.select_one("a[href$='" + body["id"] + "']")["href"] == visit_url
    assert reviewer.get(visit_url).status_code == 200
    # An inspector with no part in the visit may not read it.
    users.create(
        db, username="insp3", display_name="测试insp3", role="inspector", password_hash=password
    )
    assert User(app, "insp3").get(visit_url).status_code == 403
    bureau = User(app, "bureau")
    assert bureau.get(visit_url).status_code == 200
    # The bureau's page of the school lists its 回头看 visits.
    listed = bureau.page(f"/review/schools/{school}").select_one("#followups")
    assert "2027-03-01 · 督学 测试insp2" in listed.get_text()
    assert listed.select_one("a")["href"] == visit_url


def test_a_phone_that_never_reaches_the_server_is_imported_from_its_backup(
    app, db, county, found, tmp_path
):
    """「导出备份」 of a 回头看 in the outbox, loaded with ``flask import-backup`` (photos included)."""
    photo = factories.jpeg_bytes(42)
    first = found[0]
    body = visit(
        county["school_a"],
        [{"rectification_id": first["id"], "result": "fixed", "note": "现场核实已整改"}],
        [{"sha256": factories.sha256(photo), "item": first["id"]}],
    )
    backup = {
        "format": "inspect_app.outbox_backup",
        "format_version": 1,
        "inspection": body,
        "photos": [
            {"sha256": factories.sha256(photo), "item": first["id"],
             "data_base64": base64.b64encode(photo).decode()}
        ],
    }  # fmt: skip
    path = tmp_path / "回头看备份.json"
    path.write_text(json.dumps(backup, ensure_ascii=False), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-backup", str(path), "--user", "insp"])
    assert result.exit_code == 0, result.output
    assert "已导入：回头看 东镇中心小学" in result.output and "已整改 1 个" in result.output
    assert item_row(db, first["id"])["status"] == "closed"
    again = runner.invoke(args=["import-backup", str(path), "--user", "insp"])
    assert again.exit_code == 0 and "无需重复导入" in again.output
    assert len(events(db, first["id"])) == 1


def test_the_same_visit_sent_at_once_from_two_connections_is_stored_once(app, db, county, found):
    """A double tap, or the page and the service worker flushing together: one visit, one entry
    per item, every answer a success the phone can drop its copy on."""
    phones = [Phone(app, "insp") for _ in range(4)]
    sha = phones[0].photo(43)
    for phone in phones[1:]:
        phone.photo(43)  # each connection's user is the same inspector: already theirs
    first = found[0]
    body = visit(
        county["school_a"],
        [{"rectification_id": first["id"], "result": "fixed", "note": "现场核实已整改"}],
        [{"sha256": sha, "item": first["id"]}],
    )
    start = threading.Barrier(len(phones))

    def send(phone):
        start.wait()
        return phone.send(body).status_code

    with ThreadPoolExecutor(len(phones)) as pool:
        codes = sorted(pool.map(send, phones))
    assert codes == [200, 200, 200, 201]
    assert db.execute("SELECT count(*) FROM followup_visits").fetchone()[0] == 1
    assert len(events(db, first["id"])) == 1


def stamp_for(sha: str, **changes) -> dict:
    """The data the phone burns into a photo and sends beside it (form.js addPhoto)."""
    return {
        "school": "", "taken_at": "2026-11-25T01:30:00Z", "latitude": 26.5801,
        "longitude": 107.5102, "accuracy": 8, "location_from_start": False,
        "location_note": "", "inspector": "", "original_sha256": sha, "original_size": 1234,
        **changes,
    }  # fmt: skip


def test_photo_stamps_are_checked_malformed_refused_doubtful_kept_and_printed(
    app, db, county, found, tmp_path
):
    phone = Phone(app, "insp")
    school = next(db.query("SELECT name FROM schools WHERE id = ?", [county["school_a"]]))["name"]
    inspector = next(db.query("SELECT display_name FROM users WHERE id = ?", [county["insp"]]))
    me = inspector["display_name"]
    first, second = found[:2]
    good, doubtful = phone.photo(41), phone.photo(42)
    results = [
        {"rectification_id": first["id"], "result": "fixed", "note": "已整改"},
        {"rectification_id": second["id"], "result": "fixed", "note": "已整改"},
    ]
    # A time that is not one and coordinates off the globe: refused with the reason, per photo.
    body = visit(
        county["school_a"],
        results,
        [
            {"sha256": good, "item": first["id"],
             "stamp": stamp_for(good, school=school, inspector=me, taken_at="昨天")},
            {"sha256": doubtful, "item": second["id"], "stamp": stamp_for(doubtful, latitude=200)},
        ],
    )  # fmt: skip
    refused = phone.send(body)
    assert refused.status_code == 422
    fields = refused.get_json()["fields"]
    assert fields["photos.1.stamp"] == "第 1 张照片的水印数据有误：拍摄时间无效"
    assert fields["photos.2.stamp"] == "第 2 张照片的水印数据有误：纬度应在 -90 到 90 之间"
    assert db.execute("SELECT count(*) FROM followup_visits").fetchone()[0] == 0
    assert item_row(db, first["id"])["status"] == "pending"

    # Well formed: one as it should be, one from another school, 30 km away, a day early.
    body["photos"][0]["stamp"] = stamp_for(good, school=school, inspector=me)
    body["photos"][1]["stamp"] = stamp_for(
        doubtful, school="别的学校", inspector=me, taken_at="2026-11-24T01:00:00Z",
        latitude=26.85,
    )  # fmt: skip
    response = phone.send(body)
    assert response.status_code == 201, response.get_json()
    rows = {
        r["photo_sha256"]: r
        for r in db.query("SELECT * FROM followup_photos WHERE visit_id = ?", [body["id"]])
    }
    assert json.loads(rows[good]["stamp_warnings"]) == []
    assert json.loads(rows[good]["stamp"])["taken_at"] == "2026-11-25T01:30:00Z"
    warned = json.loads(rows[doubtful]["stamp_warnings"])
    assert any("早两小时以上" in w for w in warned), warned
    assert "水印上的学校「别的学校」不是受检学校" in warned
    assert any("公里" in w for w in warned), warned
    # Both stay evidence: the items close, and the record prints the stamps and the doubts.
    assert item_row(db, second["id"])["status"] == "closed"
    record = phone.user.page(response.get_json()["report_url"])
    kept = record.select_one(f"[data-photo='{good}']").get_text()
    assert "2026-11-25 09:30（北京时间）" in kept and "±8 米" in kept and "注意" not in kept
    shown = record.select_one(f"[data-photo='{doubtful}']").get_text()
    assert "注意：水印上的学校「别的学校」不是受检学校" in shown
    issue_records(app, db)
    pdf = phone.user.get(record.select_one("#record-pdf")["href"])
    text = pdf_to_text(pdf.data, tmp_path)
    assert "2026-11-25 09:30（北京时间）" in text
    assert "不是受检学校" in " ".join(text.split())


def test_the_record_is_an_issued_document_the_school_and_its_department_may_open(
    app, db, county, found, tmp_path, client
):
    """Numbered, signed and stored once by the document worker, verifiable on /verify; the
    school visited and a department whose item was checked open it, nobody else outside."""
    phone = Phone(app, "insp")
    first, second = found[:2]
    sha = phone.photo(43)
    body = visit(
        county["school_a"],
        [
            {"rectification_id": first["id"], "result": "fixed", "note": "图书已补齐"},
            {"rectification_id": second["id"], "result": "not_fixed", "note": "资金未到位"},
        ],
        [{"sha256": sha, "item": first["id"]}],
    )
    assert phone.send(body).status_code == 201
    assert issue_records(app, db) == 1
    assert issue_records(app, db) == 0  # stored once: a later pass finds nothing to issue
    [row] = reports.for_subject(db, body["id"], "followup_record")
    assert row["doc_number"] == "青督回〔2026〕1号" and row["school_id"] == county["school_a"]
    visit_row = db.execute(
        "SELECT record_report_id FROM followup_visits WHERE id = ?", [body["id"]]
    ).fetchone()
    assert visit_row[0] == row["id"]
    stored = reports.read(app.config["REPORTS_DIR"], row)
    text = " ".join(pdf_to_text(stored, tmp_path).split())
    assert "青督回〔2026〕1号" in text and f"/verify/{row['id']}" in text

    record = f"/review/followups/{body['id']}"
    school = User(app, "sch_a")
    page = school.page(record)
    assert page.select_one("#doc-number").text == "青督回〔2026〕1号"
    pdf = school.get(f"{record}/record.pdf")
    assert pdf.status_code == 200 and pdf.data == stored  # the stored, signed copy itself
    timeline = school.page(f"/school/rectifications/{first['id']}")
    assert timeline.select_one("a.followup-record")["href"] == record
    # Another school, a department none of whose items were checked: refused.
    other = User(app, "sch_b")
    assert other.get(record).status_code == 403
    assert other.get(f"{record}/record.pdf").status_code == 403
    dept = User(app, "dept")
    assert dept.get(record).status_code == 403
    assert dept.get(f"{record}/record.pdf").status_code == 403
    db.execute("UPDATE rectifications SET unit_id = ? WHERE id = ?", [county["unit"], second["id"]])
    # A department whose item was checked reads its own item's result, and only that: the
    # school's own items, their notes and photos are not its to read, nor the signed record
    # that holds them all (as /documents/<id>.pdf refuses it too).
    seen = dept.page(record)
    assert [li["data-item"] for li in seen.select("li[data-item]")] == [str(second["id"])]
    assert "资金未到位" in seen.get_text() and "图书已补齐" not in seen.get_text()
    assert not seen.select("figure.followup-photo") and not seen.select_one("#record-pdf")
    assert "本单位核实 1 个整改事项：已整改 0 个，部分整改 0 个，未整改 1 个" in seen.get_text()
    assert dept.get(f"{record}/record.pdf").status_code == 403
    assert "本次核实 2 个整改事项：已整改 1 个，部分整改 0 个，未整改 1 个" in page.get_text()

    # The bureau's page of the school lists it among its documents, opening the record.
    listed = User(app, "bureau").page(f"/bureau/schools/{county['school_a']}")
    [entry] = [a for a in listed.select("#reports a") if "回头看记录" in a.get_text()]
    assert entry["href"] == record and "青督回〔2026〕1号" in entry.get_text()

    # The QR's page names the record; the stored file passes the upload check.
    facts = User(app, None).page(f"/verify/{row['id']}").select_one(".verify-facts")
    assert "回头看记录" in facts.get_text() and "青督回〔2026〕1号" in facts.get_text()
    assert "评定等级" not in facts.get_text()
    anon = User(app, None)
    token = anon.token()
    checked = anon.client.post(
        f"/verify/{row['id']}",
        data={"csrf_token": token, "file": (io.BytesIO(stored), "记录.pdf")},
        content_type="multipart/form-data",
    )
    assert checked.status_code == 200 and "核验通过" in checked.get_data(as_text=True)


def test_a_record_the_visit_cannot_be_marked_with_is_not_kept(app, db, county, found, monkeypatch):
    """The record and the visit's mark are one write: a failed mark leaves no document (and
    no number) behind, and the retry issues it once."""
    phone = Phone(app, "insp")
    body = visit(
        county["school_a"],
        [{"rectification_id": found[0]["id"], "result": "not_fixed", "note": "资金未到位"}],
        [],
    )
    assert phone.send(body).status_code == 201
    record = worker.followup_record

    def broken(db, visit_id, report_id):
        raise OSError("磁盘已满")

    monkeypatch.setattr(record.followups, "mark_recorded", broken)
    with pytest.raises(OSError):
        record.issue(db, app.config, body["id"])
    assert reports.for_subject(db, body["id"], "followup_record") == []
    folder = app.config["REPORTS_DIR"] + "/followup_record"
    assert not os.path.isdir(folder) or os.listdir(folder) == []
    monkeypatch.undo()
    row = record.issue(db, app.config, body["id"])
    assert row["doc_number"].endswith("1号")
    assert [r["id"] for r in reports.for_subject(db, body["id"], "followup_record")] == [row["id"]]


def test_a_record_that_fails_to_issue_is_retried_later_and_blocks_nothing(
    app, db, county, found, monkeypatch
):
    phone = Phone(app, "insp")
    first = found[0]
    body = visit(
        county["school_a"],
        [{"rectification_id": first["id"], "result": "not_fixed", "note": "资金未到位"}],
        [],
    )
    assert phone.send(body).status_code == 201
    w = worker.Worker(app.config, "test-followup")
    real = worker.followup_record.issue

    def broken(db, config, visit_id):
        raise OSError("磁盘已满")

    monkeypatch.setattr(worker.followup_record, "issue", broken)
    assert w.followup_records(db) is True and w.failed == 1
    # Waiting out its back-off: the worker goes idle instead of retrying at once.
    assert w.followup_records(db) is False
    assert reports.for_subject(db, body["id"], "followup_record") == []
    monkeypatch.setattr(worker.followup_record, "issue", real)
    [(visit_id, (retry_at, attempts))] = w._record_retry.items()
    assert visit_id == body["id"] and attempts == 1
    w._record_retry[visit_id] = (retry_at.replace(year=2000), attempts)
    assert w.followup_records(db) is True and w.issued == 1
    assert len(reports.for_subject(db, body["id"], "followup_record")) == 1
