"""Who is asking, and may they: the logged-in user and the route guards.

Every view is wrapped by exactly one of ``public`` or ``role_required``; the wrapper records
the rule on the function so a test can prove that no route was left without one.
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import abort, current_app, g, jsonify, redirect, request, session, url_for

from inspect_app.common.vocabulary import ROLE_NAMES
from inspect_app.storage import sessions, users
from inspect_app.storage.db import get_db

# Pages a user who must change their password can still reach: the change itself, logging
# out, and the phone's "who am I" call (which only reports the login).
_WHILE_CHANGE_REQUIRED = {"account.password", "auth.logout", "sync.session_info", "static"}

# Files that are the same for everyone: their requests skip the login lookup (a database
# connection and two queries), which cost five times the sending of the file itself, 2.5 ms
# of a 3 ms request; a phone fetches some thirty of them to fill its offline cache.
ASSET_ENDPOINTS = frozenset({"static", "inspector.service_worker", "main.favicon"})


def session_limits() -> tuple[timedelta, timedelta]:
    """How long a login may sit unused, and how long it may last however busy."""
    max_age = timedelta(days=current_app.config["SESSION_MAX_AGE_DAYS"])
    return current_app.permanent_session_lifetime, max_age


def load_user() -> None:
    """Put the logged-in, still active user on ``g.user`` (or None), and their login on
    ``g.login_session``.

    The cookie only names a login (``sid``); the login itself is a row in the database, so
    deleting the row (logout, password reset, deactivation) ends it everywhere at once.
    """
    g.user = None
    g.login_session = None
    if request.endpoint in ASSET_ENDPOINTS:
        return
    token = session.get("sid")
    if not isinstance(token, str):
        if session.get("user_id") is not None:
            # A cookie from before logins were kept on the server: it names a user but no
            # login that could be revoked, so it no longer counts.
            session.clear()
        return
    db = get_db()
    row = sessions.find(db, token, *session_limits())
    user = users.get(db, row["user_id"]) if row else None
    if row is None or user is None or not user["active"]:
        if row is not None:
            sessions.end_all(db, row["user_id"])
        session.clear()
        return
    sessions.touch(db, row, request.remote_addr or "")
    g.user = user
    g.login_session = row


def password_change_gate():
    """An account whose password an administrator chose must choose its own before anything else."""
    if g.user is None or not g.user["must_change_password"]:
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    # Public pages show nothing of the account, except the home page, which is the account's
    # own start page for a logged-in user.
    public = getattr(view, "access", ()) == ("public",) and request.endpoint != "main.home"
    if request.endpoint in _WHILE_CHANGE_REQUIRED or public:
        return None
    if request.path.startswith("/api/"):
        return jsonify(
            error="需要修改密码",
            message="首次登录须先修改密码：请在浏览器中打开本系统并修改密码。待上传的数据会保留在手机上。",
        ), 403
    return redirect(url_for("account.password"))


def api_login_gate():
    """JSON API calls without a login get a 401 before anything else looks at them."""
    if g.user is None and request.path.startswith("/api/"):
        view = current_app.view_functions.get(request.endpoint or "")
        if view is not None and getattr(view, "access", ()) != ("public",):
            return jsonify(
                error="需要登录", message="登录已过期，请重新登录。待上传的数据会保留在手机上。"
            ), 401
    return None


def public(view):
    """Mark a view as open to everyone, logged in or not."""
    view.access = ("public",)
    return view


def role_required(*roles: str):
    """Allow only logged-in users with one of ``roles``; anonymous users go to the login page."""
    assert roles and all(role in ROLE_NAMES for role in roles), roles

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if g.user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if g.user["role"] not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.access = roles
        return wrapped

    return decorator


def require_own_school(school_id: int) -> None:
    """A school account may only ever see its own school."""
    if g.user["role"] == "school" and g.user["school_id"] != school_id:
        abort(403)
