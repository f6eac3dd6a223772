"""The stamp burnt into a photo on the phone, checked when the inspection arrives.

The phone (static/js/inspector/form.js ``addPhoto``) burns the school, the Beijing time, the
GPS position with its accuracy and the inspector's name into each photo, and sends the same
facts as data beside it (payload ``photos[].stamp``) with the camera original's hash. Here:

- stamp data that is not well formed (a time that is not a time, coordinates off the globe,
  a hash that is not one, a name of a thousand characters) is refused with the reason: no
  phone of ours sends it, and it could not be printed as evidence;
- facts that are well formed but implausible — taken hours before the inspection started or
  after it was submitted, far from where it started, by someone other than the uploader, at
  another school — are kept with a warning, shown beside the photo on the inspection page and
  printed in the report's caption.

Why a warning and not a refusal: the stamp is burnt into the picture and the inspection is
signed by both sides. Refusing would strand a signed inspection on the phone with nothing the
inspector could correct (a phone clock a day off, a photo of the notice board taken at the
gate before 开始检查, a colleague's phone lent for one picture), and lose the evidence. Kept
with the doubt in plain view, the reader of the report judges it, as with any timestamp
camera whose time a reviewer checks against the visit.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta

from inspect_app.common.clock import CHINA, local_time

_SHA256 = re.compile(r"^[0-9a-f]{64}$")

# How far a photo's time may lie outside the inspection before it is worth a warning: arriving
# and photographing the gate or a notice before 开始检查 is normal, hours before is not; the
# phone stamps its clock at submit, after which the form is locked.
BEFORE_START = timedelta(hours=2)
AFTER_SUBMIT = timedelta(minutes=10)
# Beyond this (plus both fixes' accuracy) the photo was not taken where the inspection began;
# a school's grounds and a 教学点's village fit well inside it.
FAR_METRES = 2000


class StampRejected(ValueError):
    """Stamp data that is not well formed; the message says what, in Chinese."""


def _text(stamp: dict, key: str, limit: int, label: str) -> str:
    value = stamp.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > limit:
        raise StampRejected(f"{label}应为不超过 {limit} 字的文字")
    return value.strip()


def _number(stamp: dict, key: str) -> float | None:
    value = stamp.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StampRejected(f"{_NUMBER_LABELS[key]}应为数字")
    return float(value)


_NUMBER_LABELS = {"latitude": "纬度", "longitude": "经度", "accuracy": "定位精度"}


def _moment(value) -> datetime | None:
    """An ISO time with its zone (the phone sends UTC with Z); None when not one."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def clean(stamp) -> dict:
    """The stamp's data, well formed, as it is stored; raises StampRejected."""
    if not isinstance(stamp, dict):
        raise StampRejected("水印数据格式无效")
    taken = _moment(stamp.get("taken_at"))
    if taken is None:
        raise StampRejected("拍摄时间无效")
    latitude, longitude = _number(stamp, "latitude"), _number(stamp, "longitude")
    accuracy = _number(stamp, "accuracy")
    if (latitude is None) != (longitude is None):
        raise StampRejected("经纬度应同时提供")
    if latitude is not None and not -90 <= latitude <= 90:
        raise StampRejected("纬度应在 -90 到 90 之间")
    if longitude is not None and not -180 <= longitude <= 180:
        raise StampRejected("经度应在 -180 到 180 之间")
    if accuracy is not None and not 0 <= accuracy <= 100_000:
        raise StampRejected("定位精度应在 0 到 100000 米之间")
    original = stamp.get("original_sha256")
    if not isinstance(original, str) or not _SHA256.match(original):
        raise StampRejected("原图校验值无效")
    size = stamp.get("original_size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise StampRejected("原图大小无效")
    located = latitude is not None
    return {
        "school": _text(stamp, "school", 100, "学校名称"),
        "taken_at": taken.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "latitude": latitude,
        "longitude": longitude,
        "accuracy": accuracy if located else None,
        "location_from_start": bool(stamp.get("location_from_start")) and located,
        "location_note": _text(stamp, "location_note", 200, "未定位原因"),
        "inspector": _text(stamp, "inspector", 50, "督学姓名"),
        "original_sha256": original,
        "original_size": size,
    }


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine) on a 6371 km sphere: ample for kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def doubts(
    stamp: dict,
    *,
    school: str,
    inspector: str,
    inspection_date: date | None,
    started_at: str | None,
    submitted_at: str | None,
    received_at: datetime,
    start_location: dict | None,
) -> list[str]:
    """What is doubtful about a clean stamp, each a sentence for the photo's caption."""
    found: list[str] = []
    taken = _moment(stamp["taken_at"])
    assert taken is not None  # clean() checked it
    started = _moment(started_at)
    submitted = _moment(submitted_at)
    when = local_time(stamp["taken_at"])
    if started is not None and taken < started - BEFORE_START:
        found.append(f"拍摄时间（{when}）比开始检查（{local_time(started_at)}）早两小时以上")
    elif started is None and inspection_date and taken.astimezone(CHINA).date() < inspection_date:
        found.append(f"拍摄时间（{when}）早于检查日期")
    if submitted is not None and taken > submitted + AFTER_SUBMIT:
        found.append(f"拍摄时间（{when}）晚于提交检查的时间（{local_time(submitted_at)}）")
    elif taken > received_at + AFTER_SUBMIT:
        found.append(f"拍摄时间（{when}）晚于服务器收到检查的时间")
    if stamp["school"] != school:
        found.append(f"水印上的学校「{stamp['school'] or '（空）'}」不是受检学校")
    if stamp["inspector"] != inspector:
        found.append(
            f"水印上的督学「{stamp['inspector'] or '（空）'}」不是上传检查的督学「{inspector}」"
        )
    if (
        stamp["latitude"] is not None
        and isinstance(start_location, dict)
        and isinstance(start_location.get("latitude"), int | float)
        and isinstance(start_location.get("longitude"), int | float)
        and not stamp["location_from_start"]
    ):
        distance = _metres(
            (stamp["latitude"], stamp["longitude"]),
            (float(start_location["latitude"]), float(start_location["longitude"])),
        )
        slack = (stamp["accuracy"] or 0) + float(start_location.get("accuracy") or 0)
        if distance > FAR_METRES + slack:
            found.append(f"拍摄地点距开始检查的位置约 {distance / 1000:.1f} 公里")
    return found


def caption(stamp: dict | None) -> str:
    """The stamp as one line of a caption: Beijing time, then GPS ± accuracy."""
    if not stamp:
        return "无拍摄信息（未带水印数据）"
    when = f"{local_time(stamp['taken_at'])}（北京时间）"
    if stamp.get("latitude") is None:
        note = stamp.get("location_note")
        where = f"未能定位{f'（{note}）' if note else ''}"
    else:
        where = f"{stamp['latitude']:.5f}, {stamp['longitude']:.5f}"
        if stamp.get("accuracy") is not None:
            where += f" ±{round(stamp['accuracy'])} 米"
        if stamp.get("location_from_start"):
            where += "（开始检查时的位置）"
    return f"{when} · {where}"
