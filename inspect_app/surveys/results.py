"""A school's survey results: responses per group, the satisfaction index, each question's
distribution — and nothing at all below the privacy threshold.

The satisfaction index is the survey's own definition (``satisfaction`` in its YAML,
checklists/README.md): over the rated questions, the share of answers that are one of the
``satisfied`` values, leaving out answers in ``excluded`` (不了解) and questions a respondent
was not shown. It is pooled over answers (not averaged over people), in percent to one
decimal, rounded half away from zero as every other figure.

Privacy: with fewer than ``min_responses`` answers in a group, the group shows its count and
nothing else, so no answer can be traced back to one of a handful of people. The same holds
for the whole school.
"""

from __future__ import annotations

from typing import Any

from inspect_app.checklist import Checklist, round_half_away, score
from inspect_app.common.vocabulary import RESPONDENT_GROUPS


def index(satisfied: int, counted: int) -> float | None:
    """Satisfied answers as a percentage of counted answers (one decimal); None when none."""
    if counted <= 0:
        return None
    return round_half_away(satisfied * 100 / counted, 1)


def shown_answers(survey: Checklist, school: dict, answers: dict) -> dict[str, Any]:
    """The answers of one response to the questions it was shown (the scoring core decides)."""
    result = score(survey, school, {"answers": answers})
    return {
        item_id: result["items"][item_id]["value"]
        for item_id in answers
        if item_id in result["items"]
        and result["items"][item_id]["outcome"] != "not_applicable"
        and result["items"][item_id]["value"] is not None
    }


def _summary(survey: Checklist, shown: list[dict[str, Any]], min_responses: int) -> dict:
    terms = survey.satisfaction or {"satisfied": [], "excluded": [], "rated": [], "label": ""}
    satisfied_values = set(terms["satisfied"])
    excluded_values = set(terms["excluded"])
    rated = set(terms["rated"])
    n = len(shown)
    out: dict[str, Any] = {
        "responses": n,
        "shown": n >= min_responses,
        "index": None,
        "satisfied": None,
        "counted": None,
        "questions": [],
    }
    if n < min_responses:
        return out
    satisfied = counted = 0
    for section in survey.sections:
        for item in section["items"]:
            if item["type"] == "note":
                continue
            values = [answers[item["id"]] for answers in shown if item["id"] in answers]
            question: dict[str, Any] = {
                "id": item["id"],
                "label": item["label"],
                "type": item["type"],
                "section": section["title"],
                "answered": len(values),
                "rated": item["id"] in rated,
                "choices": [],
                "texts": [],
                "index": None,
            }
            if item["type"] in ("choice", "multi"):
                for choice in item["choices"]:
                    k = sum(
                        1
                        for v in values
                        if v == choice["value"] or (type(v) is list and choice["value"] in v)
                    )
                    question["choices"].append(
                        {"value": choice["value"], "label": choice["label"], "count": k,
                         "share": index(k, len(values))}
                    )  # fmt: skip
            elif item["type"] == "yesno":
                for value, label in ((True, "是"), (False, "否")):
                    k = sum(1 for v in values if v is value)
                    question["choices"].append(
                        {"value": value, "label": label, "count": k,
                         "share": index(k, len(values))}
                    )  # fmt: skip
            elif item["type"] == "text":
                # sorted, not in the order they came in: the order could point at a person
                question["texts"] = sorted(v for v in values if isinstance(v, str))
            if question["rated"]:
                own_satisfied = sum(1 for v in values if v in satisfied_values)
                own_counted = sum(1 for v in values if v not in excluded_values)
                question["index"] = index(own_satisfied, own_counted)
                satisfied += own_satisfied
                counted += own_counted
            out["questions"].append(question)
    out["satisfied"] = satisfied
    out["counted"] = counted
    out["index"] = index(satisfied, counted)
    return out


def school_results(
    survey: Checklist, school: dict, responses: list[dict], min_responses: int
) -> dict:
    """Results of one school: per respondent group of the survey, and all groups together.

    ``responses`` are this school's stored responses, ``{"group": ..., "answers": {...}}``.
    """
    by_group: dict[str, list[dict[str, Any]]] = {g: [] for g in survey.respondents}
    for response in responses:
        shown = shown_answers(survey, school, response["answers"])
        by_group.setdefault(response["group"], []).append(shown)
    groups = [
        {"group": group, "name": RESPONDENT_GROUPS.get(group, group),
         **_summary(survey, answers, min_responses)}
        for group, answers in by_group.items()
    ]  # fmt: skip
    everyone = [a for answers in by_group.values() for a in answers]
    combined = _summary(survey, everyone, min_responses)
    short = [g["name"] for g in groups if 0 < g["responses"] < min_responses]
    if short and combined["shown"]:
        # The other groups are shown on their own, so all together less them is the short
        # group's answers: 5 parents at 100 % and all 6 at 83.3 % tell the one student's.
        combined = {
            **_summary(survey, [], min_responses),
            "responses": len(everyone),
            "reason": f"{'、'.join(short)}答卷不足 {min_responses} 份，合计不显示",
        }
    return {
        "label": (survey.satisfaction or {}).get("label") or "满意率",
        "min_responses": min_responses,
        "groups": groups,
        "all": combined,
    }
