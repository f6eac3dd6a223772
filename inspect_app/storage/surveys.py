"""Surveys as stored: survey versions, rounds, each school's link code, anonymous responses,
and the short-lived per-address throttle for the public answer page."""

from __future__ import annotations

import json
import secrets
import sqlite3
from datetime import datetime, timedelta

from sqlite_utils import Database

from inspect_app.common.clock import now, stamp
from inspect_app.storage import inserted_id, jobs
from inspect_app.storage.db import write

# Link codes: 10 characters of a 32-letter alphabet without look-alikes (50 bits), short
# enough for a small QR code and to type from a poster, too many to guess.
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 10


def store_version(db: Database, survey_hash: str, compiled: dict) -> None:
    """Keep a compiled survey version (a no-op when that hash is stored already)."""
    db.table("survey_versions").insert(
        {"hash": survey_hash, "survey_id": compiled["id"], "version": compiled.get("version"),
         "title": compiled["title"], "compiled": json.dumps(compiled, ensure_ascii=False),
         "stored_at": stamp()},
        ignore=True,
    )  # fmt: skip


def compiled(db: Database, survey_hash: str) -> dict | None:
    row = next(db.query("SELECT compiled FROM survey_versions WHERE hash = ?", [survey_hash]), None)
    return json.loads(row["compiled"]) if row else None


def new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def create_round(
    db: Database,
    *,
    survey_id: str,
    survey_hash: str,
    title: str,
    school_ids: list[int],
    created_by: int,
    period_key: str | None = None,
    period_label: str | None = None,
    inspection_id: str | None = None,
    closes_on: str | None = None,
) -> int:
    """Open a round for these schools, each with its own link code; returns the round id."""
    with write(db):
        round_id = inserted_id(
            db.table("survey_rounds").insert(
                {
                    "survey_id": survey_id,
                    "survey_hash": survey_hash,
                    "title": title,
                    "period_key": period_key,
                    "period_label": period_label,
                    "inspection_id": inspection_id,
                    "status": "open",
                    "closes_on": closes_on,
                    "created_by": created_by,
                    "created_at": stamp(),
                }
            )  # fmt: skip
        )
        for school_id in dict.fromkeys(school_ids):
            db.table("survey_round_schools").insert(
                {"round_id": round_id, "school_id": school_id, "code": new_code()}
            )
    return round_id


_ROUND = """
    SELECT r.*, v.version AS survey_version,
      (SELECT COUNT(*) FROM survey_round_schools s WHERE s.round_id = r.id) AS school_count,
      (SELECT COUNT(*) FROM survey_responses p WHERE p.round_id = r.id) AS response_count
    FROM survey_rounds r JOIN survey_versions v ON v.hash = r.survey_hash
"""


def rounds(db: Database) -> list[dict]:
    """Every round, newest first, with its number of schools and of responses."""
    return list(db.query(_ROUND + " ORDER BY r.id DESC"))


def get_round(db: Database, round_id: int) -> dict | None:
    return next(db.query(_ROUND + " WHERE r.id = ?", [round_id]), None)


def close_round(db: Database, round_id: int) -> bool:
    """End a round (answers are refused from now on); False if it was closed already.

    A round opened for one inspection queues that inspection's documents again in the same
    transaction: its figures are final now, and the report's next version carries them."""
    at = stamp()
    with write(db):
        cursor = db.execute(
            "UPDATE survey_rounds SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open'",
            [at, round_id],
        )
        if cursor.rowcount != 1:
            return False
        row = db.execute(
            "SELECT inspection_id FROM survey_rounds WHERE id = ?", [round_id]
        ).fetchone()
        if row[0]:
            jobs.requeue(db, row[0], at)
        return True


def round_schools(db: Database, round_id: int) -> list[dict]:
    """The schools of a round with their link codes, by township and name."""
    return list(
        db.query(
            """SELECT rs.school_id, rs.code, s.name, s.code AS school_code, s.stage,
                      s.boarding, s.township_central, s.poverty_village, s.enrolment,
                      t.name AS township
               FROM survey_round_schools rs
               JOIN schools s ON s.id = rs.school_id
               JOIN regions t ON t.id = s.township_id
               WHERE rs.round_id = ? ORDER BY t.name, s.name""",
            [round_id],
        )
    )


def link(db: Database, code: str) -> dict | None:
    """What a poster's link opens: the round and school of a code, or None."""
    return next(
        db.query(
            """SELECT rs.code, rs.round_id, rs.school_id, s.name AS school_name, s.code AS
                      school_code, s.stage, s.boarding, s.township_central, s.poverty_village,
                      s.enrolment, r.survey_hash, r.survey_id, r.title, r.status, r.closes_on
               FROM survey_round_schools rs
               JOIN schools s ON s.id = rs.school_id
               JOIN survey_rounds r ON r.id = rs.round_id
               WHERE rs.code = ?""",
            [code],
        ),
        None,
    )


def counts(db: Database, round_id: int) -> dict[tuple[int, str], int]:
    """(school id, respondent group) → number of responses."""
    return {
        (row["school_id"], row["respondent_group"]): row["n"]
        for row in db.query(
            """SELECT school_id, respondent_group, COUNT(*) AS n FROM survey_responses
               WHERE round_id = ? GROUP BY school_id, respondent_group""",
            [round_id],
        )
    }


def responses(db: Database, round_id: int, school_id: int | None = None) -> list[dict]:
    """Stored answers of a round (one school's, or all), as {school_id, group, answers}.

    In a fixed order that says nothing about who answered when (by the random response id).
    """
    sql = "SELECT school_id, respondent_group, answers FROM survey_responses WHERE round_id = ?"
    params: list = [round_id]
    if school_id is not None:
        sql += " AND school_id = ?"
        params.append(school_id)
    return [
        {"school_id": r["school_id"], "group": r["respondent_group"],
         "answers": json.loads(r["answers"])}
        for r in db.query(sql + " ORDER BY id", params)
    ]  # fmt: skip


def school_rounds(db: Database, school_id: int) -> list[dict]:
    """The rounds a school was asked in, newest first."""
    return list(
        db.query(
            """SELECT r.*, rs.code FROM survey_round_schools rs
               JOIN survey_rounds r ON r.id = rs.round_id
               WHERE rs.school_id = ? ORDER BY r.id DESC""",
            [school_id],
        )
    )


def mark_reported(db: Database, inspection_id: str, report_id: str) -> None:
    """Record that ``report_id`` carries the final figures of the inspection's closed rounds."""
    with write(db):
        db.execute(
            """UPDATE survey_rounds SET report_id = ?
               WHERE inspection_id = ? AND status = 'closed' AND report_id IS NULL""",
            [report_id, inspection_id],
        )


def inspection_rounds(db: Database, inspection_id: str) -> list[dict]:
    return list(
        db.query("SELECT * FROM survey_rounds WHERE inspection_id = ? ORDER BY id", [inspection_id])
    )


def throttled(
    db: Database, address_hash: str, limit: int, window: timedelta, moment: datetime | None = None
) -> bool:
    """Count one answer attempt from an address; True when it is over ``limit`` in ``window``.

    Rows older than the window are deleted here, so a hashed address is kept no longer than
    the limit needs it. Over the limit, the attempt is not recorded (a flood does not extend
    its own lock-out beyond the window).
    """
    moment = moment or now()
    cutoff = stamp(moment - window)
    with write(db):
        db.execute("DELETE FROM survey_throttle WHERE at <= ?", [cutoff])
        used = db.execute(
            "SELECT COUNT(*) FROM survey_throttle WHERE address_hash = ? AND at > ?",
            [address_hash, cutoff],
        ).fetchone()[0]
        if used >= limit:
            return True
        db.table("survey_throttle").insert({"address_hash": address_hash, "at": stamp(moment)})
        return False


def add_response(
    db: Database,
    *,
    response_id: str,
    round_id: int,
    school_id: int,
    group: str,
    device_hash: str,
    answers: dict,
    received_on: str,
) -> str:
    """Store one answer. Returns "created", "again" (this very answer was stored before: a
    re-send after a lost reply) or "device" (this device already answered this round)."""
    with write(db):
        if (
            db.execute(
                "SELECT 1 FROM survey_rounds WHERE id = ? AND status = 'open'", [round_id]
            ).fetchone()
            is None
        ):
            return "closed"
        existing = db.execute(
            "SELECT id FROM survey_responses WHERE round_id = ? AND device_hash = ?",
            [round_id, device_hash],
        ).fetchone()
        if existing is not None:
            return "again" if existing[0] == response_id else "device"
        try:
            db.table("survey_responses").insert(
                {"id": response_id, "round_id": round_id, "school_id": school_id,
                 "respondent_group": group, "device_hash": device_hash,
                 "answers": json.dumps(answers, ensure_ascii=False, sort_keys=True),
                 "received_on": received_on}
            )  # fmt: skip
        except sqlite3.IntegrityError:
            # the same response id under another device token: a forged re-send
            return "device"
    return "created"


def school_versions(db: Database, round_id: int) -> tuple[tuple, dict[int, tuple[int, int]]]:
    """What identifies each school's set of responses in a round: answers are only ever added,
    so their number and the newest rowid change with each one. Returned with the database's
    identity (file path, and the bureau data version's origin, which a restored or replaced
    file changes), so two databases in one process never share results."""
    path = next((r[2] for r in db.execute("PRAGMA database_list") if r[1] == "main"), "")
    try:
        origin = db.execute("SELECT origin FROM bureau_data_version WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        origin = None
    versions = {
        school_id: (n, last)
        for school_id, n, last in db.execute(
            """SELECT school_id, COUNT(*), MAX(rowid) FROM survey_responses
               WHERE round_id = ? GROUP BY school_id""",
            [round_id],
        )
    }
    return (path, origin[0] if origin else None), versions
