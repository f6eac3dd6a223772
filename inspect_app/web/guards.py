"""Who is asking, and may they: the logged-in user and the route guards.

Every view is wrapped by exactly one of ``public`` or ``role_required``; the wrapper records
the rule on the function so a test can prove that no route was left without one.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g, jsonify, redirect, request, session, url_for

from inspect_app.common.vocabulary import ROLE_NAMES
from inspect_app.storage import users
from inspect_app.storage.db import get_db


def load_user() -> None:
    """Put the logged-in, still active user on ``g.user`` (or None)."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    user = users.get(get_db(), user_id)
    if user is None or not user["active"]:
        session.clear()
        return
    g.user = user


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
