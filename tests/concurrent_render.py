"""Run as ``python -m tests.concurrent_render OUT_DIR KEYS_DIR``: one process of the
two-process rendering test (tests/test_render_concurrency.py).

Renders a report and a notice from two threads at once, as a server process and its worker
thread would, signs both with the keys in KEYS_DIR and writes them to OUT_DIR.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from inspect_app.documents.render import render_notice, render_report
from inspect_app.documents.signing import KEY_FILES, load_signer, sign_pdf
from tests.sample_report import sample_context, sample_notice_context


def main(out_dir: Path, keys_dir: Path) -> int:
    signer = load_signer(
        keys_dir / KEY_FILES["key"], keys_dir / KEY_FILES["cert"], keys_dir / KEY_FILES["ca_cert"]
    )
    context, photos = sample_context(n_photos=1)
    jobs = {
        "report": lambda: render_report(context, photo_loader=photos.__getitem__),
        "notice": lambda: render_notice(sample_notice_context()),
    }
    failures: list[str] = []

    def run(kind: str) -> None:
        try:
            pdf = sign_pdf(jobs[kind](), signer, reason="签发", location="青川县")
            (out_dir / f"{os.getpid()}-{kind}.pdf").write_bytes(pdf)
        except Exception as exc:  # reported to the parent test through stderr and the exit code
            failures.append(f"{kind}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=run, args=(kind,)) for kind in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
