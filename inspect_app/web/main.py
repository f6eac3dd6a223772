"""Pages every logged-in user shares: the role-aware home page and the school directory."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from inspect_app.common.vocabulary import STAGES
from inspect_app.storage import schools
from inspect_app.storage.db import get_db
from inspect_app.web.guards import public, require_own_school, role_required

bp = Blueprint("main", __name__)

ALL_ROLES = ("inspector", "school", "bureau", "admin")


@bp.route("/")
@public
def home():
    if g.user is None:
        return redirect(url_for("auth.login"))
    school = None
    if g.user["role"] == "school":
        school = schools.get(get_db(), g.user["school_id"])
    return render_template("home.html", school=school)


@bp.route("/favicon.ico")
@public
def favicon():
    """The app icon: browsers ask for /favicon.ico whatever a page links, and a 404 is noise."""
    return send_from_directory(
        current_app.static_folder, "icons/icon-192.png", mimetype="image/png", max_age=86400
    )


@bp.route("/schools")
@role_required(*ALL_ROLES)
def school_list():
    if g.user["role"] == "school":
        return redirect(url_for("main.school_detail", school_id=g.user["school_id"]))
    db = get_db()
    q = request.args.get("q", "").strip()
    township_id = request.args.get("township", type=int)
    stage = request.args.get("stage", "")
    rows = schools.search(db, q=q, township_id=township_id, stage=stage if stage in STAGES else "")
    return render_template(
        "schools/list.html",
        schools=rows,
        townships=schools.townships(db),
        stages=STAGES,
        q=q,
        township_id=township_id,
        stage=stage,
    )


@bp.route("/schools/<int:school_id>")
@role_required(*ALL_ROLES)
def school_detail(school_id: int):
    require_own_school(school_id)
    school = schools.get(get_db(), school_id)
    if school is None:
        abort(404)
    return render_template("schools/detail.html", school=school)
