"""Instance folders for tests: an app with the test settings, and templates built once per run.

Building an instance from nothing (the migrations, parsing the shipped checklists, storing
their versions, compiling the pages) costs more than most tests themselves, so conftest
builds *template* instance folders once per session and copies one into each test's tmp
folder (datasette's tests do the same). Plain functions and classes; the fixtures that use
them are in conftest.py and browser/conftest.py.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from jinja2.bccache import Bucket, BytecodeCache
from sqlite_utils import Database

from inspect_app import create_app
from inspect_app.storage.db import open_database

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test",
    # Tests log in thousands of times: argon2 at 1 pass over 1 MiB takes about 1 ms instead of
    # the deployment's 3 × 64 MiB (8 MiB, the old test setting, took 7.6 ms). A test that
    # needs a real cost (the login timing test) sets its own.
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 1024,
}


class _TemplateCode(BytecodeCache):
    """Compiled page templates kept in memory for the whole run.

    Every test builds a new app and so a new Jinja environment, which compiled every page
    it rendered afresh; the cache is keyed by the template's source checksum, so an edited
    template is still compiled again.
    """

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


_template_code = _TemplateCode()


def make_app(instance: Path, **config) -> Flask:
    """An app on ``instance`` with the test settings (and ``config`` on top)."""
    app = create_app({**TEST_CONFIG, "INSTANCE_PATH": str(instance), **config})
    app.jinja_env.bytecode_cache = _template_code
    return app


class Template:
    """An instance folder built once per run; ``copy_to`` gives a test its own copy."""

    def __init__(self, folder: Path, facts: dict):
        self.folder = folder
        self.facts = facts

    def copy_to(self, target: Path) -> None:
        shutil.copytree(self.folder, target)


def _run_folder(tmp_path_factory) -> Path | None:
    """A folder every pytest-xdist worker of this run shares, or None outside xdist."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run or not hasattr(tmp_path_factory, "getbasetemp"):
        return None
    # each worker's basetemp is <run root>/popen-gwN; the run root is theirs in common
    return tmp_path_factory.getbasetemp().parent / f"templates-{run}"


def build_template(
    tmp_path_factory,
    name: str,
    fill: Callable[[Flask, Database], dict] | None = None,
    base: Template | None = None,
) -> Template:
    """Build an instance: ``base`` copied (or a new one), then ``fill(app, db)``, whose
    return value becomes the template's facts (ids and results the tests look up).

    Under pytest-xdist the first worker to ask builds it and the others wait for it and use
    the same folder (they only ever copy from it): building the issued template alone renders
    and signs two documents, and `make test` has three workers.
    """
    shared = _run_folder(tmp_path_factory)
    if shared is None:
        return _build_template(tmp_path_factory, name, fill, base)
    shared.mkdir(exist_ok=True)
    with open(shared / f"{name}.lock", "wb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        built = shared / f"{name}.pickle"
        if built.exists():
            folder, facts = pickle.loads(built.read_bytes())
            return Template(Path(folder), facts)
        template = _build_template(tmp_path_factory, name, fill, base)
        # written last, once the folder is complete: its existence says the template is ready
        partial = built.with_suffix(".partial")
        partial.write_bytes(pickle.dumps((str(template.folder), template.facts)))
        partial.rename(built)
        return template


def _build_template(
    tmp_path_factory,
    name: str,
    fill: Callable[[Flask, Database], dict] | None,
    base: Template | None,
) -> Template:
    work = tmp_path_factory.mktemp(f"{name}-work") / "instance"
    if base is not None:
        base.copy_to(work)
    app = make_app(work)
    facts: dict = {}
    if fill is not None:
        db = open_database(app.config["DATABASE"])
        try:
            facts = fill(app, db)
        finally:
            db.close()
    # The database is in WAL mode: copy it through SQLite's backup API, which includes what
    # is still in the -wal file, rather than the bare file.
    folder = tmp_path_factory.mktemp(name) / "instance"
    database = Path(app.config["DATABASE"])
    shutil.copytree(work, folder, ignore=shutil.ignore_patterns(f"{database.name}*"))
    source = sqlite3.connect(database)
    target = sqlite3.connect(folder / database.name)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return Template(folder, facts)
