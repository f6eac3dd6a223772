"""Received inspections: the inspection row, its answers, photo links and signatures."""

from __future__ import annotations

import json
from datetime import date

from sqlite_utils import Database

from inspect_app.storage import jobs, units
from inspect_app.storage import rectifications as items
from inspect_app.storage.db import write

_SELECT = """
    SELECT i.*, s.name AS school_name, s.code AS school_code, s.township_id,
           u.display_name AS inspector_name, v.title AS checklist_title, v.version AS checklist_version
    FROM inspections i
    JOIN schools s ON s.id = i.school_id
    LEFT JOIN users u ON u.id = i.inspector_id
    JOIN checklist_versions v ON v.hash = i.checklist_hash
"""


def count(db: Database) -> int:
    return db.table("inspections").count


def get(db: Database, inspection_id: str) -> dict | None:
    rows = list(db.query(_SELECT + " WHERE i.id = ?", [inspection_id]))
    return rows[0] if rows else None


def payload_sha256(db: Database, inspection_id: str) -> str | None:
    row = next(
        db.query("SELECT payload_sha256 FROM inspections WHERE id = ?", [inspection_id]), None
    )
    return row["payload_sha256"] if row else None


def insert(
    db: Database,
    inspection: dict,
    answers: list[dict],
    photos: list[dict],
    signatures: list[dict],
    rectifications: list[dict],
) -> None:
    """Write one inspection with everything that belongs to it, all or nothing.

    Its rectification items open and its documents are queued in the same transaction, so a
    received inspection never lacks the items its findings call for, nor its documents' job.
    """
    at = inspection["received_at"]
    with write(db):
        db.table("inspections").insert(inspection)
        jobs.enqueue(db, inspection["id"], at)
        db.table("inspection_answers").insert_all(answers)
        db.table("inspection_photos").insert_all(photos)
        db.table("signatures").insert_all(signatures)
        for item in rectifications:
            _open_or_join(db, inspection, item, at)


def _open_or_join(db: Database, inspection: dict, item: dict, at: str) -> None:
    """Open an item for a finding, or join the school's open item for the same problem.

    The same checklist item failed again while the school's item for it is still open is the
    same problem (屡查屡犯): the open item takes the latest finding, its timeline records the
    repeat, and no second item is opened. Either way the inspection's finding is recorded, so
    its 整改清单 lists every problem it found.

    The joined item keeps its deadline: the clock the rules set runs from the first notice
    (整改时限 in its 整改清单), and a fresh 30 days for being found again would reward the
    problem not being fixed. A repeat found after the deadline is escalated at once (逾期后
    再次发现, once per visit), beside the daily escalation of every overdue item.
    """
    inspector = inspection["inspector_id"]
    found_on = inspection["date"]
    open_item = next(
        db.query(
            """SELECT r.id, r.problem, r.number, r.deadline, r.school_id, r.unit_id
               FROM rectifications r
               JOIN inspections i ON i.id = r.inspection_id
               WHERE r.school_id = ? AND r.item_id = ? AND i.checklist_id = ?
                 AND r.status != 'closed' AND i.status = 'valid' AND r.inspection_id != ?
               ORDER BY r.id DESC LIMIT 1""",
            [
                inspection["school_id"],
                item["item_id"],
                inspection["checklist_id"],
                inspection["id"],
            ],
        ),
        None,
    )
    if open_item is not None:
        rectification_id = open_item["id"]
        db.execute(
            """UPDATE rectifications SET problem = ?, repeats = repeats + 1,
                 version = version + 1, updated_at = ? WHERE id = ?""",
            [item["problem"], at, rectification_id],
        )
        late = (date.fromisoformat(found_on) - date.fromisoformat(open_item["deadline"])).days
        event: dict = {"kind": "repeat", "data": {"inspection_id": inspection["id"], "date": found_on,
                 "previous": open_item["problem"], "deadline": open_item["deadline"],
                 "days_overdue": max(late, 0), "escalated": late > 0}}  # fmt: skip
    else:
        # The responsible unit arrives by name (from the fix template) and is kept by id.
        unit, kind = item.get("unit"), item.get("unit_kind") or "department"
        row = {
            **{k: v for k, v in item.items() if k not in ("unit", "unit_kind")},
            "unit_id": units.ensure(db, unit, kind) if unit else None,
            "number": _next_number(db, inspection["school_id"], found_on[:4]),
            "inspection_id": inspection["id"],
            "school_id": inspection["school_id"],
            "status": "pending",
            "reviewer_id": inspector,
            "version": 1,
            "created_at": at,
            "updated_at": at,
        }
        rectification_id = db.table("rectifications").insert(row).last_pk
        event = {"kind": "created", "data": {}}
    db.table("rectification_events").insert(
        {"rectification_id": rectification_id, "at": at, "user_id": inspector, "actor": "督学",
         "kind": event["kind"], "text": item["problem"],
         "data": json.dumps(event["data"], ensure_ascii=False), "evidence": "[]"}
    )  # fmt: skip
    if open_item is not None and event["data"]["escalated"]:
        late = event["data"]["days_overdue"]
        items.escalate(
            db, open_item, key=f"repeat:{inspection['id']}", reason="repeat", day=found_on,
            days_overdue=late, at=at,
            text=f"{found_on} 检查再次发现，整改时限 {open_item['deadline']} 已逾期 {late} 天，"
            "升级至县教育局督办（屡查屡犯）",
        )  # fmt: skip
    db.table("rectification_findings").insert(
        {"inspection_id": inspection["id"], "item_id": item["item_id"],
         "rectification_id": rectification_id, "seq": item["seq"], "problem": item["problem"],
         "found_on": found_on}
    )  # fmt: skip


def _next_number(db: Database, school_id: int, year: str) -> str:
    """The school's next item number of ``year`` (2026-017); called inside the write lock."""
    last = db.execute(
        """SELECT max(CAST(substr(number, 6) AS INTEGER)) FROM rectifications
           WHERE school_id = ? AND number LIKE ? || '-%'""",
        [school_id, year],
    ).fetchone()[0]
    return f"{year}-{(last or 0) + 1:03d}"


def for_school(db: Database, school_id: int) -> list[dict]:
    return list(
        db.query(
            _SELECT + " WHERE i.school_id = ? ORDER BY i.date DESC, i.received_at DESC", [school_id]
        )
    )


def recent_by_inspector(db: Database, user_id: int, limit: int = 20) -> list[dict]:
    return list(
        db.query(
            _SELECT + " WHERE i.inspector_id = ? ORDER BY i.received_at DESC LIMIT ?",
            [user_id, limit],
        )
    )


# A phone that sent its own result and computed something else (a missing client result is
# an import or an old client, counted apart: it says nothing about the engines drifting).
_DRIFT = """client_mismatch IS NOT NULL AND client_mismatch NOT IN ('', '{}')
    AND json_extract(client_mismatch, '$.client_result') IS NULL"""


def score_mismatches(db: Database, limit: int = 20) -> dict:
    """Inspections whose phone result differed from the server's: counts and the latest cases."""
    drift, missing = db.execute(
        f"""SELECT count(*) FILTER (WHERE {_DRIFT}),
                   count(*) FILTER (WHERE json_extract(client_mismatch, '$.client_result') = 'missing')
            FROM inspections WHERE client_mismatch IS NOT NULL"""
    ).fetchone()
    latest = db.query(
        _SELECT + f" WHERE {_DRIFT.replace('client_mismatch', 'i.client_mismatch')}"
        " ORDER BY i.received_at DESC LIMIT ?",
        [limit],
    )
    return {"count": drift, "missing": missing, "latest": list(latest)}


def latest_for(db: Database, school_id: int, checklist_id: str) -> dict | None:
    rows = list(
        db.query(
            _SELECT + " WHERE i.school_id = ? AND i.checklist_id = ? AND i.status = 'valid'"
            " ORDER BY i.date DESC, i.received_at DESC LIMIT 1",
            [school_id, checklist_id],
        )
    )
    return rows[0] if rows else None


def answers(db: Database, inspection_id: str) -> dict[str, dict]:
    rows = db.query("SELECT * FROM inspection_answers WHERE inspection_id = ?", [inspection_id])
    return {
        r["item_id"]: {**r, "value": json.loads(r["value"]) if r["value"] is not None else None}
        for r in rows
    }


def photos(db: Database, inspection_id: str) -> list[dict]:
    return list(
        db.query(
            """SELECT ip.*, p.path, p.width, p.height FROM inspection_photos ip
               JOIN photos p ON p.sha256 = ip.photo_sha256
               WHERE ip.inspection_id = ? ORDER BY ip.position""",
            [inspection_id],
        )
    )


def signatures(db: Database, inspection_id: str) -> list[dict]:
    return list(
        db.query("SELECT * FROM signatures WHERE inspection_id = ? ORDER BY role", [inspection_id])
    )


def may_see_photo(db: Database, sha256: str, user: dict) -> bool:
    """Bureau and admin see every photo; others only photos of inspections they may see."""
    if user["role"] in ("bureau", "admin"):
        return True
    if user["role"] == "inspector":
        sql = """SELECT 1 FROM inspection_photos ip JOIN inspections i ON i.id = ip.inspection_id
                 WHERE ip.photo_sha256 = ? AND i.inspector_id = ?
                 UNION SELECT 1 FROM photo_uploads WHERE sha256 = ? AND user_id = ?"""
        return next(db.query(sql, [sha256, user["id"], sha256, user["id"]]), None) is not None
    sql = """SELECT 1 FROM inspection_photos ip JOIN inspections i ON i.id = ip.inspection_id
             WHERE ip.photo_sha256 = ? AND i.school_id = ?"""
    return next(db.query(sql, [sha256, user["school_id"]]), None) is not None


def rectifications(db: Database, inspection_id: str) -> list[dict]:
    """The inspection's 整改清单 in its order (the rectification loop lives in storage/rectifications.py).

    Every problem the inspection found, with the problem as it measured it: a repeat finding
    lists the item it joined (its number, deadline and unit), opened by an earlier visit.
    """
    return list(
        db.query(
            """SELECT r.*, f.seq AS seq, f.problem AS problem, r.inspection_id AS opened_by,
                      un.name AS unit_name
               FROM rectification_findings f
               JOIN rectifications r ON r.id = f.rectification_id
               LEFT JOIN units un ON un.id = r.unit_id
               WHERE f.inspection_id = ? ORDER BY f.seq""",
            [inspection_id],
        )
    )
