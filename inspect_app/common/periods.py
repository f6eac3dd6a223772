"""Reporting periods (月 / 季 / 学期 / 年 / 自定义) and the Filters every bureau query takes.

Pure values: storage turns them into SQL clauses, the bureau's pages and documents into words.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date

PERIOD_KINDS = {
    "month": "月度",
    "quarter": "季度",
    "term": "学期",
    "year": "年度",
    "custom": "自定义",
}
QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}


class PeriodError(ValueError):
    """A period key that names no period; the message is Chinese, for the page."""


@dataclass(frozen=True)
class Period:
    """A closed range of days with a stable key (used as a bulletin's subject id)."""

    kind: str
    key: str
    start: date
    end: date
    label: str

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def month_period(year: int, month: int) -> Period:
    last = calendar.monthrange(year, month)[1]
    return Period(
        "month",
        f"{year}-{month:02d}",
        date(year, month, 1),
        date(year, month, last),
        f"{year}年{month}月",
    )


def quarter_period(year: int, quarter: int) -> Period:
    first = 3 * (quarter - 1) + 1
    end = month_period(year, first + 2).end
    return Period(
        "quarter",
        f"{year}-Q{quarter}",
        date(year, first, 1),
        end,
        f"{year}年{QUARTER_NAMES[quarter]}",
    )


def term_period(school_year: int, term: int) -> Period:
    """上学期 = Sep 1 – Jan 31 of the school year starting in ``school_year``; 下学期 = Feb 1 – Aug 31.

    The summer holiday belongs to the 下学期 just ended (as in :func:`term_of`): an inspection
    made then (开学前专项督导 in late August) must count in some term's figures.
    """
    if term == 1:
        start, end, name = date(school_year, 9, 1), date(school_year + 1, 1, 31), "上学期"
    else:
        start, end, name = date(school_year + 1, 2, 1), date(school_year + 1, 8, 31), "下学期"
    return Period(
        "term",
        f"{school_year}-{school_year + 1}-{term}",
        start,
        end,
        f"{school_year}—{school_year + 1}学年{name}",
    )


def year_period(year: int) -> Period:
    return Period("year", str(year), date(year, 1, 1), date(year, 12, 31), f"{year}年")


def custom_period(start: date, end: date) -> Period:
    if end < start:
        raise PeriodError("结束日期不能早于开始日期")
    return Period(
        "custom", f"{start.isoformat()}~{end.isoformat()}", start, end, f"{_cn(start)}至{_cn(end)}"
    )


def term_of(day: date) -> tuple[int, int]:
    """(school year, term) a day belongs to; August counts with the 下学期 just ended."""
    if day.month >= 9:
        return day.year, 1
    if day.month == 1:
        return day.year - 1, 1
    return day.year - 1, 2


def current_period(kind: str, today: date) -> Period:
    if kind == "month":
        return month_period(today.year, today.month)
    if kind == "quarter":
        return quarter_period(today.year, (today.month - 1) // 3 + 1)
    if kind == "year":
        return year_period(today.year)
    return term_period(*term_of(today))


def last_complete_period(kind: str, today: date) -> Period:
    """The newest period of a kind that has ended; a term or year still running is itself.

    A 月点评 or 季通报 reviews a month or quarter that is over: on 1 December the month just
    begun has no inspections yet, so November is what the bureau means.
    """
    if kind == "month":
        first = date(today.year, today.month, 1)
        return current_period("month", date.fromordinal(first.toordinal() - 1))
    if kind == "quarter":
        first = current_period("quarter", today).start
        return current_period("quarter", date.fromordinal(first.toordinal() - 1))
    return current_period(kind, today)


def from_key(key: str) -> Period:
    """The period a stored key names (its kind read from the key's shape, as written by us)."""
    if not key:
        raise PeriodError("时段为空")
    if "~" in key:
        kind = "custom"
    elif "-Q" in key:
        kind = "quarter"
    elif key.count("-") == 2:
        kind = "term"
    elif "-" in key:
        kind = "month"
    else:
        kind = "year"
    return parse_period(kind, key, date(2000, 1, 1))  # a key never needs today


def parse_period(kind: str | None, key: str | None, today: date) -> Period:
    """The period a query string names; an empty key means the current one of that kind."""
    kind = kind if kind in PERIOD_KINDS else "term"
    key = (key or "").strip()
    if not key:
        if kind == "custom":
            raise PeriodError("自定义时段须填写开始和结束日期")
        return current_period(kind, today)
    try:
        if kind == "month":
            year, month = key.split("-")
            return month_period(int(year), int(month))
        if kind == "quarter":
            year, quarter = key.split("-Q")
            if int(quarter) not in QUARTER_NAMES:
                raise ValueError
            return quarter_period(int(year), int(quarter))
        if kind == "term":
            first, second, term = key.split("-")
            if int(second) != int(first) + 1 or int(term) not in (1, 2):
                raise ValueError
            return term_period(int(first), int(term))
        if kind == "year":
            return year_period(int(key))
        start, end = key.split("~")
        return custom_period(date.fromisoformat(start), date.fromisoformat(end))
    except PeriodError:
        raise
    except ValueError:
        raise PeriodError(f"时段「{key}」格式不正确") from None


def period_choices(kind: str, today: date, count: int = 8) -> list[Period]:
    """Recent periods of a kind, newest first, for the filter's select."""
    out: list[Period] = []
    if kind == "month":
        y, m = today.year, today.month
        for _ in range(count + 4):
            out.append(month_period(y, m))
            y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    elif kind == "quarter":
        y, q = today.year, (today.month - 1) // 3 + 1
        for _ in range(count):
            out.append(quarter_period(y, q))
            y, q = (y, q - 1) if q > 1 else (y - 1, 4)
    elif kind == "term":
        y, t = term_of(today)
        for _ in range(count):
            out.append(term_period(y, t))
            y, t = (y, 1) if t == 2 else (y - 1, 2)
    elif kind == "year":
        out = [year_period(today.year - n) for n in range(count)]
    return out


DEFAULT_PERIOD = "term"  # what the bureau sees before choosing a period


@dataclass(frozen=True)
class Filters:
    """What the bureau is looking at. Empty strings / None mean "all"."""

    period: Period
    township_id: int | None = None
    stage: str = ""
    checklist_id: str = ""
    type: str = ""

    def with_checklist(self, checklist_id: str) -> Filters:
        return replace(self, checklist_id=checklist_id)

    def query_args(self) -> dict:
        """The query string that reproduces these filters (for links and exports)."""
        args: dict[str, str | int] = {"period": self.period.kind, "key": self.period.key}
        if self.township_id:
            args["township"] = self.township_id
        if self.stage:
            args["stage"] = self.stage
        args["checklist"] = self.checklist_id or "all"
        if self.type:
            args["type"] = self.type
        return args
