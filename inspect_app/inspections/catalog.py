"""The checklists this deployment serves: loaded and validated at start-up, every version stored.

An inspection refers to a checklist version by content hash, and old versions stay in the
database, so changing a YAML file never changes an old result.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlite_utils import Database

from inspect_app.checklist import Checklist, ChecklistError, load_directory
from inspect_app.storage import checklists as stored


class ChecklistStartupError(click.ClickException):
    """The app refuses to start with a broken checklist; the message names file, line and problem.

    A ClickException, so a ``flask …`` command that builds the app prints the message (and
    exits 1) instead of a traceback.
    """

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True)  # without click's English "Error:" prefix


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
    stored.store_version(db, checklist.hash, checklist.compiled)


def current() -> dict[str, Checklist]:
    """The checklists loaded from CHECKLIST_DIR, by id."""
    return current_app.extensions["checklists"]


_by_hash: dict[str, Checklist] = {}


def by_hash(db: Database, checklist_hash: str) -> Checklist | None:
    """Any version ever stored, current or not (versions are immutable, so caching is safe)."""
    if checklist_hash in _by_hash:
        return _by_hash[checklist_hash]
    compiled = stored.compiled(db, checklist_hash)
    if compiled is None:
        return None
    checklist = Checklist.from_compiled(compiled)
    _by_hash[checklist_hash] = checklist
    return checklist
