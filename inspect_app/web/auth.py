"""Logging in and out, with throttling of repeated failures per username and per address.

A login is a row in the ``sessions`` table (storage/sessions.py) and the signed cookie
carries only its random id, so logging out ends the login on the server, not just in this
browser.
"""

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

from inspect_app.directory.passwords import check_password_or_dummy, hash_password, needs_rehash
from inspect_app.storage import audit, sessions, users
from inspect_app.storage.db import get_db
from inspect_app.web.guards import public, role_required, session_limits

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(
        "用户名",
        validators=[
            DataRequired("请输入用户名"),
            Length(max=64, message="用户名不能超过 64 个字符"),
        ],
    )
    password = PasswordField(
        "密码",
        validators=[DataRequired("请输入密码"), Length(max=256, message="密码不能超过 256 个字符")],
    )
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


def locked_out(db, username: str) -> bool:
    """True while this username, or the address asking, has failed too often in the window.

    The two are counted apart and a success clears only the username's count: clearing the
    address's count too let one valid login from an address reset the guessing it had done.
    """
    window = current_app.config["LOGIN_WINDOW_MINUTES"]
    return (
        users.failures_since(db, _user_key(username), window)
        >= current_app.config["LOGIN_MAX_FAILURES"]
        or users.failures_since(db, _address_key(), window)
        >= current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    )


def record_failure(db, username: str) -> None:
    users.record_failure(db, _user_key(username), _address_key())


def _user_key(username: str) -> str:
    return f"user:{username.strip().lower()}"


def _address_key() -> str:
    # remote_addr is the client's own address once ProxyFix has read the trusted proxies'
    # X-Forwarded-For (TRUSTED_PROXIES in the configuration).
    return f"ip:{request.remote_addr}"


def renew_login(db, user: dict, login: dict) -> int:
    """After a password change: end every other login of ``user``, and give this browser a new
    token in place of its own, since a copy of this very cookie may be why the password is
    being changed. Returns how many other logins ended."""
    ended = sessions.end_all(db, user["id"], except_id=login["id"])
    sessions.end(db, login["id"], user["id"])
    start_login(db, user, remember=bool(login["remember"]))
    return ended


def start_login(db, user: dict, *, remember: bool) -> None:
    """Begin a new login for ``user`` in this browser, replacing whatever session it had."""
    session.clear()  # a fresh session on login, so a planted cookie is worth nothing
    session["sid"] = sessions.start(
        db,
        user["id"],
        remember=remember,
        user_agent=request.user_agent.string or "",
        ip=request.remote_addr or "",
    )
    session.permanent = remember


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
        config = current_app.config
        username = form.username.data.strip()
        if locked_out(db, username):
            minutes = config["LOGIN_WINDOW_MINUTES"]
            error = f"登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试。"
            status = 429
        else:
            user = users.by_username(db, username)
            # The password is checked (against a dummy hash when there is no such user)
            # before "active" is looked at, so unknown, disabled and real accounts all take
            # the same argon2 time to refuse.
            password_ok = check_password_or_dummy(
                user["password_hash"] if user else None, form.password.data, config
            )
            if user and password_ok and user["active"]:
                users.clear_failures(db, _user_key(username))
                if needs_rehash(user["password_hash"], config):
                    users.update(
                        db, user["id"], password_hash=hash_password(form.password.data, config)
                    )
                sessions.purge_expired(db, *session_limits())
                start_login(db, user, remember=bool(form.remember.data))
                users.touch_login(db, user["id"])
                audit.record(db, "login", user=user, ip=request.remote_addr or "")
                if user["must_change_password"]:
                    # The page itself says why (templates/account/password.html).
                    return redirect(url_for("account.password"))
                return redirect(_safe_next(request.args.get("next")))
            record_failure(db, username)
            audit.record(db, "login_failed", target=username, ip=request.remote_addr or "")
            # One message for unknown user, wrong password and disabled account alike,
            # so the form does not reveal which usernames exist.
            error = "用户名或密码错误，或账号已停用。"
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@role_required("inspector", "school", "bureau", "admin", "department")
def logout():
    db = get_db()
    audit.record(db, "logout", user=g.user, ip=request.remote_addr or "")
    sessions.end_by_token(db, session.get("sid", ""))
    session.clear()
    flash("已安全退出。", "info")
    return redirect(url_for("auth.login"))
