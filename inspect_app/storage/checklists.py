"""Checklist versions as stored: every compiled version ever served, by content hash."""

from __future__ import annotations

import json

from sqlite_utils import Database

from inspect_app.common.clock import stamp


def store_version(db: Database, checklist_hash: str, compiled: dict) -> None:
    """Keep a compiled version (a no-op when that hash is stored already: versions never change)."""
    db.table("checklist_versions").insert(
        {"hash": checklist_hash, "checklist_id": compiled["id"], "version": compiled.get("version"),
         "title": compiled["title"], "compiled": json.dumps(compiled, ensure_ascii=False),
         "stored_at": stamp()},
        ignore=True,
    )  # fmt: skip


def compiled(db: Database, checklist_hash: str) -> dict | None:
    """The compiled checklist of a stored version, or None."""
    row = next(
        db.query("SELECT compiled FROM checklist_versions WHERE hash = ?", [checklist_hash]), None
    )
    return json.loads(row["compiled"]) if row else None


def title_and_version(db: Database, checklist_hash: str) -> dict | None:
    return next(
        db.query("SELECT title, version FROM checklist_versions WHERE hash = ?", [checklist_hash]),
        None,
    )
