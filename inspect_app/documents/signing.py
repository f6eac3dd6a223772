"""Sign report PDFs (PAdES, pyHanko) with the bureau's key, and verify signed PDFs.

- :func:`init_keys` creates a self-signed authority and an EC P-256 signing certificate for
  a fresh install (deployments may bring their own PEM or PKCS#12 material instead).
- :func:`load_signer` loads the signing key and certificate.
- :func:`sign_pdf` adds one PAdES signature, with a visible red stamp (签章) showing the
  signer's name and the signing time in Beijing time. The stamp text is Chinese, drawn by
  Pillow in Noto Sans CJK SC into an image (≈290 dpi) that pyHanko uses as the stamp's
  appearance. Why an image: pyHanko's vector text needs an extra dependency (uharfbuzz,
  ``pyHanko[opentype]``) and cannot read the .ttc collection Debian ships; subsetting the
  CJK face per process also cost seconds. The stamp is decoration: what is verified is the
  signature, and the stamp is part of the signed revision.
- :func:`verify_pdf` checks a PDF's last signature: cryptographically valid, chained to one
  of the given trust roots, and covering the entire file (any byte appended after signing,
  including a legitimate-looking incremental update, fails).

The stamp is placed on the named destination ``seal`` if the PDF has one (the report
templates reserve a box with ``id="seal"`` next to the issuer's name, where a Chinese
official document carries its seal); otherwise at the bottom right of the last page.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import io
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PIL import Image, ImageDraw, ImageFont

from inspect_app.documents.fonts import CJK_FAMILY, check_cjk_font

# pyHanko is imported by the functions that sign, verify or load a key, not here: it costs
# about 0.3 s to import, and every process imports this module with the app (the pages that
# verify, the commands), most of them never signing anything.
if TYPE_CHECKING:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers
    from pyhanko.stamp import StaticStampStyle

BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")
SEAL_DESTINATION = "seal"
STAMP_SIZE = (198, 68)  # points; matches .seal-zone in templates/reports/report.css
STAMP_RED = (0.78, 0.0, 0.0)
KEY_FILES = {
    "ca_key": "ca.key.pem",
    "ca_cert": "ca.cert.pem",
    "key": "signer.key.pem",
    "cert": "signer.cert.pem",
}


class SigningError(Exception):
    """Keys could not be created or loaded, or a PDF could not be signed."""


# ---------------------------------------------------------------------------
# Keys


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write(path: Path, data: bytes, private: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(path, flags, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def init_keys(
    directory: str | os.PathLike,
    *,
    organization: str = "XX县教育局",
    common_name: str | None = None,
    valid_days: int = 3650,
    overwrite: bool = False,
) -> dict[str, Path]:
    """Create a self-signed authority and a signing certificate as PEM files.

    Returns ``{"ca_key", "ca_cert", "key", "cert"}`` → paths. If all four files already
    exist they are kept and returned; if only some exist, :class:`SigningError` is raised
    rather than mixing old and new keys. ``overwrite=True`` replaces everything.
    Private keys are written unencrypted with mode 0600: protect the directory.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {role: directory / name for role, name in KEY_FILES.items()}
    existing = [p for p in paths.values() if p.exists()]
    if existing and not overwrite:
        if len(existing) == len(paths):
            return paths
        raise SigningError(
            f"密钥目录 {directory} 中只有部分密钥文件（{', '.join(p.name for p in existing)}），"
            "为避免新旧密钥混用，拒绝生成；请核对或使用 overwrite=True 重新生成。"
        )
    common_name = common_name or f"{organization}督导室"
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    until = now + dt.timedelta(days=valid_days)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{organization}电子签章根证书", organization)
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organization))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    def key_pem(k: ec.EllipticCurvePrivateKey) -> bytes:
        return k.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    _write(paths["ca_key"], key_pem(ca_key), private=True)
    _write(paths["ca_cert"], ca_cert.public_bytes(serialization.Encoding.PEM), private=False)
    _write(paths["key"], key_pem(key), private=True)
    _write(paths["cert"], cert.public_bytes(serialization.Encoding.PEM), private=False)
    return paths


def load_signer(
    key_path: str | os.PathLike | None = None,
    cert_path: str | os.PathLike | None = None,
    ca_path: str | os.PathLike | None = None,
    p12_path: str | os.PathLike | None = None,
    passphrase: bytes | str | None = None,
) -> signers.SimpleSigner:
    """Load the signing key and certificate from PEM files or from a PKCS#12 archive.

    ``ca_path`` (PEM/DER) is embedded in signatures so verifiers can build the chain.
    """
    from pyhanko.sign import signers

    if isinstance(passphrase, str):
        passphrase = passphrase.encode("utf-8")
    chain = [str(ca_path)] if ca_path else []
    try:
        if p12_path:
            signer = signers.SimpleSigner.load_pkcs12(
                str(p12_path), ca_chain_files=chain, passphrase=passphrase
            )
        elif key_path and cert_path:
            signer = signers.SimpleSigner.load(
                str(key_path), str(cert_path), ca_chain_files=chain, key_passphrase=passphrase
            )
        else:
            raise SigningError("需要提供签名私钥和证书（PEM），或 PKCS#12 文件")
    except (OSError, ValueError) as exc:
        raise SigningError(f"无法读取签名密钥或证书：{exc}") from exc
    if signer is None:  # pyHanko logs the reason and returns None
        raise SigningError("无法读取签名密钥或证书（格式或口令错误）")
    return signer


def signer_name(signer: signers.Signer) -> str:
    """The common name of the signer's certificate, e.g. 「XX县教育局督导室」."""
    return _common_name(signer.signing_cert)


def _common_name(cert: asn1_x509.Certificate) -> str:
    native = cert.subject.native
    return native.get("common_name") or cert.subject.human_friendly


# ---------------------------------------------------------------------------
# Stamp

STAMP_SCALE = 4  # pixels per point: the stamp image prints at ~290 dpi


@functools.lru_cache(maxsize=4)
def _stamp_font(font_path: str, size_px: int) -> ImageFont.FreeTypeFont:
    """Noto Sans CJK SC from fontconfig's file (a collection: find the SC face by name)."""
    for index in range(16):
        try:
            font = ImageFont.truetype(font_path, size_px, index=index)
        except OSError:
            break
        if font.getname()[0] == CJK_FAMILY:
            return font
    raise SigningError(f"字体文件 {font_path} 中没有 {CJK_FAMILY}")


def stamp_image(signer_label: str, signed_at: dt.datetime) -> Image.Image:
    """The visible stamp: red frame, 「电子签章」, signer and Beijing signing time."""
    width, height = (v * STAMP_SCALE for v in STAMP_SIZE)
    red = tuple(round(c * 255) for c in STAMP_RED) + (255,)
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    line = 2 * STAMP_SCALE
    draw.rectangle(
        [line // 2, line // 2, width - line // 2 - 1, height - line // 2 - 1],
        outline=red,
        width=line,
    )
    font_path = check_cjk_font()
    title_font = _stamp_font(font_path, 13 * STAMP_SCALE)
    text_font = _stamp_font(font_path, 9 * STAMP_SCALE)
    lines = [
        (title_font, "电子签章"),
        (text_font, f"签章单位：{signer_label}"),
        (text_font, f"签章时间：{signed_at:%Y-%m-%d %H:%M:%S} (UTC+8)"),
    ]
    heights = [font.getbbox(text)[3] for font, text in lines]
    gap = 3 * STAMP_SCALE
    y = (height - sum(heights) - gap * (len(lines) - 1)) // 2
    for (font, text), h in zip(lines, heights, strict=True):
        text_width = draw.textlength(text, font=font)
        if text_width > width - 2 * line - 8 * STAMP_SCALE:  # long names: shrink to fit
            scaled = _stamp_font(
                font_path, int(font.size * (width - 12 * STAMP_SCALE) / text_width)
            )
            font, text_width = scaled, draw.textlength(text, font=scaled)
        draw.text(((width - text_width) / 2, y), text, font=font, fill=red)
        y += h + gap
    return image


def _stamp_style(signer: signers.Signer, signed_at: dt.datetime) -> StaticStampStyle:
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.stamp import StaticStampStyle

    image = PdfImage(
        stamp_image(signer_name(signer), signed_at), box=layout.BoxConstraints(*STAMP_SIZE)
    )
    return StaticStampStyle(
        background=image,
        border_width=0,
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(0),
        ),
    )


def _stamp_box(reader: PdfFileReader) -> tuple[int, tuple[int, int, int, int]]:
    """(page index, box) for the stamp: the ``seal`` destination, or the last page's corner."""
    width, height = STAMP_SIZE
    try:
        dests = reader.root["/Names"]["/Dests"]["/Names"]
        for i in range(0, len(dests), 2):
            if str(dests[i]) == SEAL_DESTINATION:
                target = dests[i + 1]
                page_ref = target.raw_get(0)  # indexing would dereference the page
                x, y = float(target[2]), float(target[3])
                page_index = _page_index(reader, page_ref)
                if page_index is not None:
                    return page_index, (int(x), int(y - height), int(x + width), int(y))
    except (KeyError, TypeError, IndexError, ValueError):
        pass
    last = int(reader.root["/Pages"]["/Count"]) - 1
    return last, (595 - 51 - width, 60, 595 - 51, 60 + height)


def _page_index(reader: PdfFileReader, page_ref) -> int | None:
    from pyhanko.pdf_utils import generic

    if not isinstance(page_ref, generic.IndirectObject):
        return None
    for index in range(int(reader.root["/Pages"]["/Count"])):
        ref, _ = reader.find_page_for_modification(index)
        if ref.idnum == page_ref.idnum:
            return index
    return None


# ---------------------------------------------------------------------------
# Signing


def _outside_event_loop(function, *args, **kwargs):
    """Call one of pyHanko's synchronous helpers, which run their own event loop.

    They use ``asyncio.run``, which refuses to start inside a running loop (an async server,
    or Playwright's sync API in the same process); there the call moves to a short-lived thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def sign_pdf(
    pdf_bytes: bytes,
    signer: signers.Signer,
    *,
    reason: str,
    location: str,
    visible_stamp: bool = True,
    field_name: str = "BureauSignature",
) -> bytes:
    """Add a PAdES signature (with the bureau's visible stamp unless told otherwise)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        name=signer_name(signer),
    )
    if visible_stamp:
        page, box = _stamp_box(writer.prev)
        pdf_signer = signers.PdfSigner(
            meta,
            signer=signer,
            stamp_style=_stamp_style(signer, dt.datetime.now(BEIJING)),
            new_field_spec=fields.SigFieldSpec(sig_field_name=field_name, on_page=page, box=box),
        )
    else:
        pdf_signer = signers.PdfSigner(meta, signer=signer)
    out = io.BytesIO()
    try:
        _outside_event_loop(pdf_signer.sign_pdf, writer, output=out)
    except Exception as exc:
        raise SigningError(f"PDF 签名失败：{exc}") from exc
    return out.getvalue()


# ---------------------------------------------------------------------------
# Verification


@dataclass
class VerifyOutcome:
    """What a verifier (CLI, /verify page) shows about a signed PDF."""

    ok: bool
    signature_valid: bool = False
    trusted: bool = False
    intact: bool = False
    signer: str | None = None
    signed_at: dt.datetime | None = None
    sha256: str = ""
    reasons: list[str] = field(default_factory=list)
    # The library's own words when reading or validating failed: for logs and the command
    # line, never for the public page (English internals that help nobody there).
    detail: str | None = None


def load_certs(*paths: str | os.PathLike) -> list[asn1_x509.Certificate]:
    """Read PEM/DER certificates, e.g. the authority's ``ca.cert.pem`` as a trust root."""
    from pyhanko.sign.general import load_cert_from_pemder

    return [load_cert_from_pemder(str(p)) for p in paths]


def verify_pdf(pdf_bytes: bytes, trust_root_certs) -> VerifyOutcome:
    """Verify the last signature in ``pdf_bytes`` against ``trust_root_certs``.

    ``trust_root_certs``: asn1crypto certificates, or paths to PEM/DER files.
    ``ok`` requires all three: the signature is cryptographically valid, the signer chains
    to a trust root, and the signature covers the entire file.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.general import load_cert_from_pemder
    from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    outcome = VerifyOutcome(ok=False, sha256=hashlib.sha256(pdf_bytes).hexdigest())
    roots = [
        c if isinstance(c, asn1_x509.Certificate) else load_cert_from_pemder(str(c))
        for c in trust_root_certs
    ]
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:
        outcome.reasons.append("文件已损坏或不是有效的 PDF 文件，无法核验。")
        outcome.detail = f"{type(exc).__name__}: {exc}"
        return outcome
    if not signatures:
        outcome.reasons.append("文件中没有电子签名")
        return outcome
    sig = signatures[-1]
    try:
        context = ValidationContext(
            trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
        )
        status = _outside_event_loop(validate_pdf_signature, sig, context)
    except Exception as exc:
        outcome.reasons.append("文件中的电子签名格式异常，无法校验，不是本系统签发的有效文件。")
        outcome.detail = f"{type(exc).__name__}: {exc}"
        return outcome
    cert = status.signing_cert
    outcome.signer = _common_name(cert) if cert is not None else None
    outcome.signed_at = status.signer_reported_dt
    outcome.signature_valid = bool(status.intact and status.valid)
    outcome.trusted = bool(status.trusted)
    outcome.intact = bool(status.intact and status.coverage == SignatureCoverageLevel.ENTIRE_FILE)
    if not status.intact:
        outcome.reasons.append("签名所覆盖的内容已被改动（摘要不一致）")
    elif not status.valid:
        outcome.reasons.append("签名值无效")
    if status.intact and status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        outcome.reasons.append("签名之后文件又被追加修改（签名未覆盖整个文件）")
    if not status.trusted:
        outcome.reasons.append("签名证书不是由受信任的签发机构签发")
    outcome.ok = outcome.signature_valid and outcome.trusted and outcome.intact
    if outcome.ok:
        outcome.reasons.append("签名有效：文件自签名后未被修改，签名证书可信")
    return outcome
