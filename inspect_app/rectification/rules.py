"""Rectification items (整改事项): how an inspection's findings become items to fix.

Also the state machine every change goes through (pending 待整改 → submitted 已提交整改 →
closed 已销号, or submitted → returned 退回 → submitted …; extension requests on the side),
the urgency bands derived from the deadline, and the summary line. Pure: no Flask, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# How a fix template names the school itself as the responsible unit (no unit on the item).
SCHOOL_UNIT_NAMES = frozenset({"", "学校", "本校", "校方", "受检学校"})
_TOWNSHIP_ENDINGS = ("乡政府", "镇政府", "乡人民政府", "镇人民政府", "街道办事处", "乡镇政府")


# A fix template cannot know which township a school is in: 「乡镇政府」 means the school's own.
_ANY_TOWNSHIP = "乡镇政府"


def responsible_unit(name: object, township: str | None = None) -> str | None:
    """The county unit a fix template names (「县财政局」), or None when it is the school's.

    「乡镇政府」 becomes the government of the school's ``township`` (「东镇人民政府」).
    """
    text = name.strip()[:50] if isinstance(name, str) else ""
    if text == _ANY_TOWNSHIP and township:
        return f"{township}人民政府"
    return None if text in SCHOOL_UNIT_NAMES else text


def unit_kind(name: str) -> str:
    """``township`` for a township government, otherwise ``department`` (a county department)."""
    return "township" if name.endswith(_TOWNSHIP_ENDINGS) else "department"


def evidence_required(fix: dict | None) -> int:
    """Whether answering the item needs an evidence file (照片或 PDF): yes, unless the checklist's
    fix template says ``evidence: false`` (a measure with nothing to photograph, e.g. a
    training plan still to be held)."""
    return 0 if isinstance(fix, dict) and fix.get("evidence") is False else 1


def fix_templates(compiled: dict) -> dict[str, dict]:
    """Each item's fix template in a compiled checklist, by item id (items without one left out)."""
    return {
        item["id"]: item["fix"]
        for section in compiled.get("sections") or []
        for item in section.get("items") or []
        if isinstance(item.get("fix"), dict)
    }


def items_from_result(
    result: dict,
    edits: list[dict] | None,
    inspection_date: str,
    fixes: dict[str, dict] | None = None,
    township: str | None = None,
) -> list[dict]:
    """One item per drafted rectification of a scoring result, with the inspector's edits applied.

    ``edits`` come from the phone's review screen: ``{"item", "action", "owner", "deadline"}``;
    an edit may change the action, owner and deadline of a draft, never add or drop one.
    ``fixes`` are the checklist's fix templates (:func:`fix_templates`): the responsible unit
    comes from the draft when the scoring engine carries it, else from the template;
    ``township`` is the school's (for a unit named 「乡镇政府」).
    """
    by_item = {e.get("item"): e for e in edits or [] if isinstance(e, dict)}
    fixes = fixes or {}
    start = date.fromisoformat(inspection_date)
    items = []
    for seq, draft in enumerate(result["rectifications"], start=1):
        edit = by_item.get(draft["item"], {})
        unit = responsible_unit(
            draft.get("unit") or fixes.get(draft["item"], {}).get("unit"), township
        )
        deadline = (start + timedelta(days=int(draft["days"]))).isoformat()
        edited_deadline = edit.get("deadline")
        if (
            isinstance(edited_deadline, str)
            and _is_date(edited_deadline)
            and edited_deadline >= inspection_date
        ):
            deadline = edited_deadline
        items.append(
            {
                "item_id": draft["item"],
                "section_id": draft["section"],
                "seq": seq,
                "problem": draft["problem"],
                "basis": draft.get("basis") or "",
                "action": _text(edit.get("action")) or draft["action"],
                "owner": _text(edit.get("owner")) or draft["owner"],
                "deadline": deadline,
                "unit": unit,
                "unit_kind": unit_kind(unit) if unit else None,
                "evidence_required": evidence_required(fixes.get(draft["item"])),
            }
        )
    return items


def _text(value, limit: int = 500) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


# --- The state machine: what may happen to an item, and what it becomes. ---------------------

# Event kinds as stored in rectification_events.kind, with the words the timeline shows.
EVENT_NAMES = {
    "created": "下发整改",
    "respond": "提交整改",
    "request_extension": "申请延期",
    "accept": "复查通过，销号",
    "return": "退回重新整改",
    "approve_extension": "同意延期",
    "refuse_extension": "不同意延期",
    "reinspect": "现场复查",
    "assign_unit": "调整责任单位",
    "repeat": "再次发现（屡查屡犯）",
    "escalate": "逾期升级督办",
    "followup": "回头看核实",
}

# Which side of the loop may take each action: the school answers, the reviewer decides.
SCHOOL_ACTIONS = ("respond", "request_extension")
REVIEWER_ACTIONS = ("accept", "return", "approve_extension", "refuse_extension", "reinspect")


class IllegalMove(ValueError):
    """An action the item's state (or the actor's side) does not allow; ``str()`` says why, in Chinese."""


@dataclass(frozen=True)
class Move:
    """The outcome of a legal action: fields to change on the item and the event to append."""

    changes: dict
    kind: str
    text: str
    data: dict


def extension_date_problem(deadline: str, until: str | None, today: date) -> str | None:
    """Why ``until`` cannot be a requested new deadline (None when it can)."""
    if not until or not _is_date(until):
        return "请填写申请延期至的日期（YYYY-MM-DD）"
    # Whichever bound is later is the one to name: an overdue item granted a date already past
    # would still be overdue, and be escalated again under its new deadline.
    if until <= deadline and deadline >= today.isoformat():
        return f"申请的日期须晚于当前整改时限 {deadline}"
    if until < today.isoformat():
        return "申请延期至的日期不能早于今天"
    if date.fromisoformat(until) > today + timedelta(days=366):
        return "延期不能超过一年"
    return None


def done_date_problem(done_on: str | None, today: date) -> str | None:
    """Why ``done_on`` cannot be the date a fix was completed (None when it can)."""
    if not done_on or not _is_date(done_on):
        return "请填写整改完成日期（YYYY-MM-DD）"
    if date.fromisoformat(done_on) > today:
        return "整改完成日期不能晚于今天"
    return None


def decide(item: dict, action: str, side: str, today: date, **form) -> Move:
    """Check ``action`` against ``item``'s current state and return the move it makes.

    ``side`` is ``"school"`` or ``"reviewer"``; ``form`` carries the action's text fields
    (``measures``, ``result``, ``done_on``, ``reason``, ``until``, ``comment``, ``note``).
    Raises :class:`IllegalMove` with a message the user can act on.
    """
    allowed = SCHOOL_ACTIONS if side == "school" else REVIEWER_ACTIONS
    if action not in allowed:
        who = "学校" if side == "school" else "复查人"
        raise IllegalMove(f"{who}不能进行「{EVENT_NAMES.get(action, action)}」操作。")
    status = item["status"]
    pending_extension = item.get("extension_until")
    if status == "closed" and action != "reinspect":
        raise IllegalMove("该事项已销号，不能再变更。")

    if action == "respond":
        if status == "submitted":
            raise IllegalMove("整改情况已提交，正在等待复查，不能重复提交。")
        measures, result = (
            _required(form, "measures", "整改措施"),
            _required(form, "result", "整改结果"),
        )
        if problem := done_date_problem(form.get("done_on"), today):
            raise IllegalMove(problem)
        return Move(
            {"status": "submitted"},
            "respond",
            measures,
            {"measures": measures, "result": result, "done_on": form["done_on"]},
        )
    if action == "request_extension":
        if status == "submitted":
            raise IllegalMove("整改情况已提交，正在等待复查，无需申请延期。")
        if pending_extension:
            raise IllegalMove(f"已申请延期至 {pending_extension}，正在等待审核，不能重复申请。")
        reason = _required(form, "reason", "延期理由")
        until = form.get("until")
        if problem := extension_date_problem(item["deadline"], until, today):
            raise IllegalMove(problem)
        return Move({"extension_until": until}, "request_extension", reason, {"until": until})
    if action in ("accept", "return"):
        if status != "submitted":
            raise IllegalMove("学校尚未提交整改情况，不能复查。")
        if action == "accept":
            # A pending extension request becomes moot once the item is closed.
            return Move(
                {"status": "closed", "extension_until": None},
                "accept",
                _text(form.get("comment"), 2000),
                {"dropped_extension": pending_extension} if pending_extension else {},
            )
        comment = _required(form, "comment", "退回意见")
        return Move({"status": "returned"}, "return", comment, {})
    if action in ("approve_extension", "refuse_extension"):
        if not pending_extension:
            raise IllegalMove("该事项没有待审核的延期申请。")
        comment = _text(form.get("comment"), 2000)
        if action == "approve_extension":
            # Asked for in time, the date may have passed while the request waited.
            if pending_extension < today.isoformat():
                raise IllegalMove(
                    f"申请延期至的日期 {pending_extension} 已早于今天，不能同意；"
                    "请选择「不同意」，由学校按新的日期重新申请。"
                )
            return Move(
                {"deadline": pending_extension, "extension_until": None},
                "approve_extension",
                comment,
                {"from": item["deadline"], "to": pending_extension},
            )
        return Move(
            {"extension_until": None}, "refuse_extension", comment, {"until": pending_extension}
        )
    # reinspect: a note from the site, allowed in every state (also after closing, as a check).
    return Move({}, "reinspect", _required(form, "note", "复查情况"), {})


def assign_unit(item: dict, unit: dict | None) -> Move:
    """The bureau names who fixes an item: a county unit, or (``unit`` None) the school itself."""
    if item["status"] == "closed":
        raise IllegalMove("该事项已销号，不能再变更。")
    new_id = unit["id"] if unit else None
    if new_id == item.get("unit_id"):
        raise IllegalMove("责任单位没有变化。")
    before = item.get("unit_name") or "学校"
    after = unit["name"] if unit else "学校"
    return Move(
        {"unit_id": new_id},
        "assign_unit",
        f"责任单位由「{before}」调整为「{after}」",
        {"from": item.get("unit_id"), "to": new_id, "from_name": before, "to_name": after},
    )


def unit_label(item: dict) -> str | None:
    """「由县财政局负责」 for an item a county unit fixes; None for the school's own items."""
    return f"由{item['unit_name']}负责" if item.get("unit_id") and item.get("unit_name") else None


def _required(form: dict, key: str, label: str) -> str:
    text = _text(form.get(key), 2000)
    if not text:
        raise IllegalMove(f"请填写{label}。")
    return text


# --- Urgency: derived from the deadline at read time, never stored. -------------------------

BANDS = {
    "overdue": "逾期",
    "due10": "剩余 ≤ 10 天",
    "due20": "剩余 ≤ 20 天",
    "normal": "正常",
    "closed": "已销号",
}


@dataclass(frozen=True)
class Urgency:
    band: str  # a key of BANDS
    days_left: int | None  # negative when overdue; None when closed

    @property
    def label(self) -> str:
        return BANDS[self.band]

    @property
    def countdown(self) -> str:
        """What a school reads next to the item: how long is left, or how late it is."""
        if self.days_left is None:
            return "已销号"
        if self.days_left < 0:
            return f"已逾期 {-self.days_left} 天"
        if self.days_left == 0:
            return "今天到期"
        return f"剩余 {self.days_left} 天"


def urgency(status: str, deadline: str, today: date) -> Urgency:
    """The item's band on ``today``: every open item counts against its deadline."""
    if status == "closed":
        return Urgency("closed", None)
    days_left = (date.fromisoformat(deadline) - today).days
    if days_left < 0:
        band = "overdue"
    elif days_left <= 10:
        band = "due10"
    elif days_left <= 20:
        band = "due20"
    else:
        band = "normal"
    return Urgency(band, days_left)


def by_urgency(items: list[dict], today: date) -> list[dict]:
    """Open items first, most urgent (earliest deadline) first; closed items after, newest first."""
    open_items = [i for i in items if i["status"] != "closed"]
    closed = [i for i in items if i["status"] == "closed"]
    open_items.sort(
        key=lambda i: (i["deadline"], i.get("number") or "", i["inspection_id"], i["seq"])
    )
    closed.sort(key=lambda i: i.get("closed_at") or "", reverse=True)
    return open_items + closed


# --- The summary line used in practice. ------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    findings: int
    items: int
    closed: int
    open: int
    overdue: int
    by_units: int = 0  # open items a county unit fixes (a school's summary only)

    @property
    def line(self) -> str:
        return (
            f"发现问题 {self.findings} 个，整改 {self.items} 个，其中整改完成 {self.closed} 个，"
            f"正在整改 {self.open} 个，逾期 {self.overdue} 个"
        )

    @property
    def units_note(self) -> str:
        """Beside a school's summary line: the open items that are a county unit's to fix."""
        if not self.by_units:
            return ""
        return f"其中 {self.by_units} 个由县直部门或乡镇负责整改，不计入本校逾期。"


def summarize(findings: int, items: list[dict], today: date, *, school: bool = False) -> Summary:
    """「发现问题 N 个，整改 N 个，其中整改完成 N 个，正在整改 N 个，逾期 N 个」 for a set of items.

    ``findings`` is the number of problems the inspections found (a finding without a fix
    template has no item, so it may exceed the item count). ``school``: the summary a school
    reads of its own list, where an item a county unit fixes is not the school's delay.
    """
    closed = sum(1 for i in items if i["status"] == "closed")
    counted = [i for i in items if not (school and i.get("unit_id"))]
    overdue = sum(
        1 for i in counted if urgency(i["status"], i["deadline"], today).band == "overdue"
    )
    by_units = (
        sum(1 for i in items if i.get("unit_id") and i["status"] != "closed") if school else 0
    )
    return Summary(findings, len(items), closed, len(items) - closed, overdue, by_units)


def overdue_by_owner(items: list[dict]) -> list[dict]:
    """Overdue items grouped by whoever must fix them: the schools' own items in one row
    (``unit_id`` None, ``name`` 「学校自身」), then each county department or township, most
    items first (``count``, ``schools``: how many schools, ``oldest``: earliest deadline)."""
    groups: dict[int | None, dict] = {}
    for item in items:
        unit = item.get("unit_id") or None
        entry = groups.setdefault(
            unit,
            {"unit_id": unit, "name": item.get("unit_name") if unit else "学校自身",
             "count": 0, "schools": set(), "oldest": item["deadline"]},
        )  # fmt: skip
        entry["count"] += 1
        entry["schools"].add(item["school_id"])
        entry["oldest"] = min(entry["oldest"], item["deadline"])
    rows = [{**g, "schools": len(g["schools"])} for g in groups.values()]
    rows.sort(key=lambda g: (g["unit_id"] is not None, -g["count"], g["oldest"], g["name"] or ""))
    return rows


# --- The clocks the rules set: 整改报告 within 30 days, 复查 request within 15 (configurable). --


@dataclass(frozen=True)
class Clock:
    due: date
    state: str  # done 按时 | late_done 逾期报送 | open 未到期 | late 已逾期
    days: int  # days left (open), days late (late, late_done), 0 when done on time

    @property
    def label(self) -> str:
        if self.state == "done":
            return "已按时报送"
        if self.state == "late_done":
            return f"逾期 {self.days} 天后报送"
        if self.state == "late":
            return f"已逾期 {self.days} 天"
        return "今天到期" if self.days == 0 else f"剩余 {self.days} 天"

    @property
    def late(self) -> bool:
        return self.state in ("late", "late_done")


def clock(start: date, days: int, done_on: date | None, today: date) -> Clock:
    """A rule's clock started on ``start`` with ``days`` to act, done on ``done_on`` (or not)."""
    due = start + timedelta(days=days)
    if done_on is not None:
        late = (done_on - due).days
        return Clock(due, "late_done", late) if late > 0 else Clock(due, "done", 0)
    left = (due - today).days
    return Clock(due, "late", -left) if left < 0 else Clock(due, "open", left)
