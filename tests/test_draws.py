"""双随机 draws: reproducible from the seed (by the method printed on the record), 回避 never
broken, the draw recorded, planned and issued as a signed, numbered record."""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import tempfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from inspect_app.bureau import draws
from inspect_app.documents import issuing
from inspect_app.documents.signing import verify_pdf
from inspect_app.storage import assignments, reports, users
from inspect_app.storage import draws as storage

from .support import csrf_token


def _by_the_printed_method(seed, schools, inspectors, conflicts, share, per_school):
    """The draw as templates/reports/draw.html describes it, written out again from the
    description alone: what a citizen re-checking the record would do."""
    counter = [0]

    def rand():
        digest = hashlib.sha256(f"{seed}:{counter[0]}".encode()).digest()
        counter[0] += 1
        return int.from_bytes(digest[:8], "big")

    def below(k):
        while True:
            x = rand()
            if x < (2**64 // k) * k:
                return x % k

    def shuffle(items):
        items = list(items)
        for i in range(len(items) - 1, 0, -1):
            j = below(i + 1)
            items[i], items[j] = items[j], items[i]
        return items

    drawn = shuffle(sorted(schools))[: math.ceil(len(schools) * share / 100)]
    load = {i: 0 for i in sorted(inspectors)}
    out = []
    for school in drawn:
        free = shuffle([i for i in sorted(inspectors) if (i, school) not in conflicts])
        chosen = sorted(free, key=lambda i: load[i])[:per_school]
        for i in chosen:
            load[i] += 1
        out.append((school, sorted(chosen)))
    return out


@settings(max_examples=150, deadline=None)
@given(
    seed=st.text(min_size=1, max_size=20),
    schools=st.sets(st.integers(1, 500), min_size=1, max_size=60),
    inspectors=st.sets(st.integers(1, 60), min_size=3, max_size=12),
    conflict_rate=st.integers(0, 30),
    share=st.integers(1, 100),
    per_school=st.integers(1, 2),
)
def test_the_draw_is_reproducible_avoids_conflicts_and_matches_the_printed_method(
    seed, schools, inspectors, conflict_rate, share, per_school
):
    # Conflicts chosen deterministically from the ids, about conflict_rate percent of pairs.
    conflicts = {
        (i, s) for i in inspectors for s in schools
        if int(hashlib.md5(f"{i}-{s}".encode()).hexdigest(), 16) % 100 < conflict_rate
    }  # fmt: skip
    try:
        result = draws.draw(seed, sorted(schools), sorted(inspectors), conflicts, share, per_school)
    except draws.DrawError as exc:
        assert "回避后可派督学只有" in str(exc)
        return
    assert result == draws.draw(seed, sorted(schools), sorted(inspectors), conflicts, share,
                                per_school)  # fmt: skip
    assert result == _by_the_printed_method(seed, schools, inspectors, conflicts, share,
                                            per_school)  # fmt: skip
    assert len(result) == math.ceil(len(schools) * share / 100)
    assert len({s for s, _ in result}) == len(result) and {s for s, _ in result} <= schools
    for school, chosen in result:
        assert len(chosen) == per_school == len(set(chosen))
        assert not any((i, school) in conflicts for i in chosen), "回避 broken"
    if not conflicts:  # without conflicts the work is spread evenly
        loads = [sum(i in c for _, c in result) for i in inspectors]
        assert max(loads) - min(loads) <= 1


def test_another_seed_gives_another_draw():
    schools = list(range(1, 201))
    a = draws.draw("2026-秋-1", schools, [1, 2, 3, 4], set(), 10, 1)
    b = draws.draw("2026-秋-2", schools, [1, 2, 3, 4], set(), 10, 1)
    assert [s for s, _ in a] != [s for s, _ in b]


def test_too_few_inspectors_left_after_conflicts_is_refused():
    with pytest.raises(draws.DrawError, match="回避后可派督学只有 1 人"):
        draws.draw("x", [7], [1, 2], {(1, 7)}, 100, 2)


def _pdf_text(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "draw.pdf"
        path.write_bytes(data)
        return subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout


def test_a_draw_on_the_page_is_recorded_planned_signed_and_rechecked(app, client, auth, db,
                                                                    county):  # fmt: skip
    second = users.create(db, username="insp2", display_name="督学乙", role="inspector",
                          password_hash="x")  # fmt: skip
    third = users.create(db, username="insp3", display_name="督学丙", role="inspector",
                         password_hash="x")  # fmt: skip
    auth.login("bureau")
    token = csrf_token(client, "/bureau/draws")
    # 督学甲 (insp) must avoid every school of 西乡 (schools B and C), 督学乙 school A.
    township = db.execute("SELECT township_id FROM schools WHERE id = ?",
                          [county["school_b"]]).fetchone()[0]  # fmt: skip
    for inspector, field, target, reason in (
        (county["insp"], "township_id", township, "居住地所在乡镇"),
        (second, "school_id", county["school_a"], "原任职学校"),
    ):
        response = client.post("/bureau/draws/conflicts", data={
            "csrf_token": token, "inspector_id": inspector, field: target, "reason": reason})  # fmt: skip
        assert response.status_code == 302
    refused = client.post("/bureau/draws/conflicts", data={"csrf_token": token,
                          "inspector_id": county["insp"], "reason": ""})  # fmt: skip
    assert refused.status_code == 400
    assert "请选择一所学校或一个乡镇" in refused.get_data(as_text=True)

    response = client.post("/bureau/draws", data={
        "csrf_token": token, "period": "term", "key": "2026-2027-1", "share": "100",
        "per_school": "2", "planned_visits": "1", "seed": "公开摇号-0815"})  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    draw_id = int(response.headers["Location"].rsplit("/", 1)[1])
    record = storage.get(db, draw_id)
    assert record["seed"] == "公开摇号-0815" and draws.recheck(record)
    pairs = {(i, s) for s, chosen in record["result"] for i in chosen}
    assert len(record["result"]) == 3
    assert not any((county["insp"], s) in pairs for s in (county["school_b"], county["school_c"]))
    assert (second, county["school_a"]) not in pairs
    # Every drawn pair is in the supervision plan for the term.
    planned = {(r["inspector_id"], r["school_id"])
               for r in assignments.progress(db, "2026-09-01", "2027-01-31")}  # fmt: skip
    assert pairs <= planned

    page = BeautifulSoup(client.get(f"/bureau/draws/{draw_id}").get_data(as_text=True),
                         "html.parser")  # fmt: skip
    assert "复核一致" in page.select_one("#draw-check").get_text()
    number = page.select_one("#draw-number").get_text()
    assert number.startswith("青督抽〔") and number.endswith("〕1号")
    pdf = client.get(f"/bureau/draws/{draw_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    outcome = verify_pdf(pdf.data, issuing.trust_roots(app.config))
    assert outcome.ok, outcome.reasons
    text = _pdf_text(pdf.data)
    assert number in text and "公开摇号-0815" in text and record["digest"][:16] in text
    assert "东镇中心小学" in text and "督学丙" in text
    row = reports.get(db, record["report_id"])
    assert row["kind"] == "draw" and row["doc_number"] == number
    verify = client.get(f"/verify/{record['report_id']}").get_data(as_text=True)
    assert "双随机抽查记录" in verify

    # A result changed afterwards in the database no longer matches its seed.
    forged = json.dumps([[county["school_b"], [county["insp"], third]]])
    db.execute("UPDATE draws SET result = ? WHERE id = ?", [forged, draw_id])
    page = client.get(f"/bureau/draws/{draw_id}").get_data(as_text=True)
    assert "复核不一致" in page
