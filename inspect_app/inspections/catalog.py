"""The checklists this deployment serves: the library's current versions, every version stored.

CHECKLIST_DIR's files are validated at start-up and published into the library when new or
changed; the bureau publishes further versions in the app (web/library.py). An inspection
refers to a checklist version by content hash, and old versions stay in the database, so
neither a new file nor a new publication ever changes an old result.
"""

from __future__ import annotations

import os

import click
from flask import Flask
from sqlite_utils import Database

from inspect_app.checklist import Checklist, ChecklistError, load_directory
from inspect_app.storage import checklists as stored
from inspect_app.storage import library
from inspect_app.storage import surveys as stored_surveys
from inspect_app.storage.db import get_db

# Surveys (kind: survey) live in CHECKLIST_DIR/surveys/: they are never offered as an
# inspection, and their versions are kept apart from the checklist versions the bureau's
# inspection figures read.
SURVEY_FOLDER = "surveys"


class ChecklistStartupError(click.ClickException):
    """The app refuses to start with a broken checklist; the message names file, line and problem.

    A ClickException, so a ``flask …`` command that builds the app prints the message (and
    exits 1) instead of a traceback.
    """

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True)  # without click's English "Error:" prefix


def init_app(app: Flask, db: Database) -> None:
    folder = app.config["CHECKLIST_DIR"]
    survey_folder = os.path.join(folder, SURVEY_FOLDER)
    try:
        checklists = load_directory(folder)
        surveys = load_directory(survey_folder) if os.path.isdir(survey_folder) else {}
    except ChecklistError as exc:
        lines = "\n".join(str(error) for error in exc.errors)
        raise ChecklistStartupError(f"检查单有误，系统无法启动：\n{lines}") from exc
    misplaced = [c for c in checklists.values() if c.kind == "survey"] + [
        c for c in surveys.values() if c.kind != "survey"
    ]
    if misplaced:
        lines = "\n".join(
            f"{c.path}: 调查问卷（kind: survey）应放在 {SURVEY_FOLDER}/ 子目录，检查单不能放在其中"
            for c in misplaced
        )
        raise ChecklistStartupError(f"检查单有误，系统无法启动：\n{lines}")
    for checklist in checklists.values():
        seed_from_file(db, checklist)
    for survey in surveys.values():
        seed_from_file(db, survey)  # into the survey library, as checklists into theirs
    app.extensions["checklists"] = checklists


def store_version(db: Database, checklist: Checklist) -> None:
    stored.store_version(db, checklist.hash, checklist.compiled)


def seed_from_file(db: Database, checklist: Checklist) -> None:
    """A CHECKLIST_DIR file's version into the library (published when new or changed); a
    survey's into the survey library."""
    with open(checklist.path or "", encoding="utf-8-sig") as fh:
        text = fh.read()
    library.seed_from_file(db, checklist.compiled, text)


def current(db: Database | None = None) -> dict[str, Checklist]:
    """The checklists phones are offered now (the library's current versions), by id.

    Read from the database on every call, so a version published in the app is what every
    server process offers from the next request on, without a restart.
    """
    db = db if db is not None else get_db()
    out: dict[str, Checklist] = {}
    for checklist_id, checklist_hash in library.current_hashes(db).items():
        checklist = by_hash(db, checklist_hash)
        if checklist is not None:
            out[checklist_id] = checklist
    return out


def surveys(db: Database | None = None) -> dict[str, Checklist]:
    """The surveys new rounds are opened with (the survey library's current versions, not
    retired), by id: CHECKLIST_DIR/surveys' files and what the bureau published in the app.
    Read per call, like current(); a round keeps the version it was opened with."""
    db = db if db is not None else get_db()
    out: dict[str, Checklist] = {}
    for survey_id, survey_hash in library.current_hashes(db, library.SURVEY).items():
        survey = survey_by_hash(db, survey_hash)
        if survey is not None:
            out[survey_id] = survey
    return out


_surveys_by_hash: dict[str, Checklist] = {}


def survey_by_hash(db: Database, survey_hash: str) -> Checklist | None:
    """Any survey version a round was ever opened with (immutable, so cached)."""
    if survey_hash in _surveys_by_hash:
        return _surveys_by_hash[survey_hash]
    compiled = stored_surveys.compiled(db, survey_hash)
    if compiled is None:
        return None
    survey = Checklist.from_compiled(compiled)
    _surveys_by_hash[survey_hash] = survey
    return survey


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
