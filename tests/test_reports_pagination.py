"""A long report (150 items) paginates with the item table's header on every page it spans."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from inspect_app.documents.render import render_report
from tests.sample_report import sample_context

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


@pytest.fixture(scope="module")
def long_report():
    context, photos = sample_context(150, 4)
    return render_report(context, photo_loader=photos.__getitem__, strict=True)


def test_item_table_header_repeats_on_every_page_it_spans(long_report):
    info = subprocess.run(
        ["pdfinfo", "-"], input=long_report, capture_output=True, check=True
    ).stdout.decode()
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    texts = [page_text(long_report, n) for n in range(1, pages + 1)]
    with_header = [n for n, text in enumerate(texts, 1) if ITEM_HEADER in text]
    assert len(with_header) >= 3, with_header
    # the pages between the first and last header are continuation pages: all carry it
    assert with_header == list(range(with_header[0], with_header[-1] + 1))
    # row 150 is printed, and on a page that has the header
    last_row_page = next(
        n for n, text in enumerate(texts, 1) if "150宿舍安装烟感报警器（复核4）" in text
    )
    assert last_row_page in with_header
    assert all(f"共{pages}页" in text for text in texts)
