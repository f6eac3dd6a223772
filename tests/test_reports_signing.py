"""PAdES signing with the bureau's key, and verification that catches any change."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from inspect_app.documents.signing import SigningError, init_keys, load_signer, sign_pdf, verify_pdf


@pytest.fixture(scope="module")
def unsigned_pdf(sample_report):
    return sample_report[1]


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return init_keys(tmp_path_factory.mktemp("keys"), organization="青川县教育局")


@pytest.fixture(scope="module")
def signer(keys):
    return load_signer(keys["key"], keys["cert"], keys["ca_cert"])


@pytest.fixture(scope="module")
def signed_pdf(unsigned_pdf, signer):
    return sign_pdf(unsigned_pdf, signer, reason="督导检查报告签发", location="青川县")


def test_init_keys_creates_ec_p256_signing_cert(keys):
    cert = x509.load_pem_x509_certificate(keys["cert"].read_bytes())
    assert cert.public_key().curve.name == "secp256r1"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    cn = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value
    assert cn == "青川县教育局督导室"
    assert keys["key"].stat().st_mode & 0o077 == 0


def test_init_keys_never_overwrites(keys):
    before = {role: path.read_bytes() for role, path in keys.items()}
    again = init_keys(keys["cert"].parent)
    assert {role: path.read_bytes() for role, path in again.items()} == before


def test_init_keys_refuses_a_partial_directory(tmp_path):
    paths = init_keys(tmp_path)
    paths["key"].unlink()
    with pytest.raises(SigningError):
        init_keys(tmp_path)
    replaced = init_keys(tmp_path, overwrite=True)
    assert replaced["key"].exists()


def test_signed_report_verifies(signed_pdf, keys):
    outcome = verify_pdf(signed_pdf, [keys["ca_cert"]])
    assert outcome.ok, outcome.reasons
    assert outcome.signature_valid and outcome.trusted and outcome.intact
    assert outcome.signer == "青川县教育局督导室"
    assert abs(outcome.signed_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert outcome.sha256 == hashlib.sha256(signed_pdf).hexdigest()
    assert outcome.reasons == ["签名有效：文件自签名后未被修改，签名证书可信"]


def test_signature_is_pades_with_visible_stamp(signed_pdf):
    reader = PdfFileReader(io.BytesIO(signed_pdf))
    sig = reader.embedded_signatures[0]
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    rect = [float(v) for v in sig.sig_field["/Rect"]]
    assert rect[2] - rect[0] > 100 and rect[3] - rect[1] > 40  # a visible stamp, not 0×0


def test_one_flipped_byte_fails(signed_pdf, keys):
    data = bytearray(signed_pdf)
    position = data.index(b"stream", len(data) // 4) + 40
    data[position] ^= 0x01
    outcome = verify_pdf(bytes(data), [keys["ca_cert"]])
    assert not outcome.ok
    assert not outcome.intact
    assert outcome.reasons


def test_appended_incremental_update_fails(signed_pdf, keys):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_pdf))
    writer.root[generic.NameObject("/PageMode")] = generic.NameObject("/UseOutlines")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    outcome = verify_pdf(out.getvalue(), [keys["ca_cert"]])
    assert not outcome.ok
    assert outcome.signature_valid and outcome.trusted  # the signed revision itself is fine
    assert not outcome.intact
    assert "签名之后文件又被追加修改（签名未覆盖整个文件）" in outcome.reasons


def test_certificate_from_another_authority_is_untrusted(unsigned_pdf, keys, tmp_path):
    other = init_keys(tmp_path / "other", organization="某县教育局")
    foreign = load_signer(other["key"], other["cert"], other["ca_cert"])
    pdf = sign_pdf(unsigned_pdf, foreign, reason="测试", location="某县", visible_stamp=False)
    outcome = verify_pdf(pdf, [keys["ca_cert"]])
    assert not outcome.ok
    assert outcome.signature_valid and outcome.intact and not outcome.trusted
    assert "签名证书不是由受信任的签发机构签发" in outcome.reasons
    assert verify_pdf(pdf, [other["ca_cert"]]).ok


def test_unsigned_pdf_is_reported(unsigned_pdf, keys):
    outcome = verify_pdf(unsigned_pdf, [keys["ca_cert"]])
    assert not outcome.ok and outcome.reasons == ["文件中没有电子签名"]


def test_load_signer_from_pkcs12(unsigned_pdf, keys, tmp_path):
    key = serialization.load_pem_private_key(keys["key"].read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate(keys["cert"].read_bytes())
    ca = x509.load_pem_x509_certificate(keys["ca_cert"].read_bytes())
    p12 = tmp_path / "signer.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"bureau", key, cert, [ca], serialization.BestAvailableEncryption(b"secret")
        )
    )
    signer = load_signer(p12_path=p12, passphrase="secret")
    pdf = sign_pdf(unsigned_pdf, signer, reason="督导检查报告签发", location="青川县")
    assert verify_pdf(pdf, [keys["ca_cert"]]).ok


def test_wrong_pkcs12_passphrase_raises(keys, tmp_path):
    key = serialization.load_pem_private_key(keys["key"].read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate(keys["cert"].read_bytes())
    p12 = tmp_path / "signer.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"bureau", key, cert, None, serialization.BestAvailableEncryption(b"secret")
        )
    )
    with pytest.raises(SigningError):
        load_signer(p12_path=p12, passphrase="wrong")


def test_signing_and_verifying_work_inside_a_running_event_loop(tmp_path, sample_notice):
    """An async server, or Playwright's sync API in the same process, keeps a loop running."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from inspect_app.documents.signing import init_keys, load_signer, sign_pdf, verify_pdf

    keys = init_keys(tmp_path / "keys")
    signer = load_signer(keys["key"], keys["cert"], keys["ca_cert"])
    pdf = sample_notice[1]

    async def inside():
        signed = sign_pdf(pdf, signer, reason="测试", location="测试县")
        return verify_pdf(signed, [keys["ca_cert"]])

    # A thread of its own, since this test may itself run under another loop (Playwright's).
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, inside()).result().ok
