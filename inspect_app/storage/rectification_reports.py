"""整改报告: the written report a school sends for one inspection, and the clocks the rules set.

The report's PDF is issued by the document worker (``documents.issuing.ensure_documents``):
submitting stores the row and queues the inspection's document job again, in one transaction.
A revision is the next version (with its reason, migration 0028b); its PDF gets a new 文号 and
supersedes the previous one, whose PDF stays on record. Version N of the report is issued as
version N of the inspection's ``rectification_report`` documents.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from inspect_app.common.clock import stamp
from inspect_app.storage import jobs
from inspect_app.storage.db import write

# ``first_submitted_at``: when version 1 was sent, which the 30-day clock judges.
_VERSIONS = """SELECT rr.*, r.id AS pdf_id, r.doc_number, r.status AS pdf_status,
                      (SELECT min(x.submitted_at) FROM rectification_reports x
                        WHERE x.inspection_id = rr.inspection_id) AS first_submitted_at
               FROM rectification_reports rr
               LEFT JOIN reports r ON r.subject_id = rr.inspection_id
                 AND r.kind = 'rectification_report' AND r.version = rr.version
               WHERE rr.inspection_id = ?"""


def _decoded(row: dict) -> dict:
    return {**row, "items": json.loads(row["items"]), "evidence": json.loads(row["evidence"])}


def for_inspection(db: Database, inspection_id: str) -> dict | None:
    """The latest version of the inspection's report (with its PDF, once issued), or None."""
    rows = list(db.query(_VERSIONS + " ORDER BY rr.version DESC LIMIT 1", [inspection_id]))
    return _decoded(rows[0]) if rows else None


def versions(db: Database, inspection_id: str) -> list[dict]:
    """Every version of the inspection's report, first first, each with its PDF's status."""
    return [_decoded(r) for r in db.query(_VERSIONS + " ORDER BY rr.version", [inspection_id])]


class AlreadySubmitted(Exception):
    """The inspection's report (or this version of it) was sent before (a second tab, a
    double tap)."""


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
    version: int = 1,
    reason: str = "",
) -> None:
    """Store ``version`` of the report (1: the first; a revision gives the next number and
    its ``reason``) and queue its PDF; :class:`AlreadySubmitted` when that version exists
    (another tab sent it first)."""
    at = stamp()
    with write(db):
        cursor = db.execute(
            """INSERT OR IGNORE INTO rectification_reports
               (inspection_id, school_id, version, reason, summary, items, evidence,
                submitted_by, submitted_by_name, submitted_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [inspection_id, school_id, version, reason, summary,
             json.dumps(items, ensure_ascii=False), json.dumps(evidence, ensure_ascii=False),
             user_id, user_name, at],
        )  # fmt: skip
        if cursor.rowcount != 1:
            raise AlreadySubmitted()
        jobs.requeue(db, inspection_id, at)


def report_clock(db: Database, school_ids: list[int] | None = None) -> list[dict]:
    """Every inspection in force that opened or joined items: its date, school and whether (and
    when) its 整改报告 was first sent (a later revision does not move the clock), and its latest
    version (``report_version``, None before the first). The rule
    (days, lateness) is applied by the caller."""
    sql = """SELECT i.id AS inspection_id, i.date, i.type, i.school_id, s.name AS school_name,
                    (SELECT count(*) FROM rectification_findings f WHERE f.inspection_id = i.id)
                      AS findings,
                    rr.submitted_at,
                    (SELECT max(x.version) FROM rectification_reports x
                      WHERE x.inspection_id = i.id) AS report_version
             FROM inspections i JOIN schools s ON s.id = i.school_id
             LEFT JOIN rectification_reports rr ON rr.inspection_id = i.id AND rr.version = 1
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
