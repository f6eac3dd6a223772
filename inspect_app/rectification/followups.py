"""回头看 (follow-up visits): who may go back to a school, what the phone takes along, and
receiving the visit it sends — validated completely, stored once, idempotently.

The phone's UUID is the visit's identity, as for inspections (docs/sync-api.md): the same
visit twice is recognised (200, nothing applied again), a different visit under a stored id is
a conflict (409). The rules of what a result does to an item are in ``followup_rules``.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlite_utils import Database

from inspect_app.checklist.model import canonical_json
from inspect_app.common.clock import now
from inspect_app.common.vocabulary import RECTIFICATION_STATUS
from inspect_app.inspections import stamps as stamp_rules
from inspect_app.inspections.images import ImageRejected, signature_png
from inspect_app.inspections.receiving import Conflict, PayloadError, payload_digest
from inspect_app.rectification import followup_rules, rules
from inspect_app.rectification.evidence import CleanEvidence
from inspect_app.storage import assignments, followups, media, rectifications, schools
from inspect_app.storage import evidence as evidence_store

__all__ = ["Conflict", "PayloadError", "Forbidden", "Received", "receive", "pack", "may_visit"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MANAGERS = ("bureau", "admin")
# A school's open items and their photos fit far below these; beyond them a body is not a visit.
MAX_RESULTS = 500
MAX_PHOTOS = 1000
TYPE = "回头看"


class Forbidden(Exception):
    """The user may not make a 回头看 at this school; ``str()`` says why, in Chinese."""


@dataclass
class Received:
    created: bool
    visit: dict
    results: list[dict]


def may_visit(db: Database, user: dict, school_id: int, today: date) -> bool:
    """The bureau anywhere; an inspector at the schools the plan gives them now (责任督学) and
    where they are the reviewer of an open item (they found it)."""
    if user["role"] in MANAGERS:
        return True
    if user["role"] != "inspector":
        return False
    return school_id in assignments.school_ids_for(
        db, user["id"], today
    ) or followups.reviews_open_item_at(db, user["id"], school_id)


def may_decide(user: dict, item: dict) -> bool:
    """Whose on-site check is the 复查 itself: the item's reviewer, or the bureau."""
    return user["role"] in MANAGERS or item.get("reviewer_id") == user["id"]


def schools_for(db: Database, user: dict, today: date) -> list[dict]:
    """The schools with open items this user may go back to, most overdue first."""
    if user["role"] in MANAGERS:
        rows = followups.schools_with_open_items(db, today.isoformat(), None, None)
        assigned: set[int] = set()
    else:
        assigned = assignments.school_ids_for(db, user["id"], today)
        rows = followups.schools_with_open_items(db, today.isoformat(), assigned, user["id"])
    return [{**r, "assigned": r["school_id"] in assigned} for r in rows]


def pack(db: Database, user: dict, school: dict, today: date) -> dict:
    """Everything the phone needs to check a school's open items with no signal: each item's
    finding, deadline, and the school's latest answer (and the last send-back, if any)."""
    rows = [
        r
        for r in rules.by_urgency(rectifications.for_school(db, school["id"]), today)
        if r["status"] != "closed"
    ]
    ids = [r["id"] for r in rows]
    replies = followups.latest_events(db, ids, ("respond",))
    finding_photos = followups.finding_photo_hashes(db, ids)
    returns = followups.latest_events(db, ids, ("return",))
    items = []
    for r in rows:
        reply, back = replies.get(r["id"]), returns.get(r["id"])
        items.append(
            {
                "id": r["id"],
                "number": r["number"] or str(r["seq"]),
                "problem": r["problem"],
                "basis": r["basis"] or "",
                "action": r["action"] or "",
                "owner": r["owner"] or "",
                "deadline": r["deadline"],
                "status": r["status"],
                "status_name": RECTIFICATION_STATUS[r["status"]],
                "unit_name": r["unit_name"],
                "repeats": r["repeats"],
                "extension_until": r["extension_until"],
                "inspection_date": r["inspection_date"],
                "inspection_type": r["inspection_type"],
                "checklist_title": r["checklist_title"],
                "may_decide": may_decide(user, r),
                # 整改前 / 整改后 on the phone: files served by /api/followups/schools/<id>/files/
                "finding_photos": finding_photos.get(r["id"], []),
                "reply": {
                    "at": reply["at"],
                    "by": reply["user_name"] or reply["actor"],
                    "measures": reply["data"].get("measures", ""),
                    "result": reply["data"].get("result", ""),
                    "done_on": reply["data"].get("done_on", ""),
                    "files": len(reply["evidence"]),
                    "photos": [
                        f["sha256"] for f in reply["evidence"] if f.get("mime") == "image/jpeg"
                    ],
                }
                if reply
                else None,
                "returned": {"at": back["at"], "text": back["text"]} if back else None,
            }
        )
    return {
        "school": {k: school[k] for k in ("id", "code", "name", "principal")}
        | {"township": school.get("township") or ""},
        "items": items,
    }


# --- Receiving a visit. ----------------------------------------------------------------------


def _valid_date(text) -> date | None:
    if not isinstance(text, str) or not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _text(value, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def validate(db: Database, payload: dict, visit_id: str, user: dict, today: date) -> dict:
    """Check a visit completely; returns what storing it needs. Raises PayloadError or Forbidden."""
    problems: dict[str, str] = {}
    try:
        uuid.UUID(visit_id)
    except ValueError:
        problems["id"] = "回头看编号不是有效的 UUID"
    if payload.get("id") != visit_id:
        problems["id"] = "回头看编号与地址不一致"
    if payload.get("type") != TYPE:
        problems["type"] = "不是回头看记录"
    school_id = payload.get("school_id")
    school = schools.get(db, school_id) if isinstance(school_id, int) else None
    if school is None:
        raise PayloadError("提交的回头看数据有误", {"school_id": "学校不存在"})
    day = _valid_date(payload.get("date"))
    if day is None:
        problems["date"] = "回头看日期格式应为 YYYY-MM-DD"
    elif day > today + timedelta(days=1):
        problems["date"] = "回头看日期不能晚于今天"
    # The plan on the day of the visit: one that waited in the outbox past the end of the
    # inspector's period was still theirs to make.
    if not may_visit(db, user, school["id"], min(day, today) if day else today):
        raise Forbidden(
            f"{school['name']}不在您的督导计划内，您也不是该校整改事项的复查人，不能对其回头看。"
        )
    location = payload.get("location")
    if location is not None and not (
        isinstance(location, dict)
        and all(isinstance(location.get(k), int | float) for k in ("latitude", "longitude"))
        and -90 <= location["latitude"] <= 90
        and -180 <= location["longitude"] <= 180
    ):
        problems["location"] = "定位数据无效"

    photos = payload.get("photos")
    if not isinstance(photos, list) or not all(
        isinstance(p, dict)
        and isinstance(p.get("sha256"), str)
        and _SHA256.match(p["sha256"])
        and isinstance(p.get("item"), int)
        for p in photos
    ):
        problems["photos"] = "照片列表格式无效"
        photos = []
    per_item: dict[int, int] = {}
    for p in photos:
        per_item[p["item"]] = per_item.get(p["item"], 0) + 1
    # Stamp data that is not well formed is refused, as for an inspection's photos (stamps.py
    # says why a doubtful one is kept with its warnings instead).
    clean_stamps: list[dict | None] = []
    for n, p in enumerate(photos, start=1):
        try:
            clean_stamps.append(None if p.get("stamp") is None else stamp_rules.clean(p["stamp"]))
        except stamp_rules.StampRejected as exc:
            problems[f"photos.{n}.stamp"] = f"第 {n} 张照片的水印数据有误：{exc}"
            clean_stamps.append(None)

    results = payload.get("results")
    cleaned: list[dict] = []
    if not isinstance(results, list) or not results:
        problems["results"] = "请至少核实一个整改事项"
        results = []
    elif len(results) > MAX_RESULTS:
        problems["results"] = f"一次回头看最多核实 {MAX_RESULTS} 个事项"
        results = []
    if len(photos) > MAX_PHOTOS:
        problems["photos"] = f"一次回头看最多 {MAX_PHOTOS} 张照片"
    seen: set[int] = set()
    for entry in results:
        rid = entry.get("rectification_id") if isinstance(entry, dict) else None
        item = rectifications.get(db, rid) if isinstance(rid, int) else None
        if not isinstance(rid, int) or item is None or item["school_id"] != school["id"]:
            problems[f"results.{rid}"] = "该整改事项不属于本校"
            continue
        if item["inspection_status"] != "valid":
            problems[f"results.{rid}"] = (
                f"整改事项 {item['number'] or item['seq']} 所属的检查已作废"
            )
            continue
        if rid in seen:
            problems[f"results.{rid}"] = f"整改事项 {item['number'] or item['seq']} 重复提交"
            continue
        seen.add(rid)
        if day is not None and day.isoformat() < item["inspection_date"]:
            problems[f"results.{rid}"] = (
                f"事项 {item['number'] or item['seq']}：回头看日期早于发现该问题的检查日期"
                f" {item['inspection_date']}"
            )
        for key, message in followup_rules.result_problems(
            entry.get("result"), entry.get("note"), per_item.get(rid, 0)
        ).items():
            problems[f"results.{rid}.{key}"] = f"事项 {item['number'] or item['seq']}：{message}"
        cleaned.append(
            {
                "rectification_id": rid,
                "result": entry.get("result"),
                "note": _text(entry.get("note"), followup_rules.MAX_NOTE),
            }
        )
    if any(p["item"] not in seen for p in photos):
        problems["photos"] = "照片关联的整改事项不在本次回头看中"

    sent = payload.get("signatures")
    signatures: dict = sent if isinstance(sent, dict) else {}
    pngs: dict[str, bytes] = {}
    try:
        pngs["inspector"] = signature_png(signatures.get("inspector"))
    except ImageRejected as exc:
        problems["signatures.inspector"] = f"督学签名：{exc}"
    absent = _text(payload.get("school_absent_reason"), 500)
    if signatures.get("school") is not None or not absent:
        try:
            pngs["school"] = signature_png(signatures.get("school"))
        except ImageRejected as exc:
            problems["signatures.school"] = (
                f"学校代表签名：{exc}（学校负责人不在场时，须填写未签名的原因）"
            )
    if problems:
        raise PayloadError("提交的回头看数据有误", problems)

    # Only photos this inspector has sent the bytes of (as for inspections): the phone answers
    # "missing" by uploading them and sending the visit again.
    missing = media.missing(db, sorted({p["sha256"] for p in photos}), user["id"])
    if missing:
        raise PayloadError(
            "还有照片未上传", {"photos": f"还有 {len(missing)} 张照片未上传"}, missing
        )
    return {"school": school, "results": cleaned, "photos": photos, "pngs": pngs,
            "absent": absent, "stamps": clean_stamps}  # fmt: skip


# A stale tab or a restored backup sends the same visit with a new phone clock.
_RESEND_VOLATILE = frozenset({"phone_time"})


def _same_visit(db: Database, visit_id: str, payload: dict) -> bool:
    row = followups.get(db, visit_id)
    if row is None:
        return False

    def content(p: dict) -> str:
        return canonical_json({k: v for k, v in p.items() if k not in _RESEND_VOLATILE})

    return content(json.loads(row["payload"])) == content(payload)


def _existing(db: Database, visit_id: str, payload: dict, digest: str) -> Received | None:
    stored = followups.digest(db, visit_id)
    if stored is None:
        return None
    if stored != digest and not _same_visit(db, visit_id, payload):
        raise Conflict()
    visit = followups.get(db, visit_id)
    assert visit is not None
    return Received(False, visit, followups.results(db, visit_id))


def receive(
    db: Database,
    payload: dict,
    visit_id: str,
    user: dict,
    *,
    today: date,
    media_dir: str,
    evidence_dir: str,
    actor: str,
) -> Received:
    """Store a visit the phone sent and apply its results to the items, or recognise a re-send."""
    digest = payload_digest(payload)
    if (known := _existing(db, visit_id, payload, digest)) is not None:
        return known
    checked = validate(db, payload, visit_id, user, today)
    school, results, photos, pngs = (checked[k] for k in ("school", "results", "photos", "pngs"))
    signatures = payload["signatures"]
    counts = {k: sum(1 for r in results if r["result"] == k) for k in followup_rules.RESULTS}
    school_sig = signatures.get("school") if "school" in pngs else None
    visit = {
        "id": visit_id,
        "school_id": school["id"],
        "inspector_id": user["id"],
        "date": payload["date"],
        "started_at": payload.get("started_at")
        if isinstance(payload.get("started_at"), str)
        else None,
        "phone_time": payload.get("phone_time")
        if isinstance(payload.get("phone_time"), str)
        else None,
        "location": json.dumps(payload.get("location"), ensure_ascii=False),
        "location_note": _text(payload.get("location_note"), 500),
        "school_rep_name": _text(school_sig["name"], 50) if school_sig else "",
        "school_rep_title": _text(school_sig.get("title"), 50) if school_sig else "",
        "school_absent_reason": "" if school_sig else checked["absent"],
        "fixed": counts["fixed"],
        "partial": counts["partial"],
        "not_fixed": counts["not_fixed"],
        "payload": canonical_json(payload),
        "payload_sha256": digest,
    }
    by_item = {r["rectification_id"]: r for r in results}
    evidence: dict[int, list[dict]] = {}
    photo_rows = []
    received_at = now()
    for position, (p, clean_stamp) in enumerate(zip(photos, checked["stamps"], strict=True)):
        doubts = (
            stamp_rules.doubts(
                clean_stamp,
                school=school["name"],
                inspector=user["display_name"],
                inspection_date=_valid_date(payload["date"]),
                started_at=visit["started_at"],
                submitted_at=visit["phone_time"],
                received_at=received_at,
                start_location=payload.get("location"),
            )  # fmt: skip
            if clean_stamp
            else []
        )
        row = media.get(db, p["sha256"])
        assert row is not None  # media.missing said this user sent it
        clean = CleanEvidence(media.read(media_dir, row), "image/jpeg", "jpg")
        n = len(evidence.setdefault(p["item"], [])) + 1
        number = f"回头看照片{n}.jpg"
        photo_rows.append(
            {"visit_id": visit_id, "position": position, "rectification_id": p["item"],
             "photo_sha256": p["sha256"], "caption": _text(p.get("caption"), 200),
             "stamp": json.dumps(clean_stamp, ensure_ascii=False) if clean_stamp else None,
             "stamp_warnings": json.dumps(doubts, ensure_ascii=False), "evidence_sha256": ""}
        )  # fmt: skip
        evidence[p["item"]].append({"clean": clean, "name": number, "row": photo_rows[-1]})

    def files(item_id: int) -> list[dict]:
        # Copied into the evidence store inside the transaction, so the timeline's files are
        # served (and access-checked) like every other evidence of the item.
        out = []
        for f in evidence.get(item_id, []):
            stored = evidence_store.store(db, evidence_dir, f["clean"], f["name"], user["id"])
            f["row"]["evidence_sha256"] = stored["sha256"]
            out.append(stored)
        return out

    def decide(item: dict, result: dict) -> followup_rules.Move:
        m = followup_rules.move(
            item, result["result"], result["note"], may_decide=may_decide(user, item), today=today
        )
        return replace(m, data={**m.data, "visit_id": visit_id, "date": payload["date"]})

    signature_rows = [
        {"visit_id": visit_id, "role": role, "name": _text(signatures[role]["name"], 50),
         "title": _text(signatures[role].get("title"), 50),
         "signed_at": signatures[role].get("signed_at") if isinstance(signatures[role].get("signed_at"), str) else None,
         "png": png}
        for role, png in pngs.items()
    ]  # fmt: skip
    ordered = [by_item[r["rectification_id"]] for r in results]
    try:
        stored = followups.record(
            db, visit, ordered, photo_rows, signature_rows, decide, files, actor=actor
        )
    except sqlite3.IntegrityError:
        # Two sends of one visit raced (a double tap on two connections): the first won.
        if (known := _existing(db, visit_id, payload, digest)) is not None:
            return known
        raise
    saved = followups.get(db, visit_id)
    assert saved is not None
    return Received(True, saved, stored)
