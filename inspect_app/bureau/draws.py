"""双随机 draws: a share of the schools drawn at random, and inspectors drawn at random for each,
never one who must avoid the school (回避); reproducible by anyone from the published seed.

The randomness is SHA-256 of the seed, so the draw can be recomputed without this software:

1. The n-th random number is the first 8 bytes, big-endian, of SHA-256(「<seed>:<n>」 in UTF-8),
   n = 0, 1, 2, …; a number below k is drawn by taking the next random number x, skipping it
   while x ≥ ⌊2⁶⁴ / k⌋ · k, and using x mod k.
2. The schools in the pool, ordered by their id, are shuffled (Fisher–Yates: for i from the
   last position down to 1, swap position i with a position drawn below i + 1); the first
   ⌈pool × share / 100⌉ are drawn.
3. For each drawn school in that order, the inspectors who need not avoid it (ordered by id)
   are shuffled the same way, then ordered by how many schools they already have (a stable
   sort, so the shuffle breaks ties); the first ``per_school`` are assigned.

:func:`draw` is pure; :func:`perform` records a draw, plans its visits and issues the signed
record (documents, 文号, QR to /verify); :func:`recheck` computes a recorded draw again.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from sqlite_utils import Database

from inspect_app.common import periods
from inspect_app.common.clock import local_time
from inspect_app.documents import issuing, numbering
from inspect_app.documents.qr import qr_data_uri
from inspect_app.documents.render import html_to_pdf, render_html
from inspect_app.documents.signing import sign_pdf
from inspect_app.storage import assignments, reports, schools
from inspect_app.storage import draws as storage
from inspect_app.storage.db import write

KIND = "draw"
ALGORITHM = "sha256-fisher-yates-v1"


class DrawError(ValueError):
    """A draw that cannot be made as asked; the message is Chinese, for the page."""


def _numbers(seed: str) -> Iterator[int]:
    n = 0
    while True:
        yield int.from_bytes(hashlib.sha256(f"{seed}:{n}".encode()).digest()[:8], "big")
        n += 1


def _below(stream: Iterator[int], k: int) -> int:
    limit = (2**64 // k) * k
    while True:
        x = next(stream)
        if x < limit:
            return x % k


def _shuffle(items: list, stream: Iterator[int]) -> list:
    out = list(items)
    for i in range(len(out) - 1, 0, -1):
        j = _below(stream, i + 1)
        out[i], out[j] = out[j], out[i]
    return out


def draw(
    seed: str, school_ids: list[int], inspector_ids: list[int],
    conflicts: set[tuple[int, int]], share: int, per_school: int,
) -> list[tuple[int, list[int]]]:  # fmt: skip
    """(school id, inspector ids) in draw order. ``conflicts`` holds (inspector, school) pairs
    never to be drawn together. Raises :class:`DrawError` when a drawn school has fewer
    inspectors free of conflict than ``per_school``."""
    if not 1 <= share <= 100:
        raise DrawError("抽取比例应为 1% 至 100%")
    if per_school < 1:
        raise DrawError("每校督学人数至少为 1")
    if not school_ids:
        raise DrawError("所选范围内没有学校")
    if len(inspector_ids) < per_school:
        raise DrawError(f"在岗督学只有 {len(inspector_ids)} 人，少于每校 {per_school} 人")
    stream = _numbers(seed)
    pool = sorted(school_ids)
    count = math.ceil(len(pool) * share / 100)
    drawn = _shuffle(pool, stream)[:count]
    load = dict.fromkeys(sorted(inspector_ids), 0)
    out = []
    for school_id in drawn:
        free = [i for i in load if (i, school_id) not in conflicts]
        if len(free) < per_school:
            raise DrawError(
                f"学校（编号 {school_id}）回避后可派督学只有 {len(free)} 人，少于每校 {per_school} 人"
            )
        chosen = sorted(_shuffle(free, stream), key=load.__getitem__)[:per_school]
        for inspector_id in chosen:
            load[inspector_id] += 1
        out.append((school_id, sorted(chosen)))
    return out


def digest(inputs: dict, result: list) -> str:
    """SHA-256 of the inputs and the result as canonical JSON (printed on the record)."""
    text = json.dumps({"inputs": inputs, "result": result}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def new_seed() -> str:
    return secrets.token_hex(8)


@dataclass
class Request:
    period: periods.Period
    share: int
    per_school: int
    township_id: int | None = None
    stage: str = ""
    seed: str = ""
    planned_visits: int = 1


def _inputs(db: Database, req: Request, seed: str) -> dict:
    pool = [s["id"] for s in schools.search(db, township_id=req.township_id, stage=req.stage)]
    inspectors = [u["id"] for u in storage.active_inspectors(db)]
    pairs = sorted({(i, s) for i, s, _ in storage.conflict_pairs(db, inspectors)})
    return {
        "algorithm": ALGORITHM,
        "seed": seed,
        "period": req.period.key,
        "share": req.share,
        "per_school": req.per_school,
        "township_id": req.township_id,
        "stage": req.stage,
        "schools": sorted(pool),
        "inspectors": inspectors,
        "conflicts": [list(p) for p in pairs],
    }


def compute(inputs: dict) -> list:
    """The result a draw's recorded inputs give (as stored: lists)."""
    result = draw(
        inputs["seed"], inputs["schools"], inputs["inspectors"],
        {(i, s) for i, s in inputs["conflicts"]}, inputs["share"], inputs["per_school"],
    )  # fmt: skip
    return [[school_id, chosen] for school_id, chosen in result]


def recheck(record: dict) -> bool:
    """Whether the recorded inputs and seed give the recorded result, and nothing was changed
    since (the digest printed on the signed record)."""
    result = compute(record["inputs"])
    return result == record["result"] and digest(record["inputs"], result) == record["digest"]


def perform(db: Database, config: Mapping, req: Request, *, by: int | None, today: date) -> int:
    """Draw, record the draw, plan its visits and issue the signed record; the draw's id."""
    seed = req.seed.strip() or new_seed()
    if len(seed) > 64:
        raise DrawError("随机种子不超过 64 个字符")
    inputs = _inputs(db, req, seed)
    result = compute(inputs)
    start, end = req.period.start.isoformat(), req.period.end.isoformat()
    with write(db):
        draw_id = storage.record(
            db, period_kind=req.period.kind, period_key=req.period.key, seed=seed,
            inputs=inputs, result=result, digest=digest(inputs, result), created_by=by,
        )  # fmt: skip
        for school_id, chosen in result:
            for inspector_id in chosen:
                assignments.assign(db, inspector_id, school_id, start, end, req.planned_visits,
                                   by=by)  # fmt: skip
    issue(db, config, draw_id, today)
    return draw_id


def view(db: Database, config: Mapping, record: dict, *, report_id: str, doc_number: str) -> dict:
    """The template context of ``templates/reports/draw.html``."""
    inputs = record["inputs"]
    period = periods.from_key(record["period_key"])
    names = storage.display_names(db, inputs["inspectors"])
    drawn = []
    for school_id, chosen in record["result"]:
        school = schools.get(db, school_id) or {"code": "", "name": f"（编号 {school_id}）",
                                                 "township": ""}  # fmt: skip
        drawn.append((school, chosen))
    drawn.sort(key=lambda pair: pair[0]["code"])
    rows = [
        {"n": n, "code": school["code"], "name": school["name"], "township": school["township"],
         "inspectors": "、".join(names.get(i, str(i)) for i in chosen)}
        for n, (school, chosen) in enumerate(drawn, start=1)
    ]  # fmt: skip
    public = config["PUBLIC_URL"].rstrip("/")
    return {
        "bureau": issuing._bureau(config),
        "title": f"{period.label}双随机抽查记录",
        "docno": doc_number,
        "period": period,
        "seed": record["seed"],
        "digest": record["digest"],
        "share": inputs["share"],
        "per_school": inputs["per_school"],
        "pool": len(inputs["schools"]),
        "inspector_count": len(inputs["inspectors"]),
        "conflict_count": len(inputs["conflicts"]),
        "rows": rows,
        "drawn_at": local_time(record["created_at"]),
        "verify_url": f"{public}/verify/",
        "verify_qr": qr_data_uri(f"{public}/verify/{report_id}"),
    }


def issue(db: Database, config: Mapping, draw_id: int, today: date) -> dict:
    """Render, sign and store the record of a draw, numbered as its own kind of document."""
    record = storage.get(db, draw_id)
    if record is None:
        raise DrawError("抽查记录不存在")
    report_id = str(uuid.uuid4())
    with numbering.numbered(db, config, KIND, report_id) as doc_number:
        html = render_html(
            "draw.html", view(db, config, record, report_id=report_id, doc_number=doc_number)
        )
        signed = sign_pdf(
            html_to_pdf(html), issuing.signer(config),
            reason=f"{config['BUREAU_NAME']}双随机抽查记录", location=config.get("COUNTY_NAME", ""),
        )  # fmt: skip
        row = reports.store(
            db, config["REPORTS_DIR"], report_id=report_id, kind=KIND,
            subject_id=f"{record['period_key']}/draw/{draw_id}", school_id=None, version=1,
            sha256=hashlib.sha256(signed).hexdigest(), pdf=signed, doc_number=doc_number,
            along=lambda tx: storage.set_report(tx, draw_id, report_id),  # both or neither
        )  # fmt: skip
    return row
