"""`flask import-backup`: an inspection exported from a phone's outbox, loaded on the server."""

import base64
import json

import pytest

from inspect_app.inspections import catalog
from inspect_app.storage import inspections, reports

from . import factories


@pytest.fixture
def backup_file(app, county, tmp_path):
    with app.app_context():
        compiled = catalog.current()["fupin_comprehensive"].compiled
    photo = factories.jpeg_bytes(9)
    body = factories.payload(
        county["school_b"], compiled, passing=False, photos=[factories.sha256(photo)]
    )
    backup = {
        "format": "inspect_app.outbox_backup",
        "format_version": 1,
        "exported_at": "2026-11-20T05:00:00Z",
        "inspection": body,
        "photos": [{"sha256": factories.sha256(photo), "item": body["photos"][0]["item"], "caption": "现场",
                    "content_type": "image/jpeg", "width": 1200, "height": 900,
                    "data_base64": base64.b64encode(photo).decode()}],
    }  # fmt: skip
    path = tmp_path / "backup.json"
    path.write_text(json.dumps(backup, ensure_ascii=False), encoding="utf-8")
    return path, backup


def test_import_backup_loads_inspection_photos_and_documents(app, db, backup_file):
    path, backup = backup_file
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-backup", str(path), "--user", "insp"])
    assert result.exit_code == 0, result.output
    assert "已导入：西乡初级中学" in result.output
    inspection_id = backup["inspection"]["id"]
    assert [p["photo_sha256"] for p in inspections.photos(db, inspection_id)] == [
        backup["photos"][0]["sha256"]
    ]
    assert reports.current(db, inspection_id, "report") is not None
    again = runner.invoke(args=["import-backup", str(path), "--user", "insp"])
    assert again.exit_code == 0 and "无需重复导入" in again.output
    assert db["inspections"].count == 1


def test_import_backup_refuses_damaged_files(app, backup_file, tmp_path):
    path, backup = backup_file
    runner = app.test_cli_runner()
    backup["photos"][0]["data_base64"] = base64.b64encode(b"not the photo").decode()
    damaged = tmp_path / "damaged.json"
    damaged.write_text(json.dumps(backup), encoding="utf-8")
    result = runner.invoke(args=["import-backup", str(damaged), "--user", "insp"])
    assert result.exit_code == 1 and "备份可能已损坏" in result.output
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{", encoding="utf-8")
    assert (
        "无法解析 JSON"
        in runner.invoke(args=["import-backup", str(garbage), "--user", "insp"]).output
    )
    assert "不是督学" in runner.invoke(args=["import-backup", str(path), "--user", "sch_a"]).output
