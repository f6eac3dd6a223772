"""Command-line tasks an administrator runs with ``flask --app inspect_app …``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import cli_documents, demo
from .checklist import cli as checklist_cli
from .security import ROLE_NAMES, hash_password
from .storage import schools, users
from .storage.db import open_database


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create the demo county (idempotent) and print its logins."""
    db = open_database(current_app.config["DATABASE"])
    try:
        logins = demo.seed(
            db,
            county=current_app.config["COUNTY_NAME"],
            password_hash=hash_password(demo.DEMO_PASSWORD),
        )
        count = db.execute("SELECT count(*) FROM schools").fetchone()[0]
    finally:
        db.close()
    click.echo(f"演示数据已就绪：{current_app.config['COUNTY_NAME']}，共 {count} 所学校。")
    click.echo(f"所有演示账号的密码均为：{demo.DEMO_PASSWORD}")
    click.echo(f"{'用户名':<14}{'角色':<8}姓名/学校")
    for username, name, role in logins:
        click.echo(f"{username:<16}{role:<8}{name}")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--name", "display_name", required=True, help="姓名")
@click.option("--role", type=click.Choice(list(ROLE_NAMES)), required=True)
@click.option("--school-code", default=None, help="学校账号所属学校的代码")
@click.password_option(confirmation_prompt=True)
def create_user_command(username, display_name, role, school_code, password) -> None:
    """Create an account."""
    db = open_database(current_app.config["DATABASE"])
    try:
        if users.by_username(db, username):
            raise click.ClickException(f"用户名 {username} 已存在。")
        school_id = None
        if role == "school":
            school = schools.by_code(db, school_code or "")
            if school is None:
                raise click.ClickException("学校账号需要用 --school-code 指定一所已存在的学校。")
            school_id = school["id"]
        users.create(
            db, username=username, display_name=display_name, role=role,
            password_hash=hash_password(password), school_id=school_id,
        )  # fmt: skip
    finally:
        db.close()
    click.echo(f"已创建账号 {username}（{ROLE_NAMES[role]}）。")


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_user_command)
    checklist_cli.register_cli(app)
    cli_documents.init_app(app)
