"""The phone's sync API: idempotent inspections and photos, JSON errors, expired logins."""

import io
import json
import os
from pathlib import Path

import pytest

from inspect_app.checklist import score
from inspect_app.inspections import catalog
from inspect_app.storage import inspections, media, schools
from inspect_app.storage.files import write_file

from . import factories
from .support import csrf_token


@pytest.fixture
def api(client, auth, county):
    auth.login("insp")
    token = client.get("/api/session").get_json()["csrf_token"]

    class Api:
        def put(self, url, body=None, data=None, **headers):
            if body is not None:
                data = json.dumps(body, ensure_ascii=False)
            return client.put(url, data=data, headers={"X-CSRFToken": token, **headers})

        def get(self, url):
            return client.get(url)

    return Api()


@pytest.fixture
def checklist(app):
    with app.app_context():
        return catalog.current()["fupin_comprehensive"].compiled


def upload(api, data: bytes):
    return api.put(
        f"/api/photos/{factories.sha256(data)}", data=data, **{"Content-Type": "image/jpeg"}
    )


def test_session_gives_a_fresh_csrf_token(client, auth, county):
    assert client.get("/api/session").status_code == 401
    auth.login("insp")
    body = client.get("/api/session").get_json()
    assert body["user"]["username"] == "insp" and len(body["csrf_token"]) > 20


def test_bootstrap_lists_schools_and_checklists(api, checklist):
    body = api.get("/api/bootstrap").get_json()
    assert {s["name"] for s in body["schools"]} == {
        "东镇中心小学",
        "西乡初级中学",
        "西乡石桥教学点",
    }
    assert "fupin_comprehensive" in {c["id"] for c in body["checklists"]}
    assert body["inspection_types"] == ["综合督导", "专项督查", "随机走访", "明查", "暗访"]
    compiled = api.get(f"/api/checklists/{checklist['hash']}")
    assert compiled.get_json()["hash"] == checklist["hash"]
    assert "immutable" in compiled.headers["Cache-Control"]


def test_new_same_and_conflicting_inspection(api, county, checklist, db):
    body = factories.payload(county["school_a"], checklist)
    first = api.put(f"/api/inspections/{body['id']}", body)
    assert first.status_code == 201, first.get_json()
    again = api.put(f"/api/inspections/{body['id']}", body)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    changed = {**body, "type": "暗访"}
    conflict = api.put(f"/api/inspections/{body['id']}", changed)
    assert conflict.status_code == 409 and conflict.get_json()["error"] == "数据冲突"
    assert db["inspections"].count == 1


def test_server_score_is_stored_and_matches_engine(api, county, checklist, db):
    body = factories.payload(county["school_b"], checklist, passing=False)
    school = schools.as_scoring_school(schools.get(db, county["school_b"]))
    expected = score(checklist, school, body["responses"])
    body["client_result"] = expected
    response = api.put(f"/api/inspections/{body['id']}", body)
    assert response.status_code == 201
    row = inspections.get(db, body["id"])
    assert row["total"] == expected["total"] and row["grade"] == expected["grade"]
    assert json.loads(row["client_mismatch"]) == {}
    assert row["findings"] == len(expected["findings"]) > 0
    stored = inspections.answers(db, body["id"])
    some_item = next(iter(body["responses"]["answers"]))
    assert stored[some_item]["value"] == body["responses"]["answers"][some_item]


def test_client_score_difference_is_recorded(api, county, checklist, db):
    body = factories.payload(county["school_a"], checklist)
    body["client_result"] = {"total": 1.0, "grade": "不合格", "vetoed": False, "items": {}}
    assert api.put(f"/api/inspections/{body['id']}", body).status_code == 201
    mismatch = json.loads(inspections.get(db, body["id"])["client_mismatch"])
    assert mismatch["total"]["client"] == 1.0 and mismatch["grade"]["client"] == "不合格"


def test_photos_are_idempotent_and_required_before_the_inspection(api, county, checklist, db):
    photo = factories.jpeg_bytes(1)
    body = factories.payload(county["school_a"], checklist, photos=[factories.sha256(photo)])
    early = api.put(f"/api/inspections/{body['id']}", body)
    assert early.status_code == 422
    assert early.get_json()["missing_photos"] == [factories.sha256(photo)]
    assert upload(api, photo).status_code == 201
    assert upload(api, photo).status_code == 200
    assert api.put(f"/api/inspections/{body['id']}", body).status_code == 201
    assert [p["photo_sha256"] for p in inspections.photos(db, body["id"])] == [
        factories.sha256(photo)
    ]
    served = api.get(f"/api/photos/{factories.sha256(photo)}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"


def test_truncated_fake_and_oversized_photos_refused(api, client):
    photo = factories.jpeg_bytes(2)
    truncated = api.put(f"/api/photos/{factories.sha256(photo)}", data=photo[:1000])
    assert truncated.status_code == 400 and "不完整" in truncated.get_json()["message"]
    fake = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    response = upload(api, fake)
    assert response.status_code == 415 and "不是有效的图片" in response.get_json()["message"]
    huge = b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024 + 10)
    response = upload(api, huge)
    assert response.status_code == 413 and "照片不能超过 10 MB" in response.get_json()["message"]
    # refused by its length, before the body is read into memory (the evidence forms' cap
    # for a whole request is ten times a photo's)
    body = io.BytesIO(huge)
    token = client.get("/api/session").get_json()["csrf_token"]
    response = client.put(
        f"/api/photos/{factories.sha256(huge)}", input_stream=body,
        headers={"Content-Length": str(len(huge)), "Content-Type": "image/jpeg",
                 "X-CSRFToken": token},
    )  # fmt: skip
    assert response.status_code == 413 and body.tell() < 1024 * 1024


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"school_id": 9999}, "school_id", "学校不存在"),
        ({"checklist_hash": "0" * 64}, "checklist_hash", "检查单版本不存在"),
        ({"type": "闲逛"}, "type", "检查类型应为"),
        ({"date": "2026-13-01"}, "date", "YYYY-MM-DD"),
        ({"location": None, "location_note": ""}, "location", "未获取定位时须填写原因"),
    ],
)
def test_bad_payload_fields_are_named(api, county, checklist, change, field, message):
    body = {**factories.payload(county["school_a"], checklist), **change}
    response = api.put(f"/api/inspections/{body['id']}", body)
    assert response.status_code == 422
    assert message in response.get_json()["fields"][field]


def test_blank_signature_refused(api, county, checklist, db):
    body = factories.payload(county["school_a"], checklist)
    body["signatures"]["school"]["png"] = factories.signature_uri(ink=False)
    response = api.put(f"/api/inspections/{body['id']}", body)
    assert response.status_code == 422
    assert (
        response.get_json()["fields"]["signatures.school"] == "学校代表签名：签名为空，请重新签名。"
    )
    assert db["inspections"].count == 0


def test_wrong_answer_types_refused(api, county, checklist):
    body = factories.payload(county["school_a"], checklist)
    yesno = next(i for s in checklist["sections"] for i in s["items"] if i["type"] == "yesno")
    body["responses"]["answers"][yesno["id"]] = "maybe"
    body["responses"]["answers"]["no_such_item"] = 1
    fields = api.put(f"/api/inspections/{body['id']}", body).get_json()["fields"]
    assert fields["answers.no_such_item"] == "检查单中没有该条目"
    assert fields[f"answers.{yesno['id']}"].endswith("应为「是」或「否」")


def test_not_json_is_a_clear_400(api):
    response = api.put(f"/api/inspections/{factories.new_id()}", data="{not json")
    assert (
        response.status_code == 400
        and response.get_json()["message"] == "提交的内容不是有效的检查数据。"
    )


def test_expired_login_is_401_json_not_a_redirect(client, county, checklist):
    body = factories.payload(county["school_a"], checklist)
    response = client.put(f"/api/inspections/{body['id']}", json=body)
    assert response.status_code == 401
    assert response.get_json()["error"] == "需要登录"


def test_missing_csrf_token_is_json_400(client, auth, county, checklist):
    auth.login("insp")
    body = factories.payload(county["school_a"], checklist)
    response = client.put(f"/api/inspections/{body['id']}", json=body)
    assert response.status_code == 400 and response.get_json()["error"] == "安全校验失败"


def test_school_account_cannot_submit(client, auth, county, checklist):
    auth.login("sch_a")
    token = csrf_token(client, "/")
    body = factories.payload(county["school_a"], checklist)
    response = client.put(
        f"/api/inspections/{body['id']}", json=body, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 403


def test_findings_open_rectification_items_with_inspector_edits(api, county, checklist, db):
    body = factories.payload(county["school_b"], checklist, passing=False)
    school = schools.as_scoring_school(schools.get(db, county["school_b"]))
    drafts = score(checklist, school, body["responses"])["rectifications"]
    assert len(drafts) >= 2
    body["rectifications"] = [
        {
            "item": drafts[0]["item"],
            "action": "立即补建档案",
            "owner": "副校长",
            "deadline": "2026-12-01",
        }
    ]
    assert api.put(f"/api/inspections/{body['id']}", body).status_code == 201
    rows = list(
        db.query("SELECT * FROM rectifications WHERE inspection_id = ? ORDER BY seq", [body["id"]])
    )
    assert len(rows) == len(drafts)
    assert (rows[0]["action"], rows[0]["owner"], rows[0]["deadline"]) == (
        "立即补建档案",
        "副校长",
        "2026-12-01",
    )
    assert rows[1]["action"] == drafts[1]["action"] and rows[1]["status"] == "pending"
    assert rows[0]["problem"] == drafts[0]["problem"]
    events = list(
        db.query(
            "SELECT kind FROM rectification_events WHERE rectification_id = ?", [rows[0]["id"]]
        )
    )
    assert events == [{"kind": "created"}]


def test_school_is_notified_of_new_items_when_the_inspection_arrives(api, county, checklist, db):
    body = factories.payload(county["school_b"], checklist, passing=False)
    assert api.put(f"/api/inspections/{body['id']}", body).status_code == 201
    rows = list(db.query("SELECT * FROM notifications WHERE school_id = ?", [county["school_b"]]))
    opened = db.execute(
        "SELECT count(*) FROM rectifications WHERE inspection_id = ?", [body["id"]]
    ).fetchone()[0]
    assert len(rows) == 1 and f"下发整改事项 {opened} 项" in rows[0]["text"]
    assert rows[0]["link"] == f"/school/rectifications?inspection={body['id']}"


def test_previous_answers_offer_only_counts_marked_prefill(api, county, checklist, db):
    # No inspection of school A yet: nothing to offer (tests/test_photo_access.py has who may
    # read a school's history)
    assert (
        api.get(
            f"/api/schools/{county['school_a']}/previous?checklist=fupin_comprehensive"
        ).status_code
        == 404
    )
    body = factories.payload(county["school_a"], checklist)
    assert api.put(f"/api/inspections/{body['id']}", body).status_code == 201
    previous = api.get(
        f"/api/schools/{county['school_a']}/previous?checklist=fupin_comprehensive"
    ).get_json()
    marked = {i["id"] for s in checklist["sections"] for i in s["items"] if i.get("prefill")}
    assert previous["inspection_id"] == body["id"] and previous["date"] == body["date"]
    assert previous["answers"] and set(previous["answers"]) <= marked
    assert all(
        previous["answers"][k] == body["responses"]["answers"][k] for k in previous["answers"]
    )
    assert "fulltime_teachers" in previous["answers"]  # 专任教师数 rarely changes between visits


def test_previous_offers_the_sampled_files_again_for_the_re_check(api, county, checklist, db):
    # 抽样: the re-check gets the list and the seed, and the ids the server draws from them —
    # the same files the first visit checked, with those found 不合格 named.
    body = factories.payload(county["school_a"], checklist)
    ids = [f"G2015{k:04d}" for k in range(86)]
    body["responses"]["answers"]["file_sample"] = {
        "population": ids,
        "seed": 12345,
        "marks": {x: x != "G20150075" for x in ids},
    }
    assert api.put(f"/api/inspections/{body['id']}", body).status_code == 201
    previous = api.get(
        f"/api/schools/{county['school_a']}/previous?checklist=fupin_comprehensive"
    ).get_json()
    sample = previous["samples"]["file_sample"]
    assert (sample["population"], sample["seed"]) == (ids, 12345)
    assert len(sample["ids"]) == 10  # ⌈√86⌉
    assert sample["ids"][0] == "G20150075" and sample["failed"] == ["G20150075"]
    stored = json.loads(inspections.get(db, body["id"])["result"])
    assert stored["items"]["file_sample"]["sample"]["ids"] == sample["ids"]
    assert "G20150075" in stored["items"]["file_sample"]["display_value"]


def test_a_malformed_sample_list_is_refused_with_a_chinese_message(api, county, checklist):
    body = factories.payload(county["school_a"], checklist)
    body["responses"]["answers"]["file_sample"] = {"population": ["G1", "G1"], "seed": 1}
    response = api.put(f"/api/inspections/{body['id']}", body)
    assert response.status_code == 422
    assert response.get_json()["fields"]["answers.file_sample"].startswith("「抽查建档立卡学生档案")


def test_a_confirmed_photo_and_inspection_are_on_the_disk_before_the_answer(
    api, app, county, checklist, db, monkeypatch
):
    """The phone drops its copy once the server confirms: by then the photo file, the folder
    entries that name it and the database's commits have been flushed to the disk."""
    flushed: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        flushed.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    photo = factories.jpeg_bytes(7)
    assert upload(api, photo).status_code == 201
    media_dir = Path(app.config["MEDIA_DIR"])
    stored = media_dir / media.get(db, factories.sha256(photo))["path"]
    part, *folders = flushed
    # the bytes under a name of their own, then the entries down from the media folder
    assert Path(part).parent == stored.parent and part.endswith(".part")
    assert [Path(f) for f in folders] == [stored.parent, *stored.parent.parents][: len(folders)]
    assert len(folders) >= 2, "the photo's new folder was created: its entry is flushed too"
    assert stored.read_bytes() and not list(media_dir.rglob("*.part"))

    body = factories.payload(county["school_a"], checklist, photos=[factories.sha256(photo)])
    assert api.put(f"/api/inspections/{body['id']}", body).status_code == 201
    # every connection commits with a flush of the write-ahead log (FULL, not NORMAL)
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_a_file_that_cannot_be_flushed_leaves_nothing_behind(tmp_path, monkeypatch):
    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    target = tmp_path / "ab" / "photo.jpg"
    with pytest.raises(OSError, match="No space"):
        write_file(target, b"jpeg bytes")
    assert not target.exists() and list(tmp_path.rglob("*")) == [tmp_path / "ab"]
