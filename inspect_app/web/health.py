"""``/healthz`` for monitoring: 200 only when the service can do its work, 503 otherwise.

Checked: the database takes a write (uploads would fail otherwise), the document worker's
heartbeat is fresh (reports would stop appearing), the CJK font is installed (reports could
not be rendered) and the instance folder's disk has room (uploads and reports are written
there). The answer names each check, so an alert says what to fix.
"""

from __future__ import annotations

import shutil
import sqlite3

from flask import Blueprint, current_app, jsonify

from inspect_app.documents.fonts import FontMissingError, check_cjk_font
from inspect_app.storage import jobs
from inspect_app.storage.db import check_writable, get_db
from inspect_app.web.guards import public

bp = Blueprint("health", __name__)


def _database() -> dict:
    try:
        check_writable(get_db())
    except sqlite3.Error as exc:
        return {"ok": False, "message": f"数据库无法写入：{exc}"}
    return {"ok": True, "message": "数据库可写"}


def _worker() -> dict:
    max_age = float(current_app.config["HEALTH_HEARTBEAT_MAX_AGE"])
    try:
        beats = jobs.heartbeats(get_db())
    except sqlite3.Error as exc:
        return {"ok": False, "message": f"无法读取文档生成进程的心跳：{exc}"}
    if not beats:
        return {"ok": False, "message": "文档生成进程从未运行", "last_heartbeat": None}
    beat_at = beats[0]["beat_at"]
    age = jobs.heartbeat_age(beats[0])
    ok = age <= max_age
    return {
        "ok": ok,
        "message": "文档生成进程运行正常" if ok else f"文档生成进程已 {int(age)} 秒没有心跳",
        "last_heartbeat": beat_at,
        "age_seconds": round(age, 1),
    }


def _font() -> dict:
    try:
        path = check_cjk_font()
    except FontMissingError as exc:
        return {"ok": False, "message": str(exc)}
    return {"ok": True, "message": "中文字体已安装", "path": path}


def _disk() -> dict:
    free_mb = shutil.disk_usage(current_app.instance_path).free // (1024 * 1024)
    needed = int(current_app.config["HEALTH_MIN_FREE_MB"])
    ok = free_mb >= needed
    return {
        "ok": ok,
        "message": "磁盘空间充足" if ok else f"磁盘剩余空间不足（少于 {needed} MB）",
        "free_mb": free_mb,
    }


@bp.get("/healthz")
@public
def healthz():
    checks = {"database": _database(), "worker": _worker(), "font": _font(), "disk": _disk()}
    ok = all(check["ok"] for check in checks.values())
    response = jsonify(status="ok" if ok else "fail", checks=checks)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response
