"""Evidence uploads: checked by content, size-limited, refused next to the field, served safely."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from inspect_app.rectification import rules
from inspect_app.rectification.evidence import EvidenceRejected, check

from . import factories
from .support import item_row, pdf_bytes, version_on

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def test_images_are_re_encoded_and_pdfs_kept():
    photo = check(factories.jpeg_bytes(1))
    assert photo.mime == "image/jpeg" and photo.data != factories.jpeg_bytes(1)
    pdf = check(pdf_bytes())
    assert pdf.mime == "application/pdf" and pdf.data == pdf_bytes()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件为空"),
        (HTML, "无法识别的文件内容，只接受 JPEG、PNG 图片或 PDF 文件"),
        (b"%PDF-1.4\n<html>not really a pdf", "PDF 文件不完整或已损坏"),
        (pdf_bytes(b"<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\n"), "含有脚本"),
        (pdf_bytes(b"<< /S /J#61vaScript >>\n"), "含有脚本"),
        (pdf_bytes(b"<< /S /Launch /F (cmd.exe) >>\n"), "含有脚本或嵌入程序"),
        (factories.jpeg_bytes(2)[:2000], "不完整"),
        (b"%PDF-" + b"0" * (10 * 1024 * 1024), "不能超过 10 MB"),
    ],
)
def test_bad_files_are_refused_with_a_reason(data, message):
    with pytest.raises(EvidenceRejected, match=message):
        check(data)


def test_a_pdf_name_that_merely_starts_like_js_is_fine():
    assert check(pdf_bytes(b"<< /Filter /JBIG2Decode /JSX 1 >>\n")).mime == "application/pdf"


FORM = {
    "measures": "已制定资助台账管理制度",
    "result": "台账与银行记录一致",
    "done_on": "2026-11-24",
}


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ((b"%PDF-1.7 fake", "整改报告.pdf"), "「整改报告.pdf」PDF 文件不完整或已损坏"),
        ((HTML, "现场照片.jpg"), "「现场照片.jpg」无法识别的文件内容"),
        (
            (b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024 + 1), "大照片.jpg"),
            "「大照片.jpg」文件过大",
        ),
    ],
)
def test_bad_upload_is_refused_next_to_the_field_and_the_form_kept(
    receive, login, db, frozen, upload, message
):
    _, rows = receive()
    school = login("sch_a")
    url = f"/school/rectifications/{rows[0]['id']}/respond"
    version = version_on(school.page(url))
    response = school.post(
        url,
        {**FORM, "version": version},
        files={"evidence": [(factories.jpeg_bytes(4), "好照片.jpg"), upload]},
    )
    assert response.status_code == 400
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    error = page.select_one("#evidence-error")
    assert error is not None and message in error.get_text()
    assert error.find_parent(class_="field").select_one("input[type=file]")["name"] == "evidence"
    assert page.select_one("#measures").get_text().strip() == FORM["measures"]
    assert page.select_one("#result").get_text().strip() == FORM["result"]
    assert page.select_one("#done_on")["value"] == FORM["done_on"]
    assert item_row(db, rows[0]["id"])["status"] == "pending"
    # The good photo beside the bad file is kept and shown: the school need not choose it again.
    assert db["evidence_files"].count == 1
    kept = page.select("ul.kept li[data-kept]")
    assert [k.select_one(".name").get_text() for k in kept] == ["好照片.jpg"]
    assert school.get(kept[0].select_one("img")["src"]).status_code == 200


def test_missing_fields_are_named(receive, login, frozen):
    _, rows = receive()
    school = login("sch_a")
    url = f"/school/rectifications/{rows[0]['id']}/respond"
    response = school.post(url, {"version": version_on(school.page(url)), "done_on": "2026-12-30"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "请填写采取的整改措施" in body and "请填写整改结果" in body and "不能晚于今天" in body


def test_reinspection_accepts_only_a_photo(receive, login, db, frozen):
    _, rows = receive()
    response = login("insp").post(
        f"/review/rectifications/{rows[0]['id']}/reinspect",
        {"note": "现场复查"},
        files={"photo": [(pdf_bytes(), "复查.pdf")]},
    )
    assert response.status_code == 400
    assert "复查照片只接受 JPEG 或 PNG 图片" in response.get_data(as_text=True)


def test_served_evidence_is_never_html(receive, login, frozen):
    _, rows = receive()
    school = login("sch_a")
    url = f"/school/rectifications/{rows[0]['id']}/respond"
    school.post(
        url,
        {**FORM, "version": version_on(school.page(url))},
        files={"evidence": [(factories.jpeg_bytes(6), "a.html")]},
    )
    page = school.page(f"/school/rectifications/{rows[0]['id']}")
    served = school.get(page.select_one(".files a.thumb")["href"])
    assert served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.data.startswith(b"\xff\xd8")


def test_evidence_is_required_unless_the_fix_template_waives_it(receive, login, db, frozen):
    _, rows = receive()
    school = login("sch_a")
    url = f"/school/rectifications/{rows[0]['id']}/respond"
    page = school.page(url)
    assert "（必填）" in page.select_one("#evidence-label").get_text()
    # The browser is told today's date as the latest allowed (frozen at 2026-11-25).
    assert page.select_one("#done_on")["max"] == "2026-11-25"
    response = school.post(url, {**FORM, "version": version_on(page)})
    assert response.status_code == 400
    error = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one(
        "#evidence-error"
    )
    assert "该事项须上传佐证材料" in error.get_text()
    assert item_row(db, rows[0]["id"])["status"] == "pending"
    # A template with ``evidence: false`` (kept on the item when it opened) needs no file.
    db.execute("UPDATE rectifications SET evidence_required = 0 WHERE id = ?", [rows[0]["id"]])
    page = school.page(url)
    assert "（必填）" not in page.select_one("#evidence-label").get_text()
    assert school.post(url, {**FORM, "version": version_on(page)}).status_code == 302


def test_evidence_rule_read_from_the_fix_template():
    assert rules.evidence_required({"action": "a", "evidence": False}) == 0
    assert rules.evidence_required({"action": "a"}) == 1
    assert rules.evidence_required(None) == 1


def test_kept_files_are_only_the_sessions_own(receive, login, db, frozen):
    """A kept file is named by its hash; another account naming it gains nothing."""
    _, rows = receive()
    school_a = login("sch_a")
    url = f"/school/rectifications/{rows[0]['id']}/respond"
    response = school_a.post(
        url,
        {**FORM, "measures": "", "version": version_on(school_a.page(url))},
        files={"evidence": [(factories.jpeg_bytes(21), "甲校照片.jpg")]},
    )
    assert response.status_code == 400
    sha = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one(
        "input[name=kept]"
    )["value"]
    # The kept photo shows to its own session, and to nobody else.
    assert school_a.get(f"/school/evidence/{sha}").status_code == 200
    assert login("insp").get(f"/school/evidence/{sha}").status_code == 404
    # A second session of the same school account did not upload it: the hash is ignored.
    other = login("sch_a")
    url_other = f"/school/rectifications/{rows[1]['id']}/respond"
    response = other.post(
        url_other, {**FORM, "version": version_on(other.page(url_other)), "kept": sha}
    )
    assert response.status_code == 400
    assert "该事项须上传佐证材料" in response.get_data(as_text=True)
