"""The per-request database connection (flaskr pattern) and opening a database file."""

from __future__ import annotations

import sqlite3

import click
from flask import Flask, current_app, g
from flask.cli import with_appcontext
from sqlite_utils import Database

from inspect_app.storage.migrations import migrations


def open_database(path: str) -> Database:
    """Open a database file with the settings every connection needs."""
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    db = Database(conn)
    # WAL lets the dashboard read while an inspector's upload writes.
    db.query("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def get_db() -> Database:
    if "db" not in g:
        g.db = open_database(current_app.config["DATABASE"])
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def migrate(path: str) -> list[str]:
    """Apply pending migrations; returns the names applied. Safe to run any number of times."""
    db = open_database(path)
    try:
        pending = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
        return pending
    finally:
        db.close()


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database. Never deletes data."""
    applied = migrate(current_app.config["DATABASE"])
    if applied:
        click.echo(f"已应用 {len(applied)} 个数据库迁移：{'、'.join(applied)}")
    else:
        click.echo("数据库已是最新，无需迁移。")
    click.echo(f"数据库文件：{current_app.config['DATABASE']}")


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
