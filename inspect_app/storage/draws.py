"""双随机 draws and 回避 (conflicts): who must never be drawn for which school, and each draw
as recorded (its inputs, seed and result, and the signed record it was issued as)."""

from __future__ import annotations

import json

from sqlite_utils import Database

from inspect_app.common.clock import stamp
from inspect_app.storage.db import write


def add_conflict(
    db: Database, *, inspector_id: int, school_id: int | None, township_id: int | None,
    reason: str, by: int | None,
) -> int:  # fmt: skip
    """An inspector to keep away from one school or from every school of a township."""
    with write(db):
        return db.execute(
            """INSERT INTO draw_conflicts (inspector_id, school_id, township_id, reason,
                 created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id""",
            [inspector_id, school_id, township_id, reason, by, stamp()],
        ).fetchone()[0]


def remove_conflict(db: Database, conflict_id: int) -> bool:
    return db.execute("DELETE FROM draw_conflicts WHERE id = ?", [conflict_id]).rowcount == 1


def conflicts(db: Database) -> list[dict]:
    """Every recorded conflict with the names a list shows, by inspector."""
    return list(
        db.query(
            """SELECT c.*, u.display_name AS inspector_name, s.name AS school_name,
                      t.name AS township_name
               FROM draw_conflicts c JOIN users u ON u.id = c.inspector_id
               LEFT JOIN schools s ON s.id = c.school_id
               LEFT JOIN regions t ON t.id = c.township_id
               ORDER BY u.display_name, c.id"""
        )
    )


def conflict_pairs(db: Database, inspector_ids: list[int]) -> list[tuple[int, int, str]]:
    """(inspector id, school id, reason) for every school each inspector must avoid: the
    schools and townships recorded, and the school an inspector's own account belongs to."""
    ids = json.dumps(inspector_ids)
    rows = db.execute(
        """SELECT c.inspector_id, c.school_id, c.reason FROM draw_conflicts c
           WHERE c.school_id IS NOT NULL AND c.inspector_id IN (SELECT value FROM json_each(?))
           UNION
           SELECT c.inspector_id, s.id, c.reason FROM draw_conflicts c
           JOIN schools s ON s.township_id = c.township_id
           WHERE c.township_id IS NOT NULL AND c.inspector_id IN (SELECT value FROM json_each(?))
           UNION
           SELECT u.id, u.school_id, '本人所在学校' FROM users u
           WHERE u.school_id IS NOT NULL AND u.id IN (SELECT value FROM json_each(?))
           ORDER BY 1, 2""",
        [ids, ids, ids],
    ).fetchall()
    return [(int(i), int(s), r) for i, s, r in rows]


def active_inspectors(db: Database) -> list[dict]:
    return list(
        db.query(
            "SELECT id, display_name FROM users WHERE role = 'inspector' AND active = 1 ORDER BY id"
        )
    )


def display_names(db: Database, user_ids: list[int]) -> dict[int, str]:
    """user id → display name (a draw's inspectors, active or not by now)."""
    rows = db.execute(
        "SELECT id, display_name FROM users WHERE id IN (SELECT value FROM json_each(?))",
        [json.dumps(user_ids)],
    ).fetchall()
    return {int(i): name for i, name in rows}


def record(
    db: Database, *, period_kind: str, period_key: str, seed: str, inputs: dict, result: list,
    digest: str, created_by: int | None,
) -> int:  # fmt: skip
    with write(db):
        return db.execute(
            """INSERT INTO draws (period_kind, period_key, seed, inputs, result, digest,
                 created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
            [period_kind, period_key, seed, json.dumps(inputs, ensure_ascii=False),
             json.dumps(result), digest, created_by, stamp()],
        ).fetchone()[0]  # fmt: skip


def set_report(db: Database, draw_id: int, report_id: str) -> None:
    db.execute("UPDATE draws SET report_id = ? WHERE id = ?", [report_id, draw_id])


def get(db: Database, draw_id: int) -> dict | None:
    row = next(
        db.query(
            """SELECT d.*, u.display_name AS created_by_name, r.doc_number, r.status AS report_status
               FROM draws d LEFT JOIN users u ON u.id = d.created_by
               LEFT JOIN reports r ON r.id = d.report_id WHERE d.id = ?""",
            [draw_id],
        ),
        None,
    )
    if row is not None:
        row["inputs"] = json.loads(row["inputs"])
        row["result"] = json.loads(row["result"])
    return row


def recent(db: Database, limit: int = 30) -> list[dict]:
    return list(
        db.query(
            """SELECT d.id, d.period_kind, d.period_key, d.seed, d.created_at, d.report_id,
                      json_array_length(d.result) AS drawn, r.doc_number,
                      u.display_name AS created_by_name
               FROM draws d LEFT JOIN users u ON u.id = d.created_by
               LEFT JOIN reports r ON r.id = d.report_id ORDER BY d.id DESC LIMIT ?""",
            [limit],
        )
    )
