"""Who may inspect which school: the supervision plan (督导计划).

An inspector inspects the schools the plan gives them on the day — their 责任区 and what a
双随机 draw added (bureau/draws.py puts the drawn schools and inspectors into the plan, with
回避 already applied, so a school outside the plan may be one the inspector must stay away
from); 随机走访 and 暗访 are ways of inspecting a planned school, not a licence for any other.
The bureau and the administrator may inspect anywhere. One rule for the phone's start page
(bootstrap's per-school ``may_inspect``) and for last visit's data (/previous), so a school the
start page offers is never refused its history for being outside the plan.
"""

from __future__ import annotations

from datetime import date

from sqlite_utils import Database

from inspect_app.storage import assignments

MANAGERS = ("bureau", "admin")


def inspectable(db: Database, user: dict, on: date | None = None) -> set[int] | None:
    """The ids of the schools `user` may inspect on `on` (today); None: every school."""
    if user["role"] in MANAGERS:
        return None
    if user["role"] != "inspector":
        return set()
    return assignments.school_ids_for(db, user["id"], on)


def may_inspect(db: Database, user: dict, school_id: int, on: date | None = None) -> bool:
    allowed = inspectable(db, user, on)
    return allowed is None or school_id in allowed
