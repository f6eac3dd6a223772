"""Regenerate the shared Python/JS test vectors in tests/vectors/*.json.

    .venv/bin/python tests/vectors/generate.py

For every checklist tests/vectors/src/<id>.yaml (the loader wants file name = checklist id)
this writes tests/vectors/<id>.json:

    {"source": "src/<id>.yaml", "compiled": <Checklist.compiled>, "cases": [case, ...]}
    case = {"name", "hand_checked": bool, "note", "school", "responses", "expected", "full": bool}

* Hand-checked cases come from src/<id>.cases.yaml. Their `expected` is a subset of the Result
  worked out by hand (the reasoning is in each case's `note`); it is copied verbatim, never computed.
* Random cases (hand_checked: false, full: true) are drawn with a fixed seed and their expected
  Result is the Python engine's complete output, so the JS engine must match it field for field.

Re-running is deterministic: same sources + same engine → byte-identical files.
Comparison rules (identical in tests/test_vectors.py and tests/js/engine.test.mjs):
full cases compare the whole Result; subset cases compare each top-level key given, except that
`items` compares only the listed items/fields and `sections` only the listed fields of each section.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from inspect_app.checklist import load_checklist, score  # noqa: E402
from inspect_app.checklist.sampling import draw_sample  # noqa: E402

RANDOM_CASES = {
    "vec_core": 20,
    "vec_ops": 24,
    "vec_scope": 20,
    "vec_round": 12,
    "vec_minimal": 6,
    "vec_critical": 10,
    "vec_sample": 10,
}
STAGES = ["幼儿园", "小学", "初中", "九年一贯制", "完全中学", "高中", "中职", "教学点"]
EDGE_DECIMALS = [0, 0.05, 0.125, 1.005, 1.45, 2.5, 2.675, 8.25, -2.5, -0.05, 3, 7.5, 10.35]


# Answers of the wrong shape (the engine must give outcome error 答案格式不正确, never raise),
# and texts that are blank only by Python's str.isspace (U+3000, U+001C) or not blank (U+FEFF).
MALFORMED = ["yes", 1, 2.5, -3, None, [], ["zzz"], "2026-02-30", "2026-2-3", "", True, {"a": 1}]
ODD_TEXTS = ["   ", "\u3000", "\x1c", "\ufeff", " 有 "]


def random_school(rng: random.Random, i: int) -> dict:
    school = {
        "code": f"R{i:04d}",
        "name": f"随机学校{i}",
        "stage": rng.choice(STAGES),
        "boarding": rng.random() < 0.5,
        "township_central": rng.random() < 0.5,
        "poverty_village": rng.random() < 0.3,
        "enrolment": rng.choice([0, 1, 37, 240, 600, 1500, 2.5]),
    }
    if rng.random() < 0.1:  # incomplete or mistyped school records are read as null
        school[rng.choice(list(school))] = rng.choice([None, "1", 1])
    return school


def random_value(rng: random.Random, item: dict):
    t = item["type"]
    if rng.random() < 0.06:
        return rng.choice(MALFORMED)
    if t == "yesno":
        return rng.random() < 0.6
    if t == "choice":
        return rng.choice(item["choices"])["value"]
    if t == "multi":
        return [c["value"] for c in item["choices"] if rng.random() < 0.45]
    if t == "integer":
        return rng.choice([0, 0, 1, 2, 3, 5, 8, 12, 40, 60, 120, 700])
    if t == "decimal":
        if rng.random() < 0.5:
            return rng.choice(EDGE_DECIMALS)
        return round(rng.uniform(-5, 15), rng.choice([0, 1, 2]))
    if t == "date":
        return f"{rng.choice([2024, 2025, 2026])}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if t == "text":
        return rng.choice(["", "无", "见附件"] + ODD_TEXTS)
    if t == "sample":
        population = [f"S{k:03d}" for k in range(rng.choice([0, 1, 4, 26, 86, 400]))]
        seed = rng.choice([0, 1, 2**31, 2**32 - 1, rng.randrange(2**32)])
        drawn = draw_sample(population, seed, item["sample"]["min"], item["sample"]["max"])
        marks = {x: rng.random() < 0.85 for x in drawn if rng.random() < 0.9}
        return {"population": population, "seed": seed, "marks": marks}
    raise AssertionError(t)


def random_responses(rng: random.Random, compiled: dict) -> dict:
    answers, na, photos = {}, [], {}
    for section in compiled["sections"]:
        for item in section["items"]:
            t = item["type"]
            if t in ("computed", "note"):
                continue
            if (item.get("na_allowed") and rng.random() < 0.2) or rng.random() < 0.03:
                na.append(item["id"])  # N/A on an item without na_allowed is ignored
            if t == "photo" or item.get("evidence"):
                n = rng.choice([0, 0, 1, 3, 1.5, -1, "2"])
                if n:
                    photos[item["id"]] = n
            if t == "photo" or rng.random() < 0.15:
                continue  # left unanswered
            answers[item["id"]] = random_value(rng, item)
    return {"answers": answers, "na": na, "photos": photos}


def build(name: str) -> dict:
    src = HERE / "src" / f"{name}.yaml"
    compiled = load_checklist(src).compiled
    compiled = json.loads(json.dumps(compiled, ensure_ascii=False))  # exactly what ships
    cases = []
    cases_file = HERE / "src" / f"{name}.cases.yaml"
    if cases_file.exists():
        for case in yaml.safe_load(cases_file.read_text(encoding="utf-8")):
            cases.append(
                {
                    "name": case["name"],
                    "hand_checked": True,
                    "note": case["note"].strip(),
                    "school": case["school"],
                    "responses": {"answers": {}, "na": [], "photos": {}} | case["responses"],
                    "expected": case["expected"],
                    "full": False,
                }
            )
    rng = random.Random(f"vectors-{name}")
    for i in range(RANDOM_CASES.get(name, 8)):
        school = random_school(rng, i)
        responses = random_responses(rng, compiled)
        result = json.loads(json.dumps(score(compiled, school, responses), ensure_ascii=False))
        cases.append(
            {
                "name": f"{name}_random_{i:02d}",
                "hand_checked": False,
                "note": "generated by tests/vectors/generate.py from the Python engine",
                "school": school,
                "responses": responses,
                "expected": result,
                "full": True,
            }
        )
    return {"source": f"src/{name}.yaml", "compiled": compiled, "cases": cases}


def main() -> None:
    total = hand = 0
    for src in sorted((HERE / "src").glob("*.yaml")):
        if src.name.endswith(".cases.yaml"):
            continue
        data = build(src.stem)
        out = HERE / f"{src.stem}.json"
        out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        n_hand = sum(c["hand_checked"] for c in data["cases"])
        total += len(data["cases"])
        hand += n_hand
        print(f"{out.name}: {len(data['cases'])} cases ({n_hand} hand-checked)")
    print(f"total {total} cases, {hand} hand-checked, {total - hand} generated")


if __name__ == "__main__":
    main()
