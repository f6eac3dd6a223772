"""WeasyPrint may fetch report assets, photos by hash and image data URIs — nothing else."""

from __future__ import annotations

import base64
import hashlib

import pytest

from inspect_app.documents.layout import ForbiddenURLError, ReportURLFetcher
from inspect_app.documents.render import TEMPLATE_DIR, ReportAssetError, html_to_pdf
from tests.sample_report import make_photo

PHOTO = make_photo(7, size=(1200, 900))
PHOTO_SHA = hashlib.sha256(PHOTO).hexdigest()


@pytest.fixture
def fetcher():
    return ReportURLFetcher({PHOTO_SHA: PHOTO}.__getitem__)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/x.css",
        "ftp://example.com/x",
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        (TEMPLATE_DIR / ".." / ".." / "pyproject.toml").as_uri(),
        (TEMPLATE_DIR / "report.html").as_uri(),  # inside the directory, but not an asset type
        "data:text/html;base64,PHNjcmlwdD4=",
        "data:image/svg+xml;base64,PHN2Zz4=",
        "photo:../../etc/passwd",
        "photo:" + "0" * 63,
        "javascript:alert(1)",
    ],
)
def test_refuses_everything_but_assets_photos_and_images(fetcher, url):
    with pytest.raises(ForbiddenURLError):
        fetcher.fetch(url)


def test_serves_report_css(fetcher):
    response = fetcher.fetch((TEMPLATE_DIR / "report.css").as_uri())
    assert b"Noto Sans CJK SC" in response.read()


def test_serves_png_data_uri(fetcher):
    png = b"\x89PNG\r\n\x1a\nrest"
    response = fetcher.fetch("data:image/png;base64," + base64.b64encode(png).decode())
    assert response.read() == png and response.content_type == "image/png"


def test_photo_is_loaded_by_hash_and_reencoded_small(fetcher):
    response = fetcher.fetch(f"photo:{PHOTO_SHA}")
    body = response.read()
    assert body.startswith(b"\xff\xd8") and response.content_type == "image/jpeg"
    assert len(body) < len(PHOTO)


def test_unknown_photo_is_an_asset_error(fetcher):
    with pytest.raises(ReportAssetError):
        fetcher.fetch("photo:" + "a" * 64)


@pytest.mark.parametrize("src", ["http://127.0.0.1:9/x.png", "file:///etc/passwd"])
def test_rendering_stops_on_a_forbidden_url(src):
    html = f'<html lang="zh-CN"><body><p>检查</p><img src="{src}"></body></html>'
    with pytest.raises(ReportAssetError):
        html_to_pdf(html)


def test_stylesheet_import_of_a_system_file_stops_rendering():
    html = (
        '<html lang="zh-CN"><head><style>@import url("file:///etc/passwd");</style>'
        "</head><body><p>检查</p></body></html>"
    )
    with pytest.raises(ReportAssetError):
        html_to_pdf(html)
