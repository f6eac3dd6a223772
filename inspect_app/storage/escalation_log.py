"""The bureau's record of escalations (逾期升级督办, migration 0028): each one with its item,
whom it was raised against, and the messages it sent.

An escalation's messages are found by their keys (rectification.notifications): the in-app
notices of an item escalated for deadline D are ``esc:<item>:<D>:<addressee>`` (s: the school,
u<id>: a unit's account, b<id>: a bureau account), those of a visit that found it again while
overdue ``esc-repeat:<inspection>:<item>:<addressee>``; the unit head's e-mail and gateway
messages are the same prefix after ``head:``, ending in the channel.
"""

from __future__ import annotations

from sqlite_utils import Database


def _where(start: str, end: str, unit: int | None, reason: str) -> tuple[str, list]:
    """The escalations of the days ``start``..``end``; ``unit``: None every one, 0 those of the
    schools' own items, else that unit's; ``reason`` '' both kinds."""
    sql = "e.day BETWEEN ? AND ?"
    params: list[str | int] = [start, end]
    if unit == 0:
        sql += " AND e.unit_id IS NULL"
    elif unit is not None:
        sql += " AND e.unit_id = ?"
        params.append(unit)
    if reason:
        sql += " AND e.reason = ?"
        params.append(reason)
    return sql, params


def count(db: Database, start: str, end: str, unit: int | None = None, reason: str = "") -> int:
    """How many escalations :func:`page` pages through: all of the period's, from an index
    (0034), less those of the few inspections no longer in force (a join to every escalation's
    inspection took seconds for a province's 250 000 of one day)."""
    where, params = _where(start, end, unit, reason)
    every = db.execute(
        f"SELECT count(*) FROM rectification_escalations e WHERE {where}", params
    ).fetchone()[0]
    # Led by the few invalid inspections' items (``+e.day`` keeps the day index out of it).
    invalid = db.execute(
        f"""SELECT count(*) FROM rectification_escalations e
            WHERE e.rectification_id IN (
              SELECT r.id FROM inspections i JOIN rectifications r ON r.inspection_id = i.id
              WHERE i.status != 'valid')
              AND {where.replace("e.day BETWEEN", "+e.day BETWEEN", 1)}""",
        params,
    ).fetchone()[0]
    return every - invalid


def page(
    db: Database, start: str, end: str, unit: int | None = None, reason: str = "",
    *, limit: int = 50, offset: int = 0,
) -> list[dict]:  # fmt: skip
    """Escalations made from ``start`` to ``end`` (Beijing dates, inclusive), of items of
    inspections in force, newest first, each with its item (number, problem, status now,
    repeats), school and unit."""
    where, params = _where(start, end, unit, reason)
    # Most of a period's rows: read the day index backwards and stop after the page. A unit's
    # or a reason's few: found in 0034's index (filtered there), then sorted.
    most = unit in (None, 0) and not reason
    index = "INDEXED BY rectification_escalations_day" if most else ""
    return list(
        db.query(
            f"""SELECT e.*, r.number, r.seq, r.problem, r.status, r.repeats,
                       r.deadline AS deadline_now, r.inspection_id,
                       s.name AS school_name, un.name AS unit_name, un.kind AS unit_kind,
                       un.head AS unit_head
                FROM rectification_escalations e {index}
                JOIN rectifications r ON r.id = e.rectification_id
                JOIN inspections i ON i.id = r.inspection_id
                JOIN schools s ON s.id = e.school_id
                LEFT JOIN units un ON un.id = e.unit_id
                WHERE i.status = 'valid' AND {where}
                ORDER BY e.day DESC, e.id DESC LIMIT ? OFFSET ?""",
            [*params, limit, offset],
        )
    )


def by_unit(db: Database, start: str, end: str) -> list[dict]:
    """The period's escalations by whom they were raised against (the bulletin's
    ``escalations_by_unit`` without a checklist): ``unit_id`` None for the schools' own items,
    with ``items``, ``escalations``, ``schools`` and ``repeats``; read from the escalations
    alone, less the items of the few inspections no longer in force."""
    return list(
        db.query(
            """SELECT e.unit_id, un.name AS unit_name, un.kind AS unit_kind,
                      count(DISTINCT e.rectification_id) AS items, count(*) AS escalations,
                      count(DISTINCT e.school_id) AS schools, sum(e.reason = 'repeat') AS repeats
               FROM rectification_escalations e LEFT JOIN units un ON un.id = e.unit_id
               WHERE e.day BETWEEN ? AND ?
                 AND e.rectification_id NOT IN (
                   SELECT r.id FROM inspections i JOIN rectifications r ON r.inspection_id = i.id
                   WHERE i.status != 'valid')
               GROUP BY e.unit_id ORDER BY e.unit_id IS NOT NULL, items DESC, un.name""",
            [start, end],
        )
    )


def key_prefix(escalation: dict) -> str:
    """The start of the keys of every message ``escalation`` sent (see the module's doc)."""
    if escalation["reason"] == "repeat":
        return f"esc-{escalation['key']}:{escalation['rectification_id']}:"
    return f"esc:{escalation['rectification_id']}:{escalation['deadline']}:"


def _after(prefix: str) -> str:
    # Keys from ``prefix`` up to (not including) this one all start with it: ':' + 1 is ';'.
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def messages(db: Database, escalation: dict) -> dict:
    """What ``escalation`` sent: ``notices`` (in-app, with the addressee's name and whether it
    was read) and ``heads`` (messages to the unit head, with their delivery state)."""
    prefix = key_prefix(escalation)
    notices = list(
        db.query(
            """SELECT n.dedupe_key, n.user_id, n.school_id, n.created_at, n.read_at,
                      u.display_name, u.role
               FROM notifications n LEFT JOIN users u ON u.id = n.user_id
               WHERE n.dedupe_key >= ? AND n.dedupe_key < ?
               ORDER BY n.created_at, n.id""",
            [prefix, _after(prefix)],
        )
    )
    head = "head:" + prefix
    heads = list(
        db.query(
            """SELECT channel, address, status, attempts, created_at, delivered_at, last_error
               FROM notification_deliveries
               WHERE dedupe_key >= ? AND dedupe_key < ?
               ORDER BY channel""",
            [head, _after(head)],
        )
    )
    return {"notices": notices, "heads": heads}
