"""Public verification of issued documents: what the QR code on a printed report opens.

Shows only what a reader of the paper already has — school, date, grade — plus the hash and
status. Anyone may upload a PDF to check that it is the signed, unmodified original.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from inspect_app.documents import verification
from inspect_app.storage import reports
from inspect_app.storage.db import get_db
from inspect_app.web.guards import public

bp = Blueprint("verify", __name__, url_prefix="/verify")

MAX_PDF_BYTES = 20 * 1024 * 1024


class UploadForm(FlaskForm):
    file = FileField("选择要核验的 PDF 文件", validators=[FileRequired("请选择 PDF 文件")])


@bp.route("/<report_id>", methods=["GET", "POST"])
@public
def report(report_id: str):
    row = reports.get(get_db(), report_id)
    if row is None:
        abort(404)
    return _page(verification.public_facts(get_db(), row), expected=row)


@bp.route("/", methods=["GET", "POST"])
@public
def upload():
    return _page(None, expected=None)


def _page(facts: dict | None, expected: dict | None):
    form = UploadForm()
    check: dict[str, Any] | None = None
    status = 200
    if form.validate_on_submit():
        data = form.file.data.read(MAX_PDF_BYTES + 1)
        if len(data) > MAX_PDF_BYTES:
            check = {
                "ok": False,
                "reasons": ["文件过大（超过 20 MB），不是本系统签发的文件。"],
                "stored": None,
            }
        else:
            check = verification.check_pdf(get_db(), data, current_app.config)
            if check.get("detail"):
                # Visitors see only the Chinese reason; the parser's words go to the log.
                current_app.logger.info("verify: unreadable signature: %s", check["detail"])
            if expected and check["ok"] and check["sha256"] != expected["sha256"]:
                check["ok"] = False
                check["reasons"].append("该文件是本系统签发的另一份文件，不是此二维码对应的文件。")
        status = 200 if check["ok"] else 422
    elif request.method == "POST":
        status = 400
    return render_template("verify/verify.html", facts=facts, form=form, check=check), status
