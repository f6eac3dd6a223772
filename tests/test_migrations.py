import sqlite3

import pytest

from inspect_app import create_app
from inspect_app.storage import audit, schools
from inspect_app.storage.db import open_database
from inspect_app.storage.migrations import migrations

ALL = [m.name for m in migrations._migrations]


def test_fresh_database_has_every_table_and_settings(db):
    assert {
        "regions",
        "schools",
        "users",
        "audit_log",
        "login_failures",
        "checklist_versions",
    } <= set(db.table_names())
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [m.name for m in migrations.applied(db)] == ALL


def test_init_db_twice_keeps_data(app, db):
    county = schools.ensure_region(db, "县", "county")
    township = schools.ensure_region(db, "镇", "township", county)
    schools.save(db, {"code": "X1", "name": "某小学", "township_id": township, "stage": "小学"})
    runner = app.test_cli_runner()
    first = runner.invoke(args=["init-db"])
    second = runner.invoke(args=["init-db"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert "数据库已是最新" in second.output
    assert db.execute("SELECT name FROM schools").fetchall() == [("某小学",)]


def test_upgrade_from_older_migration_set(tmp_path):
    path = str(tmp_path / "instance" / "inspect.db")
    (tmp_path / "instance").mkdir()
    old = open_database(path)
    # A database made by the first release: only the first migration existed then.
    migrations.apply(old, stop_before=ALL[1])
    assert [m.name for m in migrations.applied(old)] == ALL[:1]
    county = schools.ensure_region(old, "旧县", "county")
    township = schools.ensure_region(old, "旧镇", "township", county)
    schools.save(
        old, {"code": "OLD1", "name": "老数据小学", "township_id": township, "stage": "小学"}
    )
    old.close()

    app = create_app(
        {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "x"}
    )
    upgraded = open_database(app.config["DATABASE"])
    assert [m.name for m in migrations.applied(upgraded)] == ALL
    assert schools.by_code(upgraded, "OLD1")["name"] == "老数据小学"
    assert "audit_log" in upgraded.table_names()


def test_audit_log_is_append_only(db):
    audit.record(db, "login", target="x")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit_log SET action = 'tampered'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM audit_log")
    # (the app's start-up already logged the shipped checklists' publication)
    assert [r["action"] for r in audit.recent(db) if r["target"] == "x"] == ["login"]


def test_foreign_keys_enforced(db):
    with pytest.raises(sqlite3.IntegrityError):
        schools.save(db, {"code": "Z", "name": "无乡镇", "township_id": 999, "stage": "小学"})


def test_servers_started_together_migrate_a_new_database_once(tmp_path):
    # Two servers (or a server and `flask init-db`) started at the same moment on one new
    # database: without the lock, each read the pending list and ran a migration the other had
    # just committed (「table … already exists」, a refused start).
    import subprocess
    import sys

    path = tmp_path / "shared.db"
    code = f"from inspect_app.storage.db import migrate; migrate({str(path)!r})"
    processes = [
        subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=120)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], errors
    db = open_database(str(path))
    try:
        assert [m.name for m in migrations.applied(db)] == ALL
    finally:
        db.close()
