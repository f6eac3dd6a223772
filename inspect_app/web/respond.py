"""The respondent's pages: what a survey poster's QR code opens. No account, no cookie.

``GET /s/<code>`` is the questionnaire of one school in one round (a small page: its own
script and the scoring engine, no third-party request); ``POST /s/<code>`` takes one answer as
JSON from static/js/survey.js, which keeps the answer in the browser's localStorage until the
server has accepted it; ``GET /s/<code>/thanks`` thanks the respondent.

The answer POST carries no session, so there is nothing for a cross-site request to borrow
and flask-wtf's CSRF token does not apply. It is protected instead by: a signed per-link form
token from the page (an answer must come from a page this server served, not from a script
that never loaded one), a per-address limit over a short window (the address kept only as a
keyed hash, deleted with the window), one answer per device per round (a random token the
browser keeps, stored hashed), a honeypot field, and a bounded body.
"""

from __future__ import annotations

import gzip
import json
from datetime import date, timedelta

from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from inspect_app.checklist import Checklist
from inspect_app.common.clock import today_in_china
from inspect_app.common.vocabulary import RESPONDENT_GROUPS
from inspect_app.inspections import catalog
from inspect_app.storage import surveys as stored
from inspect_app.storage.db import get_db
from inspect_app.surveys import answers as rules
from inspect_app.surveys.gathering import scoring_school
from inspect_app.web.guards import public

bp = Blueprint("respond", __name__, url_prefix="/s")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="survey-form")


def form_token(code: str) -> str:
    return _serializer().dumps({"c": code})


def _token_ok(token: object, code: str) -> bool:
    if not isinstance(token, str) or len(token) > 200:
        return False
    max_age = int(current_app.config["SURVEY_FORM_TOKEN_DAYS"]) * 86400
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return False
    return isinstance(data, dict) and data.get("c") == code


def _today() -> date:
    return today_in_china(current_app.config.get("TODAY_OVERRIDE"))


def _is_open(link: dict) -> bool:
    if link["status"] != "open":
        return False
    return not (link["closes_on"] and _today().isoformat() > link["closes_on"])


def _school(link: dict) -> dict:
    return scoring_school(link)


def _link_and_survey(code: str) -> tuple[dict, Checklist]:
    if len(code) > 32:
        abort(404)
    db = get_db()
    link = stored.link(db, code)
    if link is None:
        abort(404)
    survey = catalog.survey_by_hash(db, link["survey_hash"])
    if survey is None:  # cannot happen: a round is opened with a stored version
        abort(404)
    return link, survey


def _no_store(response):
    # The page carries a form token and the answer page is personal to this browser: no
    # shared cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<code>")
@public
def survey_page(code: str):
    link, survey = _link_and_survey(code)
    if not _is_open(link):
        return _no_store(
            current_app.make_response(
                (render_template("respond/closed.html", link=link, survey=survey), 410)
            )
        )
    # What the phone's engine needs to show and hide questions as the scoring core does.
    data = {
        "code": code,
        "token": form_token(code),
        "survey": survey.compiled,
        "school": _school(link),
        "thanks": url_for("respond.thanks", code=code),
        "maxText": rules.MAX_TEXT_CHARS,
    }
    html = render_template(
        "respond/survey.html",
        link=link,
        survey=survey,
        groups=[(g, RESPONDENT_GROUPS[g]) for g in survey.respondents],
        data=json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c"),
        max_text=rules.MAX_TEXT_CHARS,
        # The privacy threshold as configured, so the promise on the page is the one kept.
        min_responses=int(current_app.config.get("SURVEY_MIN_RESPONSES", 5)),
    )
    response = current_app.make_response(html)
    # A weak network pays for every byte and nginx may not be in front (`make run`): the
    # page, mostly the survey's compiled JSON, is about a fifth of its size gzipped.
    response.vary.add("Accept-Encoding")
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response.set_data(gzip.compress(response.get_data(), compresslevel=6, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
    return _no_store(response)


def _answer(status: int, message: str, **extra):
    return _no_store(jsonify(message=message, **extra)), status


@bp.post("/<code>")
@public
def submit(code: str):
    length = request.content_length
    if length is not None and length > rules.MAX_BODY_BYTES:
        return _answer(413, "提交的内容过长，请缩短意见建议后重试")
    link, survey = _link_and_survey(code)
    config = current_app.config
    db = get_db()
    address = rules.address_key(
        config["SECRET_KEY"], request.remote_addr or "", _today().isoformat()
    )
    window = timedelta(minutes=int(config["SURVEY_ADDRESS_WINDOW_MINUTES"]))
    if stored.throttled(db, address, int(config["SURVEY_ADDRESS_LIMIT"]), window):
        return _answer(429, "提交过于频繁，请过几分钟再试。您的答卷已保存在本机，不会丢失。")
    raw = request.stream.read(rules.MAX_BODY_BYTES + 1)
    if len(raw) > rules.MAX_BODY_BYTES:
        return _answer(413, "提交的内容过长，请缩短意见建议后重试")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _answer(400, "提交的内容格式不正确，请刷新页面后重试")
    if not isinstance(body, dict):
        return _answer(400, "提交的内容格式不正确，请刷新页面后重试")
    if not _is_open(link):
        return _answer(410, "本次调查已结束，感谢您的关注。", closed=True)
    if not _token_ok(body.get("token"), code):
        return _answer(400, "页面已过期，请重新扫码打开问卷后提交", expired=True)
    device = body.get("device")
    response_id = body.get("id")
    if not isinstance(device, str) or not rules.DEVICE_TOKEN.fullmatch(device):
        return _answer(400, "提交的内容格式不正确，请刷新页面后重试")
    if not isinstance(response_id, str) or not rules.RESPONSE_ID.fullmatch(response_id):
        return _answer(400, "提交的内容格式不正确，请刷新页面后重试")
    thanks = url_for("respond.thanks", code=code)
    if body.get("website"):
        # The honeypot: a field people never see, filled in by form-filling bots. They are
        # thanked like anyone, and nothing is stored.
        return _answer(201, "提交成功，感谢您的参与！", thanks=thanks)
    try:
        group, answers = rules.clean(survey, _school(link), body)
    except rules.SubmissionError as exc:
        return _answer(422, exc.message, field=exc.field)
    outcome = stored.add_response(
        db,
        response_id=response_id,
        round_id=link["round_id"],
        school_id=link["school_id"],
        group=group,
        device_hash=rules.device_key(device, link["round_id"]),
        answers=answers,
        received_on=_today().isoformat(),
    )
    if outcome == "created":
        return _answer(201, "提交成功，感谢您的参与！", thanks=thanks)
    if outcome == "again":
        return _answer(200, "提交成功，感谢您的参与！", thanks=thanks)
    if outcome == "closed":
        return _answer(410, "本次调查已结束，感谢您的关注。", closed=True)
    return _answer(
        409, "这部手机已经提交过本次调查的答卷，每人只需填写一次。感谢您的参与！", done=True
    )


@bp.get("/<code>/thanks")
@public
def thanks(code: str):
    link, survey = _link_and_survey(code)
    return _no_store(
        current_app.make_response(render_template("respond/thanks.html", link=link, survey=survey))
    )
