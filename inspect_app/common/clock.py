"""Time as stored (ISO 8601 UTC, second precision, sorting as text) and as users read it.

Deadlines are calendar days where the schools are, so "today" and displayed times are in
China Standard Time whatever the server's own time zone is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime | None = None) -> str:
    return (moment or now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def today_in_china(override: str | None = None) -> date:
    """Today's date for deadlines; ``override`` (YYYY-MM-DD) freezes it for tests and demos."""
    return date.fromisoformat(override) if override else now().astimezone(CHINA).date()


def local_time(value: str | None) -> str:
    """A stored stamp as people read the clock: "2026-11-20T03:00:00Z" → "2026-11-20 11:00"."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
