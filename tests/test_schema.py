"""schema.sql is the schema the migrations produce, so it can be read instead of replayed."""

from __future__ import annotations

from inspect_app.storage import schema


def test_schema_snapshot_matches_the_migrations():
    assert schema.SNAPSHOT.read_text(encoding="utf-8") == schema.current(), (
        "storage/schema.sql is out of date: run .venv/bin/python -m inspect_app.storage.schema"
    )


def test_snapshot_holds_every_table_the_app_reads():
    text = schema.SNAPSHOT.read_text(encoding="utf-8")
    for table in ("schools", "users", "inspections", "inspection_answers", "rectifications",
                  "reports", "photos", "signatures", "checklist_versions"):  # fmt: skip
        assert f'CREATE TABLE "{table}" (' in text, table
