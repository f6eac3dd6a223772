"""The export's 学校汇总 comes from the figures the worker keeps (bureau/stored.py) while
they are current for exactly its filters, and is computed otherwise: the same workbook."""

from __future__ import annotations

import io
from datetime import date

from inspect_app.bureau import exports, figures, gathering, stored
from inspect_app.common import periods

from .test_export_fragments import _cells

TODAY = date(2026, 11, 23)


def _filters(checklist: str = "fupin_comprehensive") -> periods.Filters:
    return periods.Filters(
        period=periods.parse_period("term", "2026-2027-1", TODAY), checklist_id=checklist
    )


def _workbook(db, shown: exports.Ranked) -> dict:
    out = io.BytesIO()
    exports.write_xlsx(db, shown, out)
    return _cells(out.getvalue())


def test_the_workbook_from_stored_figures_is_the_computed_one_cell_by_cell(db, received):
    f = _filters()
    computed = figures.overview(gathering.gather_uncached(db, f, TODAY), f, TODAY)
    stored.compute(db, f, TODAY, viewed=False)
    kept = exports.ranking(db, f, TODAY)
    assert isinstance(kept, stored.Ranking)
    # Every school: the ranked ones and the one not inspected, with section columns.
    assert len(kept.ranking) == 2 and len(kept.schools) == 3 and kept.sections
    from_stored, from_computed = _workbook(db, kept), _workbook(db, computed)
    assert from_stored == from_computed
    assert len(from_stored["学校汇总"]) == 4  # headers and three schools


def test_a_set_of_other_filters_or_days_or_an_older_version_is_not_read(db, received):
    f = _filters()
    stored.compute(db, _filters(""), TODAY, viewed=False)  # every checklist
    stored.compute(db, f, date(2026, 11, 22), viewed=False)  # the day before
    assert not isinstance(exports.ranking(db, f, TODAY), stored.Ranking)
    stored.compute(db, f, TODAY, viewed=False)
    school = db.execute("SELECT id, name FROM schools ORDER BY code LIMIT 1").fetchone()
    db.execute("UPDATE schools SET name = ? WHERE id = ?", ["改名学校", school[0]])
    shown = exports.ranking(db, f, TODAY)
    assert not isinstance(shown, stored.Ranking)  # the data changed since the set
    assert "改名学校" in {s["name"] for s in shown.schools}
    summary = _workbook(db, shown)["学校汇总"]
    assert any("改名学校" in (cell[0] for cell in row) for row in summary)
