"""Scoring gives byte-identical Results to an earlier revision: a check for speed work.

    .venv/bin/python bench/check_scoring_identity.py --against REV [--sets 60000]

Every change that only makes `score` faster must leave each Result exactly as it was: same
keys in the same order, same types, -0.0 apart from 0.0 (compared by repr). This scores the
same cases with the code of REV (checked out with `git archive` into a temporary directory)
and with the working tree, each in its own process, and compares a digest of the repr of
every Result.

Cases: random answer sets on every shipped checklist (the bench's generator, every ninth with
malformed answers and odd photo counts), plus checklists in the whole language drawn by the
differential tests' strategies (tests/parity.py) with their schools and answers. Each side
scores every case twice through one shared Checklist, so both fresh and remembered
judgements are compared. Exits 1 on the first difference, printing the case.
"""

from __future__ import annotations

import argparse
import pickle
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# Run in each tree's own interpreter process: reads the pickled cases, writes one digest per
# scoring (and the repr itself for the indices asked for).
WORKER = r"""
import hashlib, pickle, sys
from inspect_app.checklist import Checklist, score
cases_path, out_path = sys.argv[1], sys.argv[2]
show = set(int(x) for x in sys.argv[3].split(",") if x) if len(sys.argv) > 3 else set()
with open(cases_path, "rb") as fh:
    groups = pickle.load(fh)
digests, shown, n = [], {}, 0
for compiled, cases in groups:
    checklist = Checklist.from_compiled(compiled)
    for _ in range(2):
        for school, resp in cases:
            text = repr(score(checklist, school, resp))
            digests.append(hashlib.blake2b(text.encode(), digest_size=12).digest())
            if n in show:
                shown[n] = text
            n += 1
with open(out_path, "wb") as fh:
    pickle.dump((digests, shown), fh)
"""


def shipped_cases(sets: int) -> list:
    from bench_checklists import random_responses, random_school

    from inspect_app.checklist import load_directory

    rng = random.Random(20261202)
    groups = []
    loaded = load_directory(ROOT / "checklists")
    biggest = max(loaded.values(), key=lambda c: len(c.items))
    for checklist in loaded.values():
        n = sets if checklist is biggest else max(sets // 20, 200)
        cases = [(random_school(rng), random_responses(rng, checklist)) for _ in range(n)]
        for _school, resp in cases[::9]:
            for item in list(resp["answers"])[::4]:
                resp["answers"][item] = rng.choice(["x", 2.5, True, [], ["zz"], 10**20, -0.0])
            resp["photos"] = {k: rng.choice([0, 2.0, -1, "2", True]) for k in resp["photos"]}
        groups.append((checklist.compiled, cases))
    return groups


def generated_cases(checklists: int, per_checklist: int) -> list:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    from tests.parity import checklist_source, compile_source, responses, schools, to_yaml

    groups: list = []

    @st.composite
    def inspections(draw):
        compiled = compile_source(to_yaml(checklist_source(draw)))
        return compiled, [(schools(draw), responses(draw, compiled)) for _ in range(per_checklist)]

    @settings(
        max_examples=checklists,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(inspections())
    def collect(case):
        groups.append(case)

    collect()
    return groups


def run_side(tree: Path, cases_path: Path, show: str = "") -> tuple[list, dict, float]:
    out = cases_path.with_suffix(f".{tree.name}.out")
    start = time.monotonic()
    subprocess.run(
        [sys.executable, "-c", WORKER, str(cases_path), str(out), show],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    with open(out, "rb") as fh:
        digests, shown = pickle.load(fh)
    return digests, shown, time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="HEAD", help="git revision to compare with")
    parser.add_argument("--sets", type=int, default=60_000, help="cases on the big checklist")
    parser.add_argument("--generated", type=int, default=400, help="generated checklists")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="scoring-identity-") as tmp:
        tmpdir = Path(tmp)
        reference = tmpdir / "reference"
        reference.mkdir()
        archive = subprocess.run(
            ["git", "archive", "--format=tar", args.against, "inspect_app"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        ).stdout
        archive_path = tmpdir / "ref.tar"
        archive_path.write_bytes(archive)
        with tarfile.open(archive_path) as tar:
            tar.extractall(reference, filter="data")

        groups = shipped_cases(args.sets) + generated_cases(args.generated, 25)
        total = 2 * sum(len(cases) for _, cases in groups)
        cases_path = tmpdir / "cases.pickle"
        with open(cases_path, "wb") as fh:
            pickle.dump(groups, fh)

        old, _, old_s = run_side(reference, cases_path)
        new, _, new_s = run_side(ROOT, cases_path)
        print(
            f"{total} scorings ({len(groups)} checklists): {args.against} {old_s:.1f} s, "
            f"working tree {new_s:.1f} s"
        )
        diff = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
        if not diff:
            print("identical: every Result has the same repr")
            return
        first = diff[0]
        _, old_shown, _ = run_side(reference, cases_path, str(first))
        _, new_shown, _ = run_side(ROOT, cases_path, str(first))
        n = 0
        for compiled, cases in groups:
            if first < n + 2 * len(cases):
                school, resp = cases[(first - n) % len(cases)]
                print(f"DIFFERENT: {len(diff)} of {total}; first in {compiled['id']}")
                print("school:", school)
                print("responses:", resp)
                break
            n += 2 * len(cases)
        a, b = old_shown[first], new_shown[first]
        k = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
        print("reference: …" + a[max(0, k - 300) : k + 300])
        print("now:       …" + b[max(0, k - 300) : k + 300])
        sys.exit(1)


if __name__ == "__main__":
    main()
