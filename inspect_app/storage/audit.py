"""The append-only audit log: who did what, to what, when."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from inspect_app.common.clock import stamp


def record(
    db: Database,
    action: str,
    *,
    user: dict | None = None,
    target: str = "",
    detail: dict[str, Any] | None = None,
    ip: str = "",
) -> None:
    db.table("audit_log").insert(
        {
            "at": stamp(),
            "user_id": user["id"] if user else None,
            "username": user["username"] if user else None,
            "action": action,
            "target": target,
            "detail": json.dumps(detail or {}, ensure_ascii=False),
            "ip": ip,
        }
    )


def recent(db: Database, limit: int = 100) -> list[dict]:
    return list(db.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", [limit]))
