"""Notification channels per user, and the delivery log of e-mails and webhook calls."""

from __future__ import annotations

import json

from sqlite_utils import Database

from inspect_app.common.clock import stamp


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


def due(db: Database, now: str, limit: int = 100) -> list[dict]:
    return list(
        db.query(
            """SELECT * FROM notification_deliveries WHERE status = 'queued' AND next_attempt_at <= ?
               ORDER BY next_attempt_at, id LIMIT ?""",
            [now, limit],
        )
    )


def mark_sent(db: Database, ids: list[int], at: str) -> None:
    marks = ",".join("?" * len(ids))
    db.execute(
        f"""UPDATE notification_deliveries SET status = 'sent', delivered_at = ?,
              attempts = attempts + 1, last_error = NULL WHERE id IN ({marks})""",
        [at, *ids],
    )


def mark_failed(db: Database, delivery_id: int, error: str, retry_at: str | None) -> None:
    """An attempt failed: try again at ``retry_at``, or give up (None)."""
    db.execute(
        """UPDATE notification_deliveries SET attempts = attempts + 1, last_error = ?,
             status = CASE WHEN ? IS NULL THEN 'failed' ELSE 'queued' END,
             next_attempt_at = COALESCE(?, next_attempt_at) WHERE id = ?""",
        [error[:500], retry_at, retry_at, delivery_id],
    )


def note_error(db: Database, ids: list[int], error: str) -> None:
    """A digest that could not be sent: it stays a digest (tried at the next run), with why."""
    marks = ",".join("?" * len(ids))
    db.execute(
        f"UPDATE notification_deliveries SET last_error = ? WHERE id IN ({marks})",
        [error[:500], *ids],
    )


def digests_due(db: Database, before: str) -> list[dict]:
    """Digest rows made before ``before`` (the start of today), oldest first."""
    return list(
        db.query(
            """SELECT * FROM notification_deliveries WHERE status = 'digest' AND created_at < ?
               ORDER BY user_id, channel, created_at, id""",
            [before],
        )
    )


def log(db: Database, limit: int = 200) -> list[dict]:
    return list(db.query("SELECT * FROM notification_deliveries ORDER BY id DESC LIMIT ?", [limit]))
