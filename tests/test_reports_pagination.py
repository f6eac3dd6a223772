"""A long report (every item of the shipped 扶贫综合督导 checklist) paginates with the item
table's header on every page it spans."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils not installed"
)

ITEM_HEADER = "序号检查项目实测值标准结果得分备注"


def page_text(pdf: bytes, n: int) -> str:
    out = subprocess.run(
        ["pdftotext", "-raw", "-f", str(n), "-l", str(n), "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return re.sub(r"\s+", "", out)


def test_item_table_header_repeats_on_every_page_it_spans(sample_report):
    context, long_report = sample_report
    info = subprocess.run(
        ["pdfinfo", "-"], input=long_report, capture_output=True, check=True
    ).stdout.decode()
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    texts = [page_text(long_report, n) for n in range(1, pages + 1)]
    with_header = [n for n, text in enumerate(texts, 1) if ITEM_HEADER in text]
    assert len(with_header) >= 3, with_header
    # the pages between the first and last header are continuation pages: all carry it
    assert with_header == list(range(with_header[0], with_header[-1] + 1))
    # the last row is printed (its number and the start of its label), on a page that has the
    # header
    items = list(context["result"]["items"].values())
    last_row = re.sub(r"\s+", "", f"{len(items)}{items[-1]['label'][:10]}")
    last_row_page = next(n for n, text in enumerate(texts, 1) if last_row in text)
    assert last_row_page in with_header
    assert all(f"共{pages}页" in text for text in texts)
