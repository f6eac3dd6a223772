"""What users read is in their own formats: Beijing time, Chinese period names, titles."""

from __future__ import annotations

from bs4 import BeautifulSoup

from inspect_app.common.clock import local_time
from inspect_app.storage import inspections


def test_signature_times_on_the_inspection_page_are_beijing_time(client, auth, db, issued):
    auth.login("bureau")
    page = BeautifulSoup(client.get(f"/inspections/{issued['id']}").get_data(as_text=True),
                         "html.parser")  # fmt: skip
    text = page.get_text()
    signatures = inspections.signatures(db, issued["id"])
    assert signatures
    for s in signatures:
        assert s["signed_at"].endswith("Z")  # stored as UTC …
        assert local_time(s["signed_at"]) in text  # … shown as the clock in China reads
        assert s["signed_at"] not in text and s["signed_at"][:16] not in text


def test_local_time_converts_utc_stamps_with_fractions():
    assert local_time("2026-12-01T18:57:07.890Z") == "2026-12-02 02:57"
    assert local_time("2026-11-20T03:00:00Z") == "2026-11-20 11:00"
