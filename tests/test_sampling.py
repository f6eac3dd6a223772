"""抽样: the size rule, the reproducible draw and the answer's checks (inspect_app/checklist/sampling.py;
static/js/engine.js is compared with it in tests/test_engine_parity.py and tests/vectors)."""

from __future__ import annotations

import pytest

from inspect_app.checklist.sampling import describe, draw_sample, parse, sample_size


@pytest.mark.parametrize(
    "population, size",
    [(0, 0), (1, 1), (3, 3), (5, 5), (20, 5), (25, 5), (26, 6), (36, 6), (37, 7), (86, 10),
     (900, 30), (2000, 30)],
)  # fmt: skip
def test_the_size_is_the_square_root_within_min_and_max(population, size):
    assert sample_size(population, 5, 30) == size


def test_the_same_list_and_seed_draw_the_same_files_and_another_seed_others():
    ids = [f"G2015{k:04d}" for k in range(86)]
    first = draw_sample(ids, 424242, 5, 30)
    assert first == draw_sample(list(ids), 424242, 5, 30)
    assert len(first) == len(set(first)) == 10 and set(first) <= set(ids)
    others = {tuple(draw_sample(ids, seed, 5, 30)) for seed in range(50)}
    assert len(others) == 50  # the seed really chooses
    # every file can be drawn: over many seeds each id turns up
    seen = {x for seed in range(400) for x in draw_sample(ids, seed, 5, 30)}
    assert seen == set(ids)


def test_the_outcome_follows_from_the_marks():
    ids = [f"S{k}" for k in range(9)]
    drawn = draw_sample(ids, 5, 3, None)
    sample, ok = parse({"population": ids, "seed": 5, "marks": {drawn[0]: True}}, 3, None)
    assert ok and sample["ratio"] is None and sample["checked"] == 1  # not all marked yet
    marks = {drawn[0]: True, drawn[1]: False, drawn[2]: True, "other": False}
    sample, ok = parse({"population": ids, "seed": 5, "marks": marks}, 3, None)
    assert ok and sample["ratio"] == 2 / 3 and sample["failed"] == [drawn[1]]
    assert describe(sample, "人") == f"抽查 3 人（共 9 人），1 人不合格：{drawn[1]}"


@pytest.mark.parametrize(
    "answer",
    [
        {"population": ["A", "A"], "seed": 1},  # a repeated id
        {"population": ["A", " B"], "seed": 1},  # stray space
        {"population": ["A", ""], "seed": 1},
        {"population": ["A", 3], "seed": 1},
        {"population": ["A"], "seed": -1},
        {"population": ["A"], "seed": 2**32},
        {"population": ["A"], "seed": 1.5},
        {"population": ["A"]},  # no seed: the draw could not be reproduced
        {"population": ["A"], "seed": 1, "marks": {"A": "是"}},
        {"population": "A", "seed": 1},
        ["A"],
    ],
)
def test_malformed_answers_are_refused(answer):
    assert parse(answer, 1, None) == (None, False)


def test_an_empty_list_is_not_answered_yet():
    assert parse({"population": [], "seed": 3}, 5, None) == (None, True)
    assert parse(None, 5, None) == (None, True)
