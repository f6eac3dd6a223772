"""Python engine against the shared Python/JS test vectors (tests/vectors/*.json).

The same files are run by tests/js/engine.test.mjs against static/js/engine.js; both runners use
the same comparison rule (see tests/vectors/generate.py): full cases compare the whole Result,
subset (hand-checked) cases compare the keys given, `items`/`sections` field by field.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspect_app.checklist import load_checklist, score

VECTORS = Path(__file__).resolve().parent / "vectors"
FILES = sorted(VECTORS.glob("*.json"))


def _cases():
    for path in FILES:
        data = json.loads(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            yield pytest.param(data["compiled"], case, id=f"{path.stem}:{case['name']}")


def _subset(expected: dict, actual: dict) -> dict:
    """The part of `actual` that `expected` talks about, shaped like `expected`."""
    out = {}
    for key, want in expected.items():
        got = actual.get(key, "<absent>")
        if key == "items" and isinstance(got, dict):
            out[key] = {
                item: {f: got.get(item, {}).get(f, "<absent>") for f in fields}
                for item, fields in want.items()
            }
        elif key == "sections" and isinstance(got, list) and len(got) == len(want):
            out[key] = [
                {f: g.get(f, "<absent>") for f in w} for w, g in zip(want, got, strict=True)
            ]
        else:
            out[key] = got
    return out


def test_vectors_exist():
    cases = [c for p in FILES for c in json.loads(p.read_text(encoding="utf-8"))["cases"]]
    assert len(cases) >= 50
    assert sum(c["hand_checked"] for c in cases) >= 20


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_vectors_compiled_from_current_source(path):
    # a stale vector file (source or loader changed, generate.py not re-run) must not pass silently
    data = json.loads(path.read_text(encoding="utf-8"))
    assert load_checklist(VECTORS / data["source"]).hash == data["compiled"]["hash"]


@pytest.mark.parametrize(("compiled", "case"), list(_cases()))
def test_vector(compiled, case):
    result = json.loads(json.dumps(score(compiled, case["school"], case["responses"])))
    if case["full"]:
        assert result == case["expected"]
    else:
        assert _subset(case["expected"], result) == case["expected"]
