"""``flask backup DEST`` and ``flask restore SRC``: a whole instance, copied while it serves.

A backup folder holds ``inspect.db`` (a consistent copy of the live database), the ``reports``,
``media``, ``evidence`` and ``keys`` folders, the instance's ``secret_key`` and ``config.py``,
and ``manifest.json`` (row counts, file counts, when). The database is copied first and the
files after it: every file is written before the row that names it is committed, and none is
changed afterwards, so every file the copied rows name is already there to be copied; files
written meanwhile are extra, never missing (checked before the backup is declared complete).

A backup is written to ``DEST.partial``, flushed to the disk, and renamed to DEST only then,
so a backup interrupted by a full disk or a power cut never looks like a good one. A restore
flushes the files it copied before it restores the database rows that name them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from inspect_app.common.clock import local_time, stamp
from inspect_app.documents import verification
from inspect_app.storage import backup as store
from inspect_app.storage import db as database
from inspect_app.storage import reports
from inspect_app.storage.files import sync_file, sync_folder, sync_tree

FORMAT = "inspect_app.instance_backup"
FORMAT_VERSION = 1
DATABASE_FILE = "inspect.db"
# Instance files worth keeping besides the folders: the session key (logins survive a restore)
# and the deployment's own settings.
INSTANCE_FILES = ("secret_key", "config.py")
EXTERNAL_KEYS = ("SIGNING_KEY", "SIGNING_CERT", "SIGNING_CA", "SIGNING_P12")
LABELS = {"users": "账号", "schools": "学校", "inspections": "督导检查", "reports": "正式文件",
          "media": "照片", "evidence": "整改材料", "keys": "签名密钥"}  # fmt: skip


class BackupFailed(Exception):
    """A backup or restore could not be done; the message is Chinese, for the administrator."""


def _folders(config) -> dict[str, Path]:
    """The instance folders a backup holds, by their name in the backup."""
    evidence = config.get("EVIDENCE_DIR") or os.path.join(current_app.instance_path, "evidence")
    return {
        "reports": Path(config["REPORTS_DIR"]),
        "media": Path(config["MEDIA_DIR"]),
        "evidence": Path(evidence),
        "keys": Path(config["KEYS_DIR"]),
    }


def _skip_partial(directory: str, names: list[str]) -> list[str]:
    # ``*.part`` files are writes in progress (renamed into place when complete).
    return [name for name in names if name.endswith(".part")]


def _copy_folder(source: Path, dest: Path) -> tuple[int, int]:
    """Copy a folder (absent: an empty one); returns (files, bytes)."""
    if source.is_dir():
        shutil.copytree(source, dest, ignore=_skip_partial, copy_function=shutil.copy2)
    else:
        dest.mkdir(parents=True)
    files = [p for p in dest.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _missing_files(db_path: Path, root: Path) -> list[str]:
    missing = []
    for folder, paths in store.referenced_files(db_path).items():
        missing += [f"{folder}/{p}" for p in paths if not (root / folder / p).is_file()]
    return missing


def make_backup(config, dest: Path) -> dict:
    """Write a complete backup of the running instance to ``dest``; returns its manifest."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupFailed(
            f"备份目标 {dest} 已存在且不是空文件夹。请指定一个新的文件夹（例如按日期命名）。"
        )
    partial = dest.with_name(dest.name + ".partial")
    if partial.exists():  # left by an interrupted backup to the same place: ours to replace
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    db_copy = partial / DATABASE_FILE
    store.snapshot(config["DATABASE"], db_copy)
    problem = store.integrity_problem(db_copy)
    if problem:
        raise BackupFailed(f"数据库副本未通过完整性检查：{problem}")
    files = {}
    for name, source in _folders(config).items():
        count, size = _copy_folder(source, partial / name)
        files[name] = {"files": count, "bytes": size}
    instance = Path(current_app.instance_path)
    for name in INSTANCE_FILES:
        if (instance / name).is_file():
            shutil.copy2(instance / name, partial / name)
    missing = _missing_files(db_copy, partial)
    if missing:
        raise BackupFailed(
            f"备份不完整：数据库记录的 {len(missing)} 个文件在实例中不存在，例如 {missing[0]}。"
        )
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": stamp(),
        "instance": str(instance),
        "bureau": config["BUREAU_NAME"],
        "database": {
            "sha256": _sha256(db_copy),
            "bytes": db_copy.stat().st_size,
            "migrations": store.applied_migrations(db_copy),
            "tables": store.table_counts(db_copy),
        },
        "files": files,
        "external_keys": [key for key in EXTERNAL_KEYS if config.get(key)],
    }
    (partial / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    # Copied bytes reach the disk some seconds after the copy; the rename must not reach it
    # before them, or a power cut would leave a complete-looking backup of empty files.
    sync_tree(partial)
    if dest.exists():
        dest.rmdir()  # empty, checked above
    partial.rename(dest)
    sync_folder(dest.parent)
    return manifest


def read_manifest(source: Path) -> dict:
    """The backup's manifest, after checking it is one of ours and its database is sound."""
    try:
        manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupFailed(f"{source} 不是本系统的备份（缺少 manifest.json）。") from None
    except (UnicodeDecodeError, ValueError):
        raise BackupFailed(f"{source}/manifest.json 已损坏，无法读取。") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupFailed(f"{source} 不是本系统的备份。")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupFailed(f"不支持的备份格式版本：{manifest.get('format_version')}。")
    db_copy = source / DATABASE_FILE
    if not db_copy.is_file():
        raise BackupFailed(f"备份中缺少数据库文件 {DATABASE_FILE}。")
    if _sha256(db_copy) != manifest["database"]["sha256"]:
        raise BackupFailed("备份中的数据库文件与备份时不一致（哈希值不符），可能已损坏。")
    problem = store.integrity_problem(db_copy)
    if problem:
        raise BackupFailed(f"备份中的数据库未通过完整性检查：{problem}")
    missing = _missing_files(db_copy, source)
    if missing:
        raise BackupFailed(f"备份不完整：缺少 {len(missing)} 个文件，例如 {missing[0]}。")
    return manifest


def _instance_in_use(config) -> list[str]:
    """What makes the target instance non-empty, in words (empty list: a fresh instance)."""
    held = store.holds_data(config["DATABASE"])
    reasons = [f"{LABELS[table]} {n} 条" for table, n in held.items()]
    for name, folder in _folders(config).items():
        if name != "keys" and folder.is_dir() and any(p.is_file() for p in folder.rglob("*")):
            reasons.append(f"{LABELS[name]}文件夹（{folder}）中已有文件")
    return reasons


def restore_backup(config, source: Path, *, force: bool) -> tuple[dict, Path | None]:
    """Bring the backup at ``source`` into this instance; returns (manifest, set-aside folder).

    What the instance held before is never deleted: with ``force`` its database (a copy) and
    folders are moved to ``<instance>/replaced-<time>/`` first.
    """
    manifest = read_manifest(source)
    in_use = _instance_in_use(config)
    if in_use and not force:
        raise BackupFailed(
            "目标实例已有数据（" + "；".join(in_use) + "），为避免覆盖，未恢复。"
            "确认要用备份替换现有数据时，请加 --force（现有数据会先移到实例文件夹中的 replaced-… 文件夹）。"
        )
    instance = Path(current_app.instance_path)
    aside = instance / f"replaced-{datetime.now():%Y%m%d-%H%M%S}"
    moved = False
    folders = _folders(config)
    for name, folder in folders.items():
        if folder.is_dir() and any(folder.iterdir()):
            aside.mkdir(exist_ok=True)
            shutil.move(str(folder), str(aside / name))
            moved = True
        elif folder.is_dir():
            folder.rmdir()
    for name in INSTANCE_FILES:
        # A fresh instance's own secret_key was made at its first start: nothing to keep.
        if in_use and (source / name).is_file() and (instance / name).is_file():
            aside.mkdir(exist_ok=True)
            shutil.copy2(instance / name, aside / name)
            moved = True
    if in_use:
        aside.mkdir(exist_ok=True)
        store.snapshot(config["DATABASE"], aside / DATABASE_FILE)
        moved = True
    for name, folder in folders.items():
        _copy_folder(source / name, folder)
        sync_tree(folder)
    for name in INSTANCE_FILES:
        if (source / name).is_file():
            shutil.copy2(source / name, instance / name)
            sync_file(instance / name)
    if moved:
        sync_tree(aside)
    # Every restored file is on the disk before the rows naming it are (the restore commits
    # with a flush): after a power cut the instance holds no row without its file.
    sync_folder(instance)
    store.restore(source / DATABASE_FILE, config["DATABASE"])
    # A backup from an older release is brought up to this one's schema, as a start would.
    database.migrate(config["DATABASE"])
    return manifest, aside if moved else None


def stored_reports_problems(config, *, signatures: bool) -> tuple[int, list[str]]:
    """(documents checked, problems): each stored PDF against its hash, and with
    ``signatures`` also its signature and trust, as the public verify page checks it."""
    conn = database.open_database(config["DATABASE"])
    problems = []
    try:
        rows = store.documents(conn)
        for row in rows:
            try:
                data = reports.read(config["REPORTS_DIR"], row)
            except OSError:
                problems.append(f"{row['path']}：文件缺失")
                continue
            if hashlib.sha256(data).hexdigest() != row["sha256"]:
                problems.append(f"{row['path']}：内容与存档哈希不符")
            elif signatures:
                outcome = verification.check_pdf(conn, data, config)
                if not outcome["ok"]:
                    problems.append(f"{row['path']}：" + "；".join(outcome["reasons"]))
    finally:
        conn.close()
    return len(rows), problems


def _fail(message: str) -> None:
    click.echo(message, err=True)
    raise click.exceptions.Exit(1)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} KB"


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(dest: Path) -> None:
    """Copy the database, photos, evidence, reports and keys while the app keeps serving."""
    config = current_app.config
    try:
        manifest = make_backup(config, dest.resolve())
    except BackupFailed as exc:
        _fail(f"备份失败：{exc}")
    except (OSError, sqlite3.Error) as exc:
        _fail(f"备份失败：{exc}（请检查目标磁盘的空间和写入权限）。备份未完成，不可用于恢复。")
    tables = manifest["database"]["tables"]
    click.echo(f"备份完成：{dest.resolve()}（{local_time(manifest['created_at'])}）")
    click.echo(
        f"  数据库 {_size(manifest['database']['bytes'])}：督导检查 {tables.get('inspections', 0)} 次，"
        f"学校 {tables.get('schools', 0)} 所，账号 {tables.get('users', 0)} 个，"
        f"正式文件 {tables.get('reports', 0)} 份"
    )
    for name in ("reports", "media", "evidence", "keys"):
        info = manifest["files"][name]
        click.echo(f"  {LABELS[name]}：{info['files']} 个文件，{_size(info['bytes'])}")
    if manifest["external_keys"]:
        click.echo(
            "注意：本实例使用外部签名密钥（" + "、".join(manifest["external_keys"]) + "），"
            "这些密钥文件不在备份中，请另行妥善保管。",
            err=True,
        )


@click.command("restore")
@click.argument("source", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--force", is_flag=True, help="目标实例已有数据时也恢复（现有数据先移到 replaced-… 文件夹）"
)
@click.option(
    "--verify-signatures", is_flag=True, help="逐份核验恢复后的正式文件的数字签名（较慢）"
)
@with_appcontext
def restore_command(source: Path, force: bool, verify_signatures: bool) -> None:
    """Bring a backup made by `backup` into this instance (stop the server first)."""
    config = current_app.config
    if not source.is_dir():
        _fail(f"恢复失败：找不到备份文件夹 {source}。")
    try:
        manifest, aside = restore_backup(config, source.resolve(), force=force)
        checked, problems = stored_reports_problems(config, signatures=verify_signatures)
    except BackupFailed as exc:
        _fail(f"恢复失败：{exc}")
    except (OSError, sqlite3.Error) as exc:
        _fail(f"恢复失败：{exc}（请检查实例文件夹的空间和写入权限）。")
    counts = store.table_counts(config["DATABASE"])
    expected = manifest["database"]["tables"]
    differ = [
        t
        for t in ("users", "schools", "inspections", "reports")
        if counts.get(t) != expected.get(t)
    ]
    click.echo(f"已从 {source.resolve()} 恢复（备份于 {local_time(manifest['created_at'])}）。")
    click.echo(
        f"  督导检查 {counts.get('inspections', 0)} 次，学校 {counts.get('schools', 0)} 所，"
        f"账号 {counts.get('users', 0)} 个，正式文件 {counts.get('reports', 0)} 份"
    )
    if aside:
        click.echo(f"  恢复前的数据已移到 {aside}")
    if differ:
        _fail("恢复后的行数与备份记录不一致：" + "、".join(differ))
    if problems:
        _fail(f"{len(problems)} 份正式文件未通过检查：\n  " + "\n  ".join(problems[:20]))
    click.echo(
        f"  {checked} 份正式文件" + ("签名核验通过" if verify_signatures else "与存档哈希一致")
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
