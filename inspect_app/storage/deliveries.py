"""Notification channels per user, and the delivery log of e-mails and webhook calls."""

from __future__ import annotations

import json

from sqlite_utils import Database

from inspect_app.common.clock import stamp
from inspect_app.storage.db import write


def channels_of(db: Database, user_id: int) -> dict[str, dict]:
    rows = db.query("SELECT * FROM notification_channels WHERE user_id = ?", [user_id])
    return {r["channel"]: {**r, "events": json.loads(r["events"])} for r in rows}


def set_channel(
    db: Database, user_id: int, channel: str, address: str, events: list[str], digest: bool
) -> None:
    """Set (or, with an empty address, remove) one channel of a user."""
    if not address:
        db.execute(
            "DELETE FROM notification_channels WHERE user_id = ? AND channel = ?",
            [user_id, channel],
        )
        return
    db.execute(
        """INSERT INTO notification_channels (user_id, channel, address, events, digest)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (user_id, channel) DO UPDATE SET address = excluded.address,
             events = excluded.events, digest = excluded.digest""",
        [user_id, channel, address, json.dumps(events), int(digest)],
    )


def queue(
    db: Database, *, kind: str, text: str, link: str, user_id: int | None, school_id: int | None
) -> int:
    """Log one delivery per channel of each addressee that wants ``kind``; returns how many.

    A notice to a school reaches each of its active school accounts.
    """
    if user_id is not None:
        recipients = "SELECT id FROM users WHERE id = ? AND active = 1"
        param: int = user_id
    elif school_id is not None:
        recipients = "SELECT id FROM users WHERE school_id = ? AND role = 'school' AND active = 1"
        param = school_id
    else:
        return 0
    at = stamp()
    cursor = db.execute(
        f"""INSERT INTO notification_deliveries
              (user_id, channel, address, kind, text, link, status, attempts, next_attempt_at,
               created_at)
            SELECT c.user_id, c.channel, c.address, ?, ?, ?,
                   CASE WHEN c.digest THEN 'digest' ELSE 'queued' END, 0, ?, ?
            FROM notification_channels c
            WHERE c.user_id IN ({recipients})
              AND (c.events = '[]' OR EXISTS (SELECT 1 FROM json_each(c.events) WHERE value = ?))""",
        [kind, text, link, at, at, param, kind],
    )
    return cursor.rowcount


def queue_to_unit_head(
    db: Database, *, unit_id: int, channel: str, address: str, kind: str, text: str, link: str,
    dedupe_key: str,
) -> bool:  # fmt: skip
    """Log one message to a unit's head (no account: the bureau keeps the address on the
    unit), once per ``dedupe_key``; False when it was logged before."""
    at = stamp()
    cursor = db.execute(
        """INSERT OR IGNORE INTO notification_deliveries
             (unit_id, channel, address, kind, text, link, status, attempts, next_attempt_at,
              created_at, dedupe_key)
           VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?)""",
        [unit_id, channel, address, kind, text, link, at, at, dedupe_key],
    )
    return cursor.rowcount == 1


def claim_due(db: Database, now: str, claim: str, lease_until: str) -> dict | None:
    """Take the next delivery due at ``now`` for one sender: queued and due, or claimed by a
    sender whose lease has passed (it died mid-send). The row is ``sending`` under ``claim``
    until :func:`mark_sent` or :func:`mark_failed`; None when nothing is due."""
    with write(db):
        row = db.execute(
            """UPDATE notification_deliveries SET status = 'sending', claim = ?, lease_until = ?
               WHERE id = (SELECT id FROM notification_deliveries
                           WHERE (status = 'queued' AND next_attempt_at <= ?)
                              OR (status = 'sending' AND lease_until <= ?)
                           ORDER BY next_attempt_at, id LIMIT 1)
               RETURNING *""",
            [claim, lease_until, now, now],
        ).fetchone()
        if row is None:
            return None
        names = [
            d[0] for d in db.execute("SELECT * FROM notification_deliveries LIMIT 0").description
        ]
        return dict(zip(names, row, strict=True))


def mark_sent(db: Database, ids: list[int], at: str, claim: str | None = None) -> int:
    """Record ``ids`` as sent; with ``claim``, only rows still held under it (a sender whose
    lease passed and was taken over does not overwrite the new holder's outcome)."""
    marks = ",".join("?" * len(ids))
    held = " AND claim = ?" if claim is not None else ""
    return db.execute(
        f"""UPDATE notification_deliveries SET status = 'sent', delivered_at = ?,
              attempts = attempts + 1, last_error = NULL, lease_until = NULL
            WHERE id IN ({marks}){held}""",
        [at, *ids, *([claim] if claim is not None else [])],
    ).rowcount


def mark_failed(
    db: Database, delivery_id: int, error: str, retry_at: str | None, claim: str | None = None
) -> None:
    """An attempt failed: try again at ``retry_at``, or give up (None)."""
    held = " AND claim = ?" if claim is not None else ""
    db.execute(
        f"""UPDATE notification_deliveries SET attempts = attempts + 1, last_error = ?,
             status = CASE WHEN ? IS NULL THEN 'failed' ELSE 'queued' END,
             next_attempt_at = COALESCE(?, next_attempt_at), lease_until = NULL
            WHERE id = ?{held}""",
        [error[:500], retry_at, retry_at, delivery_id, *([claim] if claim is not None else [])],
    )


def note_error(db: Database, ids: list[int], error: str) -> None:
    """A digest that could not be sent: it stays claimed until its lease passes, and is
    taken again by the next run after that, with why it failed."""
    marks = ",".join("?" * len(ids))
    db.execute(
        f"UPDATE notification_deliveries SET last_error = ? WHERE id IN ({marks})",
        [error[:500], *ids],
    )


def claim_digest(db: Database, before: str, now: str, claim: str, lease_until: str) -> list[dict]:
    """Take one addressee's digest (one user and channel: its rows made before ``before``),
    as :func:`claim_due` takes a delivery; [] when no digest is waiting."""
    with write(db):
        first = db.execute(
            """SELECT user_id, channel, address FROM notification_deliveries
               WHERE created_at < ? AND (status = 'digest'
                     OR (status = 'digest_sending' AND lease_until <= ?))
               ORDER BY user_id, channel, created_at, id LIMIT 1""",
            [before, now],
        ).fetchone()
        if first is None:
            return []
        db.execute(
            """UPDATE notification_deliveries SET status = 'digest_sending', claim = ?,
                 lease_until = ?
               WHERE user_id = ? AND channel = ? AND address = ? AND created_at < ?
                 AND (status = 'digest' OR (status = 'digest_sending' AND lease_until <= ?))""",
            [claim, lease_until, *first, before, now],
        )
        return list(
            db.query(
                """SELECT * FROM notification_deliveries WHERE claim = ?
                     AND status = 'digest_sending' ORDER BY created_at, id""",
                [claim],
            )
        )


def log(db: Database, limit: int = 200) -> list[dict]:
    return list(db.query("SELECT * FROM notification_deliveries ORDER BY id DESC LIMIT ?", [limit]))
