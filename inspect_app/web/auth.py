"""Logging in and out, with throttling of repeated failures per username and per address."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from inspect_app.directory.passwords import check_password
from inspect_app.storage import audit, users
from inspect_app.storage.db import get_db
from inspect_app.web.guards import public, role_required

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=256)])
    remember = BooleanField("在本机保持登录")


def _safe_next(target: str | None) -> str:
    # Only same-site paths, so a crafted link cannot bounce a user to another site.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("main.home")


def _locked_out(db, keys: list[str]) -> bool:
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    window = current_app.config["LOGIN_WINDOW_MINUTES"]
    return any(users.failures_since(db, key, window) >= limit for key in keys)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if g.user:
        return redirect(url_for("main.home"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        db = get_db()
        username = form.username.data.strip()
        keys = [f"user:{username.lower()}", f"ip:{request.remote_addr}"]
        if _locked_out(db, keys):
            minutes = current_app.config["LOGIN_WINDOW_MINUTES"]
            error = f"登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试。"
            status = 429
        else:
            user = users.by_username(db, username)
            if (
                user
                and user["active"]
                and check_password(user["password_hash"], form.password.data, current_app.config)
            ):
                for key in keys:
                    users.clear_failures(db, key)
                session.clear()
                session["user_id"] = user["id"]
                session.permanent = bool(form.remember.data)
                users.touch_login(db, user["id"])
                audit.record(db, "login", user=user, ip=request.remote_addr or "")
                return redirect(_safe_next(request.args.get("next")))
            users.record_failure(db, *keys)
            audit.record(db, "login_failed", target=username, ip=request.remote_addr or "")
            # One message for unknown user, wrong password and disabled account alike,
            # so the form does not reveal which usernames exist.
            error = "用户名或密码错误，或账号已停用。"
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@role_required("inspector", "school", "bureau", "admin")
def logout():
    audit.record(get_db(), "logout", user=g.user, ip=request.remote_addr or "")
    session.clear()
    flash("已安全退出。", "info")
    return redirect(url_for("auth.login"))
