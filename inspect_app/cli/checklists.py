"""`flask checklists validate`: check checklist files and print every problem in Chinese.

The group is a Flask CLI plugin (``flask.commands`` entry point in pyproject.toml), so it runs
without building the app: an app refuses to start with a broken checklist, which is exactly
when an author needs this command. All checking is the core's (``check_paths``).
"""

from __future__ import annotations

import click
from flask import Flask, current_app, has_app_context

from inspect_app import config
from inspect_app.checklist.loader import check_paths

checklists_cli = click.Group("checklists", help="检查单：校验 YAML 文件。")


def validate_paths(paths: list[str]) -> int:
    """Print every error (exit status 1) or a summary of what passed (exit status 0)."""
    loaded, errors = check_paths(paths)
    if errors:
        for error in errors:
            click.echo(str(error), err=True)
        files = len({e.file for e in errors})
        click.echo(f"校验未通过：{files} 个文件共 {len(errors)} 处错误", err=True)
        return 1
    if not loaded:
        click.echo("没有找到检查单（*.yaml）：" + "、".join(paths), err=True)
        return 1
    for checklist in loaded.values():
        click.echo(
            f"通过  {checklist.id}  {checklist.title}（版本 {checklist.version}，"
            f"{len(checklist.items)} 个条目，哈希 {checklist.hash[:12]}）"
        )
    click.echo(f"全部通过：{len(loaded)} 个检查单")
    return 0


@checklists_cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
def validate_command(paths: tuple[str, ...]) -> None:
    """校验检查单文件或目录（默认：配置项 CHECKLIST_DIR 指定的目录）。"""
    configured = current_app.config if has_app_context() else config.load()
    targets = list(paths) or [configured["CHECKLIST_DIR"]]
    raise SystemExit(validate_paths(targets))


def register_cli(app: Flask) -> None:
    """Add the `checklists` command group to an app (called by the app factory)."""
    app.cli.add_command(checklists_cli)
