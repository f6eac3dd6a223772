"""A realistic report context: a shipped checklist answered for a real-looking school, scored by
the real engine.

Used by the document tests and bench/bench_reports.py. The Result is whatever
``inspect_app.checklist.score`` says of the answers, so a change to scoring, to the Result's
shape or to a shipped checklist reaches the rendered report here exactly as it would in
production; the rest of the context has the shape ``documents.issuing`` gives it.
"""

from __future__ import annotations

import functools
import hashlib
import io
import random
from pathlib import Path

from PIL import Image, ImageDraw

from inspect_app.checklist import Checklist, load_checklist, score
from inspect_app.rectification.rules import items_from_result

from . import factories

CHECKLISTS = Path(__file__).resolve().parents[1] / "checklists"

# A boarding 完全中学 (junior and senior high) in a poverty village: the school that most
# sections of the shipped checklists apply to, so its report is the longest one.
SCHOOL = {
    "name": "青川县乔庄镇中学",
    "code": "5108220001",
    "stage": "完全中学",
    "address": "青川县乔庄镇建设路18号",
    "principal": "赵明",
    "enrolment": 1286,
    "boarding": True,
    "township_central": True,
    "poverty_village": True,
}
INSPECTION_DATE = "2026-03-18"
VERIFY_URL = "https://jyj.qingchuan.example.gov.cn/verify/6f1c2a9e-3b7d-4c55-9e21-0d8f4b7a1c30"

CHECKLIST_ID = "fupin_comprehensive"

# The figures an inspector would enter for SCHOOL (the checklist computes rates from them);
# every other item is answered by factories.answer_for. FAILING holds what is entered
# instead when that figure is one of the report's findings.
FIGURES = {
    "poor_students_total": 86,
    "poor_students_aided": 86,
    "aid_deadline": "2026-03-15",
    "aid_paid_date": "2026-03-12",
    "suspected_count": 2,
    "junior_cohort_base": 212,
    "junior_cohort_now": 208,
    "boarders": 640,
    "dorm_area": 2240.0,
    "dorm_beds": 652,
    "hs_poor_total": 24,
    "hs_poor_aided": 24,
    "disabled_total": 6,
    "disabled_enrolled": 6,
    "broadband_mbps": 100.0,
    "class_count": 26,
    "bbt_classrooms": 26,
    "teacher_computers": 98,
    "fulltime_teachers": 98,
    "qualified_teachers": 96,
    "backbone_teachers": 22,
    "students_total": 1286,
    "staff_total": 108,
    "upper_part_students": 520,
    "pairing_effect": "结对帮扶教师每月家访一次，学生学习习惯明显改善。",
}
FAILING = {
    "aid_paid_date": "2026-03-28",
    "junior_cohort_now": 196,
    "dorm_beds": 610,
    "hs_poor_aided": 20,
    "broadband_mbps": 10.0,
    "bbt_classrooms": 21,
    "backbone_teachers": 15,
    "staff_total": 90,
}
# Every FAIL_EVERY-th item that can fail does, on top of one veto and one local-standard item.
FAIL_EVERY = 4
CAPTIONS = [
    "二楼东侧宿舍床位",
    "食堂陪餐记录本（空白）",
    "资助公示栏",
    "宿舍烟感报警器",
    "运动场地",
    "留样柜",
]
NOTES = [
    "查阅台账及现场核实。",
    "分管副校长称已列入本学期整改计划，尚未落实。",
    "现场查看并拍照，与学校提供的材料不一致。",
    "与资助专干、班主任座谈核实。",
]


def checklist() -> Checklist:
    return _shipped(CHECKLIST_ID)


@functools.cache
def _shipped(checklist_id: str) -> Checklist:
    return load_checklist(CHECKLISTS / f"{checklist_id}.yaml")


def scoring_school() -> dict:
    return {k: SCHOOL[k] for k in ("code", "name", "stage", "boarding", "township_central",
                                   "poverty_village", "enrolment")}  # fmt: skip


def _responses(answers: dict, photographed) -> dict:
    return {"answers": answers, "na": [], "photos": dict.fromkeys(photographed, 1)}


def _answer(item: dict, passing: bool):
    if item["id"] in FIGURES:
        return FIGURES[item["id"]] if passing else FAILING.get(item["id"])
    return factories.answer_for(item, passing)


@functools.cache
def _can_fail() -> tuple[tuple[str, ...], dict, dict]:
    """The items whose failing answer alone makes findings and leaves the inspection complete
    (in checklist order), the all-passing answers, and each such item's failing answer."""
    items = [i for s in checklist().compiled["sections"] for i in s["items"]]
    passing = {i["id"]: _answer(i, True) for i in items if _answer(i, True) is not None}
    baseline = score(checklist(), scoring_school(), _responses(passing, ()))
    assert not baseline["findings"] and baseline["complete"], (
        "the passing answers must pass; has the shipped checklist changed?",
        baseline["findings"],
        baseline["missing"],
    )
    ids, failing = [], {}
    for item in items:
        value = _answer(item, False)
        if value is None or value == passing.get(item["id"]):
            continue
        answers = {**passing, item["id"]: value}
        trial = score(checklist(), scoring_school(), _responses(answers, [item["id"]]))
        if trial["findings"] and trial["complete"]:
            ids.append(item["id"])
            failing[item["id"]] = value
    return tuple(ids), passing, failing


def sample_answers(n_photos: int, veto: bool) -> tuple[dict, dict[str, int]]:
    """Answers with a realistic share of failures, and the photos per item they come with.

    An item whose failure needs a photo (``evidence: on_fail``) fails only while the
    ``n_photos`` budget lasts, so the inspection is complete, as a submitted one is.
    """
    items = checklist().items
    ids, passing, failing = _can_fail()
    vetoes = [i for i in ids if items[i].get("veto")][:1] if veto else []
    local = [i for i in ids if items[i].get("local")][:1]
    chosen = dict.fromkeys(vetoes + local + [i for n, i in enumerate(ids) if n % FAIL_EVERY == 1])
    answers = dict(passing)
    photographed: list[str] = []
    for item_id in chosen:
        if items[item_id].get("evidence"):
            if len(photographed) == n_photos:
                assert item_id not in vetoes, "the failing veto item needs a photo: n_photos >= 1"
                continue
            photographed.append(item_id)
        answers[item_id] = failing[item_id]
    # photos left over go to the other findings, as an inspector documents what is wrong
    for item_id in chosen:
        failed = answers[item_id] == failing[item_id]
        if len(photographed) < n_photos and failed and item_id not in photographed:
            photographed.append(item_id)
    return answers, dict.fromkeys(photographed, 1)


def png_signature_demo(name: str, seed: int) -> bytes:
    """A transparent PNG with pen strokes, like the phone's signature pad produces."""
    rnd = random.Random(seed)
    image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    x = 40
    for _ in range(max(2, len(name)) * 3):
        points = [(x, 100 + rnd.randint(-40, 40))]
        for _ in range(6):
            x += rnd.randint(6, 22)
            points.append((x, 100 + rnd.randint(-60, 60)))
        draw.line(points, fill=(10, 20, 80, 255), width=5, joint="curve")
        x += rnd.randint(-20, 10)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@functools.cache
def make_photo(seed: int, size=(1600, 1200)) -> bytes:
    """A phone-like JPEG: gradients and shapes, so it compresses like a real photo."""
    rnd = random.Random(seed)
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    base = [rnd.randint(60, 200) for _ in range(3)]
    for y in range(0, size[1], 4):
        shade = tuple(min(255, c + (y * 60) // size[1]) for c in base)
        draw.rectangle([0, y, size[0], y + 4], fill=shade)
    for _ in range(40):
        x, y = rnd.randint(0, size[0]), rnd.randint(0, size[1])
        w, h = rnd.randint(40, 400), rnd.randint(40, 300)
        colour = tuple(rnd.randint(0, 255) for _ in range(3))
        draw.rectangle([x, y, x + w, y + h], fill=colour, outline=(20, 20, 20), width=3)
    # sensor noise: makes JPEG sizes realistic
    noise = Image.effect_noise(size, 24).convert("RGB")
    image = Image.blend(image, noise, 0.12)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82)
    return out.getvalue()


def sample_context(
    n_photos: int = 4,
    *,
    veto: bool = True,
    verify_url: str = VERIFY_URL,
) -> tuple[dict, dict[str, bytes]]:
    """Return ``(context, photos)`` where ``photos`` maps sha256 → JPEG bytes.

    The report of SCHOOL inspected with the shipped 扶贫综合督导 checklist (every applicable
    item answered, some failing; with ``veto`` one of them a veto) and ``n_photos`` photos of
    its findings.
    """
    answers, photo_counts = sample_answers(n_photos, veto)
    responses = {"answers": answers, "na": [], "photos": photo_counts}
    result = score(checklist(), scoring_school(), responses)
    assert result["complete"], result["missing"]

    photos: dict[str, bytes] = {}
    photo_refs: dict[str, list[dict]] = {}
    for k, item_id in enumerate(photo_counts):
        data = make_photo(k)
        sha = hashlib.sha256(data).hexdigest()
        photos[sha] = data
        photo_refs.setdefault(item_id, []).append(
            {"sha256": sha, "caption": f"现场照片{k + 1}：{result['items'][item_id]['label'][:16]}"}
        )
    notes = {f["item"]: NOTES[n % len(NOTES)] for n, f in enumerate(result["findings"])}
    rectifications = [
        {"item": r["item_id"], "problem": r["problem"], "basis": r["basis"],
         "action": r["action"], "unit": r["unit"] or "学校", "owner": r["owner"],
         "deadline": r["deadline"]}
        for r in items_from_result(result, None, INSPECTION_DATE)
    ]  # fmt: skip
    shipped = checklist()
    summary = {"title": shipped.title, "version": shipped.version, "hash": shipped.hash}
    context = {
        "bureau": {"name": "青川县教育局", "office": "青川县人民政府教育督导室"},
        "report_no": "青教督〔2026〕17号",
        "report_version": 1,
        "supersedes": None,
        "issued_at": "2026-03-18 16:20",
        "inspection": {
            "id": "6f1c2a9e-3b7d-4c55-9e21-0d8f4b7a1c30",
            "date": INSPECTION_DATE,
            "type": "综合督导",
            "inspectors": [
                {"name": "王建国", "title": "责任督学"},
                {"name": "李芳", "title": "兼职督学"},
            ],
            "location": SCHOOL["address"],
        },
        "school": dict(SCHOOL),
        "checklist": summary,
        "result": result,
        "notes": notes,
        "photos": photo_refs,
        "rectifications": rectifications,
        "signatures": [
            {
                "role": "inspector",
                "name": "王建国",
                "title": "责任督学",
                "signed_at": "2026-03-18 16:05",
                "png": png_signature_demo("王建国", 1),
            },
            {
                "role": "school",
                "name": "赵明",
                "title": "校长",
                "signed_at": "2026-03-18 16:08",
                "png": png_signature_demo("赵明", 2),
            },
        ],
        "verify_url": verify_url,
    }
    return context, photos


def sample_notice_context() -> dict:
    """The rectification notice matching :func:`sample_context`."""
    context, _ = sample_context(1)
    return {
        "bureau": context["bureau"],
        "notice_no": "青教督改〔2026〕17号",
        "issued_on": "2026-03-20",
        "reply_days": 5,
        "contact": {"name": "陈静", "phone": "0839-7202345"},
        "school": context["school"],
        "inspection": context["inspection"],
        "result": context["result"],
        "rectifications": context["rectifications"],
        "rectification_url": "https://jyj.qingchuan.example.gov.cn/school/rectifications/"
        "6f1c2a9e-3b7d-4c55-9e21-0d8f4b7a1c30",
    }
