"""Pages of a PDF as PNG images, for previewing a document in the browser before it is issued.

Images rather than the PDF itself: phones and many office browsers cannot show a PDF inline,
and the page's Content-Security-Policy allows no frames or objects. ``pdftoppm`` (Debian
``poppler-utils``, already needed by the system) draws them.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


class PreviewError(RuntimeError):
    """The pages could not be drawn; the message is Chinese, for the page."""


def page_images(pdf: bytes, *, dpi: int = 96, max_pages: int = 30) -> list[bytes]:
    """PNG bytes of each page (at most ``max_pages``), in order."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise PreviewError("服务器未安装 pdftoppm（Debian 软件包 poppler-utils），无法显示预览")
    with tempfile.TemporaryDirectory(prefix="preview-") as tmp:
        source = Path(tmp) / "doc.pdf"
        source.write_bytes(pdf)
        try:
            subprocess.run(
                [tool, "-png", "-r", str(dpi), "-l", str(max_pages), str(source), f"{tmp}/page"],
                check=True,
                capture_output=True,
                timeout=60,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise PreviewError("预览图片生成失败，请稍后重试") from exc
        # pdftoppm pads page numbers to the width of the page count: sort by the number.
        pages = sorted(Path(tmp).glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        return [p.read_bytes() for p in pages]
