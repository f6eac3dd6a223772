"""The CJK font check: reports refuse to render without Noto Sans CJK SC."""

from __future__ import annotations

import subprocess

import pytest

from inspect_app.documents import fonts


def test_noto_cjk_sc_resolves_to_a_font_file():
    fonts.check_cjk_font.cache_clear()
    path = fonts.check_cjk_font()
    assert "NotoSansCJK" in path


def test_substituted_family_raises_with_debian_package_name(monkeypatch):
    def fake_run(*args, **kwargs):
        return subprocess.CompletedProcess(
            args, 0, stdout="DejaVu Sans\n/usr/share/fonts/x.ttf", stderr=""
        )

    fonts.check_cjk_font.cache_clear()
    monkeypatch.setattr(fonts.subprocess, "run", fake_run)
    try:
        with pytest.raises(fonts.FontMissingError) as info:
            fonts.check_cjk_font()
    finally:
        fonts.check_cjk_font.cache_clear()
    message = str(info.value)
    assert "fonts-noto-cjk" in message
    assert "缺少中文字体" in message and "not installed" in message


def test_missing_fontconfig_raises(monkeypatch):
    fonts.check_cjk_font.cache_clear()
    monkeypatch.setattr(fonts.shutil, "which", lambda name: None)
    try:
        with pytest.raises(fonts.FontMissingError):
            fonts.check_cjk_font()
    finally:
        fonts.check_cjk_font.cache_clear()
