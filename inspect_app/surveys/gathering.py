"""Survey results as the bureau reads them: a round's schools with their counts and indices,
and a school's rounds. Reads storage, computes with surveys/results.py (pure)."""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlite_utils import Database

from inspect_app.checklist import Checklist
from inspect_app.common import periods
from inspect_app.common.clock import local_time
from inspect_app.inspections import catalog
from inspect_app.storage import surveys as stored
from inspect_app.storage.schools import as_scoring_school
from inspect_app.surveys.results import school_results


def scoring_school(row: dict) -> dict:
    """A round school row (storage.surveys.round_schools / link) as the scoring core reads it."""
    return as_scoring_school(
        {**row, "code": row.get("school_code", row.get("code")),
         "name": row.get("name", row.get("school_name"))}
    )  # fmt: skip


def survey_of(db: Database, round_row: dict) -> Checklist:
    survey = catalog.survey_by_hash(db, round_row["survey_hash"])
    if survey is None:  # a round is only ever opened with a stored version
        raise LookupError(f"survey version {round_row['survey_hash']} is not stored")
    return survey


# Results per school of a round, kept while that school's responses stay the same: the
# ranking, the school pages and exports read every round of a period, scoring one response
# costs ~80 µs, and while a round is open each new answer changes one school only (its
# results are then worked out again, the other schools' are reused).
_cache: OrderedDict[tuple, dict] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 4096


def round_results(db: Database, round_row: dict, min_responses: int) -> list[dict]:
    """Every school of a round with its results (counts always; figures from N responses)."""
    survey = survey_of(db, round_row)
    database, versions = stored.school_versions(db, round_row["id"])
    out = []
    for row in stored.round_schools(db, round_row["id"]):
        school_id = row["school_id"]
        key = (database, round_row["id"], school_id, versions.get(school_id), survey.hash,
               min_responses)  # fmt: skip
        with _cache_lock:
            results = _cache.get(key)
            if results is not None:
                _cache.move_to_end(key)
        if results is None:
            responses = stored.responses(db, round_row["id"], school_id) if key[3] else []
            results = school_results(survey, scoring_school(row), responses, min_responses)
            with _cache_lock:
                _cache[key] = results
                while len(_cache) > CACHE_SIZE:
                    _cache.popitem(last=False)
        out.append({**row, "results": results})
    return out


def school_result(db: Database, round_row: dict, school_id: int, min_responses: int) -> dict | None:
    """One school's results in a round, or None when the school was not asked in it."""
    return next(
        (r for r in round_results(db, round_row, min_responses) if r["school_id"] == school_id),
        None,
    )


def school_summary(db: Database, school_id: int, min_responses: int) -> list[dict]:
    """社会认可度 of one school: each round it was asked in, newest first, with its results."""
    out = []
    for round_row in stored.school_rounds(db, school_id):
        result = school_result(db, round_row, school_id, min_responses)
        if result is not None:
            out.append({"round": round_row, **result})
    return out


def rounds_in(db: Database, start: str, end: str) -> list[dict]:
    """Rounds of a reporting period: one opened for a period belongs to every reporting period
    that period overlaps, whenever it was opened (a round for November opened on 2 December is
    November's, in the 月点评 the bureau issues in December); one opened for no period, to
    the period of the day it was opened (Beijing)."""
    return [r for r in stored.rounds(db) if _overlaps(_round_span(r), start, end)]


def _overlaps(span: tuple[str, str], start: str, end: str) -> bool:
    return span[0] <= end and span[1] >= start


def _round_span(round_row: dict) -> tuple[str, str]:
    """The days a round reports on: its period's, or the day it was opened."""
    if round_row["period_key"]:
        try:
            period = periods.from_key(round_row["period_key"])
            return period.start.isoformat(), period.end.isoformat()
        except periods.PeriodError:
            pass  # a key this release does not read: the day it was opened, as before
    day = local_day(round_row["created_at"])
    return day, day


def local_day(moment: str) -> str:
    return local_time(moment)[:10]


def export_rows(
    db: Database, start: str, end: str, school_ids: set[int], min_responses: int
) -> list[list]:
    """The XLSX export's 满意度测评 sheet: one row per round, school and respondent group.

    The index is a share (0–1) or None below the privacy threshold, with the reason in the
    last column; the counts are always there.
    """
    rows: list[list] = []
    for round_row in reversed(rounds_in(db, start, end)):
        for school in round_results(db, round_row, min_responses):
            if school["school_id"] not in school_ids:
                continue
            for group in school["results"]["groups"]:
                shown = group["shown"] and group["index"] is not None
                rows.append(
                    [round_row["title"], round_row["period_label"] or local_day(round_row["created_at"]),
                     school["school_code"], school["name"], school["township"], group["name"],
                     group["responses"], group["index"] / 100 if shown else None,
                     "" if group["shown"] else f"不足 {min_responses} 份，不显示"]
                )  # fmt: skip
    return rows


def satisfaction_by_school(
    db: Database, start: str, end: str, min_responses: int
) -> dict[int, dict]:
    """社会认可度 for the ranking: each school's newest round of the period, all its respondent
    groups together (``results.all``: responses always, index only from N responses)."""
    out: dict[int, dict] = {}
    for round_row in rounds_in(db, start, end):  # newest first
        for school in round_results(db, round_row, min_responses):
            if school["school_id"] not in out:
                out[school["school_id"]] = {"round": round_row["title"], **school["results"]["all"]}
    return out
