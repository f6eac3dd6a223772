"""The current schema in one file: ``schema.sql``, written from a freshly migrated database.

Nobody should have to replay the migrations in their head to know what a table holds.
Refresh it after adding a migration::

    .venv/bin/python -m inspect_app.storage.schema

(tests/test_schema.py fails while the file and the migrations disagree).
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from pathlib import Path

from inspect_app.storage.db import migrate, open_database

SNAPSHOT = Path(__file__).with_name("schema.sql")
_ORDER = {"table": 0, "index": 1, "view": 2, "trigger": 3}


def dump(path: str) -> str:
    """Every table, index, view and trigger of a database, as SQL, in a stable order."""
    db = open_database(path)
    try:
        rows = db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    finally:
        db.close()
    rows.sort(key=lambda r: (_ORDER.get(r[0], 9), r[2] if r[0] != "table" else r[1], r[1]))
    head = (
        "-- The schema as the migrations in storage/migrations.py leave it (generated; do not edit).\n"
        "-- Refresh: .venv/bin/python -m inspect_app.storage.schema\n"
    )
    return head + "".join(f"\n{sql.strip()};\n" for _, _, _, sql in rows)


def current() -> str:
    """The schema of a new database after every migration."""
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "schema.db")
        migrate(path)
        return dump(path)


def main() -> int:
    try:
        SNAPSHOT.write_text(current(), encoding="utf-8")
    except (OSError, sqlite3.Error) as exc:
        print(f"无法写出数据库结构文件 {SNAPSHOT}：{exc}", file=sys.stderr)
        return 1
    print(f"已写出 {SNAPSHOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
