"""A unit's head is reachable (e-mail / phone kept by the bureau on the unit) and an escalation of
the unit's item reaches them; the document worker sends due notices between jobs, each claimed
under a lease, so two processes sending from one database never send a message twice."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, timedelta

from inspect_app.common.clock import stamp
from inspect_app.documents.worker import Worker
from inspect_app.rectification import delivery, notifications
from inspect_app.storage import deliveries, units

from .test_notification_delivery import inbox  # noqa: F401 (the local SMTP server fixture)


def test_the_bureau_keeps_a_units_head_contact_and_bad_input_is_refused(login, db, county):
    bureau = login("bureau")
    url = f"/admin/units/{county['unit']}"
    page = bureau.page(url)
    form = {"name": "县财政局", "kind": "department", "head": "王局长", "active": "y",
            "csrf_token": page.select_one("input[name=csrf_token]")["value"]}  # fmt: skip
    bad = bureau.post(url, {**form, "head_email": "wang@", "head_phone": "138 0000"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "请填写正确的邮箱地址" in body and "只能包含字母、数字和 @ . + - _" in body
    assert 'value="wang@"' in body  # what was typed stays
    ok = bureau.post(url, {**form, "head_email": "wang@czj.gov.cn", "head_phone": "13800000001"})
    assert ok.status_code == 302
    unit = units.get(db, county["unit"])
    assert (unit["head"], unit["head_email"], unit["head_phone"]) == (
        "王局长", "wang@czj.gov.cn", "13800000001"
    )  # fmt: skip
    listing = bureau.page("/admin/units").get_text()
    assert "逾期升级通知 wang@czj.gov.cn、13800000001" in listing


def test_an_escalation_reaches_the_units_head_once(app, db, county, receive, inbox):  # noqa: F811
    _, rows = receive()
    units.update(db, county["unit"], head_email="wang@czj.gov.cn", head_phone="13800000001")
    item = next(r for r in rows if r["deadline"] < "2026-12-10")
    db.execute("UPDATE rectifications SET unit_id = ? WHERE id = ?", [county["unit"], item["id"]])
    day = date(2026, 12, 10)
    notifications.run_escalations(db, day)
    notifications.run_escalations(db, day)  # once per deadline
    head = list(db.query("SELECT * FROM notification_deliveries WHERE unit_id IS NOT NULL"))
    assert sorted((d["channel"], d["address"]) for d in head) == [
        ("email", "wang@czj.gov.cn"), ("webhook", "13800000001")
    ]  # fmt: skip
    assert all(d["user_id"] is None and "由县财政局负责整改" in d["text"] for d in head)
    app.config["WEBHOOK_URL"] = None  # the gateway is not set up: that one waits to retry
    counts = delivery.deliver_due(db, app.config)
    assert counts["sent"] >= 1
    to_head = [m for m in inbox.messages if m["X-Rcpt"] == "wang@czj.gov.cn"]
    assert len(to_head) == 1
    text = to_head[0].get_payload(decode=True).decode()
    assert "已超过整改时限" in text and "已升级至县教育局督办" in text
    webhook = next(d for d in head if d["channel"] == "webhook")
    after = next(db.query("SELECT * FROM notification_deliveries WHERE id = ?", [webhook["id"]]))
    assert after["status"] == "queued" and "WEBHOOK_URL" in after["last_error"]


def _queue(db, count: int, user_id: int) -> None:
    db.execute(
        "INSERT INTO notification_channels (user_id, channel, address, events, digest) "
        "VALUES (?, 'email', 'insp@qingshan.test', '[]', 0)",
        [user_id],
    )
    for n in range(count):
        deliveries.queue(db, kind="deadline", text=f"第{n}条", link="", user_id=user_id,
                         school_id=None)  # fmt: skip


SENDER = textwrap.dedent(
    """
    import sys
    from inspect_app.rectification import delivery
    from inspect_app.storage.db import open_database
    db = open_database(sys.argv[1])
    config = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": int(sys.argv[2]),
              "SMTP_SENDER": "dudao@qingshan.test", "BUREAU_NAME": "青山县教育局"}
    total = {"sent": 0, "retry": 0, "failed": 0}
    print("ready", flush=True)
    sys.stdin.readline()  # both start together, once both are ready
    while True:
        counts = delivery.deliver_due(db, config, limit=5)
        for k in total:
            total[k] += counts[k]
        if not any(counts.values()):
            break
    print(total["sent"])
    """
)


def test_two_processes_on_one_database_send_each_message_once(app, db, county, inbox):  # noqa: F811
    count = 120
    _queue(db, count, county["insp"])
    port = app.config["SMTP_PORT"]
    senders = [
        subprocess.Popen(
            [sys.executable, "-c", SENDER, app.config["DATABASE"], str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    for p in senders:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in senders:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    sent = [int(p.communicate(timeout=120)[0].strip()) for p in senders]
    assert sum(sent) == count and min(sent) > 0, sent  # both sent, between them all
    texts = sorted(m.get_payload(decode=True).decode().strip() for m in inbox.messages)
    assert texts == sorted(f"第{n}条" for n in range(count))  # every one, none twice
    statuses = db.execute("SELECT status, count(*) FROM notification_deliveries GROUP BY 1")
    assert statuses.fetchall() == [("sent", count)]


def test_a_delivery_whose_sender_died_is_sent_after_its_lease(app, db, county, inbox):  # noqa: F811
    _queue(db, 1, county["insp"])
    moment = datetime.now(UTC)
    # A sender claimed it and died before sending: nobody sends it while the lease holds …
    held = deliveries.claim_due(db, stamp(moment), "dead", stamp(moment + timedelta(seconds=120)))
    assert held is not None and held["status"] == "sending"
    assert delivery.deliver_due(db, app.config, moment + timedelta(seconds=60))["sent"] == 0
    # … and once it has passed, the next run sends it; the dead sender's late outcome is ignored.
    assert delivery.deliver_due(db, app.config, moment + timedelta(seconds=121))["sent"] == 1
    assert len(inbox.messages) == 1
    deliveries.mark_failed(db, held["id"], "late", None, "dead")
    assert next(db.query("SELECT status FROM notification_deliveries"))["status"] == "sent"


def test_the_document_worker_sends_due_notices_between_jobs(app, db, county, receive, inbox):  # noqa: F811
    _queue(db, 3, county["insp"])
    _, rows = receive()
    app.config["TODAY_OVERRIDE"] = "2026-12-10"
    worker = Worker(app.config, worker_id="w-test")
    worker._idle(db)  # no job due: the worker's idle pass
    assert len(inbox.messages) >= 3
    assert (
        db.execute(
            "SELECT count(*) FROM notification_deliveries WHERE status != 'sent'"
        ).fetchone()[0]
        == 0
    )
    # It raised the overdue items of the day too (once a day), as `flask notify` would.
    assert db.execute("SELECT count(*) FROM rectification_escalations").fetchone()[0] == sum(
        1 for r in rows if r["deadline"] < "2026-12-10"
    )
    # Within NOTIFY_EVERY_SECONDS the next idle pass sends nothing new.
    assert deliveries.queue(db, kind="deadline", text="稍后", link="", user_id=county["insp"],
                            school_id=None) == 1  # fmt: skip
    before = len(inbox.messages)
    worker._idle(db)
    assert len(inbox.messages) == before
    assert worker.notify(db)["sent"] == 1


def test_a_notice_raised_by_two_processes_at_once_is_delivered_once(db, county, monkeypatch):
    # Both passed the "sent before?" check (the worker's escalation run beside `flask notify`);
    # the in-app row's unique key lets only the first deliver, by any channel.
    _queue(db, 0, county["insp"])
    monkeypatch.setattr(notifications.store, "known_keys", lambda db, keys: set())
    notice = notifications.Notice("escalated", "逾期", "/x", user_id=county["insp"],
                                  dedupe_key="esc:1:2026-11-25:u")  # fmt: skip
    assert notifications.send(db, notice) is True
    assert notifications.send(db, notice) is False
    assert db.execute("SELECT count(*) FROM notifications").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM notification_deliveries").fetchone()[0] == 1
