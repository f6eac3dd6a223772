"""Users and login throttling."""

from __future__ import annotations

from datetime import timedelta

from sqlite_utils import Database

from inspect_app.common.clock import now, stamp
from inspect_app.storage import inserted_id


def get(db: Database, user_id: int) -> dict | None:
    rows = list(db.query("SELECT * FROM users WHERE id = ?", [user_id]))
    return rows[0] if rows else None


def by_username(db: Database, username: str) -> dict | None:
    rows = list(db.query("SELECT * FROM users WHERE username = ?", [username]))
    return rows[0] if rows else None


def list_all(db: Database, role: str | None = None) -> list[dict]:
    sql = """
        SELECT users.*, schools.name AS school_name, units.name AS unit_name
        FROM users LEFT JOIN schools ON schools.id = users.school_id
        LEFT JOIN units ON units.id = users.unit_id
    """
    params: list = []
    if role:
        sql += " WHERE users.role = ?"
        params.append(role)
    return list(db.query(sql + " ORDER BY users.role, users.username", params))


def create(
    db: Database,
    *,
    username: str,
    display_name: str,
    role: str,
    password_hash: str,
    school_id: int | None = None,
    unit_id: int | None = None,
    active: bool = True,
    must_change_password: bool = False,
) -> int:
    return inserted_id(
        db.table("users").insert(
            {
                "username": username,
                "display_name": display_name,
                "role": role,
                "school_id": school_id,
                "unit_id": unit_id,
                "password_hash": password_hash,
                "active": int(active),
                "must_change_password": int(must_change_password),
                "created_at": stamp(),
            }
        )
    )


def update(db: Database, user_id: int, **fields) -> None:
    for flag in ("active", "must_change_password"):
        if flag in fields:
            fields[flag] = int(fields[flag])
    db.table("users").update(user_id, fields)


def set_password(db: Database, user_id: int, password_hash: str, *, must_change: bool) -> None:
    """Store a new password hash; ``must_change`` when someone other than the user chose it."""
    db.table("users").update(
        user_id, {"password_hash": password_hash, "must_change_password": int(must_change)}
    )


def touch_login(db: Database, user_id: int) -> None:
    db.table("users").update(user_id, {"last_login_at": stamp()})


def record_failure(db: Database, *keys: str) -> None:
    at = stamp()
    db.table("login_failures").insert_all([{"key": key, "at": at} for key in keys])


def failures_since(db: Database, key: str, minutes: int) -> int:
    since = stamp(now() - timedelta(minutes=minutes))
    return db.execute(
        "SELECT count(*) FROM login_failures WHERE key = ? AND at >= ?", [key, since]
    ).fetchone()[0]


def clear_failures(db: Database, key: str) -> None:
    db.execute("DELETE FROM login_failures WHERE key = ?", [key])
