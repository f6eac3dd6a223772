"""Logins kept on the server: one row per signed-in browser, found by the hash of its token."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlite_utils import Database

from inspect_app.common.clock import now, stamp

# Writing last_seen_at on every request would turn each page view into a write; a minute is
# precise enough for "last seen" and for the idle timeout.
TOUCH_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(db: Database, user_id: int, *, remember: bool, user_agent: str, ip: str) -> str:
    """Record a new login and return its token (the only copy: it goes into the cookie)."""
    token = secrets.token_urlsafe(32)
    at = stamp()
    db.table("sessions").insert(
        {"token_sha256": _digest(token), "user_id": user_id, "created_at": at,
         "last_seen_at": at, "remember": int(remember), "user_agent": user_agent[:300],
         "ip": ip[:64]}
    )  # fmt: skip
    return token


def find(db: Database, token: str, idle: timedelta, max_age: timedelta) -> dict | None:
    """The live session for ``token``, or None; a session idle longer than ``idle``, or begun
    longer than ``max_age`` ago, is deleted."""
    rows = list(db.query("SELECT * FROM sessions WHERE token_sha256 = ?", [_digest(token)]))
    if not rows:
        return None
    row = rows[0]
    moment = now()
    if _parse(row["last_seen_at"]) < moment - idle or _parse(row["created_at"]) < moment - max_age:
        db.execute("DELETE FROM sessions WHERE id = ?", [row["id"]])
        return None
    return row


def touch(db: Database, row: dict, ip: str) -> None:
    """Note that a session was just used (at most once per TOUCH_EVERY)."""
    if _parse(row["last_seen_at"]) < now() - TOUCH_EVERY:
        db.execute(
            "UPDATE sessions SET last_seen_at = ?, ip = ? WHERE id = ?",
            [stamp(), ip[:64], row["id"]],
        )


def for_user(db: Database, user_id: int) -> list[dict]:
    return list(
        db.query(
            "SELECT * FROM sessions WHERE user_id = ? ORDER BY last_seen_at DESC, id DESC",
            [user_id],
        )
    )


def end(db: Database, session_id: int, user_id: int) -> bool:
    """End one of ``user_id``'s sessions; False when it is not theirs or already over."""
    cursor = db.execute("DELETE FROM sessions WHERE id = ? AND user_id = ?", [session_id, user_id])
    return cursor.rowcount > 0


def end_by_token(db: Database, token: str) -> None:
    db.execute("DELETE FROM sessions WHERE token_sha256 = ?", [_digest(token)])


def end_all(db: Database, user_id: int, *, except_id: int | None = None) -> int:
    """End every session of a user (but ``except_id``); returns how many ended."""
    cursor = db.execute(
        "DELETE FROM sessions WHERE user_id = ? AND id IS NOT ?", [user_id, except_id]
    )
    return cursor.rowcount


def purge_expired(db: Database, idle: timedelta, max_age: timedelta) -> int:
    """Delete sessions that could not be used any more: idle longer than ``idle`` or begun
    longer than ``max_age`` ago."""
    moment = now()
    cursor = db.execute(
        "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?",
        [stamp(moment - idle), stamp(moment - max_age)],
    )
    return cursor.rowcount


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)
