"""Receiving an inspection from a phone: validate, re-score on the server, store — idempotently.

The phone's UUID is the identity. The same payload twice is a no-op; a different payload under
a stored id is a conflict. The server's own score (Python engine) is what is stored; any
difference from the phone's result is recorded for investigation.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlite_utils import Database

from inspect_app.checklist import bulk as bulk_rule
from inspect_app.checklist import score
from inspect_app.checklist.model import canonical_json
from inspect_app.checklist.sampling import parse as parse_sample
from inspect_app.common.clock import now, stamp
from inspect_app.common.vocabulary import INSPECTION_TYPES, SIGNER_ROLES
from inspect_app.inspections import catalog, plan
from inspect_app.inspections import interviews as interview_rules
from inspect_app.inspections import stamps as stamp_rules
from inspect_app.inspections.images import ImageRejected, signature_png
from inspect_app.rectification import rules
from inspect_app.storage import inspections, media, schools

log = logging.getLogger(__name__)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PayloadError(ValueError):
    """A payload the server cannot accept; ``fields`` maps a field to its Chinese problem."""

    def __init__(
        self,
        message: str,
        fields: dict[str, str] | None = None,
        missing_photos: list[str] | None = None,
    ):
        super().__init__(message)
        self.fields = fields or {}
        self.missing_photos = missing_photos or []


class Conflict(Exception):
    """A different payload was already stored under this inspection id."""


class Forbidden(Exception):
    """The user may not file an inspection of this school; ``str()`` says why, in Chinese."""


@dataclass
class Received:
    created: bool
    inspection: dict
    result: dict = field(default_factory=dict)


def payload_digest(payload: dict) -> str:
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def _valid_date(text) -> date | None:
    if not isinstance(text, str) or not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _items(compiled: dict) -> dict[str, dict]:
    return {item["id"]: item for section in compiled["sections"] for item in section["items"]}


def _check_value(item: dict, value) -> str | None:
    """Why ``value`` cannot be an answer to ``item`` (None when it can)."""
    kind = item["type"]
    if value is None:
        return None
    if kind == "yesno":
        return None if isinstance(value, bool) else "应为「是」或「否」"
    if kind in ("integer", "decimal"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "应为数字"
        if kind == "integer" and not float(value).is_integer():
            return "应为整数"
        return None
    if kind == "choice":
        values = {c["value"] for c in item.get("choices", [])}
        return None if value in values else "不是可选的选项"
    if kind == "multi":
        values = {c["value"] for c in item.get("choices", [])}
        ok = (
            isinstance(value, list)
            and all(v in values for v in value)
            and len(set(value)) == len(value)
        )
        return None if ok else "包含不可选的选项"
    if kind == "date":
        return None if _valid_date(value) else "日期格式应为 YYYY-MM-DD"
    if kind == "text":
        return None if isinstance(value, str) and len(value) <= 5000 else "应为不超过 5000 字的文字"
    if kind == "sample":
        rule = item.get("sample") or {}
        _, ok = parse_sample(value, rule.get("min") or 1, rule.get("max"))
        return None if ok else "抽样名单有误：学籍号不能为空或重复，并须记录抽样种子"
    return "该条目不需要填写"


def validate(
    db: Database, payload: dict, inspection_id: str, user_id: int | None = None
) -> tuple[dict, dict, dict, dict[str, bytes], list[dict | None]]:
    """Check a payload completely.

    Returns (checklist, school, scoring result, signature PNGs, each photo's clean stamp).
    """
    problems: dict[str, str] = {}
    if payload.get("id") != inspection_id:
        problems["id"] = "检查编号与地址不一致"
    try:
        uuid.UUID(inspection_id)
    except ValueError:
        problems["id"] = "检查编号不是有效的 UUID"
    school_id = payload.get("school_id")
    school = schools.get(db, school_id) if isinstance(school_id, int) else None
    if school is None:
        problems["school_id"] = "学校不存在"
    checklist = catalog.by_hash(db, str(payload.get("checklist_hash", "")))
    if checklist is None:
        problems["checklist_hash"] = "检查单版本不存在，请在联网时刷新检查单后重试"
    if payload.get("type") not in INSPECTION_TYPES:
        problems["type"] = f"检查类型应为：{'、'.join(INSPECTION_TYPES)}"
    day = _valid_date(payload.get("date"))
    if day is None:
        problems["date"] = "检查日期格式应为 YYYY-MM-DD"
    elif day > date.today() + timedelta(days=1):
        problems["date"] = "检查日期不能晚于今天"
    location = payload.get("location")
    if location is None:
        if not str(payload.get("location_note") or "").strip():
            problems["location"] = "未获取定位时须填写原因"
    elif not (
        isinstance(location, dict)
        and all(isinstance(location.get(k), int | float) for k in ("latitude", "longitude"))
        and -90 <= location["latitude"] <= 90
        and -180 <= location["longitude"] <= 180
    ):
        problems["location"] = "定位数据无效"
    signatures_png: dict[str, bytes] = {}
    signatures = payload.get("signatures")
    signatures = signatures if isinstance(signatures, dict) else {}
    for role, role_name in SIGNER_ROLES.items():
        try:
            signatures_png[role] = signature_png(signatures.get(role))
        except ImageRejected as exc:
            problems[f"signatures.{role}"] = f"{role_name}签名：{exc}"
    photos = payload.get("photos") if isinstance(payload.get("photos"), list) else None
    if photos is None or not all(
        isinstance(p, dict)
        and isinstance(p.get("sha256"), str)
        and re.fullmatch(r"[0-9a-f]{64}", p["sha256"])
        for p in photos
    ):
        problems["photos"] = "照片列表格式无效"
        photos = []
    # Stamp data that is not well formed is refused (stamps.py says why a doubtful one is not)
    clean_stamps: list[dict | None] = []
    for n, photo in enumerate(photos, 1):
        try:
            clean_stamps.append(
                None if photo.get("stamp") is None else stamp_rules.clean(photo["stamp"])
            )
        except stamp_rules.StampRejected as exc:
            problems[f"photos.{n}.stamp"] = f"第 {n} 张照片的水印数据有误：{exc}"
            clean_stamps.append(None)
    responses = payload.get("responses")
    if not isinstance(responses, dict) or not isinstance(responses.get("answers"), dict):
        problems["responses"] = "缺少答案"
        responses = {"answers": {}, "na": []}
    # 座谈记录 (optional; older phones send none), checked field by field like the rest
    problems.update(interview_rules.clean(payload.get("interviews"))[1])
    if problems:
        raise PayloadError("提交的检查数据有误", problems)
    assert school is not None and checklist is not None  # else problems were raised above

    compiled = checklist.compiled
    items = _items(compiled)
    for item_id, value in responses["answers"].items():
        if item_id not in items:
            problems[f"answers.{item_id}"] = "检查单中没有该条目"
        elif reason := _check_value(items[item_id], value):
            problems[f"answers.{item_id}"] = f"「{items[item_id]['label']}」{reason}"
    na = responses.get("na") or []
    for item_id in na:
        if item_id not in items or not items[item_id].get("na_allowed"):
            problems[f"na.{item_id}"] = "该条目不允许选择「不适用」"
    for photo in photos:
        if photo.get("item") not in items:
            problems["photos"] = "照片关联的条目不存在"
    bulk = payload.get("bulk_confirmed", [])
    if not isinstance(bulk, list) or not all(isinstance(i, str) for i in bulk):
        problems["bulk_confirmed"] = "按部分批量确认的条目列表格式无效"
        bulk = []
    for item_id in bulk:
        if item_id not in responses["answers"] or item_id not in items:
            problems[f"bulk_confirmed.{item_id}"] = "按部分批量确认的条目没有答案"
        # the phone's rule (bulk.js passValue) is checklist/bulk.py: one definition
        elif reason := bulk_rule.refusal(items[item_id]):
            label = items[item_id]["label"]
            problems[f"bulk_confirmed.{item_id}"] = f"「{label}」{reason}，不能按部分批量确认"
        elif responses["answers"][item_id] != bulk_rule.pass_value(items[item_id]):
            label = items[item_id]["label"]
            problems[f"bulk_confirmed.{item_id}"] = f"「{label}」按部分批量确认，但答案不是符合项"
    if problems:
        raise PayloadError("答案与检查单不符", problems)
    # Only photos this inspector uploaded: a hash seen in a report or an address proves
    # nothing, and citing it must not lend the photo to another inspection or school. The
    # phone answers "missing" by uploading the bytes, which also covers the rare photo that
    # two inspectors really both have.
    missing = media.missing(db, sorted({p["sha256"] for p in photos}), user_id)
    if missing:
        raise PayloadError(
            "还有照片未上传", {"photos": f"还有 {len(missing)} 张照片未上传"}, missing
        )

    # Photo counts come from the photo list itself, never from the phone's own tally.
    photo_counts: dict[str, int] = {}
    for photo in photos:
        photo_counts[photo["item"]] = photo_counts.get(photo["item"], 0) + 1
    scoring_school = schools.as_scoring_school(school)
    result = score(
        checklist,
        scoring_school,
        {"answers": responses["answers"], "na": list(na), "photos": photo_counts},
    )
    # 本部分其余项均符合 means 符合: a bulk answer the engine does not pass is not one
    for item_id in bulk:
        if result["items"][item_id]["outcome"] != "pass":
            label = items[item_id]["label"]
            problems[f"bulk_confirmed.{item_id}"] = f"「{label}」按部分批量确认，但结果不是符合"
    if problems:
        raise PayloadError("答案与检查单不符", problems)
    return compiled, school, result, signatures_png, clean_stamps


def _mismatch(server: dict, client) -> dict:
    if not isinstance(client, dict):
        return {"client_result": "missing"}
    diff = {}
    for key in ("total", "grade", "vetoed"):
        if server.get(key) != client.get(key):
            diff[key] = {"server": server.get(key), "client": client.get(key)}
    client_items = client.get("items")
    client_items = client_items if isinstance(client_items, dict) else {}
    for item_id, outcome in server["items"].items():
        theirs = client_items.get(item_id, {})
        if not isinstance(theirs, dict) or theirs.get("outcome") != outcome["outcome"]:
            diff[f"items.{item_id}"] = {
                "server": outcome["outcome"],
                "client": theirs.get("outcome") if isinstance(theirs, dict) else None,
            }
    return diff


def _stored(db: Database, inspection_id: str) -> dict:
    """The row of an inspection known to be stored (its payload digest was just read or written)."""
    row = inspections.get(db, inspection_id)
    if row is None:
        raise LookupError(f"inspection {inspection_id}")
    return row


# What a re-send may change without being a different inspection: the phone stamps its clock
# at each submit, so a stale tab or a restored backup sends the same content at a new time.
_RESEND_VOLATILE = frozenset({"phone_time"})


def _same_inspection(db: Database, inspection_id: str, payload: dict) -> bool:
    """True when the stored payload and this one differ at most in the phone's clock."""
    row = inspections.get(db, inspection_id)
    if row is None:
        return False
    stored = json.loads(row["payload"])

    def content(p: dict) -> str:
        return canonical_json({k: v for k, v in p.items() if k not in _RESEND_VOLATILE})

    return content(stored) == content(payload)


def _check_plan(db: Database, payload: dict, user: dict) -> None:
    """An inspector files inspections only of the schools the plan gives them (plan.py): the
    phone's start page offers no other, but a request can name any school, including one the
    inspector must stay away from (回避). The plan on the inspection's day counts, so one that
    waited in the outbox past the end of the inspector's period is still accepted. A payload
    whose school or date is malformed is left to validate(), which names the field."""
    school_id, day = payload.get("school_id"), _valid_date(payload.get("date"))
    school = schools.get(db, school_id) if isinstance(school_id, int) else None
    if school is None or day is None:
        return
    on = min(day, date.today())
    if not plan.may_inspect(db, user, school["id"], on):
        raise Forbidden(
            f"{school['name']}不在您 {on.isoformat()} 的督导计划内，不能提交对该校的检查。"
            "请联系县教育局核对督导计划。"
        )


def receive(db: Database, payload: dict, inspection_id: str, user: dict) -> Received:
    digest = payload_digest(payload)
    stored = inspections.payload_sha256(db, inspection_id)
    if stored is not None:
        if stored != digest and not _same_inspection(db, inspection_id, payload):
            raise Conflict()
        return Received(False, _stored(db, inspection_id))

    _check_plan(db, payload, user)
    compiled, school, result, signature_pngs, clean_stamps = validate(
        db, payload, inspection_id, user["id"]
    )
    notes = payload.get("notes")
    notes = notes if isinstance(notes, dict) else {}
    prefilled = set(payload.get("prefilled") or [])
    bulk = set(payload.get("bulk_confirmed") or [])
    answers = payload["responses"]["answers"]
    signatures = payload["signatures"]
    received_at = now()
    mismatch = _mismatch(result, payload.get("client_result"))
    if mismatch and "client_result" not in mismatch:
        # The two engines must agree; a difference in the field is a bug to see the same day
        # (admins see these under 评分一致性).
        log.warning(
            "phone and server scored inspection %s differently: %s",
            inspection_id, ", ".join(sorted(mismatch)),
        )  # fmt: skip
    row = {
        "id": inspection_id,
        "school_id": school["id"],
        "checklist_hash": payload["checklist_hash"],
        "checklist_id": compiled["id"],
        "type": payload["type"],
        "date": payload["date"],
        "inspector_id": user["id"],
        "school_rep_name": signatures["school"]["name"].strip(),
        "school_rep_title": str(signatures["school"].get("title") or "").strip(),
        "location": json.dumps(payload.get("location"), ensure_ascii=False),
        "location_note": str(payload.get("location_note") or ""),
        "total": result["total"],
        "grade": result["grade"],
        "vetoed": int(result["vetoed"]),
        "findings": len(result["findings"]),
        "complete": int(result["complete"]),
        "result": json.dumps(result, ensure_ascii=False),
        "client_mismatch": json.dumps(mismatch, ensure_ascii=False),
        "payload": canonical_json(payload),
        "payload_sha256": digest,
        "started_at": payload.get("started_at"),
        "phone_time": payload.get("phone_time"),
        "received_at": stamp(received_at),
        "status": "valid",
    }
    answer_rows = [
        {
            "inspection_id": inspection_id,
            "item_id": item_id,
            "section_id": outcome["section"],
            "value": json.dumps(answers.get(item_id), ensure_ascii=False)
            if item_id in answers
            else None,
            "outcome": outcome["outcome"],
            "earned": outcome["earned"],
            "possible": outcome["possible"],
            "note": str(notes.get(item_id) or "")[:2000],
            "prefilled": int(item_id in prefilled),
            "bulk": int(item_id in bulk),
        }
        for item_id, outcome in result["items"].items()
    ]
    photo_rows = []
    for n, (p, clean_stamp) in enumerate(zip(payload["photos"], clean_stamps, strict=True)):
        doubts = (
            stamp_rules.doubts(
                clean_stamp,
                school=school["name"],
                inspector=user["display_name"],
                inspection_date=_valid_date(payload["date"]),
                started_at=payload.get("started_at"),
                submitted_at=payload.get("phone_time"),
                received_at=received_at,
                start_location=payload.get("location"),
            )  # fmt: skip
            if clean_stamp
            else []
        )
        photo_rows.append(
            {"inspection_id": inspection_id, "photo_sha256": p["sha256"], "item_id": p["item"],
             "caption": str(p.get("caption") or "")[:200], "position": n,
             "stamp": json.dumps(clean_stamp, ensure_ascii=False) if clean_stamp else None,
             "stamp_warnings": json.dumps(doubts, ensure_ascii=False)}
        )  # fmt: skip
    signature_rows = [
        {"inspection_id": inspection_id, "role": role, "name": signatures[role]["name"].strip(),
         "title": str(signatures[role].get("title") or "").strip(), "signed_at": signatures[role].get("signed_at"),
         "png": png}
        for role, png in signature_pngs.items()
    ]  # fmt: skip
    edits = payload.get("rectifications") if isinstance(payload.get("rectifications"), list) else []
    rectification_rows = rules.items_from_result(
        result, edits, payload["date"], rules.fix_templates(compiled), school.get("township")
    )
    # A statement heard in a 座谈 and marked as a finding is a rectification item too.
    interviews = interview_rules.clean(payload.get("interviews"))[0]
    rectification_rows += interview_rules.rectification_rows(
        interviews, payload["date"], len(rectification_rows) + 1
    )
    try:
        inspections.insert(db, row, answer_rows, photo_rows, signature_rows, rectification_rows)
    except sqlite3.IntegrityError:
        # Two sends of one inspection raced (a double tap on two connections): the first won.
        if inspections.payload_sha256(db, inspection_id) != digest and not _same_inspection(
            db, inspection_id, payload
        ):
            raise Conflict() from None
        return Received(False, _stored(db, inspection_id))
    return Received(True, _stored(db, inspection_id), result)
