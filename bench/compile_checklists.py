"""Compile the shipped checklists (checklists/*.yaml) to the JSON the phone receives.

    .venv/bin/python bench/compile_checklists.py [OUT_DIR]

Without OUT_DIR prints one JSON object {checklist_id: compiled} on stdout (used by
bench/bench_engine.mjs); with OUT_DIR writes OUT_DIR/<id>.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inspect_app.checklist import load_directory  # noqa: E402


def main() -> None:
    compiled = {cid: c.compiled for cid, c in sorted(load_directory(ROOT / "checklists").items())}
    if len(sys.argv) > 1:
        out = Path(sys.argv[1])
        out.mkdir(parents=True, exist_ok=True)
        for cid, data in compiled.items():
            (out / f"{cid}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    else:
        json.dump(compiled, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
