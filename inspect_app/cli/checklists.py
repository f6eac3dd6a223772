"""`flask checklists validate|import|export`: checklist files, YAML and Excel, checked in Chinese.

`validate` checks YAML files and folders and .xlsx workbooks; `export` writes a YAML checklist
as a workbook (or the blank template), `import` writes a workbook as YAML. Both directions
check the input first and refuse it with every problem listed.

The group is a Flask CLI plugin (``flask.commands`` entry point in pyproject.toml), so it runs
without building the app: an app refuses to start with a broken checklist, which is exactly
when an author needs this command. All checking is the core's (``check_paths``).
"""

from __future__ import annotations

import os

import click
from flask import Flask, current_app, has_app_context

from inspect_app import config
from inspect_app.checklist import workbook
from inspect_app.checklist.loader import check_file, check_paths, read_failure
from inspect_app.checklist.model import Checklist

checklists_cli = click.Group("checklists", help="检查单：校验、导入、导出（YAML 与 Excel）。")


def _is_workbook(path: str) -> bool:
    return path.lower().endswith(".xlsx")


def _check_workbook(path: str) -> tuple[Checklist | None, list[str]]:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return None, [f"{path}: {read_failure(exc)}"]
    checklist, errors = workbook.check_workbook(data, os.path.basename(path))
    return checklist, [f"{path}: {e}" for e in errors]


def validate_paths(paths: list[str]) -> int:
    """Print every error (exit status 1) or a summary of what passed (exit status 0)."""
    books = [p for p in paths if _is_workbook(p) and not os.path.isdir(p)]
    loaded, load_errors = check_paths([p for p in paths if p not in books])
    errors = [str(e) for e in load_errors]
    bad_files = {e.file for e in load_errors}
    for path in books:
        checklist, problems = _check_workbook(path)
        errors += problems
        if problems:
            bad_files.add(path)
        elif checklist is not None:
            loaded[f"{checklist.id}@{path}"] = checklist
    if errors:
        for error in errors:
            click.echo(error, err=True)
        click.echo(f"校验未通过：{len(bad_files)} 个文件共 {len(errors)} 处错误", err=True)
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
    """校验检查单文件或目录（默认：配置项 CHECKLIST_DIR 指定的目录及其中的 surveys/ 调查问卷）。"""
    configured = current_app.config if has_app_context() else config.load()
    folder = configured["CHECKLIST_DIR"]
    # surveys (kind: survey) are in their own subfolder, checked with the checklists
    surveys = os.path.join(folder, "surveys")
    targets = list(paths) or [folder, *([surveys] if os.path.isdir(surveys) else [])]
    raise SystemExit(validate_paths(targets))


def _refuse(errors: list[str]) -> None:
    for error in errors:
        click.echo(error, err=True)
    click.echo(f"未转换：共 {len(errors)} 处错误，请修改后重试", err=True)
    raise SystemExit(1)


def _write(target: str, data: bytes) -> None:
    """Write the converted file, or say in Chinese why it cannot be written there."""
    try:
        with open(target, "wb") as fh:
            fh.write(data)
    except IsADirectoryError:
        _cannot_write(target, "这是一个文件夹，请用 -o 给出文件名")
    except FileNotFoundError:
        _cannot_write(target, "所在的文件夹不存在")
    except PermissionError:
        _cannot_write(target, "没有写入权限")
    except OSError as exc:
        _cannot_write(target, exc.strerror or "写入失败")


def _cannot_write(target: str, reason: str) -> None:
    click.echo(f"无法写出 {target}：{reason}。", err=True)
    raise SystemExit(1)


@checklists_cli.command("export")
@click.argument("source", required=False, type=click.Path())
@click.option("-o", "--output", type=click.Path(), help="写出的 .xlsx 文件（默认与源文件同名）")
@click.option("--template", is_flag=True, help="写出空白模板工作簿（含填写说明）")
def export_command(source: str | None, output: str | None, template: bool) -> None:
    """把 YAML 检查单导出为 Excel 工作簿（.xlsx）。"""
    if template:
        data = workbook.template_workbook()
        target = output or "检查单模板.xlsx"
    else:
        if source is None:
            raise click.UsageError("请指定 YAML 检查单文件，或用 --template 导出模板")
        checklist, errors = check_file(source)
        if errors or checklist is None:
            _refuse([str(e) for e in errors])
        with open(source, encoding="utf-8-sig") as fh:
            doc = workbook.yaml_document(fh.read())
        data = workbook.to_workbook(doc)
        target = output or os.path.splitext(source)[0] + ".xlsx"
    _write(target, data)
    click.echo(f"已导出：{target}")


@checklists_cli.command("import")
@click.argument("source", type=click.Path())
@click.option("-o", "--output", type=click.Path(), help="写出的 YAML 文件（默认 <id>.yaml）")
def import_command(source: str, output: str | None) -> None:
    """把 Excel 工作簿（.xlsx）导入为 YAML 检查单文件（先完整校验）。"""
    checklist, errors = _check_workbook(source)
    if errors or checklist is None:
        _refuse(errors)
    assert checklist is not None
    with open(source, "rb") as fh:
        doc, _, _ = workbook.read_workbook(fh.read())
    assert doc is not None
    target = output or os.path.join(os.path.dirname(source), f"{checklist.id}.yaml")
    _write(target, workbook.dump_yaml(doc).encode("utf-8"))
    click.echo(
        f"已导入：{target}（{checklist.title}，版本 {checklist.version}，"
        f"{len(checklist.items)} 个条目，哈希 {checklist.hash[:12]}）"
    )


def register_cli(app: Flask) -> None:
    """Add the `checklists` command group to an app (called by the app factory)."""
    app.cli.add_command(checklists_cli)
