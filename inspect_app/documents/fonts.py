"""Make sure the CJK font the reports name is installed, and find its file.

Every report names ``"Noto Sans CJK SC"`` in its CSS. If fontconfig cannot resolve it,
WeasyPrint would silently fall back to another font (or tofu boxes), so the document layer
refuses to render instead.
"""

from __future__ import annotations

import functools
import shutil
import subprocess

CJK_FAMILY = "Noto Sans CJK SC"
DEBIAN_PACKAGE = "fonts-noto-cjk"


class FontMissingError(RuntimeError):
    """The CJK font needed for Chinese reports is not installed."""


def _missing(detail: str) -> FontMissingError:
    return FontMissingError(
        f"缺少中文字体「{CJK_FAMILY}」，无法生成报告。请安装 Debian 软件包 {DEBIAN_PACKAGE}"
        f"（apt-get install {DEBIAN_PACKAGE}）。 / "
        f"The CJK font {CJK_FAMILY!r} is not installed ({detail}); "
        f"install the Debian package {DEBIAN_PACKAGE}."
    )


def _fc_match(fmt: str) -> str:
    if shutil.which("fc-match") is None:
        raise _missing("fc-match (fontconfig) not found")
    try:
        proc = subprocess.run(
            ["fc-match", "-f", fmt, CJK_FAMILY],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _missing(f"fc-match failed: {exc}") from exc
    return proc.stdout.strip()


@functools.cache
def check_cjk_font() -> str:
    """Return the font file fontconfig resolves for Noto Sans CJK SC.

    Raises :class:`FontMissingError` when fontconfig substitutes another family (its
    normal behaviour for an unknown name). The answer is cached per process: fonts are
    not installed while the app runs.
    """
    answer = _fc_match("%{family}\n%{file}")
    family, _, path = answer.partition("\n")
    # fontconfig lists every localized family name, comma-separated.
    families = [name.strip() for name in family.split(",")]
    if CJK_FAMILY not in families or not path:
        raise _missing(f"fontconfig resolves it to {family or 'nothing'!r}")
    return path
