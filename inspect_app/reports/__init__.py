"""Documents: inspection reports and rectification notices as signed PDFs.

A library with no Flask and no database access: callers pass plain dicts (see the
``render`` module docstring for the context shape) and get bytes back.
"""

from .fonts import FontMissingError, check_cjk_font
from .qr import qr_data_uri, qr_png
from .render import (
    ForbiddenURLError,
    MissingGlyphError,
    ReportAssetError,
    ReportError,
    ReportRenderError,
    ReportURLFetcher,
    render_notice,
    render_report,
)
from .signing import (
    SigningError,
    VerifyOutcome,
    init_keys,
    load_certs,
    load_signer,
    sign_pdf,
    verify_pdf,
)

__all__ = [
    "FontMissingError",
    "ForbiddenURLError",
    "MissingGlyphError",
    "ReportAssetError",
    "ReportError",
    "ReportRenderError",
    "ReportURLFetcher",
    "SigningError",
    "VerifyOutcome",
    "check_cjk_font",
    "init_keys",
    "load_certs",
    "load_signer",
    "qr_data_uri",
    "qr_png",
    "render_notice",
    "render_report",
    "sign_pdf",
    "verify_pdf",
]
