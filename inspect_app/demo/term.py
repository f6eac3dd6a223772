"""A realistic term of inspections for the demo county, made through the real paths.

Answers are drawn per school from a "quality" so that scores spread over every grade; they
are then submitted exactly as a phone would (photos uploaded, payload received, scored by the
engine, documents issued by the same code). Nothing is written into result tables by hand.
"""

from __future__ import annotations

import base64
import hashlib
import io
import random
import uuid
from datetime import date, timedelta

from PIL import Image, ImageDraw
from sqlite_utils import Database

from inspect_app.checklist import Checklist, score
from inspect_app.inspections import receiving
from inspect_app.inspections.images import clean_photo
from inspect_app.rectification.rules import decide
from inspect_app.storage import assignments, inspections, media, rectifications, schools, users

TERM_START, TERM_END = date(2026, 9, 1), date(2027, 1, 31)
ROUNDS = (date(2026, 9, 8), date(2026, 10, 26))  # first visits start here; second round later


def _counts(school: dict, rng: random.Random, good) -> dict:
    """Plausible counts for a school; ``good(p)`` is True when this indicator should pass."""
    pupils = max(school["enrolment"], 15)
    teachers = max(2, round(pupils / rng.uniform(13, 18)))
    boarders = round(pupils * rng.uniform(0.35, 0.7)) if school["boarding"] else 0
    classes = max(1, round(pupils / rng.uniform(30, 45)))
    poor = max(1, round(pupils * rng.uniform(0.06, 0.18)))
    cohort = max(5, round(pupils / 6))
    backbone_share = (
        (0.24 if school["township_central"] else 0.13) if good() else rng.uniform(0.03, 0.08)
    )
    return {
        "poor_students_total": poor,
        "poor_students_aided": poor if good() else poor - rng.randint(1, max(1, poor // 5)),
        "suspected_count": rng.randint(0, 3),
        "primary_cohort_base": cohort,
        "primary_cohort_now": cohort if good() else round(cohort * rng.uniform(0.85, 0.94)),
        "junior_cohort_base": cohort,
        "junior_cohort_now": cohort if good() else round(cohort * rng.uniform(0.85, 0.94)),
        # 两免一补 per student per year: a school applies the 2024 rates to every kind of
        # student, or is still paying the old ones to all of them (one decision, not four)
        **dict(
            zip(
                (
                    "living_subsidy_primary_boarder",
                    "living_subsidy_junior_boarder",
                    "living_subsidy_primary_day",
                    "living_subsidy_junior_day",
                ),
                (1250, 1500, 625, 750) if good() else (1000, 1250, 500, 625),
                strict=True,
            )
        ),
        "boarders": max(1, boarders),
        "dorm_area": round(
            max(1, boarders) * (rng.uniform(3.1, 4.2) if good() else rng.uniform(2.0, 2.8)), 1
        ),
        "dorm_beds": max(1, boarders) + (rng.randint(0, 20) if good() else -rng.randint(3, 15)),
        "hs_poor_total": poor,
        "hs_poor_aided": poor if good() else poor - 1,
        "disabled_total": rng.randint(2, 8),
        "disabled_enrolled": None,  # filled below from disabled_total
        "broadband_mbps": rng.choice([100, 200, 300]) if good() else rng.choice([10, 20, 50]),
        "class_count": classes,
        "bbt_classrooms": classes if good() else max(0, classes - rng.randint(1, 3)),
        "teacher_computers": teachers if good() else round(teachers * rng.uniform(0.5, 0.8)),
        "fulltime_teachers": teachers,
        "qualified_teachers": teachers if good() else round(teachers * rng.uniform(0.55, 0.72)),
        "hs_teachers": teachers,
        "hs_bachelor_teachers": teachers if good() else round(teachers * rng.uniform(0.8, 0.95)),
        "backbone_teachers": round(teachers * backbone_share),
        "students_total": pupils,
        "staff_total": max(
            2, round(pupils / (rng.uniform(10, 12) if good() else rng.uniform(22, 26)))
        ),
        "upper_part_students": max(1, round(pupils * 0.4)),
        "diners": pupils,
        "canteen_staff": max(
            1, round(pupils / (rng.uniform(60, 90) if good() else rng.uniform(130, 160)))
        ),
    }


def _answer(item: dict, counts: dict, rng: random.Random, good) -> object:
    kind = item["type"]
    if item.get("veto") or item.get("critical"):
        # serious failings (vetoes, critical items) are rarer than ordinary shortcomings:
        # without this nearly every middling school is capped and 良好 hardly appears
        weak = good

        def good() -> bool:
            return weak() or rng.random() < 0.6

    if item["id"] in counts and kind in ("integer", "decimal"):
        value = counts[item["id"]]
        if item["id"] == "disabled_enrolled":
            return None
        low = item.get("min")
        high = item.get("max")
        if low is not None:
            value = max(value, low)
        if high is not None:
            value = min(value, high)
        return value
    if kind == "yesno":
        return good()
    if kind == "sample":
        # 抽样 from the school's list of 学籍号: every drawn file checked, a few 不合格 at weak schools
        ids = [f"G2015{k:04d}" for k in range(max(1, counts["poor_students_total"]))]
        flawed = not good()  # a school keeps its files well, or a share of them is incomplete
        return {
            "population": ids,
            "seed": rng.randrange(2**32),
            "marks": {x: not flawed or rng.random() < 0.7 for x in ids},
        }
    if kind == "choice":
        choices = item["choices"]
        ranked = sorted(choices, key=lambda c: (c.get("fail", False), -(c.get("score") or 0)))
        return ranked[0]["value"] if good() else rng.choice(ranked[1:] or ranked)["value"]
    if kind == "multi":
        return [c["value"] for c in item["choices"] if not c.get("fail") and good()]
    if kind == "integer":
        return item.get("min") or 0 if good() else rng.randint(item.get("min") or 0, 5)
    if kind == "decimal":
        return float(item.get("min") or 0)
    if kind == "date":
        return None
    if kind == "text":
        return "现场查看，情况与台账一致。" if good() else "部分资料缺失，已当场指出。"
    return None


def _signature_png(name: str, rng: random.Random) -> str:
    image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    x, y = 40, 120
    for _ in range(12 + len(name) * 3):
        nx, ny = x + rng.randint(15, 45), rng.randint(40, 170)
        draw.line([(x, y), (nx, ny)], fill=(20, 20, 60, 255), width=4)
        x, y = min(nx, 560), ny
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _photo(text: str, rng: random.Random) -> bytes:
    image = Image.new(
        "RGB", (1200, 900), (rng.randint(90, 160), rng.randint(90, 150), rng.randint(80, 140))
    )
    draw = ImageDraw.Draw(image)
    draw.rectangle((80, 500, 1120, 860), fill=(200, 190, 170))
    draw.text((100, 100), text, fill="white")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def inspection_payload(
    checklist: Checklist,
    school: dict,
    quality: float,
    day: date,
    inspector: dict,
    rng: random.Random,
):
    """A complete, signed payload for ``school`` plus the photos it references (sha → bytes).

    ``checklist`` is the loaded one, not its compiled dict: scoring a dict builds the checklist
    and its scoring program again, a sixth of the time seeding the demo term took."""
    compiled = checklist.compiled

    def good() -> bool:
        return rng.random() < quality

    counts = _counts(school, rng, good)
    answers: dict = {}
    for section in compiled["sections"]:
        for item in section["items"]:
            value = _answer(item, counts, rng, good)
            if value is not None:
                answers[item["id"]] = value
    if "disabled_total" in answers:
        total = answers["disabled_total"]
        answers["disabled_enrolled"] = total if good() else max(0, total - rng.randint(1, 2))
    if any(i["id"] == "aid_deadline" for s in compiled["sections"] for i in s["items"]):
        answers["aid_deadline"] = "2026-09-25"
        answers["aid_paid_date"] = "2026-09-20" if good() else "2026-10-08"
    scoring_school = schools.as_scoring_school(school)
    result = score(checklist, scoring_school, {"answers": answers, "na": [], "photos": {}})
    # Evidence photos for the failures the checklist wants proven, as an inspector would take.
    photos: dict[str, bytes] = {}
    photo_refs = []
    for finding in result["findings"][:4]:
        data = _photo(f"{school['name']} {finding['label'][:12]}", rng)
        sha = hashlib.sha256(data).hexdigest()
        photos[sha] = data
        photo_refs.append(
            {"sha256": sha, "item": finding["item"], "caption": f"{finding['label'][:20]}（现场）"}
        )
    counts_by_item: dict[str, int] = {}
    for ref in photo_refs:
        counts_by_item[ref["item"]] = counts_by_item.get(ref["item"], 0) + 1
    responses = {"answers": answers, "na": [], "photos": counts_by_item}
    stamp = f"{day.isoformat()}T03:30:00Z"
    payload = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "school_id": school["id"],
        "checklist_hash": compiled["hash"],
        "type": rng.choice(["综合督导", "综合督导", "专项督查", "随机走访"]),
        "date": day.isoformat(),
        "location": {"latitude": 26.5 + rng.random() / 5, "longitude": 107.4 + rng.random() / 5,
                     "accuracy": round(rng.uniform(5, 40), 1), "captured_at": stamp},
        "location_note": "",
        "responses": responses,
        "notes": {},
        "photos": photo_refs,
        "prefilled": [],
        "rectifications": [],
        "signatures": {
            "inspector": {"name": inspector["display_name"], "title": "责任督学", "signed_at": stamp,
                          "png": _signature_png(inspector["display_name"], rng)},
            "school": {"name": school["principal"] or "校长", "title": "校长", "signed_at": stamp,
                       "png": _signature_png(school["principal"] or "校长", rng)},
        },
        "client_result": score(checklist, scoring_school, responses),
        "started_at": f"{day.isoformat()}T01:00:00Z",
        "phone_time": stamp,
    }  # fmt: skip
    return payload, photos


# What schools and reviewers have done with first-round items by now: (share, actions).
_PROGRESS: tuple[tuple[float, tuple[str, ...]], ...] = (
    (0.40, ("respond", "accept")),
    (0.15, ("respond",)),
    (0.10, ("respond", "return")),
    (0.10, ("request_extension",)),
    (0.05, ("request_extension", "approve_extension")),
)
_RESPONSES = {
    "measures": "已召开专题会议研究整改，明确责任人，按要求完成整改并建立长效机制。",
    "result": "问题已整改到位，相关台账和照片已归档备查。",
    "reason": "涉及设备采购，需等待县级统一招标，申请延期。",
    "comment": "整改材料不完整，请补充现场照片和台账复印件后重新提交。",
}


def progress_rectifications(
    db: Database, rng: random.Random, today: date, before: str
) -> dict[str, int]:
    """Move items of inspections before ``before`` through the real state machine.

    Every state appears: closed, submitted, returned, pending with an extension request,
    extended, and untouched items — past their deadline ones among them.
    """
    done: dict[str, int] = {}
    rows = rectifications.of_inspections_before(db, before)
    for row in rows:
        pick = rng.random()
        actions: tuple[str, ...] = ()
        for share, steps in _PROGRESS:
            if pick < share:
                actions = steps
                break
            pick -= share
        for action in actions:
            item = rectifications.get(db, row["id"])
            assert item is not None  # read from the table just above
            side = "school" if action in ("respond", "request_extension") else "reviewer"
            done_on = min(
                today,
                date.fromisoformat(row["inspection_date"]) + timedelta(days=rng.randint(7, 40)),
            )
            # a month past the deadline, or past today for an item already overdue: an
            # extension to a day already past is refused (rectification/rules.py)
            until = max(date.fromisoformat(item["deadline"]), today) + timedelta(days=30)
            form = dict(_RESPONSES, done_on=done_on.isoformat(), until=until.isoformat())
            move = decide(item, action, side, today, **form)
            user_id = None if side == "school" else row["inspector_id"]
            rectifications.apply(db, item, move, version=item["version"], user_id=user_id,
                                 actor="学校" if side == "school" else "督学")  # fmt: skip
        done[actions[-1] if actions else "pending"] = (
            done.get(actions[-1] if actions else "pending", 0) + 1
        )
    return done


# The demo's 督导组 (two inspectors per township): the supervision plan gives each township's
# schools to its team for the term, one visit each. An inspector inspects the schools the plan
# gives them (inspections/plan.py), so the demo county needs a plan before anyone can start.
TEAMS = {
    "城关镇": ("duxue2", "duxue3"),
    "河口乡": ("duxue1", "duxue2"),
    "石门镇": ("duxue3", "duxue1"),
    "白云乡": ("duxue1", "duxue3"),
}


def plan_term(db: Database) -> dict[int, list[dict]]:
    """The demo's supervision plan for the term (idempotent). Returns each school's team."""
    inspectors = users.list_all(db, role="inspector")
    by_name = {u["username"]: u for u in inspectors}
    teams: dict[int, list[dict]] = {}
    for n, school in enumerate(schools.search(db)):
        names = TEAMS.get(school["township"] or "", ())
        team = [by_name[x] for x in names if x in by_name] or [inspectors[n % len(inspectors)]]
        for inspector in team:
            assignments.assign(
                db, inspector["id"], school["id"], TERM_START.isoformat(), TERM_END.isoformat(), 1
            )
        teams[school["id"]] = team
    return teams


def seed_term(db: Database, checklist: Checklist, media_dir: str, *, seed: int = 2026) -> list[str]:
    """Plan the term (:func:`plan_term`) and receive about two inspections per school, one by
    each member of its team.

    Idempotent: returns [] when the term already has inspections.
    """
    if inspections.count(db):
        return []
    rng = random.Random(seed)
    teams = plan_term(db)
    all_schools = schools.search(db)
    received = []
    for n, school in enumerate(all_schools):
        team = teams[school["id"]]
        # Spread quality so that every grade band appears; a few schools improve, a few slip.
        base = [0.98, 0.93, 0.86, 0.78, 0.62, 0.45][n % 6]
        visits = 1 if n % 7 == 3 else 2  # some schools are behind plan
        for visit in range(visits):
            inspector = team[visit % len(team)]
            quality = min(1.0, max(0.2, base + rng.uniform(-0.06, 0.08) + (0.05 if visit else 0)))
            day = ROUNDS[visit] + timedelta(days=rng.randint(0, 24))
            payload, photos = inspection_payload(checklist, school, quality, day, inspector, rng)
            for sha, data in photos.items():
                media.store(db, media_dir, sha, clean_photo(data), inspector["id"])
            receiving.receive(db, payload, payload["id"], inspector)
            received.append(payload["id"])
    progress_rectifications(db, rng, date.today(), ROUNDS[1].isoformat())
    return received


# 挂牌督导 this term: how many routine visits each school has had so far, in turn — a few
# schools below the two a term that 教育督导条例 第十四条 asks, so the plan page has some to show.
ROUTINE_PATTERN = (2, 3, 2, 1, 2, 0, 2, 2, 1)
ROUTINE_DAYS = (date(2026, 9, 16), date(2026, 10, 14), date(2026, 11, 11))


def seed_routine_visits(
    db: Database, checklist: Checklist, media_dir: str, *, seed: int = 2027
) -> list[str]:
    """Routine visits (the 挂牌督导 checklist) by each school's planned inspector, received
    through the real path. Run after :func:`seed_term` (it uses the term's assignments)."""
    rng = random.Random(seed)
    inspectors = {u["id"]: u for u in users.list_all(db, role="inspector")}
    received = []
    for n, school in enumerate(schools.search(db)):
        planned = [
            a["inspector_id"]
            for a in assignments.progress(db, TERM_START.isoformat(), TERM_END.isoformat())
            if a["school_id"] == school["id"]
        ]
        if not planned:
            continue
        inspector = inspectors[planned[0]]
        for visit in range(ROUTINE_PATTERN[n % len(ROUTINE_PATTERN)]):
            day = ROUTINE_DAYS[visit] + timedelta(days=rng.randint(0, 9))
            quality = rng.uniform(0.75, 1.0)
            payload, photos = inspection_payload(checklist, school, quality, day, inspector, rng)
            payload["type"] = "随机走访"
            for sha, data in photos.items():
                media.store(db, media_dir, sha, clean_photo(data), inspector["id"])
            receiving.receive(db, payload, payload["id"], inspector)
            received.append(payload["id"])
    return received
