"""整改报告: the written report a school sends for one inspection, and the clocks the rules set.

The report's PDF is issued by the document worker (``documents.issuing.ensure_documents``):
submitting stores the row and queues the inspection's document job again, in one transaction.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from inspect_app.common.clock import stamp
from inspect_app.storage import jobs
from inspect_app.storage.db import write


def for_inspection(db: Database, inspection_id: str) -> dict | None:
    rows = list(
        db.query(
            """SELECT rr.*, r.id AS pdf_id, r.doc_number
               FROM rectification_reports rr
               LEFT JOIN reports r ON r.subject_id = rr.inspection_id
                 AND r.kind = 'rectification_report' AND r.status = 'valid'
               WHERE rr.inspection_id = ?""",
            [inspection_id],
        )
    )
    if not rows:
        return None
    row = rows[0]
    return {**row, "items": json.loads(row["items"]), "evidence": json.loads(row["evidence"])}


class AlreadySubmitted(Exception):
    """The inspection's report was sent before (a second tab, a double tap)."""


def submit(
    db: Database,
    *,
    inspection_id: str,
    school_id: int,
    summary: str,
    items: list[dict],
    evidence: list[dict],
    user_id: int | None,
    user_name: str,
) -> None:
    at = stamp()
    with write(db):
        cursor = db.execute(
            """INSERT OR IGNORE INTO rectification_reports
               (inspection_id, school_id, summary, items, evidence, submitted_by,
                submitted_by_name, submitted_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [inspection_id, school_id, summary, json.dumps(items, ensure_ascii=False),
             json.dumps(evidence, ensure_ascii=False), user_id, user_name, at],
        )  # fmt: skip
        if cursor.rowcount != 1:
            raise AlreadySubmitted()
        jobs.requeue(db, inspection_id, at)


def report_clock(db: Database, school_ids: list[int] | None = None) -> list[dict]:
    """Every inspection in force that opened or joined items: its date, school and whether (and
    when) its 整改报告 was sent. The rule (days, lateness) is applied by the caller."""
    sql = """SELECT i.id AS inspection_id, i.date, i.type, i.school_id, s.name AS school_name,
                    (SELECT count(*) FROM rectification_findings f WHERE f.inspection_id = i.id)
                      AS findings,
                    rr.submitted_at
             FROM inspections i JOIN schools s ON s.id = i.school_id
             LEFT JOIN rectification_reports rr ON rr.inspection_id = i.id
             WHERE i.status = 'valid'
               AND EXISTS (SELECT 1 FROM rectification_findings f WHERE f.inspection_id = i.id)"""
    params: list = []
    if school_ids is not None:
        sql += f" AND i.school_id IN ({','.join('?' * len(school_ids))})"
        params += school_ids
    return list(db.query(sql + " ORDER BY i.date, s.name", params))


def review_request_clock(db: Database) -> list[dict]:
    """Items sent back (退回) and not yet answered again: when the decision was made."""
    return list(
        db.query(
            """SELECT r.id, r.number, r.problem, r.school_id, r.unit_id, s.name AS school_name,
                      un.name AS unit_name,
                      (SELECT max(at) FROM rectification_events e
                        WHERE e.rectification_id = r.id AND e.kind = 'return') AS returned_at
               FROM rectifications r
               JOIN inspections i ON i.id = r.inspection_id
               JOIN schools s ON s.id = r.school_id
               LEFT JOIN units un ON un.id = r.unit_id
               WHERE r.status = 'returned' AND i.status = 'valid'
               ORDER BY returned_at"""
        )
    )
