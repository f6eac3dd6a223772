"""The checklists this deployment serves: loaded and validated at start-up, every version stored.

An inspection refers to a checklist version by content hash, and old versions stay in the
database, so changing a YAML file never changes an old result.
"""

from __future__ import annotations

import json

from flask import Flask, current_app
from sqlite_utils import Database

from .checklist import Checklist, ChecklistError, load_directory
from .storage.clock import stamp


class ChecklistStartupError(RuntimeError):
    """The app refuses to start with a broken checklist; the message names file, line and problem."""


def init_app(app: Flask, db: Database) -> None:
    try:
        checklists = load_directory(app.config["CHECKLIST_DIR"])
    except ChecklistError as exc:
        lines = "\n".join(str(error) for error in exc.errors)
        raise ChecklistStartupError(f"检查单有误，系统无法启动：\n{lines}") from exc
    for checklist in checklists.values():
        store_version(db, checklist)
    app.extensions["checklists"] = checklists


def store_version(db: Database, checklist: Checklist) -> None:
    compiled = checklist.compiled
    db["checklist_versions"].insert(
        {"hash": checklist.hash, "checklist_id": compiled["id"], "version": compiled.get("version"),
         "title": compiled["title"], "compiled": json.dumps(compiled, ensure_ascii=False), "stored_at": stamp()},
        ignore=True,
    )  # fmt: skip


def current() -> dict[str, Checklist]:
    """The checklists loaded from CHECKLIST_DIR, by id."""
    return current_app.extensions["checklists"]


_by_hash: dict[str, Checklist] = {}


def by_hash(db: Database, checklist_hash: str) -> Checklist | None:
    """Any version ever stored, current or not (versions are immutable, so caching is safe)."""
    if checklist_hash in _by_hash:
        return _by_hash[checklist_hash]
    row = next(
        db.query("SELECT compiled FROM checklist_versions WHERE hash = ?", [checklist_hash]), None
    )
    if row is None:
        return None
    checklist = Checklist.from_compiled(json.loads(row["compiled"]))
    _by_hash[checklist_hash] = checklist
    return checklist
