"""Delivering notices beyond the in-app list: e-mail over SMTP and a signed webhook.

Every notice sent (``notifications.send``) is logged once per channel its addressees chose
(``storage.deliveries``); :func:`deliver_due` sends what is due, retrying a failure with a
doubling back-off until ``NOTIFY_MAX_ATTEMPTS``; :func:`send_digests` sends each user one
message of the previous days' notices, for channels set to a daily digest. Run both from
``flask notify`` (cron) or from the document worker between jobs (documents/worker.py): each
message is claimed under a lease first (``storage.deliveries.claim_due``), so two server
processes never send one twice, and one whose sender died is sent when its lease passes.

The webhook is the bureau's gateway to SMS or WeChat: a JSON POST to ``WEBHOOK_URL`` with
``X-Inspect-Timestamp`` and ``X-Inspect-Signature: sha256=<hex>``, the HMAC-SHA256 of
``<timestamp>.<body>`` under ``WEBHOOK_SECRET``, so the gateway can refuse forgeries and
replays. A gateway answers 2xx when it took the message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr

from sqlite_utils import Database

from inspect_app.common.clock import now as clock_now
from inspect_app.common.clock import stamp
from inspect_app.storage import deliveries as store

CHANNELS = {"email": "电子邮件", "webhook": "短信 / 微信（网关）"}


class DeliveryError(Exception):
    """One attempt failed; ``str()`` says why (kept in the delivery log)."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def send_email(config: Mapping, address: str, subject: str, text: str) -> None:
    host = config.get("SMTP_HOST")
    if not host:
        raise DeliveryError("未配置邮件服务器（SMTP_HOST）")
    message = EmailMessage()
    message["From"] = formataddr((config.get("BUREAU_NAME", ""), config["SMTP_SENDER"]))
    message["To"] = address
    message["Subject"] = subject
    message.set_content(text)
    try:
        with smtplib.SMTP(host, int(config.get("SMTP_PORT", 25)), timeout=20) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("SMTP_USER"):
                smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD", ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"邮件发送失败：{exc}") from exc


def send_webhook(config: Mapping, payload: dict) -> None:
    url = config.get("WEBHOOK_URL")
    if not url:
        raise DeliveryError("未配置短信 / 微信网关（WEBHOOK_URL）")
    body = json.dumps(payload, ensure_ascii=False).encode()
    timestamp = str(int(clock_now().timestamp()))
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Inspect-Event": payload["kind"],
            "X-Inspect-Timestamp": timestamp,
            "X-Inspect-Signature": sign(config.get("WEBHOOK_SECRET") or "", timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            if not 200 <= response.status < 300:
                raise DeliveryError(f"网关返回 {response.status}")
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"网关返回 {exc.code}") from exc
    except (OSError, urllib.error.URLError) as exc:
        raise DeliveryError(f"无法连接网关：{exc}") from exc


def _subject(config: Mapping, count: int = 1) -> str:
    name = config.get("BUREAU_NAME", "")
    return f"{name}督导整改提醒" if count == 1 else f"{name}督导整改每日汇总（{count} 条）"


def _send(config: Mapping, channel: str, address: str, kind: str, text: str, link: str) -> None:
    url = config.get("PUBLIC_URL", "").rstrip("/") + link if link else ""
    if channel == "email":
        send_email(config, address, _subject(config), f"{text}\n\n{url}".strip())
    else:
        send_webhook(config, {"kind": kind, "to": address, "text": text, "url": url})


# Longer than one attempt can take (SMTP and the webhook each time out after 20 s).
LEASE_SECONDS = 120


def _lease(config: Mapping, moment: datetime) -> str:
    return stamp(
        moment + timedelta(seconds=float(config.get("NOTIFY_LEASE_SECONDS", LEASE_SECONDS)))
    )


def deliver_due(
    db: Database, config: Mapping, moment: datetime | None = None, limit: int = 200
) -> dict:
    """Send the deliveries that are due (at most ``limit``), each claimed under a lease
    first; returns counts of sent, retried and given up."""
    moment = moment or clock_now()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    max_attempts = int(config.get("NOTIFY_MAX_ATTEMPTS", 6))
    base = float(config.get("NOTIFY_RETRY_SECONDS", 60))
    for _ in range(limit):
        claim = uuid.uuid4().hex
        row = store.claim_due(db, stamp(moment), claim, _lease(config, moment))
        if row is None:
            break
        try:
            _send(config, row["channel"], row["address"], row["kind"], row["text"], row["link"])
        except DeliveryError as exc:
            attempt = row["attempts"] + 1
            if attempt >= max_attempts:
                store.mark_failed(db, row["id"], str(exc), None, claim)
                counts["failed"] += 1
            else:
                # 1, 2, 4, 8 … times the base delay, at most a day.
                delay = min(base * 2 ** (attempt - 1), 86400)
                retry_at = stamp(moment + timedelta(seconds=delay))
                store.mark_failed(db, row["id"], str(exc), retry_at, claim)
                counts["retry"] += 1
            continue
        store.mark_sent(db, [row["id"]], stamp(moment), claim)
        counts["sent"] += 1
    return counts


def send_digests(db: Database, config: Mapping, day_start: datetime) -> int:
    """One message per user and channel with the notices logged before ``day_start``.

    Each addressee's digest is claimed under a lease first (two processes never send one
    twice); a failed one keeps its claim until the lease passes and is tried again by the
    next run after that.
    """
    sent = 0
    base = config.get("PUBLIC_URL", "").rstrip("/")
    while True:
        moment = clock_now()
        claim = uuid.uuid4().hex
        rows = store.claim_digest(
            db, stamp(day_start), stamp(moment), claim, _lease(config, moment)
        )
        if not rows:
            break
        channel, address = rows[0]["channel"], rows[0]["address"]
        lines = [f"{n}. {r['text']}" + (f"\n   {base}{r['link']}" if r["link"] else "")
                 for n, r in enumerate(rows, start=1)]  # fmt: skip
        text = "\n".join(lines)
        try:
            if channel == "email":
                send_email(config, address, _subject(config, len(rows)), text)
            else:
                send_webhook(
                    config,
                    {
                        "kind": "digest",
                        "to": address,
                        "text": text,
                        "count": len(rows),
                        "url": base,
                    },
                )
        except DeliveryError as exc:
            store.note_error(db, [r["id"] for r in rows], str(exc))
            continue
        store.mark_sent(db, [r["id"] for r in rows], stamp(), claim)
        sent += 1
    return sent
