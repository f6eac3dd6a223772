"""Error pages in Chinese, as HTML or JSON depending on who asks; never a traceback."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import IntegerConverter

MESSAGES = {
    400: ("请求有误", "提交的内容不完整或格式不正确，请返回检查后重试。"),
    401: ("需要登录", "请先登录。"),
    403: ("无权访问", "您的账号无权查看或操作此页面。如需权限，请联系县教育局管理员。"),
    404: ("页面不存在", "您要找的页面不存在，可能已被移动或删除。"),
    405: ("操作方式不正确", "该页面不支持此操作方式。"),
    409: ("数据冲突", "该数据已被修改，请刷新后重试。"),
    413: (
        "文件过大",
        "一次提交的内容合计超过 {limit} MB（每个文件不能超过 10 MB，一次最多 10 个）。"
        "请返回上一页，减少或压缩文件后重新提交。",
    ),
    429: ("操作过于频繁", "请稍后再试。"),
    500: (
        "服务器出错",
        "服务器处理请求时出错，我们已记录此问题。请稍后重试；您填写的数据不会丢失。",
    ),
}


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` limited to what SQLite stores: a larger id cannot name a row, and binding
    it raised OverflowError (a 500). Out of range, the route does not match: a plain 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**63 - 1, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best_match(["application/json", "text/html"]) == "application/json"
    )


def _render(status: int, detail: str | None = None, title: str | None = None):
    default_title, message = MESSAGES.get(status, MESSAGES[500])
    if status == 413:
        # The limit this request had (a route may set a lower one than the configured cap), so
        # the page never states a cap the server does not use.
        limit = request.max_content_length or 0
        message = message.format(limit=round(limit / 1048576))
    title = title or default_title
    message = detail or message
    if _wants_json():
        return jsonify(error=title, message=message), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(
            400, "页面已过期或安全校验失败，请刷新页面后重新提交。", title="安全校验失败"
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _render(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unhandled error")
        return _render(500)

    app.register_error_handler(InternalServerError, lambda e: _render(500))
