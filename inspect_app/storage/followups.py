"""回头看 visits: the schools with open items to go back to, and each visit as the phone sent it.

A visit is stored once under the phone's UUID with everything it carried (results per item,
photos, signatures); the items' own changes and timeline entries are written in the same
transaction through ``storage.rectifications.apply``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from sqlite_utils import Database

from inspect_app.common.clock import stamp
from inspect_app.storage import rectifications
from inspect_app.storage.db import write

_VALID = "i.status = 'valid'"


def schools_with_open_items(
    db: Database, today: str, school_ids: set[int] | None, reviewer_id: int | None
) -> list[dict]:
    """Schools with open items in force: ``school_ids`` (None: every school) and, with
    ``reviewer_id``, also the schools where that reviewer has open items. Most overdue first."""
    params: list[object] = [today, reviewer_id or 0]
    if school_ids is None:
        scope = ""
    else:
        # The schools first (the plan's, by index; the reviewer's, by rectifications_by_reviewer),
        # then only their items: an OR over both columns read every item of a province.
        scope = """JOIN (SELECT value AS school_id FROM json_each(?)
                         UNION SELECT school_id FROM rectifications
                         WHERE reviewer_id = ? AND status != 'closed') w
                     ON w.school_id = r.school_id"""
        params += [json.dumps(sorted(school_ids)), reviewer_id or 0]
    sql = f"""
        SELECT s.id AS school_id, s.name, s.code, t.name AS township,
               count(*) AS open, sum(r.deadline < ?) AS overdue,
               sum(r.reviewer_id = ?) AS mine
        FROM rectifications r
        {scope}
        JOIN inspections i ON i.id = r.inspection_id AND {_VALID}
        JOIN schools s ON s.id = r.school_id
        LEFT JOIN regions t ON t.id = s.township_id
        WHERE r.status != 'closed'
        GROUP BY s.id ORDER BY overdue DESC, s.name"""
    return list(db.query(sql, params))


def reviews_open_item_at(db: Database, reviewer_id: int, school_id: int) -> bool:
    row = db.execute(
        f"""SELECT 1 FROM rectifications r JOIN inspections i ON i.id = r.inspection_id
            WHERE r.school_id = ? AND r.reviewer_id = ? AND r.status != 'closed' AND {_VALID}
            LIMIT 1""",
        [school_id, reviewer_id],
    ).fetchone()
    return row is not None


def latest_events(db: Database, ids: Sequence[int], kinds: Sequence[str]) -> dict[int, dict]:
    """Each item's most recent event of ``kinds`` (the school's last answer, the last return)."""
    if not ids:
        return {}
    marks, kind_marks = ",".join("?" * len(ids)), ",".join("?" * len(kinds))
    rows = db.query(
        f"""SELECT e.*, u.display_name AS user_name FROM rectification_events e
            LEFT JOIN users u ON u.id = e.user_id
            WHERE e.rectification_id IN ({marks}) AND e.kind IN ({kind_marks})
            ORDER BY e.at, e.id""",
        [*ids, *kinds],
    )
    out: dict[int, dict] = {}
    for e in rows:
        out[e["rectification_id"]] = {
            **e,
            "data": json.loads(e["data"] or "{}"),
            "evidence": json.loads(e["evidence"] or "[]"),
        }
    return out


def digest(db: Database, visit_id: str) -> str | None:
    row = db.execute(
        "SELECT payload_sha256 FROM followup_visits WHERE id = ?", [visit_id]
    ).fetchone()
    return row[0] if row else None


def get(db: Database, visit_id: str) -> dict | None:
    rows = list(
        db.query(
            """SELECT v.*, s.name AS school_name, u.display_name AS inspector_name
               FROM followup_visits v JOIN schools s ON s.id = v.school_id
               LEFT JOIN users u ON u.id = v.inspector_id WHERE v.id = ?""",
            [visit_id],
        )
    )
    return rows[0] if rows else None


def unrecorded(db: Database, limit: int = 20) -> list[str]:
    """Visits whose 回头看记录 is not issued yet, oldest first (0033b's partial index keeps
    this a read of the few waiting, however many visits are on record)."""
    rows = db.query(
        "SELECT id FROM followup_visits WHERE record_report_id IS NULL "
        "ORDER BY received_at LIMIT ?",
        [limit],
    )
    return [r["id"] for r in rows]


def mark_recorded(db: Database, visit_id: str, report_id: str) -> None:
    with write(db):
        db.execute(
            "UPDATE followup_visits SET record_report_id = ? WHERE id = ?", [report_id, visit_id]
        )


def results(db: Database, visit_id: str) -> list[dict]:
    """The visit's results in the order checked, each with its item's number and problem."""
    return list(
        db.query(
            """SELECT f.*, r.number, r.seq, r.problem, r.deadline, r.status AS status_now,
                      r.unit_id
               FROM followup_results f JOIN rectifications r ON r.id = f.rectification_id
               WHERE f.visit_id = ? ORDER BY f.position""",
            [visit_id],
        )
    )


def photos(db: Database, visit_id: str) -> list[dict]:
    return list(
        db.query("SELECT * FROM followup_photos WHERE visit_id = ? ORDER BY position", [visit_id])
    )


def signatures(db: Database, visit_id: str) -> dict[str, dict]:
    rows = db.query("SELECT * FROM followup_signatures WHERE visit_id = ?", [visit_id])
    return {r["role"]: r for r in rows}


def for_school(db: Database, school_id: int) -> list[dict]:
    return list(
        db.query(
            """SELECT v.id, v.date, v.received_at, v.fixed, v.partial, v.not_fixed,
                      u.display_name AS inspector_name
               FROM followup_visits v LEFT JOIN users u ON u.id = v.inspector_id
               WHERE v.school_id = ? ORDER BY v.date DESC, v.received_at DESC""",
            [school_id],
        )
    )


def record(
    db: Database,
    visit: dict,
    results: list[dict],
    photo_rows: list[dict],
    signature_rows: list[dict],
    decide: Callable[[dict, dict], rectifications.Move],
    evidence: Callable[[int], list[dict]],
    *,
    actor: str,
) -> list[dict]:
    """Store a visit and apply each result to its item, all in one transaction.

    ``decide(item, result)`` gives the move for the item as it stands inside the transaction
    (so no concurrent answer or decision is judged from a stale copy); ``evidence(item_id)``
    the files the timeline entry carries. Raises ``sqlite3.IntegrityError`` when a visit with
    this id is already stored (two sends raced). Returns the result rows as stored.
    """
    stored = []
    with write(db):
        db.table("followup_visits").insert({**visit, "received_at": stamp()})
        for position, result in enumerate(results):
            item = rectifications.get(db, result["rectification_id"])
            assert item is not None  # checked by the caller; items are never deleted
            move = decide(item, result)
            rectifications.apply(
                db, item, move, version=item["version"], user_id=visit["inspector_id"],
                actor=actor, evidence=evidence(item["id"]),
            )  # fmt: skip
            row = {
                "visit_id": visit["id"],
                "rectification_id": item["id"],
                "position": position,
                "result": result["result"],
                "note": result["note"],
                "status_before": item["status"],
                "status_after": move.data["status_after"],
                "outcome": move.data["outcome"],
            }
            db.table("followup_results").insert(row)
            stored.append(row)
        for row in photo_rows:
            db.table("followup_photos").insert(row)
        for row in signature_rows:
            db.table("followup_signatures").insert(row)
    return stored


def finding_photo_hashes(db: Database, ids: Sequence[int]) -> dict[int, list[str]]:
    """Each item's finding photos (the inspector's, at the visit that opened it), in order."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    out: dict[int, list[str]] = {}
    for row in db.query(
        f"""SELECT r.id, ip.photo_sha256 FROM rectifications r
            JOIN inspection_photos ip ON ip.inspection_id = r.inspection_id AND ip.item_id = r.item_id
            WHERE r.id IN ({marks}) ORDER BY r.id, ip.position""",
        list(ids),
    ):
        out.setdefault(row["id"], []).append(row["photo_sha256"])
    return out


def school_file(db: Database, school_id: int, sha256: str) -> str | None:
    """``photo`` when ``sha256`` is a finding photo of one of the school's open items,
    ``evidence`` when it is an image the school sent with an answer to one; else None."""
    # A join, not ``IN (SELECT … inspections)``: that list of every valid inspection was built
    # afresh per call (0.3 s on a province).
    open_items = f"""r.school_id = ? AND r.status != 'closed'
        AND EXISTS (SELECT 1 FROM inspections i WHERE i.id = r.inspection_id AND {_VALID})"""
    photo = db.execute(
        f"""SELECT 1 FROM rectifications r JOIN inspection_photos ip
              ON ip.inspection_id = r.inspection_id AND ip.item_id = r.item_id
            WHERE ip.photo_sha256 = ? AND {open_items} LIMIT 1""",
        [sha256, school_id],
    ).fetchone()
    if photo:
        return "photo"
    evidence = db.execute(
        f"""SELECT 1 FROM rectification_events e JOIN rectifications r ON r.id = e.rectification_id
            WHERE e.kind = 'respond' AND {open_items}
              AND EXISTS (SELECT 1 FROM json_each(e.evidence) j
                          WHERE json_extract(j.value, '$.sha256') = ?
                            AND json_extract(j.value, '$.mime') = 'image/jpeg')
            LIMIT 1""",
        [school_id, sha256],
    ).fetchone()
    return "evidence" if evidence else None


def checked_an_item_of_unit(db: Database, visit_id: str, unit_id: int) -> bool:
    """Whether the visit checked an item a county unit (department) is responsible for."""
    row = db.execute(
        """SELECT 1 FROM followup_results f JOIN rectifications r ON r.id = f.rectification_id
           WHERE f.visit_id = ? AND r.unit_id = ? LIMIT 1""",
        [visit_id, unit_id],
    ).fetchone()
    return row is not None


def reviews_an_item_of(db: Database, visit_id: str, reviewer_id: int) -> bool:
    """Whether ``reviewer_id`` reviews one of the items the visit checked."""
    row = db.execute(
        """SELECT 1 FROM followup_results f JOIN rectifications r ON r.id = f.rectification_id
           WHERE f.visit_id = ? AND r.reviewer_id = ? LIMIT 1""",
        [visit_id, reviewer_id],
    ).fetchone()
    return row is not None
