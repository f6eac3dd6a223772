"""Data-generating helpers: complete inspection payloads, photos and signatures."""

from __future__ import annotations

import base64
import hashlib
import io
import math
import uuid

from PIL import Image, ImageDraw


def jpeg_bytes(seed: int = 0, size=(1200, 900)) -> bytes:
    image = Image.new("RGB", size, (40 + seed * 7 % 200, 120, 160))
    ImageDraw.Draw(image).text((20, 20), f"photo {seed}", fill="white")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def signature_uri(ink: bool = True) -> str:
    image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    if ink:
        ImageDraw.Draw(image).line(
            [(40, 150), (200, 40), (360, 160), (560, 60)], fill=(0, 0, 0, 255), width=5
        )
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def answer_for(item: dict, passing: bool = True):
    kind = item["type"]
    if kind == "yesno":
        return passing
    if kind == "choice":
        choices = item["choices"]
        return (choices[0] if passing else choices[-1])["value"]
    if kind == "multi":
        return [c["value"] for c in item["choices"]] if passing else []
    if kind in ("integer", "decimal"):
        low = item.get("min") or 0
        high = item.get("max")
        value = 40 if high is None else min(40, high)
        floor = _passing_floor(item) if passing else None
        if floor is not None:  # e.g. 两免一补 ≥ 1250 元: 40 would fail a passing payload
            value = floor if high is None else min(floor, high)
        return int(max(low, value))
    if kind == "sample":
        # 抽样: a list of 20 学籍号, every file marked (合格 when passing), whichever are drawn
        ids = [f"2015{k:04d}" for k in range(20)]
        return {"population": ids, "seed": 7, "marks": dict.fromkeys(ids, passing)}
    if kind == "date":
        return "2026-09-01"
    if kind == "text":
        return "情况良好"
    return None


def _passing_floor(item: dict) -> int | None:
    """The least whole answer that passes `value >= <constant>` when that is the rule above 40."""
    target, rule = item.get("target"), item.get("pass_if")
    if not (isinstance(target, dict) and target.get("k") == "num" and isinstance(rule, dict)):
        return None
    if (
        rule.get("op") != ">="
        or rule.get("l") != {"k": "value"}
        or rule.get("r") != {"k": "target"}
    ):
        return None
    return int(math.ceil(target["v"])) if target["v"] > 40 else None


def payload(
    school_id: int, checklist: dict, *, passing: bool = True, photos: list[str] = (), **overrides
) -> dict:
    """A complete, signed inspection of ``school_id`` with every answerable item answered."""
    answers = {}
    first_item = None
    for section in checklist["sections"]:
        for item in section["items"]:
            value = answer_for(item, passing)
            if value is not None:
                answers[item["id"]] = value
                first_item = first_item or item["id"]
    body = {
        "id": str(uuid.uuid4()),
        "school_id": school_id,
        "checklist_hash": checklist["hash"],
        "type": "综合督导",
        "date": "2026-11-20",
        "location": {
            "latitude": 26.58,
            "longitude": 107.51,
            "accuracy": 15.0,
            "captured_at": "2026-11-20T02:00:00Z",
        },
        "location_note": "",
        "responses": {"answers": answers, "na": [], "photos": {}},
        "notes": {first_item: "<script>alert(1)</script> 台账齐全"},
        "photos": [
            {"sha256": h, "item": first_item, "caption": f"现场照片 {n + 1}"}
            for n, h in enumerate(photos)
        ],
        "prefilled": [],
        "rectifications": [],
        "signatures": {
            "inspector": {
                "name": "李志明",
                "title": "督学",
                "signed_at": "2026-11-20T03:00:00Z",
                "png": signature_uri(),
            },
            "school": {
                "name": "王建国",
                "title": "校长",
                "signed_at": "2026-11-20T03:01:00Z",
                "png": signature_uri(),
            },
        },
        "client_result": None,
        "started_at": "2026-11-20T01:00:00Z",
        "phone_time": "2026-11-20T03:02:00Z",
    }
    body.update(overrides)
    return body


def new_id() -> str:
    return str(uuid.uuid4())
