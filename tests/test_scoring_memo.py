"""Scoring remembers judgements per checklist (ItemPlan.judged and .settled): a Checklist that
has already scored many inspections must give exactly the Result a fresh one gives.

The differential tests score through the compiled dict, i.e. a fresh Checklist per case, so
they never reach a warmed memo; here the same random cases (tests/parity.py strategies) are
scored by one shared Checklist, forwards and backwards, and compared by repr with a fresh
Checklist's Result: same keys in the same order, same types, -0.0 kept apart from 0.0.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspect_app.checklist import Checklist, load_directory, score
from tests.parity import checklist_source, compile_source, responses, schools, to_yaml

ROOT = Path(__file__).resolve().parent.parent
CASES = 12


@st.composite
def inspections(draw):
    compiled = compile_source(to_yaml(checklist_source(draw)))
    return compiled, [(schools(draw), responses(draw, compiled)) for _ in range(CASES)]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(inspections())
def test_a_warmed_checklist_scores_like_a_fresh_one(case):
    compiled, cases = case
    shared = Checklist.from_compiled(compiled)
    for school, resp in cases + cases[::-1]:
        fresh = score(Checklist.from_compiled(compiled), school, resp)
        assert repr(score(shared, school, resp)) == repr(fresh)


def test_shipped_checklists_warmed_by_random_inspections_score_like_fresh_ones():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from bench_checklists import random_responses, random_school
    finally:
        sys.path.remove(str(ROOT / "bench"))
    rng = random.Random(13)
    for checklist in load_directory(ROOT / "checklists").values():
        cases = [(random_school(rng), random_responses(rng, checklist)) for _ in range(150)]
        for _school, resp in cases[::9]:  # malformed answers and odd photo counts as well
            for item in list(resp["answers"])[::4]:
                resp["answers"][item] = rng.choice(["x", 2.5, True, [], ["zz"], 10**20, -0.0])
            resp["photos"] = {k: rng.choice([0, 2.0, -1, "2", True]) for k in resp["photos"]}
        for school, resp in cases:  # warm every memo
            score(checklist, school, resp)
        for school, resp in cases[::-5]:
            fresh = score(Checklist.from_compiled(checklist.compiled), school, resp)
            assert repr(score(checklist, school, resp)) == repr(fresh)
