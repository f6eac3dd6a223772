"""Command-line tasks for keys and signed documents: ``flask keys …`` and ``flask report …``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from inspect_app.documents import issuing, verification
from inspect_app.documents.fonts import FontMissingError, check_cjk_font
from inspect_app.documents.signing import SigningError, init_keys
from inspect_app.storage import inspections, reports
from inspect_app.storage.db import open_database

keys_cli = AppGroup("keys", help="签名密钥")
report_cli = AppGroup("report", help="督导报告与整改通知书")


@keys_cli.command("init")
@click.option("--force", is_flag=True, help="覆盖已有密钥（旧密钥签发的文件将无法再通过核验）")
def keys_init(force: bool) -> None:
    """Create a self-signed authority and signing certificate in the instance folder."""
    try:
        paths = init_keys(
            current_app.config["KEYS_DIR"],
            organization=current_app.config["BUREAU_NAME"],
            overwrite=force,
        )
    except SigningError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("签名密钥已就绪：")
    for role, path in paths.items():
        click.echo(f"  {role}: {path}")


@report_cli.command("fonts")
def report_fonts() -> None:
    """Check that the CJK font reports need is installed."""
    try:
        path = check_cjk_font()
    except FontMissingError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"中文字体正常：{path}")


@report_cli.command("pdf")
@click.argument("inspection_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--notice", is_flag=True, help="输出整改通知书而不是督导报告")
def report_pdf(inspection_id: str, output: str, notice: bool) -> None:
    """Write the stored signed report (or notice) of an inspection to a file."""
    config = current_app.config
    db = open_database(config["DATABASE"])
    try:
        if inspections.get(db, inspection_id) is None:
            raise click.ClickException(f"找不到检查记录 {inspection_id}。")
        issuing.ensure_documents(db, config, inspection_id)
        row = reports.current(db, inspection_id, "notice" if notice else "report")
        if row is None:
            raise click.ClickException("该次检查未发现问题，没有整改通知书。")
        Path(output).write_bytes(reports.read(config["REPORTS_DIR"], row))
    finally:
        db.close()
    click.echo(f"已写出 {output}（第 {row['version']} 版，SHA-256 {row['sha256']}）")


@report_cli.command("reissue")
@click.argument("inspection_id")
@click.option("--reason", required=True, help="更正原因，将写入新版本")
def report_reissue(inspection_id: str, reason: str) -> None:
    """Issue a corrected report that supersedes the current one (both stay on record)."""
    db = open_database(current_app.config["DATABASE"])
    try:
        if inspections.get(db, inspection_id) is None:
            raise click.ClickException(f"找不到检查记录 {inspection_id}。")
        row = issuing.issue_report(db, current_app.config, inspection_id, reason=reason)
    finally:
        db.close()
    click.echo(f"已签发第 {row['version']} 版报告，旧版本已标记为「已被新版本取代」。")


@report_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def report_verify(file: str) -> None:
    """Check a PDF: valid signature, trusted certificate, unmodified, and issued by this system."""
    db = open_database(current_app.config["DATABASE"])
    try:
        result = verification.check_pdf(db, Path(file).read_bytes(), current_app.config)
    finally:
        db.close()
    if result["ok"]:
        stored = result["stored"]
        click.echo("核验通过：签名有效，证书可信，签名后未被修改，与系统存档一致。")
        click.echo(
            f"  学校：{stored.get('school', '—')}  日期：{stored.get('date', '—')}  等级：{stored.get('grade') or '—'}"
        )
        click.echo(f"  状态：{stored['status']}  SHA-256：{result['sha256']}")
        return
    click.echo("核验未通过：", err=True)
    for reason in result["reasons"]:
        click.echo(f"  - {reason}", err=True)
    if result.get("detail"):
        # The parser's own words, for whoever has to tell a damaged file from a forged one.
        click.echo(f"  技术细节：{result['detail']}", err=True)
    sys.exit(1)


def init_app(app: Flask) -> None:
    app.cli.add_command(keys_cli)
    app.cli.add_command(report_cli)
