"""Rectification items (整改事项): reading them, changing them with optimistic locking, access links.

Every change is a row update guarded by ``version`` plus an appended event, in one transaction;
the events table refuses updates and deletes, so the timeline is the item's full history.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Protocol

from sqlite_utils import Database

from inspect_app.common.clock import stamp
from inspect_app.common.vocabulary import RECTIFICATION_STATUS
from inspect_app.storage.db import write


class Move(Protocol):
    """A legal action's outcome (``rectification.rules.decide`` makes them)."""

    # Read-only members, so the frozen dataclass in rectification.rules satisfies them.
    @property
    def changes(self) -> dict: ...
    @property
    def kind(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def data(self) -> dict: ...


# Only inspections still in force feed the lists and counts; a superseded or revoked
# inspection's items stay reachable by id, with their history.
_VALID = "i.status = 'valid'"

_SELECT = """
    SELECT r.*, s.name AS school_name, s.code AS school_code, s.principal AS school_principal,
           i.date AS inspection_date, i.type AS inspection_type, i.status AS inspection_status,
           v.title AS checklist_title, u.display_name AS reviewer_name,
           c.display_name AS closed_by_name, un.name AS unit_name, un.kind AS unit_kind,
           (SELECT max(at) FROM rectification_events e
             WHERE e.rectification_id = r.id AND e.kind = 'respond') AS responded_at,
           (SELECT max(at) FROM rectification_events e
             WHERE e.rectification_id = r.id AND e.kind IN ('respond', 'request_extension'))
             AS waiting_since
    FROM rectifications r
    JOIN schools s ON s.id = r.school_id
    JOIN inspections i ON i.id = r.inspection_id
    JOIN checklist_versions v ON v.hash = i.checklist_hash
    LEFT JOIN users u ON u.id = r.reviewer_id
    LEFT JOIN users c ON c.id = r.closed_by
    LEFT JOIN units un ON un.id = r.unit_id
"""

# An item one inspection found: it opened it, or a repeat finding of it joined it.
_FOUND_BY = "r.id IN (SELECT rectification_id FROM rectification_findings WHERE inspection_id = ?)"

# The columns a Move may change; anything else would be a programming error.
_CHANGEABLE = {"status", "deadline", "extension_until", "unit_id"}


class Stale(Exception):
    """Someone changed the item after this user loaded it; their action was not applied."""


def get(db: Database, rectification_id: int) -> dict | None:
    rows = list(db.query(_SELECT + " WHERE r.id = ?", [rectification_id]))
    return rows[0] if rows else None


def for_school(db: Database, school_id: int, inspection_id: str | None = None) -> list[dict]:
    sql = _SELECT + f" WHERE r.school_id = ? AND {_VALID}"
    params: list[object] = [school_id]
    if inspection_id:
        sql += f" AND {_FOUND_BY}"
        params.append(inspection_id)
    return list(db.query(sql + " ORDER BY r.deadline, r.number", params))


def for_unit(db: Database, unit_id: int, inspection_id: str | None = None) -> list[dict]:
    """The items a county unit answers, at every school (or those one inspection found)."""
    sql = _SELECT + f" WHERE r.unit_id = ? AND {_VALID}"
    params: list[object] = [unit_id]
    if inspection_id:
        sql += f" AND {_FOUND_BY}"
        params.append(inspection_id)
    return list(db.query(sql + " ORDER BY r.deadline, s.name, r.number", params))


def for_inspection(db: Database, inspection_id: str) -> list[dict]:
    """The items an inspection found: those it opened and those its repeat findings joined."""
    return list(
        db.query(
            _SELECT
            + """ JOIN rectification_findings f
                ON f.rectification_id = r.id AND f.inspection_id = ? ORDER BY f.seq""",
            [inspection_id],
        )
    )


def of_inspections_before(db: Database, before: str) -> list[dict]:
    """Items (id, inspector, inspection date) of inspections made before a date, by id."""
    return list(
        db.query(
            """SELECT r.id, i.inspector_id, i.date AS inspection_date
               FROM rectifications r JOIN inspections i ON i.id = r.inspection_id
               WHERE i.date < ? ORDER BY r.id""",
            [before],
        )
    )


def queue(db: Database, reviewer_id: int | None) -> list[dict]:
    """Items waiting for a reviewer: responses to check and extension requests to decide.

    ``reviewer_id`` None means every item (bureau and admin review them all).
    """
    sql = (
        _SELECT
        + f" WHERE {_VALID} AND r.status != 'closed'"
        + " AND (r.status = 'submitted' OR r.extension_until IS NOT NULL)"
    )
    params: list = []
    if reviewer_id is not None:
        sql += " AND r.reviewer_id = ?"
        params.append(reviewer_id)
    return list(db.query(sql + " ORDER BY waiting_since, r.id", params))


def overdue_open(db: Database, today: str) -> list[dict]:
    """Every open item past its deadline (``today`` as YYYY-MM-DD), longest overdue first."""
    return list(
        db.query(
            _SELECT + f" WHERE {_VALID} AND r.status != 'closed' AND r.deadline < ?"
            " ORDER BY r.deadline, s.name, r.number",
            [today],
        )
    )


def overdue_count(db: Database, reviewer_id: int | None, today: str) -> int:
    """Open items past their deadline (``today`` as YYYY-MM-DD), for one reviewer or all."""
    sql = (
        "SELECT count(*) FROM rectifications r JOIN inspections i ON i.id = r.inspection_id"
        f" WHERE {_VALID} AND r.status != 'closed' AND r.deadline < ?"
    )
    params: list = [today]
    if reviewer_id is not None:
        sql += " AND r.reviewer_id = ?"
        params.append(reviewer_id)
    return db.execute(sql, params).fetchone()[0]


def waiting_counts(db: Database, today: str) -> dict[str, int]:
    """The bureau's home panel over every item: responses to check, extension requests to
    decide, open items past their deadline (``today`` as YYYY-MM-DD), of valid inspections.

    Counted from indexes (status, deadline; 0030b's extension index) over all items, less
    those of the few inspections no longer valid: the join to each item's inspection made a
    province's 540 000 items take seconds.
    """
    open_statuses = [s for s in RECTIFICATION_STATUS if s != "closed"]
    marks = ", ".join("?" * len(open_statuses))
    counts = f"""count(CASE WHEN r.status = 'submitted' THEN 1 END),
        count(CASE WHEN r.extension_until IS NOT NULL AND r.status != 'closed' THEN 1 END),
        count(CASE WHEN r.status IN ({marks}) AND r.deadline < ? THEN 1 END)"""
    every = db.execute(
        f"""SELECT (SELECT count(*) FROM rectifications WHERE status = 'submitted'),
                   (SELECT count(*) FROM rectifications INDEXED BY rectifications_extension
                    WHERE extension_until IS NOT NULL AND status != 'closed'),
                   (SELECT count(*) FROM rectifications WHERE status IN ({marks})
                    AND deadline < ?)""",
        [*open_statuses, today],
    ).fetchone()
    invalid = db.execute(
        f"""SELECT {counts} FROM inspections i JOIN rectifications r ON r.inspection_id = i.id
            WHERE NOT ({_VALID})""",
        [*open_statuses, today],
    ).fetchone()
    responses, extensions, overdue = (a - b for a, b in zip(every, invalid, strict=True))
    return {"responses": responses, "extensions": extensions, "overdue": overdue}


def findings_count(
    db: Database, *, school_id: int | None = None, inspection_id: str | None = None
) -> int:
    """Problems found (发现问题) by the inspections in force of a school, or by one inspection."""
    params: list[object]
    if inspection_id is not None:
        sql, params = "SELECT findings FROM inspections WHERE id = ?", [inspection_id]
    else:
        sql = "SELECT sum(findings) FROM inspections i WHERE i.school_id = ? AND " + _VALID
        params = [school_id]
    return db.execute(sql, params).fetchone()[0] or 0


def events(db: Database, rectification_id: int) -> list[dict]:
    rows = db.query(
        """SELECT e.*, u.display_name AS user_name FROM rectification_events e
           LEFT JOIN users u ON u.id = e.user_id
           WHERE e.rectification_id = ? ORDER BY e.at, e.id""",
        [rectification_id],
    )
    return [
        {**e, "data": json.loads(e["data"] or "{}"), "evidence": json.loads(e["evidence"] or "[]")}
        for e in rows
    ]


def finding_photos(db: Database, item: dict) -> list[dict]:
    """The inspector's photos of the checklist item this rectification came from."""
    return list(
        db.query(
            """SELECT photo_sha256, caption FROM inspection_photos
               WHERE inspection_id = ? AND item_id = ? ORDER BY position""",
            [item["inspection_id"], item["item_id"]],
        )
    )


def apply(
    db: Database,
    item: dict,
    move: Move,
    *,
    version: int,
    user_id: int | None,
    actor: str,
    evidence: Sequence[dict] = (),
) -> None:
    """Make ``move`` on ``item`` if nobody changed it since ``version``; raise :class:`Stale` if not.

    A move without changes (a re-inspection note) only appends its event: it alters no state,
    so it need not lose to a concurrent decision.
    """
    at = stamp()
    with write(db):
        if move.changes:
            assert set(move.changes) <= _CHANGEABLE, move.changes
            changes = {**move.changes, "updated_at": at}
            if move.changes.get("status") == "closed":
                changes |= {"closed_at": at, "closed_by": user_id}
            sets = ", ".join(f"{column} = ?" for column in changes)
            cursor = db.execute(
                f"UPDATE rectifications SET {sets}, version = version + 1 WHERE id = ? AND version = ?",
                [*changes.values(), item["id"], version],
            )
            if cursor.rowcount != 1:
                raise Stale()
        db.table("rectification_events").insert(
            {"rectification_id": item["id"], "at": at, "user_id": user_id, "actor": actor,
             "kind": move.kind, "text": move.text,
             "data": json.dumps(move.data, ensure_ascii=False),
             "evidence": json.dumps(list(evidence), ensure_ascii=False)}
        )  # fmt: skip


def evidence_items(db: Database, sha256: str) -> list[dict]:
    """The items (school and reviewer) whose timeline carries this evidence file."""
    return list(
        db.query(
            """SELECT DISTINCT r.id, r.school_id, r.reviewer_id, r.unit_id
               FROM rectification_events e
               JOIN rectifications r ON r.id = e.rectification_id
               WHERE EXISTS (SELECT 1 FROM json_each(e.evidence) j
                             WHERE json_extract(j.value, '$.sha256') = ?)""",
            [sha256],
        )
    )


# --- Access links: a principal without an account answers the school's items. ---------------


def create_link(
    db: Database, *, token_hash: str, school_id: int, created_by: int, expires_at: str
) -> None:
    db.table("access_links").insert(
        {"token_hash": token_hash, "school_id": school_id, "created_by": created_by,
         "created_at": stamp(), "expires_at": expires_at}
    )  # fmt: skip


def active_link(db: Database, token_hash: str) -> dict | None:
    rows = list(
        db.query(
            """SELECT * FROM access_links
               WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?""",
            [token_hash, stamp()],
        )
    )
    return rows[0] if rows else None


def revoke_link(db: Database, token_hash: str) -> dict | None:
    """Revoke a link now; returns the link (None when unknown)."""
    db.execute(
        "UPDATE access_links SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
        [stamp(), token_hash],
    )
    rows = list(db.query("SELECT * FROM access_links WHERE token_hash = ?", [token_hash]))
    return rows[0] if rows else None


def links_for_school(db: Database, school_id: int) -> list[dict]:
    return list(
        db.query(
            """SELECT a.*, u.display_name AS created_by_name FROM access_links a
               LEFT JOIN users u ON u.id = a.created_by
               WHERE a.school_id = ? ORDER BY a.created_at DESC""",
            [school_id],
        )
    )


# --- 逾期升级: the record of each escalation (migration 0028). ---------------------------------


def record_escalation(
    db: Database, item: dict, *, key: str, reason: str, day: str, days_overdue: int,
    at: str | None = None,
) -> bool:  # fmt: skip
    """Record that ``item`` was escalated on ``day`` (Beijing, YYYY-MM-DD), once per ``key``
    (overdue:<deadline> or repeat:<inspection>); False when it was recorded before. The unit
    is the item's at that moment."""
    cursor = db.execute(
        """INSERT OR IGNORE INTO rectification_escalations
             (rectification_id, key, reason, deadline, days_overdue, school_id, unit_id, day, at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [item["id"], key, reason, item["deadline"], days_overdue, item["school_id"],
         item.get("unit_id"), day, at or stamp()],
    )  # fmt: skip
    return cursor.rowcount == 1


def escalate(
    db: Database, item: dict, *, key: str, reason: str, day: str, days_overdue: int, text: str,
    at: str | None = None,
) -> bool:  # fmt: skip
    """Escalate ``item`` once per ``key``: the record, and an ``escalate`` event on its
    timeline (an event changes no state, so the item's version stays). False when done before."""
    at = at or stamp()
    with write(db):
        if not record_escalation(
            db, item, key=key, reason=reason, day=day, days_overdue=days_overdue, at=at
        ):
            return False
        db.table("rectification_events").insert(
            {"rectification_id": item["id"], "at": at, "user_id": None, "actor": "系统",
             "kind": "escalate", "text": text,
             "data": json.dumps({"reason": reason, "deadline": item["deadline"],
                                 "days_overdue": days_overdue, "key": key}, ensure_ascii=False),
             "evidence": "[]"}
        )  # fmt: skip
    return True


def repeat_escalations_since(db: Database, day: str) -> list[dict]:
    """Items escalated because a visit found them again while overdue, from ``day`` on (the
    notices of :func:`inspect_app.rectification.notifications.run_escalations`)."""
    return list(
        db.query(
            _SELECT.replace(
                "SELECT r.*,",
                "SELECT x.key AS escalation_key, x.days_overdue AS escalation_days, r.*,",
                1,
            )
            + """ JOIN rectification_escalations x ON x.rectification_id = r.id
                WHERE x.reason = 'repeat' AND x.day >= ? AND """
            + _VALID
            + " ORDER BY x.day, r.id",
            [day],
        )
    )


def escalated(db: Database, reason: str) -> set[tuple[int, str]]:
    """(item id, key) of every escalation made for ``reason``: what a daily run skips."""
    return set(
        db.execute(
            "SELECT rectification_id, key FROM rectification_escalations WHERE reason = ?",
            [reason],
        ).fetchall()
    )


def escalations_of(db: Database, rectification_id: int) -> list[dict]:
    return list(
        db.query(
            "SELECT * FROM rectification_escalations WHERE rectification_id = ? ORDER BY at, id",
            [rectification_id],
        )
    )


def escalations_by_unit(db: Database, start: str, end: str, checklist_id: str = "") -> list[dict]:
    """Escalations made from ``start`` to ``end`` (Beijing dates, inclusive), by whom they were
    raised against: ``unit_id`` None for the schools' own items, else the county unit, with
    ``items`` (distinct items), ``escalations`` (rows) and ``schools``; only items of valid
    inspections (of ``checklist_id`` when given), the schools' row first, then most items."""
    sql = """SELECT e.unit_id, un.name AS unit_name, un.kind AS unit_kind,
                    count(DISTINCT e.rectification_id) AS items, count(*) AS escalations,
                    count(DISTINCT e.school_id) AS schools,
                    sum(e.reason = 'repeat') AS repeats
             FROM rectification_escalations e
             JOIN rectifications r ON r.id = e.rectification_id
             JOIN inspections i ON i.id = r.inspection_id
             LEFT JOIN units un ON un.id = e.unit_id
             WHERE i.status = 'valid' AND e.day BETWEEN ? AND ?"""
    params: list = [start, end]
    if checklist_id:
        sql += " AND i.checklist_id = ?"
        params.append(checklist_id)
    sql += " GROUP BY e.unit_id ORDER BY e.unit_id IS NOT NULL, items DESC, un.name"
    return list(db.query(sql, params))
