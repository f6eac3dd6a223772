"""Telling people what needs them: notices, the channels that deliver them, and which to send.

A :class:`Notice` goes through every registered channel. The in-app channel (the
``notifications`` table) is always there and is the record that de-duplicates: a notice whose
``dedupe_key`` was used before is not delivered again, by any channel. Another channel (SMS,
e-mail, a messaging app) is a class with a ``deliver(db, notice)`` method passed to
:func:`add_channel`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlite_utils import Database

from inspect_app.rectification import rules
from inspect_app.storage import deliveries
from inspect_app.storage import notifications as store


@dataclass(frozen=True)
class Notice:
    kind: str
    text: str
    link: str
    user_id: int | None = None  # one user …
    school_id: int | None = None  # … or every account of one school
    dedupe_key: str | None = None


class Channel(Protocol):
    # False: the notice was delivered before (another process just sent it); stop there.
    def deliver(self, db: Database, notice: Notice) -> bool | None: ...


class InAppChannel:
    """Writes the notice to the ``notifications`` table, shown on the user's notification page."""

    def deliver(self, db: Database, notice: Notice) -> bool:
        return store.add(
            db, kind=notice.kind, text=notice.text, link=notice.link, user_id=notice.user_id,
            school_id=notice.school_id, dedupe_key=notice.dedupe_key,
        )  # fmt: skip


_channels: list[Channel] = [InAppChannel()]


def add_channel(channel: Channel) -> None:
    _channels.append(channel)


def remove_channel(channel: Channel) -> None:
    _channels.remove(channel)


def send(db: Database, notice: Notice) -> bool:
    """Deliver ``notice`` on every channel; False (and nothing delivered) when it is a repeat."""
    if notice.user_id is None and notice.school_id is None:
        return False
    if notice.dedupe_key and store.known_keys(db, [notice.dedupe_key]):
        return False
    for channel in _channels:
        # Two processes may both pass the check above (the worker's escalation run beside
        # ``flask notify``): the in-app row's unique key lets one of them deliver it.
        if channel.deliver(db, notice) is False:
            return False
    # E-mail and webhook: logged here for each addressee's chosen channels, sent by
    # rectification.delivery (flask notify) with retries, or in a daily digest.
    deliveries.queue(
        db, kind=notice.kind, text=notice.text, link=notice.link, user_id=notice.user_id,
        school_id=notice.school_id,
    )  # fmt: skip
    return True


# --- Which notices the rectification loop sends. ----------------------------------------------


def to_reviewer(item: dict, kind: str, link: str) -> Notice:
    """A school answered (``respond``) or asked for more time (``request_extension``)."""
    what = "提交了整改情况" if kind == "respond" else f"申请延期至 {item.get('extension_until')}"
    return Notice(
        kind=kind,
        text=f"{item['school_name']}{what}：{_short(item['problem'])}",
        link=link,
        user_id=item["reviewer_id"],
    )


_SCHOOL_TEXT = {
    "return": "整改被退回，请按复查意见继续整改",
    "accept": "整改已通过复查，已销号",
    "approve_extension": "延期申请已同意，整改时限已调整",
    "refuse_extension": "延期申请未获同意，请按原时限完成整改",
}


def to_school(item: dict, kind: str, link: str) -> Notice:
    """The reviewer decided on one of the school's items."""
    return Notice(
        kind=kind,
        text=f"{_SCHOOL_TEXT[kind]}：{_short(item['problem'])}",
        link=link,
        school_id=item["school_id"],
    )


def new_items(
    inspection_id: str,
    school_id: int,
    inspection_date: str,
    inspection_type: str,
    count: int,
    link: str,
) -> Notice:
    """The school's notice that an inspection opened ``count`` rectification items.

    Sent when the inspection arrives, and recomputed when the school reads its items; the
    shared de-duplication key makes that one notice, whichever comes first.
    """
    return Notice(
        kind="new_items",
        text=f"{inspection_date} {inspection_type}下发整改事项 {count} 项，请按时限整改",
        link=link,
        school_id=school_id,
        dedupe_key=f"new:{inspection_id}",
    )


def school_reminders(
    items: list[dict],
    today: date,
    inspection_link: Callable[[str], str],
    item_link: Callable[[int], str],
) -> list[Notice]:
    """Notices a school should have on ``today``, computed at read time (no scheduler).

    One per inspection that opened items, and one per open item each time it enters a more
    urgent band; the deadline is part of the key, so an approved extension starts afresh.
    """
    notices = []
    by_inspection: dict[str, list[dict]] = {}
    for item in items:
        by_inspection.setdefault(item["inspection_id"], []).append(item)
    for inspection_id, group in by_inspection.items():
        first = group[0]
        notices.append(
            new_items(
                inspection_id,
                first["school_id"],
                first["inspection_date"],
                first["inspection_type"],
                len(group),
                inspection_link(inspection_id),
            )  # fmt: skip
        )
    for item in items:
        # An item a county unit fixes is the unit's to answer, and its deadline the unit's.
        if item["status"] not in ("pending", "returned") or item.get("unit_id"):
            continue
        due = rules.urgency(item["status"], item["deadline"], today)
        if due.band == "normal":
            continue
        notices.append(
            Notice(
                kind="deadline",
                text=f"整改事项{due.countdown}（时限 {item['deadline']}）：{_short(item['problem'])}",
                link=item_link(item["id"]),
                school_id=item["school_id"],
                dedupe_key=f"due:{item['id']}:{item['deadline']}:{due.band}",
            )
        )
    return notices


def to_answerers(item: dict, kind: str, link: str, unit_accounts: list[int]) -> list[Notice]:
    """The reviewer decided: tell the school, or every account of the item's unit."""
    if not item.get("unit_id"):
        return [to_school(item, kind, link)]
    text = f"{_SCHOOL_TEXT[kind]}：{item['school_name']} {_short(item['problem'])}"
    return [Notice(kind=kind, text=text, link=link, user_id=uid) for uid in unit_accounts]


def unit_reminders(
    items: list[dict], today: date, accounts: list[int], item_link: Callable[[int], str]
) -> list[Notice]:
    """A department account's read-time notices: each item its unit was given, and each time
    an open one enters a more urgent band (the unit's counterpart of :func:`school_reminders`)."""
    notices = []
    for item in items:
        for uid in accounts:
            notices.append(
                Notice(
                    kind="new_items",
                    text=f"{item['school_name']}的整改事项由本单位负责：{_short(item['problem'])}",
                    link=item_link(item["id"]),
                    user_id=uid,
                    dedupe_key=f"unit:{item['id']}:{item['unit_id']}:u{uid}",
                )
            )
        if item["status"] not in ("pending", "returned"):
            continue
        due = rules.urgency(item["status"], item["deadline"], today)
        if due.band == "normal":
            continue
        for uid in accounts:
            notices.append(
                Notice(
                    kind="deadline",
                    text=f"{item['school_name']}整改事项{due.countdown}（时限 {item['deadline']}）："
                    f"{_short(item['problem'])}",
                    link=item_link(item["id"]),
                    user_id=uid,
                    dedupe_key=f"due:{item['id']}:{item['deadline']}:{due.band}:u{uid}",
                )
            )
    return notices


def _escalation_fanout(
    item: dict,
    key: str,
    text: str,
    unit_accounts: Callable[[int], list[int]],
    item_link: Callable[[int], str],
    bureau_accounts: list[int],
    review_link: Callable[[int], str],
) -> list[Notice]:
    """One escalation's addressees: whoever must fix it (the unit's accounts, or the school)
    and every bureau account, each under its own de-duplication key derived from ``key``."""
    if item.get("unit_id"):
        notices = [
            Notice("escalated", text, item_link(item["id"]), user_id=uid, dedupe_key=f"{key}:u{uid}")
            for uid in unit_accounts(item["unit_id"])
        ]  # fmt: skip
    else:
        notices = [
            Notice("escalated", text, item_link(item["id"]), school_id=item["school_id"],
                   dedupe_key=f"{key}:s")
        ]  # fmt: skip
    return notices + [
        Notice("escalated", f"{item['school_name']}{text}", review_link(item["id"]),
               user_id=uid, dedupe_key=f"{key}:b{uid}")
        for uid in bureau_accounts
    ]  # fmt: skip


def escalations(
    items: list[dict],
    today: date,
    unit_accounts: Callable[[int], list[int]],
    item_link: Callable[[int], str],
    bureau_accounts: list[int],
    review_link: Callable[[int], str],
) -> list[Notice]:
    """Overdue escalation (逾期升级): each open item past its deadline is raised to the bureau
    once per deadline — a notice to whoever must fix it (the school's accounts, or the unit's)
    and to every bureau account. An approved extension moves the deadline and starts afresh."""
    notices = []
    for item in items:
        due = rules.urgency(item["status"], item["deadline"], today)
        if due.band != "overdue":
            continue
        key = f"esc:{item['id']}:{item['deadline']}"
        who = item.get("unit_name") or item["school_name"]
        text = f"整改事项{due.countdown}，已升级至县教育局督办（{who}）：{_short(item['problem'])}"
        notices += _escalation_fanout(
            item, key, text, unit_accounts, item_link, bureau_accounts, review_link
        )
    return notices


def repeat_escalations(
    items: list[dict],
    unit_accounts: Callable[[int], list[int]],
    item_link: Callable[[int], str],
    bureau_accounts: list[int],
    review_link: Callable[[int], str],
) -> list[Notice]:
    """An overdue item a later visit found again (屡查屡犯) is escalated at once, once per
    visit: the same addressees as :func:`escalations`, the text says it was found again."""
    notices = []
    for item in items:
        key = f"esc-{item['escalation_key']}:{item['id']}"
        who = item.get("unit_name") or item["school_name"]
        text = (
            f"整改事项逾期 {item['escalation_days']} 天后检查再次发现（屡查屡犯），"
            f"已升级至县教育局督办（{who}）：{_short(item['problem'])}"
        )
        notices += _escalation_fanout(
            item, key, text, unit_accounts, item_link, bureau_accounts, review_link
        )
    return notices


# Repeat escalations of the last days are considered by each run; de-duplication keys make
# each one notice.
REPEAT_LOOKBACK_DAYS = 7
ESCALATION_BATCH = 200


def run_escalations(db: Database, today: date) -> int:
    """Raise every overdue open item (``flask notify`` runs this daily): each is recorded
    once per deadline (with an entry on its timeline; the bulletin counts them) and notified,
    as is each overdue item a visit found again; returns notices sent."""
    return escalate_overdue(db, today)[0]


def escalate_overdue(db: Database, today: date, limit: int | None = None) -> tuple[int, bool]:
    """:func:`run_escalations` of at most ``limit`` items not yet escalated (the document
    worker's share between jobs); (notices sent, whether every overdue item is done)."""
    from datetime import timedelta

    from inspect_app.storage import rectifications, units, users
    from inspect_app.storage.db import write

    overdue = rectifications.overdue_open(db, today.isoformat())
    heads: dict[int, dict | None] = {}
    bureau = [u["id"] for u in users.list_all(db, "bureau") if u["active"]]

    def unit_accounts(unit_id: int) -> list[int]:
        return [a["id"] for a in units.accounts(db, unit_id)]

    def item_link(r: int) -> str:
        return f"/school/rectifications/{r}"

    def review_link(r: int) -> str:
        return f"/review/rectifications/{r}"

    # Only items not yet escalated for their deadline (a daily run finds most of them done;
    # an escalation's notices share its key, so the done ones were notified), a few hundred
    # per transaction and then their notices: a province's first run records many thousands,
    # and neither one transaction each nor one holding the write lock throughout would do.
    done = rectifications.escalated(db, "overdue")
    new = [i for i in overdue if (i["id"], f"overdue:{i['deadline']}") not in done]
    complete = limit is None or len(new) <= limit
    new = new if limit is None else new[:limit]
    sent = 0
    for start in range(0, len(new), ESCALATION_BATCH):
        batch = new[start : start + ESCALATION_BATCH]
        with write(db):
            for item in batch:
                late = -(rules.urgency(item["status"], item["deadline"], today).days_left or 0)
                who = item.get("unit_name") or "学校"
                rectifications.escalate(
                    db, item, key=f"overdue:{item['deadline']}", reason="overdue",
                    day=today.isoformat(), days_overdue=late,
                    text=f"超过整改时限 {item['deadline']} 仍未销号，已升级至县教育局督办（{who}）",
                )  # fmt: skip
                if item.get("unit_id"):
                    if item["unit_id"] not in heads:
                        heads[item["unit_id"]] = units.get(db, item["unit_id"])
                    to_unit_head(
                        db, heads[item["unit_id"]], item,
                        f"{item['school_name']}「{_short(item['problem'])}」由{who}负责整改，"
                        f"已超过整改时限 {item['deadline']}（逾期 {late} 天），已升级至县教育局督办，"
                        "请督促办理。",
                        f"head:esc:{item['id']}:{item['deadline']}",
                    )  # fmt: skip
        sent += send_new(
            db, escalations(batch, today, unit_accounts, item_link, bureau, review_link)
        )
    since = (today - timedelta(days=REPEAT_LOOKBACK_DAYS)).isoformat()
    repeats = rectifications.repeat_escalations_since(db, since)
    notices = repeat_escalations(repeats, unit_accounts, item_link, bureau, review_link)
    for item in repeats:
        if item.get("unit_id"):
            to_unit_head(
                db, units.get(db, item["unit_id"]), item,
                f"{item['school_name']}「{_short(item['problem'])}」由{item['unit_name']}负责整改，"
                f"逾期 {item['escalation_days']} 天后检查再次发现（屡查屡犯），已升级至县教育局督办。",
                f"head:esc-{item['escalation_key']}:{item['id']}",
            )  # fmt: skip
    return sent + send_new(db, notices), complete


def to_unit_head(db: Database, unit: dict | None, item: dict, text: str, key: str) -> int:
    """An escalation reaches the unit's head by e-mail and SMS / WeChat (the gateway), at the
    addresses the bureau keeps on the unit, once per ``key`` and channel; returns how many
    messages were logged (sent by ``delivery.deliver_due`` with retries)."""
    if unit is None:
        return 0
    logged = 0
    for channel, address in (
        ("email", unit.get("head_email")),
        ("webhook", unit.get("head_phone")),
    ):
        if address:
            logged += deliveries.queue_to_unit_head(
                db, unit_id=unit["id"], channel=channel, address=address, kind="escalated",
                text=text, link=f"/school/rectifications/{item['id']}",
                dedupe_key=f"{key}:{channel}",
            )  # fmt: skip
    return logged


def send_new(db: Database, notices: list[Notice]) -> int:
    """Send those of ``notices`` not sent before, with one look-up for all of them."""
    known = store.known_keys(db, [n.dedupe_key for n in notices if n.dedupe_key])
    fresh = [n for n in notices if n.dedupe_key not in known]
    # Lists show the newest first, so sending in reverse keeps the given order on screen.
    return sum(send(db, n) for n in reversed(fresh))


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
