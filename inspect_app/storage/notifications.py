"""In-app notifications: addressed to one user or to every account of a school."""

from __future__ import annotations

from sqlite_utils import Database

from inspect_app.common.clock import stamp


def add(
    db: Database,
    *,
    kind: str,
    text: str,
    link: str,
    user_id: int | None = None,
    school_id: int | None = None,
    dedupe_key: str | None = None,
) -> bool:
    """Store a notification; False when one with the same ``dedupe_key`` already exists."""
    cursor = db.execute(
        """INSERT OR IGNORE INTO notifications
           (user_id, school_id, kind, text, link, dedupe_key, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [user_id, school_id, kind, text, link, dedupe_key, stamp()],
    )
    return cursor.rowcount == 1


def known_keys(db: Database, keys: list[str]) -> set[str]:
    """Which of ``keys`` were already used, so read-time notices are made only once."""
    if not keys:
        return set()
    marks = ",".join("?" * len(keys))
    rows = db.query(f"SELECT dedupe_key FROM notifications WHERE dedupe_key IN ({marks})", keys)
    return {r["dedupe_key"] for r in rows}


def _addressee(user: dict) -> tuple[str, int]:
    # A school account reads its school's notifications; everyone else reads their own.
    if user["role"] == "school":
        return "school_id", user["school_id"]
    return "user_id", user["id"]


def for_user(db: Database, user: dict, limit: int = 200) -> list[dict]:
    column, value = _addressee(user)
    return list(
        db.query(
            f"SELECT * FROM notifications WHERE {column} = ? ORDER BY created_at DESC, id DESC LIMIT ?",
            [value, limit],
        )
    )


def unread_count(db: Database, user: dict) -> int:
    column, value = _addressee(user)
    return db.execute(
        f"SELECT count(*) FROM notifications WHERE {column} = ? AND read_at IS NULL", [value]
    ).fetchone()[0]


def mark_all_read(db: Database, user: dict) -> int:
    column, value = _addressee(user)
    return db.execute(
        f"UPDATE notifications SET read_at = ? WHERE {column} = ? AND read_at IS NULL",
        [stamp(), value],
    ).rowcount
