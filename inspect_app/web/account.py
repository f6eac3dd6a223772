"""A user's own account: changing their password, and seeing and ending their logins."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from inspect_app.common.clock import local_time
from inspect_app.common.devices import describe
from inspect_app.directory.passwords import check_password, hash_password, weakness
from inspect_app.storage import audit, deliveries, schools, sessions, users
from inspect_app.storage.db import get_db
from inspect_app.web import auth
from inspect_app.web.guards import role_required

bp = Blueprint("account", __name__, url_prefix="/account")

ALL_ROLES = ("inspector", "school", "bureau", "admin", "department")


def personal_words(user: dict) -> list[str]:
    """The account's own words, which a password must not be built from."""
    words = [user.get("username") or "", user.get("display_name") or ""]
    if user.get("school_id"):
        school = schools.get(get_db(), user["school_id"])
        if school:
            words.append(school["code"])
    return words


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        "当前密码",
        validators=[
            DataRequired("请输入当前密码"),
            Length(max=256, message="密码不能超过 256 个字符"),
        ],
    )
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码")])
    confirm = PasswordField(
        "再次输入新密码",
        validators=[DataRequired("请再次输入新密码"), EqualTo("new", "两次输入的新密码不一致")],
    )

    def validate_new(self, field):
        if field.data == self.current.data:
            raise ValidationError("新密码不能与当前密码相同")
        reason = weakness(field.data, personal_words(g.user))
        if reason:
            raise ValidationError(reason)


@bp.route("/")
@role_required(*ALL_ROLES)
def overview():
    rows = sessions.for_user(get_db(), g.user["id"])
    current_id = g.login_session["id"]
    logins = [
        {
            "id": row["id"],
            "device": describe(row["user_agent"]),
            "ip": row["ip"],
            "created_at": local_time(row["created_at"]),
            "last_seen_at": local_time(row["last_seen_at"]),
            "remember": bool(row["remember"]),
            "current": row["id"] == current_id,
        }
        for row in rows
    ]
    # This browser first, then by last use.
    logins.sort(key=lambda login: not login["current"])
    return render_template("account/overview.html", logins=logins)


@bp.route("/password", methods=["GET", "POST"])
@role_required(*ALL_ROLES)
def password():
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        db = get_db()
        username = g.user["username"]
        # Someone holding a stolen login must not be able to guess the password here instead
        # of on the login page: the same counts and lock-out apply.
        if auth.locked_out(db, username):
            minutes = current_app.config["LOGIN_WINDOW_MINUTES"]
            form.current.errors.append(f"密码错误次数过多，请 {minutes} 分钟后再试。")
            status = 429
        elif not check_password(g.user["password_hash"], form.current.data, current_app.config):
            auth.record_failure(db, username)
            form.current.errors.append("当前密码不正确")
            status = 400
        else:
            users.set_password(
                db,
                g.user["id"],
                hash_password(form.new.data, current_app.config),
                must_change=False,
            )
            ended = auth.renew_login(db, g.user, g.login_session)
            audit.record(db, "password_changed", user=g.user, detail={"sessions_ended": ended})
            message = "密码已修改。"
            if ended:
                message += f"其他设备上的 {ended} 个登录已全部退出。"
            flash(message, "success")
            return redirect(url_for("account.overview"))
    elif request.method == "POST":
        status = 400
    return render_template(
        "account/password.html", form=form, forced=bool(g.user["must_change_password"])
    ), status


@bp.route("/sessions/<int:session_id>/end", methods=["POST"])
@role_required(*ALL_ROLES)
def end_session(session_id: int):
    db = get_db()
    if session_id == g.login_session["id"]:
        return auth.logout()
    if sessions.end(db, session_id, g.user["id"]):
        audit.record(db, "session_ended", user=g.user, target=f"session:{session_id}")
        flash("已退出该设备上的登录。", "success")
    else:
        flash("该登录已经结束。", "info")
    return redirect(url_for("account.overview"))


@bp.route("/sessions/end-others", methods=["POST"])
@role_required(*ALL_ROLES)
def end_other_sessions():
    db = get_db()
    ended = sessions.end_all(db, g.user["id"], except_id=g.login_session["id"])
    audit.record(db, "sessions_ended", user=g.user, detail={"count": ended})
    flash(f"已退出其他设备上的 {ended} 个登录。" if ended else "没有其他设备上的登录。", "success")
    return redirect(url_for("account.overview"))


# --- Where the user's notices go besides this site: e-mail, the SMS / WeChat gateway. --------

NOTICE_KINDS = {
    "new_items": "新的整改事项",
    "deadline": "整改时限临近或逾期",
    "respond": "学校提交整改情况",
    "request_extension": "延期申请",
    "return": "整改被退回",
    "accept": "复查通过、销号",
    "approve_extension": "延期申请已同意",
    "refuse_extension": "延期申请未同意",
    "escalated": "逾期升级督办",
}


class MultipleCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# SelectChoice, not (value, label) tuples: wtforms 3.4 drops the tuples.
_NOTICE_CHOICES = [SelectChoice(kind, label) for kind, label in NOTICE_KINDS.items()]


class ChannelsForm(FlaskForm):
    email = StringField(
        "电子邮箱",
        validators=[
            Optional(),
            Length(max=120, message="邮箱地址不能超过 120 个字符"),
            Regexp(
                r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="请填写正确的邮箱地址，如 name@example.com"
            ),
        ],
    )
    email_events = MultipleCheckboxField("通过邮件接收", choices=_NOTICE_CHOICES)
    email_digest = BooleanField("每天汇总成一封邮件（不逐条发送）")
    phone = StringField(
        "手机号或微信号（经县教育局短信 / 微信网关发送）",
        validators=[
            Optional(),
            Length(max=64, message="手机号或微信号不能超过 64 个字符"),
            Regexp(r"^[\w@.+-]+$", message="只能包含字母、数字和 @ . + - _"),
        ],
    )
    phone_events = MultipleCheckboxField("通过短信 / 微信接收", choices=_NOTICE_CHOICES)
    phone_digest = BooleanField("每天汇总成一条消息（不逐条发送）")


@bp.route("/notifications", methods=["GET", "POST"])
@role_required(*ALL_ROLES)
def notification_channels():
    """Per user: which events reach them by e-mail and by the gateway, one by one or daily."""
    db = get_db()
    mine = deliveries.channels_of(db, g.user["id"])
    form = ChannelsForm()
    if request.method == "GET":
        email, phone = mine.get("email"), mine.get("webhook")
        form.email.data = email["address"] if email else ""
        form.email_events.data = (
            (email["events"] or list(NOTICE_KINDS)) if email else list(NOTICE_KINDS)
        )
        form.email_digest.data = bool(email and email["digest"])
        form.phone.data = phone["address"] if phone else ""
        form.phone_events.data = (
            (phone["events"] or list(NOTICE_KINDS)) if phone else list(NOTICE_KINDS)
        )
        form.phone_digest.data = bool(phone and phone["digest"])
    if form.validate_on_submit():
        for channel, address, events, digest in (
            ("email", form.email.data, form.email_events.data, form.email_digest.data),
            ("webhook", form.phone.data, form.phone_events.data, form.phone_digest.data),
        ):
            chosen = [k for k in NOTICE_KINDS if k in (events or [])]
            # Every kind chosen is stored as "all", so a kind added later reaches them too.
            deliveries.set_channel(
                db, g.user["id"], channel, (address or "").strip(),
                [] if len(chosen) == len(NOTICE_KINDS) else chosen, bool(digest),
            )  # fmt: skip
        flash("消息接收方式已保存。", "success")
        return redirect(url_for(".notification_channels"))
    status = 400 if request.method == "POST" else 200
    return render_template("account/notifications.html", form=form), status
