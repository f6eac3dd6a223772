"""Command-line tasks an administrator runs with ``flask --app inspect_app …``."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from inspect_app.cli import backup as backup_cli
from inspect_app.cli import checklists as checklist_cli
from inspect_app.cli import documents, serving
from inspect_app.common.vocabulary import ROLE_NAMES, UNIT_KINDS
from inspect_app.demo import county, term
from inspect_app.directory.passwords import hash_password, weakness
from inspect_app.documents import issuing
from inspect_app.inspections import catalog, receiving
from inspect_app.inspections.images import ImageRejected, clean_photo
from inspect_app.rectification import followups
from inspect_app.storage import media, schools, units, users
from inspect_app.storage.db import open_database, write


@click.command("notify")
@click.option("--digest", is_flag=True, help="同时发送每日汇总（每天运行一次，如凌晨）")
@with_appcontext
def notify_command(digest: bool) -> None:
    """Raise overdue items to the bureau (逾期升级), send the e-mails and webhook calls that are
    due (retries included); with --digest, the daily digests of the days before today."""
    from datetime import datetime, time

    from inspect_app.common.clock import CHINA, today_in_china
    from inspect_app.rectification import delivery, notifications

    db = open_database(current_app.config["DATABASE"])
    try:
        today = today_in_china(current_app.config.get("TODAY_OVERRIDE"))
        raised = notifications.run_escalations(db, today)
        click.echo(f"逾期升级提醒 {raised} 条。")
        counts = delivery.deliver_due(db, current_app.config)
        click.echo(
            f"已发送 {counts['sent']} 条，稍后重试 {counts['retry']} 条，放弃 {counts['failed']} 条。"
        )
        if digest:
            start = datetime.combine(today, time(0), CHINA)
            click.echo(
                f"已发送每日汇总 {delivery.send_digests(db, current_app.config, start)} 份。"
            )
    finally:
        db.close()


@click.command("seed-demo")
@click.option("--inspections", is_flag=True, help="同时生成一个学期的督导检查、整改和正式文件")
@with_appcontext
def seed_demo_command(inspections: bool) -> None:
    """Create the demo county (idempotent) and print its logins."""
    db = open_database(current_app.config["DATABASE"])
    try:
        logins = county.seed(
            db,
            county=current_app.config["COUNTY_NAME"],
            password_hash=hash_password(county.DEMO_PASSWORD, current_app.config),
        )
        count = schools.count(db)
        # the term's plan: who may inspect which school (an inspector only their planned ones)
        with write(db):
            term.plan_term(db)
        if inspections:
            comprehensive = catalog.current()["fupin_comprehensive"]
            received = term.seed_term(db, comprehensive, current_app.config["MEDIA_DIR"])
            routine = catalog.current().get("routine_visit")
            if received and routine is not None:  # 挂牌督导 visits of the same term
                received += term.seed_routine_visits(db, routine, current_app.config["MEDIA_DIR"])
            if received:
                click.echo(f"已按真实流程接收 {len(received)} 次督导检查（评分由检查单引擎计算）。")
                click.echo("督导报告和整改通知书将在系统启动后由后台自动签发。")
            else:
                click.echo("已有督导检查数据，未重复生成。")
    finally:
        db.close()
    click.echo(f"演示数据已就绪：{current_app.config['COUNTY_NAME']}，共 {count} 所学校。")
    click.echo(f"所有演示账号的密码均为：{county.DEMO_PASSWORD}")
    click.echo(f"{'用户名':<14}{'角色':<8}姓名/学校")
    for username, name, role in logins:
        click.echo(f"{username:<16}{role:<8}{name}")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--name", "display_name", required=True, help="姓名")
@click.option("--role", type=click.Choice(list(ROLE_NAMES)), required=True)
@click.option("--school-code", default=None, help="学校账号所属学校的代码")
@click.option("--unit", "unit_name", default=None, help="责任单位账号所属单位的名称，如 县财政局")
@click.option(
    "--new-unit",
    "new_unit_kind",
    type=click.Choice(list(UNIT_KINDS)),
    default=None,
    help="--unit 指定的单位尚不存在时，按此类别新建（department 县直部门 / township 乡镇政府）",
)
@click.password_option(confirmation_prompt=True)
def create_user_command(
    username, display_name, role, school_code, unit_name, new_unit_kind, password
) -> None:
    """Create an account; its user sets their own password at first login. A department
    account (role department) belongs to a responsible unit (--unit)."""
    db = open_database(current_app.config["DATABASE"])
    try:
        reason = weakness(password, [username, display_name, school_code or ""])
        if reason:
            raise click.ClickException(reason)
        if users.by_username(db, username):
            raise click.ClickException(f"用户名 {username} 已存在。")
        school_id = unit_id = None
        if role == "school":
            school = schools.by_code(db, school_code or "")
            if school is None:
                raise click.ClickException("学校账号需要用 --school-code 指定一所已存在的学校。")
            school_id = school["id"]
        if role == "department":
            unit_id = _unit_for_account(db, (unit_name or "").strip(), new_unit_kind)
        elif unit_name:
            raise click.ClickException("只有责任单位账号（--role department）才能指定 --unit。")
        users.create(
            db, username=username, display_name=display_name, role=role,
            password_hash=hash_password(password, current_app.config), school_id=school_id,
            unit_id=unit_id, must_change_password=True,
        )  # fmt: skip
    finally:
        db.close()
    click.echo(f"已创建账号 {username}（{ROLE_NAMES[role]}）。")


def _unit_for_account(db, name: str, new_kind: str | None) -> int:
    """The id of the unit a department account belongs to, created when asked (--new-unit)."""
    if not name:
        raise click.ClickException("责任单位账号需要用 --unit 指定所属单位，如 --unit 县财政局。")
    unit = units.by_name(db, name)
    if unit is not None:
        if not unit["active"]:
            raise click.ClickException(f"责任单位「{name}」已停用，请先在「责任单位」页面启用。")
        return unit["id"]
    if new_kind is None:
        known = "、".join(u["name"] for u in units.list_all(db, active_only=True)) or "（暂无）"
        raise click.ClickException(
            f"责任单位「{name}」不存在。已有的单位：{known}。"
            "如需新建，请加 --new-unit department（县直部门）或 --new-unit township（乡镇政府）。"
        )
    return units.create(db, name=name, kind=new_kind)


@click.command("import-backup")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--user", "username", required=True, help="提交该检查的督学用户名")
@with_appcontext
def import_backup_command(file: str, username: str) -> None:
    """Load an inspection a phone exported with 「导出备份」 (its photos included)."""
    try:
        backup = json.loads(Path(file).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise click.ClickException("文件不是有效的备份文件（无法解析 JSON）。") from exc
    if not isinstance(backup, dict) or backup.get("format") != "inspect_app.outbox_backup":
        raise click.ClickException("文件不是本系统「导出备份」生成的备份文件。")
    if backup.get("format_version") != 1:
        raise click.ClickException(f"不支持的备份格式版本：{backup.get('format_version')}。")
    config = current_app.config
    db = open_database(config["DATABASE"])
    try:
        user = users.by_username(db, username)
        if user is None or user["role"] not in ("inspector", "bureau", "admin"):
            raise click.ClickException(f"用户 {username} 不存在或不是督学。")
        for photo in backup.get("photos") or []:
            try:
                data = base64.b64decode(photo["data_base64"], validate=True)
            except (KeyError, TypeError, ValueError) as exc:
                raise click.ClickException("备份中的照片数据已损坏。") from exc
            if hashlib.sha256(data).hexdigest() != photo.get("sha256"):
                raise click.ClickException(
                    f"照片 {str(photo.get('sha256'))[:12]} 的内容与其编号不符，备份可能已损坏。"
                )
            try:
                media.store(db, config["MEDIA_DIR"], photo["sha256"], clean_photo(data), user["id"])
            except ImageRejected as exc:
                raise click.ClickException(f"照片 {photo['sha256'][:12]}：{exc}") from exc
        inspection = backup.get("inspection")
        if not isinstance(inspection, dict) or not isinstance(inspection.get("id"), str):
            raise click.ClickException("备份中缺少检查数据。")
        if inspection.get("type") == followups.TYPE:
            # A 回头看 from the same outbox (static/js/inspector/followup.js).
            _import_followup(db, inspection, user)
            return
        try:
            received = receiving.receive(db, inspection, inspection["id"], user)
        except receiving.Forbidden as exc:
            raise click.ClickException(f"{exc}未导入。") from exc
        except receiving.Conflict as exc:
            raise click.ClickException(
                "服务器上已有同一编号的检查，且内容与备份不同；未导入。"
            ) from exc
        except receiving.PayloadError as exc:
            details = "；".join(f"{field}：{problem}" for field, problem in exc.fields.items())
            raise click.ClickException(f"{exc}：{details}") from exc
        row = received.inspection
        if received.created:
            issuing.ensure_documents(db, config, row["id"])
            click.echo(
                f"已导入：{row['school_name']} {row['date']}，得分 {row['total']}，等级 {row['grade']}。"
            )
        else:
            click.echo(
                f"该检查已在服务器上（{row['school_name']} {row['date']}），内容一致，无需重复导入。"
            )
    finally:
        db.close()


def _import_followup(db, visit: dict, user: dict) -> None:
    from inspect_app.common.clock import today_in_china

    config = current_app.config
    try:
        received = followups.receive(
            db, visit, visit["id"], user, today=today_in_china(config.get("TODAY_OVERRIDE")),
            media_dir=config["MEDIA_DIR"],
            evidence_dir=config.get("EVIDENCE_DIR") or f"{current_app.instance_path}/evidence",
            actor="督学（备份导入）",
        )  # fmt: skip
    except followups.Forbidden as exc:
        raise click.ClickException(str(exc)) from exc
    except followups.Conflict as exc:
        raise click.ClickException(
            "服务器上已有同一编号的回头看，且内容与备份不同；未导入。"
        ) from exc
    except followups.PayloadError as exc:
        details = "；".join(f"{field}：{problem}" for field, problem in exc.fields.items())
        raise click.ClickException(f"{exc}：{details}") from exc
    row = received.visit
    what = f"回头看 {row['school_name']} {row['date']}"
    if received.created:
        click.echo(
            f"已导入：{what}，已整改 {row['fixed']} 个，部分整改 {row['partial']} 个，"
            f"未整改 {row['not_fixed']} 个。"
        )
    else:
        click.echo(f"该回头看已在服务器上（{what}），内容一致，无需重复导入。")


def init_app(app: Flask) -> None:
    app.cli.add_command(import_backup_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(notify_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(serving.serve_command)
    app.cli.add_command(serving.worker_command)
    checklist_cli.register_cli(app)
    documents.init_app(app)
    backup_cli.init_app(app)
