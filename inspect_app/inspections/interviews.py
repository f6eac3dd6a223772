"""Interview records (座谈了解, the supervision plan's section 五) carried by an inspection.

On the phone an inspector records each 座谈: who took part (a group and how many), the topics,
and the key statements heard. A statement the inspector marks as a finding becomes a
rectification item like a failed checklist item, with its own measure, owner and deadline.
Interviews travel in the inspection's payload (``"interviews": [...]``, docs/sync-api.md) and
print in the report. Pure rules: no Flask, no database.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

# Who an inspector sits down with (the plan names teachers, students, parents; village cadres
# matter for 控辍保学 and 建档立卡 families).
INTERVIEW_GROUPS = ("教师", "学生", "家长", "村干部", "学校领导", "其他")
MAX_INTERVIEWS = 20
MAX_STATEMENTS = 30
MAX_PARTICIPANTS = 1000
TOPICS_CHARS = 300
STATEMENT_CHARS = 500
ACTION_CHARS = 300
OWNER_CHARS = 50
MAX_DAYS = 365
# The rectification item a statement becomes is filed under this pseudo item and section.
ITEM_ID = "interview"
SECTION_ID = "interviews"


def _text(value: Any, limit: int) -> str | None:
    """Stripped text within ``limit`` characters; None when not text or empty; False-y when too long."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if text and len(text) <= limit else None


def clean(raw: Any) -> tuple[list[dict], dict[str, str]]:
    """The interviews of a payload, checked: (interviews as stored, problems by field).

    Field names follow the payload (``interviews.0.statements.2.text``) so the phone can show
    each message next to its field. A payload without interviews has none (older phones).
    """
    if raw is None:
        return [], {}
    if not isinstance(raw, list):
        return [], {"interviews": "座谈记录格式无效"}
    if len(raw) > MAX_INTERVIEWS:
        return [], {"interviews": f"一次检查最多记录 {MAX_INTERVIEWS} 场座谈"}
    problems: dict[str, str] = {}
    out: list[dict] = []
    for n, entry in enumerate(raw):
        at = f"interviews.{n}"
        label = f"第 {n + 1} 场座谈"
        if not isinstance(entry, dict):
            problems[at] = f"{label}格式无效"
            continue
        group = entry.get("group")
        if group not in INTERVIEW_GROUPS:
            problems[f"{at}.group"] = f"{label}：请选择座谈对象（{'、'.join(INTERVIEW_GROUPS)}）"
        participants = entry.get("participants")
        if type(participants) is not int or not 1 <= participants <= MAX_PARTICIPANTS:
            problems[f"{at}.participants"] = f"{label}：参加人数应为 1 至 {MAX_PARTICIPANTS} 的整数"
        topics = _text(entry.get("topics"), TOPICS_CHARS)
        if topics is None:
            problems[f"{at}.topics"] = f"{label}：请填写座谈主题（不超过 {TOPICS_CHARS} 字）"
        statements_raw = entry.get("statements")
        if not isinstance(statements_raw, list) or not statements_raw:
            problems[f"{at}.statements"] = f"{label}：请至少记录一条主要反映"
            statements_raw = []
        elif len(statements_raw) > MAX_STATEMENTS:
            problems[f"{at}.statements"] = f"{label}：最多记录 {MAX_STATEMENTS} 条主要反映"
            statements_raw = []
        statements = []
        for k, s in enumerate(statements_raw):
            sat = f"{at}.statements.{k}"
            slabel = f"{label}第 {k + 1} 条反映"
            if not isinstance(s, dict):
                problems[sat] = f"{slabel}格式无效"
                continue
            text = _text(s.get("text"), STATEMENT_CHARS)
            if text is None:
                problems[f"{sat}.text"] = f"{slabel}：请填写内容（不超过 {STATEMENT_CHARS} 字）"
            finding = s.get("finding") is True
            statement: dict[str, Any] = {"text": text, "finding": finding}
            if finding:
                action = _text(s.get("action"), ACTION_CHARS)
                owner = _text(s.get("owner"), OWNER_CHARS)
                days = s.get("days")
                if action is None:
                    problems[f"{sat}.action"] = f"{slabel}：列为问题时须填写整改措施"
                if owner is None:
                    problems[f"{sat}.owner"] = f"{slabel}：列为问题时须填写责任人"
                if type(days) is not int or not 1 <= days <= MAX_DAYS:
                    problems[f"{sat}.days"] = f"{slabel}：整改期限应为 1 至 {MAX_DAYS} 天"
                statement.update(action=action, owner=owner, days=days)
            statements.append(statement)
        out.append(
            {"group": group, "participants": participants, "topics": topics,
             "statements": statements}
        )  # fmt: skip
    return (out, {}) if not problems else ([], problems)


def basis(interview: dict) -> str:
    return f"座谈了解：{interview['group']}座谈（{interview['participants']} 人）"


def findings(interviews: list[dict]) -> list[dict]:
    """The statements marked as findings, in order, with the interview they came from."""
    return [
        {**statement, "group": interview["group"], "basis": basis(interview)}
        for interview in interviews
        for statement in interview["statements"]
        if statement["finding"]
    ]


def rectification_rows(interviews: list[dict], inspection_date: str, first_seq: int) -> list[dict]:
    """Rectification items for the statements marked as findings, numbered after ``first_seq``.

    Shaped as ``rectification.rules.items_from_result`` shapes a checklist item's; the school
    answers it the same way (with evidence), and it is the school's own.
    """
    start = date.fromisoformat(inspection_date)
    return [
        {
            "item_id": ITEM_ID,
            "section_id": SECTION_ID,
            "seq": first_seq + n,
            "problem": f"座谈中{f['group']}反映：{f['text']}",
            "basis": f["basis"],
            "action": f["action"],
            "owner": f["owner"],
            "deadline": (start + timedelta(days=f["days"])).isoformat(),
            "unit": None,
            "unit_kind": None,
            "evidence_required": 1,
        }
        for n, f in enumerate(findings(interviews))
    ]
