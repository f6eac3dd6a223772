"""``flask backup`` while inspections keep arriving, and ``flask restore`` into a fresh instance.

The restored instance has exactly the rows the backup recorded, and every stored signed
document still verifies there (its keys came along).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from inspect_app import create_app
from inspect_app.documents import issuing
from inspect_app.documents.verification import check_pdf
from inspect_app.inspections import receiving
from inspect_app.storage import backup as store
from inspect_app.storage import media, reports, users
from inspect_app.storage.db import open_database

from . import factories

FRESH_CONFIG = {"TESTING": True, "SECRET_KEY": "test", "ARGON2_TIME_COST": 1,
                "ARGON2_MEMORY_COST": 8192}  # fmt: skip


def inspections_count(path: str) -> int:
    return store.table_counts(path)["inspections"]


@pytest.fixture
def fresh(tmp_path):
    """A second instance, started once and never used: where a restore goes."""
    return create_app({**FRESH_CONFIG, "INSTANCE_PATH": str(tmp_path / "fresh")})


def test_backup_during_writes_restores_with_matching_counts_and_verifying_documents(
    app, db, issued, county, checklist, fresh, tmp_path
):
    inspector = users.get(db, county["insp"])
    before = inspections_count(app.config["DATABASE"])
    written: list[str] = []
    failures: list[str] = []
    first_write, stop = threading.Event(), threading.Event()

    def receive_inspections() -> None:
        conn = open_database(app.config["DATABASE"])
        try:
            while not stop.is_set() and len(written) < 500:
                body = factories.payload(county["school_b"], checklist, passing=False)
                receiving.receive(conn, body, body["id"], inspector)
                written.append(body["id"])
                first_write.set()
        except Exception as exc:  # collected: an assertion in a thread would be lost
            failures.append(f"receive: {type(exc).__name__}: {exc}")
        finally:
            first_write.set()
            conn.close()

    def issue_documents() -> None:
        # A report and a notice rendered, signed and stored while the backup copies.
        conn = open_database(app.config["DATABASE"])
        try:
            first_write.wait()
            issuing.ensure_documents(conn, app.config, written[0])
        except Exception as exc:
            failures.append(f"issue: {type(exc).__name__}: {exc}")
        finally:
            conn.close()

    threads = [
        threading.Thread(target=receive_inspections),
        threading.Thread(target=issue_documents),
    ]
    for thread in threads:
        thread.start()
    first_write.wait(timeout=60)
    dest = tmp_path / "backups" / "2026-12-01"
    result = app.test_cli_runner().invoke(args=["backup", str(dest)])
    at_backup = len(written)
    while len(written) < at_backup + 3 and not failures and threads[0].is_alive():
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures
    assert result.exit_code == 0, result.output
    assert "备份完成" in result.output

    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    recorded = manifest["database"]["tables"]
    after = inspections_count(app.config["DATABASE"])
    assert before < recorded["inspections"] < after  # copied mid-stream, one committed state
    assert not (dest.parent / "2026-12-01.partial").exists()

    result = fresh.test_cli_runner().invoke(args=["restore", str(dest)])
    assert result.exit_code == 0, result.output
    assert "已从" in result.output and "恢复" in result.output
    assert store.table_counts(fresh.config["DATABASE"]) == recorded

    restored = open_database(fresh.config["DATABASE"])
    try:
        documents = store.documents(restored)
        assert len(documents) >= 2  # the issued fixture's report and notice, at least
        for row in documents:
            data = reports.read(fresh.config["REPORTS_DIR"], row)
            outcome = check_pdf(restored, data, fresh.config)
            assert outcome["ok"], (row["path"], outcome["reasons"])
        for photo in restored.query("SELECT * FROM photos"):
            assert media.read(fresh.config["MEDIA_DIR"], photo)
    finally:
        restored.close()


def test_a_backup_and_a_restore_are_on_the_disk_before_they_say_so(
    app, issued, fresh, tmp_path, monkeypatch
):
    """A power cut right after 备份完成, or after a restore, loses nothing: copied bytes sit in
    the page cache for seconds, and the rename (or the restored rows) could reach the disk
    before them, leaving a complete-looking backup (or instance) of empty files."""
    flushed: list[str] = []
    real_fsync, real_restore = os.fsync, store.restore

    def fsync(fd: int) -> None:
        flushed.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def restore(source, target) -> None:
        flushed.append("restored rows")
        real_restore(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(store, "restore", restore)
    dest = (tmp_path / "backups" / "2026-12-01").resolve()
    assert app.test_cli_runner().invoke(args=["backup", str(dest)]).exit_code == 0
    partial = f"{dest}.partial"
    backed_up = {".", *(str(p.relative_to(dest)) for p in dest.rglob("*"))}
    assert len(backed_up) > 10 and "manifest.json" in backed_up
    # each file and folder flushed under the partial name: before the rename made it the backup
    assert backed_up <= {os.path.relpath(f, partial) for f in flushed if f.startswith(partial)}
    assert flushed[-1] == str(dest.parent)  # and then the rename itself

    flushed.clear()
    assert fresh.test_cli_runner().invoke(args=["restore", str(dest)]).exit_code == 0
    before_rows = set(flushed[: flushed.index("restored rows")])
    instance = Path(fresh.instance_path).resolve()
    restored = [instance / n for n in ("secret_key", "config.py") if (dest / n).is_file()] + [
        p
        for folder in ("REPORTS_DIR", "MEDIA_DIR", "KEYS_DIR")
        for p in Path(fresh.config[folder]).resolve().rglob("*")
    ]
    assert len(restored) > 5
    assert {str(p) for p in restored} <= before_rows


def test_restore_refuses_an_instance_in_use_unless_forced(app, issued, tmp_path):
    dest = tmp_path / "backup"
    assert app.test_cli_runner().invoke(args=["backup", str(dest)]).exit_code == 0

    refused = app.test_cli_runner().invoke(args=["restore", str(dest)])
    assert refused.exit_code == 1
    assert "目标实例已有数据" in refused.output and "--force" in refused.output
    assert "Traceback" not in refused.output and "Error" not in refused.output

    forced = app.test_cli_runner().invoke(
        args=["restore", str(dest), "--force", "--verify-signatures"]
    )
    assert forced.exit_code == 0, forced.output
    assert "签名核验通过" in forced.output
    aside = [p for p in (tmp_path / "instance").iterdir() if p.name.startswith("replaced-")]
    assert len(aside) == 1 and (aside[0] / "inspect.db").is_file()  # nothing was deleted
    assert (aside[0] / "reports").is_dir()


def test_backup_refuses_a_folder_in_use_and_restore_a_damaged_backup(app, issued, fresh, tmp_path):
    dest = tmp_path / "backup"
    assert app.test_cli_runner().invoke(args=["backup", str(dest)]).exit_code == 0
    again = app.test_cli_runner().invoke(args=["backup", str(dest)])
    assert again.exit_code == 1 and "已存在且不是空文件夹" in again.output

    data = bytearray((dest / "inspect.db").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (dest / "inspect.db").write_bytes(bytes(data))
    damaged = fresh.test_cli_runner().invoke(args=["restore", str(dest)])
    assert damaged.exit_code == 1
    assert "哈希值不符" in damaged.output and "Traceback" not in damaged.output
    assert store.holds_data(fresh.config["DATABASE"]) == {}  # the fresh instance is untouched

    missing = fresh.test_cli_runner().invoke(args=["restore", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "找不到备份文件夹" in missing.output
