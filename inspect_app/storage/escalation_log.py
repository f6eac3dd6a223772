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

# Only items of inspections in force, as the bulletin counts them.
_FROM = """FROM rectification_escalations e
           JOIN rectifications r ON r.id = e.rectification_id
           JOIN inspections i ON i.id = r.inspection_id
           JOIN schools s ON s.id = e.school_id
           LEFT JOIN units un ON un.id = e.unit_id
           WHERE i.status = 'valid' AND e.day BETWEEN ? AND ?"""


def _where(start: str, end: str, unit: int | None, reason: str) -> tuple[str, list]:
    """``unit``: None every escalation, 0 those of the schools' own items, else that unit's."""
    sql = _FROM
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
    sql, params = _where(start, end, unit, reason)
    return db.execute("SELECT count(*) " + sql, params).fetchone()[0]


def page(
    db: Database, start: str, end: str, unit: int | None = None, reason: str = "",
    *, limit: int = 50, offset: int = 0,
) -> list[dict]:  # fmt: skip
    """Escalations made from ``start`` to ``end`` (Beijing dates, inclusive), newest first,
    each with its item (number, problem, status now, repeats), school and unit."""
    sql, params = _where(start, end, unit, reason)
    return list(
        db.query(
            """SELECT e.*, r.number, r.seq, r.problem, r.status, r.repeats,
                      r.deadline AS deadline_now, r.inspection_id,
                      s.name AS school_name, un.name AS unit_name, un.kind AS unit_kind,
                      un.head AS unit_head """
            + sql
            + " ORDER BY e.day DESC, e.at DESC, e.id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
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
