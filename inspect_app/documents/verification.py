"""Checking a PDF against what this system issued: signature, trust, integrity, and our archive."""

from __future__ import annotations

from collections.abc import Mapping

from sqlite_utils import Database

from inspect_app.common import periods, vocabulary
from inspect_app.common.clock import local_time
from inspect_app.documents import issuing
from inspect_app.documents.signing import verify_pdf
from inspect_app.storage import followups, inspections, reports


def public_facts(db: Database, row: dict) -> dict:
    """What a reader of the paper already has (school, date, grade), plus hash and status."""
    facts = {"kind": row["kind"], "version": row["version"], "sha256": row["sha256"],
             "status": vocabulary.REPORT_STATUS[row["status"]], "status_key": row["status"],
             "created_at": row["created_at"], "doc_number": row.get("doc_number") or "",
             "issued_at": local_time(row["created_at"])}  # fmt: skip
    if row["kind"] in ("report", "notice", "rectification_report"):
        inspection = inspections.get(db, row["subject_id"])
        assert inspection is not None, row["subject_id"]  # a report is issued for an inspection
        facts.update(
            school=inspection["school_name"], date=inspection["date"], grade=inspection["grade"]
        )
    elif row["kind"] == "followup_record":
        visit = followups.get(db, row["subject_id"])
        assert visit is not None, row["subject_id"]  # issued for a stored visit
        facts.update(school=visit["school_name"], date=visit["date"], grade=None)
    else:
        key = row["subject_id"].split("/")[0]  # period/checklist since bulletins had records
        try:
            facts.update(period=periods.from_key(key).label)
        except periods.PeriodError:
            facts.update(period=key)
    return facts


def check_pdf(db: Database, data: bytes, config: Mapping) -> dict:
    """Signature valid, trusted by our authority, unmodified since signing, and issued by us."""
    if not data.startswith(b"%PDF-"):
        return {"ok": False, "reasons": ["该文件不是 PDF 文件。"], "sha256": None, "stored": None}
    outcome = verify_pdf(data, issuing.trust_roots(config))
    stored = reports.by_sha256(db, outcome.sha256)
    reasons = list(outcome.reasons)
    if stored is None:
        reasons.append("该文件与本系统签发的任何文件都不一致（哈希值不匹配）。")
    return {
        "ok": outcome.ok and stored is not None,
        "reasons": reasons,
        "sha256": outcome.sha256,
        "signer": outcome.signer,
        "stored": public_facts(db, stored) if stored else None,
        "detail": outcome.detail,
    }
