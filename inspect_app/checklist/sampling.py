"""抽样 (sample items): how many files an inspector checks, and which ones.

An archive check (一生一档, 资助发放) samples files from the list the inspector enters or imports
(学籍号 or names). The size follows the population — ⌈√N⌉, at least the checklist's `min`, at
most its `max`, never more than N — and the sample is drawn from the list with a recorded seed,
so the server, the report and the re-check all see the same files the phone showed. The draw
is a partial Fisher–Yates shuffle driven by mulberry32: integer arithmetic only, so that
static/js/engine.js (`drawSample`, a line-for-line port) gives the same ids for the same seed.

An answer is ``{"population": [id, ...], "seed": 0…2³²−1, "marks": {id: true|false}}``; marks
for ids outside the sample are ignored (a list changed after a first draw leaves old marks).
"""

from __future__ import annotations

import math
from typing import Any

SEED_LIMIT = 2**32
# More ids than this is not a school's list (and would make the phone slow): 答案格式不正确.
POPULATION_LIMIT = 5000
_MASK = 0xFFFFFFFF


def sample_size(population: int, low: int, high: int | None) -> int:
    """⌈√N⌉, raised to `low`, lowered to `high`, never more than N."""
    root = math.isqrt(population)
    if root * root < population:
        root += 1
    size = max(low, root)
    if high is not None:
        size = min(size, high)
    return min(size, population)


def _imul(a: int, b: int) -> int:
    return (a * b) & _MASK


def _mulberry32(seed: int):
    state = seed & _MASK

    def draw() -> int:
        nonlocal state
        state = (state + 0x6D2B79F5) & _MASK
        t = _imul(state ^ (state >> 15), state | 1)
        t = ((t + _imul(t ^ (t >> 7), t | 61)) & _MASK) ^ t
        return (t ^ (t >> 14)) & _MASK

    return draw


def draw_sample(population: list[str], seed: int, low: int, high: int | None) -> list[str]:
    """The sampled ids, in the order drawn."""
    size = sample_size(len(population), low, high)
    pool = list(population)
    rng = _mulberry32(seed)
    for i in range(size):
        j = i + rng() % (len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:size]


def _valid_id(x: Any) -> bool:
    # Exactly as entered: non-empty, no surrounding white space (the phone trims each line).
    return type(x) is str and x != "" and x.strip() == x


def parse(raw: Any, low: int, high: int | None) -> tuple[dict | None, bool]:
    """(sample, well formed) for one answer. `sample` is None when no list has been entered
    yet; otherwise {"population", "seed", "ids", "failed", "checked", "ratio"} where ratio (the
    share of the sample marked 合格) is None until every sampled file is marked."""
    if raw is None:
        return None, True
    if not isinstance(raw, dict):
        return None, False
    population = raw.get("population")
    if type(population) is not list or len(population) > POPULATION_LIMIT:
        return None, False
    seen: set[str] = set()
    for x in population:
        if not _valid_id(x) or x in seen:
            return None, False
        seen.add(x)
    if not population:
        return None, True
    seed: Any = raw.get("seed")
    if type(seed) not in (int, float) or not (0 <= seed < SEED_LIMIT) or seed != math.floor(seed):
        return None, False
    marks = raw.get("marks")
    if marks is None:
        marks = {}
    if not isinstance(marks, dict):
        return None, False
    ids = draw_sample(population, int(seed), low, high)
    failed: list[str] = []
    checked = 0
    for x in ids:
        mark = marks.get(x)
        if mark is None:
            continue
        if type(mark) is not bool:
            return None, False
        checked += 1
        if not mark:
            failed.append(x)
    ratio = (len(ids) - len(failed)) / len(ids) if checked == len(ids) else None
    return {
        "population": len(population),
        "seed": int(seed),
        "ids": ids,
        "failed": failed,
        "checked": checked,
        "ratio": ratio,
    }, True


def describe(sample: dict, unit: str) -> str:
    """The sample as findings and reports print it: 抽查 5 份（共 86 份），1 份不合格：…"""
    size = len(sample["ids"])
    head = f"抽查 {size} {unit}（共 {sample['population']} {unit}）"
    if sample["checked"] < size:
        return f"{head}，已检查 {sample['checked']} {unit}"
    if not sample["failed"]:
        return f"{head}，全部合格"
    return f"{head}，{len(sample['failed'])} {unit}不合格：" + "、".join(sample["failed"])
