"""A school revises its 整改报告: version 2 with a reason, issued as a new PDF with a new 文号 that
supersedes the first (kept, marked on /verify); the PDF carries the school's heading, not the
bureau's masthead; the 30-day clock stays with the first submission."""

from __future__ import annotations

import subprocess

from inspect_app.documents import issuing
from inspect_app.storage import rectification_reports as stored_reports
from inspect_app.storage import reports

from .support import evidence


def _pdf_text(pdf: bytes, tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    return "".join(out.split())


def test_a_revised_report_supersedes_the_first_with_a_new_number(
    app, db, receive, login, frozen, tmp_path
):
    inspection_id, _ = receive()
    school, anyone = login("sch_a"), login()
    url = f"/school/inspections/{inspection_id}/report"
    first = school.post(url, {"summary": "成立整改领导小组，逐项整改。"},
                        files={"evidence": [(evidence()["evidence"][0][0], "整改方案.jpg")]})  # fmt: skip
    assert first.status_code == 302
    # Before its PDF exists a revision cannot name what it supersedes: refused, nothing stored.
    page = school.page(url)
    early = school.post(url, {"reason": "补充", "summary": "x", "version": "1"})
    assert early.status_code == 409 and "生成后才能提交修订版" in early.get_data(as_text=True)
    with app.app_context():
        issuing.ensure_documents(db, app.config, inspection_id)
    v1 = reports.current(db, inspection_id, "rectification_report")
    assert v1["version"] == 1

    page = school.page(url)
    form = page.select_one("form[data-revise]")
    assert "提交修订版（第 2 版）" in form.get_text()
    assert (
        form.select_one("textarea[name=summary]").get_text().strip()
        == "成立整改领导小组，逐项整改。"
    )
    kept = [i["value"] for i in form.select("input[name=kept]")]
    assert len(kept) == 1  # the first version's file is carried over
    # The reason is required, and what was typed stays.
    missing = school.post(url, {"summary": "改后的总体情况", "version": "1", "kept": kept})
    body = missing.get_data(as_text=True)
    assert missing.status_code == 400 and "请填写修订原因" in body and "改后的总体情况" in body
    ok = school.post(url, {"reason": "补充后续完成的资助台账整改", "summary": "已全部完成整改。",
                           "version": "1", "kept": kept})  # fmt: skip
    assert ok.status_code == 302
    # A second tab still on version 1 cannot stack another revision on it.
    stale = school.post(url, {"reason": "再改", "summary": "y", "version": "1"})
    assert stale.status_code == 409 and "已有更新的版本" in stale.get_data(as_text=True)
    assert [v["version"] for v in stored_reports.versions(db, inspection_id)] == [1, 2]

    with app.app_context():
        issuing.ensure_documents(db, app.config, inspection_id)
        issuing.ensure_documents(db, app.config, inspection_id)  # issued once
    history = reports.for_subject(db, inspection_id, "rectification_report")
    assert [(r["version"], r["status"]) for r in history] == [(1, "superseded"), (2, "valid")]
    v2 = history[1]
    assert v2["doc_number"] != v1["doc_number"] and v2["doc_number"]
    text = _pdf_text(reports.read(app.config["REPORTS_DIR"], v2), tmp_path, "v2.pdf")
    assert f"本报告为第2版（修订版），替代{v1['doc_number']}（第1版）" in text
    assert "修订原因：补充后续完成的资助台账整改" in text and "已全部完成整改。" in text
    assert "整改方案.jpg" in text

    # /verify: the first is marked superseded, the second valid.
    old = anyone.page(f"/verify/{v1['id']}").get_text()
    assert "已被新版本取代" in old
    assert "有效" in anyone.page(f"/verify/{v2['id']}").get_text()
    # The school's page lists both versions with their numbers.
    versions = school.page(url).select(".report-versions li")
    assert [li["data-version"] for li in versions] == ["1", "2"]
    assert v1["doc_number"] in versions[0].get_text() and "已被新版本取代" in versions[0].get_text()

    # The bureau and the inspection's reviewer see every version where they see the inspection:
    # newest first, each with its 文号 linking its PDF, when and by whom, why, and which is in
    # force; the clocks page says it was revised and leads there.
    bureau, inspector = login("bureau"), login("insp")
    sender = stored_reports.versions(db, inspection_id)[1]["submitted_by_name"]
    assert sender  # the school account's name
    for who, url_ in ((bureau, f"/review/inspections/{inspection_id}"),
                      (inspector, f"/review/inspections/{inspection_id}"),
                      (bureau, f"/inspections/{inspection_id}")):  # fmt: skip
        card = who.page(url_).select_one("[data-report-versions]")
        rows = {tr["data-version"]: tr for tr in card.select("tr[data-version]")}
        assert list(rows) == ["2", "1"], url_
        cells = [td.get_text(strip=True) for td in rows["2"].select("td")]
        assert cells[0] == "第 2 版（修订版）" and cells[1] == v2["doc_number"]
        assert cells[3:] == [sender, "补充后续完成的资助台账整改", "有效"]
        assert rows["2"].select_one("a")["href"] == f"/documents/{v2['id']}.pdf"
        old_cells = [td.get_text(strip=True) for td in rows["1"].select("td")]
        assert old_cells[1] == v1["doc_number"] and old_cells[4:] == ["—", "已被新版本取代"]
        assert rows["1"].select_one("a")["href"] == f"/documents/{v1['id']}.pdf"
        assert "已全部完成整改。" in card.select_one("details").get_text()
        assert "已按时报送" in card.select_one("[data-report-clock]").get_text()
    assert bureau.get(f"/documents/{v1['id']}.pdf").status_code == 200
    clocks = bureau.page("/review/clocks")
    state = clocks.select_one(f"tr[data-inspection='{inspection_id}'] td[data-state]")
    assert state.select_one("[data-report-version]").get_text() == "（已修订，现为第 2 版）"
    assert (
        state.select_one("a")["href"] == f"/review/inspections/{inspection_id}#rectification-report"
    )


def test_the_report_pdf_carries_the_schools_heading(app, db, receive, login, tmp_path):
    inspection_id, _ = receive()
    login("sch_a").post(f"/school/inspections/{inspection_id}/report", {"summary": "整改完成。"})
    with app.app_context():
        issuing.ensure_documents(db, app.config, inspection_id)
    row = reports.current(db, inspection_id, "rectification_report")
    pdf = reports.read(app.config["REPORTS_DIR"], row)
    (tmp_path / "r.pdf").write_bytes(pdf)
    first_lines = subprocess.run(["pdftotext", "-l", "1", str(tmp_path / "r.pdf"), "-"],
                                 capture_output=True, text=True, check=True).stdout  # fmt: skip
    flat = "".join(first_lines.split())
    # Running head and masthead: the school and 整改报告, no bureau 红头 above the title; the
    # bureau appears only as the addressee.
    head, _, body = flat.partition("关于2026年11月20日综合督导整改情况的报告")
    assert body, flat[:200]
    assert head.startswith("东镇中心小学·整改报告") and "东镇中心小学整改报告" in head
    assert app.config["BUREAU_NAME"] not in head
    assert body.startswith(app.config["BUREAU_NAME"])  # 青山县教育局督导室：
