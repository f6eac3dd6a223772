"""Notices that reach people: e-mail to a local SMTP server the test starts, a signed webhook
to a local gateway that fails twice before it takes the message, and the daily digest."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from inspect_app.rectification import delivery
from inspect_app.web.account import NOTICE_KINDS

from .support import evidence, version_on


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    """An aiosmtpd handler keeping each message it is given, with its envelope recipients."""

    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        message["X-Rcpt"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def inbox(app):
    port = _port()
    handler = _Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SENDER="dudao@qingshan.test")
    yield handler
    controller.stop()


def _text(message) -> str:
    return message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")


def _subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


@pytest.fixture
def gateway(app):
    """A gateway that answers 500 to its first two calls, then 200; it keeps every call."""
    calls: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            calls.append({"headers": dict(self.headers), "body": body})
            self.send_response(500 if len(calls) <= 2 else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config.update(
        WEBHOOK_URL=f"http://127.0.0.1:{server.server_address[1]}/notify",
        WEBHOOK_SECRET="s3cret-of-the-bureau",
    )
    yield calls
    server.shutdown()
    server.server_close()


def _answer(receive, login, item_index: int = 0):
    _, rows = receive()
    school = login("sch_a")
    url = f"/school/rectifications/{rows[item_index]['id']}/respond"
    response = school.post(
        url,
        {"measures": "措施", "result": "结果", "done_on": "2026-11-24",
         "version": version_on(school.page(url))},
        files=evidence(),
    )  # fmt: skip
    assert response.status_code == 302
    return rows


def test_a_reviewer_gets_an_email_when_the_school_answers(
    app, db, county, receive, login, frozen, inbox
):
    from inspect_app.storage import deliveries

    deliveries.set_channel(db, county["insp"], "email", "insp@qingshan.test", [], False)
    _answer(receive, login)
    log = deliveries.log(db)
    assert [(r["channel"], r["kind"], r["status"]) for r in log] == [("email", "respond", "queued")]
    assert delivery.deliver_due(db, app.config) == {"sent": 1, "retry": 0, "failed": 0}
    (message,) = inbox.messages
    assert message["X-Rcpt"] == "insp@qingshan.test"
    assert _subject(message) == "青山县教育局督导整改提醒"
    body = _text(message)
    assert "东镇中心小学提交了整改情况" in body and "/review/rectifications/" in body
    assert deliveries.log(db)[0]["status"] == "sent"
    # Sent once: a second pass finds nothing due.
    assert delivery.deliver_due(db, app.config)["sent"] == 0


def test_only_the_chosen_events_are_sent(app, db, county, receive, login, frozen, inbox):
    from inspect_app.storage import deliveries

    deliveries.set_channel(db, county["insp"], "email", "insp@qingshan.test", ["accept"], False)
    _answer(receive, login)
    assert deliveries.log(db) == []


def test_webhook_is_signed_and_retried_with_back_off(
    app, db, county, receive, login, frozen, gateway
):
    from inspect_app.storage import deliveries

    deliveries.set_channel(db, county["insp"], "webhook", "13800000000", [], False)
    _answer(receive, login)
    start = datetime.now(UTC)
    assert delivery.deliver_due(db, app.config, start)["retry"] == 1
    row = deliveries.log(db)[0]
    assert row["attempts"] == 1 and "网关返回 500" in row["last_error"]
    # Not due again before its back-off (60 s, then 120 s) has passed.
    assert delivery.deliver_due(db, app.config, start + timedelta(seconds=30))["retry"] == 0
    assert delivery.deliver_due(db, app.config, start + timedelta(seconds=61))["retry"] == 1
    assert delivery.deliver_due(db, app.config, start + timedelta(seconds=150))["retry"] == 0
    assert delivery.deliver_due(db, app.config, start + timedelta(seconds=182))["sent"] == 1
    row = deliveries.log(db)[0]
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 3, None)
    assert len(gateway) == 3
    call = gateway[-1]
    payload = json.loads(call["body"])
    assert payload["to"] == "13800000000" and payload["kind"] == "respond"
    assert "东镇中心小学提交了整改情况" in payload["text"]
    # The gateway can check who sent it: HMAC-SHA256 of "<timestamp>.<body>".
    expected = hmac.new(
        b"s3cret-of-the-bureau",
        call["headers"]["X-Inspect-Timestamp"].encode() + b"." + call["body"],
        hashlib.sha256,
    ).hexdigest()
    assert call["headers"]["X-Inspect-Signature"] == f"sha256={expected}"
    assert (
        delivery.sign("another secret", call["headers"]["X-Inspect-Timestamp"], call["body"])
        != (call["headers"]["X-Inspect-Signature"])
    )


def test_a_gateway_that_never_answers_is_given_up(app, db, county, receive, login, frozen):
    from inspect_app.storage import deliveries

    app.config.update(WEBHOOK_URL=f"http://127.0.0.1:{_port()}/", NOTIFY_MAX_ATTEMPTS=2)
    deliveries.set_channel(db, county["insp"], "webhook", "13800000000", [], False)
    _answer(receive, login)
    start = datetime.now(UTC)
    assert delivery.deliver_due(db, app.config, start)["retry"] == 1
    assert delivery.deliver_due(db, app.config, start + timedelta(hours=1))["failed"] == 1
    row = deliveries.log(db)[0]
    assert row["status"] == "failed" and "无法连接网关" in row["last_error"]


def test_daily_digest_is_one_message(app, db, county, receive, login, frozen, inbox):
    from inspect_app.storage import deliveries

    # The school's account wants one e-mail a day; two decisions reach it.
    deliveries.set_channel(db, county["sch_a"], "email", "school@qingshan.test", [], True)
    rows = _answer(receive, login)
    reviewer = login("insp")
    page = reviewer.page(f"/review/rectifications/{rows[0]['id']}")
    reviewer.post(
        f"/review/rectifications/{rows[0]['id']}/decide",
        {"action": "return", "comment": "缺少签字", "version": version_on(page, "#decide")},
    )
    school = login("sch_a")
    url = f"/school/rectifications/{rows[1]['id']}/extension"
    school.post(
        url, {"until": "2026-12-31", "reason": "采购", "version": version_on(school.page(url))}
    )
    page = reviewer.page(f"/review/rectifications/{rows[1]['id']}")
    reviewer.post(
        f"/review/rectifications/{rows[1]['id']}/extension",
        {"decision": "approve", "version": version_on(page, "#extension")},
    )
    # Besides the decisions, the school's read-time notices (new items, deadlines near).
    log = [r for r in deliveries.log(db) if r["user_id"] == county["sch_a"]]
    assert {"approve_extension", "return", "new_items"} <= {r["kind"] for r in log}
    assert {r["status"] for r in log} == {"digest"}
    assert delivery.deliver_due(db, app.config)["sent"] == 0  # nothing one by one
    # Today's are not yet a day's: the digest sends what was logged before today began.
    assert delivery.send_digests(db, app.config, datetime.now(UTC) - timedelta(hours=1)) == 0
    assert delivery.send_digests(db, app.config, datetime.now(UTC) + timedelta(seconds=1)) == 1
    (message,) = inbox.messages
    assert _subject(message) == f"青山县教育局督导整改每日汇总（{len(log)} 条）"
    body = _text(message)
    assert "整改被退回" in body and "延期申请已同意" in body and f"{len(log)}. " in body
    assert {r["status"] for r in deliveries.log(db) if r["user_id"] == county["sch_a"]} == {"sent"}


def test_each_user_chooses_channels_and_events(app, db, county, login):
    from inspect_app.storage import deliveries

    school = login("sch_a")
    page = school.page("/account/notifications")
    assert page.select_one("#email") is not None
    bad = school.post("/account/notifications", {"email": "不是邮箱"})
    assert bad.status_code == 400 and "请填写正确的邮箱地址" in bad.get_data(as_text=True)
    response = school.post(
        "/account/notifications",
        {"email": "principal@qingshan.test", "email_events": ["return", "accept"],
         "email_digest": "y", "phone": "13900000000",
         "phone_events": list(NOTICE_KINDS)},
    )  # fmt: skip
    assert response.status_code == 302
    mine = deliveries.channels_of(db, county["sch_a"])
    assert mine["email"]["address"] == "principal@qingshan.test"
    assert mine["email"]["events"] == ["return", "accept"] and mine["email"]["digest"] == 1
    assert mine["webhook"]["events"] == [] and mine["webhook"]["digest"] == 0  # all kinds
    page = school.page("/account/notifications")
    checked = {i["value"] for i in page.select("input[name=email_events][checked]")}
    assert checked == {"return", "accept"}
    # Emptying the address turns the channel off.
    school.post("/account/notifications", {"phone": "", "email": ""})
    assert deliveries.channels_of(db, county["sch_a"]) == {}
