"""Photo stamps checked on arrival, and answers set by 本部分其余项均符合 kept as such.

The phone sends each photo's stamp data (school, time, GPS with accuracy, inspector, the
original's hash) and the items it set in bulk; the server refuses what is not well formed,
keeps doubtful stamps with a warning (inspections/stamps.py says why), and the inspection
page and the report print both.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from inspect_app.documents import issuing
from inspect_app.documents.render import report_html
from inspect_app.inspections import catalog, stamps
from inspect_app.storage import inspections

from . import factories
from .support import User


@pytest.fixture
def api(client, auth, county):
    auth.login("insp")
    token = client.get("/api/session").get_json()["csrf_token"]

    class Api:
        def put(self, url, body=None, data=None, **headers):
            if body is not None:
                data = json.dumps(body, ensure_ascii=False)
            return client.put(url, data=data, headers={"X-CSRFToken": token, **headers})

    return Api()


@pytest.fixture
def checklist(app):
    with app.app_context():
        return catalog.current()["fupin_comprehensive"].compiled


PHOTO = factories.jpeg_bytes(5)


def stamp_for(**change) -> dict:
    """What form.js addPhoto sends for a photo taken at 10:30 Beijing time, mid-inspection."""
    return {
        "school": "东镇中心小学", "taken_at": "2026-11-20T02:30:00.000Z", "timezone": "Asia/Shanghai",
        "latitude": 26.58012, "longitude": 107.51034, "accuracy": 12.4, "location_from_start": False,
        "location_note": "", "inspector": "测试insp", "original_sha256": "ab" * 32,
        "original_size": 2_811_004, "stamp_height": 118, **change,
    }  # fmt: skip


def send(api, county, checklist, stamp, **overrides):
    assert api.put(
        f"/api/photos/{factories.sha256(PHOTO)}", data=PHOTO, **{"Content-Type": "image/jpeg"}
    ).status_code in (200, 201)
    body = factories.payload(
        county["school_a"], checklist, photos=[factories.sha256(PHOTO)], **overrides
    )
    body["photos"][0]["stamp"] = stamp
    return body, api.put(f"/api/inspections/{body['id']}", body)


def test_a_good_stamp_is_stored_clean_and_captioned_on_the_inspection_page(
    api, county, checklist, db, app
):
    body, response = send(api, county, checklist, stamp_for())
    assert response.status_code == 201, response.get_json()
    [photo] = inspections.photos(db, body["id"])
    stored = json.loads(photo["stamp"])
    assert stored["taken_at"] == "2026-11-20T02:30:00Z" and stored["accuracy"] == 12.4
    assert stored["original_sha256"] == "ab" * 32
    assert json.loads(photo["stamp_warnings"]) == []
    page = User(app, "insp").page(f"/inspections/{body['id']}")
    caption = page.select_one(".photos figcaption").get_text(" ", strip=True)
    assert "2026-11-20 10:30（北京时间）" in caption and "26.58012, 107.51034 ±12 米" in caption
    assert not page.select(".photo-warning")


def test_a_doubtful_stamp_is_kept_with_its_warnings_not_refused(api, county, checklist, db, app):
    # taken five hours before 开始检查, by a colleague's name, 40 km from where it started
    doubtful = stamp_for(taken_at="2026-11-19T20:00:00Z", inspector="王督学", latitude=26.9)
    body, response = send(api, county, checklist, doubtful)
    assert response.status_code == 201, response.get_json()
    [photo] = inspections.photos(db, body["id"])
    doubts = json.loads(photo["stamp_warnings"])
    assert doubts == [
        "拍摄时间（2026-11-20 04:00）比开始检查（2026-11-20 09:00）早两小时以上",
        "水印上的督学「王督学」不是上传检查的督学「测试insp」",
        "拍摄地点距开始检查的位置约 35.6 公里",
    ]
    page = User(app, "insp").page(f"/inspections/{body['id']}")
    shown = [w.get_text(strip=True) for w in page.select(".photo-warning")]
    assert shown == [f"注意：{d}" for d in doubts]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"latitude": 200.0}, "纬度应在 -90 到 90 之间"),
        ({"longitude": None}, "经纬度应同时提供"),
        ({"taken_at": "昨天下午"}, "拍摄时间无效"),
        ({"taken_at": "2026-11-20T02:30:00"}, "拍摄时间无效"),  # no zone: not the phone's
        ({"original_sha256": "x"}, "原图校验值无效"),
        ({"accuracy": "15 米"}, "定位精度应为数字"),
        ({"inspector": "名" * 51}, "督学姓名应为不超过 50 字的文字"),
    ],
)
def test_malformed_stamp_data_is_refused_with_the_reason(
    api, county, checklist, db, change, reason
):
    body, response = send(api, county, checklist, stamp_for(**change))
    assert response.status_code == 422
    assert response.get_json()["fields"] == {
        "photos.1.stamp": f"第 1 张照片的水印数据有误：{reason}"
    }
    assert inspections.get(db, body["id"]) is None


def test_doubts_about_time_school_and_a_fix_taken_at_the_start():
    clean = stamps.clean(
        stamp_for(taken_at="2026-11-20T03:20:00Z", school="西乡初级中学", location_from_start=True)
    )
    found = stamps.doubts(
        clean, school="东镇中心小学", inspector="测试insp", inspection_date=date(2026, 11, 20),
        started_at="2026-11-20T01:00:00Z", submitted_at="2026-11-20T03:02:00Z",
        received_at=datetime(2026, 11, 20, 4, tzinfo=UTC), start_location={"latitude": 30, "longitude": 100},
    )  # fmt: skip
    # after submit by 18 minutes; another school; the start's own fix is never "far" from it
    assert found == [
        "拍摄时间（2026-11-20 11:20）晚于提交检查的时间（2026-11-20 11:02）",
        "水印上的学校「西乡初级中学」不是受检学校",
    ]
    assert stamps.caption(clean) == (
        "2026-11-20 11:20（北京时间） · 26.58012, 107.51034 ±12 米（开始检查时的位置）"
    )
    unlocated = stamps.clean(stamp_for(latitude=None, longitude=None, location_note="室内无信号"))
    assert unlocated["accuracy"] is None
    assert stamps.caption(unlocated) == "2026-11-20 10:30（北京时间） · 未能定位（室内无信号）"
    assert stamps.caption(None) == "无拍摄信息（未带水印数据）"


def _bulk_items(checklist) -> list[str]:
    """Plain scored 是/否 checks (what the phone's bulk action may set)."""
    return [
        it["id"]
        for sec in checklist["sections"]
        for it in sec["items"]
        if it["type"] == "yesno"
        and it["points"] > 0
        and not it["veto"]
        and it["critical"] is None
        and it["evidence"] is None
        and it["pass_if"] is None
    ]


def test_bulk_answers_are_stored_and_the_report_says_how_many(
    api, county, checklist, db, app, monkeypatch
):
    plain = _bulk_items(checklist)[:5]
    body, response = send(api, county, checklist, stamp_for(), bulk_confirmed=plain)
    assert response.status_code == 201, response.get_json()
    answers = inspections.answers(db, body["id"])
    assert {i for i, a in answers.items() if a["bulk"]} == set(plain)

    # what issuing hands to the renderer, printed as the report's HTML (no PDF needed here)
    class Captured(Exception):
        pass

    def capture(context, photo_loader):
        raise Captured(context)

    monkeypatch.setattr(issuing, "render_report", capture)
    with pytest.raises(Captured) as caught:
        issuing.issue_report(db, app.config, body["id"])
    html = report_html(caught.value.args[0])
    assert "其中 5 项为按部分批量确认" in html
    assert html.count('<div class="bulk">批量确认</div>') == 5
    assert (
        '<div class="stamp">2026-11-20 10:30（北京时间） · 26.58012, 107.51034 ±12 米</div>' in html
    )


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ("poor_no_dropout", "是一票否决项或关键项，不能按部分批量确认"),
        ("class_count", "不是计分的是否题或选择题，不能按部分批量确认"),
    ],
)
def test_bulk_on_an_item_the_action_never_sets_is_refused(api, county, checklist, db, item, reason):
    body, response = send(api, county, checklist, stamp_for(), bulk_confirmed=[item])
    assert response.status_code == 422
    assert reason in response.get_json()["fields"][f"bulk_confirmed.{item}"]
    assert inspections.get(db, body["id"]) is None


def test_a_bulk_answer_that_fails_is_refused(api, county, checklist, db):
    item = _bulk_items(checklist)[0]
    body = factories.payload(county["school_a"], checklist, bulk_confirmed=[item])
    body["responses"]["answers"][item] = False
    response = api.put(f"/api/inspections/{body['id']}", body)
    assert response.status_code == 422
    assert (
        "按部分批量确认，但答案不是符合项"
        in response.get_json()["fields"][f"bulk_confirmed.{item}"]
    )


def test_an_item_needing_a_photo_only_on_failure_may_pass_in_bulk_without_one(
    api, county, checklist, db
):
    # bbt_in_use: 是/否, evidence on_fail, neither veto nor critical (the phone's passValue too)
    body, response = send(api, county, checklist, stamp_for(), bulk_confirmed=["bbt_in_use"])
    assert response.status_code == 201, response.get_json()
    assert body["responses"]["answers"]["bbt_in_use"] is True
    assert not [p for p in body["photos"] if p["item"] == "bbt_in_use"]
    assert inspections.answers(db, body["id"])["bbt_in_use"]["bulk"] == 1
