"""What a respondent may send, and how they stay anonymous.

An answer is accepted only in the shape the survey defines: a known respondent group, known
questions, values of the right type, short free text, the required questions answered. What
identifies a device or an address is kept only as a keyed hash: the device token (random, made
by the browser) hashed, the address hashed with a key that changes every day, so a stored hash
cannot be followed from one day to the next.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from inspect_app.checklist import Checklist, score
from inspect_app.common.vocabulary import RESPONDENT_GROUPS

# A survey page posts well under 2 KB; 16 KB leaves room for long comments in every text box.
MAX_BODY_BYTES = 16 * 1024
# Free text is a comment, not a letter: long text is also more likely to identify its writer.
MAX_TEXT_CHARS = 300
DEVICE_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
RESPONSE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class SubmissionError(ValueError):
    """An answer that cannot be stored; ``message`` is Chinese, for the respondent."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def device_key(token: str, round_id: int) -> str:
    """The stored form of a browser's device token (one response per device per round).

    Keyed by the round too: the browser keeps one token for every survey, and the same hash
    in two rounds would link one person's answers across them.
    """
    return hashlib.sha256(f"survey-device:{round_id}:{token}".encode("ascii")).hexdigest()


def address_key(secret: str, address: str, day: str) -> str:
    """A keyed hash of a client address for the per-address limit; the key includes the day."""
    key = hashlib.sha256(f"survey-address:{secret}:{day}".encode()).digest()
    return hmac.new(key, address.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]


def _value(item: dict, raw: Any) -> Any:
    kind = item["type"]
    values = [c["value"] for c in item.get("choices") or []]
    if kind == "choice":
        if type(raw) is not str or raw not in values:
            raise SubmissionError(f"“{item['label']}”的选项无效，请重新选择", item["id"])
        return raw
    if kind == "multi":
        if type(raw) is not list or not all(type(v) is str and v in values for v in raw):
            raise SubmissionError(f"“{item['label']}”的选项无效，请重新选择", item["id"])
        return [v for v in values if v in raw]
    if kind == "yesno":
        if type(raw) is not bool:
            raise SubmissionError(f"“{item['label']}”请选择是或否", item["id"])
        return raw
    if kind == "text":
        if type(raw) is not str:
            raise SubmissionError(f"“{item['label']}”应为文字", item["id"])
        text = raw.strip()
        if len(text) > MAX_TEXT_CHARS:
            raise SubmissionError(
                f"“{item['label']}”最多填写 {MAX_TEXT_CHARS} 个字（现在 {len(text)} 个字）",
                item["id"],
            )
        return text or None
    raise SubmissionError("问卷中没有这道题", item["id"])


def clean(survey: Checklist, school: dict, body: Any) -> tuple[str, dict]:
    """(respondent group, answers) to store, or SubmissionError.

    Answers to questions the respondent's other answers hide (``relevant``) or that do not
    apply to the school (``applies_if``) are dropped, as the page drops them: the same scoring
    core decides which questions were shown.
    """
    if not isinstance(body, dict):
        raise SubmissionError("提交的内容格式不正确，请刷新页面后重试")
    group = body.get("group")
    if group is None and len(survey.respondents) == 1:
        group = survey.respondents[0]
    if group not in survey.respondents:
        names = "、".join(RESPONDENT_GROUPS[g] for g in survey.respondents)
        raise SubmissionError(f"请选择您的身份（{names}）", "group")
    raw = body.get("answers")
    if not isinstance(raw, dict):
        raise SubmissionError("提交的内容格式不正确，请刷新页面后重试")
    answers: dict[str, Any] = {}
    for item_id, value in raw.items():
        item = survey.items.get(item_id) if isinstance(item_id, str) else None
        if item is None or item["type"] == "note":
            raise SubmissionError("问卷已更新，请刷新页面后重新填写")
        if value is None:
            continue
        cleaned = _value(item, value)
        if cleaned is not None and cleaned != []:
            answers[item_id] = cleaned
    result = score(survey, school, {"answers": answers})
    shown = {
        item_id: value
        for item_id, value in answers.items()
        if result["items"][item_id]["outcome"] != "not_applicable"
    }
    missing = [m for m in result["missing"] if m.get("reason") == "未填写"]
    if missing:
        first = survey.items[missing[0]["item"]]
        raise SubmissionError(f"请回答“{first['label']}”", first["id"])
    if not shown:
        raise SubmissionError("您还没有回答任何问题")
    return group, shown
